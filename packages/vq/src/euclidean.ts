import { tf, matMul } from '@llmar/tensor';
import { BaseQuantizer } from './base';
import type { QuantizerOptions } from './options';

/**
 * Euclidean vector quantizer (VQ-VAE): nearest code by squared Euclidean distance, straight-through gradients,
 * codebook + commitment losses, optional EMA updates, dead-code reset and k-means initialisation.
 */
export class VectorQuantizer extends BaseQuantizer {
  readonly kind = 'euclidean' as const;

  constructor(options: QuantizerOptions) {
    super(options);
    this.initialize();
  }

  protected toTangent(codes: tf.Tensor2D): tf.Tensor2D {
    return codes;
  }

  protected fromTangent(t: tf.Tensor2D): tf.Tensor2D {
    return t.clone();
  }

  /** Squared Euclidean distances ‖f − c‖² by one matMul, clamped at 0. */
  protected distanceMatrix(flat: tf.Tensor2D): tf.Tensor2D {
    const U = this.codebookSize;
    const x2 = tf.sum(tf.square(flat), 1, true);
    const c2 = tf.sum(tf.square(this.codes), 1).reshape([1, U]);
    return tf.relu(tf.add(tf.sub(x2, tf.mul(matMul(flat, this.codes, false, true), 2)), c2)) as tf.Tensor2D;
  }
}
