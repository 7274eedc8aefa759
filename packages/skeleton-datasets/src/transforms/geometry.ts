/** Spatial transforms: centring, view alignment, rotation, scaling and noise. Missing joints (all zeros) stay zero. */
import { normalFrom } from '../rng';
import type { SkeletonSample, Transform } from '../types';
import { badOption, checkSample, isEmptyBody, isMissing, withData } from './util';

/** A 3 × 3 rotation matrix, row-major. */
export type Mat3 = [number, number, number, number, number, number, number, number, number];
type V3 = [number, number, number];

const sub = (a: V3, b: V3): V3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const dot = (a: V3, b: V3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: V3, b: V3): V3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const norm = (a: V3): number => Math.sqrt(dot(a, a));
const mul = (m: Mat3, v: V3): V3 => [
  m[0] * v[0] + m[1] * v[1] + m[2] * v[2],
  m[3] * v[0] + m[4] * v[1] + m[5] * v[2],
  m[6] * v[0] + m[7] * v[1] + m[8] * v[2],
];

/** Matrix product a · b of two 3 × 3 matrices. */
export function matMul3(a: Mat3, b: Mat3): Mat3 {
  const o = new Array<number>(9).fill(0) as Mat3;
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) o[i * 3 + j] += a[i * 3 + k] * b[k * 3 + j];
  return o;
}

/** The rotation about the x, y or z axis by `angle` radians (right-handed, counter-clockwise). */
export function axisRotation(axis: 0 | 1 | 2, angle: number): Mat3 {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  if (axis === 0) return [1, 0, 0, 0, c, -s, 0, s, c];
  if (axis === 1) return [c, 0, s, 0, 1, 0, -s, 0, c];
  return [c, -s, 0, s, c, 0, 0, 0, 1];
}

