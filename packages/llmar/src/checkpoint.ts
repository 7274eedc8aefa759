import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { LlmarError } from './errors';

/** A named float32 array with its shape. */
export interface NamedArray {
  shape: number[];
  data: Float32Array;
}

/** What a checkpoint holds: JSON-able state and named float32 arrays. */
export interface Checkpoint<M = unknown> {
  meta: M;
  tensors: Map<string, NamedArray>;
}

const MAGIC = 'LLMARCK1';

/**
 * Write a checkpoint atomically: the bytes go to `<file>.tmp-<pid>`, are fsynced, then renamed over `file`, so a run
 * killed at any moment leaves either the previous checkpoint or the new one, never a torn file.
 * Layout: 8-byte magic `LLMARCK1`, uint32 LE header length, UTF-8 JSON header `{ meta, tensors: { name: { shape, offset } } }`,
 * then the float32 data of every tensor (4-byte aligned, little endian).
 */
export function writeCheckpoint<M>(file: string, ckpt: Checkpoint<M>): void {
  mkdirSync(dirname(file), { recursive: true });
  const index: Record<string, { shape: number[]; offset: number }> = {};
  let offset = 0;
  for (const [name, t] of ckpt.tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new LlmarError('CHECKPOINT', `tensor ${name}: shape [${t.shape}] does not match ${t.data.length} values`);
    index[name] = { shape: t.shape, offset };
    offset += n * 4;
  }
  let header = Buffer.from(JSON.stringify({ meta: ckpt.meta, tensors: index }), 'utf8');
  const pad = (4 - ((8 + 4 + header.length) % 4)) % 4;
  if (pad) header = Buffer.concat([header, Buffer.alloc(pad, 0x20)]);
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    const head = Buffer.alloc(12);
    head.write(MAGIC, 0, 'latin1');
    head.writeUInt32LE(header.length, 8);
    writeSync(fd, head);
    writeSync(fd, header);
    for (const t of ckpt.tensors.values()) writeSync(fd, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** Read a checkpoint written by {@link writeCheckpoint}; a torn or foreign file gives `LlmarError('CHECKPOINT')` naming it. */
export function readCheckpoint<M = unknown>(file: string): Checkpoint<M> {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new LlmarError('CHECKPOINT', `cannot read checkpoint ${file}: ${(e as Error).message}`);
  }
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC) throw new LlmarError('CHECKPOINT', `${file} is not an llmar checkpoint (bad magic)`);
  const hlen = buf.readUInt32LE(8);
  if (12 + hlen > buf.length) throw new LlmarError('CHECKPOINT', `${file} is truncated (header of ${hlen} bytes, file ${buf.length})`);
  let header: { meta: M; tensors: Record<string, { shape: number[]; offset: number }> };
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + hlen));
  } catch (e) {
    throw new LlmarError('CHECKPOINT', `${file}: corrupt header (${(e as Error).message})`);
  }
  const base = 12 + hlen;
  const tensors = new Map<string, NamedArray>();
  for (const [name, { shape, offset }] of Object.entries(header.tensors)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const start = base + offset;
    if (start + n * 4 > buf.length) throw new LlmarError('CHECKPOINT', `${file} is truncated in tensor ${name}`);
    const data = new Float32Array(n);
    new Uint8Array(data.buffer).set(buf.subarray(start, start + n * 4));
    tensors.set(name, { shape, data });
  }
  return { meta: header.meta, tensors };
}

/** Whether a checkpoint file exists (stale `.tmp-*` files of killed runs are ignored). */
export function hasCheckpoint(file: string): boolean {
  return existsSync(file);
}
