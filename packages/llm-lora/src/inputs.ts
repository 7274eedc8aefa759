import { tf } from '@llmar/tensor';
import { LlmError } from './errors';
import { KvCache } from './cache';
import type { Llama } from './model';

/**
 * Input embeddings [B, T, d] that take `external` where `externalMask` [B, T] is 1 and the token embedding of `ids`
 * elsewhere (ids at external positions are ignored, but must be valid ids, e.g. 0). Differentiable in `external`.
 */
export function mixEmbeddings(model: Llama, ids: tf.Tensor2D, external: tf.Tensor3D, externalMask: tf.Tensor2D): tf.Tensor3D {
  const [B, T] = ids.shape;
  const d = model.config.dim;
  if (external.rank !== 3 || external.shape[0] !== B || external.shape[1] !== T || external.shape[2] !== d) {
    throw new LlmError('SHAPE_MISMATCH', `mixEmbeddings: external must be [${B}, ${T}, ${d}], got [${external.shape}]`);
  }
  if (externalMask.rank !== 2 || externalMask.shape[0] !== B || externalMask.shape[1] !== T) {
    throw new LlmError('SHAPE_MISMATCH', `mixEmbeddings: externalMask must be [${B}, ${T}], got [${externalMask.shape}]`);
  }
  return tf.tidy(() => {
    const tok = model.embedTokens(ids);
    const cond = tf.broadcastTo(tf.greater(externalMask, 0).reshape([B, T, 1]), [B, T, d]);
    return tf.where(cond, external, tok) as tf.Tensor3D;
  });
}

/** A fresh KV cache for `batch` sequences of this model. */
export function createCache(model: Llama, batch: number): KvCache {
  return new KvCache(model.config.nLayers, batch);
}
