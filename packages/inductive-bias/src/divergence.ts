import { tf } from '@llmar/tensor';
import { InductiveBiasError } from './errors';

/** Options of {@link zipfDistribution}. */
export interface ZipfOptions {
  /** Exponent α of P(k) ∝ (k + β)^(−α). @default 1 */
  alpha?: number;
  /** Rank offset β of P(k) ∝ (k + β)^(−α). @default 2.7 */
  beta?: number;
}

/**
 * The Zipf–Mandelbrot target of DESIGN eq. 2: P(k) ∝ (k + β)^(−α) for ranks k = 1..U, normalised to sum to 1.
 * Computed in float64 and returned as a **Float32Array** (descending; index 0 is rank 1).
 */
export function zipfDistribution(U: number, options: ZipfOptions = {}): Float32Array {
  const alpha = options.alpha ?? 1;
  const beta = options.beta ?? 2.7;
  if (!Number.isInteger(U) || U < 1) throw new InductiveBiasError('BAD_OPTION', `zipfDistribution: U=${U} must be a positive integer`);
  if (!Number.isFinite(alpha) || alpha < 0) throw new InductiveBiasError('BAD_OPTION', `zipfDistribution: alpha=${alpha} must be finite and >= 0`);
  if (!Number.isFinite(beta) || beta <= -1) throw new InductiveBiasError('BAD_OPTION', `zipfDistribution: beta=${beta} must be finite and > -1`);
  const p = new Float64Array(U);
  let s = 0;
  for (let k = 1; k <= U; k++) {
    p[k - 1] = Math.pow(k + beta, -alpha);
    s += p[k - 1];
  }
  const out = new Float32Array(U);
  for (let i = 0; i < U; i++) out[i] = p[i] / s;
  return out;
}

/** Options of {@link klDivergence} and {@link jsDivergence}. */
export interface DivergenceOptions {
  /**
   * Added inside every logarithm (log(p + eps)), so zero entries give finite values and finite gradients.
   * @default 1e-8
   */
  eps?: number;
}

function checkPair(name: string, p: tf.Tensor, q: tf.Tensor): void {
  if (p.rank < 1 || p.shape.length !== q.shape.length || p.shape.some((s, i) => s !== q.shape[i])) {
    throw new InductiveBiasError('SHAPE_MISMATCH', `${name}: P [${p.shape}] and Q [${q.shape}] must have the same shape (rank >= 1)`);
  }
}

function epsOf(name: string, options: DivergenceOptions): number {
  const eps = options.eps ?? 1e-8;
  if (!(eps >= 0) || !Number.isFinite(eps)) throw new InductiveBiasError('BAD_OPTION', `${name}: eps=${eps} must be finite and >= 0`);
  return eps;
}

/**
 * KL(P‖Q) = Σ p (log(p + eps) − log(q + eps)) over the last axis (distributions along the last axis; leading axes are
 * a batch and are kept). P and Q are expected to be normalised; nothing is renormalised here.
 */
export function klDivergence(p: tf.Tensor, q: tf.Tensor, options: DivergenceOptions = {}): tf.Tensor {
  checkPair('klDivergence', p, q);
  const eps = epsOf('klDivergence', options);
  return tf.tidy(() => tf.sum(tf.mul(p, tf.sub(tf.log(tf.add(p, eps)), tf.log(tf.add(q, eps)))), -1));
}

/**
 * Jensen–Shannon divergence JS(P‖Q) = ½KL(P‖M) + ½KL(Q‖M), M = ½(P + Q), over the last axis (nats; ≤ ln 2).
 * Symmetric, 0 for P = Q, finite with finite gradients when entries are exactly zero.
 */
export function jsDivergence(p: tf.Tensor, q: tf.Tensor, options: DivergenceOptions = {}): tf.Tensor {
  checkPair('jsDivergence', p, q);
  const eps = epsOf('jsDivergence', options);
  return tf.tidy(() => {
    const logM = tf.log(tf.add(tf.mul(tf.add(p, q), 0.5), eps));
    const kp = tf.sum(tf.mul(p, tf.sub(tf.log(tf.add(p, eps)), logM)), -1);
    const kq = tf.sum(tf.mul(q, tf.sub(tf.log(tf.add(q, eps)), logM)), -1);
    return tf.mul(tf.add(kp, kq), 0.5);
  });
}
