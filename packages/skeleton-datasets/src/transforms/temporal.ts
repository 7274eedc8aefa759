/** Frame-axis transforms: drop empty frames, uniform sampling, linear resize, random crop-and-resize, padding. */
import { DatasetError } from '../errors';
import type { RandomSource, SkeletonSample, Transform } from '../types';
import { badOption, checkSample, isEmptyFrame, isMissing, selectFrames, withData } from './util';

/** Indices of the frames that hold at least one non-zero number. */
export function nonEmptyFrameIndices(sample: SkeletonSample): Int32Array {
  const keep: number[] = [];
  for (let t = 0; t < sample.frames; t++) if (!isEmptyFrame(sample, t)) keep.push(t);
  return Int32Array.from(keep);
}

/**
 * Removes every frame whose bodies, joints and channels are all zero (as the NTU pre-processing of CTR-GCN / pyskl).
 * Throws `ZERO_FRAMES` when nothing is left.
 */
export function dropEmptyFrames(): Transform {
  return (sample) => {
    checkSample(sample);
    const keep = nonEmptyFrameIndices(sample);
    if (keep.length === 0) throw new DatasetError('ZERO_FRAMES', `sample "${sample.id}" has no non-empty frame`);
    return keep.length === sample.frames ? sample : selectFrames(sample, keep);
  };
}

function checkLength(name: string, length: number): void {
  if (!Number.isInteger(length) || length < 1) throw badOption(name, length, 'an integer >= 1');
}

/**
 * Linear interpolation of frames `[start, start + count)` to `length` frames with aligned ends: output frame 0 is input
 * frame `start` and output frame `length - 1` is input frame `start + count - 1` (PyTorch `align_corners=True`).
 * A joint that is missing (all zeros) at either neighbour takes the nearer neighbour's value, so missing joints stay zero
 * instead of being blended. Tracking states follow the nearer frame.
 */
export function resizeSegment(sample: SkeletonSample, start: number, count: number, length: number): SkeletonSample {
  checkSample(sample);
  checkLength('length', length);
  if (!(Number.isInteger(start) && Number.isInteger(count) && count >= 1 && start >= 0 && start + count <= sample.frames)) {
    throw badOption('segment', [start, count], `a frame range inside [0, ${sample.frames})`);
  }
  const { bodies, joints, channels } = sample;
  const nj = bodies * joints;
  const size = nj * channels;
  const src = sample.data;
  const data = new Float32Array(length * size);
  const tracking = sample.tracking ? new Uint8Array(length * nj) : undefined;
  for (let i = 0; i < length; i++) {
    const pos = length === 1 || count === 1 ? 0 : (i * (count - 1)) / (length - 1);
    const lo = Math.min(Math.floor(pos), count - 1);
    const hi = Math.min(lo + 1, count - 1);
    const w = pos - lo;
    const a = (start + lo) * size;
    const b = (start + hi) * size;
    const o = i * size;
    for (let j = 0; j < nj; j++) {
      const ja = a + j * channels;
      const jb = b + j * channels;
      const jo = o + j * channels;
      if (w === 0 || lo === hi) {
        for (let c = 0; c < channels; c++) data[jo + c] = src[ja + c];
      } else if (isMissing(src, ja, channels) || isMissing(src, jb, channels)) {
        const from = w < 0.5 ? ja : jb;
        for (let c = 0; c < channels; c++) data[jo + c] = src[from + c];
      } else {
        for (let c = 0; c < channels; c++) data[jo + c] = src[ja + c] * (1 - w) + src[jb + c] * w;
      }
    }
    if (tracking && sample.tracking) {
      const near = start + (w < 0.5 ? lo : hi);
      tracking.set(sample.tracking.subarray(near * nj, (near + 1) * nj), i * nj);
    }
  }
  return withData(sample, data, { frames: length }, tracking);
}

/** Options of {@link resizeFrames}. */
export interface ResizeOptions {
  /** Output frame count. @default 64 */
  length?: number;
}

/** Resizes the whole sequence to `length` frames by linear interpolation with aligned first and last frames. */
export function resizeFrames(opts: ResizeOptions = {}): Transform {
  const length = opts.length ?? 64;
  checkLength('length', length);
  return (sample) => resizeSegment(sample, 0, sample.frames, length);
}

/** Options of {@link randomCropResize}. */
export interface CropResizeOptions {
  /** Output frame count. @default 64 */
  length?: number;
  /**
   * Fraction of the sequence kept by the crop: `[lo, hi]` draws it uniformly (random start), `[p]` keeps the central
   * fraction p (deterministic, CTR-GCN's test-time setting). @default [0.5, 1]
   */
  pInterval?: readonly number[];
  /** Shortest crop in frames when drawing (never more than the sequence). @default 64 */
  minCrop?: number;
}

