import { describe, it, expect, beforeAll } from 'vitest';
import { tf, initBackend } from '@llmar/tensor';
import { gumbelUsage, gumbelNoise } from './index';
import { normals } from './test-utils';

describe('gumbelUsage', () => {
  beforeAll(async () => {
    await initBackend();
  });

  const B = 3;
  const W = 7;
  const U = 5;
  const L = normals(B * W * U, 4);

  it('hard counts: rows sum to W, equal the argmax counts of logits + noise, reproducible by seed', () => {
    const logits = tf.tensor3d(L, [B, W, U]);
    const noise = gumbelNoise([B, W, U], 11);
    const n = gumbelUsage(logits, { noise });
    const nv = n.arraySync();
    const g = noise.dataSync();
    for (let b = 0; b < B; b++) {
      expect(nv[b].reduce((s, v) => s + v, 0)).toBe(W);
      const want = new Array(U).fill(0);
      for (let w = 0; w < W; w++) {
        const o = (b * W + w) * U;
        let k = 0;
        for (let u = 1; u < U; u++) if (L[o + u] + g[o + u] > L[o + k] + g[o + k]) k = u;
        want[k]++;
      }
      expect(nv[b]).toEqual(want);
    }
    // the seed fixes the draw; the noise tensor and the seed give the same counts
    expect(gumbelUsage(logits, { seed: 11 }).arraySync()).toEqual(nv);
    const other = [12, 13, 14].map((s) => JSON.stringify(gumbelUsage(logits, { seed: s }).arraySync()));
    expect(other.some((o) => o !== JSON.stringify(nv))).toBe(true);
    // [W, U] is one sentence
    expect(gumbelUsage(tf.tensor2d(L.slice(0, W * U), [W, U]), { seed: 1 }).shape).toEqual([1, U]);
    tf.dispose([logits, noise]);
  });

  it('gradient is finite and equals the soft Gumbel-softmax gradient (float64 closed form), for tau 1 and 0.5', () => {
    const a = normals(B * U, 8); // loss = Σ_b,u a_bu n_bu
    for (const tau of [1, 0.5]) {
      const logits = tf.tensor3d(L, [B, W, U]);
      const noise = gumbelNoise([B, W, U], 5);
      const at = tf.tensor2d(a, [B, U]);
      const gHard = tf.grad((l: tf.Tensor) => tf.sum(tf.mul(gumbelUsage(l, { noise, tau }), at)))(logits).dataSync();
      const gSoft = tf.grad((l: tf.Tensor) => tf.sum(tf.mul(gumbelUsage(l, { noise, tau, hard: false }), at)))(logits).dataSync();
      const g = noise.dataSync();
      for (let b = 0; b < B; b++)
        for (let w = 0; w < W; w++) {
          const o = (b * W + w) * U;
          const z = Array.from({ length: U }, (_, u) => (L[o + u] + g[o + u]) / tau);
          const mx = Math.max(...z);
          const e = z.map((v) => Math.exp(v - mx));
          const s = e.reduce((p, q) => p + q, 0);
          const y = e.map((v) => v / s);
          const ya = y.reduce((p, q, u) => p + q * a[b * U + u], 0);
          for (let u = 0; u < U; u++) {
            // d/dl_u Σ_k a_k softmax(z)_k = (1/τ) y_u (a_u − Σ_k y_k a_k); float32 softmax: 1e-5 absolute
            const want = (y[u] * (a[b * U + u] - ya)) / tau;
            expect(Number.isFinite(gHard[o + u])).toBe(true);
            expect(Math.abs(gHard[o + u] - want)).toBeLessThan(1e-5);
            expect(Math.abs(gSoft[o + u] - want)).toBeLessThan(1e-5);
          }
        }
      const soft = gumbelUsage(logits, { noise, tau, hard: false }).arraySync();
      for (const row of soft) expect(Math.abs(row.reduce((p, q) => p + q, 0) - W)).toBeLessThan(1e-5);
      tf.dispose([logits, noise, at]);
    }
  });

  it('extreme logits (huge distances) keep finite values and gradients', () => {
    const logits = tf.tensor3d(L.map((v) => v * 1e4), [B, W, U]);
    const g = tf.grad((l: tf.Tensor) => tf.sum(tf.square(gumbelUsage(l, { seed: 2, tau: 0.1 }))))(logits);
    for (const v of g.dataSync()) expect(Number.isFinite(v)).toBe(true);
    expect(() => gumbelUsage(logits, { tau: 0 })).toThrow(/tau=0/);
    expect(() => gumbelUsage(tf.zeros([U]))).toThrow(/logits \[5\]/);
    tf.dispose([logits, g]);
  });
});
