import { closeSync, openSync, writeSync } from 'node:fs';
import { tf } from '@llmar/tensor';
import { LlmError } from './errors';

/** Writing safetensors files (the reader is in safetensors.ts). */

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A tensor to write: a tf.Tensor (float32 or int32) or raw data with a shape. */
export type WritableTensor = tf.Tensor | { data: Float32Array | Int32Array; shape: number[] };

function asTyped(t: WritableTensor, name: string): { data: Float32Array | Int32Array; shape: number[] } {
  if (t instanceof tf.Tensor) {
    if (t.dtype !== 'float32' && t.dtype !== 'int32') {
      throw new LlmError('UNSUPPORTED_DTYPE', `cannot write tensor "${name}" of dtype ${t.dtype} (float32 or int32 only)`);
    }
    return { data: t.dataSync() as Float32Array | Int32Array, shape: t.shape };
  }
  const numel = t.shape.reduce((a, s) => a * s, 1);
  if (numel !== t.data.length) {
    throw new LlmError('SHAPE_MISMATCH', `tensor "${name}": shape [${t.shape}] needs ${numel} values, got ${t.data.length}`);
  }
  return t;
}

function buildHeader(specs: { name: string; dtype: 'F32' | 'I32'; shape: number[]; bytes: number }[], metadata?: Record<string, string>) {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  let off = 0;
  for (const s of specs) {
    header[s.name] = { dtype: s.dtype, shape: s.shape, data_offsets: [off, off + s.bytes] };
    off += s.bytes;
  }
  let text = JSON.stringify(header);
  const enc = new TextEncoder();
  let hb = enc.encode(text);
  const pad = (8 - (hb.length % 8)) % 8; // the data section then starts 8-byte aligned; spaces are valid JSON padding
  if (pad) {
    text += ' '.repeat(pad);
    hb = enc.encode(text);
  }
  const out = new Uint8Array(8 + hb.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  return { head: out, dataBytes: off };
}

function tensorBytes(data: Float32Array | Int32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.length * 4);
  const dv = new DataView(out.buffer);
  if (data instanceof Float32Array) for (let i = 0; i < data.length; i++) dv.setFloat32(4 * i, data[i], true);
  else for (let i = 0; i < data.length; i++) dv.setInt32(4 * i, data[i], true);
  return out;
}

/** Serialise tensors (float32 → F32, int32 → I32) to a safetensors buffer, header padded to 8 bytes with spaces. */
export function encodeSafetensors(tensors: Record<string, WritableTensor>, metadata?: Record<string, string>): Uint8Array {
  const typed = Object.entries(tensors).map(([name, t]) => ({ name, ...asTyped(t, name) }));
  const specs = typed.map((t) => ({ name: t.name, dtype: t.data instanceof Float32Array ? ('F32' as const) : ('I32' as const), shape: t.shape, bytes: t.data.length * 4 }));
  const { head, dataBytes } = buildHeader(specs, metadata);
  const out = new Uint8Array(head.length + dataBytes);
  out.set(head, 0);
  let off = head.length;
  for (const t of typed) {
    out.set(tensorBytes(t.data), off);
    off += t.data.length * 4;
  }
  return out;
}

/**
 * Write tensors to a safetensors file one tensor at a time (no full copy of the model in memory).
 * `tensors` may be a record or a list of [name, { shape, dtype }, getter] triples whose getter produces the tensor when
 * its turn comes (the caller owns what the getter returns; nothing is disposed here).
 */
export function saveSafetensors(
  path: string,
  tensors: Record<string, WritableTensor> | [string, { shape: number[]; dtype?: 'float32' | 'int32' }, () => WritableTensor][],
  metadata?: Record<string, string>,
): void {
  const list: [string, { shape: number[]; dtype?: 'float32' | 'int32' }, () => WritableTensor][] = Array.isArray(tensors)
    ? tensors
    : Object.entries(tensors).map(([n, t]) => [n, { shape: t.shape, dtype: t instanceof tf.Tensor ? (t.dtype as 'float32') : t.data instanceof Int32Array ? 'int32' : 'float32' }, () => t]);
  const specs = list.map(([name, s]) => ({
    name, dtype: s.dtype === 'int32' ? ('I32' as const) : ('F32' as const), shape: s.shape, bytes: s.shape.reduce((a, x) => a * x, 1) * 4,
  }));
  const { head } = buildHeader(specs, metadata);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, head);
    for (let i = 0; i < list.length; i++) {
      const [name, , get] = list[i];
      const t = get();
      const typed = asTyped(t, name);
      const isInt = typed.data instanceof Int32Array;
      if (typed.data.length * 4 !== specs[i].bytes || isInt !== (specs[i].dtype === 'I32')) {
        throw new LlmError('SHAPE_MISMATCH', `tensor "${name}" announced as ${specs[i].dtype} [${specs[i].shape}] but produced ${typed.data.length} ${isInt ? 'int32' : 'float32'} values`);
      }
      writeSync(fd, tensorBytes(typed.data));
    }
  } finally {
    closeSync(fd);
  }
}
