/**
 * A parametric human body in the NTU RGB+D (Kinect v2) joint order, posed by a handful of joint angles and turned into
 * 25 joint positions by forward kinematics. Body-local frame: +x is the person's left, +y up, +z the facing direction;
 * lengths in metres.
 */
import type { Rng } from '../rng';

/** The 25 NTU RGB+D joints in file order (index = 1-based joint number − 1). */
export const NTU_JOINT_NAMES: readonly string[] = [
  'base of the spine', 'middle of the spine', 'neck', 'head', 'left shoulder', 'left elbow', 'left wrist', 'left hand',
  'right shoulder', 'right elbow', 'right wrist', 'right hand', 'left hip', 'left knee', 'left ankle', 'left foot',
  'right hip', 'right knee', 'right ankle', 'right foot', 'spine', 'tip of the left hand', 'left thumb',
  'tip of the right hand', 'right thumb',
];

/** Segment lengths and widths of one person (metres). */
export interface BodyShape {
  spineLow: number; spineHigh: number; neck: number; head: number; shoulderHalf: number;
  upperArm: number; forearm: number; wristHand: number; handTip: number; thumb: number;
  hipHalf: number; thigh: number; shank: number; ankleHeight: number; foot: number;
}

const BASE_SHAPE: BodyShape = {
  spineLow: 0.27, spineHigh: 0.21, neck: 0.08, head: 0.14, shoulderHalf: 0.17,
  upperArm: 0.28, forearm: 0.25, wristHand: 0.08, handTip: 0.07, thumb: 0.05,
  hipHalf: 0.08, thigh: 0.38, shank: 0.37, ankleHeight: 0.07, foot: 0.12,
};

/** A person's shape: overall size in [0.86, 1.14] × each segment's own ±7 % variation. */
export function randomBodyShape(rng: Rng): BodyShape {
  const size = rng.uniform(0.86, 1.14);
  const out = {} as BodyShape;
  for (const k of Object.keys(BASE_SHAPE) as (keyof BodyShape)[]) out[k] = BASE_SHAPE[k] * size * rng.uniform(0.93, 1.07);
  return out;
}

/** Indices of the pose parameters (radians unless noted). */
export const P = {
  /** Translation along the body's initial left / forward directions (m). */
  X: 0, Z: 1,
  /** Extra height above the ground (m), e.g. in a jump. */
  LIFT: 2,
  /** Turn about the vertical axis. */
  YAW: 3,
  /** Trunk lean forward / to the right side. */
  PITCH: 4, ROLL: 5,
  HEAD: 6,
  /** Arms: elevation from hanging (0) to straight up (π); azimuth 0 = sideways, π/2 = forward; elbow flexion. */
  L_ELEV: 7, L_AZIM: 8, L_ELBOW: 9, R_ELEV: 10, R_AZIM: 11, R_ELBOW: 12,
  /** Legs: hip flexion (forward), knee flexion, hip abduction (outwards). */
  L_HIP: 13, L_KNEE: 14, L_ABD: 15, R_HIP: 16, R_KNEE: 17, R_ABD: 18,
} as const;
/** Number of pose parameters. */
export const NUM_POSE_PARAMS = 19;

/** The relaxed standing pose. */
export function neutralPose(): Float64Array {
  const p = new Float64Array(NUM_POSE_PARAMS);
  p[P.L_ELEV] = 0.12; p[P.R_ELEV] = 0.12;
  p[P.L_ELBOW] = 0.15; p[P.R_ELBOW] = 0.15;
  p[P.L_KNEE] = 0.04; p[P.R_KNEE] = 0.04;
  p[P.L_ABD] = 0.04; p[P.R_ABD] = 0.04;
  return p;
}

type V = [number, number, number];
const add = (a: V, b: V, s = 1): V => [a[0] + s * b[0], a[1] + s * b[1], a[2] + s * b[2]];
const scale = (a: V, s: number): V => [a[0] * s, a[1] * s, a[2] * s];
const dot = (a: V, b: V): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: V, b: V): V => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const unit = (a: V): V => {
  const n = Math.sqrt(dot(a, a)) || 1;
  return scale(a, 1 / n);
};
const comb = (a: V, wa: number, b: V, wb: number): V => [a[0] * wa + b[0] * wb, a[1] * wa + b[1] * wb, a[2] * wa + b[2] * wb];

/**
 * Forward kinematics: writes the 25 joints (x, y, z) of `pose` into `out` (length 75) in the body-local frame, with the
 * lowest sole on the ground (y = 0) plus `LIFT`, then turned by `YAW` and moved by (X, Z).
 */
