// The fused Poincaré pairwise-distance kernels (csrc/poincare.cc) against float64 references: the same closed form
// evaluated in JavaScript doubles from the same float32 inputs (what @llmar/hyperbolic's host path computes), central
// finite differences of it for the gradients, every SIMD level, tails of every length, 1 and 2 threads, clamps.
import { describe, it, expect, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { loadAddon } from './addon';
import { registerNativeKernels } from './register';
import type { TfLike } from './types';
import { relErr, rng } from './test-utils';

const { addon, reason } = loadAddon();
if (!addon) console.warn(`@llmar/native poincare tests skipped: ${reason}`);
const BACKEND = process.env.LLMAR_BACKEND === 'cpu' ? 'cpu' : 'wasm';

/** Forward: |got − ref| ≤ TOL_FWD·(1 + |ref|) elementwise (the float32 log is ~1–2 ulp; dist ≤ ~15/√c). */
const TOL_FWD = 1e-6;
/** Backward: norm-wise relative error of each of ∂/∂xy, ∂/∂x2, ∂/∂y2 against the float64 formulas. */
const TOL_BWD = 1e-5;

const ZMAX = 1 - 1e-6;
/** float64 distance from float32 ⟨x,y⟩, ‖x‖², ‖y‖² (the host path's formula and clamps). */
function refDist(p: number, a2: number, b2: number, c: number): number {
  const sc = c * (a2 + b2 - 2 * p);
  const den = 1 - 2 * c * p + c * c * a2 * b2;
  let z = Math.sqrt(Math.max(sc, 1e-30) / Math.max(den, 1e-15));
  if (z > ZMAX) z = ZMAX;
  return Math.log((1 + z) / (1 - z)) / Math.sqrt(c);
}

/** Points: radii from 0 to the float32 ball margin, near-duplicates, exact duplicates, antipodes, the origin. */
function problem(seed: number, n: number, m: number, d: number, c: number) {
  const r = rng(seed);
  const rmax = (1 - 4e-3) / Math.sqrt(c);
  const point = () => {
    const v = Array.from(r.normal(d));
    const len = Math.hypot(...v) || 1;
    const t = r.next() < 0.3 ? rmax * (1 - 1e-3 * r.next()) : rmax * r.next();
    return v.map((a) => (a / len) * t);
  };
  const X = Array.from({ length: n }, point);
  const Y = Array.from({ length: m }, (_, j) => {
    const src = X[j % n];
    if (j % 5 === 0) return src.map((a) => a * (1 + 1e-4 * (r.next() - 0.5)));
    if (j % 7 === 1) return src.map((a) => -a);
    if (j % 11 === 2) return [...src];
    if (j === 3) return src.map(() => 0);
    return point();
  });
  const xy = new Float32Array(n * m), x2 = new Float32Array(n), y2 = new Float32Array(m);
  const dot = (a: number[], b: number[]) => a.reduce((s, v, k) => s + v * b[k], 0);
  X.forEach((x, i) => {
    x2[i] = dot(x, x);
    Y.forEach((y, j) => (xy[i * m + j] = dot(x, y)));
  });
  Y.forEach((y, j) => (y2[j] = dot(y, y)));
  const g = r.normal(n * m);
  return { xy, x2, y2, g, n, m, c };
}

describe.skipIf(!addon)('native Poincaré pairwise kernels', () => {
  const A = addon!;
  const simds = addon ? (['avx512', 'avx2', 'portable'] as const).filter((s) => A.setSimd(s)) : [];
  const initial = addon?.info();
  afterAll(() => {
    if (!initial) return;
    A.setSimd(initial.simd);
    A.setThreads(initial.threads);
  });
  const shapes: [number, number][] = [[1, 1], [3, 15], [5, 16], [4, 17], [9, 45], [70, 33]];

  for (const simd of simds) {
    it(`${simd}: forward equals the float64 closed form (c = 1, 0.3, 2.5; every tail length)`, () => {
      A.setSimd(simd);
      let worst = 0;
      for (const c of [1, 0.3, 2.5]) {
        for (const [n, m] of shapes) {
          const p = problem(n * 31 + m, n, m, 6, c);
          const out = new Float32Array(n * m).fill(NaN);
          A.poincarePairwise(out, 0, p.xy, 0, p.x2, 0, p.y2, 0, n, m, c);
          for (let i = 0; i < n * m; i++) {
            const want = refDist(p.xy[i], p.x2[Math.floor(i / m)], p.y2[i % m], c);
            worst = Math.max(worst, Math.abs(out[i] - want) / (1 + Math.abs(want)));
          }
        }
      }
      expect(worst).toBeLessThan(TOL_FWD);
    });

    it(`${simd}: backward equals the float64 gradient formulas and their finite differences`, () => {
      A.setSimd(simd);
      let checked = 0;
      for (const c of [1, 0.3]) {
        for (const [n, m] of shapes) {
          const p = problem(n * 17 + m, n, m, 5, c);
          const gxy = new Float32Array(n * m), gx2 = new Float32Array(n), gy2 = new Float32Array(m);
          A.poincarePairwiseGrad(gxy, 0, gx2, 0, gy2, 0, p.xy, 0, p.x2, 0, p.y2, 0, p.g, 0, n, m, c);
          // float64 chain rule (the host path's backward)
          const k = 2 / Math.sqrt(c);
          const wxy = new Float64Array(n * m), wx2 = new Float64Array(n), wy2 = new Float64Array(m);
          for (let i = 0; i < n; i++) {
            for (let j = 0; j < m; j++) {
              const q = p.xy[i * m + j], a2 = p.x2[i], b2 = p.y2[j];
              let sc = c * (a2 + b2 - 2 * q);
              const sOk = sc > 1e-30;
              if (!sOk) sc = 1e-30;
              let den = 1 - 2 * c * q + c * c * a2 * b2;
              const dOk = den > 1e-15;
              if (!dOk) den = 1e-15;
              const z = Math.sqrt(sc / den);
              const gq = z < ZMAX ? (p.g[i * m + j] * k) / ((1 - z * z) * 2 * z) : 0;
              const gsc = sOk ? gq / den : 0, gden = dOk ? (-gq * sc) / (den * den) : 0;
              wxy[i * m + j] = -2 * c * (gsc + gden);
              wx2[i] += c * gsc + c * c * b2 * gden;
              wy2[j] += c * gsc + c * c * a2 * gden;
            }
          }
          const tag = `${simd} c ${c} n ${n} m ${m}`;
          expect(relErr(gxy, wxy), `∂xy ${tag}`).toBeLessThan(TOL_BWD);
          expect(relErr(gx2, wx2), `∂x2 ${tag}`).toBeLessThan(TOL_BWD);
          expect(relErr(gy2, wy2), `∂y2 ${tag}`).toBeLessThan(TOL_BWD);
          // independent check of the formulas: central differences of refDist at well-separated, unclamped pairs
          for (let t = 0; t < n * m; t += 7) {
            const i = Math.floor(t / m), j = t % m, q = p.xy[t], a2 = p.x2[i], b2 = p.y2[j];
            const d0 = refDist(q, a2, b2, c);
            const h = 1e-4 * (a2 + b2 - 2 * q); // a step small next to ‖x − y‖²
            if (d0 < 0.05 || d0 > 8 / Math.sqrt(c) || !(h > 1e-9)) continue;
            checked++;
            const fd = (p.g[t] * (refDist(q + h, a2, b2, c) - refDist(q - h, a2, b2, c))) / (2 * h);
            expect(Math.abs(gxy[t] - fd), `fd ${tag} (${i}, ${j})`).toBeLessThan(1e-3 * (1 + Math.abs(fd)));
          }
        }
      }
      expect(checked).toBeGreaterThan(40); // the finite-difference check is not vacuous
    });
  }

  it('2 threads give the 1-thread forward bit for bit; n = 0 zeroes ∂/∂y2', () => {
    const p = problem(99, 300, 130, 4, 1);
    const one = new Float32Array(300 * 130), two = new Float32Array(300 * 130);
    A.setThreads(1);
    A.poincarePairwise(one, 0, p.xy, 0, p.x2, 0, p.y2, 0, 300, 130, 1);
    A.setThreads(2);
    A.poincarePairwise(two, 0, p.xy, 0, p.x2, 0, p.y2, 0, 300, 130, 1);
    expect(Array.from(two)).toEqual(Array.from(one));
    const gy2 = new Float32Array(4).fill(NaN), e = new Float32Array(4);
    A.poincarePairwiseGrad(e, 0, e, 0, gy2, 0, e, 0, e, 0, e, 0, e, 0, 0, 4, 1);
    expect(Array.from(gy2)).toEqual([0, 0, 0, 0]);
  });

  it('rejects a bad curvature and out-of-bounds regions, naming them', () => {
    const f = new Float32Array(4);
    expect(() => A.poincarePairwise(f, 0, f, 0, f, 0, f, 0, 2, 2, 0)).toThrow(/curvature c must be positive.*got 0/);
    expect(() => A.poincarePairwise(f, 0, f, 0, f, 0, f, 0, 2, 3, 1)).toThrow(/out: byte offset 0 \+ 6 floats is outside/);
    expect(() => A.poincarePairwise(f, 0, f, 0, f, 0, f, 12, 2, 2, 1)).toThrow(/y2: byte offset 12/);
  });
});

describe.skipIf(!addon)(`LlmarPoincarePairwise kernels registered on ${BACKEND}`, () => {
  it('runKernel matches the addon called directly, forward and backward, and leaks nothing', async () => {
    await tf.setBackend(BACKEND);
    await tf.ready();
    const res = registerNativeKernels(tf as unknown as TfLike, BACKEND);
    expect(res.kernels).toContain('LlmarPoincarePairwise');
    expect(res.kernels).toContain('LlmarPoincarePairwiseGrad');
    const p = problem(7, 6, 19, 3, 0.7);
    const t = { xy: tf.tensor2d(p.xy, [6, 19]), x2: tf.tensor1d(p.x2), y2: tf.tensor1d(p.y2), dy: tf.tensor2d(p.g, [6, 19]) };
    const run = () => tf.engine().runKernel('LlmarPoincarePairwise', { xy: t.xy, x2: t.x2, y2: t.y2 }, { c: 0.7 }) as tf.Tensor;
    const want = new Float32Array(6 * 19);
    addon!.poincarePairwise(want, 0, p.xy, 0, p.x2, 0, p.y2, 0, 6, 19, 0.7);
    tf.dispose(run());
    const n0 = tf.memory().numTensors;
    for (let s = 0; s < 3; s++) {
      const y = run();
      expect(Array.from(y.dataSync())).toEqual(Array.from(want));
      y.dispose();
    }
    expect(tf.memory().numTensors).toBe(n0);
    const gs = tf.engine().runKernel('LlmarPoincarePairwiseGrad', t, { c: 0.7 }) as tf.Tensor[];
    const w = [new Float32Array(6 * 19), new Float32Array(6), new Float32Array(19)];
    addon!.poincarePairwiseGrad(w[0], 0, w[1], 0, w[2], 0, p.xy, 0, p.x2, 0, p.y2, 0, p.g, 0, 6, 19, 0.7);
    expect(gs.map((g) => g.shape)).toEqual([[6, 19], [6], [19]]);
    gs.forEach((g, i) => expect(Array.from(g.dataSync())).toEqual(Array.from(w[i])));
    tf.dispose(gs);
    expect(() => tf.engine().runKernel('LlmarPoincarePairwise', { xy: t.xy, x2: t.y2, y2: t.y2 }, { c: 1 })).toThrow(
      /\[BAD_ARGUMENT\] LlmarPoincarePairwise: shapes xy \[6,19\], x2 \[19\]/,
    );
    expect(() => tf.engine().runKernel('LlmarPoincarePairwise', { xy: t.xy, x2: t.x2, y2: t.y2 }, { c: -1 })).toThrow(/attr c must be a positive number, got -1/);
    tf.dispose(Object.values(t));
  });
});
