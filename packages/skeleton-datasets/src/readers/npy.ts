import { DatasetError } from '../errors';

/** Typed arrays a `.npy` file can hold here. int64 / uint64 are read into Float64Array (exact up to 2^53). */
export type NpyData = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;

/** A C-order n-dimensional array read from or written to `.npy`. */
export interface NpyArray {
  /** NumPy dtype string as found (e.g. `<f4`); writers derive it from the typed array. */
  dtype: string;
  shape: number[];
  data: NpyData;
}

interface DtypeInfo {
  size: number;
  make: (n: number) => NpyData;
  get: (dv: DataView, off: number, le: boolean) => number;
}

const DTYPES: Record<string, DtypeInfo> = {
  f4: { size: 4, make: (n) => new Float32Array(n), get: (dv, o, le) => dv.getFloat32(o, le) },
  f8: { size: 8, make: (n) => new Float64Array(n), get: (dv, o, le) => dv.getFloat64(o, le) },
  i1: { size: 1, make: (n) => new Int8Array(n), get: (dv, o) => dv.getInt8(o) },
  u1: { size: 1, make: (n) => new Uint8Array(n), get: (dv, o) => dv.getUint8(o) },
  b1: { size: 1, make: (n) => new Uint8Array(n), get: (dv, o) => dv.getUint8(o) },
  i2: { size: 2, make: (n) => new Int16Array(n), get: (dv, o, le) => dv.getInt16(o, le) },
  u2: { size: 2, make: (n) => new Uint16Array(n), get: (dv, o, le) => dv.getUint16(o, le) },
  i4: { size: 4, make: (n) => new Int32Array(n), get: (dv, o, le) => dv.getInt32(o, le) },
  u4: { size: 4, make: (n) => new Uint32Array(n), get: (dv, o, le) => dv.getUint32(o, le) },
  i8: { size: 8, make: (n) => new Float64Array(n), get: (dv, o, le) => Number(dv.getBigInt64(o, le)) },
  u8: { size: 8, make: (n) => new Float64Array(n), get: (dv, o, le) => Number(dv.getBigUint64(o, le)) },
};

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** The parsed header of a `.npy` file: where the data starts and how to decode it. */
export interface NpyHeader {
  dtype: string;
  shape: number[];
  /** Byte offset of the data from the start of the file. */
  dataOffset: number;
  /** Bytes per element. */
  itemSize: number;
  /** Element count (product of the shape). */
  count: number;
}

const hostLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Parses the header of a `.npy` file (format versions 1.0, 2.0 and 3.0) from its first bytes. Fortran-order arrays
 * (FORTRAN_ORDER), pickled object arrays (PICKLED_ARRAY) and other dtypes (UNSUPPORTED_DTYPE) are refused.
 */
export function parseNpyHeader(bytes: Uint8Array, file = 'input.npy'): NpyHeader {
  if (bytes.length < 10 || MAGIC.some((m, i) => bytes[i] !== m)) {
    throw new DatasetError(bytes.length < 10 && MAGIC.every((m, i) => i >= bytes.length || bytes[i] === m) ? 'TRUNCATED' : 'BAD_FORMAT',
      'not a .npy file (bad or missing magic)', {
        file, expected: '\\x93NUMPY', found: JSON.stringify(String.fromCharCode(...bytes.subarray(0, 6))) });
  }
  const major = bytes[6];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let hlen: number;
  let hstart: number;
  if (major === 1) { hlen = dv.getUint16(8, true); hstart = 10; } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new DatasetError('TRUNCATED', 'header length missing', { file, expected: '12 bytes', found: `${bytes.length}` });
    hlen = dv.getUint32(8, true);
    hstart = 12;
  } else {
    throw new DatasetError('BAD_FORMAT', 'unsupported .npy format version', { file, expected: '1, 2 or 3', found: String(major) });
  }
  if (hstart + hlen > bytes.length) {
    throw new DatasetError('TRUNCATED', '.npy header runs past the end of the file', {
      file, expected: `${hstart + hlen} bytes`, found: `${bytes.length} bytes` });
  }
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(hstart, hstart + hlen));
  const descr = /['"]descr['"]\s*:\s*(['"])([^'"]*)\1/.exec(header);
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header);
  const shapeM = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shapeM) {
    if (/['"]descr['"]\s*:\s*\[/.test(header)) {
      throw new DatasetError('UNSUPPORTED_DTYPE', 'structured (record) dtypes are not supported', { file, expected: 'a plain numeric dtype', found: header.trim() });
    }
    throw new DatasetError('BAD_FORMAT', 'cannot read the .npy header dictionary', { file, expected: "{'descr', 'fortran_order', 'shape'}", found: header.trim() });
  }
  const d = descr[2];
  if (/^[|<>=]?O/.test(d)) {
    throw new DatasetError('PICKLED_ARRAY', 'object arrays are pickled Python objects and cannot be read (re-save as a numeric dtype)', {
      file, expected: 'a numeric dtype such as <f4', found: d });
  }
  if (fortran[1] === 'True') {
    throw new DatasetError('FORTRAN_ORDER', 'Fortran-order arrays are not supported (save with np.ascontiguousarray)', {
      file, expected: 'fortran_order: False', found: 'fortran_order: True' });
  }
  const dm = /^([<>|=]?)([fiub])(\d+)$/.exec(d);
  const info = dm ? DTYPES[dm[2] + dm[3]] : undefined;
  if (!dm || !info) {
    throw new DatasetError('UNSUPPORTED_DTYPE', 'unsupported dtype', { file, expected: 'f4, f8, i1..i8, u1..u8 or b1', found: d });
  }
  const shape = shapeM[1].split(',').map((x) => x.trim()).filter((x) => x.length > 0).map((x) => {
    const v = Number(x.replace(/L$/, ''));
    if (!Number.isInteger(v) || v < 0) throw new DatasetError('BAD_FORMAT', 'bad shape entry', { file, expected: 'non-negative integers', found: shapeM[1] });
    return v;
  });
  return { dtype: d, shape, dataOffset: hstart + hlen, itemSize: info.size, count: shape.reduce((a, b) => a * b, 1) };
}

