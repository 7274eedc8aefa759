import { tf, gather, matMul, Rng } from '@llmar/tensor';
import { VqError } from './errors';

/** Options of {@link kMeans}. */
export interface KMeansOptions {
  /** Lloyd iterations after the random start. @default 10 */
  iterations?: number;
}

/** Result of {@link kMeans}. */
export interface KMeansResult {
  /** Cluster centres [k, d]. */
  centers: tf.Tensor2D;
  /** Mean squared distance of each point to its nearest centre, after the last update (float64 from float32 data). */
  error: number;
}

/** Nearest-centre assignment by squared Euclidean distance (one matMul). */
export function nearestSquared(x: tf.Tensor2D, c: tf.Tensor2D): { indices: tf.Tensor1D; minDist: tf.Tensor1D } {
  return tf.tidy(() => {
    const x2 = tf.sum(tf.square(x), 1, true);
    const c2 = tf.sum(tf.square(c), 1).reshape([1, c.shape[0]]);
    const d2 = tf.relu(tf.add(tf.sub(x2, tf.mul(matMul(x, c, false, true), 2)), c2));
    return { indices: tf.argMin(d2, 1) as tf.Tensor1D, minDist: tf.min(d2, 1) as tf.Tensor1D };
  });
}

/**
 * Lloyd's k-means on the rows of x [N, d] (N ≥ k): k distinct rows drawn with `rng` as the start, then `iterations`
 * rounds of assign / average. A centre that loses all its points keeps its previous position.
 */
export function kMeans(x: tf.Tensor2D, k: number, rng: Rng, options: KMeansOptions = {}): KMeansResult {
  const iterations = options.iterations ?? 10;
  if (!Number.isInteger(iterations) || iterations < 0) throw new VqError('BAD_OPTION', `kMeans: iterations=${iterations} must be an integer >= 0`);
  const N = x.shape[0];
  if (x.rank !== 2) throw new VqError('SHAPE_MISMATCH', `kMeans: x [${x.shape}] must be [N, d]`);
  if (N < k) throw new VqError('TOO_FEW_SAMPLES', `kMeans: ${N} feature rows (x [${x.shape}]) cannot seed ${k} codes; pass at least ${k} rows`);
  const pool = new Int32Array(N);
  for (let i = 0; i < N; i++) pool[i] = i;
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(N - i);
    const t = pool[i];
    pool[i] = pool[j];
    pool[j] = t;
  }
  let centers = tf.tidy(() => gather(x, pool.slice(0, k)) as tf.Tensor2D);
  for (let it = 0; it < iterations; it++) {
    const next = tf.tidy(() => {
      const { indices } = nearestSquared(x, centers);
      const oh = tf.cast(tf.oneHot(indices, k), 'float32'); // [N, k]
      const sums = matMul(oh, x, true, false); // [k, d]
      const counts = tf.sum(oh, 0).reshape([k, 1]);
      const has = tf.cast(tf.greater(counts, 0), 'float32');
      const means = tf.div(sums, tf.maximum(counts, 1));
      return tf.add(tf.mul(has, means), tf.mul(tf.sub(1, has), centers)) as tf.Tensor2D;
    });
    centers.dispose();
    centers = next;
  }
  const error = tf.tidy(() => tf.mean(nearestSquared(x, centers).minDist).dataSync()[0]);
  return { centers, error };
}
