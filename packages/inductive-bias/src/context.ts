import { tf, gather, stopGradient, Rng } from '@llmar/tensor';
import { InductiveBiasError } from './errors';

/**
 * The random token pairing of the context loss (DESIGN eq. 5): a permutation `perm` of 0..U−1 drawn from `seed`;
 * token perm[u] is paired with token perm[u + U/2] for u < U/2. U must be even.
 */
export function pairedTokenPermutation(U: number, seed = 0): Int32Array {
  if (!Number.isInteger(U) || U < 2) throw new InductiveBiasError('BAD_OPTION', `pairedTokenPermutation: U=${U} must be an integer >= 2`);
  if (U % 2 !== 0) throw new InductiveBiasError('ODD_CODEBOOK', `pairedTokenPermutation: codebook size U=${U} must be even`);
  const perm = new Int32Array(U);
  for (let i = 0; i < U; i++) perm[i] = i;
  new Rng(seed).shuffle(perm);
  return perm;
}

/** Options of {@link contextLoss}. */
export interface ContextLossOptions {
  /**
   * Tokens per sentence W. When omitted, each row's own total Σ_u n^b_u is used (detached), which equals W for
   * one-hot counts.
   * @default row sums of usage
   */
  tokensPerSentence?: number;
}

/** Check a pairing permutation against U; returns it as an Int32Array. */
export function checkPairing(pairing: Int32Array | number[], U: number): Int32Array {
  if (U % 2 !== 0) throw new InductiveBiasError('ODD_CODEBOOK', `contextLoss: usage has an odd number of columns U=${U}`);
  if (pairing.length !== U) throw new InductiveBiasError('SHAPE_MISMATCH', `contextLoss: pairing has length ${pairing.length}, usage has U=${U} columns`);
  const seen = new Uint8Array(U);
  for (let i = 0; i < U; i++) {
    const v = pairing[i];
    if (!Number.isInteger(v) || v < 0 || v >= U || seen[v]) {
      throw new InductiveBiasError('BAD_OPTION', `contextLoss: pairing is not a permutation of 0..${U - 1} (entry ${i} = ${v})`);
    }
    seen[v] = 1;
  }
  return Int32Array.from(pairing);
}

/**
 * Context loss (DESIGN eq. 5): −(1/B) Σ_b (2/W) Σ_{u<U/2} min(n^b_{perm[u]}, n^b_{perm[u+U/2]}), in [−1, 0];
 * −1 when both tokens of every pair are used equally often in every sentence, 0 when only one side of each pair is used.
 * `usage` is the [B, U] count matrix (a [U] vector is one sentence). The third argument is the options or W itself.
 * Differentiable in usage.
 */
export function contextLoss(usage: tf.Tensor, pairing: Int32Array | number[], options: ContextLossOptions | number = {}): tf.Scalar {
  if (typeof options === 'number') options = { tokensPerSentence: options };
  if (usage.rank !== 1 && usage.rank !== 2) {
    throw new InductiveBiasError('SHAPE_MISMATCH', `contextLoss: usage [${usage.shape}] must be [B, U] or [U]`);
  }
  const U = usage.shape[usage.rank - 1];
  const perm = checkPairing(pairing, U);
  const W = options.tokensPerSentence;
  if (W !== undefined && !(W > 0 && Number.isFinite(W))) {
    throw new InductiveBiasError('BAD_OPTION', `contextLoss: tokensPerSentence=${W} must be a positive finite number`);
  }
  const h = U / 2;
  return tf.tidy(() => {
    const n = usage.rank === 1 ? usage.reshape([1, U]) : usage; // [B, U]
    const cols = gather(tf.transpose(n), tf.tensor1d(perm, 'int32')); // [U, B], rows in pairing order
    const a = tf.slice(cols, [0, 0], [h, -1]);
    const b = tf.slice(cols, [h, 0], [h, -1]);
    const s = tf.sum(tf.minimum(a, b), 0); // [B]
    const w = W !== undefined ? tf.scalar(W) : tf.maximum(stopGradient(tf.sum(n, 1)), 1e-12);
    return tf.neg(tf.mean(tf.div(tf.mul(s, 2), w))) as tf.Scalar;
  });
}
