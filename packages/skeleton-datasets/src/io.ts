import { closeSync, fstatSync, openSync, readSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { DatasetError } from './errors';

// Internal file helpers (not exported by the package).

const CHUNK = 1 << 28; // 256 MiB per read/write call (files may exceed the 2 GiB limit of readFileSync)

/** Writes text or bytes to `path` through a temporary file and a rename (readers never see half a file). */
export function atomicWrite(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  if (typeof data === 'string') writeFileSync(tmp, data);
  else {
    const fd = openSync(tmp, 'w');
    try {
      for (let off = 0; off < data.byteLength;) off += writeSync(fd, data, off, Math.min(CHUNK, data.byteLength - off));
    } finally {
      closeSync(fd);
    }
  }
  renameSync(tmp, path);
}

/** Reads a whole file of float32 values into a new Float32Array (in chunks, so files above 2 GiB work). */
export function readF32File(path: string): Float32Array {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size % 4 !== 0) {
      throw new DatasetError('TRUNCATED', 'float32 data file length is not a multiple of 4 bytes', { file: path, expected: 'a multiple of 4', found: String(size) });
    }
    const out = new Float32Array(size / 4);
    const bytes = new Uint8Array(out.buffer);
    for (let off = 0; off < size;) {
      const n = readSync(fd, bytes, off, Math.min(CHUNK, size - off), off);
      if (n <= 0) throw new DatasetError('TRUNCATED', 'data file ended early while reading', { file: path, expected: `${size} bytes`, found: `${off} bytes` });
      off += n;
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

/** View of a Float32Array as bytes (little-endian hosts). */
export function f32Bytes(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
