/** Body selection: order the bodies of a sample by motion energy and keep the most active ones. */
import type { SkeletonSample, Transform } from '../types';
import { badOption, checkSample, isEmptyBody, withData } from './util';

/**
 * Motion energy of each body: the sum over joints and channels of the variance over time of the coordinates, taken
 * over the frames where that body is present (CTR-GCN / NTU pre-processing). 0 for a body present in < 2 frames.
 */
export function bodyMotionEnergy(sample: SkeletonSample): Float64Array {
  checkSample(sample);
  const { frames, bodies, joints, channels } = sample;
  const size = joints * channels;
  const out = new Float64Array(bodies);
  for (let b = 0; b < bodies; b++) {
    const sum = new Float64Array(size);
    const sq = new Float64Array(size);
    let n = 0;
    for (let t = 0; t < frames; t++) {
      if (isEmptyBody(sample, t, b)) continue;
      const base = (t * bodies + b) * size;
      for (let i = 0; i < size; i++) {
        const x = sample.data[base + i];
        sum[i] += x;
        sq[i] += x * x;
      }
      n++;
    }
    if (n < 2) continue;
    let e = 0;
    for (let i = 0; i < size; i++) {
      const m = sum[i] / n;
      e += Math.max(0, sq[i] / n - m * m);
    }
    out[b] = e;
  }
  return out;
}

/** Options of {@link orderBodiesByMotion}. */
export interface BodyOrderOptions {
  /** Keep at most this many bodies (the most active first). @default 2 */
  maxBodies?: number;
  /** Pad with all-zero bodies up to `maxBodies` so every output has the same body count. @default false */
  padBodies?: boolean;
}

/** Reorders bodies by decreasing motion energy (ties keep their order) and keeps at most `maxBodies`. */
export function orderBodiesByMotion(opts: BodyOrderOptions = {}): Transform {
  const maxBodies = opts.maxBodies ?? 2;
  if (!Number.isInteger(maxBodies) || maxBodies < 1) throw badOption('maxBodies', maxBodies, 'an integer >= 1');
  return (sample) => {
    const energy = bodyMotionEnergy(sample);
    const order = Array.from({ length: sample.bodies }, (_, b) => b).sort((a, b) => energy[b] - energy[a] || a - b);
    const keep = order.slice(0, maxBodies);
    const outBodies = opts.padBodies ? maxBodies : keep.length;
    const { frames, bodies, joints, channels } = sample;
    const size = joints * channels;
    const data = new Float32Array(frames * outBodies * size);
    const tracking = sample.tracking ? new Uint8Array(frames * outBodies * joints) : undefined;
    for (let t = 0; t < frames; t++) {
      keep.forEach((b, k) => {
        data.set(sample.data.subarray((t * bodies + b) * size, (t * bodies + b + 1) * size), (t * outBodies + k) * size);
        if (tracking && sample.tracking) {
          tracking.set(sample.tracking.subarray((t * bodies + b) * joints, (t * bodies + b + 1) * joints), (t * outBodies + k) * joints);
        }
      });
    }
    return withData(sample, data, { bodies: outBodies }, tracking);
  };
}
