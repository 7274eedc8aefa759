import { tf, hasKernel } from '@llmar/tensor';
import { LlmError } from './errors';
import { SafetensorsFile, encodeSafetensors, type WritableTensor } from './safetensors';

/** Options of {@link AdamW} (PyTorch's `torch.optim.AdamW` defaults). */
export interface AdamWOptions {
  /** Learning rate (change it per step with `optimizer.lr = ...` or a schedule). @default 1e-3 */
  lr?: number;
  /** @default 0.9 */
  beta1?: number;
  /** @default 0.999 */
  beta2?: number;
  /** Added to √v̂ in the denominator. @default 1e-8 */
  eps?: number;
  /** Decoupled weight decay: p ← p − lr·wd·p before the Adam update. @default 0.01 */
  weightDecay?: number;
}

/** Options of {@link AdamW.apply}. */
export interface ApplyOptions {
  /** Multiply the gradients by this first (e.g. 1 / tokens for a mean). @default 1 */
  scale?: number;
  /** Clip the global norm of the scaled gradients to this (as torch.nn.utils.clip_grad_norm_). @default Infinity */
  clipNorm?: number;
}

/** What {@link AdamW.state} returns and {@link AdamW.loadState} accepts: everything needed to resume exactly. */
export interface AdamWState {
  step: number;
  /** Per-variable step counts (default: `step` for every variable). */
  steps?: Record<string, number>;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** First and second moments by variable name. */
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
}

/**
 * AdamW (Loshchilov & Hutter 2019) with bias correction, as `torch.optim.AdamW`:
 * p ← p(1 − lr·wd); m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; p ← p − lr·(m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε).
 * Variables are named (the names key gradients and the saved state). Only the variables given here are ever updated.
 */
export class AdamW {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  /** Number of updates applied so far. */
  step = 0;
  /** Per-variable update counts (PyTorch keeps a step per parameter; a variable without a gradient does not advance). */
  private readonly varSteps: number[];
  private readonly vars: Map<string, tf.Variable>;
  private readonly order: string[];
  private readonly sizes: number[];
  private readonly offsets = new Map<string, number>();
  private readonly total: number;
  // Moments of all variables in one flat buffer each: an update is ~20 kernels whatever the variable count.
  private readonly m: tf.Variable;
  private readonly v: tf.Variable;

  constructor(variables: Record<string, tf.Variable> | Map<string, tf.Variable>, options: AdamWOptions = {}) {
    this.vars = variables instanceof Map ? new Map(variables) : new Map(Object.entries(variables));
    if (this.vars.size === 0) throw new LlmError('BAD_OPTION', 'AdamW needs at least one variable');
    this.lr = options.lr ?? 1e-3;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.01;
    for (const [k, val] of [['lr', this.lr], ['eps', this.eps], ['weightDecay', this.weightDecay]] as const) {
      if (!(val >= 0) || !Number.isFinite(val)) throw new LlmError('BAD_OPTION', `AdamW ${k} = ${val} must be a finite number >= 0`);
    }
    for (const [k, val] of [['beta1', this.beta1], ['beta2', this.beta2]] as const) {
      if (!(val >= 0 && val < 1)) throw new LlmError('BAD_OPTION', `AdamW ${k} = ${val} must be in [0, 1)`);
    }
    this.order = [...this.vars.keys()];
    this.sizes = this.order.map((n) => this.vars.get(n)!.size);
    let off = 0;
    this.order.forEach((n, i) => {
      this.offsets.set(n, off);
      off += this.sizes[i];
    });
    this.total = off;
    this.varSteps = this.order.map(() => 0);
    this.m = tf.tidy(() => tf.variable(tf.zeros([this.total]), false));
    this.v = tf.tidy(() => tf.variable(tf.zeros([this.total]), false));
  }

  /** The variables this optimiser updates, by name. */
  variables(): Map<string, tf.Variable> {
    return new Map(this.vars);
  }

  /** Names of the variables this optimiser updates. */
  names(): string[] {
    return [...this.order];
  }