/** Decodes `count` elements of a header's dtype from raw data bytes into a typed array (a copy). */
export function decodeNpyData(h: Pick<NpyHeader, 'dtype' | 'itemSize'>, raw: Uint8Array, file = 'input.npy'): NpyData {
  const dm = /^([<>|=]?)([fiub])(\d+)$/.exec(h.dtype)!;
  const key = dm[2] + dm[3];
  const info = DTYPES[key];
  const n = Math.floor(raw.length / info.size);
  const le = dm[1] !== '>';
  const data = info.make(n);
  if ((le === hostLE || info.size === 1) && key !== 'i8' && key !== 'u8') {
    new Uint8Array(data.buffer).set(raw.subarray(0, n * info.size)); // copy (also fixes alignment)
    return data;
  }
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  for (let i = 0; i < n; i++) data[i] = info.get(dv, i * info.size, le);
  if (key === 'i8' || key === 'u8') {
    for (let i = 0; i < n; i++) {
      if (!Number.isSafeInteger(data[i])) {
        throw new DatasetError('UNSUPPORTED_DTYPE', '64-bit integer outside the exact float64 range', { file, expected: '|v| <= 2^53', found: String(data[i]) });
      }
    }
  }
  return data;
}

/**
 * Parses a NumPy `.npy` file (format versions 1.0, 2.0 and 3.0; little- or big-endian float32, float64, int8..int64,
 * uint8..uint64, bool; C order). Fortran-order arrays (FORTRAN_ORDER) and pickled object arrays (PICKLED_ARRAY) are
 * refused with a clear error; a short file is TRUNCATED.
 */
export function parseNpy(bytes: Uint8Array, file = 'input.npy'): NpyArray {
  const h = parseNpyHeader(bytes, file);
  const need = h.count * h.itemSize;
  const have = bytes.length - h.dataOffset;
  if (have < need) {
    throw new DatasetError('TRUNCATED', '.npy data is shorter than its shape says', {
      file, expected: `${need} data bytes for shape (${h.shape.join(', ')})`, found: `${have} bytes` });
  }
  if (have > need) {
    throw new DatasetError('BAD_FORMAT', '.npy data is longer than its shape says', { file, expected: `${need} data bytes`, found: `${have} bytes` });
  }
  return { dtype: h.dtype, shape: h.shape, data: decodeNpyData(h, bytes.subarray(h.dataOffset), file) };
}

function dtypeOf(data: NpyData): string {
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Float64Array) return '<f8';
  if (data instanceof Int8Array) return '|i1';
  if (data instanceof Uint8Array) return '|u1';
  if (data instanceof Int16Array) return '<i2';
  if (data instanceof Uint16Array) return '<u2';
  if (data instanceof Int32Array) return '<i4';
  if (data instanceof Uint32Array) return '<u4';
  throw new DatasetError('UNSUPPORTED_DTYPE', 'cannot write this array type to .npy', { expected: 'a numeric typed array', found: Object.prototype.toString.call(data) });
}

/**
 * Writes a C-order array as `.npy` (version 1.0, or 2.0 when the header needs it; header padded to a multiple of 64
 * bytes like NumPy). The dtype comes from the typed array (Float32Array → `<f4`, Int32Array → `<i4`, ...).
 */
export function writeNpy(arr: { shape: readonly number[]; data: NpyData }): Uint8Array {
  const n = arr.shape.reduce((a, b) => a * b, 1);
  if (n !== arr.data.length) {
    throw new DatasetError('SHAPE_MISMATCH', 'data length does not match the shape', {
      expected: `${n} (shape ${JSON.stringify(arr.shape)})`, found: String(arr.data.length) });
  }
  if (!hostLE) throw new DatasetError('UNSUPPORTED_DTYPE', 'writing .npy needs a little-endian host', { expected: 'little-endian', found: 'big-endian' });
  const shape = arr.shape.length === 1 ? `(${arr.shape[0]},)` : `(${arr.shape.join(', ')})`;
  let dict = `{'descr': '${dtypeOf(arr.data)}', 'fortran_order': False, 'shape': ${shape}, }`;
  let version = 1;
  let pre = 10;
  if (dict.length + 1 + pre > 65535) { version = 2; pre = 12; }
  const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  dict = dict + ' '.repeat(total - pre - dict.length - 1) + '\n';
  const body = new Uint8Array(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength);
  const out = new Uint8Array(total + body.length);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  const dv = new DataView(out.buffer);
  if (version === 1) dv.setUint16(8, dict.length, true); else dv.setUint32(8, dict.length, true);
  for (let i = 0; i < dict.length; i++) out[pre + i] = dict.charCodeAt(i);
  out.set(body, total);
  return out;
}
