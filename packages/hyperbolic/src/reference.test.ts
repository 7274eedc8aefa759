import { describe, it, expect } from 'vitest';
import { Rng } from '@llmar/tensor';
import { PoincareBall64 } from './reference';
import { HyperbolicError } from './errors';
import { CURVATURES, WIDTHS, SEEDS, randomPoint, randomTangent, l2, l2diff } from './test-helpers';

/**
 * float64 identities of the reference, geoopt style, over seeds × c ∈ {0.5, 1, 2} × d ∈ {2, 16, 512, 5120}.
 * Points have √c‖x‖ ≤ 0.9, so every artanh argument stays ≤ 2·0.9/(1 + 0.81) ≈ 0.9945 (condition number ≲ 100):
 * with float64's 1.1e-16 and sums over ≤ 5120 terms, 1e-9 (relative to the ball's scale 1/√c) leaves a wide margin.
 */
const TOL = 1e-9;
const grid = CURVATURES.flatMap((c) => WIDTHS.map((d) => ({ c, d })));
const sub = (a: number[], b: number[]) => a.map((v, i) => v - b[i]);
const PER_SEED = 6;

function forCells(body: (ball: PoincareBall64, rng: Rng, d: number, c: number) => void): void {
  for (const { c, d } of grid) {
    const ball = new PoincareBall64({ c });
    for (const seed of SEEDS) {
      const rng = new Rng(seed * 1000 + d + Math.round(c * 10));
      for (let k = 0; k < PER_SEED; k++) body(ball, rng, d, c);
    }
  }
}

