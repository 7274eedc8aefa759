import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tf } from '@llmar/tensor';
import { LlmError } from './errors';

/**
 * The safetensors format (https://huggingface.co/docs/safetensors): an unsigned 64-bit little-endian header length N,
 * N bytes of UTF-8 JSON `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { k: string } }`
 * (offsets relative to the byte after the header, trailing spaces allowed), then the raw little-endian tensor bytes.
 * Tensors are read lazily, one at a time, from a file descriptor or a buffer.
 */

/** Dtypes this reader decodes: floats become float32, integers int32 (I64 range-checked). */
export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

const DTYPE_BYTES: Record<SafetensorsDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
/** Header JSON larger than this is refused (the reference implementation's limit). */
const MAX_HEADER = 100_000_000;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export { encodeSafetensors, saveSafetensors, type WritableTensor } from './safetensors-write';

/** One tensor's entry in a safetensors header. */
export interface SafetensorsEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Absolute byte range [begin, end) in the file or buffer. */
  begin: number;
  end: number;
}

/** Where the bytes come from: a file descriptor (read on demand) or an in-memory buffer. */
interface ByteSource {
  size: number;
  read(offset: number, length: number): Uint8Array;
  close(): void;
}

function fileSource(path: string): ByteSource {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new LlmError('IO', `cannot open safetensors file ${path}: ${(e as Error).message}`);
  }
  let open = true;
  return {
    size: fstatSync(fd).size,
    read(offset, length) {
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, out, done, length - done, offset + done);
        if (n <= 0) throw new LlmError('TRUNCATED', `${path}: unexpected end of file at byte ${offset + done}`);
        done += n;
      }
      return out;
    },
    close() {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

function bufferSource(buf: Uint8Array): ByteSource {
  return { size: buf.byteLength, read: (o, l) => buf.subarray(o, o + l), close() {} };
}

/** A parsed safetensors file whose tensors are decoded one at a time on request. */
export class SafetensorsFile {
  /** Tensor entries by name, in header order. */
  readonly entries: Map<string, SafetensorsEntry>;
  /** The `__metadata__` string map (empty when absent). */
  readonly metadata: Record<string, string>;
  private constructor(private readonly src: ByteSource, readonly label: string) {
    const parsed = parseHeader(src, label);
    this.entries = parsed.entries;
    this.metadata = parsed.metadata;
  }

  /** Open a file and parse its header; tensor bytes stay on disk until read. Call `close()` when done. */
  static open(path: string): SafetensorsFile {
    const src = fileSource(path);
    try {
      return new SafetensorsFile(src, path);
    } catch (e) {
      src.close();
      throw e;
    }
  }

  /** Parse an in-memory safetensors buffer (not copied). */
  static fromBuffer(buf: Uint8Array, label = 'buffer'): SafetensorsFile {
    return new SafetensorsFile(bufferSource(buf), label);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }
  has(name: string): boolean {
    return this.entries.has(name);
  }
  /** The entry of `name`; throws MISSING_TENSOR naming the file when absent. */
  info(name: string): SafetensorsEntry {
    const e = this.entries.get(name);
    if (!e) throw new LlmError('MISSING_TENSOR', `tensor "${name}" is not in ${this.label}`);
    return e;
  }

  /** Decode one tensor to a typed array: float dtypes → Float32Array, integer dtypes → Int32Array. */
  readTyped(name: string): { data: Float32Array | Int32Array; shape: number[]; dtype: SafetensorsDtype } {
    const e = this.info(name);
    const bytes = this.src.read(e.begin, e.end - e.begin);
    return { data: decode(bytes, e, this.label), shape: e.shape, dtype: e.dtype };
  }

  /** Decode one tensor into a new tf.Tensor (float32 or int32). */
  tensor(name: string): tf.Tensor {
    const { data, shape } = this.readTyped(name);
    return tf.tensor(data, shape, data instanceof Float32Array ? 'float32' : 'int32');
  }

  /** Release the file descriptor (no-op for buffers). */
  close(): void {
    this.src.close();
  }
}

function parseHeader(src: ByteSource, label: string) {
  if (src.size < 8) throw new LlmError('TRUNCATED', `${label}: ${src.size} bytes, too short for a safetensors header length`);
  const lenBytes = src.read(0, 8);
  const n = Number(new DataView(lenBytes.buffer, lenBytes.byteOffset, 8).getBigUint64(0, true));
  if (n > MAX_HEADER) throw new LlmError('BAD_FORMAT', `${label}: header length ${n} exceeds ${MAX_HEADER} bytes (not a safetensors file?)`);
  if (8 + n > src.size) throw new LlmError('TRUNCATED', `${label}: header of ${n} bytes runs past the end of the ${src.size}-byte file`);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(src.read(8, n));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new LlmError('BAD_FORMAT', `${label}: header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new LlmError('BAD_FORMAT', `${label}: header is not a JSON object`);
  const dataStart = 8 + n;
  const entries = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, v] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof v !== 'object' || v === null) throw new LlmError('BAD_FORMAT', `${label}: __metadata__ is not an object`);
      metadata = Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, String(x)]));
      continue;
    }
    const o = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof o !== 'object' || o === null || typeof o.dtype !== 'string' || !Array.isArray(o.shape) || !Array.isArray(o.data_offsets)) {
      throw new LlmError('BAD_FORMAT', `${label}: entry "${name}" lacks dtype, shape or data_offsets`);
    }
    if (!(o.dtype in DTYPE_BYTES)) {
      throw new LlmError('UNSUPPORTED_DTYPE', `${label}: tensor "${name}" has dtype ${o.dtype}; supported: ${Object.keys(DTYPE_BYTES).join(', ')}`);
    }
    const dtype = o.dtype as SafetensorsDtype;
    const shape = o.shape as number[];
    const [b, e] = o.data_offsets as number[];
    if (!shape.every((s) => Number.isInteger(s) && s >= 0) || !Number.isInteger(b) || !Number.isInteger(e) || o.data_offsets.length !== 2) {
      throw new LlmError('BAD_FORMAT', `${label}: tensor "${name}" has a bad shape [${shape}] or data_offsets [${o.data_offsets}]`);
    }
    const numel = shape.reduce((a, s) => a * s, 1);
    if (b < 0 || e < b || e - b !== numel * DTYPE_BYTES[dtype]) {
      throw new LlmError('BAD_FORMAT',
        `${label}: tensor "${name}" data_offsets [${b}, ${e}] hold ${e - b} bytes but ${dtype} [${shape}] needs ${numel * DTYPE_BYTES[dtype]}`);
    }
    if (dataStart + e > src.size) {
      throw new LlmError('TRUNCATED', `${label}: tensor "${name}" ends at byte ${dataStart + e} but the file has ${src.size} bytes`);
    }
    entries.set(name, { name, dtype, shape, begin: dataStart + b, end: dataStart + e });
  }
  const sorted = [...entries.values()].filter((x) => x.end > x.begin).sort((x, y) => x.begin - y.begin);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].begin < sorted[i - 1].end) {
      throw new LlmError('BAD_FORMAT', `${label}: tensors "${sorted[i - 1].name}" and "${sorted[i].name}" overlap`);
    }
  }
  return { entries, metadata };
}

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** The bytes as an ArrayBuffer of their own: the fresh buffer a file read made, else a copy (never aliases a caller's buffer). */
function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.byteLength) return bytes.buffer as ArrayBuffer;
  return bytes.slice().buffer;
}

function decode(bytes: Uint8Array, e: SafetensorsEntry, label: string): Float32Array | Int32Array {
  const numel = e.shape.reduce((a, s) => a * s, 1);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (e.dtype) {
    case 'F32': {
      if (LITTLE_ENDIAN) return new Float32Array(ownBuffer(bytes), 0, numel);
      const out = new Float32Array(numel);
      for (let i = 0; i < numel; i++) out[i] = dv.getFloat32(4 * i, true);
      return out;
    }
    case 'F64': {
      const out = new Float32Array(numel);
      for (let i = 0; i < numel; i++) out[i] = dv.getFloat64(8 * i, true);
      return out;
    }
    case 'F16': {
      const out = new Float32Array(numel);
      for (let i = 0; i < numel; i++) out[i] = f16ToF32(dv.getUint16(2 * i, true));
      return out;
    }
    case 'BF16': {
      const u = new Uint32Array(numel);
      for (let i = 0; i < numel; i++) u[i] = dv.getUint16(2 * i, true) << 16;
      return new Float32Array(u.buffer);
    }
    case 'I32': {
      if (LITTLE_ENDIAN) return new Int32Array(ownBuffer(bytes), 0, numel);
      const out = new Int32Array(numel);
      for (let i = 0; i < numel; i++) out[i] = dv.getInt32(4 * i, true);
      return out;
    }
    case 'I64': {
      const out = new Int32Array(numel);
      for (let i = 0; i < numel; i++) {
        const v = dv.getBigInt64(8 * i, true);
        if (v > 2147483647n || v < -2147483648n) {
          throw new LlmError('UNSUPPORTED_DTYPE', `${label}: tensor "${e.name}" element ${i} = ${v} does not fit in int32`);
        }
        out[i] = Number(v);
      }
      return out;
    }
    case 'I16': {
      const out = new Int32Array(numel);
      for (let i = 0; i < numel; i++) out[i] = dv.getInt16(2 * i, true);
      return out;
    }
    case 'I8':
      return Int32Array.from(new Int8Array(bytes.buffer, bytes.byteOffset, numel));
    case 'U8':
    case 'BOOL':
      return Int32Array.from(bytes.subarray(0, numel));
  }
}

/** Read every tensor of a safetensors file (or a sharded index) into tf.Tensors. */
export function loadSafetensors(path: string): Record<string, tf.Tensor> {
  const set = SafetensorsSet.open(path);
  try {
    const out: Record<string, tf.Tensor> = {};
    for (const n of set.names()) out[n] = set.tensor(n);
    return out;
  } finally {
    set.close();
  }
}

/**
 * One model's tensors across one file or the shards named by a `*.safetensors.index.json` (`{ weight_map: { name: file } }`).
 * Shards open lazily, so only the header of each touched shard is read until a tensor is requested.
 */
export class SafetensorsSet {
  private readonly shards = new Map<string, SafetensorsFile>();
  private constructor(private readonly map: Map<string, string>, private readonly label: string) {}

  /**
   * Open `model.safetensors`, a `*.index.json`, or a directory holding either (the index wins when both exist).
   */
  static open(path: string): SafetensorsSet {
    let p = path;
    if (!p.endsWith('.json') && !p.endsWith('.safetensors')) {
      const idx = join(p, 'model.safetensors.index.json');
      const single = join(p, 'model.safetensors');
      if (existsSync(idx)) p = idx;
      else if (existsSync(single)) p = single;
      else throw new LlmError('IO', `${path} holds neither model.safetensors nor model.safetensors.index.json`);
    }
    if (p.endsWith('.json')) {
      let idx: { weight_map?: Record<string, string> };
      try {
        idx = JSON.parse(readFileSync(p, 'utf8'));
      } catch (e) {
        throw new LlmError('BAD_FORMAT', `cannot read the safetensors index ${p}: ${(e as Error).message}`);
      }
      if (!idx.weight_map || typeof idx.weight_map !== 'object') throw new LlmError('BAD_FORMAT', `${p} has no "weight_map" object`);
      const dir = dirname(p);
      return new SafetensorsSet(new Map(Object.entries(idx.weight_map).map(([n, f]) => [n, join(dir, String(f))])), p);
    }
    const set = new SafetensorsSet(new Map(), p);
    const f = set.shard(p);
    for (const n of f.names()) set.map.set(n, p);
    return set;
  }

  private shard(file: string): SafetensorsFile {
    let f = this.shards.get(file);
    if (!f) {
      f = SafetensorsFile.open(file);
      this.shards.set(file, f);
    }
    return f;
  }

  names(): string[] {
    return [...this.map.keys()];
  }
  has(name: string): boolean {
    return this.map.has(name);
  }
  /** The header entry of `name` (opens its shard). */
  info(name: string): SafetensorsEntry {
    const file = this.map.get(name);
    if (!file) throw new LlmError('MISSING_TENSOR', `tensor "${name}" is not in ${this.label}`);
    return this.shard(file).info(name);
  }
  /** Total bytes of all tensors as stored (sums header ranges; opens every shard's header). */
  storedBytes(): number {
    let s = 0;
    for (const n of this.map.keys()) {
      const e = this.info(n);
      s += e.end - e.begin;
    }
    return s;
  }
  readTyped(name: string) {
    this.info(name);
    return this.shard(this.map.get(name)!).readTyped(name);
  }
  tensor(name: string): tf.Tensor {
    this.info(name);
    return this.shard(this.map.get(name)!).tensor(name);
  }
  close(): void {
    for (const f of this.shards.values()) f.close();
    this.shards.clear();
  }
}
