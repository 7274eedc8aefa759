// The fused attention softmax kernels (LlmarSoftmaxBias, LlmarSoftmaxGrad) through tfjs against float64 maths and the
// stock Add + Softmax and the stock softmax gradient, on wasm by default (cpu with LLMAR_BACKEND=cpu): odd row lengths
// (vector tails), per-batch and shared masks of −1e9, empty inputs, bad shapes and the wasm heap grown mid-run.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { loadAddon } from './addon';
import { registerNativeKernels, unregisterNativeKernels } from './register';
import type { TfLike } from './types';
import { relErr, rng } from './test-utils';
import { SOFTMAX_KERNELS } from './softmax';

const BACKEND = process.env.LLMAR_BACKEND === 'cpu' ? 'cpu' : 'wasm';
const { addon, reason } = loadAddon();
if (!addon) console.warn(`@llmar/native softmax kernel tests skipped: ${reason}`);
/** Norm-wise relative error allowed against the stock float32 kernels (different summation order and exp). */
const TOL = 1e-5;
const run = (name: string, inputs: tf.NamedTensorMap) => tf.engine().runKernel(name, inputs, {}) as tf.Tensor;

/** float64 softmax(x + bias) over rows of S, the bias [biasB, 1, T, S] broadcast over heads. */
function softmax64(x: Float32Array, bias: Float32Array | null, [B, H, T, S]: number[], biasB: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < B * H * T; r++) {
    const b = Math.floor(r / (H * T)), i = r % T;
    const bo = ((biasB === 1 ? 0 : b) * T + i) * S;
    let m = -Infinity;
    for (let j = 0; j < S; j++) m = Math.max(m, x[r * S + j] + (bias ? bias[bo + j] : 0));
    let sum = 0;
    for (let j = 0; j < S; j++) sum += y[r * S + j] = Math.exp(x[r * S + j] + (bias ? bias[bo + j] : 0) - m);
    for (let j = 0; j < S; j++) y[r * S + j] /= sum;
  }
  return y;
}

describe.skipIf(!addon)(`fused attention softmax kernels through tfjs (${BACKEND})`, () => {
  beforeAll(async () => {
    await tf.setBackend(BACKEND);
    await tf.ready();
    const res = registerNativeKernels(tf as unknown as TfLike, BACKEND, { only: [...SOFTMAX_KERNELS] });
    expect(res.ok, res.reason).toBe(true);
    expect(res.kernels).toEqual([...SOFTMAX_KERNELS]);
  });
  afterAll(() => {
    unregisterNativeKernels(tf as unknown as TfLike, BACKEND);
  });

  const cases: [number[], number, boolean][] = [
    [[2, 3, 5, 7], 2, false], [[1, 4, 64, 64], 1, false], [[3, 2, 4, 17], 0, false], [[2, 2, 9, 100], 2, true], [[1, 1, 3, 1], 1, false],
  ];
  for (const [shape, biasB, grow] of cases) {
    it(`softmax(x + bias) and its gradient: x [${shape}], bias ${biasB ? `[${biasB}, 1, ${shape[2]}, ${shape[3]}]` : 'none'}${grow ? ', heap grown' : ''}`, () => {
      const [B, H, T, S] = shape;
      const r = rng(shape.reduce((a, b) => a * 31 + b, 7));
      const n = B * H * T * S;
      const xv = r.normal(n).map((v) => v * 4);
      // a causal-style mask: 0 on and below the diagonal, −1e9 above (every row keeps at least one entry)
      const bv = biasB ? Float32Array.from({ length: biasB * T * S }, (_, k) => ((k % S) <= (Math.floor(k / S) % T) + (k % 3) ? 0 : -1e9)) : null;
      const dyv = r.normal(n);
      const x = tf.tensor(xv, shape);
      const bias = bv ? tf.tensor(bv, [biasB, 1, T, S]) : null;
      const dy = tf.tensor(dyv, shape);
      const big = grow ? tf.zeros([64 << 20]) : null; // outputs allocated after this: the heap grows in between
      const y = run('LlmarSoftmaxBias', bias ? { x, bias } : { x });
      const dx = run('LlmarSoftmaxGrad', { y, dy });
      // references: float64 maths, and the stock Add + Softmax with tfjs's own softmax gradient
      const y64 = softmax64(xv, bv, shape, biasB);
      const yv = y.dataSync() as Float32Array;
      expect(relErr(yv, Float32Array.from(y64))).toBeLessThan(TOL);
      if (bv) {
        // masked entries are exactly 0
        for (let k = 0; k < n; k++) {
          const rr = Math.floor(k / S), b = Math.floor(rr / (H * T)), i = rr % T;
          if (bv[((biasB === 1 ? 0 : b) * T + i) * S + (k % S)] < 0) expect(yv[k]).toBe(0);
        }
      }
      const [stockY, stockDx] = tf.tidy(() => {
        const f = (xx: tf.Tensor) => tf.softmax(bias ? tf.add(xx, bias) : xx, -1);
        return [f(x), tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(f(xx), dy)))(x)];
      });
      expect(relErr(yv, stockY.dataSync() as Float32Array)).toBeLessThan(TOL);
      expect(relErr(dx.dataSync() as Float32Array, stockDx.dataSync() as Float32Array)).toBeLessThan(TOL);
      tf.dispose([x, dy, y, dx, stockY, stockDx]);
      bias?.dispose();
      big?.dispose();
    });
  }

  it('empty inputs give empty outputs; bad shapes and dtypes are refused with the shapes in the message', () => {
    const e = run('LlmarSoftmaxBias', { x: tf.zeros([0, 2, 3, 4]) });
    expect(e.shape).toEqual([0, 2, 3, 4]);
    expect(run('LlmarSoftmaxGrad', { y: tf.zeros([3, 0]), dy: tf.zeros([3, 0]) }).shape).toEqual([3, 0]);
    expect(() => run('LlmarSoftmaxBias', { x: tf.zeros([2, 3]) })).toThrow(/x must be float32 \[B, H, T, S\], got \[2,3\]/);
    expect(() => run('LlmarSoftmaxBias', { x: tf.zeros([2, 1, 3, 4]), bias: tf.zeros([3, 1, 3, 4]) })).toThrow(/bias must be float32 \[1 or 2, 1, 3, 4\], got \[3,1,3,4\]/);
    expect(() => run('LlmarSoftmaxGrad', { y: tf.zeros([2, 4]), dy: tf.zeros([2, 5]) })).toThrow(/one shape/);
    expect(() => run('LlmarSoftmaxGrad', { y: tf.zeros([2, 4], 'int32'), dy: tf.zeros([2, 4]) })).toThrow(/float32/);
  });
});
