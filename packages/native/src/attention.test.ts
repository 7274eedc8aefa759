// The fused attention kernels (LlmarAttention, LlmarAttentionGrad) through tfjs against the stock kernels' composite
// (RoPE as mul / pair-swap matMul / add, transposes, batched matMuls, Add + Softmax, and tfjs's own gradients of all
// that), on wasm by default (cpu with LLMAR_BACKEND=cpu): GQA and plain heads, both RoPE pairings, per-row and shared
// masks, odd sizes, every SIMD level, the wasm heap grown mid-run, empty inputs and bad arguments.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { loadAddon } from './addon';
import { registerNativeKernels, unregisterNativeKernels } from './register';
import type { TfLike } from './types';
import { relErr, rng } from './test-utils';
import { ATTENTION_KERNELS } from './attention';

const BACKEND = process.env.LLMAR_BACKEND === 'cpu' ? 'cpu' : 'wasm';
const { addon, reason } = loadAddon();
if (!addon) console.warn(`@llmar/native attention kernel tests skipped: ${reason}`);
/** Norm-wise relative error allowed against the stock float32 kernels (their own summation order and exp). */
const TOL = 1e-5;
const run = (name: string, inputs: tf.NamedTensorMap, attrs: object) => tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor[];

type Style = 'adjacent' | 'rotate-half';
const partner = (i: number, hs: number, style: Style) => (style === 'adjacent' ? i ^ 1 : i < hs / 2 ? i + hs / 2 : i - hs / 2);

/** RoPE tables [T, hs] (cos, signed sin) times f, as @llmar/llm-lora builds them. */
function tables(T: number, hs: number, style: Style, f: number): [Float32Array, Float32Array] {
  const c = new Float32Array(T * hs), s = new Float32Array(T * hs);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < hs; i++) {
      const j = style === 'adjacent' ? i >> 1 : i % (hs / 2);
      const first = style === 'adjacent' ? i % 2 === 0 : i < hs / 2;
      const a = t * Math.pow(10000, (-2 * j) / hs);
      c[t * hs + i] = Math.cos(a) * f;
      s[t * hs + i] = (first ? -Math.sin(a) : Math.sin(a)) * f;
    }
  }
  return [c, s];
}

