import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@llmar/tensor';
import { encodeSafetensors, loadSafetensors, SafetensorsFile, SafetensorsSet, saveSafetensors } from './safetensors';

/** Build a safetensors file by hand (independent of the writer): header JSON, optional padding, raw byte blobs. */
function handMade(entries: { name: string; dtype: string; shape: number[]; bytes: number[] }[], opts: { pad?: string; metadata?: object } = {}) {
  const header: Record<string, unknown> = {};
  if (opts.metadata) header.__metadata__ = opts.metadata;
  let off = 0;
  for (const e of entries) {
    header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [off, off + e.bytes.length] };
    off += e.bytes.length;
  }
  const h = Buffer.from(JSON.stringify(header) + (opts.pad ?? ''), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  return new Uint8Array(Buffer.concat([len, h, Buffer.from(entries.flatMap((e) => e.bytes))]));
}
const u16 = (...v: number[]) => v.flatMap((x) => [x & 0xff, x >> 8]);
const f32 = (...v: number[]) => [...Buffer.from(new Float32Array(v).buffer)];
const i64 = (...v: bigint[]) => v.flatMap((x) => { const b = Buffer.alloc(8); b.writeBigInt64LE(x); return [...b]; });

let dir: string;
beforeAll(async () => {
  await initBackend();
  dir = mkdtempSync(join(tmpdir(), 'llmar-st-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('safetensors reader', () => {
  it('decodes F16, BF16, F32, I64 and I32 exactly (bit patterns with known values)', () => {
    const buf = handMade([
      // f16: 1, -2, 65504 (max), 2^-24 (smallest subnormal), +inf, 0.333251953125 (0x3555)
      { name: 'h', dtype: 'F16', shape: [2, 3], bytes: u16(0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x3555) },
      // bf16: 1, 3.140625 (0x4049), -0.5 (0xbf00)
      { name: 'b', dtype: 'BF16', shape: [3], bytes: u16(0x3f80, 0x4049, 0xbf00) },
      { name: 'f', dtype: 'F32', shape: [1, 2], bytes: f32(1.5, -7.25) },
      { name: 'l', dtype: 'I64', shape: [3], bytes: i64(-5n, 2147483647n, 0n) },
      { name: 'i', dtype: 'I32', shape: [], bytes: [...Buffer.from(new Int32Array([-9]).buffer)] },
    ], { metadata: { format: 'pt' }, pad: '   ' });
    const f = SafetensorsFile.fromBuffer(buf);
    expect(f.metadata).toEqual({ format: 'pt' });
    expect(f.names()).toEqual(['h', 'b', 'f', 'l', 'i']);
    const h = f.readTyped('h');
    expect(h.shape).toEqual([2, 3]);
    expect(Array.from(h.data)).toEqual([1, -2, 65504, 2 ** -24, Infinity, 0.333251953125]);
    expect(Array.from(f.readTyped('b').data)).toEqual([1, 3.140625, -0.5]);
    expect(Array.from(f.readTyped('f').data)).toEqual([1.5, -7.25]);
    const l = f.readTyped('l');
    expect(l.data).toBeInstanceOf(Int32Array);
    expect(Array.from(l.data)).toEqual([-5, 2147483647, 0]);
    const t = f.tensor('i');
    expect(t.dtype).toBe('int32');
    expect(t.shape).toEqual([]);
    expect(t.dataSync()[0]).toBe(-9);
    t.dispose();
  });

  it('refuses bad files with clear errors', () => {
    const ok = { name: 'x', dtype: 'F32', shape: [2], bytes: f32(1, 2) };
    expect(() => SafetensorsFile.fromBuffer(new Uint8Array(4), 'tiny.st')).toThrow(/TRUNCATED.*tiny\.st/);
    expect(() => SafetensorsFile.fromBuffer(handMade([ok]).subarray(0, 30))).toThrow(/TRUNCATED/);
    expect(() => SafetensorsFile.fromBuffer(handMade([{ ...ok, dtype: 'C64' }]))).toThrow(/UNSUPPORTED_DTYPE.*"x".*C64/);
    expect(() => SafetensorsFile.fromBuffer(handMade([{ ...ok, shape: [3] }]))).toThrow(/"x".*8 bytes.*needs 12/);
    // overlap: two tensors claim the same bytes (header written by hand with explicit offsets)
    const hdr = Buffer.from(JSON.stringify({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, y: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(hdr.length));
    expect(() => SafetensorsFile.fromBuffer(new Uint8Array(Buffer.concat([len, hdr, Buffer.from(f32(1, 2))])))).toThrow(/BAD_FORMAT.*"x" and "y" overlap/);
    const big = handMade([{ name: 'l', dtype: 'I64', shape: [1], bytes: i64(1n << 40n) }]);
    expect(() => SafetensorsFile.fromBuffer(big).readTyped('l')).toThrow(/"l".*does not fit in int32/);
    expect(() => SafetensorsFile.fromBuffer(handMade([ok])).tensor('nope')).toThrow(/MISSING_TENSOR.*"nope"/);
    const notJson = new Uint8Array(16);
    notJson[0] = 8;
    expect(() => SafetensorsFile.fromBuffer(notJson)).toThrow(/BAD_FORMAT.*JSON/);
  });
});

describe('safetensors writer', () => {
  it('pads the header with spaces to 8 bytes and round-trips float32 and int32 bit-exactly', () => {
    const a = tf.randomNormal([3, 5], 0, 1, 'float32', 1);
    const b = tf.tensor1d([1, -2, 3], 'int32');
    const buf = encodeSafetensors({ a, b, c: { data: new Float32Array([NaN, -0, 1e-40]), shape: [3] } }, { who: 'test' });
    const n = Number(Buffer.from(buf).readBigUInt64LE(0));
    expect((8 + n) % 8).toBe(0);
    const headerText = Buffer.from(buf.subarray(8, 8 + n)).toString('utf8');
    expect(JSON.parse(headerText).a).toEqual({ dtype: 'F32', shape: [3, 5], data_offsets: [0, 60] });
    expect(headerText.trimEnd().length).toBeGreaterThan(0);
    expect(headerText.slice(headerText.trimEnd().length)).toMatch(/^ *$/);
    const f = SafetensorsFile.fromBuffer(buf);
    expect(f.metadata.who).toBe('test');
    expect(Array.from(f.readTyped('a').data)).toEqual(Array.from(a.dataSync()));
    expect(f.info('b').dtype).toBe('I32');
    expect(Array.from(f.readTyped('b').data)).toEqual([1, -2, 3]);
    const c = f.readTyped('c').data;
    expect(Number.isNaN(c[0])).toBe(true);
    expect(Object.is(c[1], -0)).toBe(true);
    expect(c[2]).toBe(new Float32Array([1e-40])[0]);
    tf.dispose([a, b]);
  });

  it('streams to a file, reads lazily from a file handle, and reads sharded indexes', () => {
    const t1 = tf.tensor2d([[1, 2], [3, 4]]);
    const t2 = tf.tensor1d([5, 6, 7]);
    const p1 = join(dir, 'part-1.safetensors');
    const p2 = join(dir, 'part-2.safetensors');
    saveSafetensors(p1, { 'w.one': t1 });
    saveSafetensors(p2, [['w.two', { shape: [3] }, () => t2]]);
    expect(Buffer.compare(readFileSync(p1), Buffer.from(encodeSafetensors({ 'w.one': t1 })))).toBe(0);
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: { 'w.one': 'part-1.safetensors', 'w.two': 'part-2.safetensors' } }));
    const set = SafetensorsSet.open(dir);
    expect(set.names().sort()).toEqual(['w.one', 'w.two']);
    expect(set.storedBytes()).toBe(28);
    expect(Array.from(set.readTyped('w.two').data)).toEqual([5, 6, 7]);
    set.close();
    const all = loadSafetensors(join(dir, 'model.safetensors.index.json'));
    expect(all['w.one'].arraySync()).toEqual([[1, 2], [3, 4]]);
    tf.dispose(Object.values(all));
    expect(() => saveSafetensors(join(dir, 'bad.safetensors'), [['x', { shape: [4] }, () => t2]])).toThrow(/"x".*3 float32/);
    expect(() => SafetensorsSet.open(join(dir, 'nowhere'))).toThrow(/IO.*neither/);
    tf.dispose([t1, t2]);
  });
});
