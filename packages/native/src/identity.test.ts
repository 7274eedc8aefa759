// The Identity kernel (tf.clone, the gradient tape's copies of saved tensors) shares the input's memory: no copy, the
// values stay valid after either tensor is disposed, and the backend frees the memory once both are gone.
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { loadAddon } from './addon';
import { registerNativeKernels } from './register';
import type { TfLike } from './types';

const BACKEND = process.env.LLMAR_BACKEND === 'cpu' ? 'cpu' : 'wasm';
const { addon, reason } = loadAddon();
if (!addon) console.warn(`@llmar/native Identity tests skipped: ${reason}`);

describe.skipIf(!addon)(`Identity on ${BACKEND}`, () => {
  beforeAll(async () => {
    await tf.setBackend(BACKEND);
    await tf.ready();
    expect(registerNativeKernels(tf as unknown as TfLike, BACKEND).kernels).toContain('Identity');
  });
  const dataIds = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();

  it('clones share memory and outlive their source; memory is freed with the last of them', () => {
    const d0 = dataIds(), n0 = tf.memory().numTensors;
    const a = tf.tensor([1.5, -2, 3.25, 7], [2, 2]);
    const b = a.clone();
    const c = tf.clone(b);
    expect(dataIds()).toBe(d0 + 1); // one buffer for the three tensors
    a.dispose();
    expect(Array.from(c.dataSync())).toEqual([1.5, -2, 3.25, 7]);
    b.dispose();
    expect(c.shape).toEqual([2, 2]);
    expect(Array.from(c.dataSync())).toEqual([1.5, -2, 3.25, 7]);
    c.dispose();
    expect(dataIds()).toBe(d0);
    expect(tf.memory().numTensors).toBe(n0);
  });

  it('int32 and bool clones keep their dtype and values; a variable assigned a clone keeps it after the source goes', () => {
    const i = tf.tensor1d([3, -4, 5], 'int32');
    const ic = i.clone();
    expect(ic.dtype).toBe('int32');
    expect(Array.from(ic.dataSync())).toEqual([3, -4, 5]);
    const v = tf.variable(tf.zeros([3]));
    const src = tf.tensor1d([0.5, 0.25, 0.125]);
    v.assign(src.clone());
    src.dispose();
    expect(Array.from(v.dataSync())).toEqual([0.5, 0.25, 0.125]);
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(x, x)))(v); // the tape saves x through Identity
    expect(Array.from(g.dataSync())).toEqual([1, 0.5, 0.25]);
    tf.dispose([i, ic, v, g]);
  });

  it('Cast to the same dtype shares memory; real conversions still convert', () => {
    const d0 = dataIds();
    const a = tf.tensor1d([1.5, -2, 0]);
    const same = tf.cast(a, 'float32');
    expect(dataIds()).toBe(d0 + 1);
    const asInt = tf.cast(a, 'int32');
    const back = tf.cast(asInt, 'float32');
    a.dispose();
    expect(Array.from(same.dataSync())).toEqual([1.5, -2, 0]);
    expect(asInt.dtype).toBe('int32');
    expect(Array.from(asInt.dataSync())).toEqual([1, -2, 0]);
    expect(back.dtype).toBe('float32');
    expect(Array.from(back.dataSync())).toEqual([1, -2, 0]);
    tf.dispose([same, asInt, back]);
    expect(dataIds()).toBe(d0);
  });
});
