// The fused decoder kernels (SwiGLU, RMSNorm and their gradients) through tfjs against the stock kernels' maths, on wasm
// by default (cpu with LLMAR_BACKEND=cpu), with odd sizes (vector tails), empty inputs and the wasm heap grown mid-run.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { loadAddon } from './addon';
import { registerNativeKernels, unregisterNativeKernels } from './register';
import type { TfLike } from './types';
import { relErr, rng } from './test-utils';
import { LM_FUSED_KERNELS } from './lmfused';

const BACKEND = process.env.LLMAR_BACKEND === 'cpu' ? 'cpu' : 'wasm';
const { addon, reason } = loadAddon();
if (!addon) console.warn(`@llmar/native fused decoder kernel tests skipped: ${reason}`);
const TOL = 1e-5;
const run = (name: string, inputs: tf.NamedTensorMap, attrs = {}) => tf.engine().runKernel(name, inputs, attrs);

describe.skipIf(!addon)(`fused decoder kernels through tfjs (${BACKEND})`, () => {
  beforeAll(async () => {
    await tf.setBackend(BACKEND);
    await tf.ready();
    const res = registerNativeKernels(tf as unknown as TfLike, BACKEND, { only: [...LM_FUSED_KERNELS] });
    expect(res.ok, res.reason).toBe(true);
  });
  afterAll(() => {
    unregisterNativeKernels(tf as unknown as TfLike, BACKEND);
  });

  it('SwiGLU and its gradient equal the stock sigmoid/multiply maths (odd sizes, extreme gates, heap growth)', () => {
    const r = rng(123);
    for (const [shape, scale, grow] of [[[5, 7], 1, false], [[37, 301], 4, false], [[3, 131072 + 5], 30, true]] as const) {
      const n = shape[0] * shape[1];
      const g = tf.tensor(r.normal(n).map((v) => v * scale), [...shape]);
      const u = tf.tensor(r.normal(n), [...shape]);
      const dy = tf.tensor(r.normal(n), [...shape]);
      const big = grow ? tf.zeros([64 << 20]) : null; // the outputs are allocated after this: the heap grows in between
      const out = run('LlmarSwiGlu', { g, u }) as tf.Tensor;
      const [dg, du] = run('LlmarSwiGluGrad', { g, u, dy }) as tf.Tensor[];
      const s = tf.sigmoid(g);
      const silu = tf.mul(g, s);
      const want = tf.mul(silu, u);
      const wantDg = tf.mul(tf.mul(dy, u), tf.mul(s, tf.add(1, tf.mul(g, tf.sub(1, s)))));
      const wantDu = tf.mul(dy, silu);
      expect(relErr(out.dataSync(), want.dataSync()), `[${shape}]`).toBeLessThan(TOL);
      expect(relErr(dg.dataSync(), wantDg.dataSync()), `[${shape}]`).toBeLessThan(TOL);
      expect(relErr(du.dataSync(), wantDu.dataSync()), `[${shape}]`).toBeLessThan(TOL);
      tf.dispose([g, u, dy, out, dg, du, s, silu, want, wantDg, wantDu]);
      big?.dispose();
    }
  });

  it('RMSNorm and its gradient equal float64 maths and a finite-difference check (rows of odd width)', () => {
    const r = rng(7);
    for (const [rows, d, eps] of [[1, 3, 1e-5], [9, 37, 1e-6], [300, 288, 1e-5]] as const) {
      const xv = r.normal(rows * d), wv = r.normal(d), dyv = r.normal(rows * d);
      const x = tf.tensor2d(xv, [rows, d]), w = tf.tensor1d(wv), dy = tf.tensor2d(dyv, [rows, d]);
      const [y, rr] = run('LlmarRmsNorm', { x, w }, { eps }) as tf.Tensor[];
      const dx = run('LlmarRmsNormGrad', { x, w, r: rr, dy }) as tf.Tensor;
      expect(rr.shape).toEqual([rows]);
      const wantY = new Float64Array(rows * d), wantDx = new Float64Array(rows * d), wantR = new Float64Array(rows);
      for (let i = 0; i < rows; i++) {
        let ss = 0;
        for (let j = 0; j < d; j++) ss += xv[i * d + j] ** 2;
        const ri = 1 / Math.sqrt(ss / d + eps);
        wantR[i] = ri;
        let m = 0;
        for (let j = 0; j < d; j++) m += dyv[i * d + j] * wv[j] * xv[i * d + j];
        for (let j = 0; j < d; j++) {
          wantY[i * d + j] = xv[i * d + j] * ri * wv[j];
          wantDx[i * d + j] = ri * dyv[i * d + j] * wv[j] - (xv[i * d + j] * ri ** 3 * m) / d;
        }
      }
      expect(relErr(y.dataSync(), wantY), `${rows}x${d}`).toBeLessThan(TOL);
      expect(relErr(rr.dataSync(), wantR), `${rows}x${d}`).toBeLessThan(TOL);
      expect(relErr(dx.dataSync(), wantDx), `${rows}x${d}`).toBeLessThan(TOL);
      tf.dispose([x, w, dy, y, rr, dx]);
    }
    // the analytic gradient against a central difference of sum(dy · y) (float64, independent of the formula above)
    const d = 6, xv = Array.from(r.normal(d)), wv = Array.from(r.normal(d)), dyv = Array.from(r.normal(d));
    const loss = (xs: number[]) => {
      const ri = 1 / Math.sqrt(xs.reduce((a, v) => a + v * v, 0) / d + 1e-5);
      return xs.reduce((a, v, j) => a + dyv[j] * v * ri * wv[j], 0);
    };
    const x = tf.tensor2d(xv, [1, d]), w = tf.tensor1d(wv), dy = tf.tensor2d(dyv, [1, d]);
    const [y, rr] = run('LlmarRmsNorm', { x, w }, { eps: 1e-5 }) as tf.Tensor[];
    const dx = (run('LlmarRmsNormGrad', { x, w, r: rr, dy }) as tf.Tensor).dataSync();
    for (let j = 0; j < d; j++) {
      const h = 1e-6, p = [...xv], m = [...xv];
      p[j] += h;
      m[j] -= h;
      expect(Math.abs(dx[j] - (loss(p) - loss(m)) / (2 * h))).toBeLessThan(1e-4);
    }
    tf.dispose([x, w, dy, y, rr]);
  });

  it('empty inputs give empty outputs; mismatched shapes are refused', () => {
    const e = tf.zeros([0, 4]);
    expect((run('LlmarSwiGlu', { g: e, u: e }) as tf.Tensor).shape).toEqual([0, 4]);
    const [y, rr] = run('LlmarRmsNorm', { x: e, w: tf.zeros([4]) }, { eps: 1e-5 }) as tf.Tensor[];
    expect(y.shape).toEqual([0, 4]);
    expect(rr.shape).toEqual([0]);
    expect(() => run('LlmarSwiGlu', { g: tf.zeros([2, 3]), u: tf.zeros([3, 2]) })).toThrow(/operands of one shape/);
    expect(() => run('LlmarRmsNorm', { x: tf.zeros([2, 3]), w: tf.zeros([4]) })).toThrow(/do not match x/);
  });
});
