import { tf, matMul, stopGradient, customGrad, hasKernel } from '@llmar/tensor';
import { InductiveBiasError } from './errors';

/** Which MMD² estimator {@link mmd} computes. */
export type MmdEstimator = 'unbiased' | 'biased' | 'linear';

/** Options of {@link mmd}. */
export interface MmdOptions {
  /**
   * Absolute kernel bandwidths h (the kernel is Σ_h exp(−‖x − y‖² / h)). When given, `bandwidthMultipliers` and
   * `bandwidthReference` are ignored.
   * @default undefined (relative bandwidths)
   */
  bandwidths?: number[];
  /** Multipliers m of the relative bandwidths h = m · ref. @default [0.25, 0.5, 1, 2, 4] */
  bandwidthMultipliers?: number[];
  /**
   * The scale ref of the relative bandwidths, detached from the gradient: `mean` is the mean squared distance over all
   * pairs of [X; Y] (diagonal included, closed form 2·(mean‖z‖² − ‖mean z‖²), no sync); `median` is the median over the
   * distinct pairs (i < j) of [X; Y] (reads the distances back to the CPU). For the `linear` estimator `median` is the
   * median of the distances the estimator uses.
   * @default 'mean'
   */
  bandwidthReference?: 'mean' | 'median';
  /**
   * `unbiased` (U-statistic: diagonals of K_XX and K_YY excluded; may be negative), `biased` (V-statistic, ≥ 0, exactly 0
   * for X = Y), or `linear` (Gretton's linear-time estimate over disjoint pairs; needs n = m ≥ 2, uses 2·⌊n/2⌋ rows).
   * @default 'unbiased'
   */
  estimator?: MmdEstimator;
}

/**
 * {@link kernelSum} on @llmar/native's LlmarKernelSum / LlmarKernelSumGrad: one pass each way, the same float32
 * operations in the same order as the ops below (so the same bits), instead of ~5H forward and 4H backward kernels.
 */
function nativeKernelSum(d2: tf.Tensor, hs: tf.Tensor1D): tf.Tensor {
  const run = (name: string, inputs: tf.NamedTensorMap) => tf.engine().runKernel(name, inputs, {});
  const f = customGrad((d: tf.Tensor, h: tf.Tensor, save: tf.GradSaveFunc) => {
    const [k, ...terms] = run('LlmarKernelSum', { d2: d, hs: h }) as tf.Tensor[];
    save([h, ...terms]);
    return {
      value: k,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const inputs: tf.NamedTensorMap = { dy, hs: saved[0] };
        saved.slice(1).forEach((e, i) => (inputs[`e${i}`] = e));
        return [run('LlmarKernelSumGrad', inputs) as tf.Tensor, tf.zerosLike(hs)];
      },
    };
  });
  return f(d2, hs);
}

