import { tf, matMul, customGrad } from '@llmar/tensor';
import { ARTANH_EPS32, MIN_NORM } from './constants';

/**
 * Floor of c‖x − y‖² in pairwiseDist: MIN_NORM², the same clamp as every other norm (‖·‖ ≥ 1e-15). Gradients stay
 * bounded for coincident pairs without a larger floor: float32 cancellation noise in ‖x‖² + ‖y‖² − 2⟨x,y⟩ scales with
 * ‖x‖², so the 1/‖x − y‖ factor times ‖x‖ stays ≲ 1/√eps (tested in grad.test.ts).
 */
const SQ_FLOOR = MIN_NORM * MIN_NORM;

/**
 * pairwiseDist from stock tfjs ops: one matMul for ⟨x,y⟩, then elementwise [N, M] ops on
 * ‖(−x) ⊕ y‖² = ‖x − y‖² / (1 − 2c⟨x,y⟩ + c²‖x‖²‖y‖²). Used on backends with fast elementwise kernels (node, GPU).
 */
export function pairwiseDistOps(x: tf.Tensor, y: tf.Tensor, c: number): tf.Tensor2D {
  return tf.tidy(() => {
    const m2xy = tf.mul(matMul(x, y, false, true), -2); // −2⟨x,y⟩ [N, M]
    const x2 = tf.sum(tf.square(x), -1, true); // [N, 1]
    const y2 = tf.reshape(tf.sum(tf.square(y), -1), [1, -1]); // [1, M]
    const csq = tf.maximum(tf.mul(tf.add(m2xy, tf.add(x2, y2)), c), SQ_FLOOR); // c‖x − y‖²
    const den = tf.maximum(tf.add(tf.add(tf.mul(m2xy, c), 1), tf.mul(tf.mul(x2, c * c), y2)), MIN_NORM);
    const z = tf.clipByValue(tf.sqrt(tf.div(csq, den)), 0, 1 - ARTANH_EPS32); // √c ‖(−x) ⊕ y‖
    return tf.mul(tf.atanh(z), 2 / Math.sqrt(c)) as tf.Tensor2D;
  });
}

/** Distances from ⟨x,y⟩ [N·M], ‖x‖² [N], ‖y‖² [M] in one pass over host memory (JavaScript doubles). */
function forwardPass(xy: Float32Array, x2: Float32Array, y2: Float32Array, c: number): Float32Array {
  const n = x2.length;
  const m = y2.length;
  const half = 1 / Math.sqrt(c); // (2/√c) · artanh(z) = (1/√c) · log((1 + z)/(1 − z))
  const zmax = 1 - ARTANH_EPS32;
  const out = new Float32Array(n * m);
  for (let i = 0; i < n; i++) {
    const a2 = x2[i];
    const row = i * m;
    for (let j = 0; j < m; j++) {
      const p = xy[row + j];
      const b2 = y2[j];
      const sc = c * (a2 + b2 - 2 * p);
      const den = 1 - 2 * c * p + c * c * a2 * b2;
      let z = Math.sqrt((sc > SQ_FLOOR ? sc : SQ_FLOOR) / (den > MIN_NORM ? den : MIN_NORM));
      if (z > zmax) z = zmax;
      out[row + j] = half * Math.log((1 + z) / (1 - z));
    }
  }
  return out;
}

/** Gradients with respect to ⟨x,y⟩ [N·M], ‖x‖² [N] and ‖y‖² [M] from the upstream gradient g [N·M]; clamped branches get 0. */
function backwardPass(xy: Float32Array, x2: Float32Array, y2: Float32Array, c: number, g: Float32Array) {
  const n = x2.length;
  const m = y2.length;
  const k = 2 / Math.sqrt(c);
  const zmax = 1 - ARTANH_EPS32;
  const gxy = new Float32Array(n * m);
  const gx2 = new Float32Array(n);
  const gy2 = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    const a2 = x2[i];
    const row = i * m;
    let acc = 0;
    for (let j = 0; j < m; j++) {
      const p = xy[row + j];
      const b2 = y2[j];
      let sc = c * (a2 + b2 - 2 * p);
      const sOk = sc > SQ_FLOOR;
      if (!sOk) sc = SQ_FLOOR;
      let den = 1 - 2 * c * p + c * c * a2 * b2;
      const dOk = den > MIN_NORM;
      if (!dOk) den = MIN_NORM;
      const z = Math.sqrt(sc / den);
      // d dist/dz · dz/dq with q = sc / den; zero where z was clamped
      const gq = z < zmax ? (g[row + j] * k) / ((1 - z * z) * 2 * z) : 0;
      const gsc = sOk ? gq / den : 0;
      const gden = dOk ? (-gq * sc) / (den * den) : 0;
      gxy[row + j] = -2 * c * (gsc + gden); // ∂/∂⟨x,y⟩
      acc += c * gsc + c * c * b2 * gden; // ∂/∂‖x‖²
      gy2[j] += c * gsc + c * c * a2 * gden; // ∂/∂‖y‖²
    }
    gx2[i] = acc;
  }
  return { gxy, gx2, gy2: Float32Array.from(gy2) };
}

