import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@llmar/tensor';
import { loadLanguageModel } from './llm';
import { buildPrompt, answerIds, INSTRUCTION } from './prompt';
import { trainAndEvaluate } from './pipeline';
import { Recognizer } from './recognizer';
import { tinyConfig } from './testing';

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
});
