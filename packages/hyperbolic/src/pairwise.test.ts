// pairwiseDist's native path (@llmar/native's LlmarPoincarePairwise kernels, used when registered on the active backend)
// against the JavaScript host path (float64 arithmetic on the same float32 ⟨x,y⟩, ‖x‖², ‖y‖²) and against the float64
// reference with explicit Möbius addition. Without the native kernels (LLMAR_NATIVE=0, no addon) pairwiseDistFused must
// take the host path; the comparisons are then skipped with a notice.
import { describe, it, expect, beforeAll } from 'vitest';
import { tf, initBackend, Rng } from '@llmar/tensor';
import { hasNativePairwise, pairwiseDistFused, pairwiseDistHost, pairwiseDistNative } from './pairwise';
import { PoincareBall64 } from './reference';
import { randomPoints, rows } from './test-helpers';

/** Distances: |native − host| ≤ TOL_DIST·(1 + |host|) (both from the same float32 matMul; log ~1–2 float32 ulp). */
const TOL_DIST = 2e-6;
/**
 * Gradients: ‖native − host‖ / ‖host‖ per input. The kernel's ∂/∂⟨x,y⟩ and ∂/∂‖x‖² are float32 (a few ulp) where the
 * host path rounds float64 values once; gx = ∂⟨x,y⟩·y + 2x·∂‖x‖² then cancels between its two terms at radius 0.995
 * (λ² ~ 1e4), which amplifies that ~10× (worst seen 1.1e-5). A wrong factor or sign gives errors of order 1.
 */
const TOL_GRAD = 5e-5;

function relNorm(a: Float32Array, b: Float32Array): number {
  let d = 0, n = 0;
  for (let i = 0; i < b.length; i++) {
    d += (a[i] - b[i]) ** 2;
    n += b[i] ** 2;
  }
  return Math.sqrt(d) / Math.max(Math.sqrt(n), 1e-30);
}

let native = false;
beforeAll(async () => {
  await initBackend();
  native = hasNativePairwise();
  if (!native) console.warn(`pairwise native tests skipped: no LlmarPoincarePairwise kernel on ${tf.getBackend()}`);
});

describe('pairwiseDist native kernels', () => {
  it('pairwiseDistFused takes the native path exactly when the kernels are registered', () => {
    const x = tf.tensor2d([[0.1, 0.2], [0.3, -0.4]]);
    const y = tf.tensor2d([[0.05, 0.1], [-0.2, 0.1], [0.6, 0.3]]);
    const want = rows(native ? pairwiseDistNative(x, y, 1) : pairwiseDistHost(x, y, 1));
    expect(rows(pairwiseDistFused(x, y, 1))).toEqual(want);
    tf.dispose([x, y]);
  });

  it.each([0.5, 1, 2])('c = %s: values and gradients equal the host path; values are as close to the float64 reference', (c) => {
    if (!native) return;
    const rng = new Rng(Math.round(c * 100));
    const d = 24, n = 21, m = 35;
    const X = randomPoints(rng, n, d, c, 0, 0.995);
    // near-duplicates, exact duplicates and antipodes of X among Y, then fresh points
    const Y = Array.from({ length: m }, (_, j) =>
      j < 7 ? X[j].map((v) => v * (1 + 1e-3 * (j + 1))) : j < 10 ? [...X[j]] : j < 13 ? X[j].map((v) => -v) : randomPoints(rng, 1, d, c, 0, 0.995)[0],
    );
    const x = tf.tensor2d(X), y = tf.tensor2d(Y);
    const dy = tf.randomNormal([n, m], 0, 1, 'float32', 5);
    const loss = (f: typeof pairwiseDistHost) => (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b, c), dy));
    const vn = pairwiseDistNative(x, y, c), vh = pairwiseDistHost(x, y, c);
    const [an, ah] = [vn.dataSync() as Float32Array, vh.dataSync() as Float32Array];
    const worst = Math.max(...Array.from(an, (v, i) => Math.abs(v - ah[i]) / (1 + Math.abs(ah[i]))));
    expect(worst).toBeLessThan(TOL_DIST);
    const ref = new PoincareBall64({ c }).pairwiseDist(X, Y);
    const refErr = (a: Float32Array) => Math.max(...ref.flatMap((r, i) => r.map((v, j) => Math.abs(a[i * m + j] - v) / Math.max(Math.abs(v), 1))));
    // radii up to 0.995 (beyond ball.test.ts's 0.9): float32 inputs alone cost ~1e-4 here, so the native path must be
    // no worse than the host path (+ float32 output rounding), not within a fixed bound
    expect(refErr(an)).toBeLessThan(1.1 * refErr(ah) + 1e-6);
    const gn = tf.grads(loss(pairwiseDistNative))([x, y]);
    const gh = tf.grads(loss(pairwiseDistHost))([x, y]);
    for (let k = 0; k < 2; k++) {
      expect(relNorm(gn[k].dataSync() as Float32Array, gh[k].dataSync() as Float32Array), `∂${'xy'[k]} c ${c}`).toBeLessThan(TOL_GRAD);
    }
    tf.dispose([x, y, dy, vn, vh, ...gn, ...gh]);
  });

  it('forward and backward steps leak no tensors', () => {
    if (!native) return;
    const rng = new Rng(3);
    const x = tf.tensor2d(randomPoints(rng, 9, 5, 1)), y = tf.tensor2d(randomPoints(rng, 4, 5, 1));
    const step = () => tf.tidy(() => {
      const [gx, gy] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(pairwiseDistNative(a, b, 1)))([x, y]);
      return tf.add(tf.sum(gx), tf.sum(gy));
    });
    tf.dispose(step());
    const n0 = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) tf.dispose([step(), pairwiseDistNative(x, y, 1)]);
    expect(tf.memory().numTensors).toBe(n0);
    tf.dispose([x, y]);
  });
});
