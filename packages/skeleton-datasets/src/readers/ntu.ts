import { DatasetError } from '../errors';
import type { SkeletonSample } from '../types';
import { ByteScanner } from './scanner';
import { parseNtuName } from './names';
import { NTU_CLASS_NAMES } from './ntu-classes';

/** The 12 per-joint fields of the NTU / Kinect v2 `.skeleton` layout, in file order. */
export const NTU_JOINT_FIELDS = ['x', 'y', 'z', 'depthX', 'depthY', 'colorX', 'colorY', 'orientationW', 'orientationX',
  'orientationY', 'orientationZ', 'trackingState'] as const;
/** A per-joint field of the `.skeleton` layout that can become a channel. */
export type NtuJointField = (typeof NTU_JOINT_FIELDS)[number];

/** How bodies are chosen when a file has more distinct bodies (body ids) than `maxBodies`. */
export type BodySelection = 'motion' | 'first';

/** Options of {@link parseNtuSkeleton}. */
export interface NtuParseOptions {
  /** Name used in error messages and, when it is an NTU name, for the metadata. @default 'input' */
  file?: string;
  /**
   * Number of body slots of the sample; fewer bodies are padded with zeros. `'all'` keeps every distinct body id.
   * @default 2
   */
  maxBodies?: number | 'all';
  /**
   * Which bodies fill the slots when there are more than `maxBodies`: `'motion'` ranks body ids by the summed
   * variance of their x, y, z over the frames where they appear (the NTU authors' heuristic; noise bodies such as
   * chairs barely move); `'first'` keeps body ids in order of first appearance. Kept bodies are always stored in
   * order of first appearance. Dropped ids are reported by {@link parseNtuSkeletonDetailed}.
   * @default 'motion'
   */
  bodySelection?: BodySelection;
  /** Per-joint fields that become the channels, in this order. @default ['x', 'y', 'z'] */
  fields?: readonly NtuJointField[];
  /** Also return the per-joint tracking state as `sample.tracking`. @default false */
  tracking?: boolean;
  /** Required joint count; a file with another count is a JOINT_COUNT error. @default read from the file */
  joints?: number;
  /** Number of fields of a body line. @default 10 */
  bodyFields?: number;
  /** Number of fields of a joint line (at least 3; fields beyond the line's count cannot be selected). @default 12 */
  jointFields?: number;
  /**
   * Metadata from the file name: `'ntu'` parses `SsssCcccPpppRrrrAaaa` (an unrecognised name is a BAD_FILENAME
   * error), `'none'` leaves ids at -1 and label -1.
   * @default 'ntu'
   */
  names?: 'ntu' | 'none';
}

/** Details of one parse besides the sample. */
export interface NtuParseInfo {
  sample: SkeletonSample;
  /** Frame count of the header (= sample.frames). */
  frames: number;
  /** Every distinct body id in order of first appearance. */
  bodyIds: string[];
  /** Body ids kept, slot by slot. */
  keptBodyIds: string[];
  /** Body ids that did not fit in `maxBodies`. */
  droppedBodyIds: string[];
  /** Frames in which no body was recorded. */
  emptyFrames: number;
}

/** Rows of one body id, appended frame by frame (memory grows with what was actually parsed). */
interface BodyTrack {
  id: string;
  first: number;
  /** Number of rows (frames in which the body appears). */
  n: number;
  /** Frame index of each row. */
  frameOf: Int32Array;
  /** Rows [n, joints, C]. */
  data: Float32Array;
  /** Rows [n, joints] of tracking states. */
  tracking?: Uint8Array;
}

function grow(t: BodyTrack, joints: number, C: number): void {
  const cap = t.frameOf.length * 2;
  const f = new Int32Array(cap);
  f.set(t.frameOf);
  t.frameOf = f;
  const d = new Float32Array(cap * joints * C);
  d.set(t.data);
  t.data = d;
  if (t.tracking) {
    const tr = new Uint8Array(cap * joints);
    tr.set(t.tracking);
    t.tracking = tr;
  }
}

function fieldIndices(fields: readonly NtuJointField[], jointFields: number, file: string): Int32Array {
  const idx = new Int32Array(fields.length);
  fields.forEach((f, i) => {
    const k = NTU_JOINT_FIELDS.indexOf(f);
    if (k < 0 || k >= jointFields) {
      throw new DatasetError('BAD_OPTION', `unknown or unavailable joint field ${JSON.stringify(f)}`, {
        file, expected: NTU_JOINT_FIELDS.slice(0, jointFields).join(', '), found: String(f) });
    }
    idx[i] = k;
  });
  return idx;
}

