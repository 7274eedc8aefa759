import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { customSplit, splitMetaOfSamples } from '../protocols';
import { parseNtuName } from '../readers/names';
import { parseNtuSkeleton } from '../readers/ntu';
import { Rng } from '../rng';
import { NTU_BONE_PAIRS } from '../transforms/streams';
import { standardPreprocess } from '../transforms/index';
import type { SkeletonSample } from '../types';
import { SYNTHETIC_CLASS_NAMES, generateSyntheticDataset, syntheticProtocol, writeSyntheticDataset } from './index';

const J = 25;
const jointOf = (s: SkeletonSample, t: number, b: number, j: number): number[] => {
  const o = ((t * s.bodies + b) * J + j) * 3;
  return [s.data[o], s.data[o + 1], s.data[o + 2]];
};
const dist = (a: number[], b: number[]): number => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
/** Index of the first differing element, or -1 (much faster than a deep toEqual on big arrays). */
const firstDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  if (a.length !== b.length) return -2;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
};
const bodyEmpty = (s: SkeletonSample, b: number): boolean => {
  for (let t = 0; t < s.frames; t++) for (let j = 0; j < J; j++) if (jointOf(s, t, b, j).some((v) => v !== 0)) return false;
  return true;
};

describe('generateSyntheticDataset', () => {
  const opts = { seed: 3, subjects: 3, cameras: 2, repetitions: 2 };
  const ds = generateSyntheticDataset(opts);

  it('makes subjects × cameras × repetitions × classes NTU-named samples with consistent metadata', () => {
    expect(SYNTHETIC_CLASS_NAMES.length).toBeGreaterThanOrEqual(12);
    expect(new Set(SYNTHETIC_CLASS_NAMES).size).toBe(SYNTHETIC_CLASS_NAMES.length);
    expect(ds).toHaveLength(3 * 2 * 2 * SYNTHETIC_CLASS_NAMES.length);
    expect(new Set(ds.map((s) => s.id)).size).toBe(ds.length);
    for (const s of ds) {
      const n = parseNtuName(s.id);
      expect([n.subject, n.camera, n.setup, n.replication, n.action - 1]).toEqual([s.subject, s.camera, s.setup, s.replication, s.label]);
      expect(s.labelName).toBe(SYNTHETIC_CLASS_NAMES[s.label]);
      expect(s.frames).toBeGreaterThanOrEqual(40);
      expect(s.frames).toBeLessThanOrEqual(120);
      expect([s.bodies, s.joints, s.channels, s.data.length]).toEqual([2, 25, 3, s.frames * 150]);
      expect(Number.isFinite(s.data.reduce((a, v) => a + v, 0))).toBe(true);
    }
    expect(new Set(ds.map((s) => s.frames)).size).toBeGreaterThan(10);
  });

  it('is deterministic by seed, and a sample does not depend on which other samples are generated', () => {
    const again = generateSyntheticDataset(opts);
    expect(ds.map((s, i) => firstDiff(again[i].data, s.data)).filter((d) => d !== -1)).toEqual([]);
    const other = generateSyntheticDataset({ ...opts, seed: 4 });
    expect(firstDiff(other[0].data, ds[0].data)).not.toBe(-1);
    const sub = generateSyntheticDataset({ ...opts, subjects: 1, classes: ['squat'] });
    const same = ds.find((s) => s.id === sub[0].id)!;
    expect(firstDiff(sub[0].data, same.data)).toBe(-1);
    expect(sub[0].label).toBe(0);
    expect(() => generateSyntheticDataset({ classes: ['fly'] })).toThrow(/unknown synthetic class "fly"/);
  });

  it('uses two bodies exactly for the two-person actions and marks missing joints with zeros and tracking 0', () => {
    let missing = 0;
    let badTracking = 0;
    for (const s of ds) {
      const two = s.labelName === 'handshake' || s.labelName === 'hug';
      expect(bodyEmpty(s, 1)).toBe(!two);
      expect(bodyEmpty(s, 0)).toBe(false);
      for (let k = 0; k < s.frames * 2 * J; k++) {
        const zero = s.data[3 * k] === 0 && s.data[3 * k + 1] === 0 && s.data[3 * k + 2] === 0;
        const absent = !two && Math.floor(k / J) % 2 === 1;
        if (s.tracking![k] !== (zero ? 0 : 2)) badTracking++;
        if (zero && !absent) missing++;
      }
    }
    expect(badTracking).toBe(0);
    expect(missing).toBeGreaterThan(0);
  });

  it('builds rigid, human-sized bodies: constant bone lengths per subject (1e-4 relative), upright, 2-4 m from the camera', () => {
    const clean = generateSyntheticDataset({ seed: 5, subjects: 2, cameras: 3, repetitions: 1, jitter: 0, missingRate: 0 });
    const bones = NTU_BONE_PAIRS.filter(([c, p]) => c !== p);
    const ref = new Map<number, number[]>();
    for (const s of clean) {
      for (let b = 0; b < (bodyEmpty(s, 1) ? 1 : 2); b++) {
        const key = s.subject * 10 + b;
        for (let t = 0; t < s.frames; t += 7) {
          const lens = bones.map(([c, p]) => dist(jointOf(s, t, b, c - 1), jointOf(s, t, b, p - 1)));
          if (!ref.has(key)) ref.set(key, lens);
          const worst = Math.max(...lens.map((l, i) => Math.abs(l - ref.get(key)![i]) / ref.get(key)![i]));
          expect(worst).toBeLessThan(1e-4);
        }
      }
      if (s.labelName === 'stand up') continue; // starts seated
      const head = jointOf(s, 0, 0, 3);
      const foot = jointOf(s, 0, 0, 15);
      expect(head[1] - foot[1]).toBeGreaterThan(1.2);
      expect(head[1] - foot[1]).toBeLessThan(2.1);
      expect(jointOf(s, 0, 0, 0)[2]).toBeGreaterThan(1.8);
      expect(jointOf(s, 0, 0, 0)[2]).toBeLessThan(4.5);
    }
    // Different people have different bodies.
    expect(dist(ref.get(10)!.slice(0, 3), ref.get(20)!.slice(0, 3))).toBeGreaterThan(0.005);
  });

  it('classes are separable on held-out subjects (nearest centroid after centring + resize to 64) while subjects differ', () => {
    const data = generateSyntheticDataset({ seed: 11, subjects: 6, cameras: 2, repetitions: 1 });
    const pre = standardPreprocess({ length: 64 });
    const rng = new Rng(0);
    const X = data.map((s) => pre(s, rng).data);
    const K = SYNTHETIC_CLASS_NAMES.length;
    const D = X[0].length;
    const { train, test } = customSplit(splitMetaOfSamples(data), syntheticProtocol('xsub', { subjects: 6 }));
    expect(test.length).toBe(2 * 2 * K);
    const cent = Array.from({ length: K }, () => new Float64Array(D));
    const cnt = new Float64Array(K);
    for (const i of train) {
      cnt[data[i].label]++;
      for (let d = 0; d < D; d++) cent[data[i].label][d] += X[i][d];
    }
    cent.forEach((c, k) => c.forEach((_, d) => (c[d] /= cnt[k])));
    let correct = 0;
    for (const i of test) {
      let best = -1;
      let bestD = Infinity;
      for (let k = 0; k < K; k++) {
        let e = 0;
        for (let d = 0; d < D; d++) e += (X[i][d] - cent[k][d]) ** 2;
        if (e < bestD) [best, bestD] = [k, e];
      }
      if (best === data[i].label) correct++;
    }
    const acc = correct / test.length;
    // Chance is 1/14 ≈ 0.07.
    expect(acc).toBeGreaterThan(0.6);
    // Same class, camera and replication, different subjects: the preprocessed sequences differ by > 2 cm RMS.
    for (let k = 0; k < K; k++) {
      const a = data.findIndex((s) => s.subject === 1 && s.camera === 1 && s.label === k);
      const b = data.findIndex((s) => s.subject === 2 && s.camera === 1 && s.label === k);
      let e = 0;
      let n = 0;
      for (let d = 0; d < D; d++) if (X[a][d] !== 0 || X[b][d] !== 0) { e += (X[a][d] - X[b][d]) ** 2; n++; }
      expect(Math.sqrt(e / n)).toBeGreaterThan(0.02);
    }
  });

  it('syntheticProtocol gives X-Sub-like and X-View-like rules', () => {
    expect(syntheticProtocol('xsub', { subjects: 7 })).toEqual({ field: 'subject', train: [1, 2, 4, 5, 7], test: [3, 6] });
    expect(syntheticProtocol('xview', { cameras: 3 })).toEqual({ field: 'camera', train: [2, 3], test: [1] });
    expect(() => syntheticProtocol('xview', { cameras: 1 })).toThrow(/cameras/);
  });
});

