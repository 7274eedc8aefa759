import { describe, it, expect, beforeAll } from 'vitest';
import { tf, initBackend, Rng } from '@llmar/tensor';
import { PoincareBall } from './ball';
import { PoincareBall64, type Mat } from './reference';
import { CURVATURES, WIDTHS, randomPoints, randomTangent, vecWithNorm, allFinite } from './test-helpers';

/**
 * Gradients of the float32 tfjs ops against central differences of the float64 reference.
 * For a functional L(inputs) = Σ W ⊙ op(inputs) (W fixed random), the tfjs gradient G is checked along random
 * directions V: |⟨G, V⟩ − (L(x + hV) − L(x − hV)) / 2h| ≤ TOL · ‖G‖‖V‖ (relative to the Cauchy–Schwarz bound of the
 * derivative). In float64 with h = 1e-6 the difference quotient is accurate to ~1e-9; the float32 gradient carries
 * rounding that the artanh/λ factors at radius 0.9 (2·0.9/(1+0.81) ≈ 0.9945) amplify; the worst error seen over all
 * cases on wasm and cpu is ≈ 1e-6 (printed per case), hence TOL = 1e-5 (a wrong factor or sign gives O(1) errors). Widths ≤ 16 check every coordinate direction as well.
 */
const TOL = 1e-5;
const H = 1e-6;
const ROWS = 4;

type RefFn = (ref: PoincareBall64, ins: Mat[]) => Mat;
type TfFn = (ball: PoincareBall, ...ins: tf.Tensor[]) => tf.Tensor;

interface Case {
  name: string;
  /** Builds the inputs for a cell: points / tangents as rows. */
  inputs: (rng: Rng, d: number, c: number) => Mat[];
  tfOp: TfFn;
  refOp: RefFn;
}

const mapRows = (ins: Mat[], f: (...rows: number[][]) => number[]): Mat => ins[0].map((_, i) => f(...ins.map((m) => m[i])));
const pts = (rng: Rng, d: number, c: number) => randomPoints(rng, ROWS, d, c);
const tans = (rng: Rng, d: number, s: number) => Array.from({ length: ROWS }, () => randomTangent(rng, d, 0.1 * s, s));

