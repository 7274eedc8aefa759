import { HyperbolicError, checkCurvature, checkRange } from './errors';
import { ARTANH_EPS64, BOUNDARY_EPS64, MIN_NORM, TANH_CLAMP } from './constants';

/** A point or tangent vector as a plain array. */
export type Vec = number[];
/** Rows of points (or a matrix). */
export type Mat = number[][];

/** Options of {@link PoincareBall64}. */
export interface PoincareBall64Options {
  /** Curvature magnitude c > 0 (ball radius 1/√c). @default 1 */
  c?: number;
  /** {@link PoincareBall64.project} maps points to radius (1 − boundaryEps)/√c at most. @default 1e-5 */
  boundaryEps?: number;
}

const sq = (v: Vec): number => v.reduce((s, a) => s + a * a, 0);
const dotv = (u: Vec, v: Vec): number => u.reduce((s, a, i) => s + a * v[i], 0);
const norm = (v: Vec): number => Math.max(Math.sqrt(sq(v)), MIN_NORM);
const scale = (v: Vec, s: number): Vec => v.map((a) => a * s);
const lin = (a: number, u: Vec, b: number, v: Vec): Vec => u.map((x, i) => a * x + b * v[i]);
const tanhC = (z: number): number => Math.tanh(Math.min(Math.max(z, -TANH_CLAMP), TANH_CLAMP));
const artanhC = (z: number): number => Math.atanh(Math.min(Math.max(z, -1 + ARTANH_EPS64), 1 - ARTANH_EPS64));

/**
 * The float64 reference of {@link PoincareBall} on plain number arrays, written from the textbook definitions
 * (Ganea et al. 2018, Ungar's gyrovector spaces) and independent of the tfjs code: Möbius matvec as exp₀(M log₀ x),
 * gyration as ⊖(a⊕b) ⊕ (a ⊕ (b ⊕ w)), pairwise distances by explicit Möbius addition. Same method names; one point
 * (`number[]`) per call, rows (`number[][]`) where a method takes several. Every input is validated: length
 * mismatches (SHAPE_MISMATCH), non-finite entries (NAN_INPUT), points on or outside the ball (OFF_BALL).
 * Safe numerics as geoopt's float64: norms ≥ 1e-15, artanh argument within ±(1 − 1e-7), tanh argument within ±15.
 */
export class PoincareBall64 {
  readonly c: number;
  readonly sqrtC: number;
  readonly boundaryEps: number;
  readonly maxNorm: number;

  constructor(options: PoincareBall64Options = {}) {
    if (options === null || typeof options !== 'object') {
      throw new HyperbolicError('BAD_OPTION', `PoincareBall64 options must be an object like { c: 1 }, got ${String(options)}`);
    }
    this.c = checkCurvature(options.c ?? 1);
    this.boundaryEps = checkRange('boundaryEps', options.boundaryEps ?? BOUNDARY_EPS64, 0, 1);
    this.sqrtC = Math.sqrt(this.c);
    this.maxNorm = (1 - this.boundaryEps) / this.sqrtC;
  }

  private vec(op: string, name: string, v: unknown, width?: number): Vec {
    if (!Array.isArray(v) || v.length === 0) {
      throw new HyperbolicError('SHAPE_MISMATCH', `${op}: ${name} must be a non-empty number[], got ${Array.isArray(v) ? '[]' : typeof v}`);
    }
    if (width !== undefined && v.length !== width) {
      throw new HyperbolicError('SHAPE_MISMATCH', `${op}: ${name} has length ${v.length}, expected ${width}`);
    }
    v.forEach((a, i) => {
      if (typeof a !== 'number' || !Number.isFinite(a)) throw new HyperbolicError('NAN_INPUT', `${op}: ${name}[${i}] is ${String(a)}`);
    });
    return v as Vec;
  }

  private point(op: string, name: string, v: unknown, width?: number): Vec {
    const x = this.vec(op, name, v, width);
    const n = Math.sqrt(sq(x));
    if (n * this.sqrtC >= 1) {
      throw new HyperbolicError('OFF_BALL', `${op}: ${name} has norm ${n} >= 1/sqrt(c) = ${1 / this.sqrtC}`);
    }
    return x;
  }

  private num(op: string, name: string, r: unknown): number {
    if (typeof r !== 'number' || !Number.isFinite(r)) throw new HyperbolicError('NAN_INPUT', `${op}: ${name} is ${String(r)}`);
    return r;
  }

