import { describe, it, expect, beforeAll } from 'vitest';
import { tf, initBackend } from '@llmar/tensor';
import { VectorQuantizer, HyperbolicVectorQuantizer, gumbelUsage, type BaseQuantizer, type QuantizerState } from './index';
import { normals, rows, sqDist64, logmap064 } from './test-utils';

const d = 4;
const U = 8;

function make(kind: 'euclidean' | 'hyperbolic', extra: Record<string, unknown> = {}): BaseQuantizer {
  const o = { dim: d, codebookSize: U, seed: 5, ...extra };
  return kind === 'euclidean' ? new VectorQuantizer(o) : new HyperbolicVectorQuantizer(o);
}

/** Clustered data: 8 centres, 240 points, a little spread. */
function clustered(seed: number, scale = 0.5): number[] {
  const centres = normals(8 * d, seed, scale * 2);
  const noise = normals(240 * d, seed + 1, scale * 0.1);
  return noise.map((v, i) => v + centres[(Math.floor(i / d) % 8) * d + (i % d)]);
}

describe('codebook training machinery', () => {
  beforeAll(async () => {
    await initBackend();
  });

  for (const kind of ['euclidean', 'hyperbolic'] as const) {
    it(`${kind}: EMA update follows the float64 formula and moves codes toward the assigned means`, () => {
      const q = make(kind, { ema: true, emaDecay: 0.8, initScale: 0.3 });
      expect(q.codebook.trainable).toBe(false);
      const F = normals(60 * d, 3, 0.3);
      const f = tf.tensor2d(F, [60, d]);
      const before = rows(q.codebook.dataSync(), U, d).map((c) => (kind === 'euclidean' ? c : logmap064(c)));
      const idx = tf.tidy(() => q.forward(f).indices);
      const ids = Array.from(idx.dataSync());
      q.update(f, idx);
      const after = rows(q.codebook.dataSync(), U, d).map((c) => (kind === 'euclidean' ? c : logmap064(c)));
      // float64 EMA: cs = 0.8·1 + 0.2·n, es = 0.8·c0 + 0.2·Σf, smoothed cs, code = es / smoothed
      const cnt = new Array(U).fill(0);
      const sum = Array.from({ length: U }, () => new Array(d).fill(0));
      ids.forEach((u, i) => {
        cnt[u]++;
        for (let k = 0; k < d; k++) sum[u][k] += F[i * d + k];
      });
      const cs = cnt.map((n) => 0.8 + 0.2 * n);
      const tot = cs.reduce((a, b) => a + b, 0);
      let moved = 0;
      for (let u = 0; u < U; u++) {
        const sm = ((cs[u] + 1e-5) / (tot + U * 1e-5)) * tot;
        const want = before[u].map((c, k) => (0.8 * c + 0.2 * sum[u][k]) / sm);
        // float32 arithmetic (and exp0/log0 round trip for the ball): 1e-4 relative
        for (let k = 0; k < d; k++) expect(Math.abs(after[u][k] - want[k])).toBeLessThan(1e-4 * (1 + Math.abs(want[k])));
        if (cnt[u] > 0) {
          const mean = sum[u].map((s) => s / cnt[u]);
          expect(sqDist64(after[u], mean)).toBeLessThan(sqDist64(before[u], mean));
          moved++;
        }
      }
      expect(moved).toBeGreaterThan(1);
      if (kind === 'hyperbolic') for (const r of rows(q.codebook.dataSync(), U, d)) expect(Math.hypot(...r)).toBeLessThanOrEqual(1 - 4e-3 + 1e-6);
      tf.dispose([f, idx]);
      q.dispose();
    });

    it(`${kind}: dead codes are re-seeded with batch features, live codes are untouched`, () => {
      const q = make(kind, { deadCodeThreshold: 1, usageDecay: 0.5, initScale: 0.3 });
      // features around the first two codes only: the other codes get no assignment
      const C = rows(q.codebook.dataSync(), U, d);
      const T = kind === 'euclidean' ? C : C.map((c) => logmap064(c));
      const F = Array.from({ length: 32 }, (_, i) => T[i % 2].map((v, k) => v + 1e-3 * Math.sin(i + k)));
      const f = tf.tensor2d(F.flat(), [32, d]);
      const idx = tf.tidy(() => q.forward(f).indices);
      const used = new Set(Array.from(idx.dataSync()));
      expect(used).toEqual(new Set([0, 1]));
      // usage EMA starts at N/U = 4 and halves for unused codes: 2, 1, 0.5 → reset at the 3rd update
      expect(q.update(f, idx).resetCodes).toEqual([]);
      expect(q.update(f, idx).resetCodes).toEqual([]);
      const r = q.update(f, idx);
      expect(r.resetCodes).toEqual([2, 3, 4, 5, 6, 7]);
      const after = rows(q.codebook.dataSync(), U, d);
      expect(after[0]).toEqual(C[0]);
      expect(after[1]).toEqual(C[1]);
      for (const u of r.resetCodes) {
        const t = kind === 'euclidean' ? after[u] : logmap064(after[u]);
        // each re-seeded code is (exp0 of) one of the batch features: float32 round trip 1e-5
        const best = Math.min(...F.map((row) => sqDist64(row, t)));
        expect(best).toBeLessThan(1e-8);
      }
      tf.dispose([f, idx]);
      q.dispose();
    });

    it(`${kind}: k-means initialisation lowers the quantization error vs the random initial codebook`, () => {
      const F = clustered(7);
      const f = tf.tensor2d(F, [240, d]);
      const mse = (q: BaseQuantizer) => tf.tidy(() => q.forward(f).loss.codebook.dataSync()[0]);
      const rand = make(kind);
      const km = make(kind);
      const { error } = km.initKMeans(f, { iterations: 8 });
      const eRand = mse(rand);
      const eKm = mse(km);
      expect(eKm).toBeLessThan(0.5 * eRand);
      // for Euclidean codes the quantizer's error is exactly the k-means error
      if (kind === 'euclidean') expect(Math.abs(eKm * d - error)).toBeLessThan(1e-4 * error + 1e-7);
      expect(() => km.initKMeans(tf.zeros([U - 1, d]))).toThrow(/7 feature rows/);
      tf.dispose(f);
      rand.dispose();
      km.dispose();
    });

    it(`${kind}: save / load round-trips exactly through JSON, and rejects a mismatching state`, () => {
      const q = make(kind, { ema: true, deadCodeThreshold: 0.5 });
      const f = tf.tensor2d(clustered(3), [240, d]);
      const idx = tf.tidy(() => q.forward(f).indices);
      q.update(f, idx);
      const s = q.save();
      const json = JSON.stringify(s);
      const q2 = make(kind, { ema: true, deadCodeThreshold: 0.5, seed: 99 });
      expect(Array.from(q2.codebook.dataSync())).not.toEqual(Array.from(q.codebook.dataSync()));
      q2.load(JSON.parse(json) as QuantizerState);
      expect(Array.from(q2.codebook.dataSync())).toEqual(Array.from(q.codebook.dataSync()));
      expect(JSON.stringify(q2.save())).toBe(json);
      const a = tf.tidy(() => Array.from(q.forward(f).quantized.dataSync()));
      const b = tf.tidy(() => Array.from(q2.forward(f).quantized.dataSync()));
      expect(b).toEqual(a);
      const other = kind === 'euclidean' ? new HyperbolicVectorQuantizer({ dim: d, codebookSize: U }) : new VectorQuantizer({ dim: d, codebookSize: U });
      expect(() => other.load(s)).toThrow(/state.kind/);
      expect(() => q2.load({ ...s, codebook: s.codebook.slice(1) })).toThrow(/state.codebook/);
      if (kind === 'hyperbolic') {
        const c2 = new HyperbolicVectorQuantizer({ dim: d, codebookSize: U, curvature: 2, ema: true });
        expect(() => c2.load(s)).toThrow(/state.curvature/);
        c2.dispose();
      }
      tf.dispose([f, idx]);
      [q, q2, other].forEach((x) => x.dispose());
    });

    it(`${kind}: a few training steps (gradients + update) keep tf.memory flat and lower the loss`, () => {
      const ema = kind === 'euclidean';
      const q = make(kind, { ema, deadCodeThreshold: 0.1 });
      const enc = tf.variable(tf.tensor2d(normals(d * d, 2, 0.5), [d, d]));
      const x = tf.tensor3d(clustered(11, 0.3), [8, 30, d]);
      const opt = tf.train.adam(0.02);
      const losses: number[] = [];
      let count = 0;
      for (let step = 0; step < 6; step++) {
        const { f, idx } = tf.tidy(() => {
          const cost = () => {
            const feat = tf.matMul(x.reshape([-1, d]), enc).reshape([8, 30, d]);
            const r = q.forward(feat);
            const n = gumbelUsage(tf.neg(r.distances).reshape([8, 30, U]), { seed: step });
            const rec = tf.mean(tf.square(tf.sub(r.quantized, x)));
            return tf.addN([rec, r.loss.total, tf.mul(tf.mean(tf.square(n)), 1e-4)]) as tf.Scalar;
          };
          const loss = opt.minimize(cost, true) as tf.Scalar;
          losses.push(loss.dataSync()[0]);
          const feat = tf.matMul(x.reshape([-1, d]), enc).reshape([8, 30, d]);
          return { f: feat, idx: q.forward(feat).indices };
        });
        q.update(f, idx);
        if (kind === 'hyperbolic') (q as HyperbolicVectorQuantizer).projectCodebook();
        tf.dispose([f, idx]);
        if (step === 1) count = tf.memory().numTensors; // after the optimizer created its slots
        if (step > 1) expect(tf.memory().numTensors).toBe(count);
      }
      for (const v of losses) expect(Number.isFinite(v)).toBe(true);
      expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
      opt.dispose();
      tf.dispose([enc, x]);
      q.dispose();
    });
  }
});
