import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, Rng, tf } from '@llmar/tensor';
import { makeConfig } from './config';
import { Llama } from './model';
import { scoreCandidates } from './score';

beforeAll(async () => {
  await initBackend();
});

const cfg = makeConfig({ dim: 32, hiddenDim: 48, nLayers: 2, nHeads: 4, nKvHeads: 2, vocabSize: 64, maxSeqLen: 24, ropeStyle: 'adjacent' });

/** Log-probs of `cand` after the prompt, by one full forward pass over prompt ++ candidate (no cache, no batching). */
function alone(m: Llama, input: { ids?: number[]; embeds?: tf.Tensor2D }, cand: number[]): number[] {
  return tf.tidy(() => {
    const P = input.ids ? input.ids.length : input.embeds!.shape[0];
    const logits = input.ids
      ? m.forward({ ids: tf.tensor2d([[...input.ids, ...cand]], [1, P + cand.length], 'int32') })
      : m.forward({ embeds: tf.concat([input.embeds!, m.embedTokens(tf.tensor2d([cand], [1, cand.length], 'int32')).squeeze([0])]).expandDims(0) as tf.Tensor3D });
    const lp = tf.logSoftmax(logits).arraySync() as number[][][];
    return cand.map((tok, i) => lp[0][P - 1 + i][tok]);
  });
}

/** A model with larger weights than Llama.random's 0.02, so that log-probs differ clearly between tokens. */
function spiky(seed: number): Llama {
  const m = Llama.random(cfg, seed);
  for (const n of m.weightNames()) if (m.getWeight(n).rank === 2) tf.tidy(() => m.setWeight(n, m.getWeight(n).mul(15)));
  return m;
}

describe('scoreCandidates', () => {
  it('equals scoring each candidate alone with a full forward pass (<= 1e-4), across batches and lengths', () => {
    const m = spiky(1);
    const prompt = [1, 12, 40, 7, 3, 22];
    const cands = [[5], [9, 2, 33], [60, 1], [8, 8, 8, 8], [17], [0, 44, 45]];
    scoreCandidates(m, prompt, cands.slice(0, 1)); // warm the model's own caches (transposed copies on stock wasm)
    const before = tf.memory().numTensors;
    const got = scoreCandidates(m, prompt, cands, { batchSize: 4 });
    expect(tf.memory().numTensors).toBe(before);
    let spread = 0;
    cands.forEach((c, i) => {
      const want = alone(m, { ids: prompt }, c);
      expect(got[i].perToken).toHaveLength(c.length);
      got[i].perToken.forEach((x, j) => expect(Math.abs(x - want[j])).toBeLessThanOrEqual(1e-4));
      const sum = want.reduce((a, b) => a + b, 0);
      expect(Math.abs(got[i].sum - sum)).toBeLessThanOrEqual(1e-4);
      expect(got[i].mean).toBeCloseTo(got[i].sum / c.length, 10);
      spread = Math.max(spread, Math.abs(got[i].mean - got[0].mean));
    });
    expect(spread).toBeGreaterThan(0.1); // the scores discriminate
    // batch size does not change the answer
    const one = scoreCandidates(m, prompt, cands, { batchSize: 1 });
    one.forEach((s, i) => expect(Math.abs(s.sum - got[i].sum)).toBeLessThanOrEqual(1e-4));
    m.dispose();
  });

  it('takes the prompt as input embeddings [P, d] (e.g. action-token vectors)', () => {
    const m = spiky(2);
    const rng = new Rng(7);
    const P = 5;
    const embeds = tf.tensor2d(Array.from({ length: P * cfg.dim }, () => rng.normal()), [P, cfg.dim]);
    const cands = [[3, 4], [10], [50, 51, 52]];
    const got = scoreCandidates(m, { embeds }, cands, { batchSize: 2 });
    cands.forEach((c, i) => {
      const want = alone(m, { embeds }, c);
      got[i].perToken.forEach((x, j) => expect(Math.abs(x - want[j])).toBeLessThanOrEqual(1e-4));
    });
    // ids and their own embeddings give the same scores
    const ids = [1, 2, 3];
    const e = tf.tidy(() => m.embedTokens(tf.tensor2d([ids], [1, 3], 'int32')).squeeze([0]) as tf.Tensor2D);
    const a = scoreCandidates(m, ids, cands);
    const b = scoreCandidates(m, { embeds: e }, cands);
    a.forEach((s, i) => expect(Math.abs(s.sum - b[i].sum)).toBeLessThanOrEqual(1e-5));
    tf.dispose([embeds, e]);
    m.dispose();
  });

  it('rejects empty prompts and candidates, bad ids and overlong inputs', () => {
    const m = Llama.random(cfg, 3);
    expect(() => scoreCandidates(m, [], [[1]])).toThrow(/BAD_OPTION.*prompt is empty/);
    expect(() => scoreCandidates(m, [1], [[2], []])).toThrow(/candidate 1 is empty/);
    expect(() => scoreCandidates(m, [1], [[64]])).toThrow(/token id 64/);
    expect(() => scoreCandidates(m, Array(20).fill(1), [[1, 2, 3, 4, 5, 6]])).toThrow(/maxSeqLen 24/);
    expect(() => scoreCandidates(m, [1], [[1]], { batchSize: 0 })).toThrow(/batchSize/);
    m.dispose();
  });
});
