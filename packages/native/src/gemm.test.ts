import { describe, it, expect, afterAll } from 'vitest';
import { loadAddon } from './addon';
import { refGemm, relErr, rng } from './test-utils';

const { addon, reason } = loadAddon();
if (!addon) console.warn(`@llmar/native tests skipped: ${reason}`);

/** Tolerance: norm-wise relative error of float32 GEMM against float64 (K <= ~600 here). */
const TOL = 1e-5;

describe.skipIf(!addon)('native SGEMM against float64', () => {
  const simds = addon ? (['avx512', 'avx2', 'portable'] as const).filter((s) => addon.setSimd(s)) : [];
  const initial = addon?.info();
  afterAll(() => {
    if (!addon || !initial) return;
    addon.setSimd(initial.simd);
    addon.setThreads(initial.threads);
  });

  for (const simd of simds) {
    it(`${simd}: random shapes (odd sizes, every transpose, 1 and 2 threads)`, () => {
      addon!.setSimd(simd);
      const r = rng(simd.length * 7919);
      for (let trial = 0; trial < 24; trial++) {
        addon!.setThreads(trial % 2 ? 2 : 1);
        const big = trial % 6 === 0;
        const M = big ? r.int(60, 140) : r.int(1, 37), N = big ? r.int(60, 140) : r.int(1, 70), K = big ? r.int(380, 600) : r.int(0, 45);
        const ta = trial % 4 >= 2, tb = trial % 2 === 1;
        const a = r.normal(M * K), b = r.normal(K * N);
        const c = new Float32Array(M * N).fill(NaN);
        addon!.gemm(c, 0, a, 0, b, 0, new Int32Array([1, M, N, K, +ta, +tb, 1, 1]));
        const want = refGemm(a, b, M, N, K, ta, tb);
        if (K === 0) expect(Array.from(c).every((v) => v === 0)).toBe(true);
        else expect(relErr(c, want), `M ${M} N ${N} K ${K} ta ${ta} tb ${tb}`).toBeLessThan(TOL);
      }
    });
  }

  it('large product split over threads equals the single-thread result bit for bit', () => {
    const r = rng(5);
    const M = 300, N = 260, K = 513;
    const a = r.normal(M * K), b = r.normal(K * N);
    const one = new Float32Array(M * N), two = new Float32Array(M * N);
    addon!.setThreads(1);
    addon!.gemm(one, 0, a, 0, b, 0, new Int32Array([1, M, N, K, 0, 1, 1, 1]));
    addon!.setThreads(2);
    addon!.gemm(two, 0, a, 0, b, 0, new Int32Array([1, M, N, K, 0, 1, 1, 1]));
    expect(relErr(two, refGemm(a, b, M, N, K, false, true))).toBeLessThan(TOL);
    expect(Array.from(two)).toEqual(Array.from(one));
  });

  // The threaded drivers (csrc/gemm_threads.cc): shared packing with several K blocks, the K split (K long next to M
  // and N), and the split of a long side (M or N >= 4096); every transpose combination, odd sizes, with accumulate.
  const schemes: [string, number, number, number][] = [
    ['shared packing', 97, 75, 801],
    ['K split', 23, 41, 3301],
    ['long N split', 9, 4133, 37],
    ['long M split', 4101, 7, 19],
  ];
  for (const simd of simds) {
    it(`${simd}: threaded schemes equal float64 (every transpose, accumulate)`, () => {
      addon!.setSimd(simd);
      addon!.setThreads(2);
      const r = rng(simd.length * 31 + 1);
      schemes.forEach(([name, M, N, K], si) => {
        for (let t = 0; t < 4; t++) {
          if (simd !== 'avx512' && t % 2 === 1) continue; // fewer cases for the slower kernels
          const ta = t >= 2, tb = t % 2 === 1, accumulate = (t + si) % 2 === 0;
          const a = r.normal(M * K), b = r.normal(K * N), c0 = r.normal(M * N);
          const c = Float32Array.from(c0);
          addon!.gemm(c, 0, a, 0, b, 0, new Int32Array([1, M, N, K, +ta, +tb, 1, 1]), null, null, accumulate);
          const want = refGemm(a, b, M, N, K, ta, tb).map((v, i) => (accumulate ? v + c0[i] : v));
          expect(relErr(c, want), `${name} M ${M} N ${N} K ${K} ta ${ta} tb ${tb} acc ${accumulate}`).toBeLessThan(TOL);
        }
      });
    });
  }

  it('shared packing over threads equals the single-thread result bit for bit (several K and row blocks)', () => {
    const r = rng(8);
    const M = 3100, N = 70, K = 500; // more rows than one packed group of the AVX-512 kernel (3072)
    const a = r.normal(M * K), b = r.normal(K * N);
    const one = new Float32Array(M * N), two = new Float32Array(M * N);
    addon!.setThreads(1);
    addon!.gemm(one, 0, a, 0, b, 0, new Int32Array([1, M, N, K, 1, 0, 1, 1]));
    addon!.setThreads(2);
    addon!.gemm(two, 0, a, 0, b, 0, new Int32Array([1, M, N, K, 1, 0, 1, 1]));
    expect(Array.from(two)).toEqual(Array.from(one));
  });

  it('batched with index maps (broadcasting), byte offsets and accumulate', () => {
    const r = rng(11);
    const M = 5, N = 9, K = 17, batch = 6, aCount = 2, bCount = 3;
    const a = r.normal(aCount * M * K + 3), b = r.normal(bCount * K * N);
    const ai = new Int32Array([0, 1, 0, 1, 0, 1]), bi = new Int32Array([0, 0, 1, 1, 2, 2]);
    const c = new Float32Array(batch * M * N + 2).fill(1);
    // a starts 3 floats in (12 bytes), c 2 floats in; accumulate adds onto the ones already there.
    addon!.gemm(c, 8, a, 12, b, 0, new Int32Array([batch, M, N, K, 0, 0, aCount, bCount]), ai, bi, true);
    for (let t = 0; t < batch; t++) {
      const want = refGemm(a, b, M, N, K, false, false, 3 + ai[t] * M * K, bi[t] * K * N).map((v) => v + 1);
      expect(relErr(c.subarray(2 + t * M * N, 2 + (t + 1) * M * N), want)).toBeLessThan(TOL);
    }
    expect(c[0]).toBe(1);
    expect(c[1]).toBe(1);
  });

  it('many small matrices spread over the pool', () => {
    addon!.setThreads(2);
    const r = rng(3);
    const M = 24, N = 24, K = 64, batch = 64;
    const a = r.normal(batch * M * K), b = r.normal(batch * K * N);
    const c = new Float32Array(batch * M * N);
    addon!.gemm(c, 0, a, 0, b, 0, new Int32Array([batch, M, N, K, 1, 0, batch, batch]));
    for (const t of [0, 17, 63]) {
      const want = refGemm(a, b, M, N, K, true, false, t * M * K, t * K * N);
      expect(relErr(c.subarray(t * M * N, (t + 1) * M * N), want)).toBeLessThan(TOL);
    }
  });

  it('rejects out-of-bounds and misaligned regions, naming the argument', () => {
    const a = new Float32Array(6), b = new Float32Array(6), c = new Float32Array(4);
    expect(() => addon!.gemm(c, 0, a, 0, b, 0, new Int32Array([1, 2, 2, 4, 0, 0, 1, 1]))).toThrow(/a: byte offset 0 \+ 8 floats/);
    expect(() => addon!.gemm(c, 2, a, 0, b, 0, new Int32Array([1, 2, 2, 3, 0, 0, 1, 1]))).toThrow(/c: byte offset 2/);
    expect(() => addon!.gemm(c, 0, a, 0, b, 0, new Int32Array([2, 2, 2, 3, 0, 0, 1, 1]), new Int32Array([0, 1]))).toThrow(/indexes matrix A 1/);
    expect(() => addon!.gemm(c, 0, a, 0, b, 0, new Int32Array([1, 2]))).toThrow(/dims must be an Int32Array/);
  });
});