/** Squared Euclidean distances [N, M] of x [N, d] and y [M, d] by one matMul (no N×M×d intermediate), clamped at 0. */
export function pairwiseSquaredDistances(x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D {
  if (x.rank !== 2 || y.rank !== 2 || x.shape[1] !== y.shape[1]) {
    throw new InductiveBiasError('SHAPE_MISMATCH', `pairwiseSquaredDistances: x [${x.shape}] and y [${y.shape}] must be [N, d] and [M, d]`);
  }
  return tf.tidy(() => {
    const x2 = tf.sum(tf.square(x), 1, true); // [N, 1]
    const y2 = tf.sum(tf.square(y), 1, true).reshape([1, y.shape[0]]); // [1, M]
    const xy = matMul(x, y, false, true); // [N, M]
    return tf.relu(tf.sub(tf.add(x2, y2), tf.mul(xy, 2))) as tf.Tensor2D;
  });
}

/**
 * Σ_h exp(−d2 / h) for the bandwidths hs [H] (detached: their gradient is zero), as one differentiable op. The gradient
 * with respect to d2 is computed as the tape would (each term's −(dy · e_h) / h, summed from the last term to the
 * first), so values and gradients are bit for bit those of the plain ops, with about 140 fewer kernel calls in the
 * backward pass of a stage-1 step (the plain ops also took the gradient of every slice of hs, only to find it zero).
 */
function kernelSum(d2: tf.Tensor, hs: tf.Tensor1D): tf.Tensor {
  const H = hs.shape[0];
  if (H <= 16 && hasKernel('LlmarKernelSum') && hasKernel('LlmarKernelSumGrad')) return nativeKernelSum(d2, hs);
  const f = customGrad((d: tf.Tensor, h: tf.Tensor, save: tf.GradSaveFunc) => {
    const scales: tf.Tensor[] = [];
    const terms: tf.Tensor[] = [];
    let k: tf.Tensor | undefined;
    for (let i = 0; i < H; i++) {
      const s = tf.slice(h, [i], [1]).reshape([]);
      const e = tf.exp(tf.neg(tf.div(d, s)));
      scales.push(s);
      terms.push(e);
      k = k ? tf.add(k, e) : e;
    }
    save([...terms, ...scales]);
    return {
      value: k as tf.Tensor,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        let g: tf.Tensor | undefined;
        for (let i = H - 1; i >= 0; i--) {
          const t = tf.div(tf.neg(tf.mul(dy, saved[i])), saved[H + i]);
          g = g ? tf.add(g, t) : t;
        }
        return [g as tf.Tensor, tf.zerosLike(hs)];
      },
    };
  });
  return f(d2, hs);
}

function median(values: Float32Array | number[]): number {
  const a = Float64Array.from(values).sort();
  if (a.length === 0) return 0;
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : 0.5 * (a[m - 1] + a[m]);
}

function upperTriangle(d: Float32Array, n: number, into: number[], sameSet: boolean, m = n): void {
  for (let i = 0; i < n; i++) for (let j = sameSet ? i + 1 : 0; j < m; j++) into.push(d[i * m + j]);
}

/**
 * Squared maximum mean discrepancy MMD²(X, Y) (DESIGN eq. 7) with a multi-bandwidth Gaussian kernel
 * k(x, y) = Σ_h exp(−‖x − y‖² / h). X [n, d], Y [m, d]; returns a scalar, differentiable in X and Y (the relative
 * bandwidth scale is detached).
 */
