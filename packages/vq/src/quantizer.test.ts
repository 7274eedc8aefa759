import { describe, it, expect, beforeAll } from 'vitest';
import { tf, initBackend } from '@llmar/tensor';
import { VectorQuantizer, HyperbolicVectorQuantizer, VqError, type BaseQuantizer } from './index';
import { normals, rows, expmap064, logmap064, dist64, sqDist64, argmin } from './test-utils';

const N = 40;
const U = 16;
const d = 6;

function make(kind: 'euclidean' | 'hyperbolic', extra: Record<string, unknown> = {}): BaseQuantizer {
  const o = { dim: d, codebookSize: U, initScale: 0.5, seed: 3, ...extra };
  return kind === 'euclidean' ? new VectorQuantizer(o) : new HyperbolicVectorQuantizer(o);
}

describe('quantizers: nearest code, decode, losses, gradients', () => {
  beforeAll(async () => {
    await initBackend();
  });

  for (const [kind, c] of [['euclidean', 1], ['hyperbolic', 1], ['hyperbolic', 2]] as const) {
    it(`${kind} (c = ${c}): the chosen code is the nearest (float64 brute force); distances match; quantized = decode(indices)`, () => {
      const q = make(kind, { curvature: c });
      const F = rows(normals(N * d, 1, 0.5), N, d);
      const C = rows(q.codebook.dataSync(), U, d);
      const f = tf.tensor3d(F.flat(), [4, 10, d]);
      const r = q.forward(f);
      expect(r.indices.shape).toEqual([4, 10]);
      expect(r.indices.dtype).toBe('int32');
      expect(r.quantized.shape).toEqual([4, 10, d]);
      const idx = Array.from(r.indices.dataSync());
      const D = r.distances.arraySync();
      for (let i = 0; i < N; i++) {
        const ref = C.map((code) => (kind === 'euclidean' ? sqDist64(F[i], code) : dist64(expmap064(F[i], c), code, c)));
        // float32 distances: 1e-4 relative (geodesic distances near the boundary amplify rounding)
        for (let u = 0; u < U; u++) expect(Math.abs(D[i][u] - ref[u])).toBeLessThan(1e-4 * (1 + ref[u]));
        // the pick is the float64 nearest, or a float32 near-tie within the same tolerance
        expect(ref[idx[i]] - ref[argmin(ref)]).toBeLessThanOrEqual(1e-4 * (1 + ref[argmin(ref)]));
      }
      const dec = q.decode(r.indices);
      expect(Array.from(dec.dataSync())).toEqual(Array.from(r.quantized.dataSync()));
      // decode = code vector the decoder sees: c_u, or log0(c_u) in float64 (float32 artanh near the boundary: 1e-4 rel.)
      const dv = rows(dec.dataSync(), N, d);
      for (let i = 0; i < N; i++) {
        const want = kind === 'euclidean' ? C[idx[i]] : logmap064(C[idx[i]], c);
        for (let k = 0; k < d; k++) expect(Math.abs(dv[i][k] - want[k])).toBeLessThan(1e-4 * (1 + Math.abs(want[k])));
      }
      // usage, dead codes and perplexity against the indices
      const counts = new Array(U).fill(0);
      for (const v of idx) counts[v]++;
      expect(Array.from(r.usage.dataSync())).toEqual(counts);
      expect(r.deadCodes.dataSync()[0]).toBe(counts.filter((c) => c === 0).length);
      const H = -counts.reduce((s, c) => (c ? s + (c / N) * Math.log(c / N) : s), 0);
      expect(Math.abs(r.perplexity.dataSync()[0] - Math.exp(H))).toBeLessThan(1e-4 * Math.exp(H));
      // losses: MSE(f, q) for both terms in value; total = codebook + 0.02·commitment
      const mse = F.reduce((s, row, i) => s + sqDist64(row, dv[i]), 0) / (N * d);
      expect(Math.abs(r.loss.codebook.dataSync()[0] - mse)).toBeLessThan(1e-5 * (1 + mse));
      expect(Math.abs(r.loss.commitment.dataSync()[0] - mse)).toBeLessThan(1e-5 * (1 + mse));
      expect(Math.abs(r.loss.total.dataSync()[0] - 1.02 * mse)).toBeLessThan(1e-5 * (1 + mse));
      tf.dispose([f, dec, r.quantized, r.indices, r.distances, r.usage, r.perplexity, r.deadCodes, r.loss.codebook, r.loss.commitment, r.loss.total]);
      expect(() => q.decode([0, U])).toThrow(/indices\[1\] = 16/);
      expect(() => q.forward(tf.zeros([3, d + 1]))).toThrow(/features \[3,7\]/);
      q.dispose();
    });
  }

  for (const kind of ['euclidean', 'hyperbolic'] as const) {
    it(`${kind}: straight-through gradient is the identity; commitment gradient reaches f; codebook gradient matches finite differences`, () => {
      const q = make(kind);
      const F = normals(N * d, 2, 0.5);
      const A = normals(N * d, 9);
      const f = tf.tensor2d(F, [N, d]);
      const a = tf.tensor2d(A, [N, d]);
      const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(q.forward(x).quantized, a)))(f);
      expect(Array.from(g.dataSync())).toEqual(Array.from(a.dataSync()));
      // d/df of λ1·mean((f − sg q)²) = 2λ1 (f − q)/(N d); the codebook term gives f nothing
      const idx = tf.tidy(() => q.forward(f).indices);
      const Q = rows(q.decode(idx).dataSync(), N, d);
      const gf = rows(tf.grad((x: tf.Tensor) => q.forward(x).loss.total)(f).dataSync(), N, d);
      for (let i = 0; i < N; i++)
        for (let k = 0; k < d; k++) expect(Math.abs(gf[i][k] - (2 * 0.02 * (F[i * d + k] - Q[i][k])) / (N * d))).toBeLessThan(1e-7);
      // codebook gradient of the codebook term vs central differences of a float64 reference (assignments fixed)
      const C = rows(q.codebook.dataSync(), U, d);
      const ids = Array.from(idx.dataSync());
      const Fr = rows(F, N, d);
      const ref = (Cm: number[][]) =>
        Fr.reduce((s, row, i) => s + sqDist64(row, kind === 'euclidean' ? Cm[ids[i]] : logmap064(Cm[ids[i]])), 0) / (N * d);
      const { grads } = tf.variableGrads(() => q.forward(f).loss.codebook, [q.codebook]);
      const gc = rows(grads[q.codebook.name].dataSync(), U, d);
      let maxG = 0;
      for (const r of gc) for (const v of r) maxG = Math.max(maxG, Math.abs(v));
      expect(maxG).toBeGreaterThan(0);
      const h = 1e-6;
      for (let u = 0; u < U; u++)
        for (let k = 0; k < d; k++) {
          const p = C.map((r) => r.slice());
          const m = C.map((r) => r.slice());
          p[u][k] += h;
          m[u][k] -= h;
          // float32 backward vs float64 central difference: 1e-3 relative to the largest entry
          expect(Math.abs(gc[u][k] - (ref(p) - ref(m)) / (2 * h))).toBeLessThan(1e-3 * maxG);
        }
      tf.dispose([f, a, g, idx, ...Object.values(grads)]);
      q.dispose();
    });
  }

  it('validates options: odd codebook, bad dim, bad curvature, disposed use', () => {
    expect(() => new VectorQuantizer({ dim: 4, codebookSize: 7 })).toThrow(VqError);
    try {
      new VectorQuantizer({ dim: 4, codebookSize: 7 });
    } catch (e) {
      expect((e as VqError).code).toBe('ODD_CODEBOOK');
    }
    expect(() => new VectorQuantizer({ dim: 0 })).toThrow(/dim=0/);
    expect(() => new VectorQuantizer({ dim: 4, emaDecay: 1 })).toThrow(/emaDecay=1/);
    expect(() => new HyperbolicVectorQuantizer({ dim: 4, codebookSize: 4, curvature: -1 })).toThrow();
    const q = new VectorQuantizer({ dim: 4, codebookSize: 4 });
    expect(q.options.codebookSize).toBe(4);
    expect(q.options.commitmentWeight).toBe(0.02);
    q.dispose();
    expect(() => q.forward(tf.zeros([2, 4]))).toThrow(/disposed/);
    const def = new HyperbolicVectorQuantizer({ dim: 2 });
    expect(def.codebookSize).toBe(512);
    expect(def.curvature).toBe(1);
    def.dispose();
  });
});
