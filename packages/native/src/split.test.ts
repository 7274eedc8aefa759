// Native SplitV against slices computed in JavaScript from the input values (every axis, counts, sizes with −1, empty
// pieces, a long 1-D vector as an optimizer splits it), the stock fallback for int32, and no tensor leaks.
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { loadAddon } from './addon';
import { registerNativeKernels } from './register';
import { splitSizes } from './split';
import type { TfLike } from './types';
import { rng } from './test-utils';

const BACKEND = process.env.LLMAR_BACKEND === 'cpu' ? 'cpu' : 'wasm';
const { addon } = loadAddon();

/** Piece p of x (row-major values, shape) along axis, by index arithmetic. */
function refPiece(values: Float32Array, shape: number[], axis: number, start: number, size: number): number[] {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1), inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let o = 0; o < outer; o++)
    for (let a = start; a < start + size; a++)
      for (let i = 0; i < inner; i++) out.push(values[(o * shape[axis] + a) * inner + i]);
  return out;
}

describe('splitSizes', () => {
  it('normalises counts and sizes with one −1; rejects what tfjs rejects', () => {
    expect(splitSizes(3, 12)).toEqual([4, 4, 4]);
    expect(splitSizes([2, -1, 3], 10)).toEqual([2, 5, 3]);
    expect(splitSizes([0, 10], 10)).toEqual([0, 10]);
    expect(splitSizes(5, 12)).toBeUndefined();
    expect(splitSizes([2, 3], 10)).toBeUndefined();
    expect(splitSizes([-1, -1], 10)).toBeUndefined();
    expect(splitSizes([11, -1], 10)).toBeUndefined();
  });
});

describe.skipIf(!addon)(`native SplitV on ${BACKEND}`, () => {
  beforeAll(async () => {
    await tf.setBackend(BACKEND);
    await tf.ready();
    expect(registerNativeKernels(tf as unknown as TfLike, BACKEND).kernels).toContain('SplitV');
  });

  it('equals index-arithmetic slices on every axis', () => {
    const r = rng(41);
    const cases: [number[], number | number[], number][] = [
      [[24], 4, 0], [[1241686], [1000, -1, 7, 0, 123456], 0], [[3, 10, 4], [2, -1, 3], 1], [[3, 10, 4], 2, -1],
      [[6, 5], [0, 6], 0], [[2, 3, 4, 5], [1, 1, 3], 3],
    ];
    for (const [shape, split, axis] of cases) {
      const v = r.normal(shape.reduce((a, b) => a * b, 1));
      const x = tf.tensor(v, shape);
      const ax = axis < 0 ? axis + shape.length : axis;
      const sizes = splitSizes(split, shape[ax])!;
      const parts = tf.split(x, split, axis);
      let start = 0;
      parts.forEach((p, i) => {
        expect(p.shape).toEqual(shape.map((s, k) => (k === ax ? sizes[i] : s)));
        expect(Array.from(p.dataSync()), `[${shape}] ${JSON.stringify(split)} axis ${axis} piece ${i}`).toEqual(refPiece(v, shape, ax, start, sizes[i]));
        start += sizes[i];
      });
      tf.dispose([x, ...parts]);
    }
  });

  it('int32 goes to the stock kernel; gradients flow; nothing leaks', () => {
    const xi = tf.tensor([1, 2, 3, 4, 5, 6], [3, 2], 'int32');
    const [a, b] = tf.split(xi, [1, 2], 0);
    expect([a.dtype, Array.from(a.dataSync()), Array.from(b.dataSync())]).toEqual(['int32', [1, 2], [3, 4, 5, 6]]);
    tf.dispose([xi, a, b]);
    const x = tf.tensor([1, 2, 3, 4, 5, 6], [6]);
    const g = tf.grad((t: tf.Tensor) => {
      const [p, q] = tf.split(t, [2, 4]);
      return tf.add(tf.sum(tf.mul(p, 3)), tf.sum(q));
    })(x);
    expect(Array.from(g.dataSync())).toEqual([3, 3, 1, 1, 1, 1]);
    tf.dispose(g);
    const n0 = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) tf.dispose(tf.split(x, 3));
    expect(tf.memory().numTensors).toBe(n0);
    x.dispose();
  });
});
