import { describe, it, expect, beforeAll } from 'vitest';
import { tf, initBackend } from '@llmar/tensor';
import { contextLoss, pairedTokenPermutation, InductiveBiasError } from './index';
import { uniform, contextLoss64, rows } from './test-utils';

const val = (t: tf.Tensor) => {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
};

describe('context loss and token pairing', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('pairedTokenPermutation is a seeded permutation; odd U is refused', () => {
    const a = pairedTokenPermutation(512, 7);
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 512 }, (_, i) => i));
    expect(Array.from(pairedTokenPermutation(512, 7))).toEqual(Array.from(a));
    expect(Array.from(pairedTokenPermutation(512, 8))).not.toEqual(Array.from(a));
    expect(() => pairedTokenPermutation(7, 1)).toThrow(InductiveBiasError);
    try {
      pairedTokenPermutation(7, 1);
    } catch (e) {
      expect((e as InductiveBiasError).code).toBe('ODD_CODEBOOK');
    }
  });

  it('reaches -1 when every pair is used equally and 0 when one side of each pair is used', () => {
    const U = 16;
    const W = 32;
    const perm = pairedTokenPermutation(U, 3);
    const h = U / 2;
    const equal = new Array(U).fill(0);
    for (let u = 0; u < h; u++) {
      equal[perm[u]] = 2;
      equal[perm[u + h]] = 2;
    }
    const oneSide = new Array(U).fill(0);
    for (let u = 0; u < h; u++) oneSide[u % 2 ? perm[u] : perm[u + h]] = 4;
    const t = tf.tensor2d([equal, equal.map((v) => v)]);
    expect(Math.abs(val(contextLoss(t, perm)) + 1)).toBeLessThan(1e-6);
    expect(Math.abs(val(contextLoss(t, perm, { tokensPerSentence: W })) + 1)).toBeLessThan(1e-6);
    expect(Math.abs(val(contextLoss(tf.tensor1d(oneSide), perm)))).toBe(0); // exactly (−0)
    // with pairs used unequally the loss is strictly between -1 and 0
    const mixed = equal.slice();
    mixed[perm[0]] = 3;
    mixed[perm[h]] = 1;
    const l = val(contextLoss(tf.tensor1d(mixed), perm));
    expect(l).toBeGreaterThan(-1);
    expect(l).toBeLessThan(0);
    t.dispose();
  });

  it('matches a direct float64 computation on random counts and stays in [-1, 0]', () => {
    const B = 5;
    const U = 64;
    const perm = pairedTokenPermutation(U, 11);
    const R = rows(uniform(B * U, 5).map((v) => Math.floor(v * v * 6)), B, U);
    const t = tf.tensor2d(R);
    const got = val(contextLoss(t, perm));
    // float32 sums of small integers divided by W: 1e-6
    expect(Math.abs(got - contextLoss64(R, perm))).toBeLessThan(1e-6);
    expect(got).toBeGreaterThanOrEqual(-1);
    expect(got).toBeLessThanOrEqual(0);
    expect(Math.abs(val(contextLoss(t, perm, { tokensPerSentence: 100 })) - contextLoss64(R, perm, 100))).toBeLessThan(1e-6);
    expect(Math.abs(val(contextLoss(t, perm, 100)) - contextLoss64(R, perm, 100))).toBeLessThan(1e-6);
    t.dispose();
  });

  it('gradient is finite with zero counts and equals the subgradient of the min', () => {
    const U = 4;
    const perm = Int32Array.from([0, 1, 2, 3]); // pairs (0, 2), (1, 3)
    const u = tf.tensor2d([[0, 3, 1, 0]]);
    const g = tf.grad((a: tf.Tensor) => contextLoss(a, perm))(u).dataSync();
    // W = 4 detached: d/dn of −(2/4)(min(n0, n2) + min(n1, n3)) = −0.5 on the smaller side of each pair
    expect(Array.from(g)).toEqual([-0.5, 0, 0, -0.5]);
    u.dispose();
    expect(U).toBe(4);
  });

  it('refuses a pairing that is not a permutation or has the wrong length', () => {
    const u = tf.ones([2, 4]);
    expect(() => contextLoss(u, [0, 1, 2])).toThrow(/pairing has length 3/);
    expect(() => contextLoss(u, [0, 1, 1, 3])).toThrow(/entry 2 = 1/);
    expect(() => contextLoss(tf.ones([2, 5]), [0, 1, 2, 3, 4])).toThrow(/U=5/);
    u.dispose();
  });
});
