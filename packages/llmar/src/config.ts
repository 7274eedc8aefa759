import { readFileSync } from 'node:fs';
import { LlmarError } from './errors';

/** Where the skeletons come from. `synthetic` needs no files; the others read `dataDir` with @llmar/skeleton-datasets. */
export type DatasetKind = 'synthetic' | 'ntu60' | 'ntu120' | 'npz' | 'uav' | 'toyota' | 'generic';
export const DATASET_KINDS: readonly DatasetKind[] = ['synthetic', 'ntu60', 'ntu120', 'npz', 'uav', 'toyota', 'generic'];

/** Data settings. */
export interface DataConfig {
  /** @default 'synthetic' */
  dataset: DatasetKind;
  /** Directory (or file, for npz) to read; unused for `synthetic`. @default null */
  dataDir: string | null;
  /** Split protocol: `xsub`, `xview` (synthetic), or a @llmar/skeleton-datasets protocol id such as `ntu60-xsub`. @default 'xsub' */
  protocol: string;
  /** Frames every sequence is resized to (V). @default 64 */
  frames: number;
  /** Coordinates are divided by this (metres → about unit spread; NTU and the synthetic set have a spread of ~0.3 m). @default 0.3 */
  scale: number;
  /** Bodies kept per frame. @default 2 */
  maxBodies: number;
  /**
   * Optional view alignment (DESIGN.md: pyskl preprocessing): rotate every sample, train and test, and every sequence
   * a trained run recognises, so the spine points to +z and the shoulders to +x (see `prepareSequences`). Off in both
   * presets: in the CPU demo it did not help reliably (README, "Measured"). @default false
   */
  align: boolean;
  /** Augmentation of training sequences (stage 1 batches and stage-2 copies): rotation about the vertical axis (max
   * degrees), uniform scale ±s, random temporal crop keeping ≥ 1 − crop of the frames. @default all 0 (off) */
  augment: { rotateDegrees: number; scale: number; crop: number };
  /** Synthetic generator settings (dataset `synthetic` only): the first `classes` actions, or the actions in `names` when given. */
  synthetic: { subjects: number; cameras: number; repetitions: number; classes: number; names: string[] };
  /** Unseen-class protocol: K held-out classes, several draws (0 = ordinary closed-set protocol). */
  unseen: { classes: number; draws: number };
  /** Use at most this many training samples (0 = all); for quick runs. @default 0 */
  maxTrainSamples: number;
}

/** Stage-1 (action tokenizer) settings. */
export interface TokenizerConfig {
  /** Conv width of encoder and decoder. @default 512 (paper) */
  width: number;
  /** Residual blocks per ResNet1D. @default 3 */
  depth: number;
  /** Dilation growth rate (dilations growth^(depth-1) … 1). @default 3 */
  dilationGrowth: number;
  /** Number of ×2 temporal down-samplings (W = V / 2^downs). @default 2 */
  downsamples: number;
  /** Code width d; null = the LLM's hidden size. @default null */
  codeDim: number | null;
  /** Codebook size U (even). @default 512 */
  codebookSize: number;
  /** Poincaré-ball curvature c. @default 1 */
  curvature: number;
  /** `hyperbolic` (paper) or `euclidean` (ablation). @default 'hyperbolic' */
  codebook: 'hyperbolic' | 'euclidean';
  /** λ1, commitment weight. @default 0.02 */
  lambda1: number;
  /** λ2, weight of L_bias. @default 0.2 */
  lambda2: number;
  /** Which bias terms are on. @default all true */
  bias: { zipf: boolean; context: boolean; mmd: boolean };
  /** Initialise the codebook by k-means on encoder features of the first batch. @default true */
  kmeansInit: boolean;
  /** Dead-code reset: re-seed codes used less than this many times per batch (running mean; 0 = off). @default 0 */
  deadCodeThreshold: number;
  /** Gumbel-softmax temperature τ for token usage. @default 1 */
  gumbelTau: number;
  /** Word embeddings sampled for MMD per step. @default 512 */
  mmdSamples: number;
  /** AdamW learning rate. @default 2e-4 */
  lr: number;
  /** @default 0 */
  weightDecay: number;
  /** @default 256 */
  batchSize: number;
  /** Optimiser steps. @default 300000 */
  steps: number;
}

