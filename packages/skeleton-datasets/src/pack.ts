import ndarray from 'ndarray';
import type { NdArray } from 'ndarray';
import { DatasetError } from './errors';
import type { PackedDataset, SkeletonSample } from './types';

/** Options of {@link pack}. */
export interface PackOptions {
  /** Class names by label. @default the labelName of the samples (by label), '' where unknown */
  classNames?: readonly string[];
  /** Body slots of the packed dataset; samples with fewer bodies are padded with zeros. @default max over samples */
  bodies?: number;
  /** Joint count every sample must have. @default that of the first sample */
  joints?: number;
  /** Channel count every sample must have. @default that of the first sample */
  channels?: number;
}

function checkSample(s: SkeletonSample): void {
  const want = s.frames * s.bodies * s.joints * s.channels;
  if (s.data.length !== want) {
    throw new DatasetError('SHAPE_MISMATCH', `sample ${s.id}: data length does not match frames x bodies x joints x channels`, {
      expected: `${s.frames}*${s.bodies}*${s.joints}*${s.channels} = ${want}`, found: String(s.data.length) });
  }
}

/**
 * Packs samples into one {@link PackedDataset}: all data in one Float32Array, metadata in typed columns.
 * Joints and channels must agree; bodies are padded with zeros up to `bodies` (a sample with more is an error).
 */
export function pack(samples: readonly SkeletonSample[], opts: PackOptions = {}): PackedDataset {
  const joints = opts.joints ?? samples[0]?.joints ?? 0;
  const channels = opts.channels ?? samples[0]?.channels ?? 0;
  const bodies = opts.bodies ?? samples.reduce((m, s) => Math.max(m, s.bodies), 0);
  let total = 0;
  for (const s of samples) {
    checkSample(s);
    if (s.joints !== joints || s.channels !== channels) {
      throw new DatasetError('SHAPE_MISMATCH', `sample ${s.id} has another joint or channel count than the dataset`, {
        expected: `${joints} joints x ${channels} channels`, found: `${s.joints} joints x ${s.channels} channels` });
    }
    if (s.bodies > bodies) {
      throw new DatasetError('SHAPE_MISMATCH', `sample ${s.id} has more bodies than the dataset's body slots`, {
        expected: `<= ${bodies} bodies`, found: `${s.bodies} bodies` });
    }
    total += s.frames * bodies * joints * channels;
  }
  const n = samples.length;
  const ds: PackedDataset = {
    bodies, joints, channels,
    classNames: [],
    ids: new Array<string>(n),
    labels: new Int32Array(n), subjects: new Int32Array(n), cameras: new Int32Array(n), setups: new Int32Array(n),
    replications: new Int32Array(n), frames: new Int32Array(n), offsets: new Float64Array(n + 1),
    data: new Float32Array(total),
  };
  const names: string[] = opts.classNames ? [...opts.classNames] : [];
  let off = 0;
  const per = joints * channels;
  samples.forEach((s, i) => {
    ds.ids[i] = s.id;
    ds.labels[i] = s.label;
    ds.subjects[i] = s.subject;
    ds.cameras[i] = s.camera;
    ds.setups[i] = s.setup;
    ds.replications[i] = s.replication;
    ds.frames[i] = s.frames;
    ds.offsets[i] = off;
    if (s.bodies === bodies) ds.data.set(s.data, off);
    else for (let f = 0; f < s.frames; f++) ds.data.set(s.data.subarray(f * s.bodies * per, (f + 1) * s.bodies * per), off + f * bodies * per);
    off += s.frames * bodies * per;
    if (!opts.classNames && s.labelName !== undefined && s.label >= 0) {
      while (names.length <= s.label) names.push('');
      names[s.label] = s.labelName;
    }
  });
  ds.offsets[n] = off;
  ds.classNames = names;
  return ds;
}

/** Number of samples of a packed dataset. */
export function datasetSize(ds: PackedDataset): number {
  return ds.labels.length;
}

/**
 * Sample i of a packed dataset. Its `data` is a view into `ds.data` (no copy) unless `copy` is true.
 * @param copy copy the data out of the packed array. @default false
 */
export function unpackSample(ds: PackedDataset, i: number, copy = false): SkeletonSample {
  const n = ds.labels.length;
  if (!Number.isInteger(i) || i < 0 || i >= n) {
    throw new DatasetError('BAD_OPTION', 'sample index out of range', { expected: `0..${n - 1}`, found: String(i) });
  }
  const view = ds.data.subarray(ds.offsets[i], ds.offsets[i + 1]);
  const label = ds.labels[i];
  const s: SkeletonSample = {
    id: ds.ids[i], label, subject: ds.subjects[i], camera: ds.cameras[i], setup: ds.setups[i],
    replication: ds.replications[i], frames: ds.frames[i], bodies: ds.bodies, joints: ds.joints, channels: ds.channels,
    data: copy ? view.slice() : view,
  };
  const name = label >= 0 ? ds.classNames[label] : undefined;
  if (name) s.labelName = name;
  return s;
}

/** A [frames, bodies, joints, channels] ndarray view of a sample's data (no copy). */
export function asNdarray(sample: SkeletonSample): NdArray<Float32Array> {
  checkSample(sample);
  return ndarray(sample.data, [sample.frames, sample.bodies, sample.joints, sample.channels]);
}
