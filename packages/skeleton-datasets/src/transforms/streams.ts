/** Bone and motion streams, and flattening to the [frames, bodies × joints × channels] layout of the VQ-VAE. */
import type { SkeletonSample, Transform } from '../types';
import { badOption, checkSample, withData } from './util';

/**
 * NTU RGB+D bone pairs (child, parent), 1-based, exactly as CTR-GCN's `ntu_pairs` (`graph/ntu_rgb_d.py` /
 * `feeders/bone_pairs.py`); joint 21 ("spine") is its own parent, so its bone is zero.
 */
export const NTU_BONE_PAIRS: readonly (readonly [number, number])[] = [
  [1, 2], [2, 21], [3, 21], [4, 3], [5, 21], [6, 5], [7, 6], [8, 7], [9, 21], [10, 9], [11, 10], [12, 11], [13, 1],
  [14, 13], [15, 14], [16, 15], [17, 1], [18, 17], [19, 18], [20, 19], [22, 23], [21, 21], [23, 8], [24, 25], [25, 12],
];

/** Options of {@link toBoneStream}. */
export interface BoneOptions {
  /** 1-based (child, parent) pairs; bone[child] = joint[child] − joint[parent], joints without a pair get zero. @default NTU_BONE_PAIRS */
  pairs?: readonly (readonly [number, number])[];
}

/** The bone stream (CTR-GCN `gen_bone_data`): each joint's vector from its parent. */
export function toBoneStream(opts: BoneOptions = {}): Transform {
  const pairs = opts.pairs ?? NTU_BONE_PAIRS;
  return (sample) => {
    checkSample(sample);
    const { joints: J, channels: C } = sample;
    for (const [a, b] of pairs) {
      if (!(Number.isInteger(a) && Number.isInteger(b) && a >= 1 && b >= 1 && a <= J && b <= J)) {
        throw badOption(`bone pair of "${sample.id}"`, [a, b], `1-based joints in [1, ${J}]`);
      }
    }
    const src = sample.data;
    const data = new Float32Array(src.length);
    const groups = sample.frames * sample.bodies;
    for (let g = 0; g < groups; g++) {
      const base = g * J * C;
      for (const [a, b] of pairs) {
        for (let c = 0; c < C; c++) data[base + (a - 1) * C + c] = src[base + (a - 1) * C + c] - src[base + (b - 1) * C + c];
      }
    }
    return withData(sample, data, {}, sample.tracking);
  };
}

/** The motion stream: x[t + 1] − x[t] for every frame but the last, which is zero (CTR-GCN / pyskl `ToMotion`). */
export function toMotionStream(): Transform {
  return (sample) => {
    checkSample(sample);
    const size = sample.bodies * sample.joints * sample.channels;
    const src = sample.data;
    const data = new Float32Array(src.length);
    for (let i = 0; i < (sample.frames - 1) * size; i++) data[i] = src[i + size] - src[i];
    return withData(sample, data, {}, sample.tracking);
  };
}

/** A sample as a matrix: `data` is row-major [frames, dim] with dim = bodies × joints × channels. */
export interface FlatSequence {
  frames: number;
  dim: number;
  data: Float32Array;
}

/**
 * Flattens a sample to [frames, bodies × joints × channels] (the VQ-VAE input, D = 150 for NTU with 2 bodies): within a
 * frame, body-major, then joint, then channel. Returns a copy.
 */
export function flattenSample(sample: SkeletonSample): FlatSequence {
  checkSample(sample);
  return { frames: sample.frames, dim: sample.bodies * sample.joints * sample.channels, data: sample.data.slice() };
}