/** The language model. */
export interface LlmConfig {
  /** A llama2.c `.bin` or a Hugging Face directory; null = a small random LLaMA built from `seed`. @default null */
  path: string | null;
  /** A llama2.c tokenizer `.bin` for a llama2.c model (default: tokenizer.bin / tok512.bin beside it). @default null */
  tokenizer: string | null;
  /** Shape of the random model (used when `path` is null); `vocabSize` is a minimum: it grows (to a multiple of 64) when the instruction and class names need more words. */
  random: { dim: number; nLayers: number; nHeads: number; nKvHeads: number; hiddenDim: number; vocabSize: number; seed: number; outputScale: number };
}

/** Stage-2 (LLM adaptation) settings. */
export interface Stage2Config {
  /** `lora` (paper) or `full` fine-tuning (ablation). @default 'lora' */
  mode: 'lora' | 'full';
  /** How action tokens reach the LLM. @default 'embedding' */
  input: 'embedding' | 'text';
  /** false = the "without discretisation" ablation: continuous encoder features are fed instead. @default true */
  discretize: boolean;
  /** LoRA settings (lit-llama defaults). */
  lora: { r: number; alpha: number; dropout: number; targetModules: string[] };
  /** @default 3e-3 */
  lr: number;
  /** @default 0.01 */
  weightDecay: number;
  /** Sequences per optimiser step. @default 256 */
  batchSize: number;
  /** Sequences per forward pass (gradient accumulation). @default 4 */
  microBatch: number;
  /** Optimiser steps. @default 293 (75k micro-batches of 4 / 256) */
  steps: number;
  /** Linear warm-up steps. @default 0 */
  warmup: number;
  /** Augmented copies of every training sequence that stage 2 also reads (with `data.augment`). @default 0 */
  augmentCopies: number;
}

/** Evaluation settings. */
export interface EvalConfig {
  /** `score` candidate names (default, always a valid class), `generate` (greedy, exact match) or `both`. @default 'both' */
  method: 'score' | 'generate' | 'both';
  /** Sequences per scoring pass. @default 8 */
  batchSize: number;
  /** Evaluate at most this many test samples (0 = all). @default 0 */
  maxSamples: number;
}

/** Run bookkeeping. */
export interface RunSettings {
  /** Checkpoint every this many steps (and always at the end). @default 200 */
  checkpointEvery: number;
  /** Log every this many steps. @default 20 */
  logEvery: number;
}

/** A whole run: the JSON config files of `configs/` hold (parts of) this. */
export interface RunConfig {
  /** Free text naming the setting. @default 'custom' */
  name: string;
  /** Master seed. @default 0 */
  seed: number;
  data: DataConfig;
  tokenizer: TokenizerConfig;
  llm: LlmConfig;
  stage2: Stage2Config;
  eval: EvalConfig;
  run: RunSettings;
}

