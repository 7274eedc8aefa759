import { describe, it, expect, beforeAll } from 'vitest';
import { tf, initBackend, Rng } from '@llmar/tensor';
import { PoincareBall } from './ball';
import { PoincareBall64, type Mat } from './reference';
import { RiemannianAdam } from './optim';
import { HyperbolicError } from './errors';
import { randomPoints, randomTangent, vecWithNorm, l2, l2diff, allFinite } from './test-helpers';

/** Two RiemannianAdam steps recomputed in float64 from the formulas, with PoincareBall64's maps. */
function referenceSteps(ref: PoincareBall64, x0: Mat, gs: Mat[], o: { lr: number; b1: number; b2: number; eps: number; retraction: boolean }): Mat {
  return x0.map((row, i) => {
    let x = row;
    let m = row.map(() => 0);
    let v = 0;
    gs.forEach((g, k) => {
      const t = k + 1;
      const r = ref.egrad2rgrad(x, g[i]);
      m = m.map((a, j) => o.b1 * a + (1 - o.b1) * r[j]);
      v = o.b2 * v + (1 - o.b2) * ref.inner(x, r);
      const den = Math.sqrt(v / (1 - o.b2 ** t)) + o.eps;
      const u = m.map((a) => (-o.lr * a) / (1 - o.b1 ** t) / den);
      const next = o.retraction ? ref.project(x.map((a, j) => a + u[j])) : ref.expmap(x, u);
      m = ref.transp(x, next, m);
      x = next;
    });
    return x;
  });
}

