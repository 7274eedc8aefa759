import { tf } from '@llmar/tensor';
import { KvCache } from './cache';
import { LlmError } from './errors';
import { type Llama } from './model';

/** Log-likelihood of one candidate continuation (natural log). */
export interface CandidateScore {
  /** Σ log p(token | prompt, previous candidate tokens). */
  sum: number;
  /** sum / number of tokens (length-normalised). */
  mean: number;
  /** Per-token log-probabilities. */
  perToken: number[];
}

/** Options of {@link scoreCandidates}. */
export interface ScoreOptions {
  /** Candidates scored per batched pass. @default 16 */
  batchSize?: number;
}

/** A prompt as token ids, or as input embeddings [P, d] (e.g. an instruction mixed with action-token vectors). */
export type ScorePrompt = number[] | { embeds: tf.Tensor2D };

/**
 * Log-likelihood of each candidate continuation after a shared prompt, for ranking class names. The prompt runs once
 * (batch 1) into a KV cache; each batch of candidates then reuses that cache (tiled to the batch), right-padded to the
 * longest candidate, so the prompt is never recomputed. Equivalent to scoring prompt ++ candidate with one full
 * forward pass each. Candidates must be non-empty; prompt + candidate must fit `maxSeqLen`.
 */
export function scoreCandidates(model: Llama, prompt: ScorePrompt, candidates: number[][], options: ScoreOptions = {}): CandidateScore[] {
  const bs = options.batchSize ?? 16;
  if (!Number.isInteger(bs) || bs < 1) throw new LlmError('BAD_OPTION', `scoreCandidates batchSize = ${bs} must be a positive integer`);
  const c = model.config;
  const P = Array.isArray(prompt) ? prompt.length : prompt.embeds.shape[0];
  if (P < 1) throw new LlmError('BAD_OPTION', 'scoreCandidates: the prompt is empty (start it with BOS)');
  if (!Array.isArray(prompt) && (prompt.embeds.rank !== 2 || prompt.embeds.shape[1] !== c.dim)) {
    throw new LlmError('SHAPE_MISMATCH', `scoreCandidates: prompt embeds must be [P, ${c.dim}], got [${prompt.embeds.shape}]`);
  }
  candidates.forEach((cand, i) => {
    if (cand.length === 0) throw new LlmError('BAD_OPTION', `scoreCandidates: candidate ${i} is empty`);
    if (P + cand.length - 1 > c.maxSeqLen) {
      throw new LlmError('BAD_OPTION', `scoreCandidates: prompt (${P}) + candidate ${i} (${cand.length}) exceed maxSeqLen ${c.maxSeqLen}`);
    }
    for (const id of cand) {
      if (!Number.isInteger(id) || id < 0 || id >= c.vocabSize) throw new LlmError('BAD_OPTION', `scoreCandidates: candidate ${i} has token id ${id} outside [0, ${c.vocabSize})`);
    }
  });
  const promptCache = new KvCache(c.nLayers, 1);
  try {
    // log p(· | prompt) at the last prompt position
    const first = tf.tidy(() => {
      const input = Array.isArray(prompt)
        ? { ids: tf.tensor2d([prompt], [1, P], 'int32') }
        : { embeds: prompt.embeds.expandDims(0) as tf.Tensor3D };
      const h = model.hidden(input, { cache: promptCache });
      const last = tf.slice(h, [0, P - 1, 0], [1, 1, c.dim]);
      return tf.logSoftmax(model.logits(last).reshape([c.vocabSize])).dataSync() as Float32Array;
    });
    const out: CandidateScore[] = [];
    for (let start = 0; start < candidates.length; start += bs) {
      const group = candidates.slice(start, start + bs);
      const rest = scoreGroup(model, promptCache, P, group);
      group.forEach((cand, j) => {
        const perToken = [first[cand[0]], ...rest[j]];
        const sum = perToken.reduce((a, b) => a + b, 0);
        out.push({ sum, mean: sum / perToken.length, perToken });
      });
    }
    return out;
  } finally {
    promptCache.dispose();
  }
}

/** Log-probs of tokens 1.. of each candidate, given the prompt's cache (tiled to the group). */
function scoreGroup(model: Llama, promptCache: KvCache, P: number, group: number[][]): number[][] {
  const n = group.length;
  const L = Math.max(...group.map((g) => g.length)) - 1; // inputs: tokens 0..len-2 of each candidate
  if (L === 0) return group.map(() => []);
  const c = model.config;
  const cache = new KvCache(c.nLayers, n);
  try {
    tf.tidy(() => {
      for (let l = 0; l < c.nLayers; l++) {
        const kv = promptCache.layers[l]!;
        cache.setLayer(l, { kT: tf.tile(kv.kT, [n, 1, 1, 1]) as tf.Tensor4D, v: tf.tile(kv.v, [n, 1, 1, 1]) as tf.Tensor4D });
      }
    });
    cache.length = P;
    const ids = new Int32Array(n * L);
    const tgt = new Int32Array(n * L);
    group.forEach((g, b) => {
      for (let t = 0; t < g.length - 1; t++) {
        ids[b * L + t] = g[t];
        tgt[b * L + t] = g[t + 1];
      }
    });
    // right padding: padded positions come after every real one, so causal attention already ignores them
    const lp = tf.tidy(() => {
      const h = model.hidden({ ids: tf.tensor2d(ids, [n, L], 'int32') }, { cache });
      const logp = tf.logSoftmax(model.logits(h).reshape([n * L, c.vocabSize]));
      const flat = tf.add(tf.mul(tf.range(0, n * L, 1, 'int32'), tf.scalar(c.vocabSize, 'int32')), tf.tensor1d(tgt, 'int32'));
      return tf.gather(logp.reshape([n * L * c.vocabSize]), flat).dataSync() as Float32Array;
    });
    return group.map((g, b) => Array.from(lp.subarray(b * L, b * L + g.length - 1)));
  } finally {
    cache.dispose();
  }
}
