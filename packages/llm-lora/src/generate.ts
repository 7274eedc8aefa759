import { tf, Rng } from '@llmar/tensor';
import { LlmError } from './errors';
import { type Llama, createCache } from './model';

/** Options of {@link generate}. */
export interface GenerateOptions {
  /** Most tokens to produce (generation also stops at the model's maxSeqLen). */
  maxNewTokens: number;
  /** Softmax temperature; 0 = greedy (argmax, lowest id on ties). @default 0 */
  temperature?: number;
  /** Sample among the k most likely tokens only (0 = all). @default 0 */
  topK?: number;
  /** Nucleus sampling: the smallest set of most likely tokens whose probability reaches p (1 = all). @default 1 */
  topP?: number;
  /** Token ids that end generation; the stop token is not included in the result. @default [] */
  stop?: number[];
  /** Seed of the sampler. @default 0 */
  seed?: number;
  /** Called with each new token as it is produced. @default none */
  onToken?: (id: number) => void;
}

/** Pick the next token from one row of logits (float32, length V). */
export function sampleToken(logits: Float32Array | number[], rng: Rng, temperature = 0, topK = 0, topP = 1): number {
  const V = logits.length;
  if (temperature === 0) {
    let best = 0;
    for (let i = 1; i < V; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }
  let idx = Array.from({ length: V }, (_, i) => i);
  if (topK > 0 && topK < V) idx = idx.sort((a, b) => logits[b] - logits[a] || a - b).slice(0, topK);
  let max = -Infinity;
  for (const i of idx) max = Math.max(max, logits[i]);
  let probs = idx.map((i) => Math.exp((logits[i] - max) / temperature));
  let sum = probs.reduce((a, b) => a + b, 0);
  if (topP < 1) {
    const order = idx.map((_, j) => j).sort((a, b) => probs[b] - probs[a] || idx[a] - idx[b]);
    const keep: number[] = [];
    let acc = 0;
    for (const j of order) {
      keep.push(j);
      acc += probs[j] / sum;
      if (acc >= topP) break;
    }
    idx = keep.map((j) => idx[j]);
    probs = keep.map((j) => probs[j]);
    sum = probs.reduce((a, b) => a + b, 0);
  }
  let r = rng.next() * sum;
  for (let j = 0; j < idx.length; j++) {
    r -= probs[j];
    if (r < 0) return idx[j];
  }
  return idx[idx.length - 1];
}

function checkOptions(o: GenerateOptions): void {
  const bad = (msg: string) => new LlmError('BAD_OPTION', `generate: ${msg}`);
  if (!Number.isInteger(o.maxNewTokens) || o.maxNewTokens < 0) throw bad(`maxNewTokens ${o.maxNewTokens} must be an integer >= 0`);
  const t = o.temperature ?? 0;
  if (!(t >= 0) || !Number.isFinite(t)) throw bad(`temperature ${t} must be >= 0`);
  const k = o.topK ?? 0;
  if (!Number.isInteger(k) || k < 0) throw bad(`topK ${k} must be an integer >= 0`);
  const p = o.topP ?? 1;
  if (!(p > 0 && p <= 1)) throw bad(`topP ${p} must be in (0, 1]`);
}

/**
 * Autoregressive generation for one sequence with the KV cache: the prompt (token ids, or input embeddings [1, T, d])
 * is run once, then one token per step. Returns the new token ids (without the prompt and without the stop token).
 */
export function generate(model: Llama, prompt: number[] | { embeds: tf.Tensor3D }, opts: GenerateOptions): number[] {
  checkOptions(opts);
  const max = model.config.maxSeqLen;
  const T = Array.isArray(prompt) ? prompt.length : prompt.embeds.shape[1];
  if (!Array.isArray(prompt) && (prompt.embeds.rank !== 3 || prompt.embeds.shape[0] !== 1)) {
    throw new LlmError('SHAPE_MISMATCH', `generate: prompt embeds must be [1, T, d], got [${prompt.embeds.shape}]`);
  }
  if (T < 1) throw new LlmError('BAD_OPTION', 'generate: the prompt is empty (start from BOS)');
  if (T > max) throw new LlmError('BAD_OPTION', `generate: prompt of ${T} tokens exceeds maxSeqLen ${max}`);
  const stop = new Set(opts.stop ?? []);
  const rng = new Rng(opts.seed ?? 0);
  const cache = createCache(model, 1);
  const out: number[] = [];
  try {
    const step = (input: { ids?: tf.Tensor2D; embeds?: tf.Tensor3D }): Float32Array =>
      tf.tidy(() => {
        const h = model.hidden(input, { cache });
        const last = tf.slice(h, [0, h.shape[1] - 1, 0], [1, 1, model.config.dim]);
        return model.logits(last).dataSync() as Float32Array;
      });
    let logits = Array.isArray(prompt)
      ? tf.tidy(() => step({ ids: tf.tensor2d([prompt], [1, T], 'int32') }))
      : step({ embeds: prompt.embeds });
    while (out.length < opts.maxNewTokens) {
      const next = sampleToken(logits, rng, opts.temperature ?? 0, opts.topK ?? 0, opts.topP ?? 1);
      if (stop.has(next)) break;
      out.push(next);
      opts.onToken?.(next);
      if (out.length >= opts.maxNewTokens || cache.length >= max) break;
      logits = tf.tidy(() => step({ ids: tf.tensor2d([[next]], [1, 1], 'int32') }));
    }
  } finally {
    cache.dispose();
  }
  return out;
}

/** A batch prompt given as input embeddings, left-padded: `padMask` [B, T] is 0 on the leading padding, 1 after. */
export interface EmbedsBatchPrompt {
  embeds: tf.Tensor3D;
  padMask: tf.Tensor2D;
}

/**
 * Generation for several prompts at once with one KV cache: prompts of different lengths are left-padded (id `padId`,
 * masked out of attention), then every row advances one token per step until it meets a stop token or
 * `maxNewTokens`. Each row is sampled from its own stream (`seed + row`). Returns the new ids of each row.
 * Rotary attention depends only on relative positions, so each row gives what {@link generate} gives for it alone
 * (up to float rounding).
 */
export function generateBatch(
  model: Llama,
  prompts: number[][] | EmbedsBatchPrompt,
  opts: GenerateOptions & {
    /** Id used for left padding (any valid id: it is masked). @default 0 */
    padId?: number;
  },
): number[][] {
  checkOptions(opts);
  const max = model.config.maxSeqLen;
  const isIds = Array.isArray(prompts);
  const B = isIds ? prompts.length : prompts.embeds.shape[0];
  const T = isIds ? Math.max(0, ...prompts.map((p) => p.length)) : prompts.embeds.shape[1];
  if (B < 1) throw new LlmError('BAD_OPTION', 'generateBatch: no prompts');
  if (isIds && prompts.some((p) => p.length === 0)) throw new LlmError('BAD_OPTION', 'generateBatch: a prompt is empty (start from BOS)');
  if (!isIds && (prompts.padMask.shape[0] !== B || prompts.padMask.shape[1] !== T)) {
    throw new LlmError('SHAPE_MISMATCH', `generateBatch: padMask must be [${B}, ${T}], got [${prompts.padMask.shape}]`);
  }
  if (T > max) throw new LlmError('BAD_OPTION', `generateBatch: prompts of ${T} tokens exceed maxSeqLen ${max}`);
  const stop = new Set(opts.stop ?? []);
  const rngs = Array.from({ length: B }, (_, b) => new Rng((opts.seed ?? 0) + b));
  const pad = opts.padId ?? 0;
  const V = model.config.vocabSize;
  const cache = createCache(model, B);
  const out: number[][] = Array.from({ length: B }, () => []);
  const done = new Array<boolean>(B).fill(opts.maxNewTokens === 0);
  try {
    const step = (input: { ids?: tf.Tensor2D; embeds?: tf.Tensor3D }, padMask?: tf.Tensor2D): Float32Array =>
      tf.tidy(() => {
        const h = model.hidden(input, { cache, padMask });
        const last = tf.slice(h, [0, h.shape[1] - 1, 0], [B, 1, model.config.dim]);
        return model.logits(last).dataSync() as Float32Array;
      });
    let logits = isIds
      ? tf.tidy(() => {
          const ids = prompts.map((p) => [...new Array(T - p.length).fill(pad), ...p]);
          const mask = prompts.map((p) => [...new Array(T - p.length).fill(0), ...new Array(p.length).fill(1)]);
          return step({ ids: tf.tensor2d(ids, [B, T], 'int32') }, tf.tensor2d(mask, [B, T]));
        })
      : step({ embeds: prompts.embeds }, prompts.padMask);
    while (!done.every(Boolean)) {
      const next = new Array<number>(B).fill(pad);
      for (let b = 0; b < B; b++) {
        if (done[b]) continue;
        const id = sampleToken(logits.subarray(b * V, (b + 1) * V), rngs[b], opts.temperature ?? 0, opts.topK ?? 0, opts.topP ?? 1);
        if (stop.has(id)) {
          done[b] = true;
          continue;
        }
        out[b].push(id);
        next[b] = id;
        if (out[b].length >= opts.maxNewTokens) done[b] = true;
      }
      if (done.every(Boolean) || cache.length >= max) break;
      logits = tf.tidy(() => step({ ids: tf.tensor2d(next.map((id) => [id]), [B, 1], 'int32') }));
    }
  } finally {
    cache.dispose();
  }
  return out;
}
