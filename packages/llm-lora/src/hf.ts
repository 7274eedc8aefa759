import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tf } from '@llmar/tensor';
import { type LlamaConfig, validateConfig, weightShapes } from './config';
import { LlmError } from './errors';
import { assertFitsBackend, type FitOptions } from './memory';
import { Llama, type LlamaOptions } from './model';
import { loadLlama2c } from './llama2c';
import { permuteForRotateHalf } from './rope';
import { SafetensorsSet, saveSafetensors, type WritableTensor } from './safetensors';

/** The fields of a Hugging Face `LlamaConfig` (config.json) this package reads and writes. */
export interface HfLlamaConfigJson {
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads?: number;
  vocab_size: number;
  max_position_embeddings?: number;
  rms_norm_eps?: number;
  rope_theta?: number;
  tie_word_embeddings?: boolean;
  [k: string]: unknown;
}

/**
 * A Hugging Face LLaMA config.json → {@link LlamaConfig} (RoPE style `rotate-half`, as in `transformers`).
 * Missing optional fields take transformers' defaults: num_key_value_heads = num_attention_heads,
 * max_position_embeddings 2048, rms_norm_eps 1e-6, rope_theta 10000, tie_word_embeddings false.
 * Features this model lacks (rope_scaling, attention/MLP biases, an activation other than SiLU, a head_dim other than
 * hidden_size / num_attention_heads) throw BAD_CONFIG naming the field.
 */
export function configFromHf(json: HfLlamaConfigJson, where = 'config.json'): LlamaConfig {
  if (typeof json !== 'object' || json === null) throw new LlmError('BAD_CONFIG', `${where} is not a JSON object`);
  const req = ['hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads', 'vocab_size'] as const;
  for (const k of req) {
    if (typeof json[k] !== 'number') throw new LlmError('BAD_CONFIG', `${where}: "${k}" is missing or not a number (${JSON.stringify(json[k])})`);
  }
  if (json.model_type !== undefined && json.model_type !== 'llama' && json.model_type !== 'mistral') {
    throw new LlmError('BAD_CONFIG', `${where}: model_type "${String(json.model_type)}" is not a LLaMA architecture`);
  }
  if (json.rope_scaling !== undefined && json.rope_scaling !== null) {
    throw new LlmError('BAD_CONFIG', `${where}: rope_scaling ${JSON.stringify(json.rope_scaling)} is not supported (plain RoPE only)`);
  }
  for (const k of ['attention_bias', 'mlp_bias'] as const) {
    if (json[k] === true) throw new LlmError('BAD_CONFIG', `${where}: ${k} = true is not supported (bias-free projections only)`);
  }
  const act = json.hidden_act ?? 'silu';
  if (act !== 'silu') throw new LlmError('BAD_CONFIG', `${where}: hidden_act "${String(act)}" is not supported (silu only)`);
  if (json.head_dim !== undefined && json.head_dim !== null && json.head_dim !== json.hidden_size / json.num_attention_heads) {
    throw new LlmError('BAD_CONFIG', `${where}: head_dim ${String(json.head_dim)} differs from hidden_size / num_attention_heads = ${json.hidden_size / json.num_attention_heads}`);
  }
  const c: LlamaConfig = {
    dim: json.hidden_size,
    hiddenDim: json.intermediate_size,
    nLayers: json.num_hidden_layers,
    nHeads: json.num_attention_heads,
    nKvHeads: json.num_key_value_heads ?? json.num_attention_heads,
    vocabSize: json.vocab_size,
    maxSeqLen: json.max_position_embeddings ?? 2048,
    normEps: json.rms_norm_eps ?? 1e-6,
    ropeTheta: json.rope_theta ?? 10000,
    ropeStyle: 'rotate-half',
    tiedEmbeddings: json.tie_word_embeddings ?? false,
  };
  validateConfig(c, where);
  return c;
}

/** {@link LlamaConfig} → a Hugging Face config.json object (`LlamaForCausalLM`, float32). */
export function configToHf(c: LlamaConfig): HfLlamaConfigJson {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: c.dim,
    intermediate_size: c.hiddenDim,
    num_hidden_layers: c.nLayers,
    num_attention_heads: c.nHeads,
    num_key_value_heads: c.nKvHeads,
    vocab_size: c.vocabSize,
    max_position_embeddings: c.maxSeqLen,
    rms_norm_eps: c.normEps,
    rope_theta: c.ropeTheta,
    rope_scaling: null,
    tie_word_embeddings: c.tiedEmbeddings,
    hidden_act: 'silu',
    attention_bias: false,
    mlp_bias: false,
    bos_token_id: 1,
    eos_token_id: 2,
    torch_dtype: 'float32',
  };
}

/** Read and convert `<dir>/config.json`. */
export function readHfConfig(dir: string): LlamaConfig {
  const p = join(dir, 'config.json');
  if (!existsSync(p)) throw new LlmError('IO', `${dir} has no config.json (not a Hugging Face model directory)`);
  let json: HfLlamaConfigJson;
  try {
    json = JSON.parse(readFileSync(p, 'utf8'));
  } catch (e) {
    throw new LlmError('BAD_CONFIG', `${p} is not valid JSON: ${(e as Error).message}`);
  }
  return configFromHf(json, p);
}

