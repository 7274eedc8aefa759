import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DatasetError } from '../errors';
import { Rng } from '../rng';
import { unpackSample } from '../pack';
import { parseNpy, writeNpy } from './npy';
import { crc32, readCtrGcnNpz, readNpz, writeNpz } from './npz';
import { readCtrGcnNpzFile, readNpzFile } from './npz-file';

// Golden files written by NumPy 2.x with test-data/make-golden.py (the independent reference).
const gold = (name: string) => new Uint8Array(readFileSync(fileURLToPath(new URL(`../../test-data/${name}`, import.meta.url))));

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DatasetError);
    return (e as DatasetError).code;
  }
  return 'no error';
}

describe('.npy', () => {
  it('reads NumPy-written arrays of every supported dtype', () => {
    const f4 = parseNpy(gold('f4.npy'));
    expect(f4.shape).toEqual([2, 3, 4]);
    expect(f4.data).toBeInstanceOf(Float32Array);
    expect(Array.from(f4.data)).toEqual(Array.from({ length: 24 }, (_, i) => i * 0.5 - 3));
    const f8 = parseNpy(gold('f8.npy'));
    expect(Array.from(f8.data)).toEqual([1 / 3, -2.5e-10, 1e300, -0]);
    expect(Object.is(f8.data[3], -0)).toBe(true);
    expect(Array.from(parseNpy(gold('i8.npy')).data)).toEqual([-3, 0, 2 ** 40]);
    const i4 = parseNpy(gold('i4.npy'));
    expect([i4.shape, Array.from(i4.data)]).toEqual([[2, 2], [1, -2, 2 ** 31 - 1, -(2 ** 31)]]);
    const be = parseNpy(gold('be-f4.npy'));
    expect(be.dtype).toBe('>f4');
    expect(Array.from(be.data)).toEqual([1.5, -2.25, Math.fround(3.0e-3)]);
    expect(Array.from(parseNpy(gold('u1.npy')).data)).toEqual([0, 7, 255]);
    expect(Array.from(parseNpy(gold('bool.npy')).data)).toEqual([1, 0, 1]);
    const sc = parseNpy(gold('scalar.npy'));
    expect([sc.shape, Array.from(sc.data)]).toEqual([[], [2.5]]);
  });

  it('writes byte-identical files to NumPy for float32', () => {
    const f4 = parseNpy(gold('f4.npy'));
    expect(Buffer.from(writeNpy(f4)).equals(Buffer.from(gold('f4.npy')))).toBe(true);
    expect(Buffer.from(writeNpy(parseNpy(gold('i4.npy')))).equals(Buffer.from(gold('i4.npy')))).toBe(true);
  });

  it('round trips every writable typed array', () => {
    const arrays = [new Float32Array([1.5, -0, 3e-39]), new Float64Array([Math.PI, -1e-300]), new Int8Array([-128, 127]),
      new Uint8Array([0, 255]), new Int16Array([-32768, 5]), new Uint16Array([65535]), new Int32Array([-7, 2 ** 31 - 1]), new Uint32Array([2 ** 32 - 1])];
    for (const a of arrays) {
      const back = parseNpy(writeNpy({ shape: [a.length], data: a }));
      expect(back.data.constructor).toBe(a.constructor);
      expect(Array.from(back.data)).toEqual(Array.from(a));
    }
    const big = new Float32Array(3 * 4 * 5).map((_, i) => i / 7);
    const b = parseNpy(writeNpy({ shape: [3, 4, 5], data: big }));
    expect(b.shape).toEqual([3, 4, 5]);
    expect(Array.from(b.data)).toEqual(Array.from(big));
  });

  it('refuses Fortran order, pickled objects, truncation, bad magic and shape mismatch with clear codes', () => {
    expect(code(() => parseNpy(gold('fortran.npy'), 'fortran.npy'))).toBe('FORTRAN_ORDER');
    expect(code(() => parseNpy(gold('object.npy')))).toBe('PICKLED_ARRAY');
    const f4 = gold('f4.npy');
    expect(code(() => parseNpy(f4.subarray(0, f4.length - 1)))).toBe('TRUNCATED');
    expect(code(() => parseNpy(f4.subarray(0, 40)))).toBe('TRUNCATED');
    expect(code(() => parseNpy(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])))).toBe('BAD_FORMAT');
    expect(code(() => writeNpy({ shape: [2, 2], data: new Float32Array(3) }))).toBe('SHAPE_MISMATCH');
    try {
      parseNpy(gold('fortran.npy'), 'my/fortran.npy');
    } catch (e) {
      expect((e as Error).message).toContain('my/fortran.npy');
    }
  });
});