export function mmd(X: tf.Tensor2D, Y: tf.Tensor2D, options: MmdOptions = {}): tf.Scalar {
  if (X.rank !== 2 || Y.rank !== 2 || X.shape[1] !== Y.shape[1]) {
    throw new InductiveBiasError('SHAPE_MISMATCH', `mmd: X [${X.shape}] and Y [${Y.shape}] must be [n, d] and [m, d] with the same d`);
  }
  const estimator = options.estimator ?? 'unbiased';
  if (!['unbiased', 'biased', 'linear'].includes(estimator)) {
    throw new InductiveBiasError('BAD_OPTION', `mmd: estimator "${estimator}" is not one of unbiased, biased, linear`);
  }
  const n = X.shape[0];
  const m = Y.shape[0];
  if (estimator === 'unbiased' && (n < 2 || m < 2)) {
    throw new InductiveBiasError('SHAPE_MISMATCH', `mmd: the unbiased estimator needs >= 2 rows in X [${X.shape}] and Y [${Y.shape}]`);
  }
  if (estimator === 'linear' && (n !== m || n < 2)) {
    throw new InductiveBiasError('SHAPE_MISMATCH', `mmd: the linear estimator needs X [${X.shape}] and Y [${Y.shape}] with n = m >= 2`);
  }
  if (n < 1 || m < 1) throw new InductiveBiasError('SHAPE_MISMATCH', `mmd: X [${X.shape}] and Y [${Y.shape}] must be non-empty`);
  const mults = options.bandwidthMultipliers ?? [0.25, 0.5, 1, 2, 4];
  const abs = options.bandwidths;
  for (const [name, list] of [['bandwidths', abs], ['bandwidthMultipliers', mults]] as const) {
    if (list && (list.length === 0 || list.some((v) => !(v > 0) || !Number.isFinite(v)))) {
      throw new InductiveBiasError('BAD_OPTION', `mmd: ${name} [${list.join(', ')}] must be a non-empty list of positive finite numbers`);
    }
  }
  const ref = options.bandwidthReference ?? 'mean';
  if (ref !== 'mean' && ref !== 'median') throw new InductiveBiasError('BAD_OPTION', `mmd: bandwidthReference "${ref}" is not mean or median`);

  return tf.tidy(() => {
    if (estimator === 'linear') {
      const k = Math.floor(n / 2);
      const x1 = tf.slice(X, [0, 0], [k, -1]);
      const x2 = tf.slice(X, [k, 0], [k, -1]);
      const y1 = tf.slice(Y, [0, 0], [k, -1]);
      const y2 = tf.slice(Y, [k, 0], [k, -1]);
      const rowD2 = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.sub(a, b)), 1);
      const dxx = rowD2(x1, x2);
      const dyy = rowD2(y1, y2);
      const dxy = rowD2(x1, y2);
      const dyx = rowD2(x2, y1);
      const hs = bandwidthTensor(abs, mults, ref, X, Y, () => {
        const all = tf.concat([dxx, dyy, dxy, dyx]).dataSync() as Float32Array;
        return median(all);
      });
      const h = tf.sub(tf.add(kernelSum(dxx, hs), kernelSum(dyy, hs)), tf.add(kernelSum(dxy, hs), kernelSum(dyx, hs)));
      return tf.mean(h) as tf.Scalar;
    }
    const dxx = pairwiseSquaredDistances(X, X);
    const dyy = pairwiseSquaredDistances(Y, Y);
    const dxy = pairwiseSquaredDistances(X, Y);
    const hs = bandwidthTensor(abs, mults, ref, X, Y, () => {
      const vals: number[] = [];
      upperTriangle(dxx.dataSync() as Float32Array, n, vals, true);
      upperTriangle(dyy.dataSync() as Float32Array, m, vals, true);
      upperTriangle(dxy.dataSync() as Float32Array, n, vals, false, m);
      return median(vals);
    });
    const kxx = kernelSum(dxx, hs);
    const kyy = kernelSum(dyy, hs);
    const kxy = kernelSum(dxy, hs);
    if (estimator === 'biased') {
      return tf.sub(tf.add(tf.mean(kxx), tf.mean(kyy)), tf.mul(tf.mean(kxy), 2)) as tf.Scalar;
    }
    const offX = tf.sub(tf.scalar(1), tf.eye(n));
    const offY = tf.sub(tf.scalar(1), tf.eye(m));
    const txx = tf.div(tf.sum(tf.mul(kxx, offX)), n * (n - 1));
    const tyy = tf.div(tf.sum(tf.mul(kyy, offY)), m * (m - 1));
    return tf.sub(tf.add(txx, tyy), tf.mul(tf.mean(kxy), 2)) as tf.Scalar;
  });
}

/** Bandwidths as a detached [H] tensor: absolute ones, or multipliers times the mean / median squared distance. */
function bandwidthTensor(
  abs: number[] | undefined,
  mults: number[],
  ref: 'mean' | 'median',
  X: tf.Tensor2D,
  Y: tf.Tensor2D,
  medianFn: () => number,
): tf.Tensor1D {
  if (abs) return tf.tensor1d(abs);
  let base: tf.Tensor;
  if (ref === 'median') {
    base = tf.scalar(medianFn());
  } else {
    // mean over all (i, j) of ‖z_i − z_j‖² = 2 (mean ‖z‖² − ‖mean z‖²), z over the rows of [X; Y]
    const Z = stopGradient(tf.concat([X, Y], 0));
    const meanSq = tf.mean(tf.sum(tf.square(Z), 1));
    const mu = tf.mean(Z, 0);
    base = tf.mul(tf.relu(tf.sub(meanSq, tf.sum(tf.square(mu)))), 2);
  }
  // a degenerate scale (all points equal) would divide by zero: floor it
  base = stopGradient(tf.maximum(base, 1e-12));
  return tf.mul(base, tf.tensor1d(mults)) as tf.Tensor1D;
}
