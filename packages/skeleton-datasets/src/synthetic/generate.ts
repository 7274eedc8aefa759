/**
 * The synthetic NTU-topology dataset: people of different shapes perform the built-in actions in front of several
 * cameras. Deterministic by seed; each sample depends only on (seed, subject, camera, replication, class), so a
 * subset of options reproduces the same samples.
 */
import { DatasetError } from '../errors';
import type { SplitRule } from '../protocols';
import { Rng } from '../rng';
import type { SkeletonSample } from '../types';
import { SYNTHETIC_ACTIONS, type ActionContext, type SyntheticAction } from './actions';
import { NUM_POSE_PARAMS, P, neutralPose, poseToJoints, randomBodyShape, type BodyShape } from './body';

/** Options of {@link generateSyntheticDataset}. */
export interface SyntheticOptions {
  /** Seed of everything random. @default 0 */
  seed?: number;
  /** Number of performers (ids 1..subjects). @default 10 */
  subjects?: number;
  /** Number of cameras (ids 1..cameras), spread over −45°..+45° around the person (camera 1 at −45°). @default 3 */
  cameras?: number;
  /** Replications of each (subject, camera, class) (ids 1..repetitions). @default 2 */
  repetitions?: number;
  /** Number of setups (ids 1..setups): camera distance / height configurations; setup = 1 + (subject + rep − 2) mod setups. @default 2 */
  setups?: number;
  /** The first n built-in classes, or a list of class names. @default all 14 */
  classes?: number | readonly string[];
  /** Inclusive [min, max] sequence length in frames. @default [40, 120] */
  frames?: readonly [number, number];
  /** Body slots per sample (single-person actions leave the second slot zero). @default 2 */
  bodies?: number;
  /** Standard deviation of the sensor jitter added to each coordinate (m). @default 0.006 */
  jitter?: number;
  /** Probability per frame that a joint drops out (zeros) for 1–6 frames. @default 0.02 */
  missingRate?: number;
}

/** The synthetic splits: X-Sub-like (by performer) or X-View-like (by camera), see {@link syntheticProtocol}. */
export type SyntheticProtocolKind = 'xsub' | 'xview';

/**
 * Split rules for the synthetic set (use with `customSplit`): `xsub` tests on every third subject (3, 6, 9, ...) and
 * trains on the others; `xview` trains on cameras 2..cameras and tests on camera 1.
 */
export function syntheticProtocol(kind: SyntheticProtocolKind, opts: { subjects?: number; cameras?: number } = {}): SplitRule {
  const subjects = opts.subjects ?? 10;
  const cameras = opts.cameras ?? 3;
  if (kind === 'xsub') {
    if (subjects < 3) throw new DatasetError('BAD_OPTION', `syntheticProtocol('xsub') needs >= 3 subjects`, { found: String(subjects) });
    const ids = Array.from({ length: subjects }, (_, i) => i + 1);
    return { field: 'subject', train: ids.filter((s) => s % 3 !== 0), test: ids.filter((s) => s % 3 === 0) };
  }
  if (kind === 'xview') {
    if (cameras < 2) throw new DatasetError('BAD_OPTION', `syntheticProtocol('xview') needs >= 2 cameras`, { found: String(cameras) });
    return { field: 'camera', train: Array.from({ length: cameras - 1 }, (_, i) => i + 2), test: [1] };
  }
  throw new DatasetError('BAD_OPTION', `unknown synthetic protocol "${String(kind)}"`, { expected: "'xsub' | 'xview'" });
}