describe.skipIf(!addon)('native element-wise and reduction entry points', () => {
  it('binary repeats the smaller operand and reduceSum sums the middle axis (float64 reference)', () => {
    const r = rng(21);
    const a = r.normal(6 * 5), b = r.normal(5), out = new Float32Array(30);
    addon!.binary(1, out, 0, a, 0, 30, b, 0, 5, 30); // a - b with b repeating
    expect(relErr(out, Array.from(a, (v, i) => v - b[i % 5]))).toBeLessThan(1e-7);
    const x = r.normal(2 * 7 * 3), s = new Float32Array(6);
    addon!.reduceSum(s, 0, x, 0, 2, 7, 3);
    const want: number[] = [];
    for (let o = 0; o < 2; o++) for (let i = 0; i < 3; i++) { let t = 0; for (let k = 0; k < 7; k++) t += x[(o * 7 + k) * 3 + i]; want.push(t); }
    expect(relErr(s, want)).toBeLessThan(1e-7);
  });

  it('rejects operands that do not repeat and regions past their buffer', () => {
    const a = new Float32Array(6), b = new Float32Array(4), out = new Float32Array(6);
    expect(() => addon!.binary(0, out, 0, a, 0, 6, b, 0, 4, 6)).toThrow(/operand sizes 6 \(repeated 1x\) and 4 \(repeated 1x\) do not repeat over 6/);
    // with repeats: 3 values x 2 and 2 values x 3 fill 6; 4 x 2 does not divide 6; two smaller operands need a repeat
    const o2 = new Float32Array(6);
    addon!.binary(2, o2, 0, Float32Array.of(1, 2, 3), 0, 3, Float32Array.of(10, 100), 0, 2, 6, 2, 1);
    expect(Array.from(o2)).toEqual([10, 100, 20, 200, 30, 300]);
    addon!.binary(0, o2, 0, Float32Array.of(1, 2), 0, 2, Float32Array.of(10, 20, 30), 0, 3, 6, 3, 1);
    expect(Array.from(o2)).toEqual([11, 21, 31, 12, 22, 32]);
    expect(() => addon!.binary(0, out, 0, a, 0, 4, b, 0, 1, 6, 2, 1)).toThrow(/operand sizes 4 \(repeated 2x\) and 1 \(repeated 1x\) do not repeat over 6/);
    expect(() => addon!.binary(0, out, 0, a, 0, 3, b, 0, 2, 6)).toThrow(/do not repeat over 6/);
    expect(() => addon!.binary(7, out, 0, a, 0, 6, b, 0, 1, 6)).toThrow(/binary op 7 is unknown/);
    expect(() => addon!.reduceSum(out, 0, a, 0, 2, 3, 2)).toThrow(/x: byte offset 0 \+ 12 floats/);
  });
});
