import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { batches, resampleNearest } from './batch';
import { DatasetError } from './errors';
import { readGeneric, writeGeneric } from './generic';
import { asNdarray, pack, unpackSample } from './pack';
import { randomSample, sameBits } from './test-helpers';
import type { SkeletonSample } from './types';

const tmp = mkdtempSync(join(tmpdir(), 'llmar-ds-batch-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function samples(n: number): SkeletonSample[] {
  return Array.from({ length: n }, (_, i) => ({
    ...randomSample(100 + i, { frames: 3 + (i % 5) * 4, bodies: 1 + (i % 2), joints: 4 }),
    id: `s${i}`, label: i % 3, labelName: ['a', 'b', 'c'][i % 3], subject: i, camera: 1 + (i % 3), setup: 7, replication: 1,
  }));
}

describe('pack / unpack / ndarray', () => {
  it('packs with body padding and unpacks exactly', () => {
    const ss = samples(6);
    const ds = pack(ss);
    expect([ds.bodies, ds.joints, ds.channels, ds.classNames]).toEqual([2, 4, 3, ['a', 'b', 'c']]);
    ss.forEach((s, i) => {
      const u = unpackSample(ds, i);
      expect([u.id, u.label, u.labelName, u.subject, u.camera, u.frames]).toEqual([s.id, s.label, s.labelName, s.subject, s.camera, s.frames]);
      for (let f = 0; f < s.frames; f++) {
        for (let b = 0; b < 2; b++) {
          const got = u.data.subarray((f * 2 + b) * 12, (f * 2 + b + 1) * 12);
          if (b < s.bodies) expect(sameBits(got, s.data.subarray((f * s.bodies + b) * 12, (f * s.bodies + b + 1) * 12))).toBe(true);
          else expect(got.every((v) => v === 0)).toBe(true);
        }
      }
    });
    expect(ds.offsets[6]).toBe(ds.data.length);
    expect(() => pack([ss[0], { ...ss[1], joints: 5, data: new Float32Array(ss[1].frames * ss[1].bodies * 15) }])).toThrow(DatasetError);
  });

  it('asNdarray is a [frames, bodies, joints, channels] view', () => {
    const s = randomSample(3, { frames: 5, bodies: 2, joints: 4 });
    const nd = asNdarray(s);
    expect(nd.shape).toEqual([5, 2, 4, 3]);
    expect(nd.get(3, 1, 2, 0)).toBe(s.data[((3 * 2 + 1) * 4 + 2) * 3]);
    nd.set(0, 0, 0, 0, 42);
    expect(s.data[0]).toBe(42);
  });
});

describe('generic format', () => {
  it('round trips exactly, any joint count and bodies, labels with names and ids', () => {
    const ds = pack(samples(7));
    const dir = join(tmp, 'generic');
    writeGeneric(dir, ds, { source: 'test' });
    const back = readGeneric(dir);
    expect(back.meta.source).toBe('test');
    for (const k of ['bodies', 'joints', 'channels', 'classNames', 'ids'] as const) expect(back[k]).toEqual(ds[k]);
    for (const k of ['labels', 'subjects', 'cameras', 'setups', 'replications', 'frames', 'offsets'] as const) expect(Array.from(back[k])).toEqual(Array.from(ds[k]));
    expect(sameBits(back.data, ds.data)).toBe(true);
    const lines = readFileSync(join(dir, 'index.jsonl'), 'utf8').trim().split('\n');
    expect(JSON.parse(lines[1])).toEqual({ id: 's1', label: 1, labelName: 'b', subject: 1, camera: 2, setup: 7, replication: 1, frames: 7, offset: ds.offsets[1] });
  });

  it('names the file and line of a bad index entry; detects short data', () => {
    const ds = pack(samples(3));
    const dir = join(tmp, 'generic-bad');
    writeGeneric(dir, ds);
    const idx = join(dir, 'index.jsonl');
    const good = readFileSync(idx, 'utf8');
    writeFileSync(idx, good.replace('"frames":7', '"frames":"7"'));
    try {
      readGeneric(dir);
      throw new Error('no error');
    } catch (e) {
      expect((e as DatasetError).code).toBe('BAD_FORMAT');
      expect([(e as DatasetError).file, (e as DatasetError).line]).toEqual([idx, 2]);
    }
    writeFileSync(idx, good.replace('"frames":7', '"frames":700'));
    expect(() => readGeneric(dir)).toThrow(/TRUNCATED/);
  });
});

describe('batches', () => {
  const ds = pack(samples(10));
  const D = 2 * 4 * 3;

  it('shapes [B, V, D], nearest-frame resampling from the packed arrays, labels and indices', () => {
    const all = [...batches(ds, { batchSize: 4, frames: 6, seed: 3 })];
    expect(all.map((b) => b.size)).toEqual([4, 4, 2]);
    const seen = all.flatMap((b) => Array.from(b.indices)).sort((a, b) => a - b);
    expect(seen).toEqual([...Array(10).keys()]);
    for (const b of all) {
      expect(b.x.length).toBe(b.size * 6 * D);
      for (let r = 0; r < b.size; r++) {
        const i = b.indices[r];
        expect(b.labels[r]).toBe(ds.labels[i]);
        const T = ds.frames[i];
        for (let v = 0; v < 6; v++) {
          const t = Math.min(T - 1, Math.floor(((v + 0.5) * T) / 6)); // reference formula
          const src = ds.data.subarray(ds.offsets[i] + t * D, ds.offsets[i] + (t + 1) * D);
          expect(sameBits(b.x.subarray((r * 6 + v) * D, (r * 6 + v + 1) * D), src)).toBe(true);
        }
      }
    }
    expect([...batches(ds, { batchSize: 4, frames: 6, dropLast: true })].map((b) => b.size)).toEqual([4, 4]);
    const sub = [...batches(ds, { batchSize: 2, frames: 3, seed: 9, indices: Int32Array.from([1, 3, 5]) })];
    expect(sub.map((b) => b.size)).toEqual([2, 1]);
    expect(sub.flatMap((b) => Array.from(b.indices)).sort()).toEqual([1, 3, 5]);
    expect(() => [...batches(ds, { batchSize: 2, frames: 3, indices: [10] })]).toThrow(/BAD_OPTION/);
  });

  it('is deterministic by seed and shuffles differently for another seed', () => {
    const order = (seed: number) => [...batches(ds, { batchSize: 3, frames: 2, seed })].flatMap((b) => Array.from(b.indices));
    expect(order(5)).toEqual(order(5));
    expect(order(5)).not.toEqual(order(6));
    expect([...batches(ds, { batchSize: 10, frames: 2, shuffle: false })][0].indices).toEqual(Int32Array.from([...Array(10).keys()]));
  });

  it('applies a transform with the seeded rng, then resamples', () => {
    const jitter = (s: SkeletonSample, rng: { next(): number }) => ({ ...s, data: s.data.map((v) => v + rng.next()) });
    const a = [...batches(ds, { batchSize: 5, frames: 4, seed: 1, transform: jitter })];
    const b = [...batches(ds, { batchSize: 5, frames: 4, seed: 1, transform: jitter })];
    expect(sameBits(a[0].x, b[0].x)).toBe(true);
    const plain = [...batches(ds, { batchSize: 5, frames: 4, seed: 1 })];
    expect(sameBits(a[0].x, plain[0].x)).toBe(false);
    expect(Array.from(a[0].indices)).toEqual(Array.from(plain[0].indices));
    expect(() => [...batches(ds, { batchSize: 0, frames: 4 })]).toThrow(/BAD_OPTION/);
  });

  it('resampleNearest upsamples by repetition and downsamples uniformly', () => {
    const src = Float32Array.from([0, 1, 2, 3]); // T = 4, D = 1
    const up = new Float32Array(8);
    resampleNearest(src, 4, 1, 8, up);
    expect(Array.from(up)).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
    const down = new Float32Array(2);
    resampleNearest(src, 4, 1, 2, down);
    expect(Array.from(down)).toEqual([1, 3]);
  });
});
