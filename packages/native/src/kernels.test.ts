// Contract tests: every native kernel registered into tfjs equals the stock cpu kernel (values and gradients) on seeded
// random shapes. Runs on wasm (default) or cpu (LLMAR_BACKEND=cpu). This package must not import @llmar/tensor (it is
// the dependency the other way round), so the tests drive tfjs directly, as @llmar/tensor does.
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { loadAddon } from './addon';
import { registerNativeKernels, unregisterNativeKernels, nativeKernels } from './register';
import type { TfLike } from './types';
import { relErr, rng } from './test-utils';
import { setHeapPopulate } from './access';

const BACKEND = process.env.LLMAR_BACKEND === 'cpu' ? 'cpu' : 'wasm';
const { addon, reason } = loadAddon();
if (!addon) console.warn(`@llmar/native kernel tests skipped: ${reason}`);
const TF = tf as unknown as TfLike;
/** Norm-wise relative error allowed between native and stock cpu float32 results. */
const TOL = 1e-5;

interface Case {
  name: string;
  inputs: { shape: number[]; values: Float32Array }[];
  /** Returns the output and gradients with respect to every input (for sum(out * dy) with a fixed random dy). */
  run: (xs: tf.Tensor[]) => tf.Tensor[];
}

function withGrads(f: (xs: tf.Tensor[]) => tf.Tensor, seed: number) {
  return (xs: tf.Tensor[]) => {
    const y = f(xs);
    const dy = tf.tensor(rng(seed).normal(y.size), y.shape);
    const g = tf.grads((...ins: tf.Tensor[]) => tf.sum(tf.mul(f(ins), dy)))(xs);
    return [y, ...g];
  };
}

function input(r: ReturnType<typeof rng>, shape: number[]) {
  return { shape, values: r.normal(shape.reduce((a, b) => a * b, 1)) };
}

function matMulCases(): Case[] {
  const r = rng(2024);
  const out: Case[] = [];
  for (let t = 0; t < 16; t++) {
    const ta = t % 2 === 1, tb = t % 4 >= 2;
    const M = r.int(1, 40), N = r.int(1, 40), K = t === 5 ? 0 : r.int(1, 60);
    const batch = t < 8 ? [] : t < 12 ? [r.int(2, 3)] : [2, r.int(2, 3)];
    // stock cpu broadcasts only when one side has no batch (its index is bi % batchDim)
    const aBatch = t >= 14 ? [] : batch, bBatch = t === 13 ? [] : batch;
    const a = input(r, [...aBatch, ...(ta ? [K, M] : [M, K])]);
    const b = input(r, [...bBatch, ...(tb ? [N, K] : [K, N])]);
    const name = `BatchMatMul a[${a.shape}] b[${b.shape}] ta=${ta} tb=${tb}`;
    const f = (xs: tf.Tensor[]) => tf.matMul(xs[0], xs[1], ta, tb);
    // tfjs 4.22's own BatchMatMul gradient does not reduce broadcast batch dims: gradients only for equal batches
    const sameBatch = aBatch.length === bBatch.length;
    out.push({ name, inputs: [a, b], run: sameBatch && K > 0 ? withGrads(f, t) : (xs) => [f(xs)] });
  }
  return out;
}

function fusedCases(): Case[] {
  const r = rng(77);
  const acts = ['linear', 'relu', 'relu6', 'leakyrelu', 'sigmoid', 'elu', 'prelu'] as const;
  return acts.map((activation, t) => {
    const M = r.int(3, 30), N = r.int(3, 30), K = r.int(1, 40);
    const bias = input(r, t === 2 ? [1] : t === 3 ? [M, N] : [N]);
    const a = input(r, [M, K]), b = input(r, [N, K]);
    const alpha = input(r, t === 6 ? [M, N] : [N]);
    const f = (xs: tf.Tensor[]) =>
      tf.fused.matMul({
        a: xs[0] as tf.Tensor2D, b: xs[1] as tf.Tensor2D, transposeB: true, bias: xs[2], activation,
        preluActivationWeights: activation === 'prelu' ? xs[3] : undefined, leakyreluAlpha: 0.1,
      });
    const ins = activation === 'prelu' ? [a, b, bias, alpha] : [a, b, bias];
    // tfjs has gradients for linear/relu/relu6/elu/prelu fused activations only
    const graded = ['linear', 'relu', 'relu6', 'elu'].includes(activation);
    return { name: `_FusedMatMul ${activation} bias[${bias.shape}]`, inputs: ins, run: graded ? withGrads(f, t) : (xs) => [f(xs)] };
  });
}

