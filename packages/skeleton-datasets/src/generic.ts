import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetError } from './errors';
import { atomicWrite, f32Bytes, readF32File } from './io';
import type { PackedDataset, SampleMeta } from './types';

/** Format name written in `meta.json`. */
export const GENERIC_FORMAT = 'llmar-skeleton';
/** Format version written in `meta.json`. */
export const GENERIC_VERSION = 1;

/** `meta.json` of the generic format. */
export interface GenericMeta {
  format: typeof GENERIC_FORMAT;
  version: number;
  bodies: number;
  joints: number;
  channels: number;
  classNames: string[];
  samples: number;
  dtype: 'float32';
  byteOrder: 'little';
  /** Optional free-form names (joint names, channel names, source). */
  jointNames?: string[];
  channelNames?: string[];
  source?: string;
}

/** One line of `index.jsonl`. `offset` counts float32 values from the start of `data.f32`. */
export interface GenericIndexLine extends SampleMeta {
  frames: number;
  offset: number;
}

/** Options of {@link writeGeneric}. */
export interface GenericWriteOptions {
  /** Joint names stored in meta.json. @default none */
  jointNames?: string[];
  /** Channel names stored in meta.json (e.g. ['x', 'y', 'z']). @default none */
  channelNames?: string[];
  /** Free text naming where the data came from. @default none */
  source?: string;
}

/**
 * Writes a packed dataset in the generic on-disk format: `<dir>/meta.json`, `<dir>/index.jsonl` (one JSON object per
 * sample: id, label, labelName, subject, camera, setup, replication, frames, offset) and `<dir>/data.f32` (all
 * samples' [frames, bodies, joints, channels] float32 values, little-endian, back to back).
 */
export function writeGeneric(dir: string, ds: PackedDataset, opts: GenericWriteOptions = {}): void {
  mkdirSync(dir, { recursive: true });
  const n = ds.labels.length;
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const l = ds.labels[i];
    const line: GenericIndexLine = { id: ds.ids[i], label: l, subject: ds.subjects[i], camera: ds.cameras[i], setup: ds.setups[i],
      replication: ds.replications[i], frames: ds.frames[i], offset: ds.offsets[i] };
    if (l >= 0 && ds.classNames[l]) line.labelName = ds.classNames[l];
    lines.push(JSON.stringify(line));
  }
  const meta: GenericMeta = { format: GENERIC_FORMAT, version: GENERIC_VERSION, bodies: ds.bodies, joints: ds.joints,
    channels: ds.channels, classNames: ds.classNames, samples: n, dtype: 'float32', byteOrder: 'little', ...opts };
  atomicWrite(join(dir, 'data.f32'), f32Bytes(ds.data.subarray(0, ds.offsets[n])));
  atomicWrite(join(dir, 'index.jsonl'), lines.join('\n') + (n ? '\n' : ''));
  atomicWrite(join(dir, 'meta.json'), JSON.stringify(meta, null, 1) + '\n');
}

function bad(file: string, line: number | undefined, message: string, expected: string, found: string): DatasetError {
  return new DatasetError('BAD_FORMAT', message, { file, line, expected, found });
}

