import { unzipSync, zipSync, type Zippable } from 'fflate';
import { DatasetError } from '../errors';
import type { PackedDataset } from '../types';
import { defaultClassNames, labelsFrom, trimmedLength } from './ctrgcn-util';
import { parseNpy, writeNpy, type NpyArray, type NpyData } from './npy';

let CRC_TABLE: Int32Array | undefined;

/** CRC-32 (IEEE, as in zip) of bytes; pass the previous result as `prev` to continue over several pieces. */
export function crc32(b: Uint8Array, prev = 0): number {
  if (!CRC_TABLE) {
    CRC_TABLE = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      CRC_TABLE[n] = c;
    }
  }
  const t = CRC_TABLE;
  let c = (prev ^ -1) | 0;
  for (let i = 0; i < b.length; i++) c = t[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/** CRC-32 of each member, from the zip's central directory (zip64 aware). */
function centralCrcs(bytes: Uint8Array, file: string): Map<string, number> {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let e = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
    if (dv.getUint32(i, true) === 0x06054b50) { e = i; break; }
  }
  const bad = (why: string) => new DatasetError('BAD_FORMAT', `not a readable zip archive: ${why}`, { file, expected: 'a .npz (zip) archive', found: `${bytes.length} bytes` });
  if (e < 0) throw bad('no end-of-central-directory record');
  let count = dv.getUint16(e + 10, true);
  let off = dv.getUint32(e + 16, true);
  if ((count === 0xffff || off === 0xffffffff) && e >= 20 && dv.getUint32(e - 20, true) === 0x07064b50) {
    const z = Number(dv.getBigUint64(e - 12, true));
    if (z + 56 > bytes.length || dv.getUint32(z, true) !== 0x06064b50) throw bad('bad zip64 record');
    count = Number(dv.getBigUint64(z + 32, true));
    off = Number(dv.getBigUint64(z + 48, true));
  }
  const out = new Map<string, number>();
  const dec = new TextDecoder();
  for (let k = 0; k < count; k++) {
    if (off + 46 > bytes.length || dv.getUint32(off, true) !== 0x02014b50) throw bad('bad central directory');
    const nameLen = dv.getUint16(off + 28, true);
    const skip = nameLen + dv.getUint16(off + 30, true) + dv.getUint16(off + 32, true);
    if (off + 46 + skip > bytes.length) throw bad('bad central directory');
    out.set(dec.decode(bytes.subarray(off + 46, off + 46 + nameLen)), dv.getUint32(off + 16, true));
    off += 46 + skip;
  }
  return out;
}

/**
 * Reads every array of a NumPy `.npz` (a zip of `.npy`, stored or deflated; the whole archive is in memory); keys are
 * the member names without `.npy`. Each member's CRC-32 is checked, so a corrupted archive is an error, not wrong data.
 */
export function readNpz(bytes: Uint8Array, file = 'input.npz'): Record<string, NpyArray> {
  const crcs = centralCrcs(bytes, file);
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (e) {
    throw new DatasetError('BAD_FORMAT', `not a readable zip archive: ${(e as Error).message ?? String(e)}`, {
      file, expected: 'a .npz (zip) archive', found: `${bytes.length} bytes` });
  }
  const out: Record<string, NpyArray> = {};
  for (const [name, data] of Object.entries(entries)) {
    if (name.endsWith('/')) continue;
    const want = crcs.get(name);
    const got = crc32(data);
    if (want !== got) {
      throw new DatasetError('BAD_FORMAT', `member ${name} is corrupted (CRC-32 mismatch)`, {
        file, expected: want === undefined ? 'a central-directory entry' : want.toString(16), found: got.toString(16) });
    }
    out[name.replace(/\.npy$/, '')] = parseNpy(data, `${file}:${name}`);
  }
  return out;
}

/** Options of {@link writeNpz}. */
export interface NpzWriteOptions {
  /** Deflate the members (like `np.savez_compressed`) instead of storing them (like `np.savez`). @default false */
  compress?: boolean;
}

/** Writes arrays as a `.npz` archive (member `<key>.npy` per array). */
export function writeNpz(arrays: Record<string, { shape: readonly number[]; data: NpyData }>, opts: NpzWriteOptions = {}): Uint8Array {
  const z: Zippable = {};
  for (const [k, a] of Object.entries(arrays)) z[`${k}.npy`] = writeNpy(a);
  return zipSync(z, { level: opts.compress ? 6 : 0 });
}

