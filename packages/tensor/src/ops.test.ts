import { describe, it, expect, beforeAll } from 'vitest';
import { tf, initBackend, conv1d, matMul, gather, stopGradient, customGrad } from './index';

/** Run `f` on a backend and return its output and gradients as plain arrays. */
async function onBackend(name: 'cpu' | 'wasm', f: () => tf.Tensor[]): Promise<Float32Array[]> {
  await initBackend(name, { native: false });
  return tf.tidy(() => f()).map((t) => {
    const d = t.dataSync() as Float32Array;
    t.dispose();
    return Float32Array.from(d);
  });
}

function maxRelErr(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  let scale = 1e-6;
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / scale);
  return m;
}

function rand(shape: number[], seed: number): number[] {
  let s = seed >>> 0;
  const n = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

describe('portable ops: wasm equals cpu (values and gradients)', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  // float32 with sums over at most a few hundred terms: 1e-5 relative to the largest magnitude.
  const TOL = 1e-5;

  const convCases = [
    { B: 2, L: 16, cin: 5, cout: 7, k: 3, stride: 1, pad: 1, dil: 1 },
    { B: 3, L: 17, cin: 4, cout: 6, k: 4, stride: 2, pad: 1, dil: 1 },
    { B: 2, L: 30, cin: 3, cout: 5, k: 3, stride: 1, pad: 9, dil: 9 },
    { B: 1, L: 9, cin: 2, cout: 3, k: 1, stride: 1, pad: 0, dil: 1 },
    { B: 2, L: 20, cin: 3, cout: 2, k: 3, stride: 3, pad: 2, dil: 2 },
  ];
  for (const c of convCases) {
    it(`conv1d ${JSON.stringify(c)}`, async () => {
      const f = () => {
        const x = tf.tensor3d(rand([c.B, c.L, c.cin], 1), [c.B, c.L, c.cin]);
        const w = tf.tensor3d(rand([c.k, c.cin, c.cout], 2), [c.k, c.cin, c.cout]);
        const loss = (a: tf.Tensor, b: tf.Tensor) => {
          const y = conv1d(a as tf.Tensor3D, b as tf.Tensor3D, { stride: c.stride, padding: c.pad, dilation: c.dil });
          return y.mul(y).sum() as tf.Scalar;
        };
        const y = conv1d(x, w, { stride: c.stride, padding: c.pad, dilation: c.dil });
        const g = tf.grads(loss)([x, w]);
        return [y, ...g];
      };
      const ref = await onBackend('cpu', f);
      const got = await onBackend('wasm', f);
      for (let i = 0; i < ref.length; i++) expect(maxRelErr(got[i], ref[i])).toBeLessThan(TOL);
    });
  }

  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    it(`matMul transposeA=${ta} transposeB=${tb} with batch broadcast`, async () => {
      const f = () => {
        const a = tf.tensor(rand([3, ta ? 5 : 4, ta ? 4 : 5], 3), [3, ta ? 5 : 4, ta ? 4 : 5]);
        const b = tf.tensor(rand([1, tb ? 6 : 5, tb ? 5 : 6], 4), [1, tb ? 6 : 5, tb ? 5 : 6]);
        const loss = (p: tf.Tensor, q: tf.Tensor) => matMul(p, q, ta, tb).square().sum() as tf.Scalar;
        return [matMul(a, b, ta, tb), ...tf.grads(loss)([a, b])];
      };
      const ref = await onBackend('cpu', f);
      const got = await onBackend('wasm', f);
      for (let i = 0; i < ref.length; i++) expect(maxRelErr(got[i], ref[i])).toBeLessThan(TOL);
      // independent reference: b tiled over the batch (no broadcast), its gradient summed back over the batch
      const tiled = await onBackend('cpu', () => {
        const a = tf.tensor(rand([3, ta ? 5 : 4, ta ? 4 : 5], 3), [3, ta ? 5 : 4, ta ? 4 : 5]);
        const b = tf.tensor(rand([1, tb ? 6 : 5, tb ? 5 : 6], 4), [1, tb ? 6 : 5, tb ? 5 : 6]).tile([3, 1, 1]);
        const loss = (p: tf.Tensor, q: tf.Tensor) => tf.matMul(p, q, ta, tb).square().sum() as tf.Scalar;
        const [ga, gb] = tf.grads(loss)([a, b]);
        return [tf.matMul(a, b, ta, tb), ga, gb.sum(0, true)];
      });
      for (let i = 0; i < ref.length; i++) expect(maxRelErr(ref[i], tiled[i])).toBeLessThan(TOL);
    });
  }

  it('gather gradient sums duplicate indices on wasm as on cpu', async () => {
    const f = () => {
      const x = tf.tensor2d(rand([6, 3], 5), [6, 3]);
      const idx = tf.tensor1d([0, 2, 2, 5, 0, 0], 'int32');
      const loss = (a: tf.Tensor) => gather(a, idx).mul(tf.range(1, 19).reshape([6, 3])).sum() as tf.Scalar;
      return [gather(x, idx), tf.grad(loss)(x)];
    };
    const ref = await onBackend('cpu', f);
    const got = await onBackend('wasm', f);
    for (let i = 0; i < ref.length; i++) expect(maxRelErr(got[i], ref[i])).toBeLessThan(TOL);
    // row 0 gathered 3 times at rows 0, 4, 5 of the weight matrix: grad = w0 + w4 + w5
    expect(Array.from(ref[1].slice(0, 3))).toEqual([1 + 13 + 16, 2 + 14 + 17, 3 + 15 + 18]);
  });

  it('gather differentiates when its indices come from the input itself (argMin), on cpu and wasm', async () => {
    const f = () => {
      const x = tf.tensor2d(rand([5, 4], 9), [5, 4]);
      const loss = (a: tf.Tensor) => {
        const idx = tf.argMin(a, 1) as tf.Tensor1D; // [5] indices into rows of a (values 0..3 < 5)
        return gather(a, idx).square().sum() as tf.Scalar;
      };
      return [tf.grad(loss)(x)];
    };
    const ref = await onBackend('cpu', f);
    const got = await onBackend('wasm', f);
    expect(maxRelErr(got[0], ref[0])).toBeLessThan(TOL);
    expect(ref[0].some((v) => v !== 0)).toBe(true);
  });

  it('stopGradient passes values and blocks gradients', async () => {
    await initBackend('cpu');
    const x = tf.tensor1d([1, 2, 3]);
    const g = tf.grad((a: tf.Tensor) => a.mul(stopGradient(a)).sum() as tf.Scalar)(x);
    expect(Array.from(g.dataSync())).toEqual([1, 2, 3]);
  });

  it('stopGradient leaves what is upstream of it out of the backward pass', async () => {
    await initBackend('cpu');
    // an op whose gradient must never run: before stopGradient it is not on any path to the result
    const noBackward = customGrad((a: tf.Tensor) => ({
      value: a.square(),
      gradFunc: () => {
        throw new Error('differentiated through stopGradient');
      },
    }));
    const x = tf.tensor1d([1, 2, 3]);
    const g = tf.grad((a: tf.Tensor) => a.mul(stopGradient(noBackward(a))).sum() as tf.Scalar)(x);
    expect(Array.from(g.dataSync())).toEqual([1, 4, 9]);
  });
});