function motionScore(t: BodyTrack, joints: number, C: number, xyz: number[]): number {
  // Summed variance of x, y, z over the frames where the body appears (all joints pooled).
  let score = 0;
  for (const c of xyz) {
    if (c < 0) continue;
    let n = 0;
    let mean = 0;
    let m2 = 0;
    for (let r = 0; r < t.n * joints; r++) {
      const v = t.data[r * C + c];
      n++;
      const d = v - mean;
      mean += d / n;
      m2 += d * (v - mean);
    }
    score += n > 1 ? m2 / n : 0;
  }
  return score;
}

/** Parses an NTU RGB+D (Kinect v2) `.skeleton` file and also returns body bookkeeping. */
export function parseNtuSkeletonDetailed(input: Uint8Array | string, opts: NtuParseOptions = {}): NtuParseInfo {
  const file = opts.file ?? 'input';
  const buf = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  const bodyFields = opts.bodyFields ?? 10;
  const jointFields = opts.jointFields ?? 12;
  if (!(jointFields >= 3) || !(bodyFields >= 1)) {
    throw new DatasetError('BAD_OPTION', 'jointFields must be >= 3 and bodyFields >= 1', {
      file, expected: 'jointFields >= 3', found: `jointFields ${jointFields}, bodyFields ${bodyFields}` });
  }
  const fields = opts.fields ?? ['x', 'y', 'z'];
  const fidx = fieldIndices(fields, jointFields, file);
  const C = fidx.length;
  const wantTracking = opts.tracking ?? false;
  const trackIdx = 11 < jointFields ? 11 : -1;
  const meta = opts.names === 'none' ? null : parseNtuName(file);
  const max = opts.maxBodies ?? 2;
  if (max !== 'all' && !(Number.isInteger(max) && max >= 1)) {
    throw new DatasetError('BAD_OPTION', 'maxBodies must be a positive integer or "all"', { file, expected: '>= 1', found: String(max) });
  }

  const s = new ByteScanner(buf, file);
  const frames = s.readUint('the frame-count line', 0, 1);
  s.endLine('the frame-count line', 1, false);
  if (frames === 0) {
    throw new DatasetError('ZERO_FRAMES', 'the file declares zero frames', { file, line: 1, expected: '>= 1 frame', found: '0' });
  }
  const tracks = new Map<string, BodyTrack>();
  const order: BodyTrack[] = [];
  let joints = opts.joints ?? -1;
  let jointsLine = 0;
  let emptyFrames = 0;
  const vals = new Float64Array(jointFields);
  const bodyVals = new Float64Array(bodyFields);
  for (let f = 0; f < frames; f++) {
    s.frame = f + 1;
    s.body = 0;
    s.joint = 0;
    const nb = s.readUint('the body-count line', 0, 1);
    s.endLine('the body-count line', 1, nb === 0 && f === frames - 1);
    if (nb === 0) emptyFrames++;
    for (let b = 0; b < nb; b++) {
      const what = 'the body line';
      s.body = b + 1;
      s.joint = 0;
      const id = s.readUintToken(what, 0, bodyFields);
      s.readNumbers(bodyVals, bodyFields - 1, what, 0, 1);
      s.endLine(what, bodyFields, false);
      const jl = s.line;
      const nj = s.readUint('the joint-count line', 0, 1);
      s.endLine('the joint-count line', 1, false);
      if (nj * 2 * jointFields > buf.length - s.pos + 1) {
        throw new DatasetError('TRUNCATED', `the file is too short for ${nj} joint lines`, {
          file, line: jl, expected: `${nj} joint lines`, found: `${buf.length - s.pos} bytes left` });
      }
      if (joints < 0) {
        if (nj === 0) {
          throw new DatasetError('JOINT_COUNT', 'joint count is zero', { file, line: jl, expected: '>= 1', found: '0' });
        }
        joints = nj;
        jointsLine = jl;
      } else if (nj !== joints) {
        throw new DatasetError('JOINT_COUNT', `joint count differs from ${opts.joints !== undefined ? 'the joints option' : `line ${jointsLine}`}`, {
          file, line: jl, expected: String(joints), found: String(nj) });
      }
      let t = tracks.get(id);
      if (!t) {
        t = { id, first: f, n: 0, frameOf: new Int32Array(8), data: new Float32Array(8 * joints * C),
          tracking: wantTracking ? new Uint8Array(8 * joints) : undefined };
        tracks.set(id, t);
        order.push(t);
      } else if (t.frameOf[t.n - 1] === f) {
        throw new DatasetError('BAD_FORMAT', `body id ${id} appears twice in frame ${f + 1}`, {
          file, line: jl - 1, expected: 'distinct body ids within a frame', found: `repeated id ${id}` });
      }
      if (t.n === t.frameOf.length) grow(t, joints, C);
      const row = t.n++;
      t.frameOf[row] = f;
      const base = row * joints * C;
      for (let j = 0; j < joints; j++) {
        const jw = 'the joint line';
        s.joint = j + 1;
        s.readNumbers(vals, jointFields, jw);
        const last = f === frames - 1 && b === nb - 1 && j === joints - 1;
        s.endLine(jw, jointFields, last);
        const o = base + j * C;
        for (let c = 0; c < C; c++) t.data[o + c] = vals[fidx[c]];
        if (t.tracking && trackIdx >= 0) t.tracking[row * joints + j] = vals[trackIdx];
      }
    }
  }
  if (!s.atEndIgnoringWhitespace()) {
    throw new DatasetError('BAD_FORMAT', `data after the ${frames} frames the header declares`, {
      file, line: s.line, expected: 'end of file', found: 'more lines' });
  }
  if (joints < 0) joints = 25; // no body in any frame: NTU default layout
  let kept = order;
  if (max !== 'all' && order.length > max) {
    if ((opts.bodySelection ?? 'motion') === 'motion') {
      const xyz = [0, 1, 2].map((k) => Array.from(fidx).indexOf(k));
      const scored = order.map((t) => ({ t, s: motionScore(t, joints, C, xyz) }));
      scored.sort((a, b) => b.s - a.s || a.t.first - b.t.first);
      const keep = new Set(scored.slice(0, max).map((x) => x.t));
      kept = order.filter((t) => keep.has(t));
    } else {
      kept = order.slice(0, max);
    }
  }
  const bodies = max === 'all' ? Math.max(1, order.length) : max;
  if (frames * bodies * joints * C > 2 ** 28) {
    throw new DatasetError('BAD_FORMAT', 'sample too large', {
      file, expected: '<= 2^28 values', found: `${frames} x ${bodies} x ${joints} x ${C}` });
  }
  const data = new Float32Array(frames * bodies * joints * C);
  const tracking = wantTracking ? new Uint8Array(frames * bodies * joints) : undefined;
  const jc = joints * C;
  kept.forEach((t, slot) => {
    for (let r = 0; r < t.n; r++) {
      const f = t.frameOf[r];
      data.set(t.data.subarray(r * jc, (r + 1) * jc), (f * bodies + slot) * jc);
      if (tracking && t.tracking) tracking.set(t.tracking.subarray(r * joints, (r + 1) * joints), (f * bodies + slot) * joints);
    }
  });
  const sample: SkeletonSample = {
    id: meta?.id ?? fileStem(file),
    label: meta ? meta.action - 1 : -1,
    labelName: meta ? NTU_CLASS_NAMES[meta.action - 1] : undefined,
    subject: meta?.subject ?? -1,
    camera: meta?.camera ?? -1,
    setup: meta?.setup ?? -1,
    replication: meta?.replication ?? -1,
    frames, bodies, joints, channels: C, data,
  };
  if (tracking) sample.tracking = tracking;
  const keptSet = new Set(kept);
  return {
    sample, frames, emptyFrames,
    bodyIds: order.map((t) => t.id),
    keptBodyIds: kept.map((t) => t.id),
    droppedBodyIds: order.filter((t) => !keptSet.has(t)).map((t) => t.id),
  };
}

/** The file name without folders and extension. */
export function fileStem(file: string): string {
  const base = file.replace(/^.*[\\/]/, '');
  const dot = base.indexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

/**
 * Parses an NTU RGB+D `.skeleton` file (bytes or text; LF or CRLF) into a sample [frames, bodies, joints, channels].
 * Errors are {@link DatasetError}s naming the file, line, what was expected and what was found.
 */
export function parseNtuSkeleton(input: Uint8Array | string, opts: NtuParseOptions = {}): SkeletonSample {
  return parseNtuSkeletonDetailed(input, opts).sample;
}
