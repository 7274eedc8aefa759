import { describe, it, expect, beforeAll } from 'vitest';
import { tf, initBackend, stopGradient } from '@llmar/tensor';
import { mmd, pairwiseSquaredDistances, type MmdEstimator } from './index';
import { normals, mmd64, rows, meanSqDist64, medianSqDist64 } from './test-utils';

const val = (t: tf.Tensor) => {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
};

const MULTS = [0.25, 0.5, 1, 2, 4];
const sq = (a: number[], b: number[]) => a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0);

describe('mmd', () => {
  beforeAll(async () => {
    await initBackend();
  });

  const n = 24;
  const m = 24;
  const d = 8;
  const Xr = rows(normals(n * d, 1), n, d);
  const Yr = rows(normals(m * d, 2).map((v) => v * 1.3 + 0.4), m, d);

  it('pairwiseSquaredDistances matches float64', () => {
    const D = pairwiseSquaredDistances(tf.tensor2d(Xr), tf.tensor2d(Yr)).arraySync();
    for (let i = 0; i < n; i++)
      for (let j = 0; j < m; j++) {
        const ref = Xr[i].reduce((s, v, k) => s + (v - Yr[j][k]) ** 2, 0);
        expect(Math.abs(D[i][j] - ref)).toBeLessThan(1e-5 * (1 + ref));
      }
  });

  for (const est of ['unbiased', 'biased', 'linear'] as MmdEstimator[]) {
    it(`${est}: matches the float64 reference (absolute, mean- and median-relative bandwidths)`, () => {
      const X = tf.tensor2d(Xr);
      const Y = tf.tensor2d(Yr);
      // kernel values in [0, 5]: float32 rounding of sums of ~600 terms, 2e-5 absolute
      const abs = [1, 4, 16];
      expect(Math.abs(val(mmd(X, Y, { estimator: est, bandwidths: abs })) - mmd64(Xr, Yr, abs, est))).toBeLessThan(2e-5);
      const mean = meanSqDist64(Xr, Yr);
      const hsMean = MULTS.map((k) => k * mean);
      expect(Math.abs(val(mmd(X, Y, { estimator: est })) - mmd64(Xr, Yr, hsMean, est))).toBeLessThan(2e-5);
      if (est === 'linear') {
        // median over the 4·(n/2) distances the linear estimator uses
        const p = n / 2;
        const ds: number[] = [];
        for (let i = 0; i < p; i++) ds.push(sq(Xr[i], Xr[i + p]), sq(Yr[i], Yr[i + p]), sq(Xr[i], Yr[i + p]), sq(Xr[i + p], Yr[i]));
        ds.sort((a, b) => a - b);
        const med = 0.5 * (ds[ds.length / 2 - 1] + ds[ds.length / 2]);
        const hsMed = MULTS.map((k) => k * med);
        expect(Math.abs(val(mmd(X, Y, { estimator: est, bandwidthReference: 'median' })) - mmd64(Xr, Yr, hsMed, est))).toBeLessThan(2e-5);
      } else {
        const med = medianSqDist64(Xr, Yr);
        const hsMed = MULTS.map((k) => k * med);
        expect(Math.abs(val(mmd(X, Y, { estimator: est, bandwidthReference: 'median' })) - mmd64(Xr, Yr, hsMed, est))).toBeLessThan(2e-5);
      }
      tf.dispose([X, Y]);
    });
  }

  it('MMD(X, X): biased exactly 0, unbiased negative (U-statistic of a sample with itself), ~0 linear', () => {
    const X = tf.tensor2d(Xr);
    expect(val(mmd(X, X, { estimator: 'biased' }))).toBe(0);
    expect(val(mmd(X, X, { estimator: 'biased', bandwidths: [2] }))).toBe(0);
    // X = {−1, 1} twice: unbiased = 2·k(2) − (1 + k(2)) = k(2) − 1 < 0 ; with h = 1, k(2) = e^−4
    const P = tf.tensor2d([[-1], [1]]);
    const u = val(mmd(P, P, { bandwidths: [1] }));
    expect(u).toBeLessThan(0);
    expect(Math.abs(u - (Math.exp(-4) - 1))).toBeLessThan(1e-6);
    expect(val(mmd(X, X))).toBeLessThan(0);
    tf.dispose([X, P]);
  });

  it('grows with a mean shift of Y', () => {
    for (const est of ['unbiased', 'biased'] as MmdEstimator[]) {
      let prev = -Infinity;
      for (const s of [0, 0.25, 0.5, 1, 2, 4]) {
        const X = tf.tensor2d(Xr);
        const Y = tf.tensor2d(Xr.map((r) => r.map((v, k) => v + (k === 0 ? s : 0))));
        const v = val(mmd(X, Y, { estimator: est, bandwidths: [2, 8, 32] }));
        expect(v).toBeGreaterThan(prev);
        prev = v;
        tf.dispose([X, Y]);
      }
    }
  });

  it('gradients are finite (identical rows, zero distances) and match finite differences; no leaks', () => {
    const Xf = rows(normals(6 * 3, 5), 6, 3);
    Xf[1] = Xf[0].slice(); // a zero distance
    const Yf = rows(normals(6 * 3, 6), 6, 3);
    const X = tf.tensor2d(Xf);
    const Y = tf.tensor2d(Yf);
    const before = tf.memory().numTensors;
    const g = tf.tidy(() => tf.grad((a: tf.Tensor) => mmd(a as tf.Tensor2D, Y, { bandwidths: [1, 3] }))(X));
    expect(tf.memory().numTensors).toBe(before + 1);
    const gv = g.arraySync() as number[][];
    g.dispose();
    const h = 1e-5;
    for (let i = 0; i < 6; i++)
      for (let k = 0; k < 3; k++) {
        expect(Number.isFinite(gv[i][k])).toBe(true);
        const p = Xf.map((r) => r.slice());
        const q = Xf.map((r) => r.slice());
        p[i][k] += h;
        q[i][k] -= h;
        const fd = (mmd64(p, Yf, [1, 3], 'unbiased') - mmd64(q, Yf, [1, 3], 'unbiased')) / (2 * h);
        // float32 gradient vs float64 finite difference: 2e-5 absolute (entries are O(0.1))
        expect(Math.abs(gv[i][k] - fd)).toBeLessThan(2e-5);
      }
    tf.dispose([X, Y]);
  });

  // [40, 30] rows: one pass; [300, 200]: several 8192-value chunks of the native kernel sum (LlmarKernelSum), with tails
  for (const [n0, m0, dim] of [[40, 30, 12], [300, 211, 16]]) it(`values and gradients are bit for bit those of the plain ops (relative bandwidths, unbiased estimator, ${n0} and ${m0} rows)`, () => {
    // the kernel sum is one custom-gradient op; this is the same MMD written with plain tfjs ops, taped op by op
    const plain = (a: tf.Tensor2D, b: tf.Tensor2D) => {
      const Z = stopGradient(tf.concat([a, b], 0));
      const meanSq = tf.mean(tf.sum(tf.square(Z), 1));
      const base = stopGradient(tf.maximum(tf.mul(tf.relu(tf.sub(meanSq, tf.sum(tf.square(tf.mean(Z, 0))))), 2), 1e-12));
      const hs = tf.mul(base, tf.tensor1d([0.25, 0.5, 1, 2, 4]));
      const ks = (d2: tf.Tensor) => {
        let k: tf.Tensor | undefined;
        for (let i = 0; i < 5; i++) {
          const e = tf.exp(tf.neg(tf.div(d2, tf.slice(hs, [i], [1]).reshape([]))));
          k = k ? tf.add(k, e) : e;
        }
        return k as tf.Tensor;
      };
      const n = a.shape[0], m = b.shape[0];
      const kxx = ks(pairwiseSquaredDistances(a, a)), kyy = ks(pairwiseSquaredDistances(b, b)), kxy = ks(pairwiseSquaredDistances(a, b));
      const txx = tf.div(tf.sum(tf.mul(kxx, tf.sub(tf.scalar(1), tf.eye(n)))), n * (n - 1));
      const tyy = tf.div(tf.sum(tf.mul(kyy, tf.sub(tf.scalar(1), tf.eye(m)))), m * (m - 1));
      return tf.sub(tf.add(txx, tyy), tf.mul(tf.mean(kxy), 2)) as tf.Scalar;
    };
    const X = tf.randomNormal([n0, dim], 0, 1, 'float32', 11) as tf.Tensor2D;
    const Y = tf.randomNormal([m0, dim], 0.4, 1, 'float32', 12) as tf.Tensor2D;
    const run = (f: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Scalar) =>
      tf.tidy(() => {
        const r = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) => f(a as tf.Tensor2D, b as tf.Tensor2D))([X, Y]);
        return [Array.from(r.value.dataSync()), ...r.grads.map((g) => Array.from(g.dataSync()))];
      });
    const fused = run((a, b) => mmd(a, b));
    expect(fused).toEqual(run(plain));
    expect(fused[1].some((v) => v !== 0)).toBe(true);
    tf.dispose([X, Y]);
  });

  it('validates shapes and options', () => {
    const X = tf.zeros([4, 3]) as tf.Tensor2D;
    expect(() => mmd(X, tf.zeros([4, 2]) as tf.Tensor2D)).toThrow(/Y \[4,2\]/);
    expect(() => mmd(X, tf.zeros([5, 3]) as tf.Tensor2D, { estimator: 'linear' })).toThrow(/n = m/);
    expect(() => mmd(X, X, { bandwidths: [0] })).toThrow(/bandwidths/);
    expect(() => mmd(X, X, { estimator: 'bogus' as MmdEstimator })).toThrow(/bogus/);
    // all points equal: the relative bandwidth is floored, the value stays finite
    expect(Number.isFinite(val(mmd(X, X)))).toBe(true);
  });
});