/** Options of {@link readCtrGcnNpz}. */
export interface CtrGcnOptions {
  /** Name in error messages. @default 'input.npz' */
  file?: string;
  /** Body count of the flattened feature axis. @default 2 */
  bodies?: number;
  /** Joint count of the flattened feature axis. @default 25 */
  joints?: number;
  /** Channels per joint. @default 3 */
  channels?: number;
  /** Trim trailing all-zero frames (CTR-GCN pads every sample to 300 frames with zeros). @default true */
  trimPadding?: boolean;
  /** Class names by label. @default the NTU names (first 60 or all 120, by the number of classes of y) */
  classNames?: readonly string[];
}

/** One split of a CTR-GCN archive, plus what was trimmed or skipped. */
export interface CtrGcnSplit {
  dataset: PackedDataset;
  /** Real (unpadded) length of each kept sample (= dataset.frames). */
  lengths: Int32Array;
  /** Samples whose frames are all zero (nothing to keep), by index in the archive. */
  skipped: { index: number; reason: string }[];
}

/**
 * Reads one split (`x_<split>` [N, T, bodies*joints*channels], `y_<split>` one-hot [N, classes] or labels [N]) of
 * a CTR-GCN-style `.npz`. Trailing all-zero frames are padding and are trimmed (the real length is reported).
 */
export function readCtrGcnSplit(arrays: Record<string, NpyArray>, split: string, opts: CtrGcnOptions = {}): CtrGcnSplit {
  const file = opts.file ?? 'input.npz';
  const x = arrays[`x_${split}`];
  const y = arrays[`y_${split}`];
  if (!x || !y) {
    throw new DatasetError('NOT_FOUND', `arrays x_${split} / y_${split} not in the archive`, {
      file, expected: `x_${split}, y_${split}`, found: Object.keys(arrays).join(', ') || 'no arrays' });
  }
  const B = opts.bodies ?? 2;
  const J = opts.joints ?? 25;
  const C = opts.channels ?? 3;
  const D = B * J * C;
  if (x.shape.length !== 3 || x.shape[2] !== D) {
    throw new DatasetError('SHAPE_MISMATCH', `x_${split} has the wrong shape`, { file, expected: `[N, T, ${D}] (${B} bodies x ${J} joints x ${C})`, found: `[${x.shape.join(', ')}]` });
  }
  const [N, T] = x.shape;
  const { labels, classes } = labelsFrom(y, N, file, `y_${split}`);
  const names = opts.classNames ?? defaultClassNames(classes);
  const skipped: { index: number; reason: string }[] = [];
  const trim = opts.trimPadding ?? true;
  const lens = new Int32Array(N);
  let total = 0;
  for (let i = 0; i < N; i++) {
    const len = trim ? trimmedLength(x.data, i * T * D, T, D) : T;
    lens[i] = len;
    total += len * D;
    if (len === 0) skipped.push({ index: i, reason: 'every frame is zero' });
  }
  // Fill the packed arrays directly (one copy of the data).
  const kept = N - skipped.length;
  const dataset: PackedDataset = {
    bodies: B, joints: J, channels: C, classNames: [...names], ids: [], labels: new Int32Array(kept),
    subjects: new Int32Array(kept).fill(-1), cameras: new Int32Array(kept).fill(-1), setups: new Int32Array(kept).fill(-1),
    replications: new Int32Array(kept).fill(-1), frames: new Int32Array(kept), offsets: new Float64Array(kept + 1),
    data: new Float32Array(total),
  };
  let r = 0;
  let off = 0;
  for (let i = 0; i < N; i++) {
    if (lens[i] === 0) continue;
    dataset.ids.push(`${split}-${i}`);
    dataset.labels[r] = labels[i];
    dataset.frames[r] = lens[i];
    dataset.offsets[r] = off;
    dataset.data.set(x.data.subarray(i * T * D, (i * T + lens[i]) * D), off);
    off += lens[i] * D;
    r++;
  }
  dataset.offsets[kept] = off;
  return { dataset, lengths: Int32Array.from(dataset.frames), skipped };
}

/** Reads a CTR-GCN `.npz` (x_train, y_train, x_test, y_test) into two packed datasets. */
export function readCtrGcnNpz(bytes: Uint8Array, opts: CtrGcnOptions = {}): { train: CtrGcnSplit; test: CtrGcnSplit } {
  const arrays = readNpz(bytes, opts.file);
  return { train: readCtrGcnSplit(arrays, 'train', opts), test: readCtrGcnSplit(arrays, 'test', opts) };
}
