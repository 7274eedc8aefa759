import { describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import type { SkeletonSample } from '../types';
import { alignView, centerOnJoint, eulerRotation, randomGaussianNoise, randomRotation, randomScale, rotationBetween, transformJoints } from './geometry';
import { NTU_BONE_PAIRS } from './streams';
import { at, joint, randomSample } from './test-helpers';

type V = [number, number, number];
const sub = (a: V, b: V): V => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const dot = (a: V, b: V): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const len = (a: V): number => Math.sqrt(dot(a, a));
const cross = (a: V, b: V): V => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
/** Sine of the angle between a and b. */
const sinAngle = (a: V, b: V): number => len(cross(a, b)) / (len(a) * len(b));

/** pyskl PreNormalize3D's rotation_matrix (quaternion form), re-derived in float64 as an independent reference. */
function pysklRotation(axis: V, theta: number): number[] {
  if (Math.abs(axis[0]) + Math.abs(axis[1]) + Math.abs(axis[2]) < 1e-6 || Math.abs(theta) < 1e-6) return [1, 0, 0, 0, 1, 0, 0, 0, 1];
  const n = len(axis);
  const a = Math.cos(theta / 2);
  const [b, c, d] = axis.map((x) => (-x / n) * Math.sin(theta / 2));
  return [
    a * a + b * b - c * c - d * d, 2 * (b * c + a * d), 2 * (b * d - a * c),
    2 * (b * c - a * d), a * a + c * c - b * b - d * d, 2 * (c * d + a * b),
    2 * (b * d + a * c), 2 * (c * d - a * b), a * a + d * d - b * b - c * c,
  ];
}
const angle = (u: V, v: V): number => Math.acos(Math.max(-1, Math.min(1, dot(u, v) / (len(u) * len(v)))));
const apply = (m: number[], p: V): V => [m[0] * p[0] + m[1] * p[1] + m[2] * p[2], m[3] * p[0] + m[4] * p[1] + m[5] * p[2], m[6] * p[0] + m[7] * p[1] + m[8] * p[2]];

/** A random 3-D point cloud with an upright body frame: spine (0→1) ⟂ shoulders (4→8), then randomly rotated and moved. */
function orthogonalBody(seed: number): SkeletonSample {
  const s = randomSample(seed, { frames: 3, joints: 25 });
  const r = new Rng(seed + 100);
  const set = (j: number, p: V): void => { for (let t = 0; t < 3; t++) s.data.set(p, at(s, t, 0, j)); };
  // Offset by 0.1 so that no joint is exactly zero (zero means "missing").
  set(0, [0.1, 0.1, 0.1]);
  set(1, [0.1, 0.4, 0.1]);
  set(4, [-0.1, 0.6, 0.15]);
  set(8, [0.3, 0.6, 0.15]);
  const m = eulerRotation(r.uniform(-3, 3), r.uniform(-3, 3), r.uniform(-3, 3));
  return transformJoints(s, m, [r.uniform(-2, 2), r.uniform(-2, 2), r.uniform(1, 4)]);
}

describe('centerOnJoint', () => {
  it('puts the joint of the first frame where it is present at the origin and moves present joints only', () => {
    const s = randomSample(1, { frames: 6, bodies: 2 });
    s.data.fill(0, at(s, 0, 0, 1), at(s, 0, 0, 1) + 3); // body 0 lacks joint 1 in frame 0 → frame 1 is the reference
    s.data.fill(0, at(s, 3, 1, 7), at(s, 3, 1, 7) + 3); // a missing joint elsewhere
    const c = joint(s, 1, 0, 1);
    const out = centerOnJoint()(s, new Rng(0));
    expect(joint(out, 1, 0, 1)).toEqual([0, 0, 0]);
    expect(joint(out, 3, 1, 7)).toEqual([0, 0, 0]);
    for (const [t, b, j] of [[0, 0, 0], [5, 1, 24], [2, 0, 13]]) {
      const want = sub(joint(s, t, b, j), c);
      joint(out, t, b, j).forEach((v, k) => expect(Math.abs(v - want[k])).toBeLessThan(1e-6));
    }
    expect(joint(out, 0, 0, 1)).toEqual([0, 0, 0]);
  });
});

describe('alignView', () => {
  it('upright body: both modes turn the spine to +z and the shoulders to +x (1e-5)', () => {
    for (let seed = 0; seed < 5; seed++) {
      const s = centerOnJoint()(orthogonalBody(seed), new Rng(0));
      for (const mode of ['pyskl', 'upright'] as const) {
        const out = alignView({ mode })(s, new Rng(0));
        for (let t = 0; t < 3; t++) {
          const spine = sub(joint(out, t, 0, 1), joint(out, t, 0, 0));
          const sh = sub(joint(out, t, 0, 8), joint(out, t, 0, 4));
          expect(sinAngle(spine, [0, 0, 1])).toBeLessThan(1e-5);
          expect(spine[2]).toBeGreaterThan(0);
          expect(sinAngle(sh, [1, 0, 0])).toBeLessThan(1e-5);
          expect(sh[0]).toBeGreaterThan(0);
        }
      }
    }
  });

  it('any body: upright keeps the spine on +z with the shoulders in the x-z plane; pyskl matches pyskl (1e-5)', () => {
    for (let seed = 10; seed < 15; seed++) {
      const s = randomSample(seed, { frames: 4, bodies: 2 });
      const up = alignView({ mode: 'upright' })(s, new Rng(0));
      const spine = sub(joint(up, 0, 0, 1), joint(up, 0, 0, 0));
      const sh = sub(joint(up, 0, 0, 8), joint(up, 0, 0, 4));
      expect(sinAngle(spine, [0, 0, 1])).toBeLessThan(1e-5);
      expect(Math.abs(sh[1]) / len(sh)).toBeLessThan(1e-5);
      expect(sh[0]).toBeGreaterThan(0);
      // pyskl reference: z rotation from the spine, then x rotation from the rotated shoulders, both at frame 0 body 0.
      const z = sub(joint(s, 0, 0, 1), joint(s, 0, 0, 0));
      const mz = pysklRotation(cross(z, [0, 0, 1]), angle(z, [0, 0, 1]));
      const shz = sub(apply(mz, joint(s, 0, 0, 8)), apply(mz, joint(s, 0, 0, 4)));
      const mx = pysklRotation(cross(shz, [1, 0, 0]), angle(shz, [1, 0, 0]));
      const py = alignView()(s, new Rng(0));
      for (const [t, b, j] of [[0, 0, 0], [0, 0, 8], [3, 1, 20], [2, 0, 11]]) {
        const want = apply(mx, apply(mz, joint(s, t, b, j)));
        joint(py, t, b, j).forEach((v, k) => expect(Math.abs(v - want[k])).toBeLessThan(1e-5));
      }
    }
  });

  it('rotationBetween handles parallel and opposite directions', () => {
    for (const [a, b] of [[[0, 0, 2], [0, 0, 1]], [[0, 0, -1], [0, 0, 1]], [[1, 2, 3], [-1, -2, -3]]] as [V, V][]) {
      const m = rotationBetween(a, b);
      expect(sinAngle(apply(m, a), b)).toBeLessThan(1e-9);
      expect(dot(apply(m, a), b)).toBeGreaterThan(0);
    }
  });
});

describe('random augmentations', () => {
  it('randomRotation keeps every bone length (1e-4 relative) and is deterministic by seed', () => {
    const s = randomSample(3, { frames: 5, bodies: 2 });
    const rot = randomRotation({ maxAngles: [Math.PI, Math.PI, Math.PI] });
    const a = rot(s, new Rng(1));
    expect(a.data).toEqual(rot(s, new Rng(1)).data);
    expect(a.data).not.toEqual(rot(s, new Rng(2)).data);
    for (let t = 0; t < 5; t++) for (let b = 0; b < 2; b++) for (const [c, p] of NTU_BONE_PAIRS) {
      if (c === p) continue;
      const before = len(sub(joint(s, t, b, c - 1), joint(s, t, b, p - 1)));
      const after = len(sub(joint(a, t, b, c - 1), joint(a, t, b, p - 1)));
      expect(Math.abs(after - before) / before).toBeLessThan(1e-4);
    }
    // Zero angles are the identity.
    expect(randomRotation({ maxAngles: [0, 0, 0] })(s, new Rng(0)).data).toEqual(s.data);
  });

  it('randomScale multiplies each channel by one factor inside [1 − s, 1 + s]', () => {
    const s = randomSample(4, { frames: 3, joints: 4 });
    const out = randomScale({ scale: [0.1, 0.2, 0.3] })(s, new Rng(5));
    for (let c = 0; c < 3; c++) {
      const f = out.data[c] / s.data[c];
      expect(Math.abs(f - 1)).toBeLessThanOrEqual([0.1, 0.2, 0.3][c] + 1e-6);
      for (let o = c; o < s.data.length; o += 3) expect(Math.abs(out.data[o] - s.data[o] * f)).toBeLessThan(1e-6);
    }
  });

  it('randomGaussianNoise has the requested spread and leaves missing joints at zero', () => {
    const s = randomSample(6, { frames: 200, bodies: 1 });
    s.data.fill(0, 0, 3);
    const out = randomGaussianNoise({ sigma: 0.05 })(s, new Rng(7));
    expect(Array.from(out.data.subarray(0, 3))).toEqual([0, 0, 0]);
    let s2 = 0;
    let m = 0;
    for (let i = 3; i < s.data.length; i++) {
      const d = out.data[i] - s.data[i];
      m += d;
      s2 += d * d;
    }
    const n = s.data.length - 3;
    // n ≈ 15000 draws: se(std) ≈ 0.05 / sqrt(2n) ≈ 3e-4.
    expect(Math.abs(Math.sqrt(s2 / n) - 0.05)).toBeLessThan(0.002);
    expect(Math.abs(m / n)).toBeLessThan(0.002);
  });
});