function convCases(): Case[] {
  const r = rng(9);
  const out: Case[] = [];
  for (let t = 0; t < 10; t++) {
    const B = r.int(1, 3), H = t < 5 ? 1 : r.int(3, 9), W = r.int(5, 17), cin = r.int(1, 6), cout = r.int(1, 7);
    const dil = t % 3 === 2 ? 2 : 1;
    // kernel no wider than the input once dilated ('valid' needs an output)
    const kh = Math.min(H === 1 ? 1 : r.int(1, 3), Math.floor((H - 1) / dil) + 1);
    const kw = Math.min(r.int(1, 4), Math.floor((W - 1) / dil) + 1);
    const stride = dil === 1 ? r.int(1, 2) : 1; // tf.conv2d refuses stride > 1 with dilation > 1
    const pad = t % 2 === 0 ? 'same' : 'valid';
    const x = input(r, [B, H, W, cin]), w = input(r, [kh, kw, cin, cout]);
    const f = (xs: tf.Tensor[]) => tf.conv2d(xs[0] as tf.Tensor4D, xs[1] as tf.Tensor4D, stride, pad, 'NHWC', dil);
    out.push({
      name: `Conv2D x[${x.shape}] w[${w.shape}] stride ${stride} dilation ${dil} ${pad}`,
      inputs: [x, w], run: dil === 1 ? withGrads(f, t) : (xs) => [f(xs)], // tfjs's Conv2D gradient refuses dilation
    });
  }
  return out;
}

