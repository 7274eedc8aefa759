import { tf } from '@llmar/tensor';
import { PoincareBall } from './ball';
import { HyperbolicError, checkRange } from './errors';

/** Options of {@link RiemannianAdam}. */
export interface RiemannianAdamOptions {
  /** Learning rate (roughly the geodesic length of one step). @default 1e-3 */
  lr?: number;
  /** First-moment decay. @default 0.9 */
  beta1?: number;
  /** Second-moment decay. @default 0.999 */
  beta2?: number;
  /** Added to the square root of the second moment. @default 1e-8 */
  eps?: number;
  /** Euclidean weight decay: `weightDecay · x` is added to the Euclidean gradient (as geoopt). @default 0 */
  weightDecay?: number;
  /** How a step moves a point: the exact exponential map, or geoopt's retraction `project(x + u)`. @default 'expmap' */
  update?: 'expmap' | 'retraction';
  /** Keep the running maximum of the second moment (AMSGrad). @default false */
  amsgrad?: boolean;
}

interface Slot {
  step: number;
  m: tf.Tensor; // first moment, a tangent vector at the current point, shape of the parameter
  v: tf.Tensor; // second moment: squared Riemannian norm per point, [..., 1]
  vmax?: tf.Tensor;
}

/**
 * Riemannian Adam (Bécigneul & Ganea 2019, as geoopt's `RiemannianAdam`) for parameters whose rows are points of a
 * {@link PoincareBall}, e.g. a hyperbolic codebook [U, d]. Per step and point x with Euclidean gradient g:
 * Riemannian gradient r = g / λ_x²; m ← β₁m + (1 − β₁) r; v ← β₂v + (1 − β₂) λ_x²‖r‖² (one second moment per point);
 * u = −lr (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + eps); x' = exp_x(u) (or project(x + u)); m is parallel-transported
 * from x to x'. Points always end inside the ball (every update projects).
 */
export class RiemannianAdam {
  readonly ball: PoincareBall;
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly update: 'expmap' | 'retraction';
  readonly amsgrad: boolean;
  private slots = new Map<tf.Variable, Slot>();

  constructor(ball: PoincareBall, options: RiemannianAdamOptions = {}) {
    if (!(ball instanceof PoincareBall)) {
      throw new HyperbolicError('BAD_OPTION', `RiemannianAdam needs a PoincareBall as its first argument, got ${String(ball)}`);
    }
    this.ball = ball;
    this.lr = checkRange('lr', options.lr ?? 1e-3, 0, Infinity);
    this.beta1 = checkRange('beta1', options.beta1 ?? 0.9, 0, 1, false, true);
    this.beta2 = checkRange('beta2', options.beta2 ?? 0.999, 0, 1, false, true);
    this.eps = checkRange('eps', options.eps ?? 1e-8, 0, Infinity, false);
    this.weightDecay = checkRange('weightDecay', options.weightDecay ?? 0, 0, Infinity, false);
    const update = options.update ?? 'expmap';
    if (update !== 'expmap' && update !== 'retraction') {
      throw new HyperbolicError('BAD_OPTION', `update must be 'expmap' or 'retraction', got ${String(update)}`);
    }
    this.update = update;
    this.amsgrad = options.amsgrad ?? false;
  }

  /** Steps taken for a parameter (0 before its first update). */
  stepsOf(param: tf.Variable): number {
    return this.slots.get(param)?.step ?? 0;
  }

  /**
   * One update. Either parallel arrays `(params, grads)` of Euclidean gradients, or a `NamedTensorMap` as returned by
   * `tf.variableGrads(f).grads` (keys are variable names).
   */
  applyGradients(params: tf.Variable[] | tf.NamedTensorMap, grads?: tf.Tensor[]): void {
    let pairs: [tf.Variable, tf.Tensor][];
    if (Array.isArray(params)) {
      if (!grads || grads.length !== params.length) {
        throw new HyperbolicError('SHAPE_MISMATCH', `applyGradients: ${params.length} params but ${grads ? grads.length : 'no'} gradients`);
      }
      pairs = params.map((p, i) => [p, grads[i]]);
    } else {
      const registry = tf.engine().registeredVariables;
      pairs = Object.entries(params).map(([name, g]) => {
        const v = registry[name];
        if (!v) throw new HyperbolicError('BAD_OPTION', `applyGradients: no variable named "${name}" is registered`);
        return [v, g];
      });
    }
    for (const [p, g] of pairs) this.stepOne(p, g);
  }

  /** Compute the gradients of `loss` with respect to `params`, apply them, and return the loss (kept) or null. */
  minimize(loss: () => tf.Scalar, params: tf.Variable[], returnCost = false): tf.Scalar | null {
    const { value, grads } = tf.variableGrads(loss, params);
    this.applyGradients(params, params.map((p) => grads[p.name]));
    tf.dispose(Object.values(grads));
    if (returnCost) return value;
    value.dispose();
    return null;
  }

  private stepOne(param: tf.Variable, grad: tf.Tensor): void {
    const shape = param.shape;
    if (grad.shape.length !== shape.length || grad.shape.some((s, i) => s !== shape[i])) {
      throw new HyperbolicError('SHAPE_MISMATCH', `applyGradients: gradient [${grad.shape}] does not match parameter ${param.name} [${shape}]`);
    }
    if (param.rank < 1) throw new HyperbolicError('SHAPE_MISMATCH', `applyGradients: parameter ${param.name} must hold points on its last axis, got a scalar`);
    const ball = this.ball;
    let slot = this.slots.get(param);
    if (!slot) {
      const m = tf.keep(tf.zerosLike(param));
      const v = tf.keep(tf.zeros([...shape.slice(0, -1), 1]));
      slot = { step: 0, m, v, vmax: this.amsgrad ? tf.keep(tf.zerosLike(v)) : undefined };
      this.slots.set(param, slot);
    }
    const s = slot;
    s.step += 1;
    const bc1 = 1 - this.beta1 ** s.step;
    const bc2 = 1 - this.beta2 ** s.step;
    const out = tf.tidy(() => {
      const x = param as tf.Tensor;
      const g = this.weightDecay > 0 ? tf.add(grad, tf.mul(this.weightDecay, x)) : grad;
      const r = ball.egrad2rgrad(x, g);
      const m = tf.add(tf.mul(this.beta1, s.m), tf.mul(1 - this.beta1, r));
      const v = tf.add(tf.mul(this.beta2, s.v), tf.mul(1 - this.beta2, ball.inner(x, r, r, true)));
      const vmax = s.vmax ? tf.maximum(s.vmax, v) : undefined;
      const denom = tf.add(tf.sqrt(tf.div(vmax ?? v, bc2)), this.eps);
      const u = tf.mul(-this.lr / bc1, tf.div(m, denom));
      const next = this.update === 'expmap' ? ball.expmap(x, u) : ball.project(tf.add(x, u));
      const mt = ball.transp(x, next, m);
      return { next, mt, v, vmax };
    });
    param.assign(out.next);
    out.next.dispose();
    tf.dispose([s.m, s.v]);
    s.m = tf.keep(out.mt);
    s.v = tf.keep(out.v);
    if (out.vmax) {
      s.vmax?.dispose();
      s.vmax = tf.keep(out.vmax);
    }
  }

  /** Free the moment tensors. */
  dispose(): void {
    for (const s of this.slots.values()) tf.dispose([s.m, s.v, ...(s.vmax ? [s.vmax] : [])]);
    this.slots.clear();
  }
}
