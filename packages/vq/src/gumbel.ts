import { tf, customGrad } from '@llmar/tensor';
import { VqError } from './errors';

/** Options of {@link gumbelUsage}. */
export interface GumbelUsageOptions {
  /** Softmax temperature τ: o_w = softmax((logits_w + g_w) / τ). @default 1 */
  tau?: number;
  /** Hard one-hot counts in the forward pass with the soft (Gumbel-softmax) gradient (straight-through). @default true */
  hard?: boolean;
  /** Seed of the Gumbel noise (tfjs's seeded uniform; identical on every backend). @default undefined (unseeded) */
  seed?: number;
  /** Explicit Gumbel noise g of the logits' shape (overrides `seed`), e.g. to reproduce a draw. @default undefined */
  noise?: tf.Tensor;
}

/** Standard Gumbel noise −log(−log u), u uniform in [1e-7, 1 − 1e-7] (finite everywhere). */
export function gumbelNoise(shape: number[], seed?: number): tf.Tensor {
  return tf.tidy(() => {
    const u = tf.randomUniform(shape, 1e-7, 1 - 1e-7, 'float32', seed);
    return tf.neg(tf.log(tf.neg(tf.log(u))));
  });
}

/** One-hot of the row argmax in the forward pass, identity gradient (straight-through). */
function hardStraightThrough(y: tf.Tensor): tf.Tensor {
  const U = y.shape[y.rank - 1];
  const op = customGrad((s: tf.Tensor) => ({
    value: tf.cast(tf.oneHot(tf.argMax(s, -1), U), 'float32'),
    gradFunc: (dy: tf.Tensor) => [dy],
  }));
  return op(y);
}

/**
 * Differentiable token usage (DESIGN eq. 3): o_w = GumbelSoftmax(logits_w / τ) per token position, n^b = Σ_w o_w.
 * `logits` is [B, W, U] (use −distance, e.g. `-quantizer.forward(f).distances` reshaped) or [W, U] for one sentence;
 * returns n [B, U] ([1, U] for one sentence). With `hard` (default) each o_w is an exact one-hot, so every row sums to
 * W, and the gradient is the soft Gumbel-softmax gradient for the same noise.
 */
export function gumbelUsage(logits: tf.Tensor, options: GumbelUsageOptions = {}): tf.Tensor2D {
  if (logits.rank !== 2 && logits.rank !== 3) {
    throw new VqError('SHAPE_MISMATCH', `gumbelUsage: logits [${logits.shape}] must be [B, W, U] or [W, U]`);
  }
  const tau = options.tau ?? 1;
  if (!(tau > 0) || !Number.isFinite(tau)) throw new VqError('BAD_OPTION', `gumbelUsage: tau=${tau} must be a positive finite number`);
  const hard = options.hard ?? true;
  if (options.noise && (options.noise.rank !== logits.rank || options.noise.shape.some((s, i) => s !== logits.shape[i]))) {
    throw new VqError('SHAPE_MISMATCH', `gumbelUsage: noise [${options.noise.shape}] must match logits [${logits.shape}]`);
  }
  return tf.tidy(() => {
    const l = logits.rank === 2 ? logits.expandDims(0) : logits;
    const g = options.noise ? options.noise.reshape(l.shape) : gumbelNoise(l.shape, options.seed);
    const soft = tf.softmax(tf.div(tf.add(l, g), tau), -1);
    const o = hard ? hardStraightThrough(soft) : soft;
    return tf.sum(o, 1) as tf.Tensor2D;
  });
}