/** The paper's GPU settings (DESIGN.md); the CPU preset and config files override parts. */
export function paperDefaults(): RunConfig {
  return {
    name: 'paper',
    seed: 0,
    data: { dataset: 'synthetic', dataDir: null, protocol: 'xsub', frames: 64, scale: 0.3, maxBodies: 2, align: false, augment: { rotateDegrees: 0, scale: 0, crop: 0 },
      synthetic: { subjects: 9, cameras: 3, repetitions: 2, classes: 14, names: [] }, unseen: { classes: 0, draws: 5 }, maxTrainSamples: 0 },
    tokenizer: { width: 512, depth: 3, dilationGrowth: 3, downsamples: 2, codeDim: null, codebookSize: 512, curvature: 1,
      codebook: 'hyperbolic', lambda1: 0.02, lambda2: 0.2, bias: { zipf: true, context: true, mmd: true }, kmeansInit: true, deadCodeThreshold: 0, gumbelTau: 1,
      mmdSamples: 512, lr: 2e-4, weightDecay: 0, batchSize: 256, steps: 300000 },
    llm: { path: null, tokenizer: null, random: { dim: 5120, nLayers: 40, nHeads: 40, nKvHeads: 40, hiddenDim: 13824, vocabSize: 32000, seed: 1234, outputScale: 3 } },
    stage2: { mode: 'lora', input: 'embedding', discretize: true,
      lora: { r: 64, alpha: 16, dropout: 0.05, targetModules: ['q_proj', 'v_proj'] },
      lr: 3e-3, weightDecay: 0.01, batchSize: 256, microBatch: 4, steps: 293, warmup: 0, augmentCopies: 0 },
    eval: { method: 'both', batchSize: 8, maxSamples: 0 },
    run: { checkpointEvery: 200, logEvery: 20 },
  };
}

/**
 * The small CPU preset of the out-of-the-box demo (2 cores, ≤ 15 minutes). Deviations from the paper, all for speed:
 * narrow convolutions, U = 128, a 2-layer random LLaMA of width 64 (= d), LoRA on every linear layer with r = 16
 * (a frozen random model learns too slowly with q, v alone), fewer steps and smaller batches.
 */
export function cpuDefaults(): RunConfig {
  const c = paperDefaults();
  c.name = 'cpu';
  c.tokenizer = { ...c.tokenizer, width: 64, codebookSize: 128, mmdSamples: 128, lambda1: 0.25, deadCodeThreshold: 1, lr: 1e-3, batchSize: 32, steps: 1500 };
  c.llm.random = { dim: 64, nLayers: 2, nHeads: 4, nKvHeads: 4, hiddenDim: 172, vocabSize: 256, seed: 1234, outputScale: 3 };
  c.stage2 = { ...c.stage2, lora: { r: 16, alpha: 32, dropout: 0, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] },
    lr: 3e-3, batchSize: 32, microBatch: 32, steps: 1000, warmup: 20 };
  c.eval = { method: 'both', batchSize: 32, maxSamples: 0 };
  c.run = { checkpointEvery: 100, logEvery: 25 };
  return c;
}

/** Named presets. */
export const PRESETS = { paper: paperDefaults, cpu: cpuDefaults } as const;
export type PresetName = keyof typeof PRESETS;

