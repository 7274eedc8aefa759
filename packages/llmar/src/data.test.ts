import { describe, expect, it } from 'vitest';
import { Rng } from '@llmar/tensor';
import type { SkeletonSample } from '@llmar/skeleton-datasets';
import { prepareSequences, gatherBatch, augmentSet, subset } from './data';

function sample(frames: number, f: (t: number, b: number, j: number, c: number) => number): SkeletonSample {
  const bodies = 1;
  const joints = 3;
  const channels = 3;
  const data = new Float32Array(frames * bodies * joints * channels);
  for (let t = 0; t < frames; t++) for (let j = 0; j < joints; j++) for (let c = 0; c < channels; c++) data[(t * joints + j) * channels + c] = f(t, 0, j, c);
  return { id: 's', label: 1, subject: 2, camera: 3, setup: 1, replication: 1, frames, bodies, joints, channels, data };
}

describe('sequence preparation', () => {
  it('centres on the joint of the first frame, resizes linearly keeping both ends, pads bodies, scales', () => {
    const s = sample(5, (t, _b, j, c) => 10 * j + c + t);
    const set = prepareSequences([s], ['a', 'b'], { frames: 9, maxBodies: 2, centreJoint: 1, scale: 2 });
    expect(set.dim).toBe(2 * 3 * 3);
    const row = (t: number) => Array.from(set.x.subarray(t * set.dim, (t + 1) * set.dim));
    // frame 0, joint 1 is the origin
    expect(row(0).slice(3, 6)).toEqual([0, 0, 0]);
    // joint 0 at frame 0: (0,1,2) − (10,11,12) = −10 each, / 2
    expect(row(0).slice(0, 3)).toEqual([-5, -5, -5]);
    // last frame = original frame 4 (t adds 4); middle frame 4 of 9 = original frame 2
    expect(row(8).slice(3, 6)).toEqual([2, 2, 2]);
    expect(row(4).slice(3, 6)).toEqual([1, 1, 1]);
    // the missing second body stays zero
    expect(row(3).slice(9).every((v) => v === 0)).toBe(true);
    expect([set.labels[0], set.subjects[0], set.cameras[0]]).toEqual([1, 2, 3]);
  });

  it('augmentation: off is the identity; rotation about y keeps every joint norm; scale multiplies; copies repeat labels', () => {
    const s = sample(8, (t, _b, j, c) => Math.sin(t + 3 * j + c));
    const set = prepareSequences([s], ['a', 'b'], { frames: 8, maxBodies: 1 });
    expect(gatherBatch(set, [0])).toEqual(set.x);
    const rng = new Rng(5);
    const rot = gatherBatch(set, [0], { rotateDegrees: 90, next: () => rng.next() });
    for (let p = 0; p < rot.length; p += 3) {
      const n0 = Math.hypot(set.x[p], set.x[p + 1], set.x[p + 2]);
      expect(Math.hypot(rot[p], rot[p + 1], rot[p + 2])).toBeCloseTo(n0, 5);
      expect(rot[p + 1]).toBeCloseTo(set.x[p + 1], 6);
    }
    const sc = gatherBatch(set, [0], { scale: 0.5, next: () => 1 }); // factor 1 + (2·1 − 1)·0.5 = 1.5
    sc.forEach((v, i) => expect(v).toBeCloseTo(1.5 * set.x[i], 5));
    const two = subset(set, [0, 0]);
    const aug = augmentSet(two, 2, { crop: 0.3 }, () => rng.next());
    expect(aug.n).toBe(6);
    expect(Array.from(aug.labels)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(aug.x.subarray(0, two.x.length)).toEqual(two.x);
  });
});
