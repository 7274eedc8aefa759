/** Test-only: serialise a model to the llama2.c legacy layout (header, stacked tensors, legacy RoPE tables, wcls). */
import type { Llama } from '../model';

export function writeLlama2c(m: Llama): Uint8Array {
  const c = m.config;
  const hs = c.dim / c.nHeads;
  const parts: Float32Array[] = [];
  const w = (n: string) => parts.push(m.getWeight(n).dataSync() as Float32Array);
  const layers = (suffix: string) => {
    for (let i = 0; i < c.nLayers; i++) w(`model.layers.${i}.${suffix}`);
  };
  w('model.embed_tokens.weight');
  layers('input_layernorm.weight');
  for (const s of ['q', 'k', 'v', 'o']) layers(`self_attn.${s}_proj.weight`);
  layers('post_attention_layernorm.weight');
  layers('mlp.gate_proj.weight');
  layers('mlp.down_proj.weight');
  layers('mlp.up_proj.weight');
  w('model.norm.weight');
  parts.push(new Float32Array(c.maxSeqLen * hs).fill(Number.NaN)); // legacy RoPE tables: must be ignored
  if (!c.tiedEmbeddings) w('lm_head.weight');
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(28 + 4 * n);
  const dv = new DataView(out.buffer);
  [c.dim, c.hiddenDim, c.nLayers, c.nHeads, c.nKvHeads, c.tiedEmbeddings ? c.vocabSize : -c.vocabSize, c.maxSeqLen].forEach((v, i) =>
    dv.setInt32(4 * i, v, true),
  );
  let off = 28;
  for (const p of parts) {
    out.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), off);
    off += p.byteLength;
  }
  return out;
}
