/** Helpers shared by the transform tests (not exported from the package). */
import { Rng } from '../rng';
import type { SkeletonSample } from '../types';

/** A sample of uniform random coordinates in [−1, 1) (no zeros), optionally with tracking states. */
export function randomSample(seed: number, shape: { frames: number; bodies?: number; joints?: number; channels?: number }, tracking = false): SkeletonSample {
  const r = new Rng(seed);
  const { frames, bodies = 1, joints = 25, channels = 3 } = shape;
  const data = Float32Array.from({ length: frames * bodies * joints * channels }, () => r.uniform(-1, 1) || 0.5);
  const s: SkeletonSample = { id: `rand${seed}`, label: 0, subject: 1, camera: 1, setup: 1, replication: 1, frames, bodies, joints, channels, data };
  if (tracking) s.tracking = Uint8Array.from({ length: frames * bodies * joints }, () => 1 + r.int(2));
  return s;
}

/** Offset of (t, b, j) in a sample's data. */
export const at = (s: SkeletonSample, t: number, b: number, j: number): number => ((t * s.bodies + b) * s.joints + j) * s.channels;

/** The (x, y, z) of a joint as float64 numbers. */
export const joint = (s: SkeletonSample, t: number, b: number, j: number): [number, number, number] => {
  const o = at(s, t, b, j);
  return [s.data[o], s.data[o + 1], s.data[o + 2]];
};
