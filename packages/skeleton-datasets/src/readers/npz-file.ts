import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { inflateSync } from 'fflate';
import { DatasetError } from '../errors';
import type { PackedDataset } from '../types';
import { decodeNpyData, parseNpy, parseNpyHeader, type NpyArray } from './npy';
import { defaultClassNames, labelsFrom, trimmedLength } from './ctrgcn-util';
import { crc32, readCtrGcnSplit, type CtrGcnOptions, type CtrGcnSplit } from './npz';

/** One member of a zip archive, from its central directory. */
export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

function readAt(fd: number, pos: number, len: number, file: string): Uint8Array {
  const out = new Uint8Array(len);
  for (let off = 0; off < len;) {
    const n = readSync(fd, out, off, Math.min(len - off, 1 << 28), pos + off);
    if (n <= 0) throw new DatasetError('TRUNCATED', 'archive ends early', { file, expected: `${pos + len} bytes`, found: `${pos + off} bytes` });
    off += n;
  }
  return out;
}

/** Lists the members of a zip file on disk from its central directory (zip64 aware), without reading the members. */
export function zipEntries(fd: number, file: string): ZipEntry[] {
  const size = fstatSync(fd).size;
  const bad = (why: string) => new DatasetError('BAD_FORMAT', `not a readable zip archive: ${why}`, { file, expected: 'a .npz (zip) archive', found: `${size} bytes` });
  if (size < 22) throw bad('too short');
  const tailLen = Math.min(size, 22 + 65535 + 20);
  const tail = readAt(fd, size - tailLen, tailLen, file);
  const tv = new DataView(tail.buffer);
  let e = -1;
  for (let i = tailLen - 22; i >= 0; i--) if (tv.getUint32(i, true) === 0x06054b50) { e = i; break; }
  if (e < 0) throw bad('no end-of-central-directory record');
  let count = tv.getUint16(e + 10, true);
  let cdSize = tv.getUint32(e + 12, true);
  let cdOff = tv.getUint32(e + 16, true);
  if (e >= 20 && tv.getUint32(e - 20, true) === 0x07064b50) {
    const z = Number(tv.getBigUint64(e - 12, true));
    const rec = new DataView(readAt(fd, z, 56, file).buffer);
    if (rec.getUint32(0, true) !== 0x06064b50) throw bad('bad zip64 end record');
    count = Number(rec.getBigUint64(32, true));
    cdSize = Number(rec.getBigUint64(40, true));
    cdOff = Number(rec.getBigUint64(48, true));
  }
  if (cdOff + cdSize > size) throw bad('central directory outside the file');
  const cd = readAt(fd, cdOff, cdSize, file);
  const v = new DataView(cd.buffer);
  const dec = new TextDecoder();
  const out: ZipEntry[] = [];
  let p = 0;
  for (let k = 0; k < count; k++) {
    if (p + 46 > cdSize || v.getUint32(p, true) !== 0x02014b50) throw bad('bad central directory entry');
    const nameLen = v.getUint16(p + 28, true);
    const extraLen = v.getUint16(p + 30, true);
    const commentLen = v.getUint16(p + 32, true);
    const entry: ZipEntry = {
      name: dec.decode(cd.subarray(p + 46, p + 46 + nameLen)), method: v.getUint16(p + 10, true), crc: v.getUint32(p + 16, true),
      compressedSize: v.getUint32(p + 20, true), size: v.getUint32(p + 24, true), localOffset: v.getUint32(p + 42, true),
    };
    // zip64 extra field (id 1): the 64-bit values of the fields that hold 0xffffffff, in this order
    for (let x = p + 46 + nameLen; x + 4 <= p + 46 + nameLen + extraLen;) {
      const id = v.getUint16(x, true);
      const len = v.getUint16(x + 2, true);
      if (id === 1) {
        let q = x + 4;
        const next = () => { const val = Number(v.getBigUint64(q, true)); q += 8; return val; };
        if (entry.size === 0xffffffff) entry.size = next();
        if (entry.compressedSize === 0xffffffff) entry.compressedSize = next();
        if (entry.localOffset === 0xffffffff) entry.localOffset = next();
      }
      x += 4 + len;
    }
    out.push(entry);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/** Byte position of a member's data (after its local header). */
function dataStart(fd: number, e: ZipEntry, file: string): number {
  const h = new DataView(readAt(fd, e.localOffset, 30, file).buffer);
  if (h.getUint32(0, true) !== 0x04034b50) {
    throw new DatasetError('BAD_FORMAT', `bad local header of member ${e.name}`, { file, expected: 'PK\\x03\\x04', found: h.getUint32(0, true).toString(16) });
  }
  return e.localOffset + 30 + h.getUint16(26, true) + h.getUint16(28, true);
}

/** Reads one whole member (stored or deflated), CRC-checked. */
function readMember(fd: number, e: ZipEntry, file: string): Uint8Array {
  const raw = readAt(fd, dataStart(fd, e, file), e.compressedSize, file);
  let data: Uint8Array;
  if (e.method === 0) data = raw;
  else if (e.method === 8) {
    try {
      data = inflateSync(raw, { out: new Uint8Array(e.size) });
    } catch (err) {
      throw new DatasetError('BAD_FORMAT', `member ${e.name} cannot be inflated: ${(err as Error).message}`, { file });
    }
  } else throw new DatasetError('UNSUPPORTED_DTYPE', `member ${e.name} uses zip method ${e.method}`, { file, expected: 'stored (0) or deflated (8)', found: String(e.method) });
  if (data.length !== e.size || crc32(data) !== e.crc) {
    throw new DatasetError('BAD_FORMAT', `member ${e.name} is corrupted (size or CRC-32 mismatch)`, { file, expected: `${e.size} bytes, crc ${e.crc.toString(16)}`, found: `${data.length} bytes, crc ${crc32(data).toString(16)}` });
  }
  return data;
}

/** Reads the named arrays of a `.npz` file on disk (each member read whole; for big stored members see readCtrGcnNpzFile). */
export function readNpzFile(path: string, names?: readonly string[]): Record<string, NpyArray> {
  const fd = openSync(path, 'r');
  try {
    const out: Record<string, NpyArray> = {};
    for (const e of zipEntries(fd, path)) {
      const key = e.name.replace(/\.npy$/, '');
      if (names && !names.includes(key)) continue;
      out[key] = parseNpy(readMember(fd, e, path), `${path}:${e.name}`);
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

/**
 * Streams one stored x member sample by sample: only the trimmed frames are kept, so memory holds the real frames
 * (not the 300-frame padding) plus one sample. The member's CRC-32 is verified at the end.
 */
function streamX(fd: number, e: ZipEntry, split: string, file: string, opts: CtrGcnOptions, labels: Int32Array, names: string[]): CtrGcnSplit {
  const start = dataStart(fd, e, file);
  const head = readAt(fd, start, Math.min(e.size, 1 << 16), file);
  const h = parseNpyHeader(head, `${file}:${e.name}`);
  const B = opts.bodies ?? 2;
  const J = opts.joints ?? 25;
  const C = opts.channels ?? 3;
  const D = B * J * C;
  if (h.shape.length !== 3 || h.shape[2] !== D || h.shape[0] !== labels.length) {
    throw new DatasetError('SHAPE_MISMATCH', `x_${split} has the wrong shape`, { file, expected: `[${labels.length}, T, ${D}]`, found: `[${h.shape.join(', ')}]` });
  }
  if (h.dataOffset + h.count * h.itemSize !== e.size) {
    throw new DatasetError('BAD_FORMAT', `x_${split}: member size does not match its shape`, { file, expected: `${h.dataOffset + h.count * h.itemSize} bytes`, found: `${e.size} bytes` });
  }
  const [N, T] = h.shape;
  const trim = opts.trimPadding ?? true;
  let crc = crc32(head.subarray(0, h.dataOffset));
  const sampleBytes = T * D * h.itemSize;
  const kept: Float32Array[] = [];
  const keptIndex: number[] = [];
  const skipped: { index: number; reason: string }[] = [];
  let total = 0;
  for (let i = 0; i < N; i++) {
    const raw = readAt(fd, start + h.dataOffset + i * sampleBytes, sampleBytes, file);
    crc = crc32(raw, crc);
    const x = decodeNpyData(h, raw, file);
    const len = trim ? trimmedLength(x, 0, T, D) : T;
    if (len === 0) { skipped.push({ index: i, reason: 'every frame is zero' }); continue; }
    kept.push(x instanceof Float32Array ? x.slice(0, len * D) : Float32Array.from(x.subarray(0, len * D)));
    keptIndex.push(i);
    total += len * D;
  }
  if (crc !== e.crc) {
    throw new DatasetError('BAD_FORMAT', `member ${e.name} is corrupted (CRC-32 mismatch)`, { file, expected: e.crc.toString(16), found: crc.toString(16) });
  }
  const n = kept.length;
  const ds: PackedDataset = {
    bodies: B, joints: J, channels: C, classNames: names, ids: keptIndex.map((i) => `${split}-${i}`),
    labels: Int32Array.from(keptIndex, (i) => labels[i]), subjects: new Int32Array(n).fill(-1), cameras: new Int32Array(n).fill(-1),
    setups: new Int32Array(n).fill(-1), replications: new Int32Array(n).fill(-1), frames: Int32Array.from(kept, (k) => k.length / D),
    offsets: new Float64Array(n + 1), data: new Float32Array(total),
  };
  let off = 0;
  kept.forEach((k, r) => { ds.offsets[r] = off; ds.data.set(k, off); off += k.length; });
  ds.offsets[n] = off;
  return { dataset: ds, lengths: Int32Array.from(ds.frames), skipped };
}

/**
 * Reads a CTR-GCN `.npz` from disk without loading it whole: stored (np.savez) x members are streamed sample by
 * sample and only real frames are kept, so the NTU archives (tens of GB of padded float32) fit in the memory of
 * their unpadded frames. Deflated members are inflated whole. Same results as {@link readCtrGcnNpz}.
 */
export function readCtrGcnNpzFile(path: string, opts: CtrGcnOptions & { splits?: readonly string[] } = {}): Record<string, CtrGcnSplit> {
  const fd = openSync(path, 'r');
  try {
    const entries = zipEntries(fd, path);
    const find = (name: string) => entries.find((e) => e.name === `${name}.npy` || e.name === name);
    const out: Record<string, CtrGcnSplit> = {};
    for (const split of opts.splits ?? ['train', 'test']) {
      const xe = find(`x_${split}`);
      const ye = find(`y_${split}`);
      if (!xe || !ye) {
        throw new DatasetError('NOT_FOUND', `arrays x_${split} / y_${split} not in the archive`, {
          file: path, expected: `x_${split}, y_${split}`, found: entries.map((e) => e.name).join(', ') || 'no members' });
      }
      const y = parseNpy(readMember(fd, ye, path), `${path}:${ye.name}`);
      const n = y.shape[0] ?? 0;
      const { labels, classes } = labelsFrom(y, n, path, `y_${split}`);
      const names = opts.classNames ? [...opts.classNames] : defaultClassNames(classes);
      if (xe.method === 0) out[split] = streamX(fd, xe, split, path, opts, labels, names);
      else {
        const x = parseNpy(readMember(fd, xe, path), `${path}:${xe.name}`);
        out[split] = readCtrGcnSplit({ [`x_${split}`]: x, [`y_${split}`]: y }, split, { ...opts, file: path, classNames: names });
      }
    }
    return out;
  } finally {
    closeSync(fd);
  }
}
