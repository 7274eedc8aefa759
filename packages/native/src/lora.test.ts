// The fused LoRA kernels (LlmarLoraAdd, LlmarLoraAddGrad) through tfjs against the stock kernels (matMul, mul, add and
// tfjs's gradients of them), on wasm by default (cpu with LLMAR_BACKEND=cpu): odd sizes, r = 1, N = 0, the wasm heap
// grown mid-run, and bad inputs.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { loadAddon } from './addon';
import { registerNativeKernels, unregisterNativeKernels } from './register';
import type { TfLike } from './types';
import { relErr, rng } from './test-utils';
import { LORA_KERNELS } from './lora';

const BACKEND = process.env.LLMAR_BACKEND === 'cpu' ? 'cpu' : 'wasm';
const { addon, reason } = loadAddon();
if (!addon) console.warn(`@llmar/native LoRA kernel tests skipped: ${reason}`);
/** Norm-wise relative error allowed against the stock float32 kernels (their own summation order). */
const TOL = 1e-5;
const run = (name: string, inputs: tf.NamedTensorMap, attrs: object) => tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor[];

describe.skipIf(!addon)(`fused LoRA kernels through tfjs (${BACKEND})`, () => {
  beforeAll(async () => {
    await tf.setBackend(BACKEND);
    await tf.ready();
    const res = registerNativeKernels(tf as unknown as TfLike, BACKEND, { only: [...LORA_KERNELS] });
    expect(res.ok, res.reason).toBe(true);
    expect(res.kernels).toEqual([...LORA_KERNELS]);
  });
  afterAll(() => {
    unregisterNativeKernels(tf as unknown as TfLike, BACKEND);
  });

  // [N, in, r, out, scale, grow the heap]
  const cases: [number, number, number, number, number, boolean][] = [
    [5, 7, 3, 9, 2, false], [512, 64, 8, 32, 2, false], [37, 288, 1, 288, 0.25, true], [600, 33, 16, 70, 1, false],
  ];
  for (const [N, inF, r, out, scale, grow] of cases) {
    it(`y + (x·a)·(s·b) and its gradients equal the stock kernels: N ${N}, in ${inF}, r ${r}, out ${out}, s ${scale}${grow ? ', heap grown' : ''}`, () => {
      const g = rng(N * 131 + inF * 7 + r);
      const y = tf.tensor(g.normal(N * out), [N, out]);
      const x = tf.tensor(g.normal(N * inF), [N, inF]);
      const a = tf.tensor(g.normal(inF * r), [inF, r]);
      const b = tf.tensor(g.normal(r * out), [r, out]);
      const dy = tf.tensor(g.normal(N * out), [N, out]);
      const stock = tf.tidy(() => {
        const f = (yy: tf.Tensor, xx: tf.Tensor, aa: tf.Tensor, bb: tf.Tensor) => tf.add(yy, tf.matMul(tf.matMul(xx, aa), tf.mul(bb, scale)));
        const [gy, gx, ga, gb] = tf.grads((yy: tf.Tensor, xx: tf.Tensor, aa: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(f(yy, xx, aa, bb), dy)))([y, x, a, b]);
        expect(gy.dataSync()).toEqual(dy.dataSync());
        return [f(y, x, a, b), tf.matMul(x, a), tf.mul(b, scale), gx, ga, gb];
      });
      const big = grow ? tf.zeros([64 << 20]) : null; // outputs allocated after this: the heap grows in between
      const fwd = run('LlmarLoraAdd', { y, x, a, b }, { scale });
      expect(fwd.map((t) => t.shape)).toEqual([[N, out], [N, r], [r, out]]);
      const grads = run('LlmarLoraAddGrad', { dy, x, a, bs: fwd[2], mid: fwd[1] }, { scale });
      expect(grads.map((t) => t.shape)).toEqual([[N, inF], [inF, r], [r, out]]);
      [...fwd, ...grads].forEach((t, i) => expect(relErr(t.dataSync() as Float32Array, stock[i].dataSync() as Float32Array), `output ${i}`).toBeLessThan(TOL));
      tf.dispose([y, x, a, b, dy, ...stock, ...fwd, ...grads]);
      big?.dispose();
    });
  }

  it('N = 0 gives empty outputs and zero adapter gradients; bad shapes and scales are refused with the shapes in the message', () => {
    const [o, mid, bs] = run('LlmarLoraAdd', { y: tf.zeros([0, 3]), x: tf.zeros([0, 2]), a: tf.ones([2, 1]), b: tf.ones([1, 3]) }, { scale: 2 });
    expect([o.shape, mid.shape, Array.from(bs.dataSync())]).toEqual([[0, 3], [0, 1], [2, 2, 2]]);
    const [dx, da, db] = run('LlmarLoraAddGrad', { dy: tf.zeros([0, 3]), x: tf.zeros([0, 2]), a: tf.ones([2, 1]), bs, mid }, { scale: 2 });
    expect([dx.shape, Array.from(da.dataSync()), Array.from(db.dataSync())]).toEqual([[0, 2], [0, 0], [0, 0, 0]]);
    const ok = { y: tf.zeros([4, 3]), x: tf.zeros([4, 2]), a: tf.zeros([2, 1]), b: tf.zeros([1, 3]) };
    expect(() => run('LlmarLoraAdd', { ...ok, a: tf.zeros([3, 1]) }, { scale: 1 })).toThrow(/do not chain .*a \[3,1\] float32/);
    expect(() => run('LlmarLoraAdd', { ...ok, x: tf.zeros([4, 2, 1]) }, { scale: 1 })).toThrow(/float32 matrices, got .*x \[4,2,1\]/);
    expect(() => run('LlmarLoraAdd', ok, { scale: Number.NaN })).toThrow(/attr scale must be a finite number, got NaN/);
    expect(() => run('LlmarLoraAddGrad', { dy: ok.y, x: ok.x, a: ok.a, bs: ok.b }, { scale: 1 })).toThrow(/mid missing/);
  });
});
