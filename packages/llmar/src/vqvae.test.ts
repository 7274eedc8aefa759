import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@llmar/tensor';
import { ActionConvNet, upsample2, smoothL1 } from './vqvae';

/** Independent float64 reference of PyTorch's Conv1d on channels-last arrays: x [L][Cin], w [k][Cin][Cout]. */
function conv64(x: number[][], w: number[][][], b: number[], stride: number, pad: number, dil: number): number[][] {
  const L = x.length;
  const k = w.length;
  const cout = b.length;
  const lout = Math.floor((L + 2 * pad - dil * (k - 1) - 1) / stride) + 1;
  const out: number[][] = [];
  for (let t = 0; t < lout; t++) {
    const row = b.slice();
    for (let j = 0; j < k; j++) {
      const s = t * stride + j * dil - pad;
      if (s < 0 || s >= L) continue;
      for (let ci = 0; ci < x[s].length; ci++) for (let co = 0; co < cout; co++) row[co] += x[s][ci] * w[j][ci][co];
    }
    out.push(row);
  }
  return out;
}
const relu = (x: number[][]) => x.map((r) => r.map((v) => Math.max(0, v)));
const add = (a: number[][], b: number[][]) => a.map((r, i) => r.map((v, j) => v + b[i][j]));

function params(net: ActionConvNet, name: string): { w: number[][][]; b: number[] } {
  const w = net.params.get(`${name}.weight`)!.arraySync() as number[][][];
  const b = net.params.get(`${name}.bias`)!.arraySync() as number[];
  return { w, b };
}

/** The encoder written out from DESIGN.md / stage1_torch.py with the float64 conv above. */
function encode64(net: ActionConvNet, x: number[][]): number[][] {
  const o = net.options;
  const c = (name: string, h: number[][], stride = 1, pad = 1, dil = 1) => {
    const p = params(net, name);
    return conv64(h, p.w, p.b, stride, pad, dil);
  };
  const res = (prefix: string, h: number[][]) => {
    for (let j = 0; j < o.depth; j++) {
      const dil = o.dilationGrowth ** (o.depth - 1 - j);
      h = add(h, c(`${prefix}.${j}.conv2`, relu(c(`${prefix}.${j}.conv1`, relu(h), 1, dil, dil)), 1, 0, 1));
    }
    return h;
  };
  let h = relu(c('enc.in', x));
  for (let i = 0; i < o.downsamples; i++) h = res(`enc.res${i}`, c(`enc.down${i}`, h, 2, 1));
  return c('enc.out', h);
}

