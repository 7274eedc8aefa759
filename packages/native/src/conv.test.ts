// The Llmar* conv kernels (what @llmar/tensor's conv1d calls when native kernels are registered) against a float64
// reference, including stride and dilation together, which tfjs's own conv2d op and gradient refuse.
import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { loadAddon } from './addon';
import { nativeSuite, relErr, rng } from './test-utils';

const BACKEND = process.env.LLMAR_BACKEND === 'cpu' ? 'cpu' : 'wasm';
const { addon, reason } = loadAddon();
if (!addon) console.warn(`@llmar/native conv tests skipped: ${reason}`);
const TOL = 1e-5;

interface Geo { B: number; H: number; W: number; cin: number; kh: number; kw: number; cout: number; sh: number; sw: number; dh: number; dw: number; pt: number; pb: number; pl: number; pr: number }

function outSize(g: Geo): [number, number] {
  return [
    Math.floor((g.H + g.pt + g.pb - g.dh * (g.kh - 1) - 1) / g.sh) + 1,
    Math.floor((g.W + g.pl + g.pr - g.dw * (g.kw - 1) - 1) / g.sw) + 1,
  ];
}

/** float64 y, and dx, dw of sum(y * dy). */
function reference(g: Geo, x: Float32Array, w: Float32Array, dy: Float32Array) {
  const [OH, OW] = outSize(g);
  const y = new Float64Array(g.B * OH * OW * g.cout);
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  for (let b = 0; b < g.B; b++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let i = 0; i < g.kh; i++)
          for (let j = 0; j < g.kw; j++) {
            const ih = oh * g.sh - g.pt + i * g.dh, iw = ow * g.sw - g.pl + j * g.dw;
            if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
            for (let c = 0; c < g.cin; c++) {
              const xi = ((b * g.H + ih) * g.W + iw) * g.cin + c;
              for (let o = 0; o < g.cout; o++) {
                const wi = ((i * g.kw + j) * g.cin + c) * g.cout + o, yi = ((b * OH + oh) * OW + ow) * g.cout + o;
                y[yi] += x[xi] * w[wi];
                dx[xi] += dy[yi] * w[wi];
                dw[wi] += dy[yi] * x[xi];
              }
            }
          }
  return { y, dx, dw };
}

describe.skipIf(!addon)(`Llmar* conv kernels on ${BACKEND} against float64`, () => {
  // every micro-kernel level this CPU has: AVX-512 runs the implicit-GEMM convolutions, the others im2col + GEMM
  const { simds, initialSimd } = nativeSuite(tf, BACKEND, addon);

  const r = rng(31);
  for (let t = 0; t < 10; t++) {
    const oneD = t < 6;
    const g: Geo = {
      B: r.int(1, 3), H: oneD ? 1 : r.int(4, 8), W: r.int(8, 24), cin: r.int(1, 5), kh: oneD ? 1 : r.int(1, 3), kw: r.int(1, 4),
      cout: r.int(1, 6), sh: oneD ? 1 : r.int(1, 2), sw: r.int(1, 3), dh: oneD ? 1 : r.int(1, 2), dw: r.int(1, 3),
      pt: oneD ? 0 : r.int(0, 2), pb: oneD ? 0 : r.int(0, 2), pl: r.int(0, 3), pr: r.int(0, 3),
    };
    if (t === 0) Object.assign(g, { kw: 1, sw: 1, dw: 1, pl: 0, pr: 0 }); // pointwise shortcut
    if (t === 1) Object.assign(g, { kw: 3, sw: 2, dw: 2 }); // stride and dilation together
    it(`geometry ${JSON.stringify(g)}`, () => {
      const [OH, OW] = outSize(g);
      expect(OH).toBeGreaterThan(0);
      expect(OW).toBeGreaterThan(0);
      const x = r.normal(g.B * g.H * g.W * g.cin), w = r.normal(g.kh * g.kw * g.cin * g.cout);
      const dy = r.normal(g.B * OH * OW * g.cout);
      const want = reference(g, x, w, dy);
      const attrs = {
        strides: [g.sh, g.sw], pad: [[0, 0], [g.pt, g.pb], [g.pl, g.pr], [0, 0]], dataFormat: 'NHWC',
        dilations: [g.dh, g.dw], dimRoundingMode: undefined,
      };
      for (const simd of simds) {
        addon!.setSimd(simd);
        const n0 = tf.memory().numTensors;
        const got = tf.tidy(() => {
          const xt = tf.tensor(x, [g.B, g.H, g.W, g.cin]), wt = tf.tensor(w, [g.kh, g.kw, g.cin, g.cout]);
          const dyt = tf.tensor(dy, [g.B, OH, OW, g.cout]);
          const run = (name: string, inputs: tf.NamedTensorMap, extra: object) =>
            (tf.engine().runKernel(name, inputs, { ...attrs, ...extra } as unknown as tf.NamedAttrMap) as tf.Tensor).dataSync();
          return {
            y: run('LlmarConv2D', { x: xt, filter: wt }, {}),
            dx: run('LlmarConv2DBackpropInput', { dy: dyt, filter: wt }, { inputShape: xt.shape }),
            dw: run('LlmarConv2DBackpropFilter', { x: xt, dy: dyt }, { filterShape: wt.shape }),
          };
        });
        expect(tf.memory().numTensors).toBe(n0);
        expect(relErr(got.y, want.y), simd).toBeLessThan(TOL);
        expect(relErr(got.dx, want.dx), simd).toBeLessThan(TOL);
        expect(relErr(got.dw, want.dw), simd).toBeLessThan(TOL);
      }
      addon!.setSimd(initialSimd!);
    });
  }

  it('a call it cannot serve names the input', () => {
    const x = tf.ones([1, 1, 5, 2]), w = tf.ones([1, 2, 3, 4]);
    expect(() => tf.engine().runKernel('LlmarConv2D', { x, filter: w }, { strides: 1, pad: 'valid', dataFormat: 'NHWC' })).toThrow(
      /BAD_ARGUMENT.*input channels 2 vs filter \[1,2,3,4\]/,
    );
    tf.dispose([x, w]);
  });
});