export function poseToJoints(shape: BodyShape, pose: Float64Array, out: Float64Array): void {
  const L: V = [1, 0, 0];
  const U: V = [0, 1, 0];
  const F: V = [0, 0, 1];
  const cp = Math.cos(pose[P.PITCH]);
  const sp = Math.sin(pose[P.PITCH]);
  const cr = Math.cos(pose[P.ROLL]);
  const sr = Math.sin(pose[P.ROLL]);
  // Trunk frame = R_F(roll) · R_L(pitch) applied to (L, U, F): lean forward, then to the right side.
  const Ut: V = [-cp * sr, cp * cr, sp];
  const Ft: V = [sp * sr, -sp * cr, cp];
  const Lt: V = [cr, sr, 0];
  const j: V[] = new Array(25);
  const base: V = [0, 0, 0];
  j[0] = base;
  j[1] = add(base, Ut, shape.spineLow);
  j[20] = add(j[1], Ut, shape.spineHigh);
  j[2] = add(j[20], Ut, shape.neck);
  const hp = pose[P.HEAD];
  j[3] = add(j[2], unit(comb(Ut, Math.cos(hp), Ft, Math.sin(hp))), shape.head);
  const arm = (side: 1 | -1, elev: number, azim: number, elbow: number, sh: number, el: number, wr: number, ha: number, ti: number, th: number): void => {
    const S = scale(Lt, side);
    const shoulder = add(add(j[20], S, shape.shoulderHalf), Ut, -0.03);
    const d = unit(comb(Ut, -Math.cos(elev), comb(S, Math.cos(azim), Ft, Math.sin(azim)), Math.sin(elev)));
    let n = comb(Ft, 1, d, -dot(Ft, d));
    if (dot(n, n) < 1e-8) n = comb(Ut, 1, d, -dot(Ut, d));
    n = unit(n);
    const e = unit(comb(d, Math.cos(elbow), n, Math.sin(elbow)));
    const ne = unit(comb(d, -Math.sin(elbow), n, Math.cos(elbow)));
    j[sh] = shoulder;
    j[el] = add(shoulder, d, shape.upperArm);
    j[wr] = add(j[el], e, shape.forearm);
    j[ha] = add(j[wr], e, shape.wristHand);
    j[ti] = add(j[ha], e, shape.handTip);
    j[th] = add(j[ha], unit(comb(e, 0.5, scale(cross(e, ne), -side), 0.85)), shape.thumb);
  };
  arm(1, pose[P.L_ELEV], pose[P.L_AZIM], pose[P.L_ELBOW], 4, 5, 6, 7, 21, 22);
  arm(-1, pose[P.R_ELEV], pose[P.R_AZIM], pose[P.R_ELBOW], 8, 9, 10, 11, 23, 24);
  const leg = (side: 1 | -1, hip: number, knee: number, abd: number, hj: number, kj: number, aj: number, fj: number): void => {
    const S = scale(L, side);
    j[hj] = add(add(base, S, shape.hipHalf), U, -0.04);
    const thigh = unit(comb(comb(U, -Math.cos(hip), F, Math.sin(hip)), Math.cos(abd), S, Math.sin(abd)));
    const shin = unit(comb(comb(U, -Math.cos(hip - knee), F, Math.sin(hip - knee)), Math.cos(abd), S, Math.sin(abd)));
    j[kj] = add(j[hj], thigh, shape.thigh);
    j[aj] = add(j[kj], shin, shape.shank);
    j[fj] = add(j[aj], unit(comb(F, 0.95, U, -0.3)), shape.foot);
  };
  leg(1, pose[P.L_HIP], pose[P.L_KNEE], pose[P.L_ABD], 12, 13, 14, 15);
  leg(-1, pose[P.R_HIP], pose[P.R_KNEE], pose[P.R_ABD], 16, 17, 18, 19);
  const ground = Math.min(j[14][1] - shape.ankleHeight, j[18][1] - shape.ankleHeight, j[15][1] - 0.03, j[19][1] - 0.03);
  const lift = pose[P.LIFT] - ground;
  const cy = Math.cos(pose[P.YAW]);
  const sy = Math.sin(pose[P.YAW]);
  for (let k = 0; k < 25; k++) {
    const [x, y, z] = j[k];
    out[k * 3] = cy * x + sy * z + pose[P.X];
    out[k * 3 + 1] = y + lift;
    out[k * 3 + 2] = -sy * x + cy * z + pose[P.Z];
  }
}
