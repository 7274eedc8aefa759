import { tf } from '@llmar/tensor';
import { LlmError } from './errors';
import { pairSwapMatrix } from './fused';

/**
 * Rotary position embedding tables for one head: `cos` and `sinSigned`, each [maxSeqLen, headSize] float32, laid out so
 * that `rope(x) = x * cos + swap(x) * sinSigned`, where `swap` exchanges the two members of every rotated pair.
 * Frequencies follow llama2.c and Hugging Face in float32: f_j = 1 / theta^(2j / headSize), angle = pos * f_j.
 */
export function ropeTables(
  maxSeqLen: number,
  headSize: number,
  theta: number,
  style: 'adjacent' | 'rotate-half',
): { cos: Float32Array; sinSigned: Float32Array } {
  const half = headSize / 2;
  const freqs = new Float32Array(half);
  for (let j = 0; j < half; j++) freqs[j] = Math.fround(1 / Math.fround(Math.pow(theta, Math.fround((2 * j) / headSize))));
  const cos = new Float32Array(maxSeqLen * headSize);
  const sinSigned = new Float32Array(maxSeqLen * headSize);
  for (let p = 0; p < maxSeqLen; p++) {
    for (let i = 0; i < headSize; i++) {
      const j = style === 'adjacent' ? i >> 1 : i % half;
      const first = style === 'adjacent' ? i % 2 === 0 : i < half;
      const a = Math.fround(p * freqs[j]);
      cos[p * headSize + i] = Math.cos(a);
      sinSigned[p * headSize + i] = first ? -Math.sin(a) : Math.sin(a);
    }
  }
  return { cos, sinSigned };
}

/**
 * Apply RoPE to x [B, T, H, hs] with tables already sliced to the T positions and shaped [1, T, 1, hs].
 * The pair swap is a product with a constant permutation matrix (much faster than tf.reverse); pass `swap`
 * ({@link pairSwapMatrix} as a [hs, hs] tensor) to reuse one, otherwise it is built for the call.
 * Differentiable on every backend (reshape, matMul, mul, add).
 */
export function applyRope(
  x: tf.Tensor,
  cos: tf.Tensor,
  sinSigned: tf.Tensor,
  style: 'adjacent' | 'rotate-half',
  swap?: tf.Tensor,
): tf.Tensor {
  const hs = x.shape[x.rank - 1];
  return tf.tidy(() => {
    const P = swap ?? tf.tensor2d(pairSwapMatrix(hs, style), [hs, hs]);
    const swapped = tf.matMul(x.reshape([-1, hs]), P).reshape(x.shape);
    return tf.add(tf.mul(x, cos), tf.mul(swapped, sinSigned));
  });
}

function checkRows(w: tf.Tensor, nHeads: number, fn: string): [number, number, number] {
  if (w.rank !== 2) throw new LlmError('SHAPE_MISMATCH', `${fn}: weight must be [out, in], got [${w.shape}]`);
  const [out, inn] = w.shape;
  if (!Number.isInteger(nHeads) || nHeads <= 0 || out % nHeads !== 0 || (out / nHeads) % 2 !== 0) {
    throw new LlmError('BAD_OPTION', `${fn}: ${out} rows cannot be split into ${nHeads} heads of even size`);
  }
  return [out, inn, out / nHeads];
}

/**
 * The row permutation the Hugging Face LLaMA converter applies to q_proj / k_proj (pass nKvHeads for k_proj):
 * within each head, row 2j+h (adjacent pairs, llama2.c / Meta) moves to h*hs/2 + j (rotate-half). A model run with
 * `adjacent` RoPE gives the same outputs as the permuted weights run with `rotate-half`.
 */
export function permuteForRotateHalf(w: tf.Tensor2D, nHeads: number): tf.Tensor2D {
  const [out, inn, hs] = checkRows(w, nHeads, 'permuteForRotateHalf');
  return tf.tidy(() => w.reshape([nHeads, hs / 2, 2, inn]).transpose([0, 2, 1, 3]).reshape([out, inn]) as tf.Tensor2D);
}

/** Inverse of {@link permuteForRotateHalf}: Hugging Face rotate-half rows back to adjacent-pair (llama2.c) order. */
export function unpermuteFromRotateHalf(w: tf.Tensor2D, nHeads: number): tf.Tensor2D {
  const [out, inn, hs] = checkRows(w, nHeads, 'unpermuteFromRotateHalf');
  return tf.tidy(() => w.reshape([nHeads, 2, hs / 2, inn]).transpose([0, 2, 1, 3]).reshape([out, inn]) as tf.Tensor2D);
}
