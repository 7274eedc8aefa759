import { tf, customGrad } from '@llmar/tensor';
import { InductiveBiasError } from './errors';
import { zipfDistribution, jsDivergence, type ZipfOptions } from './divergence';

/** Options of {@link zipfLoss}. */
export interface ZipfLossOptions extends ZipfOptions {
  /** Inside the logarithms of the JS divergence and as the floor of the total count. @default 1e-8 */
  eps?: number;
  /** A ready target distribution of length U (descending); overrides alpha/beta. @default zipfDistribution(U, { alpha, beta }) */
  target?: Float32Array | number[];
}

/**
 * Normalised token usage Σ_b n^b / Σ_b ‖n^b‖₁ of a [B, U] count matrix (or the [U] vector itself normalised).
 * Counts are expected to be non-negative. Differentiable; the total is floored at `eps`.
 */
export function normalizedUsage(usage: tf.Tensor, eps = 1e-8): tf.Tensor1D {
  if (usage.rank !== 1 && usage.rank !== 2) {
    throw new InductiveBiasError('SHAPE_MISMATCH', `usage [${usage.shape}] must be [B, U] or [U]`);
  }
  return tf.tidy(() => {
    const tot = usage.rank === 2 ? tf.sum(usage, 0) : usage;
    return tf.div(tot, tf.maximum(tf.sum(tot), eps)) as tf.Tensor1D;
  });
}

/**
 * Sort a 1-D tensor in descending order with gradients flowing to the sorted values. The permutation comes from
 * tf.topk (which has no gradient) computed inside a custom-gradient op, so the index tensor never enters the gradient
 * tape (tfjs's stock GatherV2 gradient fails when its indices depend on a taped input); the backward pass scatters dy
 * back to the original positions (ScatterNd exists on every backend).
 */
export function sortDescending(x: tf.Tensor1D): tf.Tensor1D {
  if (x.rank !== 1) throw new InductiveBiasError('SHAPE_MISMATCH', `sortDescending: x [${x.shape}] must be 1-D`);
  const n = x.shape[0];
  const op = customGrad((a: tf.Tensor, save: tf.GradSaveFunc) => {
    const { values, indices } = tf.topk(a, n, true);
    save([indices.reshape([n, 1])]);
    indices.dispose();
    return {
      value: values,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.scatterND(saved[0], dy, [n])],
    };
  });
  return op(x) as tf.Tensor1D;
}

/**
 * Zipf loss (DESIGN eq. 4): JS( sort_desc(Σ_b n^b / Σ_b ‖n^b‖₁) ‖ P_zipf ). `usage` is the [B, U] count matrix n^b
 * (e.g. from Gumbel-softmax one-hots summed over a sentence) or a [U] vector. Returns a scalar (nats, in [0, ln 2]).
 */
export function zipfLoss(usage: tf.Tensor, options: ZipfLossOptions = {}): tf.Scalar {
  if (usage.rank !== 1 && usage.rank !== 2) {
    throw new InductiveBiasError('SHAPE_MISMATCH', `zipfLoss: usage [${usage.shape}] must be [B, U] or [U]`);
  }
  const U = usage.shape[usage.rank - 1];
  const eps = options.eps ?? 1e-8;
  let target: Float32Array;
  if (options.target) {
    target = Float32Array.from(options.target);
    if (target.length !== U) {
      throw new InductiveBiasError('SHAPE_MISMATCH', `zipfLoss: target has length ${target.length}, usage has U=${U} columns`);
    }
  } else target = zipfDistribution(U, options);
  return tf.tidy(() => {
    const sorted = sortDescending(normalizedUsage(usage, eps));
    return jsDivergence(sorted, tf.tensor1d(target), { eps }) as tf.Scalar;
  });
}