  private addRaw(x: Vec, y: Vec): Vec {
    const c = this.c;
    const x2 = sq(x);
    const y2 = sq(y);
    const xy = dotv(x, y);
    const den = Math.max(1 + 2 * c * xy + c * c * x2 * y2, MIN_NORM);
    return lin((1 + 2 * c * xy + c * y2) / den, x, (1 - c * x2) / den, y);
  }

  private projectRaw(x: Vec): Vec {
    const n = norm(x);
    return n > this.maxNorm ? scale(x, this.maxNorm / n) : x.slice();
  }

  private scalarMulRaw(r: number, x: Vec): Vec {
    const n = norm(x);
    return scale(x, tanhC(r * artanhC(this.sqrtC * n)) / (this.sqrtC * n));
  }

  private exp0Raw(u: Vec): Vec {
    const n = norm(u);
    return scale(u, tanhC(this.sqrtC * n) / (this.sqrtC * n));
  }

  private log0Raw(y: Vec): Vec {
    const n = norm(y);
    return scale(y, artanhC(this.sqrtC * n) / (this.sqrtC * n));
  }

  /** Möbius addition x ⊕ y, projected. */
  mobiusAdd(x: Vec, y: Vec): Vec {
    const a = this.point('mobiusAdd', 'x', x);
    return this.projectRaw(this.addRaw(a, this.point('mobiusAdd', 'y', y, a.length)));
  }

  /** r ⊗ x, projected. */
  mobiusScalarMul(r: number, x: Vec): Vec {
    return this.projectRaw(this.scalarMulRaw(this.num('mobiusScalarMul', 'r', r), this.point('mobiusScalarMul', 'x', x)));
  }

  /** M ⊗ x by its definition exp₀(M log₀(x)); m is [out][in], projected. */
  mobiusMatvec(m: Mat, x: Vec): Vec {
    const p = this.point('mobiusMatvec', 'x', x);
    if (!Array.isArray(m) || m.length === 0) throw new HyperbolicError('SHAPE_MISMATCH', 'mobiusMatvec: m must be a non-empty number[][]');
    const rows = m.map((row, i) => this.vec('mobiusMatvec', `m[${i}]`, row, p.length));
    const l = this.log0Raw(p);
    return this.projectRaw(this.exp0Raw(rows.map((row) => dotv(row, l))));
  }

  /** exp_x(u) = x ⊕ tanh(√c λ_x ‖u‖/2) u/(√c‖u‖), projected. */
  expmap(x: Vec, u: Vec): Vec {
    const p = this.point('expmap', 'x', x);
    const v = this.vec('expmap', 'u', u, p.length);
    const n = norm(v);
    const second = scale(v, tanhC((this.sqrtC / 2) * this.lambdaX(p) * n) / (this.sqrtC * n));
    return this.projectRaw(this.addRaw(p, second));
  }

  /** exp₀(u), projected. */
  expmap0(u: Vec): Vec {
    return this.projectRaw(this.exp0Raw(this.vec('expmap0', 'u', u)));
  }

  /** log_x(y). */
  logmap(x: Vec, y: Vec): Vec {
    const p = this.point('logmap', 'x', x);
    const sub = this.addRaw(scale(p, -1), this.point('logmap', 'y', y, p.length));
    const n = norm(sub);
    return scale(sub, ((2 / (this.sqrtC * this.lambdaX(p))) * artanhC(this.sqrtC * n)) / n);
  }

  /** log₀(y). */
  logmap0(y: Vec): Vec {
    return this.log0Raw(this.point('logmap0', 'y', y));
  }

  /** d(x, y) = (2/√c) artanh(√c‖(−x) ⊕ y‖). */
  dist(x: Vec, y: Vec): number {
    const p = this.point('dist', 'x', x);
    const q = this.point('dist', 'y', y, p.length);
    return (2 / this.sqrtC) * artanhC(this.sqrtC * norm(this.addRaw(scale(p, -1), q)));
  }

  /** d(0, x). */
  dist0(x: Vec): number {
    return (2 / this.sqrtC) * artanhC(this.sqrtC * norm(this.point('dist0', 'x', x)));
  }

