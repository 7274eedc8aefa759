import { describe, it, expect, beforeAll } from 'vitest';
import { tf, initBackend } from '@llmar/tensor';
import { zipfLoss, sortDescending, zipfDistribution } from './index';
import { uniform, zipfLoss64, rows } from './test-utils';

const val = (t: tf.Tensor) => {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
};

describe('zipfLoss', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('sortDescending sorts and routes gradients to the original positions', () => {
    const x = tf.tensor1d([0.2, 0.9, 0.1, 0.5]);
    const s = sortDescending(x);
    expect(Array.from(s.dataSync())).toEqual(Array.from(Float32Array.from([0.9, 0.5, 0.2, 0.1])));
    // d/dx Σ_k w_k sorted_k = w at the rank of each x
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(sortDescending(a as tf.Tensor1D), tf.tensor1d([1, 2, 3, 4]))))(x);
    expect(Array.from(g.dataSync())).toEqual([3, 1, 4, 2]);
    tf.dispose([x, s, g]);
  });

  it('is ~0 for a usage that follows the target (in any order) and matches the float64 reference', () => {
    const U = 512;
    const z = zipfDistribution(U);
    const perm = uniform(U, 9).map((v, i) => [v, i]).sort((a, b) => a[0] - b[0]).map((p) => p[1]);
    const counts = perm.map((i) => z[i] * 10000);
    const u = tf.tensor2d([counts.map((c) => c * 0.25), counts.map((c) => c * 0.75)]);
    // float32 JS of two equal-up-to-rounding distributions: below 1e-6
    expect(val(zipfLoss(u))).toBeLessThan(1e-6);
    const R = rows(uniform(4 * U, 11).map((v) => Math.floor(v * 8)), 4, U);
    const r = tf.tensor2d(R);
    expect(Math.abs(val(zipfLoss(r)) - zipfLoss64(R))).toBeLessThan(1e-5);
    tf.dispose([u, r]);
  });

  it('grows monotonically as usage collapses onto one token', () => {
    const U = 64;
    const z = Array.from(zipfDistribution(U));
    let prev = -1;
    for (const t of [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1]) {
      // (1 − t)·P_zipf + t·δ: JS is convex in P and 0 at t = 0, so it is nondecreasing in t (strictly here)
      const counts = z.map((p, i) => 1000 * ((1 - t) * p + (i === 17 ? t : 0)));
      const l = val(zipfLoss(tf.tensor1d(counts)));
      expect(l).toBeGreaterThan(prev);
      prev = l;
    }
    expect(prev).toBeLessThanOrEqual(Math.LN2 + 1e-6);
  });

  it('gradient w.r.t. usage matches central finite differences of the float64 reference and of itself', () => {
    const B = 2;
    const U = 16;
    const flat = uniform(B * U, 21).map((v) => 1 + 9 * v); // distinct positive counts: the sort is locally fixed
    const u = tf.tensor2d(flat, [B, U]);
    const g = tf.grad((a: tf.Tensor) => zipfLoss(a))(u).dataSync();
    const h64 = 1e-5;
    const h32 = 2e-2;
    let maxG = 0;
    for (const v of g) maxG = Math.max(maxG, Math.abs(v));
    for (let i = 0; i < B * U; i++) {
      const plus = flat.slice();
      const minus = flat.slice();
      plus[i] += h64;
      minus[i] -= h64;
      const fd64 = (zipfLoss64(rows(plus, B, U)) - zipfLoss64(rows(minus, B, U))) / (2 * h64);
      // float32 forward/backward vs float64 FD: 1e-3 relative to the largest gradient entry
      expect(Math.abs(g[i] - fd64)).toBeLessThan(1e-3 * maxG);
      plus[i] = flat[i] + h32;
      minus[i] = flat[i] - h32;
      const fd32 = (val(zipfLoss(tf.tensor2d(plus, [B, U]))) - val(zipfLoss(tf.tensor2d(minus, [B, U])))) / (2 * h32);
      // float32 FD: loss rounding ~1e-8 / (2h) plus O(h²) curvature → 2e-2 relative to the largest entry
      expect(Math.abs(g[i] - fd32)).toBeLessThan(2e-2 * maxG);
    }
    u.dispose();
  });

  it('gradients are finite when some usages are exactly zero, and memory stays flat', () => {
    const u = tf.tensor2d([[0, 3, 0, 1, 0, 0, 4, 0], [0, 0, 0, 2, 0, 1, 0, 0]]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const g = tf.tidy(() => tf.grad((a: tf.Tensor) => zipfLoss(a))(u));
      for (const v of g.dataSync()) expect(Number.isFinite(v)).toBe(true);
      g.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
    u.dispose();
  });

  it('checks shapes and the target length', () => {
    expect(() => zipfLoss(tf.zeros([2, 2, 2]))).toThrow(/usage \[2,2,2\]/);
    expect(() => zipfLoss(tf.ones([4]), { target: [0.5, 0.5] })).toThrow(/target has length 2/);
  });
});