/** Tensor names a checkpoint may carry that the model does not use (buffers some exporters save). */
function ignorable(name: string, c: LlamaConfig): boolean {
  return name.endsWith('.rotary_emb.inv_freq') || (c.tiedEmbeddings && name === 'lm_head.weight');
}

/**
 * Check a safetensors set against a config, by header only: every expected tensor present with the config's shape,
 * no bias tensors, and (with `assertFitsBackend`) the size fits the backend. Throws before any weight is read.
 */
export function checkHfWeights(set: SafetensorsSet, c: LlamaConfig, where: string): void {
  for (const [name, shape] of weightShapes(c)) {
    if (!set.has(name)) throw new LlmError('MISSING_TENSOR', `${where}: tensor "${name}" (expected shape [${shape}]) is missing`);
    const found = set.info(name).shape;
    if (found.length !== shape.length || found.some((s, i) => s !== shape[i])) {
      throw new LlmError('SHAPE_MISMATCH', `${where}: tensor "${name}" has shape [${found}] but config.json implies [${shape}]`);
    }
  }
  const known = weightShapes(c);
  for (const name of set.names()) {
    if (!known.has(name) && !ignorable(name, c) && name.endsWith('.bias')) {
      throw new LlmError('BAD_CONFIG', `${where}: tensor "${name}" is a bias, which this LLaMA implementation does not support`);
    }
  }
}

/** Options of {@link loadHf} and {@link loadModel}: the model's options and the memory guard's. */
export interface LoadModelOptions extends LlamaOptions, FitOptions {}

/**
 * Load a Hugging Face LLaMA directory (config.json + model.safetensors or a sharded model.safetensors.index.json).
 * float32, float16 and bfloat16 tensors become float32. Shapes are checked against config.json and the size against
 * the backend before any weight is read. tokenizer.json is read separately with `loadHfTokenizer`.
 */
export function loadHf(dir: string, options: LoadModelOptions = {}): Llama {
  const config = readHfConfig(dir);
  const set = SafetensorsSet.open(dir);
  try {
    checkHfWeights(set, config, dir);
    assertFitsBackend(config, { backend: options.backend, wasmBudgetBytes: options.wasmBudgetBytes });
    const weights: Record<string, tf.Tensor> = {};
    try {
      for (const name of weightShapes(config).keys()) weights[name] = set.tensor(name);
      return Llama.fromWeights(config, weights, { transposedCopies: options.transposedCopies });
    } finally {
      tf.dispose(Object.values(weights));
    }
  } finally {
    set.close();
  }
}

/**
 * Load a model from a llama2.c `.bin` checkpoint or a Hugging Face directory (or its config.json / safetensors file).
 */
export function loadModel(path: string, options: LoadModelOptions = {}): Llama {
  if (!existsSync(path)) throw new LlmError('IO', `model path ${path} does not exist`);
  if (statSync(path).isDirectory()) return loadHf(path, options);
  if (path.endsWith('.json') || path.endsWith('.safetensors')) return loadHf(dirname(path), options);
  return loadLlama2c(path, { transposedCopies: options.transposedCopies });
}

/** Options of {@link exportHf}. */
export interface ExportHfOptions {
  /** Extra entries merged into config.json (e.g. `{ "_name_or_path": "..." }`). @default {} */
  extraConfig?: Record<string, unknown>;
}

/**
 * Write a model as a Hugging Face directory: config.json and model.safetensors (float32). A model with `adjacent`
 * (llama2.c) RoPE has its q_proj / k_proj rows permuted so that transformers' rotate-half RoPE gives the same logits.
 * LoRA adapters are not included (merge them first, or save them with `saveAdapter`).
 */
export function exportHf(model: Llama, dir: string, options: ExportHfOptions = {}): void {
  const c = model.config;
  mkdirSync(dir, { recursive: true });
  const permute = c.ropeStyle === 'adjacent';
  const list: [string, { shape: number[] }, () => WritableTensor][] = [];
  for (const [name, shape] of weightShapes(c)) {
    list.push([name, { shape }, () => {
      const w = model.getWeight(name);
      if (permute && /self_attn\.(q|k)_proj\.weight$/.test(name)) {
        const heads = name.includes('q_proj') ? c.nHeads : c.nKvHeads;
        const p = permuteForRotateHalf(w as tf.Tensor2D, heads);
        const data = p.dataSync() as Float32Array;
        p.dispose();
        return { data, shape };
      }
      return { data: w.dataSync() as Float32Array, shape };
    }]);
  }
  saveSafetensors(join(dir, 'model.safetensors'), list, { format: 'pt' });
  const cfg = { ...configToHf({ ...c, ropeStyle: 'rotate-half' }), ...(options.extraConfig ?? {}) };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg, null, 2) + '\n');
}