/** Reads a directory written by {@link writeGeneric} (or by hand in the same format) into a packed dataset. */
export function readGeneric(dir: string): PackedDataset & { meta: GenericMeta } {
  const metaPath = join(dir, 'meta.json');
  const indexPath = join(dir, 'index.jsonl');
  const dataPath = join(dir, 'data.f32');
  for (const p of [metaPath, indexPath, dataPath]) {
    if (!existsSync(p)) throw new DatasetError('NOT_FOUND', 'generic dataset file missing', { file: p, expected: 'meta.json, index.jsonl, data.f32', found: 'no such file' });
  }
  let meta: GenericMeta;
  try {
    meta = JSON.parse(readFileSync(metaPath, 'utf8')) as GenericMeta;
  } catch (e) {
    throw bad(metaPath, undefined, `invalid JSON: ${(e as Error).message}`, 'a JSON object', 'unparsable text');
  }
  if (meta.format !== GENERIC_FORMAT || meta.version !== GENERIC_VERSION) {
    throw bad(metaPath, undefined, 'unknown format or version', `${GENERIC_FORMAT} v${GENERIC_VERSION}`, `${meta.format} v${meta.version}`);
  }
  for (const k of ['bodies', 'joints', 'channels'] as const) {
    if (!(Number.isInteger(meta[k]) && meta[k] >= 1)) throw bad(metaPath, undefined, `bad ${k}`, 'a positive integer', String(meta[k]));
  }
  if (meta.dtype !== 'float32' || meta.byteOrder !== 'little') {
    throw new DatasetError('UNSUPPORTED_DTYPE', 'only little-endian float32 data is supported', { file: metaPath, expected: 'float32, little', found: `${meta.dtype}, ${meta.byteOrder}` });
  }
  const all = readF32File(dataPath);
  const text = readFileSync(indexPath, 'utf8');
  const rows = text.split('\n');
  const per = meta.bodies * meta.joints * meta.channels;
  const entries: GenericIndexLine[] = [];
  rows.forEach((r, k) => {
    if (r.trim() === '') return;
    let e: GenericIndexLine;
    try {
      e = JSON.parse(r) as GenericIndexLine;
    } catch {
      throw bad(indexPath, k + 1, 'invalid JSON line', 'one JSON object per line', JSON.stringify(r.slice(0, 60)));
    }
    for (const f of ['label', 'subject', 'camera', 'setup', 'replication', 'frames', 'offset'] as const) {
      if (!Number.isInteger(e[f])) throw bad(indexPath, k + 1, `field ${f} is not an integer`, 'an integer', JSON.stringify(e[f]));
    }
    if (typeof e.id !== 'string') throw bad(indexPath, k + 1, 'field id is not a string', 'a string', JSON.stringify(e.id));
    if (e.frames < 1) throw new DatasetError('ZERO_FRAMES', `sample ${e.id} has no frames`, { file: indexPath, line: k + 1, expected: '>= 1', found: String(e.frames) });
    if (e.offset < 0 || e.offset + e.frames * per > all.length) {
      throw new DatasetError('TRUNCATED', `sample ${e.id} runs past the end of data.f32`, {
        file: indexPath, line: k + 1, expected: `offset + frames*${per} <= ${all.length}`, found: `${e.offset} + ${e.frames * per}` });
    }
    entries.push(e);
  });
  if (entries.length !== meta.samples) throw bad(indexPath, undefined, 'sample count differs from meta.json', String(meta.samples), String(entries.length));
  const n = entries.length;
  const offsets = new Float64Array(n + 1);
  let total = 0;
  let contiguous = true;
  entries.forEach((e, i) => { offsets[i] = total; if (e.offset !== total) contiguous = false; total += e.frames * per; });
  offsets[n] = total;
  let data: Float32Array;
  if (contiguous) data = all.subarray(0, total);
  else {
    data = new Float32Array(total);
    entries.forEach((e, i) => data.set(all.subarray(e.offset, e.offset + e.frames * per), offsets[i]));
  }
  const classNames = Array.isArray(meta.classNames) ? [...meta.classNames] : [];
  for (const e of entries) if (e.labelName && e.label >= 0 && !classNames[e.label]) {
    while (classNames.length <= e.label) classNames.push('');
    classNames[e.label] = e.labelName;
  }
  const col = (f: keyof GenericIndexLine) => Int32Array.from(entries, (e) => e[f] as number);
  return {
    meta, bodies: meta.bodies, joints: meta.joints, channels: meta.channels, classNames,
    ids: entries.map((e) => e.id), labels: col('label'), subjects: col('subject'), cameras: col('camera'), setups: col('setup'),
    replications: col('replication'), frames: col('frames'), offsets, data,
  };
}
