import { LlmError } from './errors';

/** Shape and numerics of a LLaMA-architecture model. */
export interface LlamaConfig {
  /** Model width d. */
  dim: number;
  /** SwiGLU hidden width. */
  hiddenDim: number;
  nLayers: number;
  nHeads: number;
  /** Key/value heads (grouped-query attention); divides nHeads. Equal to nHeads for plain multi-head attention. */
  nKvHeads: number;
  vocabSize: number;
  /** Longest sequence (positions 0 .. maxSeqLen-1). */
  maxSeqLen: number;
  /** RMSNorm epsilon. @default 1e-5 */
  normEps: number;
  /** RoPE base. @default 10000 */
  ropeTheta: number;
  /** `adjacent`: llama2.c / Meta pairs (2j, 2j+1); `rotate-half`: Hugging Face pairs (j, j + hs/2). */
  ropeStyle: 'adjacent' | 'rotate-half';
  /** Output projection shares the token embedding (no `lm_head.weight`). */
  tiedEmbeddings: boolean;
}

/** Head size dim / nHeads. */
export function headSize(c: LlamaConfig): number {
  return c.dim / c.nHeads;
}

/** A complete config from a partial one: `normEps` 1e-5, `ropeTheta` 10000, `ropeStyle` 'rotate-half', `tiedEmbeddings` false, `nKvHeads` = nHeads. */
export function makeConfig(
  c: Pick<LlamaConfig, 'dim' | 'hiddenDim' | 'nLayers' | 'nHeads' | 'vocabSize' | 'maxSeqLen'> & Partial<LlamaConfig>,
): LlamaConfig {
  const out: LlamaConfig = {
    nKvHeads: c.nHeads,
    normEps: 1e-5,
    ropeTheta: 10000,
    ropeStyle: 'rotate-half',
    tiedEmbeddings: false,
    ...c,
  };
  validateConfig(out);
  return out;
}

/** Throws LlmError 'BAD_CONFIG' naming the field when a config is not a valid LLaMA shape. */
export function validateConfig(c: LlamaConfig, where = 'config'): void {
  const ints: (keyof LlamaConfig)[] = ['dim', 'hiddenDim', 'nLayers', 'nHeads', 'nKvHeads', 'vocabSize', 'maxSeqLen'];
  for (const k of ints) {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
      throw new LlmError('BAD_CONFIG', `${where}: ${k} = ${String(v)} must be a positive integer`);
    }
  }
  if (c.dim % c.nHeads !== 0) throw new LlmError('BAD_CONFIG', `${where}: nHeads ${c.nHeads} does not divide dim ${c.dim}`);
  if (c.nHeads % c.nKvHeads !== 0) {
    throw new LlmError('BAD_CONFIG', `${where}: nKvHeads ${c.nKvHeads} does not divide nHeads ${c.nHeads}`);
  }
  if ((c.dim / c.nHeads) % 2 !== 0) throw new LlmError('BAD_CONFIG', `${where}: head size ${c.dim / c.nHeads} must be even for RoPE`);
  if (!(c.normEps > 0) || !Number.isFinite(c.normEps)) throw new LlmError('BAD_CONFIG', `${where}: normEps = ${c.normEps} must be > 0`);
  if (!(c.ropeTheta > 0) || !Number.isFinite(c.ropeTheta)) throw new LlmError('BAD_CONFIG', `${where}: ropeTheta = ${c.ropeTheta} must be > 0`);
  if (c.ropeStyle !== 'adjacent' && c.ropeStyle !== 'rotate-half') {
    throw new LlmError('BAD_CONFIG', `${where}: ropeStyle = ${String(c.ropeStyle)} must be 'adjacent' or 'rotate-half'`);
  }
  if (typeof c.tiedEmbeddings !== 'boolean') throw new LlmError('BAD_CONFIG', `${where}: tiedEmbeddings must be a boolean`);
}

/** Every weight of a config, Hugging Face name → shape [out, in] (norms are [d]). */
export function weightShapes(c: LlamaConfig): Map<string, number[]> {
  const hs = headSize(c);
  const kv = c.nKvHeads * hs;
  const m = new Map<string, number[]>();
  m.set('model.embed_tokens.weight', [c.vocabSize, c.dim]);
  for (let i = 0; i < c.nLayers; i++) {
    const p = `model.layers.${i}.`;
    m.set(`${p}input_layernorm.weight`, [c.dim]);
    m.set(`${p}self_attn.q_proj.weight`, [c.dim, c.dim]);
    m.set(`${p}self_attn.k_proj.weight`, [kv, c.dim]);
    m.set(`${p}self_attn.v_proj.weight`, [kv, c.dim]);
    m.set(`${p}self_attn.o_proj.weight`, [c.dim, c.dim]);
    m.set(`${p}post_attention_layernorm.weight`, [c.dim]);
    m.set(`${p}mlp.gate_proj.weight`, [c.hiddenDim, c.dim]);
    m.set(`${p}mlp.up_proj.weight`, [c.hiddenDim, c.dim]);
    m.set(`${p}mlp.down_proj.weight`, [c.dim, c.hiddenDim]);
  }
  m.set('model.norm.weight', [c.dim]);
  if (!c.tiedEmbeddings) m.set('lm_head.weight', [c.vocabSize, c.dim]);
  return m;
}

/** Number of parameters. */
export function paramCount(c: LlamaConfig): number {
  let n = 0;
  for (const s of weightShapes(c).values()) n += s.reduce((a, b) => a * b, 1);
  return n;
}
