import { DatasetError } from './errors';
import { unpackSample } from './pack';
import { Rng } from './rng';
import type { PackedDataset, SkeletonSample, Transform } from './types';

/** Options of {@link batches}. */
export interface BatchOptions {
  /** Samples per batch (B). */
  batchSize: number;
  /** Frames per sample (V); samples are resampled (nearest frame) to V after the transform. */
  frames: number;
  /** Seed of the shuffle and of the transform's random draws. @default 0 */
  seed?: number;
  /** Shuffle the order (a new permutation each epoch when the generator is re-created with another seed). @default true */
  shuffle?: boolean;
  /** Drop the last batch when it has fewer than batchSize samples. @default false */
  dropLast?: boolean;
  /** Applied to each sample (with the batch generator's seeded rng) before resampling to V frames. @default none */
  transform?: Transform;
  /** Only these sample indices (e.g. a protocol's training split). @default every sample */
  indices?: ArrayLike<number>;
}

/** One batch: `x` is row-major [B, V, D] with D = bodies x joints x channels. */
export interface Batch {
  x: Float32Array;
  labels: Int32Array;
  /** Index of each row's sample in the packed dataset. */
  indices: Int32Array;
  /** Rows in this batch (B; the last batch may be smaller unless dropLast). */
  size: number;
  frames: number;
  /** Feature width D of a frame. */
  dim: number;
}

/**
 * Uniform nearest-frame resampling of `src` ([T, D] rows) to V frames into `dst` at `dstOff`: frame v takes source
 * frame floor((v + 0.5) * T / V).
 */
export function resampleNearest(src: Float32Array, T: number, D: number, V: number, dst: Float32Array, dstOff = 0): void {
  if (!(T >= 1) || src.length < T * D) {
    throw new DatasetError('ZERO_FRAMES', 'cannot resample a sample without frames (or with too little data)', {
      expected: `>= 1 frame and ${T * D} values`, found: `${T} frames, ${src.length} values` });
  }
  for (let v = 0; v < V; v++) {
    const t = Math.min(T - 1, Math.floor(((v + 0.5) * T) / V));
    dst.set(src.subarray(t * D, (t + 1) * D), dstOff + v * D);
  }
}

/** A sample resampled (nearest frame) to V frames (a new sample; the input is unchanged). */
export function resampleSample(s: SkeletonSample, V: number): SkeletonSample {
  const D = s.bodies * s.joints * s.channels;
  const data = new Float32Array(V * D);
  resampleNearest(s.data, s.frames, D, V, data);
  return { ...s, frames: V, data, tracking: undefined };
}

/**
 * Seeded, shuffled batches [B, V, D] straight from the packed arrays. Deterministic for a given seed. Without a
 * transform, each sample is uniformly resampled (nearest frame) from its own length to V frames.
 */
export function* batches(ds: PackedDataset, opts: BatchOptions): Generator<Batch> {
  const { batchSize: B, frames: V } = opts;
  if (!(Number.isInteger(B) && B >= 1)) throw new DatasetError('BAD_OPTION', 'batchSize must be a positive integer', { expected: '>= 1', found: String(B) });
  if (!(Number.isInteger(V) && V >= 1)) throw new DatasetError('BAD_OPTION', 'frames (V) must be a positive integer', { expected: '>= 1', found: String(V) });
  const n = ds.labels.length;
  const order = opts.indices ? Int32Array.from(opts.indices) : Int32Array.from({ length: n }, (_, i) => i);
  for (const i of order) {
    if (!(i >= 0 && i < n)) throw new DatasetError('BAD_OPTION', 'index out of range in indices', { expected: `0..${n - 1}`, found: String(i) });
  }
  const rng = new Rng(opts.seed ?? 0);
  if (opts.shuffle ?? true) rng.shuffle(order);
  const trng = rng.fork();
  let D = ds.bodies * ds.joints * ds.channels;
  for (let start = 0; start < order.length; start += B) {
    const size = Math.min(B, order.length - start);
    if (size < B && opts.dropLast) return;
    let x: Float32Array | undefined = opts.transform ? undefined : new Float32Array(size * V * D);
    const labels = new Int32Array(size);
    const indices = order.slice(start, start + size);
    for (let r = 0; r < size; r++) {
      const i = indices[r];
      labels[r] = ds.labels[i];
      if (!opts.transform) {
        resampleNearest(ds.data.subarray(ds.offsets[i], ds.offsets[i + 1]), ds.frames[i], D, V, x!, r * V * D);
        continue;
      }
      const s = opts.transform(unpackSample(ds, i, true), trng);
      const sd = s.bodies * s.joints * s.channels;
      if (s.data.length !== s.frames * sd) {
        throw new DatasetError('SHAPE_MISMATCH', `transform returned a sample whose data does not match its shape (sample ${s.id})`, {
          expected: String(s.frames * sd), found: String(s.data.length) });
      }
      if (!x) { D = sd; x = new Float32Array(size * V * D); }
      if (sd !== D) {
        throw new DatasetError('SHAPE_MISMATCH', `transform changed the frame width between samples (sample ${s.id})`, {
          expected: `D = ${D}`, found: `D = ${sd}` });
      }
      resampleNearest(s.data, s.frames, D, V, x, r * V * D);
    }
    yield { x: x!, labels, indices, size, frames: V, dim: D };
  }
}
