import { describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import type { PackedDataset } from '../types';
import { bodyMotionEnergy, orderBodiesByMotion } from './bodies';
import { centerOnJoint, randomRotation } from './geometry';
import { compose, standardPreprocess } from './index';
import { computeChannelStats, normalizeChannels } from './normalize';
import { NTU_BONE_PAIRS, flattenSample, toBoneStream, toMotionStream } from './streams';
import { randomCropResize } from './temporal';
import { at, joint, randomSample } from './test-helpers';

describe('orderBodiesByMotion', () => {
  it('puts the most moving body first, keeps at most M and pads on request', () => {
    const s = randomSample(1, { frames: 20, bodies: 3, joints: 4 }, true);
    // Body 0 barely moves, body 2 moves most: scale their excursions.
    for (let t = 0; t < 20; t++) for (let j = 0; j < 4; j++) for (let c = 0; c < 3; c++) {
      s.data[at(s, t, 0, j) + c] = 1 + 0.01 * s.data[at(s, t, 0, j) + c];
      s.data[at(s, t, 2, j) + c] *= 3;
    }
    const e = bodyMotionEnergy(s);
    expect(e[2]).toBeGreaterThan(e[1]);
    expect(e[1]).toBeGreaterThan(e[0]);
    const out = orderBodiesByMotion({ maxBodies: 2 })(s, new Rng(0));
    expect(out.bodies).toBe(2);
    expect(joint(out, 7, 0, 3)).toEqual(joint(s, 7, 2, 3));
    expect(joint(out, 7, 1, 3)).toEqual(joint(s, 7, 1, 3));
    expect(out.tracking![(7 * 2 + 0) * 4 + 3]).toBe(s.tracking![(7 * 3 + 2) * 4 + 3]);
    const padded = orderBodiesByMotion({ maxBodies: 4, padBodies: true })(s, new Rng(0));
    expect(padded.bodies).toBe(4);
    expect(joint(padded, 3, 3, 0)).toEqual([0, 0, 0]);
  });
});

describe('bone and motion streams', () => {
  it('bone[child] = joint[child] − joint[parent] with CTR-GCN NTU pairs; the spine joint 21 is zero', () => {
    const s = randomSample(2, { frames: 3, bodies: 2 });
    const b = toBoneStream()(s, new Rng(0));
    expect(NTU_BONE_PAIRS).toHaveLength(25);
    expect(new Set(NTU_BONE_PAIRS.map(([c]) => c)).size).toBe(25);
    for (const [c, p] of NTU_BONE_PAIRS) {
      const want = joint(s, 2, 1, c - 1).map((v, k) => v - joint(s, 2, 1, p - 1)[k]);
      joint(b, 2, 1, c - 1).forEach((v, k) => expect(Math.abs(v - want[k])).toBeLessThan(1e-6));
    }
    expect(joint(b, 0, 0, 20)).toEqual([0, 0, 0]);
  });

  it('motion[t] = x[t + 1] − x[t], last frame zero', () => {
    const s = randomSample(3, { frames: 5, joints: 2 });
    const m = toMotionStream()(s, new Rng(0));
    for (let t = 0; t < 4; t++) joint(m, t, 0, 1).forEach((v, k) => expect(Math.abs(v - (joint(s, t + 1, 0, 1)[k] - joint(s, t, 0, 1)[k]))).toBeLessThan(1e-6));
    expect(joint(m, 4, 0, 1)).toEqual([0, 0, 0]);
  });

  it('flattenSample gives [frames, bodies × joints × channels] (150 for NTU with 2 bodies)', () => {
    const s = randomSample(4, { frames: 7, bodies: 2 });
    const f = flattenSample(s);
    expect(f.dim).toBe(150);
    expect(f.frames).toBe(7);
    // Row t, column (b·25 + j)·3 + c.
    expect(f.data[3 * 150 + (1 * 25 + 10) * 3 + 2]).toBe(joint(s, 3, 1, 10)[2]);
    expect(f.data).not.toBe(s.data);
  });
});

describe('normalisation statistics', () => {
  it('match a float64 two-pass reference, skip missing joints, and agree between samples and a PackedDataset', () => {
    const a = randomSample(5, { frames: 10, bodies: 2 });
    const b = randomSample(6, { frames: 4, bodies: 2 });
    b.data.fill(0, 0, 30); // ten missing joints
    const values: number[][] = [[], [], []];
    for (const s of [a, b]) for (let o = 0; o < s.data.length; o += 3) {
      if (s.data[o] === 0 && s.data[o + 1] === 0 && s.data[o + 2] === 0) continue;
      for (let c = 0; c < 3; c++) values[c].push(s.data[o + c]);
    }
    const st = computeChannelStats([a, b]);
    expect(st.count).toBe(values[0].length);
    for (let c = 0; c < 3; c++) {
      const mean = values[c].reduce((x, y) => x + y, 0) / values[c].length;
      const sd = Math.sqrt(values[c].reduce((x, y) => x + (y - mean) ** 2, 0) / values[c].length);
      expect(Math.abs(st.mean[c] - mean)).toBeLessThan(1e-9);
      expect(Math.abs(st.std[c] - sd)).toBeLessThan(1e-9);
    }
    const data = new Float32Array(a.data.length + b.data.length);
    data.set(a.data);
    data.set(b.data, a.data.length);
    const packed = { bodies: 2, joints: 25, channels: 3, data } as PackedDataset;
    const sp = computeChannelStats(packed);
    expect(Array.from(sp.mean)).toEqual(Array.from(st.mean));
    // After normalising, the present joints have mean 0 and std 1 per channel (1e-4).
    const norm = normalizeChannels(st, { eps: 0 });
    const after = computeChannelStats([norm(a, new Rng(0)), norm(b, new Rng(0))]);
    for (let c = 0; c < 3; c++) {
      expect(Math.abs(after.mean[c])).toBeLessThan(1e-4);
      expect(Math.abs(after.std[c] - 1)).toBeLessThan(1e-4);
    }
    expect(Array.from(norm(b, new Rng(0)).data.subarray(0, 30))).toEqual(new Array(30).fill(0));
  });
});

describe('compose', () => {
  it('applies transforms in order with one shared rng, deterministically, without touching the input', () => {
    const s = randomSample(7, { frames: 90, bodies: 2 });
    const copy = s.data.slice();
    const t = compose(centerOnJoint(), randomRotation(), randomCropResize({ length: 32 }));
    const a = t(s, new Rng(1));
    expect(a.data).toEqual(t(s, new Rng(1)).data);
    const r = new Rng(1);
    const manual = randomCropResize({ length: 32 })(randomRotation()(centerOnJoint()(s, r), r), r);
    expect(a.data).toEqual(manual.data);
    expect(s.data).toEqual(copy);
    const std = standardPreprocess({ length: 64 })(s, new Rng(0));
    expect([std.frames, std.bodies]).toEqual([64, 2]);
  });
});
