// The fused AdamW kernel against float64 maths of the update (torch.optim.AdamW with bias correction), with several
// variables of odd sizes, a moment range no variable covers, gradient scaling, norm clipping and weight decay; on every
// SIMD path the machine has (the AVX-512 loop gives the portable loop's bits wherever no clipping factor enters).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { loadAddon } from './addon';
import { registerNativeKernels } from './register';
import type { TfLike } from './types';
import { relErr, rng } from './test-utils';

const BACKEND = process.env.LLMAR_BACKEND === 'cpu' ? 'cpu' : 'wasm';
const { addon, reason } = loadAddon();
if (!addon) console.warn(`@llmar/native AdamW tests skipped: ${reason}`);
const TOL = 1e-5;

interface Case { sizes: number[]; gap: number; scale: number; clip: number; wd: number; steps: number[] }

describe.skipIf(!addon)(`LlmarAdamW on ${BACKEND} against float64`, () => {
  const initialSimd = addon?.info().simd;
  const simds = addon ? (['avx512', 'portable'] as const).filter((s) => addon.setSimd(s)) : [];
  beforeAll(async () => {
    await tf.setBackend(BACKEND);
    await tf.ready();
    expect(registerNativeKernels(tf as unknown as TfLike, BACKEND).reason).toBeUndefined();
  });
  afterAll(() => {
    if (initialSimd) addon!.setSimd(initialSimd as 'avx512' | 'avx2' | 'portable');
  });

  const cases: Case[] = [
    { sizes: [7, 130, 1], gap: 0, scale: 1, clip: Infinity, wd: 0, steps: [1, 1, 1] },
    { sizes: [33, 0, 250], gap: 17, scale: 0.25, clip: Infinity, wd: 0.01, steps: [3, 3, 3] },
    { sizes: [70001, 5, 40000], gap: 3, scale: 1, clip: 0.5, wd: 0.1, steps: [2, 7, 1] }, // many pieces, clipped
    { sizes: [12], gap: 0, scale: 2, clip: 1e6, wd: 0, steps: [10] }, // clip above the norm: no clipping
  ];
  const firstRun = new Map<number, Float32Array[]>(); // case -> outputs on the first SIMD path
  for (const simd of simds) cases.forEach((c, t) => {
    it(`${simd}: variables ${JSON.stringify(c)}`, () => {
      addon!.setSimd(simd);
      const r = rng(606 + t);
      const lr = 1e-3 * (t + 1), beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
      const offsets: number[] = [];
      let total = c.gap; // the first `gap` moment values belong to no variable
      for (const s of c.sizes) {
        offsets.push(total);
        total += s;
      }
      const m = r.normal(total).map((x) => x * 0.1), v = r.normal(total).map((x) => x * x * 0.01);
      const ps = c.sizes.map((s) => r.normal(s)), gs = c.sizes.map((s) => r.normal(s));
      // float64 reference
      let sq = 0;
      gs.forEach((g) => g.forEach((x) => (sq += (x * c.scale) ** 2)));
      const norm = Math.sqrt(sq);
      const factor = Number.isFinite(c.clip) && norm > c.clip ? c.clip / (norm + 1e-6) : 1;
      const mW = Float64Array.from(m), vW = Float64Array.from(v);
      const pW = ps.map((p, i) => {
        const step = lr / (1 - beta1 ** c.steps[i]), bc2 = Math.sqrt(1 - beta2 ** c.steps[i]);
        return Float64Array.from(p, (x, j) => {
          const k = offsets[i] + j, gr = gs[i][j] * c.scale * factor;
          mW[k] = beta1 * m[k] + (1 - beta1) * gr;
          vW[k] = beta2 * v[k] + (1 - beta2) * gr * gr;
          return x - ((mW[k] / (Math.sqrt(vW[k]) / bc2 + eps)) * step + x * lr * c.wd);
        });
      });
      const n0 = tf.memory().numTensors;
      const got = tf.tidy(() => {
        const inputs: tf.NamedTensorMap = { m: tf.tensor1d(m), v: tf.tensor1d(v) };
        ps.forEach((p, i) => {
          inputs[`p${i}`] = tf.tensor(p, [p.length]);
          inputs[`g${i}`] = tf.tensor(gs[i], [gs[i].length]);
        });
        const attrs = {
          offsets, stepSizes: c.steps.map((s) => lr / (1 - beta1 ** s)), sqrtBc2: c.steps.map((s) => Math.sqrt(1 - beta2 ** s)),
          beta1, beta2, eps, decay: lr * c.wd, scale: c.scale, clipNorm: c.clip,
        };
        const outs = tf.engine().runKernel('LlmarAdamW', inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
        expect(outs.length).toBe(3 + c.sizes.length);
        return outs.map((o) => o.dataSync() as Float32Array);
      });
      expect(tf.memory().numTensors).toBe(n0);
      expect(Math.abs(got[0][0] - norm) / norm).toBeLessThan(1e-6);
      expect(relErr(got[1], mW)).toBeLessThan(TOL);
      expect(relErr(got[2], vW)).toBeLessThan(TOL);
      // the uncovered range is copied bit for bit
      for (let k = 0; k < c.gap; k++) expect([got[1][k], got[2][k]]).toEqual([m[k], v[k]]);
      pW.forEach((p, i) => {
        if (p.length) expect(relErr(got[3 + i], p), `p${i}`).toBeLessThan(TOL);
      });
      // in place: the same bits, written into m and v themselves; only the norm and the parameters come out
      const inPlace = tf.tidy(() => {
        const mt = tf.tensor1d(m), vt = tf.tensor1d(v);
        const inputs: tf.NamedTensorMap = { m: mt, v: vt };
        ps.forEach((p, i) => {
          inputs[`p${i}`] = tf.tensor(p, [p.length]);
          inputs[`g${i}`] = tf.tensor(gs[i], [gs[i].length]);
        });
        const attrs = {
          offsets, stepSizes: c.steps.map((s) => lr / (1 - beta1 ** s)), sqrtBc2: c.steps.map((s) => Math.sqrt(1 - beta2 ** s)),
          beta1, beta2, eps, decay: lr * c.wd, scale: c.scale, clipNorm: c.clip, inPlace: true,
        };
        const outs = tf.engine().runKernel('LlmarAdamW', inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
        expect(outs.length).toBe(1 + c.sizes.length);
        return [outs[0], mt, vt, ...outs.slice(1)].map((o) => o.dataSync() as Float32Array);
      });
      expect(tf.memory().numTensors).toBe(n0);
      inPlace.forEach((o, i) => expect(Array.from(o), `in place: output ${i}`).toEqual(Array.from(got[i])));
      const first = firstRun.get(t);
      if (!first) firstRun.set(t, got);
      else if (factor === 1) got.slice(1).forEach((o, i) => expect(Buffer.from(o.buffer, o.byteOffset, o.byteLength).equals(Buffer.from(first[1 + i].buffer, first[1 + i].byteOffset, first[1 + i].byteLength)), `output ${1 + i} bits`).toBe(true));
    });
  });

  it('inputs that do not fit throw BAD_ARGUMENT naming them', () => {
    const m = tf.zeros([4]), v = tf.zeros([4]), p = tf.zeros([3]), g = tf.zeros([2]);
    const attrs = { offsets: [0], stepSizes: [1], sqrtBc2: [1], beta1: 0.9, beta2: 0.999, eps: 1e-8 } as unknown as tf.NamedAttrMap;
    expect(() => tf.engine().runKernel('LlmarAdamW', { m, v, p0: p, g0: g }, attrs)).toThrow(/BAD_ARGUMENT.*g0 \[2\] does not match p0 \[3\]/);
    const off = { ...attrs, offsets: [2] } as unknown as tf.NamedAttrMap;
    const g3 = tf.zeros([3]);
    expect(() => tf.engine().runKernel('LlmarAdamW', { m, v, p0: p, g0: g3 }, off)).toThrow(/offset 2 with 3 values does not fit/);
    tf.dispose([m, v, p, g, g3]);
  });
});