const CASES: Case[] = [
  { name: 'expmap0', inputs: (r, d, c) => [tans(r, d, 2 / Math.sqrt(c))], tfOp: (b, u) => b.expmap0(u), refOp: (f, [u]) => u.map((a) => f.expmap0(a)) },
  { name: 'logmap0', inputs: (r, d, c) => [pts(r, d, c)], tfOp: (b, x) => b.logmap0(x), refOp: (f, [x]) => x.map((a) => f.logmap0(a)) },
  { name: 'mobiusAdd', inputs: (r, d, c) => [pts(r, d, c), pts(r, d, c)], tfOp: (b, x, y) => b.mobiusAdd(x, y), refOp: (f, ins) => mapRows(ins, (x, y) => f.mobiusAdd(x, y)) },
  { name: 'dist', inputs: (r, d, c) => [pts(r, d, c), pts(r, d, c)], tfOp: (b, x, y) => b.dist(x, y, true), refOp: (f, ins) => mapRows(ins, (x, y) => [f.dist(x, y)]) },
  { name: 'dist0', inputs: (r, d, c) => [pts(r, d, c)], tfOp: (b, x) => b.dist0(x, true), refOp: (f, [x]) => x.map((a) => [f.dist0(a)]) },
  ...(['fused', 'ops'] as const).map((k) => ({
    name: `pairwiseDist (${k})`,
    inputs: (r: Rng, d: number, c: number) => [pts(r, d, c), pts(r, d, c).slice(0, 3)],
    tfOp: (b: PoincareBall, x: tf.Tensor, y: tf.Tensor) => new PoincareBall({ c: b.c, pairwiseKernel: k }).pairwiseDist(x, y),
    refOp: (f: PoincareBall64, [x, y]: Mat[]) => f.pairwiseDist(x, y),
  })),
  {
    name: 'expmap',
    inputs: (r, d, c) => [pts(r, d, c), tans(r, d, 0.3 / Math.sqrt(c))],
    tfOp: (b, x, u) => b.expmap(x, u),
    refOp: (f, ins) => mapRows(ins, (x, u) => f.expmap(x, u)),
  },
  { name: 'logmap', inputs: (r, d, c) => [pts(r, d, c), pts(r, d, c)], tfOp: (b, x, y) => b.logmap(x, y), refOp: (f, ins) => mapRows(ins, (x, y) => f.logmap(x, y)) },
  {
    name: 'mobiusScalarMul',
    inputs: (r, d, c) => [pts(r, d, c)],
    tfOp: (b, x) => b.mobiusScalarMul(0.7, x),
    refOp: (f, [x]) => x.map((a) => f.mobiusScalarMul(0.7, a)),
  },
  {
    name: 'geodesic',
    inputs: (r, d, c) => [pts(r, d, c), pts(r, d, c)],
    tfOp: (b, x, y) => b.geodesic(0.35, x, y),
    refOp: (f, ins) => mapRows(ins, (x, y) => f.geodesic(0.35, x, y)),
  },
  {
    name: 'weightedMidpoint',
    inputs: (r, d, c) => [pts(r, d, c)],
    tfOp: (b, x) => b.weightedMidpoint(x.expandDims(0), tf.tensor1d([1, 2, 0.5, 1.5])),
    refOp: (f, [x]) => [f.weightedMidpoint(x, [1, 2, 0.5, 1.5])],
  },
  {
    name: 'mobiusMatvec',
    inputs: (r, d, c) => [Array.from({ length: 3 }, () => randomTangent(r, d, 0.5, 1.5)), pts(r, d, c)],
    tfOp: (b, m, x) => b.mobiusMatvec(m, x),
    refOp: (f, [m, x]) => x.map((a) => f.mobiusMatvec(m, a)),
  },
  {
    name: 'transp',
    inputs: (r, d, c) => [pts(r, d, c), pts(r, d, c), tans(r, d, 1)],
    tfOp: (b, x, y, v) => b.transp(x, y, v),
    refOp: (f, ins) => mapRows(ins, (x, y, v) => f.transp(x, y, v)),
  },
];

function weights(rng: Rng, m: Mat): Mat {
  return m.map((row) => row.map(() => rng.normal()));
}
const functional = (out: Mat, w: Mat): number => out.reduce((s, row, i) => s + row.reduce((t, v, j) => t + v * w[i][j], 0), 0);
const shift = (m: Mat, v: Mat, h: number): Mat => m.map((row, i) => row.map((a, j) => a + h * v[i][j]));
const inner = (a: Mat, b: Mat): number => a.reduce((s, row, i) => s + row.reduce((t, v, j) => t + v * b[i][j], 0), 0);
const fro = (a: Mat): number => Math.sqrt(inner(a, a));

describe('gradients of PoincareBall (float32) against central differences of PoincareBall64 (float64)', () => {
  beforeAll(async () => {
    await initBackend();
  });

  for (const cs of CASES) {
    it(cs.name, () => {
      let worst = 0;
      for (const c of CURVATURES) {
        for (const d of WIDTHS) {
          const rng = new Rng(d * 31 + Math.round(c * 10) + cs.name.length);
          const ball = new PoincareBall({ c });
          const ref = new PoincareBall64({ c, boundaryEps: ball.boundaryEps }); // same projection radius as float32
          const ins = cs.inputs(rng, d, c);
          const w = weights(rng, cs.refOp(ref, ins));
          const grads = tf.tidy(() => {
            const W = tf.tensor(w);
            const f = (...ts: tf.Tensor[]) => tf.sum(tf.mul(cs.tfOp(ball, ...ts), W));
            return tf.grads(f)(ins.map((m) => tf.tensor2d(m)));
          });
          const G = grads.map((g) => g.arraySync() as Mat);
          tf.dispose(grads);
          ins.forEach((m, k) => {
            expect(allFinite(G[k].flat()), `${cs.name} grad ${k} finite`).toBe(true);
            const dirs: Mat[] = [0, 1].map(() => m.map(() => vecWithNorm(rng, d, 1)));
            if (d <= 16) for (let j = 0; j < d; j++) dirs.push(m.map(() => Array.from({ length: d }, (_, q) => (q === j ? 1 : 0))));
            for (const v of dirs) {
              const at = (h: number) => functional(cs.refOp(ref, ins.map((mm, kk) => (kk === k ? shift(mm, v, h) : mm))), w);
              const fd = (at(H) - at(-H)) / (2 * H);
              const err = Math.abs(inner(G[k], v) - fd) / Math.max(fro(G[k]) * fro(v), 1e-6);
              worst = Math.max(worst, err);
              expect(err, `${cs.name} c=${c} d=${d} input ${k}`).toBeLessThan(TOL);
            }
          });
        }
      }
      console.log(`${cs.name}: worst relative directional-derivative error ${worst.toExponential(2)}`);
    });
  }
});

