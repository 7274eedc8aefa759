// The MMD kernel-sum kernels (LlmarKernelSum, LlmarKernelSumGrad) through tfjs against the stock kernels' composite
// (div, neg, exp, add; tfjs's gradients of them), on wasm by default (cpu with LLMAR_BACKEND=cpu): one and several
// 8192-value chunks, odd sizes, H = 1 and 5, an empty input, the wasm heap grown mid-run, and bad inputs.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { loadAddon } from './addon';
import { registerNativeKernels, unregisterNativeKernels } from './register';
import type { TfLike } from './types';
import { relErr, rng } from './test-utils';
import { KERNEL_SUM_KERNELS } from './kernelsum';

const BACKEND = process.env.LLMAR_BACKEND === 'cpu' ? 'cpu' : 'wasm';
const { addon, reason } = loadAddon();
if (!addon) console.warn(`@llmar/native kernel-sum tests skipped: ${reason}`);
/** Norm-wise relative error allowed against the stock float32 kernels (their own exp on cpu). */
const TOL = 1e-5;
const run = (name: string, inputs: tf.NamedTensorMap) => tf.engine().runKernel(name, inputs, {});

describe.skipIf(!addon)(`MMD kernel-sum kernels through tfjs (${BACKEND})`, () => {
  beforeAll(async () => {
    await tf.setBackend(BACKEND);
    await tf.ready();
    const res = registerNativeKernels(tf as unknown as TfLike, BACKEND, { only: [...KERNEL_SUM_KERNELS] });
    expect(res.ok, res.reason).toBe(true);
  });
  afterAll(() => {
    unregisterNativeKernels(tf as unknown as TfLike, BACKEND);
  });

  for (const [shape, hv, grow] of [[[7, 9], [0.5, 1, 2, 4, 8], false], [[300, 211], [3], false], [[257, 129], [0.25, 0.5, 1, 2, 4], true]] as const) {
    it(`Σ exp(−d / h) and its gradient equal the stock kernels: d [${shape}], H ${hv.length}${grow ? ', heap grown' : ''}`, () => {
      const n = shape[0] * shape[1];
      const g = rng(n + hv.length);
      const d = tf.tensor(g.normal(n).map((v) => v * v * 3), [...shape]);
      const dy = tf.tensor(g.normal(n), [...shape]);
      const hs = tf.tensor1d([...hv]);
      const stock = tf.tidy(() => {
        const f = (x: tf.Tensor) => hv.map((h) => tf.exp(tf.neg(tf.div(x, h)))).reduce((a, b) => tf.add(a, b));
        return [f(d), tf.grad((x: tf.Tensor) => tf.sum(tf.mul(f(x), dy)))(d)];
      });
      const big = grow ? tf.zeros([64 << 20]) : null; // outputs allocated after this: the heap grows in between
      const fwd = run('LlmarKernelSum', { d2: d, hs }) as tf.Tensor[];
      expect(fwd.length).toBe(1 + hv.length);
      const inputs: tf.NamedTensorMap = { dy, hs };
      fwd.slice(1).forEach((e, i) => (inputs[`e${i}`] = e));
      const gd = run('LlmarKernelSumGrad', inputs) as tf.Tensor;
      expect(fwd[0].shape).toEqual([...shape]);
      expect(relErr(fwd[0].dataSync() as Float32Array, stock[0].dataSync() as Float32Array)).toBeLessThan(TOL);
      expect(relErr(gd.dataSync() as Float32Array, stock[1].dataSync() as Float32Array)).toBeLessThan(TOL);
      // the terms are exp(−d / h_i) themselves
      const e0 = tf.tidy(() => tf.exp(tf.neg(tf.div(d, hv[0]))));
      expect(relErr(fwd[1].dataSync() as Float32Array, e0.dataSync() as Float32Array)).toBeLessThan(TOL);
      tf.dispose([d, dy, hs, ...stock, ...fwd, gd, e0]);
      big?.dispose();
    });
  }

  it('an empty input gives empty outputs; bad inputs are refused with their shapes in the message', () => {
    const out = run('LlmarKernelSum', { d2: tf.zeros([0, 4]), hs: tf.tensor1d([1, 2]) }) as tf.Tensor[];
    expect(out.map((t) => t.shape)).toEqual([[0, 4], [0, 4], [0, 4]]);
    expect(() => run('LlmarKernelSum', { d2: tf.zeros([2, 2]), hs: tf.zeros([2, 1]) })).toThrow(/hs must be float32 \[H\] with 1 <= H <= 16, got \[2,1\] float32/);
    expect(() => run('LlmarKernelSum', { d2: tf.zeros([2, 2]), hs: tf.zeros([17]) })).toThrow(/1 <= H <= 16, got \[17\]/);
    expect(() => run('LlmarKernelSumGrad', { dy: tf.zeros([2, 2]), hs: tf.ones([2]), e0: tf.zeros([4]) })).toThrow(/input e1 must be float32 with 4 values \(as dy \[2,2\]\), got missing/);
    expect(() => run('LlmarKernelSum', { d2: tf.zeros([2, 2], 'int32'), hs: tf.ones([1]) })).toThrow(/input d2 must be float32, got \[2,2\] int32/);
    tf.dispose(out);
  });
});