  /**
   * Apply one update from gradients keyed by variable name; returns the global gradient norm (after `scale`, before
   * clipping). Variables absent from `grads` are left untouched (no decay, no moment update), as PyTorch skips
   * parameters whose `.grad` is None (their own step count, used for bias correction, does not advance either).
   */
  apply(grads: Record<string, tf.Tensor> | Map<string, tf.Tensor>, options: ApplyOptions = {}): number {
    const g = grads instanceof Map ? grads : new Map(Object.entries(grads));
    for (const [k, t] of g) {
      const p = this.vars.get(k);
      if (!p) throw new LlmError('BAD_OPTION', `gradient for "${k}", which this optimiser does not hold`);
      if (t.size !== p.size) throw new LlmError('SHAPE_MISMATCH', `gradient of "${k}" has shape [${t.shape}], variable [${p.shape}]`);
    }
    const scale = options.scale ?? 1;
    const clip = options.clipNorm ?? Infinity;
    const present = this.order.map((n) => g.has(n));
    const all = present.every(Boolean);
    if (!present.some(Boolean)) return 0;
    if (hasKernel('LlmarAdamW')) return this.applyFused(g, present, scale, clip);
    const flat = tf.tidy(() => {
      const parts = this.order.map((n, i) => (present[i] ? g.get(n)!.reshape([-1]) : tf.zeros([this.sizes[i]])));
      const c = parts.length === 1 ? parts[0] : tf.concat(parts);
      return scale === 1 ? c.clone() : tf.mul(c, scale);
    });
    try {
      const norm = Math.sqrt(tf.tidy(() => tf.sum(tf.square(flat)).dataSync()[0]));
      const factor = Number.isFinite(clip) && norm > clip ? clip / (norm + 1e-6) : 1;
      this.step += 1;
      present.forEach((p, i) => {
        if (p) this.varSteps[i] += 1;
      });
      const ts = this.varSteps;
      const uniform = ts.every((t) => t === ts[0]);
      tf.tidy(() => {
        // bias corrections: scalars when every variable has the same step count, else per-segment vectors
        const seg = (f: (t: number) => number) =>
          uniform ? f(ts[0]) : tf.concat(this.order.map((_, i) => tf.fill([this.sizes[i]], f(Math.max(ts[i], 1)))));
        const stepSize = seg((t) => this.lr / (1 - this.beta1 ** t));
        const sqrtBc2 = seg((t) => Math.sqrt(1 - this.beta2 ** t));
        const gr = factor === 1 ? flat : tf.mul(flat, factor);
        let m1 = tf.add(tf.mul(this.m, this.beta1), tf.mul(gr, 1 - this.beta1));
        let v1 = tf.add(tf.mul(this.v, this.beta2), tf.mul(tf.square(gr), 1 - this.beta2));
        let mask: tf.Tensor | undefined;
        if (!all) {
          mask = tf.concat(this.order.map((_, i) => tf.fill([this.sizes[i]], present[i] ? 1 : 0)));
          const keep = tf.greater(mask, 0);
          m1 = tf.where(keep, m1, this.m);
          v1 = tf.where(keep, v1, this.v);
        }
        this.m.assign(m1);
        this.v.assign(v1);
        const vars = this.order.map((n) => this.vars.get(n)!);
        const p = vars.length === 1 ? vars[0].reshape([-1]) : tf.concat(vars.map((x) => x.reshape([-1])));
        const adam = tf.mul(tf.div(m1, tf.add(tf.div(tf.sqrt(v1), sqrtBc2), this.eps)), stepSize);
        let upd = this.weightDecay ? tf.add(adam, tf.mul(p, this.lr * this.weightDecay)) : adam;
        if (mask) upd = tf.mul(upd, mask);
        const pNew = tf.sub(p, upd);
        const pieces = vars.length === 1 ? [pNew] : tf.split(pNew, this.sizes);
        vars.forEach((x, i) => {
          if (present[i]) x.assign(pieces[i].reshape(x.shape));
        });
      });
      return norm;
    } finally {
      flat.dispose();
    }
  }