describe.skipIf(!addon)(`fused attention kernels through tfjs (${BACKEND})`, () => {
  const initialSimd = addon?.info().simd;
  const simds = addon ? (['avx512', 'avx2', 'portable'] as const).filter((s) => addon.setSimd(s)) : [];
  if (addon && initialSimd) addon.setSimd(initialSimd);
  beforeAll(async () => {
    await tf.setBackend(BACKEND);
    await tf.ready();
    const res = registerNativeKernels(tf as unknown as TfLike, BACKEND, { only: [...ATTENTION_KERNELS] });
    expect(res.ok, res.reason).toBe(true);
    expect(res.kernels).toEqual([...ATTENTION_KERNELS]);
  });
  afterAll(() => {
    if (addon && initialSimd) addon.setSimd(initialSimd);
    unregisterNativeKernels(tf as unknown as TfLike, BACKEND);
  });

  // [B, T, H, G, hs, style, bias rows (0 none, 1 shared, B per row), grow the heap]
  const cases: [number, number, number, number, number, Style, number, boolean][] = [
    [2, 7, 4, 2, 6, 'adjacent', 2, false], [3, 16, 6, 6, 8, 'rotate-half', 1, false], [1, 5, 3, 1, 4, 'adjacent', 0, false],
    [2, 33, 4, 2, 48, 'rotate-half', 2, true], [8, 64, 8, 4, 8, 'adjacent', 1, false],
  ];
  for (const [B, T, H, G, hs, style, biasB, grow] of cases) {
    it(`forward outputs and gradients equal the stock composite: B ${B}, T ${T}, H ${H}, G ${G}, hs ${hs}, ${style}, bias rows ${biasB}${grow ? ', heap grown' : ''}`, () => {
      const r = rng(B * 7919 + T * 31 + H * 7 + hs);
      const rep = H / G;
      const q = tf.tensor(r.normal(B * T * H * hs), [B * T, H * hs]);
      const k = tf.tensor(r.normal(B * T * G * hs), [B * T, G * hs]);
      const v = tf.tensor(r.normal(B * T * G * hs), [B * T, G * hs]);
      const dy = tf.tensor(r.normal(B * T * H * hs), [B * T, H * hs]);
      const [cq, sq] = tables(T, hs, style, 1 / Math.sqrt(hs)).map((a) => tf.tensor(a, [T, hs]));
      const [ck, sk] = tables(T, hs, style, 1).map((a) => tf.tensor(a, [T, hs]));
      // causal, plus (per-row masks) the first two keys of the second sequence masked for later queries
      const mask = new Float32Array(Math.max(biasB, 1) * T * T);
      for (let b = 0; b < Math.max(biasB, 1); b++) {
        for (let t = 0; t < T; t++) for (let s = 0; s < T; s++) mask[(b * T + t) * T + s] = s > t || (biasB > 1 && b === 1 && s < 2 && t >= 2) ? -1e9 : 0;
      }
      const bias = biasB ? tf.tensor(mask, [biasB, 1, 1, T, T]) : undefined;
      const swapM = new Float32Array(hs * hs);
      for (let i = 0; i < hs; i++) swapM[partner(i, hs, style) * hs + i] = 1;
      const swap = tf.tensor(swapM, [hs, hs]);
      const rope = (x: tf.Tensor, nh: number, c: tf.Tensor, s: tf.Tensor) => {
        const x4 = x.reshape([B, T, nh, hs]);
        return tf.add(tf.mul(x4, c.reshape([1, T, 1, hs])), tf.mul(tf.matMul(x4.reshape([-1, hs]), swap).reshape([B, T, nh, hs]), s.reshape([1, T, 1, hs])));
      };
      const parts = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
        const qh = rope(a, H, cq, sq).transpose([0, 2, 1, 3]); // [B, H, T, hs]
        const kr = rope(b, G, ck, sk).transpose([0, 2, 1, 3]); // [B, G, T, hs]
        const vh = c.reshape([B, T, G, hs]).transpose([0, 2, 1, 3]);
        let sc = tf.matMul(qh.reshape([B, G, rep * T, hs]), kr, false, true).reshape([B, G, rep, T, T]);
        if (bias) sc = tf.add(sc, bias.reshape([biasB, 1, 1, T, T]));
        const p = tf.softmax(sc, -1).reshape([B, G, rep * T, T]);
        const o = tf.matMul(p, vh).reshape([B, H, T, hs]).transpose([0, 2, 1, 3]).reshape([B * T, H * hs]);
        return { o, qh, kr, p };
      };
      const stock = tf.tidy(() => {
        const { o, qh, kr, p } = parts(q, k, v);
        return [o, qh, kr, p.reshape([B, H, T, T]), ...tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(parts(a, b, c).o, dy)))([q, k, v])];
      });
      const attrs = { B, T, H, G, hs, style };
      for (const simd of simds) {
        addon!.setSimd(simd);
        const big = grow ? tf.zeros([64 << 20]) : null; // outputs allocated after this: the heap grows in between
        const fwd = run('LlmarAttention', { q, k, v, cosQ: cq, sinQ: sq, cosK: ck, sinK: sk, ...(bias ? { bias } : {}) }, attrs);
        const [o, qh, kr, probs] = fwd;
        expect(fwd.map((t) => t.shape)).toEqual([[B * T, H * hs], [B, H, T, hs], [B, G, T, hs], [B, H, T, T]]);
        const grads = run('LlmarAttentionGrad', { dy, qh, kr, v, probs, cosQ: cq, sinQ: sq, cosK: ck, sinK: sk }, attrs);
        expect(grads.map((t) => t.shape)).toEqual([q.shape, k.shape, v.shape]);
        [...fwd, ...grads].forEach((t, i) => {
          const got = t.dataSync() as Float32Array;
          expect(got.every(Number.isFinite), `output ${i} finite (${simd})`).toBe(true);
          expect(relErr(got, stock[i].dataSync() as Float32Array), `output ${i} (${simd})`).toBeLessThan(TOL);
        });
        if (bias) {
          const pv = probs.dataSync();
          for (let x = 0; x < pv.length; x++) {
            const b = Math.floor(x / (H * T * T)), rest = x % (T * T);
            if (mask[((biasB === 1 ? 0 : b) * T * T) + rest] < 0) expect(pv[x]).toBe(0); // masked entries exactly 0
          }
        }
        tf.dispose([...fwd, ...grads]);
        big?.dispose();
      }
      if (initialSimd) addon!.setSimd(initialSimd);
      tf.dispose([q, k, v, dy, cq, sq, ck, sk, swap, ...stock]);
      bias?.dispose();
    });
  }

  it('empty batches give empty outputs; bad attrs, sizes and masks are refused with the values in the message', () => {
    const t = (n: number) => tf.zeros([n]);
    const tabs = { cosQ: t(8), sinQ: t(8), cosK: t(8), sinK: t(8) };
    const ok = { B: 1, T: 2, H: 2, G: 1, hs: 4, style: 'adjacent' };
    const empty = run('LlmarAttention', { q: t(0), k: t(0), v: t(0), ...tabs }, { ...ok, B: 0 });
    expect(empty.map((x) => x.shape)).toEqual([[0, 8], [0, 2, 2, 4], [0, 1, 2, 4], [0, 2, 2, 2]]);
    const inputs = { q: t(16), k: t(8), v: t(8), ...tabs };
    expect(() => run('LlmarAttention', inputs, { ...ok, G: 3 })).toThrow(/attr G \(3\) must divide H \(2\)/);
    expect(() => run('LlmarAttention', inputs, { ...ok, hs: 3 })).toThrow(/attr hs must be even, got 3/);
    expect(() => run('LlmarAttention', inputs, { ...ok, style: 'halves' })).toThrow(/style must be 'adjacent' or 'rotate-half', got halves/);
    expect(() => run('LlmarAttention', inputs, { ...ok, T: -1 })).toThrow(/attr T must be an integer >= 0, got -1/);
    expect(() => run('LlmarAttention', { ...inputs, k: t(9) }, ok)).toThrow(/input k must be float32 with 8 values, got \[9\] float32/);
    expect(() => run('LlmarAttention', { ...inputs, bias: tf.zeros([2, 2, 2]) }, ok)).toThrow(/bias must be float32 \[\.\.\., 2, 2\] with 1 or 1 leading rows, got \[2,2,2\]/);
    expect(() => run('LlmarAttentionGrad', { dy: t(16), qh: t(16), kr: t(8), v: t(8), ...tabs }, ok)).toThrow(/input probs must be float32 with 8 values, got missing/);
    tf.dispose([...empty, ...Object.values(tabs), ...Object.values(inputs)]);
  });
});