/** A stable 32-bit hash of a few integers (seeds of the per-subject / per-sample streams). */
function hashSeed(...xs: number[]): number {
  let h = 0x811c9dc5;
  for (const x of xs) {
    h = Math.imul(h ^ (x >>> 0), 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
  }
  return h >>> 0;
}

interface Performer {
  shape: BodyShape;
  rest: Float64Array;
  speed: number;
  amp: number;
  freq: number;
  facing: number;
  offset: [number, number];
}

function performer(seed: number, subject: number, role: number): Performer {
  const r = new Rng(hashSeed(seed, 0x5b1, subject, role));
  const shape = randomBodyShape(r);
  const rest = neutralPose();
  rest[P.L_ELEV] += r.uniform(-0.05, 0.12);
  rest[P.R_ELEV] += r.uniform(-0.05, 0.12);
  rest[P.L_ELBOW] += r.uniform(0, 0.25);
  rest[P.R_ELBOW] += r.uniform(0, 0.25);
  rest[P.PITCH] += 0.03 + 0.04 * r.normal();
  rest[P.HEAD] += 0.06 * r.normal();
  rest[P.L_ABD] += r.uniform(0, 0.06);
  rest[P.R_ABD] += r.uniform(0, 0.06);
  return {
    shape, rest, speed: r.uniform(0.8, 1.25), amp: r.uniform(0.85, 1.15), freq: r.uniform(0.8, 1.2),
    facing: r.uniform(-0.15, 0.15), offset: [r.uniform(-0.2, 0.2), r.uniform(-0.25, 0.25)],
  };
}

function resolveClasses(classes: SyntheticOptions['classes']): number[] {
  if (classes === undefined) return SYNTHETIC_ACTIONS.map((_, i) => i);
  if (typeof classes === 'number') {
    if (!Number.isInteger(classes) || classes < 1 || classes > SYNTHETIC_ACTIONS.length) {
      throw new DatasetError('BAD_OPTION', `synthetic classes must be in [1, ${SYNTHETIC_ACTIONS.length}]`, { found: String(classes) });
    }
    return Array.from({ length: classes }, (_, i) => i);
  }
  return classes.map((name) => {
    const i = SYNTHETIC_ACTIONS.findIndex((a) => a.name === name.toLowerCase());
    if (i < 0) {
      throw new DatasetError('BAD_OPTION', `unknown synthetic class "${name}"`, { expected: SYNTHETIC_ACTIONS.map((a) => a.name).join(', ') });
    }
    return i;
  });
}

const pad3 = (n: number): string => String(n).padStart(3, '0');

/** Everything that identifies one synthetic sample. */
export interface SyntheticSampleSpec {
  seed: number;
  subject: number;
  camera: number;
  cameras: number;
  setup: number;
  replication: number;
  /** 0-based index into the built-in actions. */
  action: number;
  /** Label written to the sample (index among the requested classes). */
  label: number;
}

/** Generates one sample (see {@link generateSyntheticDataset} for the options). */
export function generateSyntheticSample(spec: SyntheticSampleSpec, opts: SyntheticOptions = {}): SkeletonSample {
  const action: SyntheticAction = SYNTHETIC_ACTIONS[spec.action];
  const [minF, maxF] = opts.frames ?? [40, 120];
  const slots = opts.bodies ?? 2;
  const jitter = opts.jitter ?? 0.006;
  const missingRate = opts.missingRate ?? 0.02;
  const r = new Rng(hashSeed(spec.seed, 0x5a3, spec.subject, spec.camera, spec.replication, spec.action));
  const people = [performer(spec.seed, spec.subject, 0)];
  if (action.bodies === 2) people.push(performer(spec.seed, spec.subject, 1));
  const styleRng = new Rng(hashSeed(spec.seed, 0x57e, spec.subject, spec.action));
  const styles = people.map(() => Float64Array.from({ length: 4 }, () => styleRng.uniform(-1, 1)));
  // Per replication: tempo, amplitude, idle lead-in and tail.
  const repSpeed = r.uniform(0.92, 1.08);
  const repAmp = r.uniform(0.93, 1.07);
  const lead = r.uniform(0.03, 0.15);
  const tail = r.uniform(0.03, 0.15);
  const active = action.frames * people[0].speed * repSpeed;
  const T = Math.max(minF, Math.min(maxF, Math.round(active / (1 - lead - tail))));
  // Slow style drift of a few angles over the sequence.
  const drift = [P.L_ELEV, P.R_ELEV, P.L_ELBOW, P.R_ELBOW, P.PITCH, P.HEAD].map((i) => ({
    i, a: r.uniform(0.01, 0.05), f: r.uniform(0.3, 1.2), ph: r.uniform(0, 2 * Math.PI),
  }));
  // Camera of this setup: azimuth from the camera id, distance and height from the setup.
  const C = Math.max(1, spec.cameras);
  const az = C === 1 ? 0 : -Math.PI / 4 + ((spec.camera - 1) * (Math.PI / 2)) / (C - 1);
  const dist = 2.6 + 0.35 * ((spec.setup - 1) % 3) + 0.08 * (spec.camera - 1) + r.uniform(-0.05, 0.05);
  const height = 0.85 + 0.2 * ((spec.setup - 1) % 2) + r.uniform(-0.03, 0.03);
  const cam = [dist * Math.sin(az), height, -dist * Math.cos(az)];
  // Camera axes: x horizontal (to the camera's left), z towards the person tilted down by `tilt`, y = z × x.
  const tilt = 0.08 + 0.06 * ((spec.setup - 1) % 3) + r.uniform(-0.02, 0.02);
  const [ct, st] = [Math.cos(tilt), Math.sin(tilt)];
  const xc = [Math.cos(az), 0, Math.sin(az)];
  const zc = [-Math.sin(az) * ct, -st, Math.cos(az) * ct];
  const yc = [-Math.sin(az) * st, ct, Math.cos(az) * st];
  const pairTurn = r.uniform(-0.3, 0.3);

  // Standard normals for the sensor jitter, two per Box-Muller draw.
  let spare = NaN;
  const gauss = (): number => {
    if (!Number.isNaN(spare)) {
      const z = spare;
      spare = NaN;
      return z;
    }
    const rad = Math.sqrt(-2 * Math.log(1 - r.next()));
    const ang = 2 * Math.PI * r.next();
    spare = rad * Math.sin(ang);
    return rad * Math.cos(ang);
  };

  const J = 25;
  const data = new Float32Array(T * slots * J * 3);
  const tracking = new Uint8Array(T * slots * J);
  const pose = new Float64Array(NUM_POSE_PARAMS);
  const local = new Float64Array(J * 3);
  const nb = Math.min(people.length, slots);
  for (let t = 0; t < T; t++) {
    const u = Math.min(1, Math.max(0, (t / Math.max(1, T - 1) - lead) / (1 - lead - tail)));
    for (let b = 0; b < nb; b++) {
      const who = people[b];
      pose.set(who.rest);
      const ctx: ActionContext = { body: b, amp: who.amp * repAmp, freq: who.freq, style: styles[b] };
      action.pose(u, pose, ctx);
      for (const d of drift) pose[d.i] += d.a * Math.sin(2 * Math.PI * d.f * (t / T) + d.ph + b);
      poseToJoints(who.shape, pose, local);
      // World placement: one person faces the front camera (−z); a pair faces each other along x.
      let yaw: number;
      let px: number;
      let pz: number;
      if (people.length === 1) {
        yaw = Math.PI + who.facing;
        [px, pz] = who.offset;
      } else {
        const half = (action.distance ? action.distance(u, ctx) : 1) / 2;
        const side = b === 0 ? -1 : 1;
        yaw = (b === 0 ? Math.PI / 2 : -Math.PI / 2) + pairTurn + 0.5 * who.facing;
        px = side * half * Math.cos(pairTurn) + people[0].offset[0];
        pz = -side * half * Math.sin(pairTurn) + people[0].offset[1];
      }
      const cy = Math.cos(yaw);
      const sy = Math.sin(yaw);
      for (let j = 0; j < J; j++) {
        const lx = local[j * 3];
        const ly = local[j * 3 + 1];
        const lz = local[j * 3 + 2];
        const w0 = cy * lx + sy * lz + px - cam[0];
        const w1 = ly - cam[1];
        const w2 = -sy * lx + cy * lz + pz - cam[2];
        const o = ((t * slots + b) * J + j) * 3;
        data[o] = w0 * xc[0] + w2 * xc[2];
        data[o + 1] = w0 * yc[0] + w1 * yc[1] + w2 * yc[2];
        data[o + 2] = w0 * zc[0] + w1 * zc[1] + w2 * zc[2];
        if (jitter > 0) for (let c = 0; c < 3; c++) data[o + c] += jitter * gauss();
        tracking[(t * slots + b) * J + j] = 2;
      }
    }
  }
  // Occasional drop-outs: a joint of a present body reads zero for 1–6 frames.
  for (let t = 0; t < T; t++) {
    if (r.next() >= missingRate) continue;
    const b = r.int(nb);
    const j = r.int(J);
    const len = 1 + r.int(6);
    for (let k = t; k < Math.min(T, t + len); k++) {
      const o = ((k * slots + b) * J + j) * 3;
      data[o] = 0;
      data[o + 1] = 0;
      data[o + 2] = 0;
      tracking[(k * slots + b) * J + j] = 0;
    }
  }
  return {
    id: `S${pad3(spec.setup)}C${pad3(spec.camera)}P${pad3(spec.subject)}R${pad3(spec.replication)}A${pad3(spec.action + 1)}`,
    label: spec.label,
    labelName: action.name,
    subject: spec.subject,
    camera: spec.camera,
    setup: spec.setup,
    replication: spec.replication,
    frames: T,
    bodies: slots,
    joints: J,
    channels: 3,
    data,
    tracking,
  };
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new DatasetError('BAD_OPTION', `synthetic option ${name} must be an integer >= 1`, { found: String(v) });
  return v;
}

/**
 * Generates subjects × cameras × repetitions × classes NTU-topology samples (25 joints in NTU order, metres, Kinect
 * camera coordinates: y up, z away from the camera). Labels are 0-based indices into the requested classes; ids are
 * NTU-style stems `SsssCcccPpppRrrrAaaa` where `Aaaa` is the 1-based built-in action number.
 */
export function generateSyntheticDataset(opts: SyntheticOptions = {}): SkeletonSample[] {
  const seed = opts.seed ?? 0;
  const subjects = positiveInt('subjects', opts.subjects ?? 10);
  const cameras = positiveInt('cameras', opts.cameras ?? 3);
  const reps = positiveInt('repetitions', opts.repetitions ?? 2);
  const setups = positiveInt('setups', opts.setups ?? 2);
  positiveInt('bodies', opts.bodies ?? 2);
  const [minF, maxF] = opts.frames ?? [40, 120];
  if (!(Number.isInteger(minF) && Number.isInteger(maxF) && minF >= 2 && maxF >= minF)) {
    throw new DatasetError('BAD_OPTION', 'synthetic option frames must be [min, max] integers with 2 <= min <= max', { found: JSON.stringify(opts.frames) });
  }
  const classes = resolveClasses(opts.classes);
  const out: SkeletonSample[] = [];
  for (let s = 1; s <= subjects; s++) {
    for (let rep = 1; rep <= reps; rep++) {
      const setup = 1 + ((s + rep - 2) % setups);
      for (let c = 1; c <= cameras; c++) {
        classes.forEach((action, label) => {
          out.push(generateSyntheticSample({ seed, subject: s, camera: c, cameras, setup, replication: rep, action, label }, opts));
        });
      }
    }
  }
  return out;
}