describe('.npz and CTR-GCN archives', () => {
  // Values of the golden archive (see make-golden.py): x[i, t, d] = (i + base + 1) * 0.01 + t * 0.1 + d * 0.001 for
  // t < length, zeros after; y one-hot at (3 i + base) mod 60.
  const expectSplit = (ds: ReturnType<typeof readCtrGcnNpz>['train'], lengths: number[], base: number) => {
    expect(Array.from(ds.lengths)).toEqual(lengths);
    expect(ds.dataset.bodies * ds.dataset.joints * ds.dataset.channels).toBe(150);
    lengths.forEach((L, i) => {
      const s = unpackSample(ds.dataset, i);
      expect(s.frames).toBe(L);
      expect(s.label).toBe((3 * i + base) % 60);
      expect(s.labelName).toBe(ds.dataset.classNames[s.label]);
      for (const [t, d] of [[0, 0], [L - 1, 149], [Math.floor(L / 2), 77]]) {
        expect(s.data[t * 150 + d]).toBe(Math.fround((i + base + 1) * 0.01 + t * 0.1 + d * 0.001));
      }
    });
  };

  for (const name of ['ctrgcn.npz', 'ctrgcn-compressed.npz']) {
    it(`reads ${name} (stored/deflated), trims zero padding, one-hot labels`, () => {
      const { train, test } = readCtrGcnNpz(gold(name), { file: name });
      expectSplit(train, [10, 7, 4], 0);
      expectSplit(test, [5, 10], 10);
      expect(train.dataset.classNames[0]).toBe('drink water');
    });
  }

  it('writeNpz round trips (stored and compressed) and keeps padding when asked', () => {
    const arrays = readNpz(gold('ctrgcn.npz'));
    for (const compress of [false, true]) {
      const again = readNpz(writeNpz(arrays, { compress }));
      expect(Object.keys(again).sort()).toEqual(['x_test', 'x_train', 'y_test', 'y_train']);
      for (const k of Object.keys(arrays)) expect(Array.from(again[k].data)).toEqual(Array.from(arrays[k].data));
    }
    const raw = readCtrGcnNpz(gold('ctrgcn.npz'), { trimPadding: false });
    expect(Array.from(raw.train.lengths)).toEqual([10, 10, 10]);
  });

  it('skips all-zero samples (reported by index), accepts integer labels and float64 x', () => {
    const x = new Float64Array(3 * 4 * 150);
    x.fill(0.25, 0, 2 * 150); // sample 0: 2 real frames
    x.fill(-1, 2 * 4 * 150, 2 * 4 * 150 + 4 * 150); // sample 2: 4 real frames; sample 1 all zero
    const y = new Int32Array([5, 6, 7]);
    const npz = writeNpz({ x_train: { shape: [3, 4, 150], data: x }, y_train: { shape: [3], data: y }, x_test: { shape: [0, 4, 150], data: new Float64Array(0) }, y_test: { shape: [0], data: new Int32Array(0) } });
    const { train, test } = readCtrGcnNpz(npz);
    expect(train.skipped).toEqual([{ index: 1, reason: 'every frame is zero' }]);
    expect([train.dataset.ids, Array.from(train.dataset.labels), Array.from(train.lengths)]).toEqual([['train-0', 'train-2'], [5, 7], [2, 4]]);
    expect(unpackSample(train.dataset, 1).data.every((v) => v === -1)).toBe(true);
    expect(test.dataset.labels.length).toBe(0);
  });

  it('errors: missing split, wrong feature width, not a zip', () => {
    const arrays = readNpz(gold('ctrgcn.npz'));
    delete (arrays as Record<string, unknown>).y_test;
    expect(code(() => readCtrGcnNpz(writeNpz(arrays)))).toBe('NOT_FOUND');
    expect(code(() => readCtrGcnNpz(gold('ctrgcn.npz'), { joints: 17 }))).toBe('SHAPE_MISMATCH');
    expect(code(() => readNpz(gold('f4.npy'), 'f4.npy'))).toBe('BAD_FORMAT');
  });
});

