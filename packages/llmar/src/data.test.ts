import { describe, expect, it } from 'vitest';
import { Rng } from '@llmar/tensor';
import { eulerRotation, generateSyntheticDataset, type SkeletonSample } from '@llmar/skeleton-datasets';
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

describe('view alignment', () => {
  const sd = generateSyntheticDataset({ seed: 5, subjects: 1, cameras: 3, repetitions: 1, classes: 3 });
  const vec = (x: Float32Array, dim: number, t: number, a: number, b: number) => [0, 1, 2].map((c) => x[t * dim + b * 3 + c] - x[t * dim + a * 3 + c]);
  const norm = (v: number[]) => Math.hypot(...v);

  it('turns the spine (joint 0 → 1) to +z and the shoulders (4 → 8) to +x in the x-z plane, keeping lengths', () => {
    for (const s of sd) {
      const raw = prepareSequences([s], ['a', 'b', 'c'], { frames: 16, maxBodies: 1 });
      const al = prepareSequences([s], ['a', 'b', 'c'], { frames: 16, maxBodies: 1, align: true });
      const spine = vec(al.x, al.dim, 0, 0, 1);
      const rawSpine = vec(raw.x, raw.dim, 0, 0, 1);
      expect(Math.abs(norm(spine) - norm(rawSpine))).toBeLessThan(1e-5);
      // unit spine along +z to 1e-5 (float32 rotation of a ~0.3 m vector)
      expect(spine[0] / norm(spine)).toBeCloseTo(0, 5);
      expect(spine[1] / norm(spine)).toBeCloseTo(0, 5);
      expect(spine[2] / norm(spine)).toBeCloseTo(1, 5);
      // the raw synthetic data is y-up (NTU camera frame): the spine is not already on +z
      expect(rawSpine[2] / norm(rawSpine)).toBeLessThan(0.9);
      const sh = vec(al.x, al.dim, 0, 4, 8);
      expect(sh[1] / norm(sh)).toBeCloseTo(0, 5);
      expect(sh[0]).toBeGreaterThan(0);
    }
  });

  it('is view invariant: a sample rotated by any rotation (float64) aligns to the same sequence', () => {
    const s = sd[0];
    const [ax, ay, az] = [0.4, -1.1, 0.25];
    const r = eulerRotation(ax, ay, az);
    const data = new Float32Array(s.data.length);
    for (let o = 0; o < data.length; o += 3) {
      const [x, y, z] = [s.data[o], s.data[o + 1], s.data[o + 2]];
      data[o] = r[0] * x + r[1] * y + r[2] * z;
      data[o + 1] = r[3] * x + r[4] * y + r[5] * z;
      data[o + 2] = r[6] * x + r[7] * y + r[8] * z;
    }
    const a = prepareSequences([s], ['a'], { frames: 16, align: true });
    const b = prepareSequences([{ ...s, data }], ['a'], { frames: 16, align: true });
    const unaligned = prepareSequences([{ ...s, data }], ['a'], { frames: 16 });
    let maxDiff = 0;
    let rawDiff = 0;
    for (let i = 0; i < a.x.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(a.x[i] - b.x[i]));
      rawDiff = Math.max(rawDiff, Math.abs(a.x[i] - unaligned.x[i]));
    }
    expect(maxDiff).toBeLessThan(1e-4);
    expect(rawDiff).toBeGreaterThan(0.05);
  });

  it('rejects samples that do not have the NTU joint layout', () => {
    const s = sample(4, (t, _b, j, c) => t + j + c);
    expect(() => prepareSequences([s], ['a'], { align: true })).toThrow(/sample s: view alignment needs 3 channels and >= 9 joints/);
  });
});
