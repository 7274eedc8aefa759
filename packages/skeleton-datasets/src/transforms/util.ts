/** Small shared helpers of the transforms: validation, copying with new data, missing-joint tests. */
import { DatasetError } from '../errors';
import type { SkeletonSample } from '../types';

/** Throws a DatasetError when `data` does not hold frames × bodies × joints × channels numbers. */
export function checkSample(s: SkeletonSample, where = 'sample'): void {
  const want = s.frames * s.bodies * s.joints * s.channels;
  if (!(s.data instanceof Float32Array) || s.data.length !== want) {
    throw new DatasetError('SHAPE_MISMATCH', `${where} "${s.id}" data length does not match its shape`,
      { expected: `${want} (= ${s.frames} × ${s.bodies} × ${s.joints} × ${s.channels})`, found: String(s.data?.length) });
  }
}

/** A copy of `s` with new shape fields and data (metadata kept; tracking replaced or dropped). */
export function withData(
  s: SkeletonSample,
  data: Float32Array,
  shape: { frames?: number; bodies?: number; joints?: number; channels?: number } = {},
  tracking?: Uint8Array,
): SkeletonSample {
  const out: SkeletonSample = {
    ...s,
    frames: shape.frames ?? s.frames,
    bodies: shape.bodies ?? s.bodies,
    joints: shape.joints ?? s.joints,
    channels: shape.channels ?? s.channels,
    data,
  };
  if (tracking) out.tracking = tracking;
  else delete out.tracking;
  return out;
}

/** True when every channel of the joint starting at `off` is exactly zero (the datasets' "missing" marker). */
export function isMissing(data: Float32Array, off: number, channels: number): boolean {
  for (let c = 0; c < channels; c++) if (data[off + c] !== 0) return false;
  return true;
}

/** True when every number of frame `t` (all bodies, joints, channels) is zero. */
export function isEmptyFrame(s: SkeletonSample, t: number): boolean {
  const size = s.bodies * s.joints * s.channels;
  const base = t * size;
  for (let i = 0; i < size; i++) if (s.data[base + i] !== 0) return false;
  return true;
}

/** True when body `b` has no non-zero number in frame `t`. */
export function isEmptyBody(s: SkeletonSample, t: number, b: number): boolean {
  const size = s.joints * s.channels;
  const base = (t * s.bodies + b) * size;
  for (let i = 0; i < size; i++) if (s.data[base + i] !== 0) return false;
  return true;
}

/** Copies the frames listed in `idx` (in that order) into a new sample. */
export function selectFrames(s: SkeletonSample, idx: ArrayLike<number>): SkeletonSample {
  const size = s.bodies * s.joints * s.channels;
  const data = new Float32Array(idx.length * size);
  for (let i = 0; i < idx.length; i++) data.set(s.data.subarray(idx[i] * size, (idx[i] + 1) * size), i * size);
  let tracking: Uint8Array | undefined;
  if (s.tracking) {
    const ts = s.bodies * s.joints;
    tracking = new Uint8Array(idx.length * ts);
    for (let i = 0; i < idx.length; i++) tracking.set(s.tracking.subarray(idx[i] * ts, (idx[i] + 1) * ts), i * ts);
  }
  return withData(s, data, { frames: idx.length }, tracking);
}

export function badOption(name: string, value: unknown, expected: string): DatasetError {
  return new DatasetError('BAD_OPTION', `transform option ${name} = ${JSON.stringify(value)} is invalid`,
    { expected, found: JSON.stringify(value) });
}
