import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@llmar/tensor';
import { loadLanguageModel } from './llm';
import { buildPrompt, answerIds, INSTRUCTION } from './prompt';
import { trainAndEvaluate } from './pipeline';
import { Recognizer } from './recognizer';
import { tinyConfig } from './testing';
import { main } from './program';
import type { RunResult } from './pipeline';

const FIX = process.env.LLMAR_FIXTURES;
if (!FIX) console.warn('fixtures.test.ts skipped: LLMAR_FIXTURES is not set (the stories260K checkpoint lives in ../shared/fixtures)');

describe.skipIf(!FIX)('with the real stories260K checkpoint (--llm)', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('loads the model and its tok512 tokenizer found beside it, and tokenises the instruction', () => {
    const c = tinyConfig({ llm: { path: join(FIX!, 'llama2c/stories260K/stories260K.bin') }, tokenizer: { codeDim: null } });
    const lm = loadLanguageModel(c, ['jump']);
    expect(lm.pretrained).toBe(true);
    expect(lm.model.config.dim).toBe(64);
    expect(lm.tokenizer.vocabSize).toBe(512);
    const p = buildPrompt(lm.tokenizer, 'embedding', 4);
    expect(p.ids[0]).toBe(1);
    expect(lm.tokenizer.decode(p.ids.slice(0, p.slotStart)).trim()).toBe(INSTRUCTION.prefix);
    expect(lm.tokenizer.decode(answerIds(lm.tokenizer, 'sit down')).trim()).toBe('sit down');
    lm.model.dispose();
  });

  it('trains both stages and recognises with it (a short run: the pipeline works end to end)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmar-s260k-'));
    const c = tinyConfig({ llm: { path: join(FIX!, 'llama2c/stories260K/stories260K.bin') }, tokenizer: { steps: 4 }, stage2: { steps: 4 } });
    const r = trainAndEvaluate({ config: c, outDir: dir });
    expect(r.llmPretrained).toBe(true);
    expect(r.metrics.n).toBe(r.testSamples);
    expect(r.stage2.history.every((h) => Number.isFinite(h.loss))).toBe(true);
    const rec = Recognizer.load(dir);
    expect(rec.lm.model.config.vocabSize).toBe(512);
    rec.dispose();
  });

  // The CI run: `llmar demo --llm <stories260K>` on the synthetic set, shortened by configs/cpu/ci-stories260K.json.
  it('llmar demo --llm stories260K (the CI config) trains both stages and recognises the held-out subjects far above chance', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmar-ci-demo-'));
    const cfg = fileURLToPath(new URL('../configs/cpu/ci-stories260K.json', import.meta.url));
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
    const code = await main(['node', 'llmar', 'demo', '--llm', join(FIX!, 'llama2c/stories260K/stories260K.bin'), '--config', cfg, '--out', dir, '--json']);
    vi.restoreAllMocks();
    expect(code).toBe(0);
    const r = JSON.parse(out) as RunResult;
    expect(r.llmPretrained).toBe(true);
    expect(r.classNames).toHaveLength(6);
    expect(r.testSamples).toBe(108); // subjects 3, 6, 9 × 3 cameras × 2 repetitions × 6 actions
    // 6 classes: chance is 16.7 %; measured 77.8 % top-1 with this config (issue 5's closing note); 50 % leaves room for
    // the run-to-run spread of other backends while still failing a pipeline that ignores the action tokens
    expect(r.metrics.top1).toBeGreaterThan(0.5);
    const first = r.stage1.history[0];
    const last = r.stage1.history[r.stage1.history.length - 1];
    expect(last.rec).toBeLessThan(first.rec); // training really lowers the reconstruction loss
    expect(r.stage2.history[r.stage2.history.length - 1].loss).toBeLessThan(r.stage2.history[0].loss);
    for (const f of ['metrics.json', 'summary.md', 'confusion.svg', 'rank-frequency.svg', 'loss-stage1.svg', 'loss-stage2.svg']) expect(existsSync(join(dir, 'report', f))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'report', 'metrics.json'), 'utf8')).metrics.top1).toBeCloseTo(r.metrics.top1, 10);
  }, 600_000);
});
