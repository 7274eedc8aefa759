import { describe, it, expect, beforeAll } from 'vitest';
import { tf, initBackend, Rng } from '@llmar/tensor';
import { addSame, attentionOp, nativeAttention, frozenGather, frozenProject, pairSwapMatrix, reshapeFree, rmsNormOp, swiGlu, tiledTable, type AttentionConsts } from './fused';
import { applyRope, ropeTables } from './rope';
import { causalLmLoss } from './train';

beforeAll(async () => {
  await initBackend();
});

const randn = (rng: Rng, n: number, s = 1): Float64Array => Float64Array.from({ length: n }, () => s * rng.normal());
const maxAbs = (a: ArrayLike<number>): number => Array.from(a).reduce((m, x) => Math.max(m, Math.abs(x)), 0);
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Central finite difference (float64) of f at x[i]. */
function fd(f: (x: Float64Array) => number, x: Float64Array, i: number, h = 1e-5): number {
  const xp = Float64Array.from(x);
  const xm = Float64Array.from(x);
  xp[i] += h;
  xm[i] -= h;
  return (f(xp) - f(xm)) / (2 * h);
}

describe('fused ops: values and gradients', () => {
  it('rmsNormOp (trainable and frozen weight) equals the stock composite and float64 finite differences (1e-5 / 1e-3)', () => {
    const rng = new Rng(3);
    const [N, d, eps] = [5, 12, 1e-5];
    const x64 = randn(rng, N * d);
    const w64 = Float64Array.from({ length: d }, () => 1 + 0.3 * rng.normal());
    const R64 = randn(rng, N * d);
    const x = tf.tensor2d(Float32Array.from(x64), [N, d]);
    const w = tf.tensor1d(Float32Array.from(w64));
    const R = tf.tensor2d(Float32Array.from(R64), [N, d]);
    const stock = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.mul(tf.mul(a, tf.rsqrt(tf.add(tf.mean(tf.square(a), -1, true), eps))), b), R));
    const [gx0, gw0] = tf.grads(stock)([x, w]);
    const [gx1, gw1] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(rmsNormOp(a, b, eps, true), R)))([x, w]);
    const gx2 = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(rmsNormOp(a, w, eps, false), R)))(x);
    const scale = maxAbs(gx0.dataSync());
    expect(maxDiff(gx1.dataSync(), gx0.dataSync())).toBeLessThanOrEqual(1e-5 * scale);
    expect(maxDiff(gx2.dataSync(), gx0.dataSync())).toBeLessThanOrEqual(1e-5 * scale);
    expect(maxDiff(gw1.dataSync(), gw0.dataSync())).toBeLessThanOrEqual(1e-5 * maxAbs(gw0.dataSync()));
    // float64 loss as a function of x, then of w
    const loss64 = (xs: Float64Array, ws: Float64Array) => {
      let s = 0;
      for (let n = 0; n < N; n++) {
        let ss = 0;
        for (let i = 0; i < d; i++) ss += xs[n * d + i] ** 2;
        const r = 1 / Math.sqrt(ss / d + eps);
        for (let i = 0; i < d; i++) s += xs[n * d + i] * r * ws[i] * R64[n * d + i];
      }
      return s;
    };
    const gx = gx1.dataSync();
    const gw = gw1.dataSync();
    for (const i of [0, 7, 23, 40, 59]) expect(Math.abs(fd((v) => loss64(v, w64), x64, i) - gx[i])).toBeLessThanOrEqual(1e-3 * scale);
    for (const i of [0, 5, 11]) expect(Math.abs(fd((v) => loss64(x64, v), w64, i) - gw[i])).toBeLessThanOrEqual(1e-3 * maxAbs(gw));
    tf.dispose([x, w, R, gx0, gw0, gx1, gw1, gx2]);
  });

  it('swiGlu equals the stock composite and float64 finite differences (1e-5 / 1e-3)', () => {
    const rng = new Rng(4);
    const n = 30;
    const g64 = randn(rng, n, 3);
    const u64 = randn(rng, n);
    const R64 = randn(rng, n);
    const [g, u, R] = [g64, u64, R64].map((a) => tf.tensor2d(Float32Array.from(a), [5, 6]));
    const [a0, b0] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.mul(tf.mul(a, tf.sigmoid(a)), b), R)))([g, u]);
    const [a1, b1] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(swiGlu(a, b), R)))([g, u]);
    expect(maxDiff(a1.dataSync(), a0.dataSync())).toBeLessThanOrEqual(1e-5 * maxAbs(a0.dataSync()));
    expect(maxDiff(b1.dataSync(), b0.dataSync())).toBeLessThanOrEqual(1e-5 * maxAbs(b0.dataSync()));
    const loss64 = (gs: Float64Array) => gs.reduce((s, x, i) => s + (x / (1 + Math.exp(-x))) * u64[i] * R64[i], 0);
    const ga = a1.dataSync();
    for (let i = 0; i < n; i += 3) expect(Math.abs(fd(loss64, g64, i) - ga[i])).toBeLessThanOrEqual(1e-3 * maxAbs(ga));
    const v = tf.tidy(() => swiGlu(g, u).dataSync());
    for (let i = 0; i < n; i++) expect(Math.abs(v[i] - (g64[i] / (1 + Math.exp(-g64[i]))) * u64[i])).toBeLessThanOrEqual(1e-5 * maxAbs(v));
    tf.dispose([g, u, R, a0, b0, a1, b1]);
  });

  for (const style of ['adjacent', 'rotate-half'] as const) {
    it(`attentionOp (GQA, ${style} RoPE, padding, ${style === 'rotate-half' ? 'tiled' : 'broadcast'} tables) equals the stock composite (1e-5) and float64 finite differences (2e-3)`, () => {
      const rng = new Rng(style === 'adjacent' ? 5 : 6);
      const [B, T, H, G, hs] = [2, 5, 4, 2, 6];
      const rep = H / G;
      const keep = [
        [1, 1, 1, 1, 1],
        [0, 0, 1, 1, 1],
      ]; // left padding in the second sequence
      const q64 = randn(rng, B * T * H * hs);
      const k64 = randn(rng, B * T * G * hs);
      const v64 = randn(rng, B * T * G * hs);
      const R64 = randn(rng, B * T * H * hs);
      // padded query rows (every key masked) are left out of the loss, as in training: their outputs do not depend on q
      for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) if (!keep[b][t]) R64.fill(0, (b * T + t) * H * hs, (b * T + t + 1) * H * hs);
      const tables = ropeTables(T, hs, 10000, style);
      const cos = tf.tensor4d(tables.cos, [1, T, 1, hs]);
      const sin = tf.tensor4d(tables.sinSigned, [1, T, 1, hs]);
      const causal = new Float32Array(B * T * T);
      for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let s = 0; s < T; s++) causal[(b * T + t) * T + s] = s > t || !keep[b][s] ? -1e9 : 0;
      const bias = tf.tensor(causal, [B, 1, 1, T, T]);
      const swap = tf.tensor2d(pairSwapMatrix(hs, style), [hs, hs]);
      const scale = 1 / Math.sqrt(hs);
      // broadcast tables [1, T, 1, hs] for one style, host-tiled ones [B, T, heads, hs] (as the model uses) for the other
      const tiled = style === 'rotate-half';
      const tab = (src: Float32Array, heads: number, f: number, t: tf.Tensor) => (tiled ? tiledTable(src, B, T, heads, hs, f) : tf.mul(t, f));
      const consts: AttentionConsts = {
        B, T, H, G, hs, swap, bias, fastT: false, style, native: false,
        cosQ: tab(tables.cos, H, scale, cos), sinQ: tab(tables.sinSigned, H, scale, sin), cosK: tab(tables.cos, G, 1, cos), sinK: tab(tables.sinSigned, G, 1, sin),
      };
      const q = tf.tensor2d(Float32Array.from(q64), [B * T, H * hs]);
      const k = tf.tensor2d(Float32Array.from(k64), [B * T, G * hs]);
      const v = tf.tensor2d(Float32Array.from(v64), [B * T, G * hs]);
      const R = tf.tensor2d(Float32Array.from(R64), [B * T, H * hs]);
      const stock = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
        const qh = applyRope(a.reshape([B, T, H, hs]), cos, sin, style).transpose([0, 2, 1, 3]).reshape([B, G, rep * T, hs]);
        const kh = applyRope(b.reshape([B, T, G, hs]), cos, sin, style).transpose([0, 2, 1, 3]);
        const vh = c.reshape([B, T, G, hs]).transpose([0, 2, 1, 3]);
        const sc = tf.matMul(qh, kh.transpose([0, 1, 3, 2])).mul(scale).reshape([B, G, rep, T, T]).add(bias);
        const p = tf.softmax(sc, -1).reshape([B, G, rep * T, T]);
        const o = tf.matMul(p, vh).reshape([B, H, T, hs]).transpose([0, 2, 1, 3]).reshape([B * T, H * hs]);
        return tf.sum(tf.mul(o, R));
      };
      const ref = tf.grads(stock)([q, k, v]);
      for (const fastT of [false, true]) {
        const got = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(attentionOp(a, b, c, { ...consts, fastT }), R)))([q, k, v]);
        got.forEach((g, i) => expect(maxDiff(g.dataSync(), ref[i].dataSync())).toBeLessThanOrEqual(1e-5 * maxAbs(ref[i].dataSync())));
        tf.dispose(got);
      }
      // float64 reference: rotate, scaled dot products, masked softmax, weighted values
      const rot = (x: Float64Array, nh: number) => {
        const y = Float64Array.from(x);
        for (let bt = 0; bt < B * T; bt++) {
          const t = bt % T;
          for (let h = 0; h < nh; h++) {
            for (let j = 0; j < hs / 2; j++) {
              const a = t * Math.pow(10000, (-2 * j) / hs);
              const o = (bt * nh + h) * hs;
              const [i0, i1] = style === 'adjacent' ? [o + 2 * j, o + 2 * j + 1] : [o + j, o + j + hs / 2];
              y[i0] = x[i0] * Math.cos(a) - x[i1] * Math.sin(a);
              y[i1] = x[i0] * Math.sin(a) + x[i1] * Math.cos(a);
            }
          }
        }
        return y;
      };
      const loss64 = (qs: Float64Array, ks: Float64Array, vs: Float64Array) => {
        const qr = rot(qs, H);
        const kr = rot(ks, G);
        let total = 0;
        for (let b = 0; b < B; b++) {
          for (let h = 0; h < H; h++) {
            const gk = Math.floor(h / rep);
            for (let t = 0; t < T; t++) {
              const sc: number[] = [];
              for (let s = 0; s < T; s++) {
                let dot = 0;
                for (let i = 0; i < hs; i++) dot += qr[((b * T + t) * H + h) * hs + i] * kr[((b * T + s) * G + gk) * hs + i];
                sc.push(s > t || !keep[b][s] ? -1e9 : dot * scale);
              }
              const mx = Math.max(...sc);
              const e = sc.map((x) => Math.exp(x - mx));
              const z = e.reduce((x, y) => x + y, 0);
              for (let i = 0; i < hs; i++) {
                let o = 0;
                for (let s = 0; s < T; s++) o += (e[s] / z) * vs[((b * T + s) * G + gk) * hs + i];
                total += o * R64[((b * T + t) * H + h) * hs + i];
              }
            }
          }
        }
        return total;
      };
      const [gq, gk, gv] = ref.map((g) => g.dataSync());
      const got = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(attentionOp(a, b, c, consts), R)))([q, k, v]);
      const [fq, fk, fv] = got.map((g) => g.dataSync());
      for (const i of [0, 13, 77, 150, 239]) expect(Math.abs(fd((x) => loss64(x, k64, v64), q64, i) - fq[i])).toBeLessThanOrEqual(2e-3 * maxAbs(gq));
      for (const i of [1, 30, 64, 119]) expect(Math.abs(fd((x) => loss64(q64, x, v64), k64, i) - fk[i])).toBeLessThanOrEqual(2e-3 * maxAbs(gk));
      for (const i of [2, 45, 90, 110]) expect(Math.abs(fd((x) => loss64(q64, k64, x), v64, i) - fv[i])).toBeLessThanOrEqual(2e-3 * maxAbs(gv));
      tf.dispose([cos, sin, bias, swap, consts.cosQ, consts.sinQ, consts.cosK, consts.sinK, q, k, v, R, ...ref, ...got]);
    });
  }

  // The one-kernel native attention against the kernel-by-kernel path on the same native backend: same operations in the
  // same order, so equal bit for bit (training is chaotic under rounding: a 1-ulp change moves the e2e test's accuracy).
  for (const [B, T, H, G, hs, style, perRow] of [
    [2, 7, 4, 2, 6, 'adjacent', true], [3, 16, 6, 6, 8, 'rotate-half', false], [8, 64, 8, 4, 8, 'adjacent', false], [2, 33, 4, 1, 48, 'rotate-half', true],
  ] as const) {
    it(`native LlmarAttention equals the kernel-by-kernel path bit for bit: B ${B}, T ${T}, H ${H}, G ${G}, hs ${hs}, ${style}, ${perRow ? 'per-row padding mask' : 'shared causal mask'}`, (ctx) => {
      if (!nativeAttention()) ctx.skip(); // no addon (e.g. LLMAR_NATIVE=0)
      const rng = new Rng(B * 1000 + T);
      const mask = new Float32Array((perRow ? B : 1) * T * T);
      for (let b = 0; b < (perRow ? B : 1); b++) {
        for (let t = 0; t < T; t++) for (let s = 0; s < T; s++) mask[(b * T + t) * T + s] = s > t || (perRow && b === 1 && s < 2 && t >= 2) ? -1e9 : 0;
      }
      const bias = tf.tensor(mask, [perRow ? B : 1, 1, 1, T, T]);
      const tables = ropeTables(T, hs, 10000, style);
      const swap = tf.tensor2d(pairSwapMatrix(hs, style), [hs, hs]);
      const scale = 1 / Math.sqrt(hs);
      const make = (native: boolean): AttentionConsts => {
        const tab = (src: Float32Array, heads: number, f: number) => (native ? tiledTable(src, 1, T, 1, hs, f) : tiledTable(src, B, T, heads, hs, f));
        return {
          B, T, H, G, hs, swap, bias, fastT: true, style, native,
          cosQ: tab(tables.cos, H, scale), sinQ: tab(tables.sinSigned, H, scale), cosK: tab(tables.cos, G, 1), sinK: tab(tables.sinSigned, G, 1),
        };
      };
      const q = tf.tensor2d(Float32Array.from(randn(rng, B * T * H * hs)), [B * T, H * hs]);
      const k = tf.tensor2d(Float32Array.from(randn(rng, B * T * G * hs)), [B * T, G * hs]);
      const v = tf.tensor2d(Float32Array.from(randn(rng, B * T * G * hs)), [B * T, G * hs]);
      const R = tf.tensor2d(Float32Array.from(randn(rng, B * T * H * hs)), [B * T, H * hs]);
      const outs = [false, true].map((native) => {
        const c = make(native);
        const before = tf.memory().numTensors;
        const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor, x: tf.Tensor) => tf.sum(tf.mul(attentionOp(a, b, x, c), R)))([q, k, v]);
        const o = tf.tidy(() => attentionOp(q, k, v, c));
        const res = [o, ...grads].map((t) => t.dataSync().slice());
        tf.dispose([value, o, ...grads]);
        expect(tf.memory().numTensors).toBe(before);
        tf.dispose([c.cosQ, c.sinQ, c.cosK, c.sinK]);
        return res;
      });
      for (let i = 0; i < 4; i++) {
        expect(outs[1][i].every(Number.isFinite)).toBe(true);
        expect(outs[1][i]).toEqual(outs[0][i]);
      }
      tf.dispose([bias, swap, q, k, v, R]);
    });
  }

  it('addSame, reshapeFree, frozenProject and frozenGather give the stock values and gradients, and leak nothing', () => {
    const rng = new Rng(7);
    const a = tf.tensor2d(Float32Array.from(randn(rng, 12)), [3, 4]);
    const b = tf.tensor2d(Float32Array.from(randn(rng, 12)), [3, 4]);
    const W = tf.tensor2d(Float32Array.from(randn(rng, 20)), [5, 4]);
    const R = tf.tensor2d(Float32Array.from(randn(rng, 15)), [3, 5]);
    const before = tf.memory().numTensors;
    const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(frozenProject(reshapeFree(reshapeFree(addSame(x, y), [12]), [3, 4]), W), R));
    const s = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(tf.add(x, y), W, false, true), R));
    const [g1, h1] = tf.grads(f)([a, b]);
    const [g0, h0] = tf.grads(s)([a, b]);
    expect(maxDiff(g1.dataSync(), g0.dataSync())).toBeLessThanOrEqual(1e-6 * maxAbs(g0.dataSync()));
    expect(maxDiff(h1.dataSync(), h0.dataSync())).toBeLessThanOrEqual(1e-6 * maxAbs(h0.dataSync()));
    const WT = tf.transpose(W);
    const g2 = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(frozenProject(x, W, WT), R)))(a);
    expect(maxDiff(g2.dataSync(), g0.dataSync())).toBeLessThanOrEqual(1e-6 * maxAbs(g0.dataSync()));
    const rows = tf.tidy(() => frozenGather(W, tf.tensor1d([4, 0, 4], 'int32')).dataSync());
    const Wv = W.dataSync();
    expect(Array.from(rows)).toEqual([...Wv.slice(16, 20), ...Wv.slice(0, 4), ...Wv.slice(16, 20)]);
    tf.dispose([g1, h1, g0, h0, g2, WT]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, b, W, R]);
  });

  it('causalLmLoss with equal weights (mean, no mask) and an upstream factor: gradient (softmax − onehot)·c/N in float64 (1e-6)', () => {
    const rng = new Rng(8);
    const [N, V] = [6, 9];
    const lg = randn(rng, N * V, 2);
    const tg = Array.from({ length: N }, () => rng.int(V));
    const logits = tf.tensor2d(Float32Array.from(lg), [N, V]);
    const targets = tf.tensor1d(tg, 'int32');
    for (const c of [1, 2.5]) {
      const g = tf.grad((x: tf.Tensor) => tf.mul(causalLmLoss(x, targets), c))(logits);
      const gv = g.dataSync();
      for (let n = 0; n < N; n++) {
        const row = lg.slice(n * V, (n + 1) * V);
        const mx = Math.max(...row);
        const z = row.reduce((s, x) => s + Math.exp(x - mx), 0);
        for (let j = 0; j < V; j++) {
          const want = (c * (Math.exp(row[j] - mx) / z - (j === tg[n] ? 1 : 0))) / N;
          expect(Math.abs(gv[n * V + j] - want)).toBeLessThanOrEqual(1e-6);
        }
      }
      g.dispose();
    }
    tf.dispose([logits, targets]);
  });

  it('causalLmLoss gives the same gradient through its one-hot fallback (backends without TensorScatterUpdate, 1e-7)', () => {
    const rng = new Rng(9);
    const lg = tf.tensor2d(Array.from({ length: 6 * 9 }, () => rng.normal()), [6, 9]);
    const tg = tf.tensor1d([1, 2, 3, 4, 5, 0], 'int32');
    const mk = tf.tensor1d([1, 0, 1, 1, 0.5, 1]);
    const grads = () => [tf.grad((x: tf.Tensor) => causalLmLoss(x, tg, mk))(lg), tf.grad((x: tf.Tensor) => causalLmLoss(x, tg))(lg)];
    const g1 = grads();
    const cfg = tf.getKernel('TensorScatterUpdate', tf.getBackend());
    expect(cfg).toBeDefined();
    tf.unregisterKernel('TensorScatterUpdate', tf.getBackend());
    let g2: tf.Tensor[];
    try {
      g2 = grads();
    } finally {
      tf.registerKernel(cfg!);
    }
    g1.forEach((g, k) => expect(maxDiff(g.dataSync(), g2[k].dataSync())).toBeLessThanOrEqual(1e-7));
    tf.dispose([lg, tg, mk, ...g1, ...g2]);
  });
});
