// The stage-2 training setups timed by lora.bench.mjs and profiled by stage2.profile.mjs: a random LLaMA-architecture
// model (tied embeddings, llama2.c RoPE), frozen, with LoRA on the query and value projections, its AdamW and one
// random batch of token ids. Not a benchmark itself (`npm run bench` runs only *.bench.mjs).
import { Rng } from '@llmar/tensor';
import { AdamW, Llama, applyLora, disposeBatch, makeConfig, makeLmBatch } from '@llmar/llm-lora';

export const STAGE2_CONFIGS = {
  // name: [dim, layers, heads, kvHeads, hidden, vocab, batch, seq, r, alpha]
  'stage2-stories260K-lora': [64, 5, 8, 4, 172, 512, 8, 64, 8, 16],
  'stage2-15M-lora': [288, 6, 6, 6, 768, 32000, 8, 64, 8, 16],
};

/** The model, LoRA adapters, optimizer and batch (B sequences of T + 1 ids) of config `name`; dispose() frees them. */
export function makeStage2(name) {
  const [dim, nLayers, nHeads, nKvHeads, hiddenDim, vocabSize, B, T, r, alpha] = STAGE2_CONFIGS[name];
  const config = makeConfig({ dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize, maxSeqLen: T + 1, ropeStyle: 'adjacent', tiedEmbeddings: true });
  const model = Llama.random(config, 0);
  const lora = applyLora(model, { r, alpha, dropout: 0, targetModules: ['q_proj', 'v_proj'], seed: 0 });
  const opt = new AdamW(lora.trainableVariables(), { lr: 3e-3 });
  const rng = new Rng(0);
  const batch = makeLmBatch(Array.from({ length: B }, () => ({ ids: Array.from({ length: T + 1 }, () => rng.int(vocabSize)) })));
  const dispose = () => {
    disposeBatch(batch);
    opt.dispose();
    lora.dispose();
    model.dispose();
  };
  return { model, lora, opt, batch, B, T, dispose };
}
