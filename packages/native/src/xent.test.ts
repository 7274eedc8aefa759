// The fused softmax cross-entropy kernel: the raw entry point against float64 maths, and the tfjs kernel against the
// stock kernels' softmax and log-sum-exp (on wasm by default, cpu with LLMAR_BACKEND=cpu), including heap growth.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { loadAddon } from './addon';
import { registerNativeKernels, unregisterNativeKernels } from './register';
import type { TfLike } from './types';
import { relErr, rng } from './test-utils';
import { SOFTMAX_XENT_KERNEL } from './xent';

const BACKEND = process.env.LLMAR_BACKEND === 'cpu' ? 'cpu' : 'wasm';
const { addon, reason } = loadAddon();
if (!addon) console.warn(`@llmar/native softmax cross-entropy tests skipped: ${reason}`);

/** float64 reference: softmax − onehot and logsumexp − logit[target] (NaN for a target outside [0, v)). */
function ref(x: Float32Array, tg: Int32Array, n: number, v: number) {
  const grad = new Float64Array(n * v), nll = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let m = -Infinity;
    for (let j = 0; j < v; j++) m = Math.max(m, x[i * v + j]);
    let s = 0;
    for (let j = 0; j < v; j++) s += Math.exp(x[i * v + j] - m);
    for (let j = 0; j < v; j++) grad[i * v + j] = Math.exp(x[i * v + j] - m) / s - (j === tg[i] ? 1 : 0);
    nll[i] = tg[i] >= 0 && tg[i] < v ? m + Math.log(s) - x[i * v + tg[i]] : NaN;
  }
  return { grad, nll };
}

describe.skipIf(!addon)('native softmax cross-entropy (raw) against float64', () => {
  const simdBefore = addon?.info();
  afterAll(() => {
    if (addon && simdBefore) addon.setThreads(simdBefore.threads);
  });

  it('random rows of odd widths (vector tails), 1 and 2 threads, extreme logits', () => {
    const r = rng(606);
    for (const [n, v, scale] of [[3, 1, 1], [5, 17, 3], [9, 33, 1], [64, 1031, 4], [40, 4099, 30]] as const) {
      for (const threads of [1, 2]) {
        addon!.setThreads(threads);
        const x = r.normal(n * v).map((z) => z * scale);
        const tg = Int32Array.from({ length: n }, () => r.int(0, v - 1));
        const grad = new Float32Array(n * v).fill(NaN), nll = new Float32Array(n).fill(NaN);
        addon!.softmaxXent(grad, 0, nll, 0, x, 0, tg, 0, n, v);
        const want = ref(x, tg, n, v);
        expect(relErr(grad, want.grad), `n ${n} v ${v} scale ${scale}`).toBeLessThan(1e-6);
        expect(relErr(nll, want.nll), `n ${n} v ${v} scale ${scale}`).toBeLessThan(1e-6);
      }
    }
  });

  it('a target far below the maximum keeps an exact loss; a target out of range gives NaN', () => {
    const v = 50;
    const x = new Float32Array(2 * v).fill(0);
    x[3] = 120; // row 0: the target 7 is 120 nats below the maximum (its probability underflows float32)
    const tg = new Int32Array([7, v]);
    const grad = new Float32Array(2 * v), nll = new Float32Array(2);
    addon!.softmaxXent(grad, 0, nll, 0, x, 0, tg, 0, 2, v);
    expect(Math.abs(nll[0] - 120) / 120).toBeLessThan(1e-6);
    expect(grad[7]).toBe(-1);
    expect(Number.isNaN(nll[1])).toBe(true);
    expect(relErr(grad.subarray(v), new Array(v).fill(1 / v))).toBeLessThan(1e-6);
  });

  it('rejects regions past their buffer, naming the argument', () => {
    const x = new Float32Array(6), g = new Float32Array(6), l = new Float32Array(2), t = new Int32Array(1);
    expect(() => addon!.softmaxXent(g, 0, l, 0, x, 0, t, 0, 2, 3)).toThrow(/targets: byte offset 0 \+ 2/);
    expect(() => addon!.softmaxXent(g, 0, l, 0, x, 4, new Int32Array(2), 0, 2, 3)).toThrow(/logits: byte offset 4/);
  });
});

describe.skipIf(!addon)(`${SOFTMAX_XENT_KERNEL} through tfjs (${BACKEND})`, () => {
  beforeAll(async () => {
    await tf.setBackend(BACKEND);
    await tf.ready();
    const res = registerNativeKernels(tf as unknown as TfLike, BACKEND, { only: [SOFTMAX_XENT_KERNEL] });
    expect(res.ok, res.reason).toBe(true);
  });
  afterAll(() => {
    unregisterNativeKernels(tf as unknown as TfLike, BACKEND);
  });

  it('equals the stock softmax and log-sum-exp, also after the wasm heap grew mid-run', () => {
    const r = rng(99);
    for (const [n, v, grow] of [[7, 300, false], [33, 2051, true]] as const) {
      const x = r.normal(n * v).map((z) => 3 * z);
      const tg = Int32Array.from({ length: n }, () => r.int(0, v - 1));
      const logits = tf.tensor2d(x, [n, v]);
      const targets = tf.tensor1d(tg, 'int32');
      // a large allocation between the inputs and the kernel's outputs grows the heap (the kernel re-reads the buffer)
      const big = grow ? tf.zeros([64 << 20]) : null;
      const [g, nll] = tf.engine().runKernel(SOFTMAX_XENT_KERNEL, { logits, targets }, {}) as tf.Tensor[];
      const probs = tf.softmax(logits);
      const oneHot = tf.cast(tf.oneHot(targets, v), 'float32');
      const wantG = tf.sub(probs, oneHot);
      const lse = tf.logSumExp(logits, -1);
      const picked = tf.sum(tf.mul(logits, oneHot), -1);
      const wantNll = tf.sub(lse, picked);
      expect(g.shape).toEqual([n, v]);
      expect(nll.shape).toEqual([n]);
      expect(relErr(g.dataSync(), wantG.dataSync()), `n ${n} v ${v}`).toBeLessThan(1e-5);
      expect(relErr(nll.dataSync(), wantNll.dataSync()), `n ${n} v ${v}`).toBeLessThan(1e-5);
      tf.dispose([logits, targets, g, nll, probs, oneHot, wantG, lse, picked, wantNll]);
      big?.dispose();
    }
  });

  it('rejects float targets and mismatched shapes', () => {
    const logits = tf.zeros([2, 3]);
    const bad = tf.zeros([2]);
    const short = tf.zeros([1], 'int32');
    expect(() => tf.engine().runKernel(SOFTMAX_XENT_KERNEL, { logits, targets: bad }, {})).toThrow(/int32 targets \[N\]/);
    expect(() => tf.engine().runKernel(SOFTMAX_XENT_KERNEL, { logits, targets: short }, {})).toThrow(/int32 targets \[N\]/);
    tf.dispose([logits, bad, short]);
  });
});