describe('PoincareBall64 identities (float64)', () => {
  it('exp0∘log0 = id on the ball and log0∘exp0 = id on tangent vectors with √c‖u‖ ≤ 3', () => {
    forCells((ball, rng, d, c) => {
      const x = randomPoint(rng, d, c);
      expect(l2diff(ball.expmap0(ball.logmap0(x)), x) * ball.sqrtC).toBeLessThan(TOL);
      const u = randomTangent(rng, d, 0, 3 / ball.sqrtC);
      expect(l2diff(ball.logmap0(ball.expmap0(u)), u) / Math.max(l2(u), 1)).toBeLessThan(TOL);
    });
  });

  it('expmap∘logmap = id and logmap∘expmap = id', () => {
    forCells((ball, rng, d, c) => {
      const x = randomPoint(rng, d, c);
      const y = randomPoint(rng, d, c);
      expect(l2diff(ball.expmap(x, ball.logmap(x, y)), y) * ball.sqrtC).toBeLessThan(TOL);
      // tangent norms with √c λ_x ‖u‖ / 2 ≤ 1.5, so exp_x(u) stays well inside the ball
      const u = randomTangent(rng, d, 0, 3 / (ball.sqrtC * ball.lambdaX(x)));
      expect(l2diff(ball.logmap(x, ball.expmap(x, u)), u) / Math.max(l2(u), 1)).toBeLessThan(TOL);
    });
  });

  it('d(x, y) = d(y, x), d(x, x) = 0, d(0, x) = dist0(x) = (2/√c) artanh(√c‖x‖) = 2‖log0 x‖, triangle inequality', () => {
    forCells((ball, rng, d, c) => {
      const [x, y, z] = [0, 1, 2].map(() => randomPoint(rng, d, c));
      const dxy = ball.dist(x, y);
      expect(Math.abs(dxy - ball.dist(y, x))).toBeLessThan(TOL);
      expect(ball.dist(x, x)).toBeLessThan(1e-6); // ‖(−x)⊕x‖ is clamped at 1e-15 and rounding leaves ≲ 1e-15·λ
      const closed = (2 / Math.sqrt(c)) * Math.atanh(Math.sqrt(c) * l2(x));
      expect(Math.abs(ball.dist(new Array(d).fill(0), x) - closed)).toBeLessThan(TOL);
      expect(Math.abs(ball.dist0(x) - closed)).toBeLessThan(TOL);
      expect(Math.abs(2 * l2(ball.logmap0(x)) - closed)).toBeLessThan(TOL);
      expect(ball.dist(x, z)).toBeLessThanOrEqual(dxy + ball.dist(y, z) + TOL);
    });
  });

  it('left cancellation (−x) ⊕ (x ⊕ y) = y and isometry d(a ⊕ x, a ⊕ y) = d(x, y)', () => {
    forCells((ball, rng, d, c) => {
      const [x, y] = [randomPoint(rng, d, c), randomPoint(rng, d, c)];
      const a = randomPoint(rng, d, c, 0, 0.5);
      const xy = ball.mobiusAdd(x, y);
      expect(l2diff(ball.mobiusAdd(x.map((v) => -v), xy), y) * ball.sqrtC).toBeLessThan(1e-8);
      const x1 = randomPoint(rng, d, c, 0, 0.5);
      const y1 = randomPoint(rng, d, c, 0, 0.5);
      expect(Math.abs(ball.dist(ball.mobiusAdd(a, x1), ball.mobiusAdd(a, y1)) - ball.dist(x1, y1))).toBeLessThan(1e-8);
    });
  });

  it('closed forms of ‖(−x) ⊕ y‖² used by pairwiseDist match the explicit Möbius addition', () => {
    forCells((ball, rng, d, c) => {
      const [x, y] = [randomPoint(rng, d, c), randomPoint(rng, d, c)];
      const m = ball.mobiusAdd(x.map((v) => -v), y);
      const explicit = l2(m) ** 2;
      const x2 = l2(x) ** 2;
      const y2 = l2(y) ** 2;
      const xy = x.reduce((s, v, i) => s + v * y[i], 0);
      const den = 1 - 2 * c * xy + c * c * x2 * y2;
      const short = l2(sub(x, y)) ** 2 / den; // the form PoincareBall.pairwiseDist computes
      const A = 1 - 2 * c * xy + c * y2;
      const B = 1 - c * x2;
      const torch = (A * A * x2 - 2 * A * B * xy + B * B * y2) / den ** 2; // stage1_torch.py pairwise_dist
      expect(Math.abs(short - explicit) * c).toBeLessThan(TOL);
      expect(Math.abs(torch - explicit) * c).toBeLessThan(TOL);
    });
  });

  it('geodesic: γ(0) = x, γ(1) = y, d(x, γ(t)) = t d(x, y); midpoint of two points is γ(½)', () => {
    forCells((ball, rng, d, c) => {
      const [x, y] = [randomPoint(rng, d, c), randomPoint(rng, d, c)];
      const t = rng.next();
      expect(l2diff(ball.geodesic(0, x, y), x) * ball.sqrtC).toBeLessThan(TOL);
      expect(l2diff(ball.geodesic(1, x, y), y) * ball.sqrtC).toBeLessThan(TOL);
      expect(Math.abs(ball.dist(x, ball.geodesic(t, x, y)) - t * ball.dist(x, y))).toBeLessThan(1e-8);
      const mid = ball.weightedMidpoint([x, y]);
      expect(l2diff(mid, ball.geodesic(0.5, x, y)) * ball.sqrtC).toBeLessThan(1e-8);
      expect(l2diff(ball.weightedMidpoint([x]), x) * ball.sqrtC).toBeLessThan(TOL);
    });
  });

  it('weightedMidpoint commutes with Möbius translation: m(a ⊕ xᵢ) = a ⊕ m(xᵢ)', () => {
    forCells((ball, rng, d, c) => {
      const xs = [0, 1, 2].map(() => randomPoint(rng, d, c, 0, 0.7));
      const w = xs.map(() => 0.2 + rng.next());
      const a = randomPoint(rng, d, c, 0, 0.5);
      const lhs = ball.weightedMidpoint(xs.map((x) => ball.mobiusAdd(a, x)), w);
      const rhs = ball.mobiusAdd(a, ball.weightedMidpoint(xs, w));
      expect(l2diff(lhs, rhs) * ball.sqrtC).toBeLessThan(1e-8);
    });
  });

  it('scalar multiplication: (r + s) ⊗ x = r ⊗ x ⊕ s ⊗ x, (rs) ⊗ x = r ⊗ (s ⊗ x); matvec: I ⊗ x = x, (rI) ⊗ x = r ⊗ x', () => {
    forCells((ball, rng, d, c) => {
      const x = randomPoint(rng, d, c, 0, 0.6);
      const [r, s] = [rng.next() * 1.5 - 0.5, rng.next() * 1.5 - 0.5];
      const lhs = ball.mobiusScalarMul(r + s, x);
      expect(l2diff(lhs, ball.mobiusAdd(ball.mobiusScalarMul(r, x), ball.mobiusScalarMul(s, x))) * ball.sqrtC).toBeLessThan(1e-8);
      expect(l2diff(ball.mobiusScalarMul(r * s, x), ball.mobiusScalarMul(r, ball.mobiusScalarMul(s, x))) * ball.sqrtC).toBeLessThan(1e-8);
      if (d <= 16) {
        const eye = x.map((_, i) => x.map((__, j) => (i === j ? 1 : 0)));
        expect(l2diff(ball.mobiusMatvec(eye, x), x) * ball.sqrtC).toBeLessThan(TOL);
        expect(l2diff(ball.mobiusMatvec(eye.map((row) => row.map((v) => v * r)), x), ball.mobiusScalarMul(r, x)) * ball.sqrtC).toBeLessThan(1e-8);
      }
    });
  });

  it('gyration: gyroassociativity a ⊕ (b ⊕ w) = (a ⊕ b) ⊕ gyr[a,b]w, norm preserved; transport keeps Riemannian norms', () => {
    forCells((ball, rng, d, c) => {
      const [a, b, w] = [0, 1, 2].map(() => randomPoint(rng, d, c, 0, 0.7));
      const g = ball.gyration(a, b, w);
      expect(l2diff(ball.mobiusAdd(a, ball.mobiusAdd(b, w)), ball.mobiusAdd(ball.mobiusAdd(a, b), g)) * ball.sqrtC).toBeLessThan(1e-8);
      expect(Math.abs(l2(g) - l2(w)) * ball.sqrtC).toBeLessThan(1e-8);
      const v = randomTangent(rng, d, 0.1, 3);
      const pv = ball.transp(a, b, v);
      expect(Math.abs(Math.sqrt(ball.inner(b, pv)) - Math.sqrt(ball.inner(a, v))) / Math.sqrt(ball.inner(a, v))).toBeLessThan(1e-8);
      expect(l2diff(ball.transp(a, a, v), v) / l2(v)).toBeLessThan(TOL);
    });
  });
});