describe('writeSyntheticDataset', () => {
  it('writes .skeleton files that the NTU reader reads back to the same samples', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmar-synth-'));
    try {
      const o = { seed: 2, subjects: 1, cameras: 1, repetitions: 1, classes: ['wave left hand', 'handshake'] };
      const paths = writeSyntheticDataset(dir, o);
      const want = generateSyntheticDataset(o);
      expect(paths).toHaveLength(2);
      paths.forEach((p, i) => {
        const bytes = readFileSync(p);
        expect(bytes.subarray(0, 8).toString('latin1')).toMatch(/^\d+\r\n/);
        const back = parseNtuSkeleton(new Uint8Array(bytes), { file: p, tracking: true });
        expect(back.id).toBe(want[i].id);
        expect([back.frames, back.bodies, back.subject, back.camera, back.setup, back.replication])
          .toEqual([want[i].frames, 2, want[i].subject, want[i].camera, want[i].setup, want[i].replication]);
        // Written with round-trip float32 formatting: equal, not just close.
        expect(firstDiff(back.data, want[i].data)).toBe(-1);
        expect(firstDiff(back.tracking!, want[i].tracking!)).toBe(-1);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const FIX = process.env.LLMAR_FIXTURES;
describe.skipIf(!FIX)('synthetic bodies vs the real NTU fixtures', () => {
  it('have segment lengths within a factor 1.5 of real Kinect skeletons (spine, arms, legs)', () => {
    const names = ['S001C001P001R001A001', 'S001C003P008R002A058', 'S002C001P003R001A003', 'S004C002P003R001A017'];
    // 1-based (child, parent): spine base→middle, middle→spine, shoulders→elbows, elbows→wrists, hips→knees, knees→ankles.
    const bones: [number, number][] = [[2, 1], [21, 2], [6, 5], [10, 9], [7, 6], [11, 10], [14, 13], [18, 17], [15, 14], [19, 18]];
    const mean = (samples: SkeletonSample[]): number[] => bones.map(([c, p]) => {
      let s = 0;
      let n = 0;
      for (const x of samples) for (let t = 0; t < x.frames; t += 5) {
        const a = jointOf(x, t, 0, c - 1);
        const b = jointOf(x, t, 0, p - 1);
        if (a.every((v) => v === 0) || b.every((v) => v === 0)) continue;
        s += dist(a, b);
        n++;
      }
      return s / n;
    });
    const real = mean(names.map((n) => {
      const file = join(FIX!, 'ntu-skeleton', `${n}.skeleton`);
      return parseNtuSkeleton(new Uint8Array(readFileSync(file)), { file });
    }));
    const syn = mean(generateSyntheticDataset({ seed: 1, subjects: 4, cameras: 1, repetitions: 1, classes: 3 }));
    syn.forEach((l, i) => {
      expect(l / real[i]).toBeGreaterThan(1 / 1.5);
      expect(l / real[i]).toBeLessThan(1.5);
    });
  });
});