describe('finite values and gradients from norm 0 to the edge', () => {
  beforeAll(async () => {
    await initBackend();
  });

  /** Gradient of Σ W ⊙ f(x) for a batch of rows with the given norms; returns [value finite, grad finite]. */
  function finiteness(d: number, norms: number[], f: (x: tf.Tensor) => tf.Tensor): { value: boolean; grad: boolean } {
    const rng = new Rng(d + norms.length);
    const x = tf.tensor2d(norms.map((n) => vecWithNorm(rng, d, n)));
    const [value, grad] = tf.tidy(() => {
      const { value: v, grads } = tf.valueAndGrads((t: tf.Tensor) => {
        const y = f(t);
        return tf.sum(tf.mul(y, tf.randomNormal(y.shape, 0, 1, 'float32', 3)));
      })([x]);
      return [v, grads[0]];
    });
    const out = { value: allFinite(value.dataSync()), grad: allFinite(grad.dataSync()) };
    tf.dispose([x, value, grad]);
    return out;
  }

  for (const c of CURVATURES) {
    const ball = new PoincareBall({ c });
    const fusedBall = new PoincareBall({ c, pairwiseKernel: 'fused' });
    const opsBall = new PoincareBall({ c, pairwiseKernel: 'ops' });
    const edge = 1 / Math.sqrt(c);
    // 0, tiny, small, mid, projected edge, the exact boundary and beyond (project brings those back)
    const norms = [0, 1e-15, 1e-10, 1e-5, 0.5 * edge, ball.maxNorm, edge * (1 - 1e-7), edge, 1.5 * edge];
    const inside = norms.slice(0, 6);
    for (const d of [2, 5120]) {
      it(`c=${c} d=${d}`, () => {
        const other = tf.tensor2d(inside.map((_, i) => vecWithNorm(new Rng(i), d, (0.7 * edge * i) / inside.length)));
        const ops: Record<string, [number[], (x: tf.Tensor) => tf.Tensor]> = {
          expmap0: [norms, (x) => ball.expmap0(x)],
          logmap0: [inside, (x) => ball.logmap0(x)],
          project: [norms, (x) => ball.project(x)],
          dist0: [inside, (x) => ball.dist0(x)],
          'dist(x,x)': [inside, (x) => ball.dist(x, x)],
          'dist(x,other)': [inside, (x) => ball.dist(x, other)],
          'pairwiseDist(x,x) fused': [inside, (x) => fusedBall.pairwiseDist(x, x)],
          'pairwiseDist(x,-x) fused': [inside, (x) => fusedBall.pairwiseDist(x, tf.neg(x))],
          'pairwiseDist(x,x) ops': [inside, (x) => opsBall.pairwiseDist(x, x)],
          'pairwiseDist(x,-x) ops': [inside, (x) => opsBall.pairwiseDist(x, tf.neg(x))],
          'logmap(x,x)': [inside, (x) => ball.logmap(x, x)],
          'logmap(other,x)': [inside, (x) => ball.logmap(other, x)],
          'expmap(x,x)': [inside, (x) => ball.expmap(x, x)],
          'mobiusAdd(x,x)': [inside, (x) => ball.mobiusAdd(x, x)],
          'mobiusScalarMul(3,x)': [inside, (x) => ball.mobiusScalarMul(3, x)],
          'geodesic(x,other)': [inside, (x) => ball.geodesic(0.5, x, other)],
          midpoint: [inside, (x) => ball.weightedMidpoint(tf.stack([x, other], 1))],
          egrad2rgrad: [inside, (x) => ball.egrad2rgrad(x, other)],
        };
        for (const [name, [ns, f]] of Object.entries(ops)) {
          expect(finiteness(d, ns, f), `${name} c=${c} d=${d}`).toEqual({ value: true, grad: true });
        }
        other.dispose();
      });
    }
  }

  it('exp0 of width-5120 vectors with norms near 100 (LLaMA-13B regime): on the projected sphere, finite tangential gradient', () => {
    const ball = new PoincareBall({ c: 1 });
    const ref = new PoincareBall64({ c: 1, boundaryEps: ball.boundaryEps });
    const rng = new Rng(13);
    const u = [80, 100, 120].map((n) => vecWithNorm(rng, 5120, n));
    const w = u.map((row) => row.map(() => rng.normal()));
    const { value, grads } = tf.tidy(() =>
      tf.valueAndGrads((t: tf.Tensor) => tf.sum(tf.mul(ball.expmap0(t), tf.tensor2d(w))))([tf.tensor2d(u)]),
    );
    const norms = tf.tidy(() => tf.norm(ball.expmap0(tf.tensor2d(u)), 2, -1)).dataSync();
    norms.forEach((n) => expect(Math.abs(n - ball.maxNorm)).toBeLessThan(1e-6));
    const G = grads[0].arraySync() as Mat;
    expect(allFinite(G.flat())).toBe(true);
    // the map is u ↦ maxNorm · u/‖u‖ here: compare one random direction with float64 central differences
    const v = u.map(() => vecWithNorm(rng, 5120, 1));
    const at = (h: number) => functional(u.map((row, i) => ref.expmap0(row.map((a, j) => a + h * v[i][j]))), w);
    const fd = (at(1e-4) - at(-1e-4)) / 2e-4;
    expect(Math.abs(inner(G, v) - fd) / (fro(G) * fro(v))).toBeLessThan(TOL);
    tf.dispose([value, ...grads]);
  });
});