describe('PoincareBall64 safety and errors', () => {
  it('saturates exp0 and stays finite for norms from 1e-15 up to 1e4, and clamps artanh at the edge', () => {
    const ball = new PoincareBall64({ c: 1 });
    const rng = new Rng(7);
    for (const n of [0, 1e-15, 1e-8, 1, 100, 1e4]) {
      const u = randomTangent(rng, 5120, n, n);
      const x = ball.expmap0(u);
      expect(x.every(Number.isFinite)).toBe(true);
      expect(l2(x)).toBeLessThanOrEqual(ball.maxNorm * (1 + 1e-12));
      expect(ball.logmap0(x).every(Number.isFinite)).toBe(true);
    }
    const edge = randomTangent(rng, 16, ball.maxNorm, ball.maxNorm);
    // antipodal points at radius 1 − 1e-5: artanh's argument 1 − 5e-11 is clamped to 1 − 1e-7
    expect(ball.dist(edge, edge.map((v) => -v))).toBeCloseTo(2 * Math.atanh(1 - 1e-7), 10);
  });

  it('reports bad input with codes and the offending value', () => {
    const ball = new PoincareBall64({ c: 2 });
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(HyperbolicError);
        return `${(e as HyperbolicError).code}: ${(e as Error).message}`;
      }
      return 'no error';
    };
    expect(code(() => new PoincareBall64({ c: 0 }))).toMatch(/^BAD_CURVATURE: .*got 0/);
    expect(code(() => new PoincareBall64({ c: NaN }))).toMatch(/^BAD_CURVATURE/);
    expect(code(() => new PoincareBall64({ boundaryEps: 2 }))).toMatch(/^BAD_OPTION: .*boundaryEps.*got 2/);
    expect(code(() => ball.dist([0.1, 0.1], [0.1]))).toMatch(/^SHAPE_MISMATCH: .*y has length 1, expected 2/);
    expect(code(() => ball.dist([0.1, 0.8], [0.1, 0.1]))).toMatch(/^OFF_BALL: .*x has norm 0\.806.* >= 1\/sqrt\(c\) = 0\.707/);
    expect(code(() => ball.expmap0([0.1, NaN]))).toMatch(/^NAN_INPUT: .*u\[1\] is NaN/);
    expect(code(() => ball.check([0.1, 0.2]))).toBe('no error');
    expect(code(() => ball.mobiusScalarMul(Infinity, [0.1, 0.2]))).toMatch(/^NAN_INPUT: .*r is Infinity/);
    expect(code(() => ball.mobiusMatvec([[1, 2, 3]], [0.1, 0.2]))).toMatch(/^SHAPE_MISMATCH: .*m\[0\] has length 3/);
    expect(code(() => ball.project([]))).toMatch(/^SHAPE_MISMATCH/);
  });
});
