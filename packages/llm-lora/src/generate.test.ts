import { describe, it, expect, beforeAll } from 'vitest';
import { tf, initBackend, Rng } from '@llmar/tensor';
import { generate, generateBatch, sampleToken } from './generate';
import { Llama } from './model';
import { makeConfig } from './config';
import { LlmError } from './errors';

beforeAll(async () => {
  await initBackend();
});

const cfg = makeConfig({ dim: 32, hiddenDim: 48, nLayers: 2, nHeads: 4, nKvHeads: 2, vocabSize: 50, maxSeqLen: 24 });

/** A random model whose weights are large enough to give peaked, prompt-dependent distributions. */
function peaked(seed: number): Llama {
  const m = Llama.random(cfg, seed);
  for (const n of m.weightNames()) if (m.getWeight(n).rank === 2) tf.tidy(() => m.setWeight(n, m.getWeight(n).mul(15)));
  return m;
}

describe('sampleToken', () => {
  const logits = Float32Array.from([0.5, 2, -1, 2, 1.5, -3]);
  it('greedy takes the first maximum; topK 1 and tiny topP reduce to it', () => {
    const rng = new Rng(1);
    expect(sampleToken(logits, rng, 0)).toBe(1);
    for (let i = 0; i < 20; i++) expect(sampleToken(logits, rng, 1, 1)).toBe(1);
    for (let i = 0; i < 20; i++) expect(sampleToken(logits, rng, 1, 0, 1e-6)).toBe(1);
  });

  it('temperature sampling matches the softmax frequencies (4 sigma); topK/topP restrict the support', () => {
    const rng = new Rng(7);
    const N = 20000;
    const T = 0.8;
    const z = Array.from(logits, (v) => Math.exp(v / T));
    const s = z.reduce((a, b) => a + b, 0);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < N; i++) counts[sampleToken(logits, rng, T)]++;
    counts.forEach((c, i) => {
      const p = z[i] / s;
      expect(Math.abs(c / N - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / N) + 1e-9);
    });
    const k3 = new Set(Array.from({ length: 500 }, () => sampleToken(logits, rng, 1, 3)));
    expect([...k3].sort()).toEqual([1, 3, 4]);
    // p(1) = p(3) ≈ 0.35 each at T = 1: topP 0.6 keeps exactly ids 1 and 3
    const p6 = new Set(Array.from({ length: 500 }, () => sampleToken(logits, rng, 1, 0, 0.6)));
    expect([...p6].sort()).toEqual([1, 3]);
  });
});

describe('generate', () => {
  it('is reproducible per seed, honours stop tokens, maxNewTokens and maxSeqLen, and leaks nothing', () => {
    const m = peaked(3);
    const greedy = generate(m, [1, 2, 3], { maxNewTokens: 10 });
    expect(greedy.length).toBe(10);
    const a = generate(m, [1, 2, 3], { maxNewTokens: 10, temperature: 1, seed: 5 });
    const b = generate(m, [1, 2, 3], { maxNewTokens: 10, temperature: 1, seed: 5 });
    expect(a).toEqual(b);
    const stopAt = greedy[4];
    const first = greedy.indexOf(stopAt);
    expect(generate(m, [1, 2, 3], { maxNewTokens: 10, stop: [stopAt] })).toEqual(greedy.slice(0, first));
    const seen: number[] = [];
    const long = generate(m, [1, 2, 3], { maxNewTokens: 100, onToken: (id) => seen.push(id) });
    expect(long.length).toBe(cfg.maxSeqLen - 3 + 1); // the last token is produced from position maxSeqLen-1
    expect(seen).toEqual(long);
    const before = tf.memory().numTensors;
    generate(m, [1, 2, 3], { maxNewTokens: 8, temperature: 0.7, topK: 5, topP: 0.9 });
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  it('an embeddings prompt generates what its token ids generate', () => {
    const m = peaked(4);
    const ids = [1, 7, 9, 30];
    const emb = tf.tidy(() => m.embedTokens(tf.tensor2d([ids], [1, 4], 'int32')));
    expect(generate(m, { embeds: emb }, { maxNewTokens: 8 })).toEqual(generate(m, ids, { maxNewTokens: 8 }));
    emb.dispose();
    m.dispose();
  });

  it('rejects bad options with LlmError', () => {
    const m = Llama.random(cfg, 1);
    const bad = (o: object, p: number[] = [1]) => () => generate(m, p, { maxNewTokens: 3, ...o });
    expect(bad({ maxNewTokens: -1 })).toThrow(LlmError);
    expect(bad({ temperature: -0.5 })).toThrow(/temperature/);
    expect(bad({ topP: 0 })).toThrow(/topP/);
    expect(bad({ topK: 1.5 })).toThrow(/topK/);
    expect(bad({}, [])).toThrow(/empty/);
    expect(bad({}, Array(25).fill(1))).toThrow(/maxSeqLen 24/);
    expect(bad({}, [50])).toThrow(/token id 50/);
    m.dispose();
  });

  it('generateBatch gives each prompt what generate gives it alone (greedy and seeded sampling), stops rows independently', () => {
    const m = peaked(5);
    const prompts = [[1, 4, 9, 16, 25, 36], [1, 2], [1, 7, 7, 3]];
    const alone = prompts.map((p) => generate(m, p, { maxNewTokens: 6 }));
    expect(generateBatch(m, prompts, { maxNewTokens: 6 })).toEqual(alone);
    const sampled = prompts.map((p, b) => generate(m, p, { maxNewTokens: 6, temperature: 1, seed: 9 + b }));
    expect(generateBatch(m, prompts, { maxNewTokens: 6, temperature: 1, seed: 9 })).toEqual(sampled);
    const stopId = alone[1][2];
    const stopped = generateBatch(m, prompts, { maxNewTokens: 6, stop: [stopId] });
    stopped.forEach((row, b) => {
      const k = alone[b].indexOf(stopId);
      expect(row).toEqual(k < 0 ? alone[b] : alone[b].slice(0, k));
    });
    // embeddings prompts, left-padded by the caller
    const before = tf.memory().numTensors;
    const viaEmbeds = tf.tidy(() => {
      const ids = prompts.map((p) => [...Array(6 - p.length).fill(0), ...p]);
      const mask = prompts.map((p) => [...Array(6 - p.length).fill(0), ...Array(p.length).fill(1)]);
      const embeds = m.embedTokens(tf.tensor2d(ids, [3, 6], 'int32'));
      return generateBatch(m, { embeds, padMask: tf.tensor2d(mask, [3, 6]) }, { maxNewTokens: 6 });
    });
    expect(viaEmbeds).toEqual(alone);
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });
});