  /** All distances between rows of x and rows of y, pair by pair with explicit Möbius addition. */
  pairwiseDist(x: Mat, y: Mat): Mat {
    if (!Array.isArray(x) || !Array.isArray(y) || x.length === 0 || y.length === 0) {
      throw new HyperbolicError('SHAPE_MISMATCH', 'pairwiseDist: x and y must be non-empty number[][]');
    }
    const d = x[0].length;
    const xs = x.map((r, i) => this.point('pairwiseDist', `x[${i}]`, r, d));
    const ys = y.map((r, j) => this.point('pairwiseDist', `y[${j}]`, r, d));
    return xs.map((a) => ys.map((b) => this.dist(a, b)));
  }

  /** Points beyond (1 − boundaryEps)/√c scaled back onto that radius. */
  project(x: Vec): Vec {
    return this.projectRaw(this.vec('project', 'x', x));
  }

  /** λ_x = 2 / (1 − c‖x‖²). */
  lambdaX(x: Vec): number {
    const p = this.point('lambdaX', 'x', x);
    return 2 / Math.max(1 - this.c * sq(p), MIN_NORM);
  }

  /** g / λ_x². */
  egrad2rgrad(x: Vec, g: Vec): Vec {
    const p = this.point('egrad2rgrad', 'x', x);
    return scale(this.vec('egrad2rgrad', 'g', g, p.length), 1 / this.lambdaX(p) ** 2);
  }

  /** λ_x² ⟨u, v⟩. */
  inner(x: Vec, u: Vec, v: Vec = u): number {
    const p = this.point('inner', 'x', x);
    return this.lambdaX(p) ** 2 * dotv(this.vec('inner', 'u', u, p.length), this.vec('inner', 'v', v, p.length));
  }

  /**
   * gyr[a, b]w by its definition ⊖(a ⊕ b) ⊕ (a ⊕ (b ⊕ w)). Gyrations are linear, so w is first scaled into the ball
   * (to norm 0.5/√c) and the result scaled back: any tangent vector w is accepted.
   */
  gyration(a: Vec, b: Vec, w: Vec): Vec {
    const p = this.point('gyration', 'a', a);
    const q = this.point('gyration', 'b', b, p.length);
    const v = this.vec('gyration', 'w', w, p.length);
    const s = 0.5 / (this.sqrtC * norm(v));
    const inner = this.addRaw(p, this.addRaw(q, scale(v, s)));
    return scale(this.addRaw(scale(this.addRaw(p, q), -1), inner), 1 / s);
  }

  /** Parallel transport of v from x to y: gyr[y, −x] v · λ_x / λ_y. */
  transp(x: Vec, y: Vec, v: Vec): Vec {
    const p = this.point('transp', 'x', x);
    const q = this.point('transp', 'y', y, p.length);
    return scale(this.gyration(q, scale(p, -1), v), this.lambdaX(p) / this.lambdaX(q));
  }

  /** Weighted gyro-midpoint ½ ⊗ (Σ wᵢλᵢxᵢ / Σ wᵢ(λᵢ − 1)) of the rows of xs (weights default to 1). */
  weightedMidpoint(xs: Mat, weights?: number[]): Vec {
    if (!Array.isArray(xs) || xs.length === 0) throw new HyperbolicError('SHAPE_MISMATCH', 'weightedMidpoint: xs must be a non-empty number[][]');
    const d = xs[0].length;
    const pts = xs.map((r, i) => this.point('weightedMidpoint', `xs[${i}]`, r, d));
    const w = weights === undefined ? pts.map(() => 1) : this.vec('weightedMidpoint', 'weights', weights, pts.length);
    const nom = new Array<number>(d).fill(0);
    let den = 0;
    pts.forEach((p, i) => {
      const lam = this.lambdaX(p);
      p.forEach((a, j) => (nom[j] += w[i] * lam * a));
      den += w[i] * (lam - 1);
    });
    const safe = (den < 0 ? -1 : 1) * Math.max(Math.abs(den), 1e-10);
    return this.projectRaw(this.scalarMulRaw(0.5, scale(nom, 1 / safe)));
  }

  /** x ⊕ (t ⊗ ((−x) ⊕ y)), projected. */
  geodesic(t: number, x: Vec, y: Vec): Vec {
    const p = this.point('geodesic', 'x', x);
    const q = this.point('geodesic', 'y', y, p.length);
    const v = this.addRaw(scale(p, -1), q);
    return this.projectRaw(this.addRaw(p, this.scalarMulRaw(this.num('geodesic', 't', t), v)));
  }

  /** Throws NAN_INPUT / OFF_BALL / SHAPE_MISMATCH for a bad point; returns it otherwise. */
  check(x: Vec, name = 'x'): Vec {
    return this.point('check', name, x);
  }
}
