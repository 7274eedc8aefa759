import { describe, it, expect, beforeAll } from 'vitest';
import { tf, initBackend, Rng } from '@llmar/tensor';
import { biasLoss, zipfLoss, contextLoss, mmd, pairedTokenPermutation, InductiveBiasError } from './index';
import { uniform, normals } from './test-utils';

describe('biasLoss', () => {
  beforeAll(async () => {
    await initBackend();
  });

  const B = 3;
  const U = 16;
  const d = 4;
  const usageArr = uniform(B * U, 3).map((v) => Math.floor(v * 4));
  const pairing = pairedTokenPermutation(U, 2);

  it('total is the weighted sum of the separately computed terms; off terms are absent and not needed', () => {
    const usage = tf.tensor2d(usageArr, [B, U]);
    const C = tf.tensor2d(normals(U * d, 4), [U, d]);
    const T = tf.tensor2d(normals(40 * d, 5), [40, d]);
    const r = biasLoss({ usage, pairing, codebookEuclidean: C, wordEmbeddings: T }, { zipf: { weight: 2 }, mmd: { weight: 0.5 } });
    const z = zipfLoss(usage).dataSync()[0];
    const c = contextLoss(usage, pairing).dataSync()[0];
    const m = mmd(C, T).dataSync()[0];
    expect(r.zipf!.dataSync()[0]).toBeCloseTo(z, 6);
    expect(r.context!.dataSync()[0]).toBeCloseTo(c, 6);
    expect(r.mmd!.dataSync()[0]).toBeCloseTo(m, 6);
    expect(Math.abs(r.total.dataSync()[0] - (2 * z + c + 0.5 * m))).toBeLessThan(1e-6);
    // mmd off: no codebook or embeddings needed, term absent
    const r2 = biasLoss({ usage, pairing }, { mmd: { enabled: false } });
    expect(r2.mmd).toBeUndefined();
    expect(Math.abs(r2.total.dataSync()[0] - (z + c))).toBeLessThan(1e-6);
    const r3 = biasLoss({}, { zipf: { enabled: false }, context: { enabled: false }, mmd: { enabled: false } });
    expect(r3.total.dataSync()[0]).toBe(0);
    tf.dispose([usage, C, T]);
  });

  it('names the missing input of an enabled term', () => {
    const usage = tf.ones([2, U]);
    expect(() => biasLoss({ usage }, { mmd: { enabled: false } })).toThrow(/inputs.pairing/);
    try {
      biasLoss({ usage, pairing }, {});
    } catch (e) {
      expect((e as InductiveBiasError).code).toBe('MISSING_INPUT');
      expect((e as Error).message).toMatch(/codebookEuclidean/);
    }
    usage.dispose();
  });

  it('subsamples word embeddings with the rng; gradients reach usage and codebook and are finite; no leaks', () => {
    const usage = tf.tensor2d(usageArr, [B, U]);
    const C = tf.variable(tf.tensor2d(normals(U * d, 4), [U, d]));
    const T = tf.tensor2d(normals(100 * d, 5), [100, d]);
    const rng = new Rng(1);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const { value, grads } = tf.variableGrads(() => biasLoss({ usage, pairing, codebookEuclidean: C, wordEmbeddings: T, rng }, { mmd: { sampleSize: U } }).total);
      for (const v of grads[C.name].dataSync()) expect(Number.isFinite(v)).toBe(true);
      expect(Number.isFinite(value.dataSync()[0])).toBe(true);
      tf.dispose([value, ...Object.values(grads)]);
      expect(tf.memory().numTensors).toBe(before);
    }
    const gu = tf.grad((u: tf.Tensor) => biasLoss({ usage: u, pairing }, { mmd: { enabled: false } }).total)(usage);
    for (const v of gu.dataSync()) expect(Number.isFinite(v)).toBe(true);
    expect(() => biasLoss({ usage, pairing, codebookEuclidean: C, wordEmbeddings: T }, { mmd: { sampleSize: 8 } })).toThrow(/inputs.rng/);
    tf.dispose([usage, C, T, gu]);
  });
});
