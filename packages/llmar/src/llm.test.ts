import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@llmar/tensor';
import { NTU_CLASS_NAMES } from '@llmar/skeleton-datasets';
import { cpuDefaults } from './config';
import { loadLanguageModel, instructionTexts } from './llm';
import { WordTokenizer } from './wordTokenizer';

describe('the random LLM of a run', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('grows its vocabulary past llm.random.vocabSize (128) for the 120 NTU class names, and keeps it when loaded from the saved pieces', () => {
    const c = cpuDefaults();
    c.llm.random.vocabSize = 128;
    const names = [...NTU_CLASS_NAMES];
    const needed = new Set(instructionTexts(names).flatMap((t) => WordTokenizer.fromTexts([t], 4096).pieces.filter((p) => !p.startsWith('<unused_')))).size;
    expect(needed).toBeGreaterThan(c.llm.random.vocabSize); // 251 pieces
    const lm = loadLanguageModel(c, names);
    const V = lm.tokenizer.vocabSize;
    expect(V % 64).toBe(0);
    expect(V).toBeGreaterThan(c.llm.random.vocabSize);
    expect(lm.model.config.vocabSize).toBe(V);
    expect(lm.description).toContain(`vocab ${V}`);
    // words round-trip; spacing around '/' is not kept (one NTU name writes ' / ', the others '/')
    for (const n of names) expect(lm.tokenizer.decode(lm.tokenizer.encode(n))).toBe(n.replace(' / ', '/'));
    const again = loadLanguageModel(c, names, lm.pieces);
    expect(again.model.config.vocabSize).toBe(V);
    lm.model.dispose();
    again.model.dispose();
  });
});
