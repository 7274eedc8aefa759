import { DatasetError } from '../errors';
import type { SkeletonSample } from '../types';
import { parseToyotaName } from './names';

/** Joint count of the LCR-Net++ poses of Toyota Smarthome. */
export const TOYOTA_JOINTS = 13;

/** Options of {@link parseToyotaJson}. */
export interface ToyotaOptions {
  /** File name (metadata and error messages); must be a Toyota clip name unless `names: 'none'`. @default 'input.json' */
  file?: string;
  /** 3 reads `pose3d` (x, y, z), 2 reads `pose2d` (pixel x, y). @default 3 */
  dims?: 2 | 3;
  /** Detections kept per frame, highest `cumscore` first; fewer are padded with zeros. @default 1 */
  maxBodies?: number;
  /** Detections with a lower `cumscore` are ignored. @default 0 */
  minScore?: number;
  /** Class names; the label is the activity's index (-1 when absent or not listed). @default none */
  classNames?: readonly string[];
  /** `'toyota'` reads metadata from the file name (BAD_FILENAME when it does not match), `'none'` does not. @default 'toyota' */
  names?: 'toyota' | 'none';
}

interface Detection {
  pose2d?: unknown;
  pose3d?: unknown;
  cumscore?: unknown;
}

function num(v: unknown, file: string, where: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new DatasetError('NOT_A_NUMBER', `non-numeric coordinate in ${where}`, { file, expected: 'a finite number', found: JSON.stringify(v) });
  }
  return v;
}

/**
 * Writes joint coordinates of one detection into `out` (J x dims). Accepted layouts of a pose array: LCR-Net's flat
 * coordinate-major list (all x, then all y, then all z: length J*dims, as in LCR-Net's demo code, which reads joint
 * i at [i], [i + J], [i + 2J]) or a joint-major nested list [[x, y(, z)], ...] of length J.
 */
function readPose(pose: unknown, J: number, dims: number, out: Float32Array, o: number, file: string, where: string): void {
  if (!Array.isArray(pose)) throw new DatasetError('BAD_FORMAT', `${where} is not an array`, { file, expected: 'an array', found: typeof pose });
  if (pose.length === J * dims && pose.every((v) => !Array.isArray(v))) {
    for (let j = 0; j < J; j++) for (let c = 0; c < dims; c++) out[o + j * dims + c] = num(pose[c * J + j], file, where);
    return;
  }
  if (pose.length === J && pose.every((v) => Array.isArray(v) && v.length >= dims)) {
    for (let j = 0; j < J; j++) for (let c = 0; c < dims; c++) out[o + j * dims + c] = num((pose[j] as unknown[])[c], file, where);
    return;
  }
  throw new DatasetError('JOINT_COUNT', `${where} has the wrong length`, { file, expected: `${J * dims} values or ${J} joints`, found: `${pose.length} entries` });
}

/**
 * Parses the per-clip JSON of Toyota Smarthome skeletons (LCR-Net++ output). Assumed layout (the detector's output
 * format; see the README): `{ "njts"?: 13, "frames": [ [ { "pose2d": [...], "pose3d": [...], "cumscore": s }, ... ],
 * ... ] }`, i.e. one list of detections per video frame. Frames without a (usable) detection are zeros.
 */
export function parseToyotaJson(input: Uint8Array | string, opts: ToyotaOptions = {}): SkeletonSample {
  const file = opts.file ?? 'input.json';
  const text = typeof input === 'string' ? input : new TextDecoder().decode(input);
  const meta = opts.names === 'none' ? null : parseToyotaName(file);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new DatasetError('BAD_FORMAT', `invalid JSON: ${(e as Error).message}`, { file, expected: 'a JSON object', found: `${text.length} characters` });
  }
  const frames = (doc as { frames?: unknown })?.frames;
  if (!Array.isArray(frames)) {
    throw new DatasetError('BAD_FORMAT', 'no "frames" array', { file, expected: '{ "frames": [[detection, ...], ...] }', found: JSON.stringify(Object.keys(doc ?? {})) });
  }
  if (frames.length === 0) throw new DatasetError('ZERO_FRAMES', 'the clip has no frames', { file, expected: '>= 1 frame', found: '0' });
  const njts = (doc as { njts?: unknown }).njts;
  const J = TOYOTA_JOINTS;
  if (njts !== undefined && njts !== J) throw new DatasetError('JOINT_COUNT', 'njts is not 13', { file, expected: String(J), found: JSON.stringify(njts) });
  const dims = opts.dims ?? 3;
  const B = opts.maxBodies ?? 1;
  const minScore = opts.minScore ?? 0;
  const key = dims === 3 ? 'pose3d' : 'pose2d';
  const data = new Float32Array(frames.length * B * J * dims);
  frames.forEach((dets, f) => {
    if (!Array.isArray(dets)) throw new DatasetError('BAD_FORMAT', `frame ${f} is not a list of detections`, { file, expected: 'an array', found: typeof dets });
    const usable = (dets as Detection[])
      .map((d, k) => ({ d, k, s: typeof d?.cumscore === 'number' ? d.cumscore : 0 }))
      .filter((x) => x.d && x.d[key] !== undefined && x.s >= minScore)
      .sort((a, b) => b.s - a.s || a.k - b.k)
      .slice(0, B);
    usable.forEach((x, b) => readPose(x.d[key], J, dims, data, (f * B + b) * J * dims, file, `frame ${f} detection ${x.k} ${key}`));
  });
  const label = meta && opts.classNames ? opts.classNames.indexOf(meta.activity) : -1;
  return {
    id: meta?.id ?? file.replace(/^.*[\\/]/, '').replace(/\.json$/, ''),
    label, labelName: meta?.activity, subject: meta?.subject ?? -1, camera: meta?.camera ?? -1, setup: -1,
    replication: meta?.replication ?? -1, frames: frames.length, bodies: B, joints: J, channels: dims, data,
  };
}

/** Writes a sample as Toyota-style JSON (flat coordinate-major `pose3d` or `pose2d`, cumscore 1; zero bodies omitted). */
export function writeToyotaJson(sample: SkeletonSample): string {
  const { frames, bodies: B, joints: J, channels: C, data } = sample;
  if (C !== 2 && C !== 3) throw new DatasetError('SHAPE_MISMATCH', `sample ${sample.id} must have 2 or 3 channels`, { expected: '2 or 3', found: String(C) });
  const key = C === 3 ? 'pose3d' : 'pose2d';
  const out: { njts: number; frames: Record<string, unknown>[][] } = { njts: J, frames: [] };
  for (let f = 0; f < frames; f++) {
    const dets: Record<string, unknown>[] = [];
    for (let b = 0; b < B; b++) {
      const o = (f * B + b) * J * C;
      const block = data.subarray(o, o + J * C);
      if (block.every((v) => v === 0)) continue;
      const flat: number[] = [];
      for (let c = 0; c < C; c++) for (let j = 0; j < J; j++) flat.push(block[j * C + c]);
      dets.push({ [key]: flat, cumscore: B - b });
    }
    out.frames.push(dets);
  }
  return JSON.stringify(out);
}