describe('RiemannianAdam', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('three steps equal the float64 recomputation (expmap and retraction updates, c ∈ {0.5, 1, 2})', () => {
    // float32 steps of geodesic length ≤ lr = 0.05 from points at √c‖x‖ ≤ 0.9: each step's rounding is ~1e-6 of the
    // ball radius (see ball.test.ts), three steps and a transported moment stay below 1e-5.
    for (const c of [0.5, 1, 2]) {
      for (const retraction of [false, true]) {
        const rng = new Rng(11 + c * 10 + (retraction ? 1 : 0));
        const d = 16;
        const x0 = randomPoints(rng, 5, d, c);
        const gs = [0, 1, 2].map(() => x0.map(() => randomTangent(rng, d, 0.1, 2)));
        const ball = new PoincareBall({ c });
        const opt = new RiemannianAdam(ball, { lr: 0.05, update: retraction ? 'retraction' : 'expmap' });
        const p = tf.variable(tf.tensor2d(x0));
        for (const g of gs) {
          const G = tf.tensor2d(g);
          opt.applyGradients([p], [G]);
          G.dispose();
        }
        expect(opt.stepsOf(p)).toBe(3);
        const got = p.arraySync() as Mat;
        const want = referenceSteps(new PoincareBall64({ c, boundaryEps: ball.boundaryEps }), x0, gs, {
          lr: 0.05, b1: 0.9, b2: 0.999, eps: 1e-8, retraction,
        });
        got.forEach((row, i) => {
          expect(l2diff(row, want[i]) * Math.sqrt(c)).toBeLessThan(1e-5);
          expect(l2diff(row, x0[i]) * Math.sqrt(c)).toBeGreaterThan(1e-3); // it did move
        });
        opt.dispose();
        p.dispose();
      }
    }
  });

  it('decreases Σ d(xᵢ, target) to near 0, keeps points inside the ball, leaks no tensors', () => {
    for (const [c, d] of [[1, 16], [2, 512]] as const) {
      const rng = new Rng(5 + d);
      const ball = new PoincareBall({ c });
      const target = tf.tensor2d([vecWithNorm(rng, d, 0.6 / Math.sqrt(c))]);
      const p = tf.variable(tf.tensor2d(randomPoints(rng, 8, d, c, 0.5, 0.95)), true, `codebook-${c}-${d}`);
      const opt = new RiemannianAdam(ball, { lr: 0.05 });
      const loss = () => tf.sum(ball.dist(p, target)) as tf.Scalar;
      const first = tf.tidy(() => loss().dataSync()[0]);
      let before = 0;
      let last = first;
      for (let k = 0; k < 150; k++) {
        if (k === 2) before = tf.memory().numTensors;
        const cost = opt.minimize(loss, [p], true)!;
        last = cost.dataSync()[0];
        cost.dispose();
        if (k % 25 === 0) {
          const norms = tf.tidy(() => tf.norm(p, 2, -1).dataSync());
          expect(Math.max(...norms)).toBeLessThanOrEqual(ball.maxNorm * (1 + 1e-6));
        }
      }
      expect(tf.memory().numTensors).toBe(before);
      console.log(`c=${c} d=${d}: mean distance ${first / 8} -> ${last / 8}`);
      expect(first / 8).toBeGreaterThan(1); // started at mean distance > 1
      expect(last / 8).toBeLessThan(0.05); // Adam's steps shrink with the gradient's sign flips: within a few lr
      opt.dispose();
      tf.dispose([p, target]);
    }
  });

  it('stays inside the ball and finite when the objective pushes points at the edge outwards', () => {
    const ball = new PoincareBall({ c: 1 });
    const rng = new Rng(3);
    const p = tf.variable(tf.tensor2d(Array.from({ length: 6 }, () => vecWithNorm(rng, 32, ball.maxNorm))));
    for (const update of ['expmap', 'retraction'] as const) {
      const opt = new RiemannianAdam(ball, { lr: 0.5, update });
      for (let k = 0; k < 20; k++) opt.minimize(() => tf.neg(tf.sum(ball.dist0(p))) as tf.Scalar, [p]);
      const v = p.dataSync();
      expect(allFinite(v)).toBe(true);
      const rows = p.arraySync() as Mat;
      rows.forEach((r) => expect(l2(r)).toBeLessThanOrEqual(ball.maxNorm * (1 + 1e-6)));
      opt.dispose();
    }
    p.dispose();
  });

  it('accepts a NamedTensorMap from tf.variableGrads and rejects bad options and shapes', () => {
    const ball = new PoincareBall({ c: 1 });
    const p = tf.variable(tf.tensor2d([[0.1, 0.2], [0.3, -0.1]]), true, 'named-param');
    const opt = new RiemannianAdam(ball, { lr: 0.1 });
    const { grads, value } = tf.variableGrads(() => tf.sum(ball.dist0(p)) as tf.Scalar, [p]);
    const before = p.arraySync() as Mat;
    opt.applyGradients(grads);
    expect(opt.stepsOf(p)).toBe(1);
    // moving towards the origin: every norm shrinks
    (p.arraySync() as Mat).forEach((r, i) => expect(l2(r)).toBeLessThan(l2(before[i])));
    tf.dispose([value, ...Object.values(grads)]);
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(HyperbolicError);
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(err(() => new RiemannianAdam(ball, { lr: -1 }))).toMatch(/BAD_OPTION.*lr.*got -1/);
    expect(err(() => new RiemannianAdam(ball, { beta1: 1 }))).toMatch(/BAD_OPTION.*beta1.*got 1/);
    expect(err(() => new RiemannianAdam(ball, { update: 'sgd' as 'expmap' }))).toMatch(/BAD_OPTION.*got sgd/);
    expect(err(() => new RiemannianAdam({ c: 1 } as PoincareBall))).toMatch(/BAD_OPTION/);
    const g = tf.zeros([3, 2]);
    expect(err(() => opt.applyGradients([p], [g]))).toMatch(/SHAPE_MISMATCH.*\[3,2\].*named-param \[2,2\]/);
    expect(err(() => opt.applyGradients({ nope: g }))).toMatch(/BAD_OPTION.*"nope"/);
    expect(err(() => opt.applyGradients([p], []))).toMatch(/SHAPE_MISMATCH.*1 params but 0 gradients/);
    tf.dispose([g, p]);
    opt.dispose();
  });
});