type Rule = { int?: boolean; min?: number; max?: number; gt?: number; oneOf?: readonly string[]; nullable?: boolean; even?: boolean };
const POS_INT: Rule = { int: true, min: 1 };
const NONNEG_INT: Rule = { int: true, min: 0 };
const RULES: Record<string, Rule> = {
  seed: NONNEG_INT,
  'data.dataset': { oneOf: DATASET_KINDS },
  'data.dataDir': { nullable: true },
  'data.frames': { int: true, min: 4 },
  'data.maxBodies': POS_INT,
  'data.scale': { gt: 0 },
  'data.augment.rotateDegrees': { min: 0, max: 180 },
  'data.augment.scale': { min: 0, max: 0.9 },
  'data.augment.crop': { min: 0, max: 0.9 },
  'data.synthetic.subjects': { int: true, min: 3 },
  'data.synthetic.cameras': POS_INT,
  'data.synthetic.repetitions': POS_INT,
  'data.synthetic.classes': { int: true, min: 2, max: 14 },
  'data.unseen.classes': NONNEG_INT,
  'data.unseen.draws': POS_INT,
  'data.maxTrainSamples': NONNEG_INT,
  'tokenizer.width': POS_INT,
  'tokenizer.depth': POS_INT,
  'tokenizer.dilationGrowth': POS_INT,
  'tokenizer.downsamples': NONNEG_INT,
  'tokenizer.codeDim': { int: true, min: 1, nullable: true },
  'tokenizer.codebookSize': { int: true, min: 2, even: true },
  'tokenizer.curvature': { gt: 0 },
  'tokenizer.codebook': { oneOf: ['hyperbolic', 'euclidean'] },
  'tokenizer.lambda1': { min: 0 },
  'tokenizer.lambda2': { min: 0 },
  'tokenizer.gumbelTau': { gt: 0 },
  'tokenizer.deadCodeThreshold': { min: 0 },
  'tokenizer.mmdSamples': { int: true, min: 2 },
  'tokenizer.lr': { gt: 0 },
  'tokenizer.weightDecay': { min: 0 },
  'tokenizer.batchSize': POS_INT,
  'tokenizer.steps': NONNEG_INT,
  'llm.path': { nullable: true },
  'llm.tokenizer': { nullable: true },
  'llm.random.dim': POS_INT,
  'llm.random.nLayers': POS_INT,
  'llm.random.nHeads': POS_INT,
  'llm.random.nKvHeads': POS_INT,
  'llm.random.hiddenDim': POS_INT,
  'llm.random.vocabSize': { int: true, min: 64 },
  'llm.random.seed': NONNEG_INT,
  'llm.random.outputScale': { gt: 0 },
  'stage2.mode': { oneOf: ['lora', 'full'] },
  'stage2.input': { oneOf: ['embedding', 'text'] },
  'stage2.lora.r': POS_INT,
  'stage2.lora.alpha': { gt: 0 },
  'stage2.lora.dropout': { min: 0, max: 0.99 },
  'stage2.lora.targetModules': { oneOf: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] },
  'stage2.lr': { gt: 0 },
  'stage2.weightDecay': { min: 0 },
  'stage2.batchSize': POS_INT,
  'stage2.microBatch': POS_INT,
  'stage2.steps': NONNEG_INT,
  'stage2.warmup': NONNEG_INT,
  'stage2.augmentCopies': NONNEG_INT,
  'eval.method': { oneOf: ['score', 'generate', 'both'] },
  'eval.batchSize': POS_INT,
  'eval.maxSamples': NONNEG_INT,
  'run.checkpointEvery': POS_INT,
  'run.logEvery': POS_INT,
};

function bad(path: string, msg: string): never {
  throw new LlmarError('BAD_CONFIG', `config field "${path}" ${msg}`);
}

function checkValue(path: string, v: unknown, like: unknown): void {
  const rule = RULES[path] ?? {};
  if (v === null) {
    if (rule.nullable) return;
    bad(path, 'must not be null');
  }
  if (Array.isArray(like)) {
    if (!Array.isArray(v)) bad(path, `must be an array, got ${JSON.stringify(v)}`);
    v.forEach((item, i) => {
      if (typeof item !== 'string') bad(`${path}[${i}]`, `must be a string, got ${JSON.stringify(item)}`);
      if (rule.oneOf && !rule.oneOf.includes(item)) bad(`${path}[${i}]`, `must be one of ${rule.oneOf.join(', ')}, got "${item}"`);
    });
    return;
  }
  const want = like === null ? (rule.int !== undefined || rule.min !== undefined ? 'number' : 'string') : typeof like;
  if (typeof v !== want) bad(path, `must be a ${want}, got ${JSON.stringify(v)}`);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) bad(path, `must be finite, got ${v}`);
    if (rule.int && !Number.isInteger(v)) bad(path, `must be an integer, got ${v}`);
    if (rule.min !== undefined && v < rule.min) bad(path, `must be >= ${rule.min}, got ${v}`);
    if (rule.max !== undefined && v > rule.max) bad(path, `must be <= ${rule.max}, got ${v}`);
    if (rule.gt !== undefined && v <= rule.gt) bad(path, `must be > ${rule.gt}, got ${v}`);
    if (rule.even && v % 2 !== 0) bad(path, `must be even, got ${v}`);
  }
  if (typeof v === 'string' && rule.oneOf && !rule.oneOf.includes(v)) bad(path, `must be one of ${rule.oneOf.join(', ')}, got "${v}"`);
}

