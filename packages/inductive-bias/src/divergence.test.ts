import { describe, it, expect, beforeAll } from 'vitest';
import { tf, initBackend } from '@llmar/tensor';
import { zipfDistribution, klDivergence, jsDivergence, InductiveBiasError } from './index';
import { uniform, kl64, js64, zipf64 } from './test-utils';

function dist(U: number, seed: number, zeros = 0): number[] {
  const u = uniform(U, seed).map((v, i) => (i < zeros ? 0 : v + 0.01));
  const s = u.reduce((a, b) => a + b, 0);
  return u.map((v) => v / s);
}

const val = (t: tf.Tensor) => {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
};

describe('divergences', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('zipfDistribution matches float64 (alpha, beta) and sums to 1; is descending', () => {
    for (const [U, alpha, beta] of [[512, 1, 2.7], [10, 2, 0], [7, 0.5, 1]] as const) {
      const p = zipfDistribution(U, { alpha, beta });
      const ref = zipf64(U, alpha, beta);
      expect(p).toBeInstanceOf(Float32Array);
      // float32 rounding of each value: 1e-7 relative
      for (let i = 0; i < U; i++) expect(Math.abs(p[i] - ref[i])).toBeLessThan(1e-7 * ref[i] + 1e-12);
      for (let i = 1; i < U; i++) expect(p[i]).toBeLessThan(p[i - 1]);
      expect(Math.abs(p.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
    }
    expect(() => zipfDistribution(0)).toThrow(InductiveBiasError);
    expect(() => zipfDistribution(4, { beta: -2 })).toThrow(/beta=-2/);
  });

  it('JS(p, p) = 0 exactly, symmetric, <= ln 2 (disjoint supports reach ln 2)', () => {
    const p = tf.tensor1d(dist(64, 1, 5));
    const q = tf.tensor1d(dist(64, 2));
    expect(val(jsDivergence(p, p))).toBe(0);
    const a = val(jsDivergence(p, q));
    const b = val(jsDivergence(q, p));
    expect(a).toBeGreaterThan(0);
    expect(Math.abs(a - b)).toBeLessThan(1e-7);
    const d1 = tf.tensor1d([0.5, 0.5, 0, 0]);
    const d2 = tf.tensor1d([0, 0, 0.25, 0.75]);
    const j = val(jsDivergence(d1, d2));
    // with eps = 1e-8 inside the logs the value is ln 2 minus O(eps); float32 rounding 1e-6
    expect(j).toBeLessThanOrEqual(Math.LN2 + 1e-6);
    expect(j).toBeGreaterThan(Math.LN2 - 1e-5);
    tf.dispose([p, q, d1, d2]);
  });

  it('KL and JS match float64 references (batched rows, zero entries)', () => {
    const U = 100;
    const P = [dist(U, 3), dist(U, 4, 10), dist(U, 5, 50)];
    const Q = [dist(U, 6), dist(U, 7), dist(U, 8, 3)];
    const p = tf.tensor2d(P);
    const q = tf.tensor2d(Q);
    const kl = klDivergence(p, q);
    const js = jsDivergence(p, q);
    expect(kl.shape).toEqual([3]);
    const klv = kl.dataSync();
    const jsv = js.dataSync();
    for (let r = 0; r < 3; r++) {
      // float32 sums of 100 terms of size ~1e-2 plus the eps shift (p·eps/q ~ 1e-6): 2e-5 absolute
      expect(Math.abs(klv[r] - kl64(P[r], Q[r]))).toBeLessThan(2e-5);
      expect(Math.abs(jsv[r] - js64(P[r], Q[r]))).toBeLessThan(2e-5);
    }
    tf.dispose([p, q, kl, js]);
    expect(() => jsDivergence(tf.zeros([3]), tf.zeros([4]))).toThrow(/P \[3\] and Q \[4\]/);
  });

  it('gradients of KL and JS are finite when P and Q contain exact zeros', () => {
    const P = tf.tensor1d([0, 0.5, 0.5, 0]);
    const Q = tf.tensor1d([0.25, 0, 0.75, 0]);
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.add(jsDivergence(a, b), klDivergence(a, b)) as tf.Scalar)([P, Q]);
    for (const t of g) for (const v of t.dataSync()) expect(Number.isFinite(v)).toBe(true);
    tf.dispose([P, Q, ...g]);
  });
});
