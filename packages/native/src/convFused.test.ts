// The fused conv layer kernels (LlmarConv1dBiasAct and its gradient) against float64 maths, on seeded random
// geometries: strides, dilations, odd sizes, padding wider than the kernel reach, each ReLU flag, with and without bias.
import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { loadAddon } from './addon';
import { nativeSuite, relErr, rng } from './test-utils';

const BACKEND = process.env.LLMAR_BACKEND === 'cpu' ? 'cpu' : 'wasm';
const { addon, reason } = loadAddon();
if (!addon) console.warn(`@llmar/native fused conv tests skipped: ${reason}`);
const TOL = 1e-5;

interface Geo { B: number; L: number; cin: number; k: number; cout: number; stride: number; pad: number; dilation: number; pre: boolean; post: boolean; bias: boolean }

/** float64 forward y and the gradients of sum(y * dy). */
function reference(g: Geo, x: Float32Array, w: Float32Array, b: Float32Array, dy: Float32Array) {
  const lout = Math.floor((g.L + 2 * g.pad - g.dilation * (g.k - 1) - 1) / g.stride) + 1;
  const z = Float64Array.from(x, (v) => (g.pre && v <= 0 ? 0 : v));
  const u = new Float64Array(g.B * lout * g.cout);
  for (let n = 0; n < g.B; n++)
    for (let l = 0; l < lout; l++)
      for (let o = 0; o < g.cout; o++) {
        let s = g.bias ? b[o] : 0;
        for (let j = 0; j < g.k; j++) {
          const i = l * g.stride - g.pad + j * g.dilation;
          if (i < 0 || i >= g.L) continue;
          for (let c = 0; c < g.cin; c++) s += z[(n * g.L + i) * g.cin + c] * w[(j * g.cin + c) * g.cout + o];
        }
        u[(n * lout + l) * g.cout + o] = s;
      }
  const y = u.map((v) => (g.post && v <= 0 ? 0 : v));
  const gr = Float64Array.from(dy, (v, i) => (g.post && u[i] <= 0 ? 0 : v));
  const db = new Float64Array(g.cout);
  const dw = new Float64Array(w.length);
  const dz = new Float64Array(x.length);
  for (let n = 0; n < g.B; n++)
    for (let l = 0; l < lout; l++)
      for (let o = 0; o < g.cout; o++) {
        const gv = gr[(n * lout + l) * g.cout + o];
        db[o] += gv;
        for (let j = 0; j < g.k; j++) {
          const i = l * g.stride - g.pad + j * g.dilation;
          if (i < 0 || i >= g.L) continue;
          for (let c = 0; c < g.cin; c++) {
            const xi = (n * g.L + i) * g.cin + c, wi = (j * g.cin + c) * g.cout + o;
            dw[wi] += z[xi] * gv;
            dz[xi] += w[wi] * gv;
          }
        }
      }
  const dx = dz.map((v, i) => (g.pre && x[i] <= 0 ? 0 : v));
  return { y, dx, dw, db, lout };
}

