import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { saveSafetensors, saveAdapter } from '@llmar/llm-lora';
import { Recognizer } from './recognizer';
import { loadSplitData } from './dataset';
import { tokenizeSet } from './stage1';
import { instructionText } from './prompt';
import { LlmarError } from './errors';

/**
 * Export a trained run for training stage 2 elsewhere (e.g. many GPUs with transformers + peft):
 * `export/stage2-train.jsonl` and `export/stage2-test.jsonl` (one `{"prompt", "answer"}` per sample, the action tokens
 * written as text), `export/codebook.safetensors` (`codebook` as stored, `codebook_euclidean` = the d-wide vectors
 * the LLM reads) and `export/adapter/` (the LoRA adapters in peft format). Returns the written paths.
 */
export function exportRun(dir: string): string[] {
  const rec = Recognizer.load(dir);
  const out = join(dir, 'export');
  mkdirSync(out, { recursive: true });
  const written: string[] = [];
  try {
    const c = rec.manifest.config;
    const data = loadSplitData(c);
    const W = rec.tokenizer.tokensFor(c.data.frames);
    for (const [name, set] of [['train', data.train], ['test', data.test]] as const) {
      const ids = tokenizeSet(rec.tokenizer, set);
      const lines: string[] = [];
      for (let i = 0; i < set.n; i++) {
        const answer = data.classNames[set.labels[i]];
        if (rec.manifest.candidates && name === 'test' && !rec.manifest.candidates.includes(answer)) continue;
        const prompt = instructionText(ids.subarray(i * W, (i + 1) * W), rec.manifest.candidates ?? undefined);
        lines.push(JSON.stringify({ id: set.ids[i], prompt, answer }));
      }
      const f = join(out, `stage2-${name}.jsonl`);
      writeFileSync(f, `${lines.join('\n')}\n`);
      written.push(f);
    }
    const q = rec.tokenizer.quantizer;
    const stored = q.variables().get('codebook')!;
    const eu = rec.tokenizer.codeEmbeddings();
    const f = join(out, 'codebook.safetensors');
    saveSafetensors(f, { codebook: stored, codebook_euclidean: eu }, { kind: q.kind, curvature: String(c.tokenizer.curvature) });
    eu.dispose();
    written.push(f);
    const lora = rec.lora;
    if (lora) {
      const ad = join(out, 'adapter');
      saveAdapter(lora, ad, { baseModelNameOrPath: c.llm.path ?? null });
      written.push(ad);
    } else if (c.stage2.mode !== 'full') throw new LlmarError('NOT_TRAINED', 'the run has no LoRA adapters');
    return written;
  } finally {
    rec.dispose();
  }
}
