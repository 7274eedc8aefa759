import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCheckpoint, readCheckpoint } from './checkpoint';

describe('checkpoint', () => {
  it('round-trips meta and float32 tensors bit for bit, leaving no temporary file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmar-ck-'));
    const f = join(dir, 'a.ckpt');
    const a = Float32Array.from({ length: 7 }, (_, i) => Math.fround(Math.sin(i) * 1e-3 + i));
    const b = Float32Array.from([NaN, -0, 1e-45, 3.4e38]);
    writeCheckpoint(f, { meta: { step: 3, text: 'x'.repeat(5) }, tensors: new Map([['a', { shape: [7], data: a }], ['b.c', { shape: [2, 2], data: b }]]) });
    const r = readCheckpoint<{ step: number }>(f);
    expect(r.meta.step).toBe(3);
    expect(r.tensors.get('a')!.shape).toEqual([7]);
    expect(Array.from(r.tensors.get('a')!.data)).toEqual(Array.from(a));
    expect(new Uint8Array(r.tensors.get('b.c')!.data.buffer)).toEqual(new Uint8Array(b.buffer));
    expect(readdirSync(dir)).toEqual(['a.ckpt']);
    // overwriting replaces atomically
    writeCheckpoint(f, { meta: { step: 4 }, tensors: new Map() });
    expect(readCheckpoint<{ step: number }>(f).meta.step).toBe(4);
  });

  it('reports truncated and foreign files by name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmar-ck-'));
    const f = join(dir, 'b.ckpt');
    writeCheckpoint(f, { meta: {}, tensors: new Map([['w', { shape: [100], data: new Float32Array(100) }]]) });
    const bytes = readFileSync(f);
    writeFileSync(f, bytes.subarray(0, bytes.length - 10));
    expect(() => readCheckpoint(f)).toThrow(/truncated in tensor w/);
    writeFileSync(f, 'hello world, not a checkpoint');
    expect(() => readCheckpoint(f)).toThrow(/not an llmar checkpoint/);
    expect(() => readCheckpoint(join(dir, 'missing.ckpt'))).toThrow(/cannot read checkpoint/);
  });
});