/** Kernel names served by @llmar/native (forward, backward); see {@link pairwiseDistNative}. */
export const NATIVE_PAIRWISE_KERNELS = ['LlmarPoincarePairwise', 'LlmarPoincarePairwiseGrad'] as const;

/** Whether the active backend has the native fused kernels (registered by @llmar/native through initBackend). */
export function hasNativePairwise(): boolean {
  const b = tf.getBackend();
  return NATIVE_PAIRWISE_KERNELS.every((k) => tf.getKernel(k, b) !== undefined);
}

type Run = (name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, number>) => tf.Tensor | tf.Tensor[];
const runKernel: Run = (name, inputs, attrs) =>
  (tf.engine() as unknown as { runKernel: Run }).runKernel(name, inputs, attrs);

/**
 * pairwiseDist with one matMul and the native fused kernels (no read-back to JavaScript): LlmarPoincarePairwise
 * computes the distances from ⟨x,y⟩, ‖x‖², ‖y‖²; backward, LlmarPoincarePairwiseGrad gives the gradients with respect
 * to those three, then two matMuls. Same formulas and clamps as {@link pairwiseDistFused} (float32 arithmetic with
 * cancellation-free rearrangements instead of doubles).
 */
export function pairwiseDistNative(x: tf.Tensor, y: tf.Tensor, c: number): tf.Tensor2D {
  const f = customGrad((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const xy = matMul(a, b, false, true);
    const a2 = tf.tidy(() => tf.sum(tf.square(a), -1));
    const b2 = tf.tidy(() => tf.sum(tf.square(b), -1));
    save([a, b, xy, a2, b2]);
    return {
      value: runKernel('LlmarPoincarePairwise', { xy, x2: a2, y2: b2 }, { c }) as tf.Tensor2D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sa, sb, sxy, sa2, sb2] = saved;
        return tf.tidy(() => {
          const [gxy, gx2, gy2] = runKernel('LlmarPoincarePairwiseGrad', { xy: sxy, x2: sa2, y2: sb2, dy }, { c }) as tf.Tensor[];
          const gx = tf.add(matMul(gxy, sb), tf.mul(sa, tf.mul(tf.expandDims(gx2, 1), 2)));
          const gy = tf.add(matMul(gxy, sa, true, false), tf.mul(sb, tf.mul(tf.expandDims(gy2, 1), 2)));
          return [gx, gy];
        });
      },
    };
  });
  return f(x, y) as tf.Tensor2D;
}

/**
 * pairwiseDist with one matMul and a fused elementwise pass on host memory, differentiable through a custom gradient
 * (backward: one more fused pass and two matMuls). For the cpu and wasm backends, whose tensors live in host memory
 * and whose stock elementwise kernels would otherwise cost ~15 passes over the [N, M] matrix. Uses
 * {@link pairwiseDistNative} instead when the native kernels are registered on the active backend.
 */
export function pairwiseDistFused(x: tf.Tensor, y: tf.Tensor, c: number): tf.Tensor2D {
  return hasNativePairwise() ? pairwiseDistNative(x, y, c) : pairwiseDistHost(x, y, c);
}

/** The JavaScript fused pass of {@link pairwiseDistFused} (reads ⟨x,y⟩, ‖x‖², ‖y‖² back from the backend). */
export function pairwiseDistHost(x: tf.Tensor, y: tf.Tensor, c: number): tf.Tensor2D {
  const n = x.shape[0];
  const m = y.shape[0];
  const f = customGrad((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const xy = tf.tidy(() => matMul(a, b, false, true));
    const a2 = tf.tidy(() => tf.sum(tf.square(a), -1));
    const b2 = tf.tidy(() => tf.sum(tf.square(b), -1));
    const [xyD, a2D, b2D] = [xy.dataSync() as Float32Array, a2.dataSync() as Float32Array, b2.dataSync() as Float32Array];
    tf.dispose([xy, a2, b2]);
    save([a, b]);
    return {
      value: tf.tensor2d(forwardPass(xyD, a2D, b2D, c), [n, m]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sa, sb] = saved;
        const r = backwardPass(xyD, a2D, b2D, c, dy.dataSync() as Float32Array);
        return tf.tidy(() => {
          const gxy = tf.tensor2d(r.gxy, [n, m]);
          const gx = tf.add(matMul(gxy, sb), tf.mul(sa, tf.tensor2d(r.gx2, [n, 1]).mul(2)));
          const gy = tf.add(matMul(gxy, sa, true, false), tf.mul(sb, tf.tensor2d(r.gy2, [m, 1]).mul(2)));
          return [gx, gy];
        });
      },
    };
  });
  return f(x, y) as tf.Tensor2D;
}
