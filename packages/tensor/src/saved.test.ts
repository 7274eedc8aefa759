// The cheaper save-for-backward clone (saved.ts): first-order gradients bit-identical to tfjs's own clone, exact
// second-order gradients (nested tapes keep tfjs's path), fewer tape nodes, and no leaked tensors or backend memory.
import { describe, it, expect, afterAll } from 'vitest';
import { initBackend, tf, uninstallFastSave, fastSaveInstalled } from './index';

type EngineState = { activeTape: unknown[] | null; gradientDepth: number };
const state = () => (tf.engine() as unknown as { state: EngineState }).state;

/** A small model whose kernels save tensors (square, exp, div, matMul, relu, softmax, logSumExp). */
function loss(w: tf.Tensor2D, x: tf.Tensor2D): tf.Scalar {
  const h = tf.relu(tf.matMul(x, w));
  const p = tf.softmax(tf.div(h, tf.add(tf.square(h), 1)), -1);
  return tf.add(tf.sum(tf.mul(tf.exp(tf.neg(p)), p)), tf.logSumExp(h)) as tf.Scalar;
}

function gradsOf(w: tf.Tensor2D, x: tf.Tensor2D): Float32Array {
  return tf.tidy(() => tf.grad((ww: tf.Tensor) => loss(ww as tf.Tensor2D, x))(w).dataSync() as Float32Array);
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`fast save-for-backward clone on ${backend}`, () => {
    afterAll(() => uninstallFastSave());

    it('is reported by initBackend and off with fastSave: false', async () => {
      expect((await initBackend(backend, { native: false, fastSave: false })).fastSave).toBe(false);
      expect(fastSaveInstalled()).toBe(false);
      const info = await initBackend(backend, { native: false });
      expect(info.fastSave).toBe(true);
      expect(fastSaveInstalled()).toBe(true);
    });

    it('first-order gradients are bit-identical to tfjs clone, with fewer tape nodes and nothing leaked', async () => {
      const w = tf.randomNormal([7, 5], 0, 1, 'float32', 3) as tf.Tensor2D;
      const x = tf.randomNormal([11, 7], 0, 1, 'float32', 4) as tf.Tensor2D;
      const tapeSize = () => {
        let n = 0;
        tf.tidy(() => {
          tf.grad((ww: tf.Tensor) => {
            const l = loss(ww as tf.Tensor2D, x);
            n = state().activeTape?.length ?? 0;
            return l;
          })(w);
        });
        return n;
      };
      await initBackend(backend, { native: false, fastSave: false });
      const stock = gradsOf(w, x);
      const stockNodes = tapeSize();
      await initBackend(backend, { native: false });
      const mem0 = tf.memory();
      const fast = gradsOf(w, x);
      const fastNodes = tapeSize();
      expect(Array.from(fast)).toEqual(Array.from(stock));
      // every saving kernel's clones were tape nodes before: at least the 8 saved inputs/outputs of this model
      expect(stockNodes - fastNodes).toBeGreaterThanOrEqual(8);
      const mem1 = tf.memory();
      expect(mem1.numTensors).toBe(mem0.numTensors);
      expect(mem1.numDataBuffers).toBe(mem0.numDataBuffers);
      tf.dispose([w, x]);
    });

    it('second-order gradients through saved tensors stay exact (d²/dx² of x³ + x² = 6x + 2) and equal tfjs clone', async () => {
      const xs = [-1.5, -0.25, 0, 0.5, 2];
      // square and mul save their inputs: the second derivative needs the tape nodes of those saved tensors
      const f = (v: tf.Tensor) => tf.sum(tf.add(tf.mul(tf.square(v), v), tf.square(v)));
      const second = async (fastSave: boolean) => {
        await initBackend(backend, { native: false, fastSave });
        const x = tf.tensor1d(xs);
        const g2 = tf.tidy(() => tf.grad((v: tf.Tensor) => tf.grad(f)(v).sum())(x).dataSync());
        x.dispose();
        return Array.from(g2);
      };
      const stock = await second(false);
      const fast = await second(true);
      expect(fast).toEqual(stock);
      xs.forEach((v, i) => expect(fast[i]).toBeCloseTo(6 * v + 2, 4));
      expect(state().gradientDepth).toBe(0);
    });

    it('a training loop keeps tensor and buffer counts flat', async () => {
      await initBackend(backend, { native: false });
      const w = tf.variable(tf.randomNormal([7, 5], 0, 0.1, 'float32', 5)) as tf.Variable<tf.Rank.R2>;
      const x = tf.randomNormal([11, 7], 0, 1, 'float32', 6) as tf.Tensor2D;
      const opt = tf.train.sgd(0.1);
      const step = () => tf.tidy(() => { opt.minimize(() => loss(w, x), false, [w]); });
      step();
      const m0 = tf.memory();
      for (let i = 0; i < 5; i++) step();
      const m1 = tf.memory();
      expect(m1.numTensors).toBe(m0.numTensors);
      expect(m1.numDataBuffers).toBe(m0.numDataBuffers);
      expect(Number.isFinite(w.dataSync()[0])).toBe(true);
      tf.dispose([w, x]);
      opt.dispose();
    });
  });
}
