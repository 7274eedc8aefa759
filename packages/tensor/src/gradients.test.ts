// The lean gradients give tfjs's own gradients bit for bit: every case runs with both registrations and compares the
// raw float32 values exactly, on the backend the tests pick (wasm by default, with the native kernels when built).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { tf, initBackend } from './index';
import { installLeanGradients, uninstallLeanGradients, leanGradientsInstalled } from './gradients';

type F = (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

const cases: [string, number[], number[], F][] = [
  ['mul same shape', [5, 7], [5, 7], (a, b) => tf.mul(a, b)],
  ['mul bias', [4, 6], [6], (a, b) => tf.mul(a, b)],
  ['mul column', [6, 1], [6, 5], (a, b) => tf.mul(a, b)],
  ['mul outer', [3, 1, 4], [2, 1], (a, b) => tf.mul(a, b)],
  ['mul scalar', [9], [], (a, b) => tf.mul(a, b)],
  ['div same shape', [5, 7], [5, 7], (a, b) => tf.div(a, tf.add(tf.abs(b), 0.5))],
  ['div broadcast', [4, 6], [4, 1], (a, b) => tf.div(a, tf.add(tf.abs(b), 0.5))],
  ['div scalar denominator', [3, 5], [], (a, b) => tf.div(a, tf.add(tf.abs(b), 0.5))],
  ['sum all', [4, 5], [4, 5], (a, b) => tf.sum(tf.mul(a, b))],
  ['sum axis 0 keepDims', [4, 5], [5], (a, b) => tf.mul(tf.sum(a, 0, true), b)],
  ['sum axes 1,2', [3, 4, 5], [3], (a, b) => tf.mul(tf.sum(a, [1, 2]), b)],
  ['sum negative axis', [3, 4, 5], [3, 4], (a, b) => tf.mul(tf.sum(a, -1), b)],
  ['mean all', [4, 5], [4, 5], (a, b) => tf.mean(tf.mul(a, b))],
  ['mean axis 1', [6, 7], [6], (a, b) => tf.mul(tf.mean(a, 1), b)],
  ['mean axes 0,2 keepDims', [3, 4, 5], [1, 4, 1], (a, b) => tf.mul(tf.mean(a, [0, 2], true), b)],
  ['chain with NaN and zeros', [2, 3], [2, 3], (a, b) => tf.sum(tf.div(tf.mul(a, tf.relu(b)), tf.add(tf.square(b), 1)))],
];

function gradsOf(f: F, sa: number[], sb: number[], seed: number): Float32Array[] {
  return tf.tidy(() => {
    const a = tf.randomNormal(sa, 0, 1, 'float32', seed);
    const b = tf.randomNormal(sb, 0, 1, 'float32', seed + 1);
    const r = tf.valueAndGrads((x: tf.Tensor, y: tf.Tensor) => tf.sum(f(x, y)) as tf.Scalar)([a, b]);
    return [r.value, ...r.grads].map((t) => t.dataSync() as Float32Array);
  });
}

/** `run` with the lean gradients, then with tfjs's own; the lean ones stay installed. */
function leanAndStock<T>(run: () => T): [T, T] {
  installLeanGradients();
  const lean = run();
  uninstallLeanGradients();
  const stock = run();
  installLeanGradients();
  return [lean, stock];
}

describe('lean gradients of Multiply, RealDiv, Sum, Mean', () => {
  beforeAll(async () => {
    await initBackend();
  });
  afterAll(() => installLeanGradients());

  it('are installed by initBackend', () => {
    expect(leanGradientsInstalled()).toBe(true);
  });

  cases.forEach(([name, sa, sb, f], i) => {
    it(`${name}: bit for bit tfjs's own`, () => {
      const [lean, stock] = leanAndStock(() => gradsOf(f, sa, sb, 10 * i + 1));
      expect(lean.map((x) => Array.from(x))).toEqual(stock.map((x) => Array.from(x)));
      expect(lean[1].some((v) => v !== 0)).toBe(true);
    });
  });

  it('an int32 operand of Multiply is cast as tfjs does', () => {
    const run = () =>
      tf.tidy(() => Array.from(tf.grad((x: tf.Tensor) => tf.sum(tf.mul(x, tf.tensor1d([1, -2, 3], 'int32'))))(tf.tensor1d([0.5, 1, 2])).dataSync()));
    const [lean, stock] = leanAndStock(run);
    expect(lean).toEqual(stock);
    expect(lean).toEqual([1, -2, 3]);
  });

  it('second derivatives through them match tfjs and 6x + 2 for x³ + x²', () => {
    const run = () =>
      tf.tidy(() => {
        const x = tf.tensor1d([0.5, -1.5, 2]);
        const d2 = tf.grad((y: tf.Tensor) => tf.sum(tf.grad((z: tf.Tensor) => tf.sum(tf.add(tf.mul(tf.mul(z, z), z), tf.mul(z, z))))(y)))(x);
        return Array.from(d2.dataSync());
      });
    const [lean, stock] = leanAndStock(run);
    expect(lean).toEqual(stock);
    [0.5, -1.5, 2].forEach((x, i) => expect(lean[i]).toBeCloseTo(6 * x + 2, 5));
  });

  it('leak no tensors', () => {
    const n0 = tf.memory().numTensors;
    gradsOf(cases[3][3], cases[3][1], cases[3][2], 99);
    gradsOf(cases[14][3], cases[14][1], cases[14][2], 98);
    expect(tf.memory().numTensors).toBe(n0);
  });
});
