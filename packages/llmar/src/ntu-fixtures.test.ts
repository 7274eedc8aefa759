import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@llmar/tensor';
import { NTU60_CLASS_NAMES } from '@llmar/skeleton-datasets';
import { main } from './program';
import type { RunResult } from './pipeline';

// The real NTU RGB+D `.skeleton` fixtures through the llmar command: reader → protocol → both stages → recognize /
// tokenize on a raw file. Four files: P001 A001 and P008 A058 (X-Sub training subjects), P003 A003 and P003 A017 (test).
const FIX = process.env.LLMAR_FIXTURES;
if (!FIX) console.warn('ntu-fixtures.test.ts skipped: LLMAR_FIXTURES is not set (the NTU .skeleton files live in ../shared/fixtures)');

function capture() {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  return { out: () => out, err: () => err };
}

describe.skipIf(!FIX)('llmar on the real NTU .skeleton fixtures (--dataset ntu60)', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });
  afterEach(() => vi.restoreAllMocks());

  it('train-llm reads the raw files with the ntu60-xsub protocol, then recognize and tokenize take a .skeleton file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmar-ntu-'));
    const cfg = join(dir, 'tiny.json');
    writeFileSync(cfg, JSON.stringify({
      data: { frames: 16 },
      tokenizer: { width: 16, depth: 1, codebookSize: 16, mmdSamples: 16, batchSize: 2, steps: 3, deadCodeThreshold: 0 },
      llm: { random: { dim: 16, nLayers: 1, nHeads: 2, nKvHeads: 2, hiddenDim: 32, vocabSize: 128 } },
      stage2: { lora: { r: 2, alpha: 4, dropout: 0 }, batchSize: 2, microBatch: 2, steps: 2, warmup: 0 },
      eval: { method: 'score', batchSize: 2 },
    }));
    const data = join(FIX!, 'ntu-skeleton');
    const out = join(dir, 'run');
    let io = capture();
    const code = await main(['node', 'llmar', 'train-llm', '--config', cfg, '--dataset', 'ntu60', '--data-dir', data, '--protocol', 'ntu60-xsub', '--backend', 'cpu', '--out', out, '--json']);
    expect(io.err()).toBe('');
    expect(code).toBe(0);
    const r = JSON.parse(io.out()) as RunResult;
    expect(r.dataset).toContain('4 samples');
    expect(r.trainSamples).toBe(2); // P001 and P008 are X-Sub training subjects
    expect(r.testSamples).toBe(2); // P003 twice
    expect(r.classNames).toEqual([...NTU60_CLASS_NAMES]);
    expect(r.metrics.n).toBe(2);
    expect(r.stage2.history.every((h) => Number.isFinite(h.loss))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(manifest.inputDim).toBe(2 * 25 * 3);
    vi.restoreAllMocks();

    io = capture();
    const file = join(data, 'S001C003P008R002A058.skeleton');
    expect(await main(['node', 'llmar', 'recognize', file, '--out', out, '--backend', 'cpu', '--top', '60', '--json'])).toBe(0);
    const [rec] = JSON.parse(io.out()) as { file: string; ranking: { name: string; score: number }[] }[];
    expect(rec.file).toBe(file);
    expect(rec.ranking).toHaveLength(60);
    expect(new Set(rec.ranking.map((x) => x.name))).toEqual(new Set(NTU60_CLASS_NAMES));
    for (let i = 1; i < rec.ranking.length; i++) expect(rec.ranking[i].score).toBeLessThanOrEqual(rec.ranking[i - 1].score);
    vi.restoreAllMocks();

    io = capture();
    expect(await main(['node', 'llmar', 'tokenize', file, '--out', out, '--backend', 'cpu', '--json'])).toBe(0);
    const s = JSON.parse(io.out()) as { tokens: number[] };
    expect(s.tokens).toHaveLength(16 / 4);
    for (const t of s.tokens) expect(Number.isInteger(t) && t >= 0 && t < 16).toBe(true);
  }, 120_000);
});
