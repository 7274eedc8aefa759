import { describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { at, randomSample } from './test-helpers';
import { dropEmptyFrames, padFrames, randomCropResize, resizeFrames, uniformSampleFrames, uniformSampleIndices } from './temporal';

const frame = (s: { data: Float32Array; bodies: number; joints: number; channels: number }, t: number): number[] => {
  const n = s.bodies * s.joints * s.channels;
  return Array.from(s.data.subarray(t * n, (t + 1) * n));
};

describe('dropEmptyFrames', () => {
  it('removes exactly the all-zero frames and keeps the others (and their tracking) in order', () => {
    const base = randomSample(1, { frames: 30, bodies: 2 }, true);
    const empty = new Set([0, 3, 4, 17, 29]);
    const data = base.data.slice();
    const n = 2 * 25 * 3;
    for (const t of empty) data.fill(0, t * n, (t + 1) * n);
    // A frame with only one non-zero number is not empty.
    data.fill(0, 10 * n, 11 * n);
    data[10 * n + 77] = 0.25;
    const s = { ...base, data };
    const out = dropEmptyFrames()(s, new Rng(0));
    expect(out.frames).toBe(30 - empty.size);
    const kept = Array.from({ length: 30 }, (_, t) => t).filter((t) => !empty.has(t));
    kept.forEach((t, i) => {
      expect(frame(out, i)).toEqual(frame(s, t));
      expect(Array.from(out.tracking!.subarray(i * 50, (i + 1) * 50))).toEqual(Array.from(s.tracking!.subarray(t * 50, (t + 1) * 50)));
    });
    expect(s.data).toEqual(data); // input untouched
    expect(() => dropEmptyFrames()({ ...s, data: new Float32Array(data.length) }, new Rng(0))).toThrow(/ZERO_FRAMES/);
  });
});

describe('resizeFrames', () => {
  it('keeps the first and last frames and interpolates linearly in between (float64 reference, 1e-6)', () => {
    const s = randomSample(2, { frames: 37, bodies: 1, joints: 5 });
    for (const L of [64, 20, 37, 2]) {
      const out = resizeFrames({ length: L })(s, new Rng(0));
      expect(out.frames).toBe(L);
      expect(frame(out, 0)).toEqual(frame(s, 0));
      expect(frame(out, L - 1)).toEqual(frame(s, 36));
      for (const i of [1, Math.floor(L / 2), L - 2]) {
        const pos = (i * 36) / (L - 1);
        const lo = Math.floor(pos);
        const w = pos - lo;
        const a = frame(s, lo);
        const b = frame(s, Math.min(lo + 1, 36));
        frame(out, i).forEach((v, k) => expect(Math.abs(v - (a[k] * (1 - w) + b[k] * w))).toBeLessThan(1e-6));
      }
    }
    expect(resizeFrames({ length: 37 })(s, new Rng(0)).data).toEqual(s.data);
  });

  it('never blends a missing joint with a present one', () => {
    const s = randomSample(3, { frames: 4, joints: 2 });
    s.data.fill(0, at(s, 1, 0, 0), at(s, 1, 0, 0) + 3);
    const out = resizeFrames({ length: 7 })(s, new Rng(0));
    // Output frame i sits at input position i / 2. Where a neighbour is missing the nearer frame (ties: the later) is copied.
    const j0 = (x: typeof out, t: number): number[] => Array.from(x.data.subarray(at(x, t, 0, 0), at(x, t, 0, 0) + 3));
    expect(j0(out, 1)).toEqual([0, 0, 0]);
    expect(j0(out, 2)).toEqual([0, 0, 0]);
    expect(j0(out, 3)).toEqual(j0(s, 2));
    expect(j0(out, 4)).toEqual(j0(s, 2));
    // Joint 1 is present everywhere and is blended normally.
    const j1 = (x: typeof out, t: number): number[] => Array.from(x.data.subarray(at(x, t, 0, 1), at(x, t, 0, 1) + 3));
    j1(out, 1).forEach((v, c) => expect(Math.abs(v - 0.5 * (j1(s, 0)[c] + j1(s, 1)[c]))).toBeLessThan(1e-6));
  });
});

describe('randomCropResize', () => {
  it('is deterministic by seed, keeps the output length, and starts on a real input frame', () => {
    const s = randomSample(4, { frames: 120, joints: 3 });
    const t = randomCropResize({ length: 64, pInterval: [0.5, 1] });
    const a = t(s, new Rng(9));
    const b = t(s, new Rng(9));
    const c = t(s, new Rng(10));
    expect(a.data).toEqual(b.data);
    expect(a.data).not.toEqual(c.data);
    expect(a.frames).toBe(64);
    const first = frame(a, 0);
    const start = Array.from({ length: 120 }, (_, k) => k).find((k) => frame(s, k).every((v, i) => v === first[i]));
    expect(start).toBeDefined();
    expect(start!).toBeLessThanOrEqual(120 - 64);
    const last = frame(a, 63);
    const end = Array.from({ length: 120 }, (_, k) => k).find((k) => frame(s, k).every((v, i) => v === last[i]));
    expect(end! - start! + 1).toBeGreaterThanOrEqual(64);
  });

  it('with a single p keeps the central fraction; p = 1 equals a plain resize', () => {
    const s = randomSample(5, { frames: 50, joints: 2 });
    expect(randomCropResize({ length: 30, pInterval: [1] })(s, new Rng(0)).data).toEqual(resizeFrames({ length: 30 })(s, new Rng(0)).data);
    const mid = randomCropResize({ length: 30, pInterval: [0.6] })(s, new Rng(0));
    expect(frame(mid, 0)).toEqual(frame(s, 10));
    expect(frame(mid, 29)).toEqual(frame(s, 39));
    expect(() => randomCropResize({ pInterval: [0.9, 0.5] })).toThrow(/pInterval/);
  });
});

describe('uniformSampleFrames', () => {
  it('takes one frame per segment: the middle one, or a seeded random one', () => {
    const idx = uniformSampleIndices(100, 10);
    expect(Array.from(idx)).toEqual([4, 14, 24, 34, 44, 54, 64, 74, 84, 94]);
    const r = uniformSampleIndices(100, 10, new Rng(1));
    r.forEach((v, i) => expect(v >= i * 10 && v < (i + 1) * 10).toBe(true));
    const short = uniformSampleIndices(3, 6);
    expect(Array.from(short)).toEqual([0, 0, 1, 1, 2, 2]);
    const s = randomSample(6, { frames: 100, joints: 2 });
    const out = uniformSampleFrames({ length: 10 })(s, new Rng(0));
    expect(frame(out, 3)).toEqual(frame(s, 34));
    const a = uniformSampleFrames({ length: 10, random: true })(s, new Rng(3));
    expect(a.data).toEqual(uniformSampleFrames({ length: 10, random: true })(s, new Rng(3)).data);
  });
});

describe('padFrames', () => {
  it('pads with zeros or by looping, and cuts longer sequences', () => {
    const s = randomSample(7, { frames: 3, joints: 2 }, true);
    const z = padFrames({ length: 7 })(s, new Rng(0));
    const l = padFrames({ length: 7, mode: 'loop' })(s, new Rng(0));
    for (let i = 0; i < 7; i++) {
      expect(frame(l, i)).toEqual(frame(s, i % 3));
      expect(frame(z, i)).toEqual(i < 3 ? frame(s, i) : new Array(6).fill(0));
    }
    expect(padFrames({ length: 2 })(s, new Rng(0)).frames).toBe(2);
    expect(z.tracking!.length).toBe(7 * 2);
  });
});
