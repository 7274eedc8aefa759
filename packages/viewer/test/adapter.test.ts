import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SYNTHETIC_CLASS_NAMES, generateSyntheticDataset, type SkeletonSample } from '@llmar/skeleton-datasets';
import { adaptLlmarRecognizer, pairedPositions, zipfTarget, type LlmarRecognizerLike } from '../src/adapter';
import { ViewerApi } from '../src/api';
import { fakeRecognizer, fakeTokenize } from './fake-recognizer';

describe('adapter helpers', () => {
  it('zipfTarget is (k + 2.7)^-1 normalised (float64, 1e-15)', () => {
    const z = zipfTarget(5);
    const raw = [1, 2, 3, 4, 5].map((k) => 1 / (k + 2.7));
    const s = raw.reduce((a, b) => a + b, 0);
    z.forEach((v, i) => expect(Math.abs(v - raw[i] / s)).toBeLessThan(1e-15));
  });

  it('pairedPositions follows the pairing permutation (pairing[u] ↔ pairing[u + U/2]) and picks the nearest partner', () => {
    const pairing = [3, 0, 5, 1, 2, 4]; // pairs: 3↔1, 0↔2, 5↔4
    expect(pairedPositions([3, 4, 1, 0, 2, 1], pairing)).toEqual([2, undefined, 0, 4, 3, 0]);
    expect(pairedPositions([5, 5, 5], pairing)).toEqual([undefined, undefined, undefined]);
  });
});

/** TEST DOUBLE of llmar's Recognizer shape (structural), not a model. */
function fakeLlmar(): LlmarRecognizerLike & { generated: number } {
  const me = {
    generated: 0,
    classNames: ['a', 'b', 'c'],
    manifest: { config: { data: { frames: 32 } } },
    tokenizer: { options: { codebookSize: 4 }, pairing: [0, 1, 2, 3] }, // 0↔2, 1↔3
    tokenize: (s: SkeletonSample) => ({ tokens: [s.frames % 4, 2, 1, 0, 3, 3, 0, 1] }),
    recognize: () => [{ name: 'c', label: 2, score: -0.5 }, { name: 'a', label: 0, score: -1.5 }, { name: 'b', label: 1, score: -4 }],
    generate: () => { me.generated++; return 'c'; },
  };
  return me;
}

describe('adaptLlmarRecognizer', () => {
  const sample = generateSyntheticDataset({ seed: 0, subjects: 1, cameras: 1, repetitions: 1, classes: 1 })[0];

  it('gives V / W frames per token, the pairing, ranked names with scores and the generation', async () => {
    const f = fakeLlmar();
    const r = adaptLlmarRecognizer(f);
    const t = await r.tokenize(sample);
    expect(t.framesPerToken).toBe(4);
    expect(t.tokens[1]).toBe(2);
    expect(t.pairedWith).toEqual(pairedPositions(t.tokens, [0, 1, 2, 3]));
    expect(await r.recognize(sample)).toEqual({ ranked: [{ name: 'c', score: -0.5 }, { name: 'a', score: -1.5 }, { name: 'b', score: -4 }], generated: 'c' });
    expect(r.codebookSize).toBe(4);
    expect(r.usage).toBeUndefined();
    expect(await adaptLlmarRecognizer(f, { generate: false }).recognize(sample)).toMatchObject({ generated: undefined });
  });

  it('reads the run\'s rank-frequency from metrics.json', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmar-view-run-'));
    try {
      writeFileSync(join(dir, 'metrics.json'), JSON.stringify({ testHealth: { rankFrequency: [9, 4, 1, 0] } }));
      const u = adaptLlmarRecognizer(fakeLlmar(), { runDir: dir }).usage!;
      expect(u.rankFrequency).toEqual([9, 4, 1, 0]);
      expect(u.zipfTarget).toEqual(zipfTarget(4));
      expect(u.codebookCounts).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('usage computed by the viewer when the run brings none', () => {
  it('counts every token of the first N samples (independent recount)', async () => {
    const classes = [...SYNTHETIC_CLASS_NAMES];
    const rec = fakeRecognizer(classes, 32);
    delete (rec as { usage?: unknown }).usage;
    const api = new ViewerApi({ recognizer: rec, usageSamples: 5 });
    const u = await api.usage();
    if (!u.available) throw new Error(u.reason);
    const samples = generateSyntheticDataset({ seed: 0, subjects: 2, cameras: 1, repetitions: 1 }).slice(0, 5);
    const want = new Array(32).fill(0);
    for (const s of samples) for (const t of fakeTokenize(s, 32).tokens) want[t]++;
    expect(u.usage.codebookCounts).toEqual(want);
    expect(u.usage.rankFrequency).toEqual([...want].sort((a, b) => b - a));
    expect(u.usage.rankFrequency.reduce((a, b) => a + b, 0)).toBe(5 * 16);
    expect(u.source).toContain('first 5 loaded samples');
    expect(await api.usage()).toBe(u); // computed once
  });
});