  /** The same update in one @llmar/native kernel call (no concat / split of the flat vectors, one pass per array). */
  private applyFused(g: Map<string, tf.Tensor>, present: boolean[], scale: number, clip: number): number {
    const idx = this.order.map((_, i) => i).filter((i) => present[i]);
    this.step += 1;
    for (const i of idx) this.varSteps[i] += 1;
    const inputs: tf.NamedTensorMap = { m: this.m, v: this.v };
    idx.forEach((i, k) => {
      inputs[`p${k}`] = this.vars.get(this.order[i])!;
      inputs[`g${k}`] = g.get(this.order[i])!;
    });
    const attrs = {
      offsets: idx.map((i) => this.offsets.get(this.order[i])!),
      stepSizes: idx.map((i) => this.lr / (1 - this.beta1 ** this.varSteps[i])),
      sqrtBc2: idx.map((i) => Math.sqrt(1 - this.beta2 ** this.varSteps[i])),
      beta1: this.beta1, beta2: this.beta2, eps: this.eps, decay: this.lr * this.weightDecay, scale, clipNorm: clip,
      // m and v are this optimiser's own (never handed out, state() copies them): updated in their memory
      inPlace: true,
    };
    const outs = tf.engine().runKernel('LlmarAdamW', inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    const norm = outs[0].dataSync()[0];
    idx.forEach((i, k) => this.vars.get(this.order[i])!.assign(outs[1 + k]));
    tf.dispose(outs);
    return norm;
  }

  /** A copy of the full state (moments as Float32Arrays), for checkpoints. */
  state(): AdamWState {
    const mAll = this.m.dataSync() as Float32Array;
    const vAll = this.v.dataSync() as Float32Array;
    const m: Record<string, Float32Array> = {};
    const v: Record<string, Float32Array> = {};
    this.order.forEach((name, i) => {
      const o = this.offsets.get(name)!;
      m[name] = mAll.slice(o, o + this.sizes[i]);
      v[name] = vAll.slice(o, o + this.sizes[i]);
    });
    const steps = Object.fromEntries(this.order.map((n, i) => [n, this.varSteps[i]]));
    return { step: this.step, steps, lr: this.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay, m, v };
  }

  /** Restore a state saved by {@link state} (same variable names and sizes). */
  loadState(s: AdamWState): void {
    const mAll = new Float32Array(this.total);
    const vAll = new Float32Array(this.total);
    this.order.forEach((name, i) => {
      const o = this.offsets.get(name)!;
      for (const [which, src, dst] of [['m', s.m, mAll], ['v', s.v, vAll]] as const) {
        const arr = src[name];
        if (!arr) throw new LlmError('MISSING_TENSOR', `optimiser state has no ${which} for "${name}"`);
        if (arr.length !== this.sizes[i]) {
          throw new LlmError('SHAPE_MISMATCH', `optimiser state ${which} of "${name}" has ${arr.length} values, variable [${this.vars.get(name)!.shape}] needs ${this.sizes[i]}`);
        }
        dst.set(arr, o);
      }
    });
    tf.tidy(() => {
      this.m.assign(tf.tensor1d(mAll));
      this.v.assign(tf.tensor1d(vAll));
    });
    this.step = s.step;
    this.order.forEach((n, i) => (this.varSteps[i] = s.steps?.[n] ?? s.step));
    this.lr = s.lr;
  }

  /** The state as a safetensors buffer: tensors `m.<name>` and `v.<name>`, scalars in `__metadata__`. */
  saveState(): Uint8Array {
    const s = this.state();
    const tensors: Record<string, WritableTensor> = {};
    for (const name of this.order) {
      const shape = this.vars.get(name)!.shape;
      tensors[`m.${name}`] = { data: s.m[name], shape };
      tensors[`v.${name}`] = { data: s.v[name], shape };
    }
    return encodeSafetensors(tensors, {
      optimizer: 'AdamW', step: String(s.step), steps: JSON.stringify(s.steps), lr: String(s.lr), beta1: String(s.beta1), beta2: String(s.beta2), eps: String(s.eps), weight_decay: String(s.weightDecay),
    });
  }

  /** Restore from {@link saveState}'s buffer. */
  loadStateFrom(buf: Uint8Array): void {
    const f = SafetensorsFile.fromBuffer(buf, 'optimizer state');
    if (f.metadata.optimizer !== 'AdamW') throw new LlmError('BAD_FORMAT', `optimizer state is "${f.metadata.optimizer}", expected AdamW`);
    const m: Record<string, Float32Array> = {};
    const v: Record<string, Float32Array> = {};
    for (const name of this.order) {
      m[name] = f.readTyped(`m.${name}`).data as Float32Array;
      v[name] = f.readTyped(`v.${name}`).data as Float32Array;
    }
    const md = f.metadata;
    this.loadState({ step: Number(md.step), steps: md.steps ? JSON.parse(md.steps) : undefined, lr: Number(md.lr), beta1: Number(md.beta1), beta2: Number(md.beta2), eps: Number(md.eps), weightDecay: Number(md.weight_decay), m, v });
  }

  /** Free the moment buffers (the variables themselves belong to the caller). */
  dispose(): void {
    this.m.dispose();
    this.v.dispose();
  }
}

/** Options of {@link lrSchedule}. */
export interface LrScheduleOptions {
  /** Peak learning rate, reached at the end of warm-up. */
  peak: number;
  /** Linear warm-up steps: lr = peak·(step+1)/warmupSteps for step < warmupSteps. @default 0 */
  warmupSteps?: number;
  /** Total steps; decay runs from the end of warm-up to here. Needed for cosine and linear. */
  totalSteps?: number;
  /** Shape after warm-up. @default 'cosine' */
  decay?: 'cosine' | 'linear' | 'constant';
  /** Floor reached at `totalSteps`. @default 0 */
  minLr?: number;
}

/** A learning-rate schedule: linear warm-up, then cosine, linear or constant. Returns lr for a 0-based step. */
export function lrSchedule(o: LrScheduleOptions): (step: number) => number {
  const warm = o.warmupSteps ?? 0;
  const decay = o.decay ?? 'cosine';
  const minLr = o.minLr ?? 0;
  if (!(o.peak > 0)) throw new LlmError('BAD_OPTION', `lrSchedule peak = ${o.peak} must be > 0`);
  if (!Number.isInteger(warm) || warm < 0) throw new LlmError('BAD_OPTION', `lrSchedule warmupSteps = ${warm} must be an integer >= 0`);
  if (decay !== 'constant' && !(Number.isInteger(o.totalSteps) && (o.totalSteps as number) > warm)) {
    throw new LlmError('BAD_OPTION', `lrSchedule totalSteps = ${o.totalSteps} must be an integer > warmupSteps (${warm}) for ${decay} decay`);
  }
  return (step: number) => {
    if (step < warm) return (o.peak * (step + 1)) / warm;
    if (decay === 'constant') return o.peak;
    const span = (o.totalSteps as number) - warm;
    const p = Math.min(1, (step - warm) / span);
    const f = decay === 'cosine' ? 0.5 * (1 + Math.cos(Math.PI * p)) : 1 - p;
    return minLr + (o.peak - minLr) * f;
  };
}