function elementwiseCases(): Case[] {
  const r = rng(55);
  const out: Case[] = [];
  const pairs: [number[], number[]][] = [
    [[7, 33], [7, 33]], [[9, 40], [40]], [[40], [9, 40]], [[5, 6, 7], [6, 7]], [[3, 1, 8], [8]], [[11, 13], [1]],
    [[2, 3], []], [[6, 1], [6, 5]], [[0, 4], [4]],
    // repeated operands: a column over a matrix, an outer combination, trailing 1s over 3-D, and one only stock can do
    [[9, 5], [9, 1]], [[5, 1], [1, 7]], [[4, 3, 6], [4, 3, 1]], [[1], [8, 1]], [[2, 1, 3], [2, 4, 3]],
  ];
  const ops = { Add: tf.add, Sub: tf.sub, Multiply: tf.mul, Minimum: tf.minimum, Maximum: tf.maximum, RealDiv: tf.div } as const;
  pairs.forEach(([sa, sb], t) => {
    for (const [name, op] of Object.entries(ops)) {
      const a = input(r, sa), b = input(r, sb);
      if (name === 'RealDiv') b.values = b.values.map((v) => Math.sign(v || 1) * (Math.abs(v) + 0.5)); // away from 0
      const f = (xs: tf.Tensor[]) => op(xs[0], xs[1]);
      // tfjs 4.22's own Minimum / Maximum gradients do not reduce broadcast axes: gradients for equal shapes only
      const graded = !['Minimum', 'Maximum'].includes(name) || sa.join() === sb.join();
      out.push({ name: `${name} [${sa}] [${sb}]`, inputs: [a, b], run: graded ? withGrads(f, 100 + t) : (xs) => [f(xs)] });
    }
  });
  const sums: [number[], number | number[] | null, boolean][] = [
    [[37, 29], 0, false], [[37, 29], -1, true], [[5, 6, 7], null, false], [[5, 6, 7], [1, 2], false], [[5, 6, 7], [0, 2], true],
    [[4, 300, 3], 1, false], [[3, 0, 2], 1, false],
  ];
  sums.forEach(([shape, axis, keep], t) => {
    const x = input(r, shape);
    const f = (xs: tf.Tensor[]) => tf.sum(xs[0], axis ?? undefined, keep);
    out.push({ name: `Sum [${shape}] axis ${JSON.stringify(axis)} keepDims ${keep}`, inputs: [x], run: withGrads(f, 200 + t) });
    const g = (xs: tf.Tensor[]) => tf.mean(xs[0], axis ?? undefined, keep);
    out.push({ name: `Mean [${shape}] axis ${JSON.stringify(axis)} keepDims ${keep}`, inputs: [x], run: withGrads(g, 250 + t) });
  });
  // Log of positive values (values and gradient); its special values are checked exactly below
  for (const shape of [[7, 33], [1], [300, 129]]) {
    const x = input(r, shape);
    x.values = x.values.map((v) => Math.abs(v) + 0.05);
    out.push({ name: `Log [${shape}]`, inputs: [x], run: withGrads((xs) => tf.log(xs[0]), 400 + shape[0]) });
  }
  // Exp (values and gradient) and GatherV2 (values; the stock gradient needs UnsortedSegmentSum, absent on wasm)
  for (const shape of [[7, 33], [1], [300, 129], [0, 3]]) {
    const x = input(r, shape);
    out.push({ name: `Exp [${shape}]`, inputs: [x], run: withGrads((xs) => tf.exp(xs[0]), 300 + shape[0]) });
  }
  const gathers: [number[], number[], number][] = [[[50, 7], [5], 0], [[4, 9, 3], [2, 2], 1], [[6, 20], [7], 1], [[3, 40], [0], 0], [[11, 64], [9, 3], 0]];
  gathers.forEach(([shape, idxShape, axis]) => {
    const x = input(r, shape);
    const n = idxShape.reduce((a, b) => a * b, 1);
    const idx = Int32Array.from({ length: n }, () => r.int(0, shape[axis] - 1));
    out.push({
      name: `GatherV2 [${shape}] indices [${idxShape}] axis ${axis}`, inputs: [x],
      run: (xs) => [tf.gather(xs[0], tf.tensor(idx, idxShape, 'int32'), axis)],
    });
  });
  // Transpose (values and gradient, itself a transpose): size-1 axes, merged axes, a moving last axis, empty, rank 1-6,
  // and one large enough to be split over the threads
  const perms: [number[], number[]][] = [
    [[7, 33], [1, 0]], [[8, 64, 8, 8], [0, 2, 1, 3]], [[8, 8, 64, 8], [0, 2, 1, 3]], [[3, 1, 5, 1, 4], [4, 2, 0, 3, 1]],
    [[2, 3, 4, 5, 6, 7], [5, 3, 1, 0, 4, 2]], [[9], [0]], [[4, 0, 3], [2, 0, 1]], [[1, 1], [1, 0]], [[64, 65, 70], [2, 0, 1]],
    [[5, 6, 7], [0, 1, 2]], [[6, 5, 4, 3], [1, 0, 3, 2]],
  ];
  perms.forEach(([shape, perm], t) => {
    const x = input(r, shape);
    out.push({ name: `Transpose [${shape}] perm [${perm}]`, inputs: [x], run: withGrads((xs) => tf.transpose(xs[0], perm), 500 + t) });
  });
  return out;
}

const CASES = [...matMulCases(), ...fusedCases(), ...convCases(), ...elementwiseCases()];

function evaluate(c: Case): Float32Array[] {
  return tf.tidy(() => c.run(c.inputs.map((i) => tf.tensor(i.values, i.shape))).map((t) => t.dataSync() as Float32Array));
}