describe('action VQ-VAE convolutions', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('encoder matches a float64 reference of the T2M-GPT design (dilations 9, 3, 1; stride-2 k4 down-sampling)', () => {
    const net = new ActionConvNet({ inputDim: 6, codeDim: 5, width: 8, depth: 3, dilationGrowth: 3, downsamples: 2, seed: 3 });
    const V = 16;
    const x = Array.from({ length: V }, (_, t) => Array.from({ length: 6 }, (_, c) => Math.sin(0.3 * t + c) + 0.1 * c));
    const got = tf.tidy(() => net.encode(tf.tensor3d([x])).arraySync())[0] as number[][];
    const want = encode64(net, x);
    expect(got.length).toBe(V / 4);
    let maxErr = 0;
    for (let i = 0; i < want.length; i++) for (let j = 0; j < 5; j++) maxErr = Math.max(maxErr, Math.abs(got[i][j] - want[i][j]));
    // float32 accumulation over ~10 layers of width 8: 1e-4 absolute on outputs of order 1
    expect(maxErr).toBeLessThan(1e-4);
    net.dispose();
  });

  it('decoder restores the input length; shapes follow W = V / 2^downsamples', () => {
    const net = new ActionConvNet({ inputDim: 150, codeDim: 16, width: 8, depth: 2, downsamples: 2 });
    const f = tf.tidy(() => {
      const z = net.encode(tf.zeros([2, 64, 150]) as tf.Tensor3D);
      return [z.shape, net.decode(z).shape];
    });
    expect(f).toEqual([[2, 16, 16], [2, 64, 150]]);
    expect(() => tf.tidy(() => net.encode(tf.zeros([1, 30, 150]) as tf.Tensor3D))).toThrow(/divisible by 4/);
    net.dispose();
  });

  it('nearest up-sampling: the gradient of sum(up(x) * r) at frame l is r[2l] + r[2l + 1]', () => {
    const [B, L, C] = [3, 5, 4];
    const x = tf.randomNormal([B, L, C], 0, 1, 'float32', 3) as tf.Tensor3D;
    const r = tf.randomNormal([B, 2 * L, C], 0, 1, 'float32', 4);
    const n0 = tf.memory().numTensors;
    const g = tf.tidy(() => tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(upsample2(xi as tf.Tensor3D), r)))(x).dataSync());
    expect(tf.memory().numTensors).toBe(n0);
    const rv = r.dataSync();
    for (let b = 0; b < B; b++) {
      for (let l = 0; l < L; l++) {
        for (let c = 0; c < C; c++) {
          const want = rv[(b * 2 * L + 2 * l) * C + c] + rv[(b * 2 * L + 2 * l + 1) * C + c];
          expect(Math.abs(g[(b * L + l) * C + c] - want)).toBeLessThan(1e-6 * (1 + Math.abs(want)));
        }
      }
    }
    tf.dispose([x, r]);
  });

  it('nearest up-sampling repeats frames; SmoothL1 matches its float64 definition', () => {
    const up = tf.tidy(() => upsample2(tf.tensor3d([[[1, 2], [3, 4]]])).arraySync());
    expect(up).toEqual([[[1, 2], [1, 2], [3, 4], [3, 4]]]);
    const a = [0.1, -2.5, 0.9, 3, -0.2, 1.0];
    const b = [0, 0, -0.5, 1.5, 0.7, 0];
    const ref = a.reduce((s, v, i) => {
      const d = Math.abs(v - b[i]);
      return s + (d < 1 ? 0.5 * d * d : d - 0.5);
    }, 0) / a.length;
    const got = tf.tidy(() => smoothL1(tf.tensor1d(a), tf.tensor1d(b)).dataSync()[0]);
    expect(got).toBeCloseTo(ref, 6);
  });

  it('conv layers on the fused native kernels give the values and gradients of the unfused ops (conv, bias add, ReLUs)', () => {
    const fused = ['LlmarConv1dBiasAct', 'LlmarConv1dBiasActGrad'];
    const backend = tf.getBackend();
    const saved = fused.map((k) => tf.getKernel(k, backend));
    if (saved.some((k) => !k)) {
      console.warn('vqvae fused-conv comparison skipped: the @llmar/native fused conv kernels are not registered');
      return;
    }
    const net = new ActionConvNet({ inputDim: 9, codeDim: 6, width: 10, depth: 2, dilationGrowth: 3, downsamples: 2, seed: 5 });
    const x = tf.tidy(() => tf.randomNormal([3, 16, 9], 0, 1, 'float32', 7) as tf.Tensor3D);
    const r = tf.tidy(() => tf.randomNormal([3, 16, 9], 0, 1, 'float32', 8));
    const vars = [...net.params.values()];
    const run = () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(net.decode(net.encode(x)), r)) as tf.Scalar, vars);
        return [value.dataSync()[0], vars.map((v) => grads[v.name].dataSync())] as const;
      });
    const [vf, gf] = run();
    for (const k of fused) tf.unregisterKernel(k, backend);
    let unfused: ReturnType<typeof run>;
    try {
      unfused = run();
    } finally {
      for (const k of saved) tf.registerKernel(k!);
    }
    const [vu, gu] = unfused;
    expect(Math.abs(vf - vu)).toBeLessThan(1e-5 * (1 + Math.abs(vu)));
    gu.forEach((g, i) => {
      let d = 0, n = 0;
      g.forEach((w, j) => {
        d += (gf[i][j] - w) ** 2;
        n += w * w;
      });
      expect(Math.sqrt(d / Math.max(n, 1e-30)), vars[i].name).toBeLessThan(1e-5);
    });
    tf.dispose([x, r]);
    net.dispose();
  });

  it('SmoothL1 gradient is clip(pred − target, −1, 1) / n (and its negative for the target)', () => {
    const a = [0.1, -2.5, 0.9, 3, -0.2, 1.0, 0.5];
    const b = [0, 0, -0.5, 1.5, 0.7, 0, 0.5];
    const [ga, gb] = tf.tidy(() => tf.grads((p: tf.Tensor, t: tf.Tensor) => smoothL1(p, t))([tf.tensor1d(a), tf.tensor1d(b)]).map((g) => Array.from(g.dataSync())));
    a.forEach((v, i) => {
      const want = Math.max(-1, Math.min(1, v - b[i])) / a.length;
      expect(ga[i]).toBeCloseTo(want, 7);
      expect(gb[i]).toBeCloseTo(-want, 7);
    });
  });
});