describe('bounded gradients for (nearly) coincident pairs', () => {
  beforeAll(async () => {
    await initBackend();
  });

  // Near y = x, d(x, y) ≈ λ_x ‖x − y‖, so ‖∂d/∂x‖ ≤ λ_x (up to O(‖x − y‖)). The closed form's float32 cancellation
  // noise meets a 1/‖x − y‖ factor here; the bound (10% over the exact one) shows it stays harmless.
  for (const kernel of ['fused', 'ops'] as const) {
    it(`pairwiseDist (${kernel}) and dist: ‖∂d(xᵢ, yᵢ)/∂xᵢ‖ ≤ 1.1 λ_x for ‖x − y‖ from 0 to 1e-3`, () => {
      for (const c of CURVATURES) {
        for (const d of [16, 512]) {
          const rng = new Rng(d + c * 7);
          const ball = new PoincareBall({ c, pairwiseKernel: kernel });
          const ref = new PoincareBall64({ c });
          const x = randomPoints(rng, 5, d, c, 0.1, 0.9);
          x[0] = x[0].map((v) => v * 1e-6); // a tiny point: its rounding noise is tiny too
          const y = x.map((row, i) => {
            const e = vecWithNorm(rng, d, [0, 1e-9, 1e-7, 1e-5, 1e-3][i] / Math.sqrt(c));
            return row.map((a, j) => a + e[j]);
          });
          const lam = x.map((row) => ref.lambdaX(row));
          const [gp, gd] = tf.tidy(() => {
            const X = tf.tensor2d(x);
            const Y = tf.tensor2d(y);
            const eye = tf.eye(5);
            const g1 = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(ball.pairwiseDist(t, Y), eye)))(X);
            const g2 = tf.grad((t: tf.Tensor) => tf.sum(ball.dist(t, Y)))(X);
            return [g1.arraySync() as Mat, g2.arraySync() as Mat];
          });
          for (const G of [gp, gd]) {
            G.forEach((row, i) => {
              const n = Math.sqrt(row.reduce((s, v) => s + v * v, 0));
              expect(Number.isFinite(n)).toBe(true);
              expect(n, `c=${c} d=${d} row ${i}`).toBeLessThanOrEqual(1.1 * lam[i]);
            });
          }
        }
      }
    });
  }
});
