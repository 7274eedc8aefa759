import { tf, gather, Rng } from '@llmar/tensor';
import { InductiveBiasError } from './errors';
import { zipfLoss, type ZipfLossOptions } from './zipf';
import { contextLoss, type ContextLossOptions } from './context';
import { mmd, type MmdOptions } from './mmd';

/** What {@link biasLoss} reads; only the inputs of the enabled terms are needed. */
export interface BiasLossInputs {
  /** Token counts n^b, [B, U] (or [U]); needed by the Zipf and context terms. */
  usage?: tf.Tensor;
  /** The token pairing permutation of {@link pairedTokenPermutation}; needed by the context term. */
  pairing?: Int32Array | number[];
  /** The codebook in the LLM's Euclidean embedding space (log₀ of a hyperbolic codebook), [U, d]; needed by MMD. */
  codebookEuclidean?: tf.Tensor2D;
  /** The LLM's input word embeddings T, [vocab, d] (or an already drawn subsample); needed by MMD. */
  wordEmbeddings?: tf.Tensor2D;
  /** Draws the word-embedding subsample when `mmd.sampleSize` is set. */
  rng?: Rng;
}

/** A switchable, weighted term. */
export interface TermSwitch {
  /** @default true */
  enabled?: boolean;
  /** Multiplies the term in `total`. @default 1 */
  weight?: number;
}

/** Options of {@link biasLoss}: one block per term. */
export interface BiasLossOptions {
  /** L_zipf (eq. 4). @default { enabled: true, weight: 1, alpha: 1, beta: 2.7 } */
  zipf?: TermSwitch & ZipfLossOptions;
  /** L_context (eq. 5). @default { enabled: true, weight: 1 } */
  context?: TermSwitch & ContextLossOptions;
  /**
   * MMD²(C, T) (eq. 7). `sampleSize` draws that many rows of `wordEmbeddings` without replacement with `rng`
   * (all rows are used when it is unset or not smaller than the vocabulary).
   * @default { enabled: true, weight: 1, estimator: 'unbiased', sampleSize: undefined }
   */
  mmd?: TermSwitch & MmdOptions & { sampleSize?: number };
}

/** The result of {@link biasLoss}: the weighted total and each computed (unweighted) term; disabled terms are absent. */
export interface BiasLossResult {
  total: tf.Scalar;
  zipf?: tf.Scalar;
  context?: tf.Scalar;
  mmd?: tf.Scalar;
}

function weightOf(name: string, s: TermSwitch | undefined): number | undefined {
  if (s?.enabled === false) return undefined;
  const w = s?.weight ?? 1;
  if (!Number.isFinite(w)) throw new InductiveBiasError('BAD_OPTION', `biasLoss: ${name}.weight=${w} must be finite`);
  return w;
}

function need<T>(v: T | undefined, field: string, term: string): T {
  if (v === undefined) throw new InductiveBiasError('MISSING_INPUT', `biasLoss: the ${term} term is enabled but inputs.${field} is missing`);
  return v;
}

/** Row indices 0..V−1 drawn without replacement (partial Fisher–Yates). */
function sampleRows(V: number, k: number, rng: Rng): Int32Array {
  const idx = new Int32Array(V);
  for (let i = 0; i < V; i++) idx[i] = i;
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(V - i);
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  return idx.slice(0, k);
}

/**
 * L_bias = w_z·L_zipf + w_c·L_context + w_m·MMD²(C, T) (DESIGN eq. 7), each term switchable. Terms that are off
 * are not computed and absent from the result. Call inside tf.tidy / tf.variableGrads; all outputs are scalars.
 */
export function biasLoss(inputs: BiasLossInputs, options: BiasLossOptions = {}): BiasLossResult {
  const wz = weightOf('zipf', options.zipf);
  const wc = weightOf('context', options.context);
  const wm = weightOf('mmd', options.mmd);
  const usage = wz !== undefined || wc !== undefined ? need(inputs.usage, 'usage', wz !== undefined ? 'zipf' : 'context') : undefined;
  const pairing = wc !== undefined ? need(inputs.pairing, 'pairing', 'context') : undefined;
  const C = wm !== undefined ? need(inputs.codebookEuclidean, 'codebookEuclidean', 'mmd') : undefined;
  const T = wm !== undefined ? need(inputs.wordEmbeddings, 'wordEmbeddings', 'mmd') : undefined;
  const out: Partial<BiasLossResult> = {};
  const parts: tf.Tensor[] = [];
  if (wz !== undefined) {
    out.zipf = zipfLoss(usage as tf.Tensor, options.zipf);
    parts.push(tf.mul(out.zipf, wz));
  }
  if (wc !== undefined) {
    out.context = contextLoss(usage as tf.Tensor, pairing as Int32Array, options.context);
    parts.push(tf.mul(out.context, wc));
  }
  if (wm !== undefined) {
    const E = T as tf.Tensor2D;
    const k = options.mmd?.sampleSize;
    let sample = E;
    if (k !== undefined) {
      if (!Number.isInteger(k) || k < 2) throw new InductiveBiasError('BAD_OPTION', `biasLoss: mmd.sampleSize=${k} must be an integer >= 2`);
      if (k < E.shape[0]) {
        const rng = need(inputs.rng, 'rng', 'mmd (with sampleSize)');
        sample = gather(E, sampleRows(E.shape[0], k, rng)) as tf.Tensor2D;
      }
    }
    out.mmd = mmd(C as tf.Tensor2D, sample, options.mmd);
    parts.push(tf.mul(out.mmd, wm));
  }
  out.total = (parts.length === 0 ? tf.scalar(0) : parts.length === 1 ? parts[0] : tf.addN(parts)) as tf.Scalar;
  return out as BiasLossResult;
}