describe.skipIf(!addon)(`fused conv layer kernels on ${BACKEND} against float64`, () => {
  // every micro-kernel level this CPU has: AVX-512 runs the implicit-GEMM convolutions, the others im2col + GEMM
  const { simds, initialSimd } = nativeSuite(tf, BACKEND, addon);

  const r = rng(4321);
  const cases: Geo[] = [];
  for (let t = 0; t < 14; t++) {
    const k = r.int(1, 5), dilation = t % 3 === 1 ? r.int(2, 9) : 1, stride = t % 4 === 2 ? 2 : t === 7 ? 3 : 1;
    const pad = t === 5 ? dilation * (k - 1) + 2 : r.int(0, Math.ceil((dilation * (k - 1)) / 2) + (t % 2));
    const L = Math.max(r.int(5, 40), dilation * (k - 1) + 1 - 2 * pad + 1);
    cases.push({
      B: r.int(1, 4), L, cin: r.int(1, 37), k, cout: r.int(1, 45), stride, pad, dilation,
      pre: t % 2 === 0, post: t % 4 < 2, bias: t !== 3,
    });
  }
  // the VQ-VAE's own layer shapes: k3 dilation 9 with 9 padding, k4 stride 2, pointwise, the stage-1 input layer
  cases.push({ B: 5, L: 32, cin: 24, k: 3, cout: 24, stride: 1, pad: 9, dilation: 9, pre: true, post: true, bias: true });
  cases.push({ B: 3, L: 16, cin: 20, k: 4, cout: 20, stride: 2, pad: 1, dilation: 1, pre: false, post: false, bias: true });
  cases.push({ B: 2, L: 11, cin: 33, k: 1, cout: 17, stride: 1, pad: 0, dilation: 1, pre: false, post: true, bias: true });
  cases.push({ B: 6, L: 64, cin: 150, k: 3, cout: 64, stride: 1, pad: 1, dilation: 1, pre: false, post: true, bias: true });

  for (const g of cases) {
    it(`geometry ${JSON.stringify(g)}`, () => {
      const x = r.normal(g.B * g.L * g.cin), w = r.normal(g.k * g.cin * g.cout), b = r.normal(g.cout);
      const lout = Math.floor((g.L + 2 * g.pad - g.dilation * (g.k - 1) - 1) / g.stride) + 1;
      const dy = r.normal(g.B * lout * g.cout);
      const want = reference(g, x, w, b, dy);
      const attrs = { stride: g.stride, pad: g.pad, dilation: g.dilation, preRelu: g.pre, postRelu: g.post };
      for (const simd of simds) {
        addon!.setSimd(simd);
        const n0 = tf.memory().numTensors;
        const got = tf.tidy(() => {
          const xt = tf.tensor(x, [g.B, g.L, g.cin]), wt = tf.tensor(w, [g.k, g.cin, g.cout]), bt = tf.tensor(b, [g.cout]);
          const inputs: tf.NamedTensorMap = g.bias ? { x: xt, filter: wt, bias: bt } : { x: xt, filter: wt };
          const y = tf.engine().runKernel('LlmarConv1dBiasAct', inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
          const dyt = tf.tensor(dy, y.shape);
          const grads = tf.engine().runKernel('LlmarConv1dBiasActGrad', { ...inputs, y, dy: dyt }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
          expect(grads.length).toBe(g.bias ? 3 : 2);
          expect(y.shape).toEqual([g.B, lout, g.cout]);
          return { y: y.dataSync(), grads: grads.map((t) => t.dataSync()) };
        });
        expect(tf.memory().numTensors).toBe(n0);
        expect(relErr(got.y, want.y), simd).toBeLessThan(TOL);
        expect(relErr(got.grads[0], want.dx), simd).toBeLessThan(TOL);
        expect(relErr(got.grads[1], want.dw), simd).toBeLessThan(TOL);
        if (g.bias) expect(relErr(got.grads[2], want.db), simd).toBeLessThan(TOL);
      }
      addon!.setSimd(initialSimd!);
    });
  }

  it('calls it cannot serve throw BAD_ARGUMENT naming the input', () => {
    const x = tf.ones([2, 5, 3]), w = tf.ones([3, 4, 2]), b = tf.ones([3]);
    const w2 = tf.ones([3, 3, 2]), w9 = tf.ones([9, 3, 2]);
    const run = (inputs: tf.NamedTensorMap, attrs: object) => () => tf.engine().runKernel('LlmarConv1dBiasAct', inputs, attrs as tf.NamedAttrMap);
    expect(run({ x, filter: w }, {})).toThrow(/BAD_ARGUMENT.*filter \[3,4,2\] must be \[k, 3, Cout\]/);
    expect(run({ x, filter: w2, bias: b }, {})).toThrow(/bias \[3\] must be \[2\]/);
    expect(run({ x, filter: w9 }, { pad: 1 })).toThrow(/empty problem/);
    expect(run({ x, filter: w2 }, { stride: 0 })).toThrow(/stride 0/);
    tf.dispose([x, w, b, w2, w9]);
  });
});
