import { describe, it, expect, beforeAll } from 'vitest';
import { tf, initBackend, Rng } from '@llmar/tensor';
import { PoincareBall } from './ball';
import { PoincareBall64, type Mat } from './reference';
import { HyperbolicError } from './errors';
import { CURVATURES, WIDTHS, SEEDS, randomPoints, randomTangent, rows, values, l2, l2diff } from './test-helpers';

/**
 * float32 (tfjs) against the float64 reference, over seeds × c ∈ {0.5, 1, 2} × d ∈ {2, 16, 512, 5120}, points with
 * √c‖x‖ ≤ 0.9. Errors are measured per row: points as √c‖a − b‖ (relative to the ball's radius), tangent vectors as
 * ‖a − b‖ / max(‖b‖, 1), distances as |a − b| / max(|b|, 1).
 * Tolerances: float32 rounding is 6e-8; sums over d ≤ 5120 terms add ≲ √d·6e-8 ≈ 4e-6 in practice; artanh and
 * division by 1 − c‖x‖² amplify by at most 1/(1 − z²) ≈ 100 for z ≤ 0.9945 (the largest √c‖(−x)⊕y‖ here). The bounds
 * below are 5-10× the worst error seen over all cells on wasm and cpu (printed by the last test), so a real bug (a
 * wrong sign or factor gives errors ≥ 1e-2) cannot pass while rounding differences between backends do.
 */
const TOL = {
  point: 1e-5, // single operations returning points (worst seen ≈ 1.2e-6)
  chained: 1e-4, // geodesic / expmap∘logmap: two ⊕ and a ⊗ through radius ≈ 0.99 (worst seen ≈ 4e-5)
  tangent: 5e-5, // log maps, transport: (1 − c‖x‖²)-sized divisors (worst seen ≈ 6.5e-6)
  dist: 5e-5, // artanh near 0.9945 amplifies ~100× (worst seen ≈ 8.5e-6)
};
const ROWS_PER_SEED = 6;
const grid = CURVATURES.flatMap((c) => WIDTHS.map((d) => ({ c, d })));

interface Cell {
  c: number;
  d: number;
  ball: PoincareBall;
  ref: PoincareBall64;
  x: Mat;
  y: Mat;
  u: Mat;
}

function cells(): Cell[] {
  return grid.map(({ c, d }) => {
    const rng = new Rng(d * 7 + Math.round(c * 100));
    const n = SEEDS.length * ROWS_PER_SEED;
    const x = randomPoints(rng, n, d, c);
    const y = randomPoints(rng, n, d, c);
    const u = Array.from({ length: n }, () => randomTangent(rng, d, 0, 3 / Math.sqrt(c)));
    return { c, d, ball: new PoincareBall({ c }), ref: new PoincareBall64({ c }), x, y, u };
  });
}

const worst: Record<string, number> = {};
function track(name: string, err: number, tol: number): void {
  worst[name] = Math.max(worst[name] ?? 0, err);
  expect(err, name).toBeLessThan(tol);
}
const t2 = (m: Mat) => tf.tensor2d(m);

function pointErr(cell: Cell, a: Mat, b: Mat): number {
  return Math.max(...a.map((r, i) => l2diff(r, b[i]) * Math.sqrt(cell.c)));
}
function tangentErr(a: Mat, b: Mat): number {
  return Math.max(...a.map((r, i) => l2diff(r, b[i]) / Math.max(l2(b[i]), 1)));
}
function scalarErr(a: number[], b: number[]): number {
  return Math.max(...a.map((v, i) => Math.abs(v - b[i]) / Math.max(Math.abs(b[i]), 1)));
}

