import { tf, matMul } from '@llmar/tensor';
import { HyperbolicError, checkCurvature, checkRange } from './errors';
import { ARTANH_EPS32, BOUNDARY_EPS32, MIN_NORM, TANH_CLAMP } from './constants';
import { pairwiseDistFused, pairwiseDistOps } from './pairwise';

type T = tf.Tensor;

/** Options of {@link PoincareBall}. */
export interface PoincareBallOptions {
  /** Curvature magnitude c > 0: the ball has radius 1/√c and sectional curvature −c. @default 1 */
  c?: number;
  /** {@link PoincareBall.project} maps points to radius (1 − boundaryEps)/√c at most. @default 4e-3 */
  boundaryEps?: number;
  /**
   * How {@link PoincareBall.pairwiseDist} computes its elementwise [N, M] part: `fused` (one pass over host memory
   * with a custom gradient; fastest on cpu and wasm, whose tensors live in host memory), `ops` (stock tfjs ops; for
   * GPU and node backends), or `auto` (fused on cpu and wasm, ops elsewhere).
   * @default 'auto'
   */
  pairwiseKernel?: 'auto' | 'fused' | 'ops';
}

const HOST_BACKENDS = new Set(['cpu', 'wasm']);

/** Shape of `a` and `b` broadcast together; throws SHAPE_MISMATCH naming both shapes. */
export function broadcastShape(op: string, a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new HyperbolicError('SHAPE_MISMATCH', `${op}: shapes [${a.join(',')}] and [${b.join(',')}] do not broadcast`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

function needRank1(op: string, name: string, x: T): void {
  if (x.rank < 1) throw new HyperbolicError('SHAPE_MISMATCH', `${op}: ${name} must have rank >= 1 (points on the last axis), got a scalar`);
}

/** Both operands carry vectors on the last axis of equal width; batch dims broadcast. */
function sameWidth(op: string, names: [string, string], a: T, b: T): void {
  needRank1(op, names[0], a);
  needRank1(op, names[1], b);
  const wa = a.shape[a.rank - 1];
  const wb = b.shape[b.rank - 1];
  if (wa !== wb) {
    throw new HyperbolicError('SHAPE_MISMATCH', `${op}: ${names[0]} [${a.shape}] and ${names[1]} [${b.shape}] differ on the last axis (${wa} vs ${wb})`);
  }
  broadcastShape(op, a.shape, b.shape);
}

/** A scalar factor (number, or a tensor broadcasting against the points' [..., 1]). */
function scalarLike(op: string, r: number | T, x: T): T {
  if (typeof r === 'number') {
    if (!Number.isFinite(r)) throw new HyperbolicError('NAN_INPUT', `${op}: the scalar factor is ${r}`);
    return tf.scalar(r);
  }
  if (r.rank > 0 && r.shape[r.rank - 1] !== 1) {
    throw new HyperbolicError('SHAPE_MISMATCH', `${op}: factor [${r.shape}] must be a scalar or end in a size-1 axis to broadcast against points [${x.shape}]`);
  }
  broadcastShape(op, r.shape, x.shape);
  return r;
}

/** ‖x‖ over the last axis, kept as [..., 1], clamped at MIN_NORM *before* the square root so the gradient stays finite at 0. */
export function safeNorm(x: T): T {
  return tf.sqrt(tf.maximum(tf.sum(tf.square(x), -1, true), MIN_NORM * MIN_NORM));
}

function dot(x: T, y: T): T {
  return tf.sum(tf.mul(x, y), -1, true);
}

function squeezeLast(x: T, keepDims: boolean): T {
  return keepDims ? x : tf.squeeze(x, [x.rank - 1]);
}

/**
 * The Poincaré ball of curvature −c (Ganea et al. 2018) on TensorFlow.js float32 tensors, with geoopt's operations
 * in camelCase. Points and tangent vectors live on the last axis; batch dimensions broadcast. Every method is
 * differentiable and numerically guarded: norms are clamped at {@link MIN_NORM} under the square root, tanh's argument
 * at ±{@link TANH_CLAMP}, artanh's at ±(1 − {@link ARTANH_EPS32}), and operations that return points project them to
 * radius (1 − boundaryEps)/√c. Shape checks are free; value checks live in {@link PoincareBall.check} only.
 */
export class PoincareBall {
  /** Curvature magnitude (the ball's curvature is −c). */
  readonly c: number;
  /** √c. */
  readonly sqrtC: number;
  /** Relative margin kept from the boundary by {@link PoincareBall.project}. */
  readonly boundaryEps: number;
  /** Largest norm {@link PoincareBall.project} lets through: (1 − boundaryEps)/√c. */
  readonly maxNorm: number;
  /** See {@link PoincareBallOptions.pairwiseKernel}. */
  readonly pairwiseKernel: 'auto' | 'fused' | 'ops';

  constructor(options: PoincareBallOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw new HyperbolicError('BAD_OPTION', `PoincareBall options must be an object like { c: 1 }, got ${String(options)}`);
    }
    this.c = checkCurvature(options.c ?? 1);
    this.boundaryEps = checkRange('boundaryEps', options.boundaryEps ?? BOUNDARY_EPS32, 0, 1);
    this.sqrtC = Math.sqrt(this.c);
    this.maxNorm = (1 - this.boundaryEps) / this.sqrtC;
    const pk = options.pairwiseKernel ?? 'auto';
    if (pk !== 'auto' && pk !== 'fused' && pk !== 'ops') {
      throw new HyperbolicError('BAD_OPTION', `pairwiseKernel must be 'auto', 'fused' or 'ops', got ${String(pk)}`);
    }
    this.pairwiseKernel = pk;
  }

  /** artanh with its argument clamped to ±(1 − ARTANH_EPS32). */
  private artanh(z: T): T {
    return tf.atanh(tf.clipByValue(z, -1 + ARTANH_EPS32, 1 - ARTANH_EPS32));
  }

  /** tanh with its argument clamped to ±TANH_CLAMP. */
  private tanh(z: T): T {
    return tf.tanh(tf.clipByValue(z, -TANH_CLAMP, TANH_CLAMP));
  }

  /** x ⊕ y without projection (used inside dist and logmap). */
  private mobiusAddRaw(x: T, y: T): T {
    const c = this.c;
    const x2 = tf.sum(tf.square(x), -1, true);
    const y2 = tf.sum(tf.square(y), -1, true);
    const xy = dot(x, y);
    const a = tf.add(tf.add(1, tf.mul(2 * c, xy)), tf.mul(c, y2));
    const b = tf.sub(1, tf.mul(c, x2));
    const num = tf.add(tf.mul(a, x), tf.mul(b, y));
    const den = tf.add(tf.add(1, tf.mul(2 * c, xy)), tf.mul(c * c, tf.mul(x2, y2)));
    return tf.div(num, tf.maximum(den, MIN_NORM));
  }

  /** Möbius addition x ⊕ y, projected onto the ball. */
  mobiusAdd(x: T, y: T): T {
    sameWidth('mobiusAdd', ['x', 'y'], x, y);
    return tf.tidy(() => this.projectRaw(this.mobiusAddRaw(x, y)));
  }

  private scalarMulRaw(r: T, x: T): T {
    const xn = safeNorm(x);
    const t = this.tanh(tf.mul(r, this.artanh(tf.mul(this.sqrtC, xn))));
    return tf.mul(tf.div(t, tf.mul(this.sqrtC, xn)), x);
  }

  /** Möbius scalar multiplication r ⊗ x = tanh(r artanh(√c‖x‖)) x / (√c‖x‖), projected. `r`: a number or a tensor [..., 1]. */
  mobiusScalarMul(r: number | T, x: T): T {
    needRank1('mobiusScalarMul', 'x', x);
    return tf.tidy(() => this.projectRaw(this.scalarMulRaw(scalarLike('mobiusScalarMul', r, x), x)));
  }

  /**
   * Möbius matrix-vector product M ⊗ x = exp₀(M log₀(x)) in closed form: m [out, in], x [..., in] → [..., out], projected.
   * One matrix product (x Mᵀ) for the whole batch.
   */
  mobiusMatvec(m: T, x: T): T {
    needRank1('mobiusMatvec', 'x', x);
    const inW = x.shape[x.rank - 1];
    if (m.rank !== 2 || m.shape[1] !== inW) {
      throw new HyperbolicError('SHAPE_MISMATCH', `mobiusMatvec: m [${m.shape}] must be [out, ${inW}] for x [${x.shape}]`);
    }
    return tf.tidy(() => {
      const lead = x.shape.slice(0, -1);
      const mx = matMul(x.reshape([-1, inW]), m, false, true).reshape([...lead, m.shape[0]]);
      const xn = safeNorm(x);
      const mxn = safeNorm(mx);
      const t = this.tanh(tf.mul(tf.div(mxn, xn), this.artanh(tf.mul(this.sqrtC, xn))));
      return this.projectRaw(tf.mul(tf.div(t, tf.mul(this.sqrtC, mxn)), mx));
    });
  }

  /** Exponential map at x: exp_x(u) = x ⊕ tanh(√c λ_x ‖u‖ / 2) u / (√c‖u‖), projected. */
  expmap(x: T, u: T): T {
    sameWidth('expmap', ['x', 'u'], x, u);
    return tf.tidy(() => {
      const un = safeNorm(u);
      const lam = this.lambdaRaw(x);
      const t = this.tanh(tf.mul(tf.mul(this.sqrtC / 2, lam), un));
      const second = tf.mul(tf.div(t, tf.mul(this.sqrtC, un)), u);
      return this.projectRaw(this.mobiusAddRaw(x, second));
    });
  }

  /** Exponential map at 0 (Euclidean → ball, DESIGN eq. 8): exp₀(u) = tanh(√c‖u‖) u / (√c‖u‖), projected. */
  expmap0<R extends T>(u: R): R {
    needRank1('expmap0', 'u', u);
    return tf.tidy(() => {
      const un = safeNorm(u);
      const t = this.tanh(tf.mul(this.sqrtC, un));
      return this.projectRaw(tf.mul(tf.div(t, tf.mul(this.sqrtC, un)), u));
    }) as R;
  }

  /** Logarithmic map at x: log_x(y) = 2/(√c λ_x) artanh(√c‖(−x) ⊕ y‖) ((−x) ⊕ y)/‖(−x) ⊕ y‖. */
  logmap(x: T, y: T): T {
    sameWidth('logmap', ['x', 'y'], x, y);
    return tf.tidy(() => {
      const sub = this.mobiusAddRaw(tf.neg(x), y);
      const sn = safeNorm(sub);
      const lam = this.lambdaRaw(x);
      const a = this.artanh(tf.mul(this.sqrtC, sn));
      return tf.mul(tf.div(tf.mul(2 / this.sqrtC, a), tf.mul(lam, sn)), sub);
    });
  }

  /** Logarithmic map at 0 (ball → Euclidean, DESIGN eq. 10): log₀(y) = artanh(√c‖y‖) y / (√c‖y‖). */
  logmap0<R extends T>(y: R): R {
    needRank1('logmap0', 'y', y);
    return tf.tidy(() => {
      const yn = safeNorm(y);
      return tf.mul(tf.div(this.artanh(tf.mul(this.sqrtC, yn)), tf.mul(this.sqrtC, yn)), y);
    }) as R;
  }

  /** Geodesic distance (DESIGN eq. 9): d(x, y) = (2/√c) artanh(√c‖(−x) ⊕ y‖), reduced over the last axis. */
  dist(x: T, y: T, keepDims = false): T {
    sameWidth('dist', ['x', 'y'], x, y);
    return tf.tidy(() => {
      const n = safeNorm(this.mobiusAddRaw(tf.neg(x), y));
      return squeezeLast(tf.mul(2 / this.sqrtC, this.artanh(tf.mul(this.sqrtC, n))), keepDims);
    });
  }

  /** Distance to the origin: d(0, x) = (2/√c) artanh(√c‖x‖). */
  dist0(x: T, keepDims = false): T {
    needRank1('dist0', 'x', x);
    return tf.tidy(() => squeezeLast(tf.mul(2 / this.sqrtC, this.artanh(tf.mul(this.sqrtC, safeNorm(x)))), keepDims));
  }

  /**
   * All distances between x [N, d] and y [M, d] → [N, M], with one matrix product and no [N, M, d] intermediate.
   * Uses the closed form ‖(−x) ⊕ y‖² = ‖x − y‖² / (1 − 2c⟨x,y⟩ + c²‖x‖²‖y‖²), where ‖x − y‖² = ‖x‖² + ‖y‖² − 2⟨x,y⟩;
   * it equals the expanded numerator of stage1_torch.py's pairwise_dist divided by its denominator squared.
   * The elementwise part runs as one fused pass on cpu/wasm (see `pairwiseKernel`). Values for nearly coincident pairs
   * carry float32 cancellation noise of about √(6e-8 (‖x‖² + ‖y‖²)) in ‖x − y‖ (use {@link PoincareBall.dist} when
   * such tiny distances matter); gradients stay finite and bounded there.
   */
  pairwiseDist(x: T, y: T): tf.Tensor2D {
    if (x.rank !== 2 || y.rank !== 2 || x.shape[1] !== y.shape[1]) {
      throw new HyperbolicError('SHAPE_MISMATCH', `pairwiseDist: x [${x.shape}] and y [${y.shape}] must be [N, d] and [M, d] with the same d`);
    }
    const k = this.pairwiseKernel;
    const fused = k === 'fused' || (k === 'auto' && HOST_BACKENDS.has(tf.getBackend()));
    return fused ? pairwiseDistFused(x, y, this.c) : pairwiseDistOps(x, y, this.c);
  }

  private projectRaw(x: T): T {
    return tf.mul(x, tf.minimum(1, tf.div(this.maxNorm, safeNorm(x))));
  }

  /** Scale points with ‖x‖ > (1 − boundaryEps)/√c back onto that radius; points inside pass unchanged. */
  project<R extends T>(x: R): R {
    needRank1('project', 'x', x);
    return tf.tidy(() => this.projectRaw(x)) as R;
  }

  private lambdaRaw(x: T): T {
    return tf.div(2, tf.maximum(tf.sub(1, tf.mul(this.c, tf.sum(tf.square(x), -1, true))), MIN_NORM));
  }

  /** Conformal factor λ_x = 2 / (1 − c‖x‖²), as [..., 1] (or [...] with keepDims false). */
  lambdaX(x: T, keepDims = true): T {
    needRank1('lambdaX', 'x', x);
    return tf.tidy(() => squeezeLast(this.lambdaRaw(x), keepDims));
  }

  /** Riemannian gradient from a Euclidean one: g / λ_x². */
  egrad2rgrad(x: T, g: T): T {
    sameWidth('egrad2rgrad', ['x', 'g'], x, g);
    return tf.tidy(() => tf.div(g, tf.square(this.lambdaRaw(x))));
  }

  /** Riemannian inner product of tangent vectors at x: λ_x² ⟨u, v⟩ (v defaults to u). */
  inner(x: T, u: T, v: T = u, keepDims = false): T {
    sameWidth('inner', ['x', 'u'], x, u);
    sameWidth('inner', ['u', 'v'], u, v);
    return tf.tidy(() => squeezeLast(tf.mul(tf.square(this.lambdaRaw(x)), dot(u, v)), keepDims));
  }

  /** Gyration gyr[a, b]w = ⊖(a ⊕ b) ⊕ (a ⊕ (b ⊕ w)) in closed form (linear in w, so w may be any tangent vector). */
  gyration(a: T, b: T, w: T): T {
    sameWidth('gyration', ['a', 'b'], a, b);
    sameWidth('gyration', ['b', 'w'], b, w);
    const c = this.c;
    return tf.tidy(() => {
      const a2 = tf.sum(tf.square(a), -1, true);
      const b2 = tf.sum(tf.square(b), -1, true);
      const ab = dot(a, b);
      const aw = dot(a, w);
      const bw = dot(b, w);
      // coefficient of a: −c²⟨a,w⟩‖b‖² + c⟨b,w⟩ + 2c²⟨a,b⟩⟨b,w⟩ ; of b: −c²⟨b,w⟩‖a‖² − c⟨a,w⟩
      const ca = tf.add(tf.mul(-c * c, tf.mul(aw, b2)), tf.add(tf.mul(c, bw), tf.mul(2 * c * c, tf.mul(ab, bw))));
      const cb = tf.sub(tf.mul(-c * c, tf.mul(bw, a2)), tf.mul(c, aw));
      const den = tf.maximum(tf.add(tf.add(1, tf.mul(2 * c, ab)), tf.mul(c * c, tf.mul(a2, b2))), MIN_NORM);
      return tf.add(w, tf.div(tf.mul(2, tf.add(tf.mul(ca, a), tf.mul(cb, b))), den));
    });
  }

  /** Parallel transport of v from x to y: gyr[y, −x] v · λ_x / λ_y. */
  transp(x: T, y: T, v: T): T {
    sameWidth('transp', ['x', 'y'], x, y);
    sameWidth('transp', ['x', 'v'], x, v);
    return tf.tidy(() => tf.mul(this.gyration(y, tf.neg(x), v), tf.div(this.lambdaRaw(x), this.lambdaRaw(y))));
  }

  /**
   * Weighted gyro-midpoint of points xs [..., n, d] with weights [..., n] (default all 1): ½ ⊗ (Σ wᵢλᵢxᵢ / Σ wᵢ(λᵢ − 1)).
   * Returns [..., d]. Equal weights on two points give the geodesic midpoint.
   */
  weightedMidpoint(xs: T, weights?: T): T {
    if (xs.rank < 2) throw new HyperbolicError('SHAPE_MISMATCH', `weightedMidpoint: xs [${xs.shape}] must be [..., n, d]`);
    const n = xs.shape[xs.rank - 2];
    if (weights && (weights.rank < 1 || weights.shape[weights.rank - 1] !== n)) {
      throw new HyperbolicError('SHAPE_MISMATCH', `weightedMidpoint: weights [${weights.shape}] must end in n = ${n} for xs [${xs.shape}]`);
    }
    if (weights) broadcastShape('weightedMidpoint', [...weights.shape, 1], xs.shape);
    return tf.tidy(() => {
      const lam = this.lambdaRaw(xs); // [..., n, 1]
      const w = weights ? tf.expandDims(weights, -1) : tf.onesLike(lam);
      const nom = tf.sum(tf.mul(tf.mul(lam, w), xs), -2); // [..., d]
      const den = tf.sum(tf.mul(tf.sub(lam, 1), w), -2); // [..., 1]
      const sg = tf.sign(den); // comparisons have no gradient in tfjs; Sign's is zero
      const sign = tf.add(sg, tf.sub(1, tf.abs(sg))); // sign with 0 ↦ +1
      const safeDen = tf.mul(sign, tf.maximum(tf.abs(den), 1e-10));
      return this.projectRaw(this.scalarMulRaw(tf.scalar(0.5), tf.div(nom, safeDen)));
    });
  }

  /** Point at parameter t on the geodesic from x (t = 0) to y (t = 1): x ⊕ (t ⊗ ((−x) ⊕ y)), projected. */
  geodesic(t: number | T, x: T, y: T): T {
    sameWidth('geodesic', ['x', 'y'], x, y);
    return tf.tidy(() => {
      const v = this.mobiusAddRaw(tf.neg(x), y);
      return this.projectRaw(this.mobiusAddRaw(x, this.scalarMulRaw(scalarLike('geodesic', t, v), v)));
    });
  }

  /**
   * Validate points (reads the data: not for hot paths): throws NAN_INPUT on a non-finite entry and OFF_BALL on a
   * row with ‖x‖ ≥ 1/√c, naming the row and its norm. Returns x for chaining.
   */
  check<R extends T>(x: R, name = 'x'): R {
    needRank1('check', name, x);
    const d = x.shape[x.rank - 1];
    const data = x.dataSync();
    const limit = 1 / this.sqrtC;
    for (let r = 0; r * d < data.length; r++) {
      let s = 0;
      for (let j = 0; j < d; j++) {
        const v = data[r * d + j];
        if (!Number.isFinite(v)) throw new HyperbolicError('NAN_INPUT', `${name} [${x.shape}]: row ${r}, entry ${j} is ${v}`);
        s += v * v;
      }
      if (Math.sqrt(s) >= limit) {
        throw new HyperbolicError('OFF_BALL', `${name} [${x.shape}]: row ${r} has norm ${Math.sqrt(s)} >= 1/sqrt(c) = ${limit}`);
      }
    }
    return x;
  }
}