/** The smallest rotation taking direction `from` onto direction `to` (Rodrigues); identity for a zero vector. */
export function rotationBetween(from: readonly number[], to: readonly number[]): Mat3 {
  const fn = norm(from as V3);
  const tn = norm(to as V3);
  if (fn < 1e-12 || tn < 1e-12) return [1, 0, 0, 0, 1, 0, 0, 0, 1];
  const a: V3 = [from[0] / fn, from[1] / fn, from[2] / fn];
  const b: V3 = [to[0] / tn, to[1] / tn, to[2] / tn];
  const v = cross(a, b);
  const s2 = dot(v, v);
  const c = dot(a, b);
  if (s2 < 1e-24) {
    if (c > 0) return [1, 0, 0, 0, 1, 0, 0, 0, 1];
    // Half turn about any axis orthogonal to a: R = 2uuᵀ − I.
    const helper: V3 = Math.abs(a[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
    const u0 = cross(a, helper);
    const un = norm(u0);
    const u: V3 = [u0[0] / un, u0[1] / un, u0[2] / un];
    return [
      2 * u[0] * u[0] - 1, 2 * u[0] * u[1], 2 * u[0] * u[2],
      2 * u[1] * u[0], 2 * u[1] * u[1] - 1, 2 * u[1] * u[2],
      2 * u[2] * u[0], 2 * u[2] * u[1], 2 * u[2] * u[2] - 1,
    ];
  }
  const k = (1 - c) / s2;
  return [
    1 - k * (v[1] * v[1] + v[2] * v[2]), -v[2] + k * v[0] * v[1], v[1] + k * v[0] * v[2],
    v[2] + k * v[0] * v[1], 1 - k * (v[0] * v[0] + v[2] * v[2]), -v[0] + k * v[1] * v[2],
    -v[1] + k * v[0] * v[2], v[0] + k * v[1] * v[2], 1 - k * (v[0] * v[0] + v[1] * v[1]),
  ];
}

function need3(sample: SkeletonSample, what: string): void {
  if (sample.channels !== 3) throw badOption(`${what} channels of "${sample.id}"`, sample.channels, '3 (x, y, z)');
}

/** Applies `x ↦ m · x + t` to every present joint (missing joints stay zero). Needs 3 channels. */
export function transformJoints(sample: SkeletonSample, m: Mat3, t: readonly number[] = [0, 0, 0]): SkeletonSample {
  checkSample(sample);
  need3(sample, 'transformJoints');
  const src = sample.data;
  const data = new Float32Array(src.length);
  for (let o = 0; o < src.length; o += 3) {
    if (isMissing(src, o, 3)) continue;
    const p = mul(m, [src[o], src[o + 1], src[o + 2]]);
    data[o] = p[0] + t[0];
    data[o + 1] = p[1] + t[1];
    data[o + 2] = p[2] + t[2];
  }
  return withData(sample, data, {}, sample.tracking);
}

const jointAt = (s: SkeletonSample, t: number, b: number, j: number): number => ((t * s.bodies + b) * s.joints + j) * s.channels;

/** Options of {@link centerOnJoint}. */
export interface CenterOptions {
  /** 0-based joint whose position becomes the origin (NTU: 1, "middle of the spine"). @default 1 */
  joint?: number;
}

/**
 * Translates the sample so that `joint` of the main body (body 0; the first body having it when body 0 never does)
 * at the first frame where that joint is present lies at the origin. Works for any channel count; missing joints stay
 * zero. A sample where the joint is never present is returned unchanged.
 */
export function centerOnJoint(opts: CenterOptions = {}): Transform {
  const joint = opts.joint ?? 1;
  if (!Number.isInteger(joint) || joint < 0) throw badOption('joint', joint, 'a 0-based joint index');
  return (sample) => {
    checkSample(sample);
    if (joint >= sample.joints) throw badOption(`joint of "${sample.id}"`, joint, `< ${sample.joints}`);
    const C = sample.channels;
    let ref = -1;
    for (let b = 0; b < sample.bodies && ref < 0; b++) {
      for (let t = 0; t < sample.frames; t++) {
        const o = jointAt(sample, t, b, joint);
        if (!isMissing(sample.data, o, C)) { ref = o; break; }
      }
    }
    if (ref < 0) return sample;
    const centre = Array.from(sample.data.subarray(ref, ref + C));
    const data = new Float32Array(sample.data.length);
    for (let o = 0; o < data.length; o += C) {
      if (isMissing(sample.data, o, C)) continue;
      for (let c = 0; c < C; c++) data[o + c] = sample.data[o + c] - centre[c];
    }
    return withData(sample, data, {}, sample.tracking);
  };
}

/** Options of {@link alignView}. */
export interface AlignOptions {
  /** [bottom, top] joints whose vector is turned to +z (NTU: base of spine → middle of spine). @default [0, 1] */
  zAxis?: readonly [number, number];
  /** [from, to] joints whose vector is turned to +x (NTU: left shoulder 4 → right shoulder 8, as pyskl's [8, 4]). @default [4, 8] */
  xAxis?: readonly [number, number];
  /**
   * `pyskl`: as pyskl's PreNormalize3D, rotate the spine onto +z, then rotate the whole shoulder vector onto +x (the
   * spine may tilt off z again when it is not orthogonal to the shoulders). `upright`: rotate the spine onto +z, then turn
   * about z only so the shoulder vector lies in the x-z plane pointing to +x (the spine stays exactly on +z). @default 'pyskl'
   */
  mode?: 'pyskl' | 'upright';
}

/** The rotation {@link alignView} would apply, computed from the reference frame; identity when it has no reference. */
export function viewAlignmentMatrix(sample: SkeletonSample, opts: AlignOptions = {}): Mat3 {
  const [z0, z1] = opts.zAxis ?? [0, 1];
  const [x0, x1] = opts.xAxis ?? [4, 8];
  const mode = opts.mode ?? 'pyskl';
  need3(sample, 'alignView');
  for (const j of [z0, z1, x0, x1]) if (!(Number.isInteger(j) && j >= 0 && j < sample.joints)) throw badOption('alignView joint', j, `< ${sample.joints}`);
  if (mode !== 'pyskl' && mode !== 'upright') throw badOption('mode', mode, "'pyskl' | 'upright'");
  const get = (t: number, j: number): V3 => {
    const o = jointAt(sample, t, 0, j);
    return [sample.data[o], sample.data[o + 1], sample.data[o + 2]];
  };
  for (let t = 0; t < sample.frames; t++) {
    if (isEmptyBody(sample, t, 0)) continue;
    const rz = rotationBetween(sub(get(t, z1), get(t, z0)), [0, 0, 1]);
    const sh = mul(rz, sub(get(t, x1), get(t, x0)));
    const rx = mode === 'pyskl' ? rotationBetween(sh, [1, 0, 0]) : axisRotation(2, Math.hypot(sh[0], sh[1]) < 1e-12 ? 0 : -Math.atan2(sh[1], sh[0]));
    return matMul3(rx, rz);
  }
  return [1, 0, 0, 0, 1, 0, 0, 0, 1];
}

/**
 * View alignment (pyskl PreNormalize3D's `align_spine`): rotates the sample about the origin so that, at the first
 * frame where body 0 is not empty, the spine points to +z and the shoulders to +x. Centre first. A zero reference
 * vector (e.g. a missing joint) leaves that step's rotation at the identity, as in pyskl.
 */
export function alignView(opts: AlignOptions = {}): Transform {
  return (sample) => transformJoints(sample, viewAlignmentMatrix(sample, opts));
}

/** Options of {@link randomRotation}. */
export interface RotationOptions {
  /** Largest absolute angle (radians) about x, y and z; each is drawn uniformly in [−a, a]. @default [0.3, 0.3, 0.3] */
  maxAngles?: readonly [number, number, number];
}

/** The rotation Rz · Ry · Rx of {@link randomRotation} for given angles. */
export function eulerRotation(ax: number, ay: number, az: number): Mat3 {
  return matMul3(axisRotation(2, az), matMul3(axisRotation(1, ay), axisRotation(0, ax)));
}

/** Random rotation augmentation (pyskl `RandomRot`): one rotation Rz·Ry·Rx per sample, angles drawn from `rng`. */
export function randomRotation(opts: RotationOptions = {}): Transform {
  const m = opts.maxAngles ?? [0.3, 0.3, 0.3];
  if (m.length !== 3 || !m.every((a) => Number.isFinite(a) && a >= 0)) throw badOption('maxAngles', m, 'three angles >= 0');
  return (sample, rng) => {
    const a = m.map((x) => (2 * rng.next() - 1) * x);
    return transformJoints(sample, eulerRotation(a[0], a[1], a[2]));
  };
}

/** Options of {@link randomScale}. */
export interface ScaleOptions {
  /** Each channel is multiplied by 1 + u·scale with u uniform in [−1, 1]; one number or one per channel. @default 0.2 */
  scale?: number | readonly number[];
}

/** Random per-channel scaling (pyskl `RandomScale`). */
export function randomScale(opts: ScaleOptions = {}): Transform {
  const scale = opts.scale ?? 0.2;
  return (sample, rng) => {
    checkSample(sample);
    const C = sample.channels;
    const per = typeof scale === 'number' ? new Array<number>(C).fill(scale) : Array.from(scale);
    if (per.length !== C || !per.every((x) => Number.isFinite(x) && x >= 0)) throw badOption('scale', scale, `a number or ${C} numbers >= 0`);
    const f = per.map((s) => 1 + (2 * rng.next() - 1) * s);
    const data = new Float32Array(sample.data.length);
    for (let o = 0; o < data.length; o += C) for (let c = 0; c < C; c++) data[o + c] = sample.data[o + c] * f[c];
    return withData(sample, data, {}, sample.tracking);
  };
}

/** Options of {@link randomGaussianNoise}. */
export interface NoiseOptions {
  /** Standard deviation of the noise added to each coordinate, in the data's units (metres for NTU). @default 0.01 */
  sigma?: number;
}

/** Adds independent Gaussian noise to every coordinate of every present joint. */
export function randomGaussianNoise(opts: NoiseOptions = {}): Transform {
  const sigma = opts.sigma ?? 0.01;
  if (!(Number.isFinite(sigma) && sigma >= 0)) throw badOption('sigma', sigma, 'a number >= 0');
  return (sample, rng) => {
    checkSample(sample);
    const C = sample.channels;
    const data = new Float32Array(sample.data.length);
    for (let o = 0; o < data.length; o += C) {
      if (isMissing(sample.data, o, C)) continue;
      for (let c = 0; c < C; c++) data[o + c] = sample.data[o + c] + sigma * normalFrom(rng);
    }
    return withData(sample, data, {}, sample.tracking);
  };
}