describe('PoincareBall (float32) against PoincareBall64 (float64)', () => {
  let all: Cell[];
  beforeAll(async () => {
    await initBackend();
    all = cells();
  });

  it('mobiusAdd, mobiusScalarMul, expmap0, expmap, project, geodesic, lambdaX, egrad2rgrad', () => {
    for (const cell of all) {
      tf.engine().startScope();
      const { ball, ref, x, y, u } = cell;
      const [X, Y, U] = [t2(x), t2(y), t2(u)];
      track('mobiusAdd', pointErr(cell, rows(ball.mobiusAdd(X, Y)), x.map((a, i) => ref.mobiusAdd(a, y[i]))), TOL.point);
      const r = x.map((_, i) => (i % 5) * 0.7 - 1.2);
      track('mobiusScalarMul', pointErr(cell, rows(ball.mobiusScalarMul(tf.tensor2d(r, [r.length, 1]), X)), x.map((a, i) => ref.mobiusScalarMul(r[i], a))), TOL.point);
      track('expmap0', pointErr(cell, rows(ball.expmap0(U)), u.map((a) => ref.expmap0(a))), TOL.point);
      const us = u.map((a, i) => {
        const lam = ref.lambdaX(x[i]);
        return a.map((v) => v / lam);
      });
      track('expmap', pointErr(cell, rows(ball.expmap(X, t2(us))), x.map((a, i) => ref.expmap(a, us[i]))), TOL.point);
      const big = u.map((a) => a.map((v) => v * 10));
      track('project', pointErr(cell, rows(ball.project(t2(big))), big.map((a) => new PoincareBall64({ c: cell.c, boundaryEps: ball.boundaryEps }).project(a))), TOL.point);
      track('project(inside)', pointErr(cell, rows(ball.project(X)), x), 1e-7);
      const t = x.map((_, i) => i / (x.length - 1));
      track('geodesic', pointErr(cell, rows(ball.geodesic(tf.tensor2d(t, [t.length, 1]), X, Y)), x.map((a, i) => ref.geodesic(t[i], a, y[i]))), TOL.chained);
      track('lambdaX', scalarErr(values(ball.lambdaX(X, false)), x.map((a) => ref.lambdaX(a))), 1e-5);
      track('egrad2rgrad', tangentErr(rows(ball.egrad2rgrad(X, U)), x.map((a, i) => ref.egrad2rgrad(a, u[i]))), TOL.point);
      tf.dispose([X, Y, U]);
      tf.engine().endScope();
    }
  });

  it('logmap0, logmap, dist, dist0, inner, gyration, transp, weightedMidpoint, mobiusMatvec', () => {
    for (const cell of all) {
      tf.engine().startScope();
      const { ball, ref, x, y, u, d } = cell;
      const [X, Y, U] = [t2(x), t2(y), t2(u)];
      track('logmap0', tangentErr(rows(ball.logmap0(X)), x.map((a) => ref.logmap0(a))), TOL.tangent);
      track('logmap', tangentErr(rows(ball.logmap(X, Y)), x.map((a, i) => ref.logmap(a, y[i]))), TOL.tangent);
      track('dist', scalarErr(values(ball.dist(X, Y)), x.map((a, i) => ref.dist(a, y[i]))), TOL.dist);
      track('dist0', scalarErr(values(ball.dist0(X)), x.map((a) => ref.dist0(a))), TOL.dist);
      track('inner', scalarErr(values(ball.inner(X, U, Y)), x.map((a, i) => ref.inner(a, u[i], y[i]))), TOL.tangent);
      track('gyration', tangentErr(rows(ball.gyration(X, Y, U)), x.map((a, i) => ref.gyration(a, y[i], u[i]))), TOL.point);
      track('transp', tangentErr(rows(ball.transp(X, Y, U)), x.map((a, i) => ref.transp(a, y[i], u[i]))), TOL.tangent);
      // midpoints of 3 consecutive rows, weights 1..3
      const groups = [0, 3, 6, 9].map((s) => x.slice(s, s + 3));
      const w = [1, 2, 3];
      const mid = rows(ball.weightedMidpoint(tf.tensor3d(groups), tf.tensor2d([w, w, w, w])));
      track('weightedMidpoint', pointErr(cell, mid, groups.map((g) => ref.weightedMidpoint(g, w))), TOL.point);
      const m = Array.from({ length: 8 }, (_, i) => randomTangent(new Rng(i + d), d, 0.5, 2).map((v) => v / Math.sqrt(d)));
      track('mobiusMatvec', pointErr(cell, rows(ball.mobiusMatvec(t2(m), X)), x.map((a) => ref.mobiusMatvec(m, a))), TOL.point);
      tf.dispose([X, Y, U]);
      tf.engine().endScope();
    }
  });

  it.each(['fused', 'ops'] as const)('pairwiseDist (%s) equals dist pair by pair (float32) and the float64 reference', (kernel) => {
    for (const cell of all) {
      tf.engine().startScope();
      const { ref, x, y } = cell;
      const ball = new PoincareBall({ c: cell.c, pairwiseKernel: kernel });
      const [X, Y] = [t2(x), t2(y.slice(0, 10))];
      const P = rows(ball.pairwiseDist(X, Y));
      const R = ref.pairwiseDist(x, y.slice(0, 10));
      const Xr = tf.tile(tf.expandDims(X, 1), [1, 10, 1]);
      const Yr = tf.tile(tf.expandDims(Y, 0), [x.length, 1, 1]);
      const D = rows(ball.dist(Xr, Yr));
      track(`pairwiseDist-${kernel}-vs-ref`, Math.max(...P.map((r, i) => scalarErr(r, R[i]))), TOL.dist);
      track(`pairwiseDist-${kernel}-vs-dist`, Math.max(...P.map((r, i) => scalarErr(r, D[i]))), TOL.dist);
      tf.dispose([X, Y, Xr, Yr]);
      tf.engine().endScope();
    }
  });

  it('float32 identities: exp0∘log0, expmap∘logmap, symmetry, dist0 = dist(0, ·), left cancellation', () => {
    for (const cell of all) {
      tf.engine().startScope();
      const { ball, x, y } = cell;
      const [X, Y] = [t2(x), t2(y)];
      track('exp0∘log0', pointErr(cell, rows(tf.tidy(() => ball.expmap0(ball.logmap0(X)))), x), TOL.point);
      track('expmap∘logmap', pointErr(cell, rows(tf.tidy(() => ball.expmap(X, ball.logmap(X, Y)))), y), TOL.chained);
      track('symmetry', scalarErr(values(ball.dist(X, Y)), values(ball.dist(Y, X))), TOL.dist);
      track('dist(0,x)', scalarErr(values(tf.tidy(() => ball.dist(tf.zerosLike(X), X))), values(ball.dist0(X))), 1e-5);
      track('left-cancel', pointErr(cell, rows(tf.tidy(() => ball.mobiusAdd(tf.neg(X), ball.mobiusAdd(X, Y)))), y), 3e-4); // x ⊕ y reaches radius ≈ 0.99: ~50× float32 loss
      tf.dispose([X, Y]);
      tf.engine().endScope();
    }
  });

  it('leaks no tensors', () => {
    const cell = all[5];
    const X = t2(cell.x);
    const Y = t2(cell.y);
    const XY = tf.stack([X, Y], 1);
    const before = tf.memory().numTensors;
    for (let k = 0; k < 3; k++) {
      const b = cell.ball;
      tf.dispose([b.mobiusAdd(X, Y), b.expmap(X, Y), b.logmap(X, Y), b.dist(X, Y), b.pairwiseDist(X, Y), b.transp(X, Y, Y)]);
      tf.dispose([b.geodesic(0.3, X, Y), b.weightedMidpoint(XY), b.mobiusScalarMul(0.5, X), b.expmap0(X), b.logmap0(X)]);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([X, Y, XY]);
    console.log('worst float32 errors:', JSON.stringify(worst));
  });
});

describe('PoincareBall errors', () => {
  beforeAll(async () => {
    await initBackend();
  });
  const err = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      if (!(e instanceof HyperbolicError)) throw e;
      return e.message;
    }
    return 'no error';
  };

  it('rejects bad curvature and options, naming the value', () => {
    expect(err(() => new PoincareBall({ c: -1 }))).toMatch(/^\[BAD_CURVATURE\] .*got -1/);
    expect(err(() => new PoincareBall({ c: Infinity }))).toMatch(/^\[BAD_CURVATURE\] .*got Infinity/);
    expect(err(() => new PoincareBall({ boundaryEps: 0 }))).toMatch(/^\[BAD_OPTION\] .*boundaryEps.*got 0/);
    expect(err(() => new PoincareBall(null as unknown as object))).toMatch(/^\[BAD_OPTION\]/);
    expect(err(() => new PoincareBall({ pairwiseKernel: 'gpu' as 'auto' }))).toMatch(/^\[BAD_OPTION\] pairwiseKernel .*got gpu/);
    expect(new PoincareBall().c).toBe(1);
  });

  it('reports shape mismatches with both shapes (no data is read)', () => {
    const ball = new PoincareBall({ c: 1 });
    tf.tidy(() => {
      const a = tf.zeros([4, 3]);
      expect(err(() => ball.mobiusAdd(a, tf.zeros([4, 2])))).toMatch(/^\[SHAPE_MISMATCH\] .*x \[4,3\] and y \[4,2\] differ on the last axis \(3 vs 2\)/);
      expect(err(() => ball.dist(a, tf.zeros([5, 3])))).toMatch(/^\[SHAPE_MISMATCH\] .*\[4,3\] and \[5,3\] do not broadcast/);
      expect(err(() => ball.pairwiseDist(a, tf.zeros([5, 2])))).toMatch(/^\[SHAPE_MISMATCH\] .*x \[4,3\] and y \[5,2\]/);
      expect(err(() => ball.pairwiseDist(tf.zeros([2, 4, 3]), a))).toMatch(/^\[SHAPE_MISMATCH\]/);
      expect(err(() => ball.mobiusMatvec(tf.zeros([2, 5]), a))).toMatch(/^\[SHAPE_MISMATCH\] .*m \[2,5\] must be \[out, 3\]/);
      expect(err(() => ball.mobiusScalarMul(tf.zeros([4, 3]), a))).toMatch(/^\[SHAPE_MISMATCH\] .*factor \[4,3\]/);
      expect(err(() => ball.mobiusScalarMul(NaN, a))).toMatch(/^\[NAN_INPUT\] .*NaN/);
      expect(err(() => ball.weightedMidpoint(a, tf.ones([5])))).toMatch(/^\[SHAPE_MISMATCH\] .*weights \[5\] must end in n = 4/);
      expect(err(() => ball.expmap0(tf.scalar(1)))).toMatch(/^\[SHAPE_MISMATCH\] .*scalar/);
      // broadcasting batch dims is fine: one point against many
      expect(ball.dist(tf.zeros([1, 3]), a).shape).toEqual([4]);
    });
  });

  it('check() reports NaN entries and points off the ball with row and norm', () => {
    const ball = new PoincareBall({ c: 4 });
    tf.tidy(() => {
      expect(err(() => ball.check(tf.tensor2d([[0.1, 0.1], [0.3, 0.4]]), 'codebook'))).toMatch(/^\[OFF_BALL\] codebook \[2,2\]: row 1 has norm 0\.5\d* >= 1\/sqrt\(c\) = 0\.5/);
      expect(err(() => ball.check(tf.tensor2d([[0.1, NaN]])))).toMatch(/^\[NAN_INPUT\] x \[1,2\]: row 0, entry 1 is NaN/);
      expect(err(() => ball.check(tf.tensor2d([[0.1, 0.2]])))).toBe('no error');
    });
  });
});