describe('fuzz: corrupted and truncated .npy / .npz', () => {
  it('crc32 matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('300 seeded cases: DatasetError or a correct parse; truncation and corrupted zip members always fail', () => {
    const files = { npy: gold('f4.npy'), stored: gold('ctrgcn.npz'), deflated: gold('ctrgcn-compressed.npz') };
    const clean = { stored: readNpz(files.stored), deflated: readNpz(files.deflated) };
    let errors = 0;
    for (let seed = 0; seed < 300; seed++) {
      const rng = new Rng(5000 + seed);
      const kind = (['npy', 'stored', 'deflated'] as const)[seed % 3];
      const src = files[kind];
      const truncate = seed % 2 === 0;
      let bytes: Uint8Array;
      let at = rng.int(src.length);
      if (truncate) bytes = src.slice(0, at);
      else {
        bytes = src.slice();
        if (kind !== 'npy' && rng.next() < 0.7) at = 40 + rng.int(Math.min(src.length - 40, 18000)); // mostly member data
        bytes[at] = (bytes[at] + 1 + rng.int(255)) & 255;
      }
      let out: unknown;
      try {
        out = kind === 'npy' ? parseNpy(bytes, 'fuzz.npy') : readNpz(bytes, 'fuzz.npz');
      } catch (e) {
        if (!(e instanceof DatasetError)) throw new Error(`seed ${seed}: non-DatasetError ${String(e)}`);
        errors++;
        continue;
      }
      expect(truncate, `seed ${seed}: truncated ${kind} file parsed`).toBe(false);
      if (kind === 'npy') {
        expect((out as { data: unknown }).data).toBeDefined();
      } else {
        // a successful read of a corrupted archive must give the original arrays (corruption outside the data)
        const ref = clean[kind];
        const got = out as typeof ref;
        for (const k of Object.keys(got)) {
          if (!ref[k]) continue; // a corrupted member name renames an array; its bytes were still CRC-checked
          expect(Array.from(got[k].data), `seed ${seed}: ${k} differs`).toEqual(Array.from(ref[k].data));
        }
      }
    }
    expect(errors).toBeGreaterThan(200);
  });
});

describe('CTR-GCN archives read from disk (streaming)', () => {
  const path = (n: string) => fileURLToPath(new URL(`../../test-data/${n}`, import.meta.url));

  for (const name of ['ctrgcn.npz', 'ctrgcn-compressed.npz']) {
    it(`${name}: same result as the in-memory reader`, () => {
      const mem = readCtrGcnNpz(gold(name));
      const disk = readCtrGcnNpzFile(path(name));
      for (const split of ['train', 'test'] as const) {
        const a = mem[split];
        const b = disk[split];
        expect(b.dataset.ids).toEqual(a.dataset.ids);
        expect(Array.from(b.dataset.labels)).toEqual(Array.from(a.dataset.labels));
        expect(Array.from(b.lengths)).toEqual(Array.from(a.lengths));
        expect(Array.from(b.dataset.offsets)).toEqual(Array.from(a.dataset.offsets));
        expect(Buffer.from(b.dataset.data.buffer, b.dataset.data.byteOffset, b.dataset.data.byteLength)
          .equals(Buffer.from(a.dataset.data.buffer, a.dataset.data.byteOffset, a.dataset.data.byteLength))).toBe(true);
        expect(b.dataset.classNames).toEqual(a.dataset.classNames);
      }
      const only = readNpzFile(path(name), ['y_test']);
      expect(Object.keys(only)).toEqual(['y_test']);
      expect(Array.from(only.y_test.data)).toEqual(Array.from(readNpz(gold(name)).y_test.data));
    });
  }

  it('a corrupted byte inside a streamed member is a CRC error; a missing split is NOT_FOUND', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmar-npz-'));
    try {
      const bytes = gold('ctrgcn.npz').slice();
      bytes[400] ^= 0x10; // inside x_train's data (the first member)
      writeFileSync(join(dir, 'bad.npz'), bytes);
      expect(code(() => readCtrGcnNpzFile(join(dir, 'bad.npz')))).toBe('BAD_FORMAT');
      expect(() => readCtrGcnNpzFile(join(dir, 'bad.npz'))).toThrow(/CRC/);
      expect(code(() => readCtrGcnNpzFile(path('ctrgcn.npz'), { splits: ['val'] }))).toBe('NOT_FOUND');
      writeFileSync(join(dir, 'short.npz'), gold('ctrgcn.npz').subarray(0, 1000));
      expect(code(() => readCtrGcnNpzFile(join(dir, 'short.npz')))).toBe('BAD_FORMAT');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
