import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, copyFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@llmar/tensor';
import { trainAndEvaluate, StoppedForTest, type RunResult } from './pipeline';
import { Recognizer } from './recognizer';
import { loadSamples, loadSplitData } from './dataset';
import { prepareSequences } from './data';
import { readCheckpoint } from './checkpoint';
import { writeReport } from './report';
import { exportRun } from './export';
import { tinyConfig } from './testing';

// A small synthetic task: 4 distinct actions, 2 training subjects, 1 test subject, 3 cameras.
const config = tinyConfig({
  data: { frames: 32, align: true, synthetic: { subjects: 3, cameras: 3, repetitions: 2, names: ['raise both arms', 'kick', 'squat', 'bow'] } },
  tokenizer: { width: 32, codebookSize: 32, steps: 300, deadCodeThreshold: 1 },
  llm: { random: { dim: 64, nLayers: 2, nHeads: 4, nKvHeads: 4, hiddenDim: 172, vocabSize: 256 } },
  stage2: { steps: 150, batchSize: 16, microBatch: 16, warmup: 10, lr: 5e-3, lora: { r: 16, alpha: 32 } },
  run: { checkpointEvery: 20, logEvery: 5 },
});
let dir: string;
let result: RunResult;

describe('end to end on a small synthetic set', () => {
  beforeAll(async () => {
    await initBackend();
    dir = mkdtempSync(join(tmpdir(), 'llmar-e2e-'));
    result = trainAndEvaluate({ config, outDir: dir });
  }, 600_000);

  it('training lowers both losses and recognition beats chance by a wide margin', () => {
    const h1 = result.stage1.history;
    expect(h1[h1.length - 1].rec).toBeLessThan(h1[0].rec);
    const h2 = result.stage2.history;
    expect(h2[h2.length - 1].loss).toBeLessThan(0.5 * h2[0].loss);
    expect(result.testClasses.length).toBe(4);
    console.log(`e2e: top-1 ${(100 * result.metrics.top1).toFixed(1)} % on ${result.testSamples} held-out samples (chance 25 %)`);
    // chance is 25 %
    expect(result.metrics.top1).toBeGreaterThanOrEqual(0.5);
    expect(result.metrics.top5).toBe(1);
    const n = result.metrics.confusion.flat().reduce((a, b) => a + b, 0);
    expect(n).toBe(result.testSamples);
    const out = writeReport(dir, result);
    for (const f of ['metrics.json', 'summary.md', 'loss-stage1.svg', 'loss-stage2.svg', 'rank-frequency.svg', 'confusion.svg']) expect(existsSync(join(out, f)), f).toBe(true);
  });

  it('the Recognizer loads the saved run and gives the same predictions as at the end of training', () => {
    const rec = Recognizer.load(dir);
    const data = loadSplitData(config);
    const scores = rec.scoreSet(data.test);
    const top = scores.map((s) => s.indexOf(Math.max(...s)));
    expect(top).toEqual(result.metrics.predictions);
    // raw skeletons are preprocessed like training, view alignment included (stored in the run's config)
    expect(rec.manifest.config.data.align).toBe(true);
    const byId = new Map(loadSamples(config).samples.map((s) => [s.id, s]));
    const raw = data.test.ids.map((id) => byId.get(id)!);
    expect(Array.from(rec.prepare(raw).x)).toEqual(Array.from(data.test.x));
    const unaligned = prepareSequences(raw, data.classNames, { frames: config.data.frames, maxBodies: config.data.maxBodies, scale: config.data.scale });
    expect(unaligned.x.some((v, i) => Math.abs(v - data.test.x[i]) > 1e-3)).toBe(true);
    const sentence = rec.tokenize(data.test.x.slice(0, 32 * data.test.dim));
    expect(sentence.tokens.length).toBe(8);
    expect(sentence.tokens.every((t) => Number.isInteger(t) && t >= 0 && t < 32)).toBe(true);
    const ranked = rec.recognize(data.test.x.slice(0, 32 * data.test.dim));
    expect(ranked.map((r) => r.name).sort()).toEqual([...result.classNames].sort());
    expect(ranked[0].label).toBe(result.metrics.predictions[0]);
    rec.dispose();
  });

  it('stage 2 resumes after a simulated kill to the same adapters as the uninterrupted run', () => {
    const short = { ...config, stage2: { ...config.stage2, steps: 30 }, run: { checkpointEvery: 10, logEvery: 5 }, eval: { ...config.eval, method: 'score' as const } };
    const d1 = mkdtempSync(join(tmpdir(), 'llmar-e2e-full-'));
    const d2 = mkdtempSync(join(tmpdir(), 'llmar-e2e-resume-'));
    for (const d of [d1, d2]) copyFileSync(join(dir, 'stage1.ckpt'), join(d, 'stage1.ckpt'));
    const r1 = trainAndEvaluate({ config: short, outDir: d1 });
    expect(() => trainAndEvaluate({ config: short, outDir: d2, stopAfter: { stage: 2, step: 15 } })).toThrow(StoppedForTest);
    expect(readCheckpoint<{ step: number }>(join(d2, 'stage2.ckpt')).meta.step).toBe(10);
    const r2 = trainAndEvaluate({ config: short, outDir: d2 });
    expect(r2.stage1.resumedFrom).toBe(short.tokenizer.steps);
    expect(r2.stage2.resumedFrom).toBe(10);
    expect(r2.stage2.history.map((h) => h.loss)).toEqual(r1.stage2.history.map((h) => h.loss));
    const a = readCheckpoint(join(d1, 'stage2.ckpt')).tensors;
    const b = readCheckpoint(join(d2, 'stage2.ckpt')).tensors;
    for (const [k, v] of a) if (k.startsWith('llm.')) expect(Array.from(b.get(k)!.data)).toEqual(Array.from(v.data));
    expect(r2.metrics.predictions).toEqual(r1.metrics.predictions);
  }, 600_000);

  it('exports the instruction JSON Lines, the codebook and peft adapters', () => {
    const files = exportRun(dir);
    expect(files.some((f) => f.endsWith('stage2-train.jsonl'))).toBe(true);
    expect(files.some((f) => f.endsWith('codebook.safetensors'))).toBe(true);
    expect(existsSync(join(dir, 'export', 'adapter', 'adapter_config.json'))).toBe(true);
  });
});
