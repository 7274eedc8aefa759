/** Helpers shared by the tests (not exported from the package). */
import { afterAll, beforeAll, expect } from 'vitest';
import type { NativeAddon } from './addon';
import { registerNativeKernels } from './register';
import type { TfLike } from './types';

/** The micro-kernel levels of the addon (NativeAddon.setSimd). */
export type SimdLevel = 'avx512' | 'avx2' | 'portable';

/**
 * Sets up a describe block of kernel tests: before them, tfjs on `backend` with the native kernels registered; after
 * them, the addon's initial micro-kernel again. Returns every micro-kernel level this CPU has (AVX-512 runs the
 * implicit-GEMM convolutions, the others im2col + GEMM) and the initial one.
 */
export function nativeSuite(
  tf: { setBackend(name: string): Promise<boolean>; ready(): Promise<void> },
  backend: string,
  addon: NativeAddon | undefined,
): { simds: SimdLevel[]; initialSimd: SimdLevel | undefined } {
  beforeAll(async () => {
    await tf.setBackend(backend);
    await tf.ready();
    expect(registerNativeKernels(tf as unknown as TfLike, backend).reason).toBeUndefined();
  });
  const initialSimd = addon?.info().simd;
  const simds = addon ? (['avx512', 'avx2', 'portable'] as const).filter((s) => addon.setSimd(s)) : [];
  if (addon && initialSimd) addon.setSimd(initialSimd);
  afterAll(() => {
    if (addon && initialSimd) addon.setSimd(initialSimd);
  });
  return { simds, initialSimd };
}

/** A small seeded generator (mulberry32) for shapes and values. */
export function rng(seed: number): { next(): number; int(lo: number, hi: number): number; normal(n: number): Float32Array } {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    normal: (n) => {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
      return out;
    },
  };
}

/** Float64 reference C = op(A) op(B) for one matrix pair. */
export function refGemm(a: Float32Array, b: Float32Array, M: number, N: number, K: number, ta: boolean, tb: boolean,
  aOff = 0, bOff = 0): Float64Array {
  const c = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        const x = ta ? a[aOff + k * M + i] : a[aOff + i * K + k];
        const y = tb ? b[bOff + j * K + k] : b[bOff + k * N + j];
        s += x * y;
      }
      c[i * N + j] = s;
    }
  }
  return c;
}

/** Norm-wise relative error ||got - want|| / max(||want||, tiny), plus the largest elementwise gap. */
export function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) return Infinity;
  let d = 0, n = 0;
  for (let i = 0; i < want.length; i++) {
    const e = got[i] - want[i];
    if (!Number.isFinite(got[i])) return Infinity;
    d += e * e;
    n += want[i] * want[i];
  }
  return Math.sqrt(d) / Math.max(Math.sqrt(n), 1e-30);
}