function mergeInto(base: Record<string, unknown>, patch: unknown, prefix: string): void {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) bad(prefix || '(root)', `must be an object, got ${JSON.stringify(patch)}`);
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (k === '$schema' || k === 'comment' || k === 'paper') continue;
    if (!(k in base)) bad(path, `is not a known setting (known: ${Object.keys(base).join(', ')})`);
    const cur = base[k];
    if (cur !== null && typeof cur === 'object' && !Array.isArray(cur)) {
      mergeInto(cur as Record<string, unknown>, v, path);
    } else {
      checkValue(path, v, cur);
      base[k] = Array.isArray(v) ? [...v] : v;
    }
  }
}

/** Cross-field checks after merging. */
function checkWhole(c: RunConfig): void {
  const down = 2 ** c.tokenizer.downsamples;
  if (c.data.frames % down !== 0) bad('data.frames', `must be divisible by 2^tokenizer.downsamples = ${down}, got ${c.data.frames}`);
  const r = c.llm.random;
  if (r.dim % r.nHeads !== 0) bad('llm.random.nHeads', `must divide llm.random.dim = ${r.dim}, got ${r.nHeads}`);
  if (r.nHeads % r.nKvHeads !== 0) bad('llm.random.nKvHeads', `must divide llm.random.nHeads = ${r.nHeads}, got ${r.nKvHeads}`);
  if ((r.dim / r.nHeads) % 2 !== 0) bad('llm.random.nHeads', `must leave an even head size (dim ${r.dim} / ${r.nHeads})`);
  if (c.stage2.batchSize % c.stage2.microBatch !== 0) {
    bad('stage2.microBatch', `must divide stage2.batchSize = ${c.stage2.batchSize}, got ${c.stage2.microBatch}`);
  }
  if (c.stage2.lora.targetModules.length === 0 && c.stage2.mode === 'lora') bad('stage2.lora.targetModules', 'must name at least one module');
}

/**
 * Validate a (partial) config object and merge it over a preset. Unknown fields, wrong types and out-of-range values
 * throw `LlmarError('BAD_CONFIG')` naming the field path (e.g. `tokenizer.codebookSize`).
 */
export function resolveConfig(patch: unknown = {}, preset: PresetName | RunConfig = 'cpu'): RunConfig {
  const base = typeof preset === 'string' ? PRESETS[preset]() : structuredClone(preset);
  if (typeof preset === 'string' && !(preset in PRESETS)) throw new LlmarError('BAD_OPTION', `unknown preset "${preset}" (known: ${Object.keys(PRESETS).join(', ')})`);
  mergeInto(base as unknown as Record<string, unknown>, patch, '');
  checkWhole(base);
  return base;
}

/** Read a JSON config file, validate it and merge it over the preset (the file may name its own `preset`). */
export function loadConfigFile(file: string, preset: PresetName = 'cpu'): RunConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new LlmarError('BAD_CONFIG', `cannot read config file ${file}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new LlmarError('BAD_CONFIG', `config file ${file} is not valid JSON: ${(e as Error).message}`);
  }
  let p: PresetName = preset;
  if (json && typeof json === 'object' && 'preset' in json) {
    const v = (json as Record<string, unknown>).preset;
    if (typeof v !== 'string' || !(v in PRESETS)) bad('preset', `must be one of ${Object.keys(PRESETS).join(', ')}, got ${JSON.stringify(v)} (in ${file})`);
    p = v as PresetName;
    delete (json as Record<string, unknown>).preset;
  }
  try {
    return resolveConfig(json, p);
  } catch (e) {
    if (e instanceof LlmarError) throw new LlmarError('BAD_CONFIG', `${e.message.replace(/^\[BAD_CONFIG\] /, '')} (in ${file})`);
    throw e;
  }
}

/** The code width d actually used: the config's, or the LLM's hidden size. */
export function codeDimOf(c: RunConfig, llmDim: number): number {
  return c.tokenizer.codeDim ?? llmDim;
}