describe.skipIf(!addon)(`native kernels on ${BACKEND} equal the stock cpu kernels`, () => {
  let reference: Float32Array[][] = [];
  let registered: string[] = [];

  beforeAll(async () => {
    await tf.setBackend('cpu');
    await tf.ready();
    reference = CASES.map(evaluate); // stock cpu, before anything native is registered
    await tf.setBackend(BACKEND);
    await tf.ready();
    const res = registerNativeKernels(TF, BACKEND);
    expect(res.reason).toBeUndefined();
    registered = res.kernels;
  });

  it('registers the matMul and conv kernels', () => {
    for (const k of ['BatchMatMul', '_FusedMatMul', 'Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'LlmarConv2D', 'Add', 'Sub', 'Multiply', 'Minimum', 'Maximum', 'RealDiv', 'Sum', 'Mean', 'Exp', 'Log', 'GatherV2', 'Identity', 'Transpose']) {
      expect(registered).toContain(k);
    }
    expect(registerNativeKernels(TF, BACKEND).kernels).toEqual(registered); // idempotent
  });

  CASES.forEach((c, i) => {
    it(c.name, () => {
      const got = evaluate(c);
      expect(got.length).toBe(reference[i].length);
      got.forEach((g, j) => {
        expect(g.length, `${c.name} output ${j} size`).toBe(reference[i][j].length);
        expect(relErr(g, reference[i][j]), `${c.name} output ${j}`).toBeLessThan(TOL);
      });
    });
  });

  it('Exp, Log, Minimum and Maximum keep IEEE special values (NaN, ±inf, 0, overflow, underflow) as Math does', () => {
    const xs = [0, -0, 1, -1, 0.5, 88, 88.7, 89, 100, -87, -87.5, -100, -1e4, NaN, Infinity, -Infinity, 1e-30, 3e38];
    // 35 values: the vector loop and its masked tail both run
    const vals = Float32Array.from([...xs, ...xs.slice(0, 17).map((v) => v / 3)]);
    const f32 = (v: number) => Math.fround(v);
    const close = (got: number, want: number) =>
      Number.isNaN(want) ? Number.isNaN(got) : !Number.isFinite(want) || Math.abs(want) < 1.2e-38 ? (Math.abs(want) < 1.2e-38 ? Math.abs(got) < 1.2e-38 : got === want) : Math.abs(got - want) <= 4e-7 * Math.abs(want);
    const [e, l, mn, mx] = tf.tidy(() => {
      const x = tf.tensor(vals);
      const y = tf.tensor(vals.map((v) => -v).reverse());
      return [tf.exp(x), tf.log(x), tf.minimum(x, y), tf.maximum(x, tf.scalar(0.5))].map((t) => t.dataSync());
    });
    const ys = vals.map((v) => -v).reverse();
    vals.forEach((v, i) => {
      expect(close(e[i], f32(Math.exp(v))), `exp(${v}) = ${e[i]}`).toBe(true);
      expect(close(l[i], f32(Math.log(v))), `log(${v}) = ${l[i]}`).toBe(true);
      expect(close(mn[i], Math.min(v, ys[i])), `min(${v}, ${ys[i]}) = ${mn[i]}`).toBe(true);
      expect(close(mx[i], Math.max(v, 0.5)), `max(${v}, 0.5) = ${mx[i]}`).toBe(true);
    });
  });

  it('general batch broadcasting ([2,1,..] x [1,3,..]) against float64', () => {
    const r = rng(4);
    const M = 4, K = 5, N = 3;
    const av = r.normal(2 * M * K), bv = r.normal(3 * K * N);
    const y = tf.tidy(() => tf.matMul(tf.tensor(av, [2, 1, M, K]), tf.tensor(bv, [1, 3, K, N])).dataSync());
    expect(y.length).toBe(6 * M * N);
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 3; j++) {
        const want: number[] = [];
        for (let m = 0; m < M; m++) {
          for (let n = 0; n < N; n++) {
            let s = 0;
            for (let k = 0; k < K; k++) s += av[i * M * K + m * K + k] * bv[j * K * N + k * N + n];
            want.push(s);
          }
        }
        const off = (i * 3 + j) * M * N;
        expect(relErr(y.subarray(off, off + M * N), want)).toBeLessThan(TOL);
      }
    }
  });

  it('keeps working when the wasm heap grows during an output allocation, without leaking tensors', () => {
    const r = rng(8);
    const a = tf.tensor(r.normal(3 * 2), [3, 2]);
    const b = tf.tensor(r.normal(2 * 5), [2, 5]);
    const want = tf.tidy(() => tf.mul(a.expandDims(2), b.expandDims(0)).sum(1).dataSync()); // independent of BatchMatMul
    const heap = () => (tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } }).wasm?.HEAPU8.buffer.byteLength ?? 0;
    const before = heap();
    const n0 = tf.memory().numTensors;
    // a [3072, 1] x [1, 4096] product needs a 48 MB output: larger than the free heap, so makeOutput grows it
    const big = tf.tidy(() => tf.matMul(tf.ones([3072, 1]), tf.ones([1, 4096])).sum().dataSync()[0]);
    expect(big).toBe(3072 * 4096);
    if (BACKEND === 'wasm') expect(heap()).toBeGreaterThan(before);
    for (let step = 0; step < 5; step++) {
      const y = tf.tidy(() => tf.matMul(a, b).dataSync());
      expect(relErr(y, want)).toBeLessThan(TOL);
    }
    expect(tf.memory().numTensors).toBe(n0);
    a.dispose();
    b.dispose();
  });

  it('populate maps pages without changing them, refuses ranges outside the region, and runs on each wasm heap growth', () => {
    const buf = new Uint8Array(3 << 20);
    for (let i = 0; i < buf.length; i += 4093) buf[i] = (i % 251) + 1;
    const copy = buf.slice();
    const code = addon!.populate(buf, 5, buf.length - 5);
    // 0 on Linux 5.14+, EINVAL (22) on older kernels, -1 elsewhere: never a failure of the caller's
    expect([0, 22, -1]).toContain(code);
    expect(Buffer.from(buf).equals(Buffer.from(copy))).toBe(true);
    expect(() => addon!.populate(buf, 1, buf.length)).toThrow(/outside the region of 3145728 bytes/);
    if (BACKEND !== 'wasm') return;
    const calls: [number, number][] = [];
    setHeapPopulate((heap, off, bytes) => {
      calls.push([off, bytes]);
      return addon!.populate(heap, off, bytes);
    });
    try {
      const heap = () => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length;
      const before = heap();
      // a native product with a 96 MB output: makeOutput grows the heap, the kernel populates the new part
      const s = tf.tidy(() => tf.matMul(tf.ones([6144, 1]), tf.ones([1, 4096])).sum().dataSync()[0]);
      expect(s).toBe(6144 * 4096);
      expect(heap()).toBeGreaterThan(before);
      expect(calls.length).toBeGreaterThan(0);
      const [off, bytes] = calls[calls.length - 1];
      expect(off + bytes).toBe(heap());
      expect(bytes).toBeGreaterThan(0);
    } finally {
      setHeapPopulate((heap, off, bytes) => addon!.populate(heap, off, bytes));
    }
  });

  it('training steps through every native kernel leak neither tensors nor backend memory', () => {
    const r = rng(12);
    const x = tf.tensor(r.normal(4 * 9 * 3), [4, 1, 9, 3]);
    const w = tf.variable(tf.tensor(r.normal(3 * 3 * 5), [1, 3, 3, 5]));
    const v = tf.variable(tf.tensor(r.normal(5 * 2), [5, 2]));
    const bias = tf.variable(tf.zeros([2]));
    const opt = tf.train.sgd(0.01);
    const step = () =>
      opt.minimize(() => {
        const h = tf.relu(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')).reshape([36, 5]);
        const y = tf.add(tf.matMul(h, v), bias);
        return tf.mean(tf.mul(y, y));
      }, true) as tf.Scalar;
    const dataIds = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    tf.dispose(step());
    const n0 = tf.memory().numTensors, d0 = dataIds();
    const losses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const l = step();
      losses.push(l.dataSync()[0]);
      l.dispose();
    }
    expect(tf.memory().numTensors).toBe(n0);
    expect(dataIds()).toBe(d0);
    expect(losses[3]).toBeLessThan(losses[0]);
    tf.dispose([x, w, v, bias]);
    opt.dispose();
  });

  it('unregister restores the stock kernels; register again brings the native ones back', () => {
    const restored = unregisterNativeKernels(TF, BACKEND);
    expect(restored).toEqual(registered);
    expect(nativeKernels(BACKEND)).toEqual([]);
    expect(tf.getKernel('LlmarConv2D', BACKEND)).toBeUndefined();
    expect(tf.getKernel('BatchMatMul', BACKEND)).toBeDefined();
    const y = tf.tidy(() => tf.matMul(tf.ones([2, 3]), tf.ones([3, 2])).dataSync());
    expect(Array.from(y)).toEqual([3, 3, 3, 3]);
    expect(registerNativeKernels(TF, BACKEND).kernels).toEqual(registered);
  });

  it('refuses a backend that is not active or not supported, with a reason', () => {
    const other = BACKEND === 'wasm' ? 'cpu' : 'wasm';
    const res = registerNativeKernels(TF, other);
    expect(res.ok).toBe(false);
    expect(res.reason).toMatch(/not the active one/);
    expect(registerNativeKernels(TF, 'webgl').reason).toMatch(/not wasm or cpu/);
    expect(registerNativeKernels({ ...TF, version_core: '4.21.0' } as TfLike, 'cpu').reason).toMatch(/4\.21\.0 is not the pinned/);
  });
});