/**
 * CTR-GCN's `valid_crop_resize`: crop a fraction p of the sequence, then resize it to `length` frames (linear,
 * aligned ends). With two-element `pInterval` the fraction and the start are drawn from `rng`.
 */
export function randomCropResize(opts: CropResizeOptions = {}): Transform {
  const length = opts.length ?? 64;
  const pInterval = opts.pInterval ?? [0.5, 1];
  const minCrop = opts.minCrop ?? 64;
  checkLength('length', length);
  checkLength('minCrop', minCrop);
  const okP = (p: number): boolean => Number.isFinite(p) && p > 0 && p <= 1;
  if (!(pInterval.length === 1 || pInterval.length === 2) || !pInterval.every(okP) || (pInterval.length === 2 && pInterval[0] > pInterval[1])) {
    throw badOption('pInterval', pInterval, '[p] or [lo, hi] with 0 < lo <= hi <= 1');
  }
  return (sample, rng) => {
    const T = sample.frames;
    if (pInterval.length === 1) {
      const bias = Math.floor(((1 - pInterval[0]) * T) / 2);
      return resizeSegment(sample, bias, Math.max(1, T - 2 * bias), length);
    }
    const p = pInterval[0] + (pInterval[1] - pInterval[0]) * rng.next();
    const crop = Math.min(Math.max(Math.floor(T * p), minCrop), T);
    const start = Math.floor(rng.next() * (T - crop + 1));
    return resizeSegment(sample, start, crop, length);
  };
}

/** Options of {@link uniformSampleFrames}. */
export interface UniformSampleOptions {
  /** Output frame count. @default 64 */
  length?: number;
  /** Draw one random frame inside each of the `length` equal segments (training); otherwise take each segment's middle. @default false */
  random?: boolean;
}

/** Frame indices of uniform segment sampling (see {@link uniformSampleFrames}). */
export function uniformSampleIndices(frames: number, length: number, rng?: RandomSource): Int32Array {
  const idx = new Int32Array(length);
  for (let i = 0; i < length; i++) {
    const lo = Math.floor((i * frames) / length);
    const hi = Math.max(lo + 1, Math.floor(((i + 1) * frames) / length));
    idx[i] = Math.min(frames - 1, lo + (rng ? Math.floor(rng.next() * (hi - lo)) : Math.floor((hi - lo - 1) / 2)));
  }
  return idx;
}

/**
 * Uniform temporal sampling (pyskl `UniformSample`-style): the sequence is cut into `length` equal segments and one
 * frame is taken from each (no interpolation; short sequences repeat frames).
 */
export function uniformSampleFrames(opts: UniformSampleOptions = {}): Transform {
  const length = opts.length ?? 64;
  checkLength('length', length);
  return (sample, rng) => {
    checkSample(sample);
    return selectFrames(sample, uniformSampleIndices(sample.frames, length, opts.random ? rng : undefined));
  };
}

/** Options of {@link padFrames}. */
export interface PadOptions {
  /** Target frame count; longer sequences are cut to their first `length` frames. @default 64 */
  length?: number;
  /** `zero` appends zero frames; `loop` repeats the sequence from its start. @default 'zero' */
  mode?: 'zero' | 'loop';
}

/** Pads (or cuts) the sequence to exactly `length` frames. */
export function padFrames(opts: PadOptions = {}): Transform {
  const length = opts.length ?? 64;
  const mode = opts.mode ?? 'zero';
  checkLength('length', length);
  if (mode !== 'zero' && mode !== 'loop') throw badOption('mode', mode, "'zero' | 'loop'");
  return (sample) => {
    checkSample(sample);
    const T = sample.frames;
    if (T === length) return sample;
    if (T === 0) throw new DatasetError('ZERO_FRAMES', `cannot pad sample "${sample.id}" with no frames`);
    const idx = Int32Array.from({ length }, (_, i) => (i < T ? i : mode === 'loop' ? i % T : -1));
    const size = sample.bodies * sample.joints * sample.channels;
    const nj = sample.bodies * sample.joints;
    const data = new Float32Array(length * size);
    const tracking = sample.tracking ? new Uint8Array(length * nj) : undefined;
    for (let i = 0; i < length; i++) {
      if (idx[i] < 0) continue;
      data.set(sample.data.subarray(idx[i] * size, (idx[i] + 1) * size), i * size);
      if (tracking && sample.tracking) tracking.set(sample.tracking.subarray(idx[i] * nj, (idx[i] + 1) * nj), i * nj);
    }
    return withData(sample, data, { frames: length }, tracking);
  };
}
