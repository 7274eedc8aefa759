import { tf, customGrad, hasKernel, Rng } from '@llmar/tensor';
import { LlmError } from './errors';
import { type Llama, type LinearAdapter } from './model';
import { fastTransposeFlags } from './memory';

/** Linear layers LoRA can wrap (peft's `target_modules` names for LLaMA). */
export type LoraTarget = 'q_proj' | 'k_proj' | 'v_proj' | 'o_proj' | 'gate_proj' | 'up_proj' | 'down_proj';
export const LORA_TARGETS: readonly LoraTarget[] = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

/** Options of {@link applyLora} (peft's `LoraConfig` names in comments). Defaults follow the paper (lit-llama). */
export interface LoraOptions {
  /** Rank (`r`). @default 64 */
  r?: number;
  /** Scale numerator (`lora_alpha`); the update is scaled by alpha / r (alpha / √r with `rsLora`). @default 16 */
  alpha?: number;
  /** Dropout on the adapter's input while training (`lora_dropout`). @default 0.05 */
  dropout?: number;
  /** Which projections get adapters (`target_modules`). @default ['q_proj', 'v_proj'] */
  targetModules?: LoraTarget[];
  /** Only these layer indices (`layers_to_transform`); all layers when absent. @default all */
  layers?: number[];
  /** Rank-stabilised scaling alpha / √r (`use_rslora`). @default false */
  rsLora?: boolean;
  /** Seed of the A initialisation and of the dropout masks. @default 0 */
  seed?: number;
}

/** A resolved LoRA configuration (every option filled in). */
export type LoraConfig = Required<Omit<LoraOptions, 'layers'>> & { layers: number[] | null };

/**
 * One LoRA adapter on a linear weight W [out, in]: y = W x + (alpha/r) · B A dropout(x), with A [r, in] drawn
 * Kaiming-uniform (a = √5, i.e. U(−1/√in, 1/√in), as peft / nn.Linear) and B [out, r] zero, so training starts from
 * the base model. Stored transposed for fast matMuls: `At` [in, r] and `Bt` [r, out].
 */
export class LoraLinear implements LinearAdapter {
  readonly At: tf.Variable;
  readonly Bt: tf.Variable;
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    readonly r: number,
    readonly scaling: number,
    readonly dropout: number,
    private readonly rng: Rng,
  ) {
    const bound = 1 / Math.sqrt(inFeatures);
    const a = new Float32Array(inFeatures * r);
    for (let i = 0; i < a.length; i++) a[i] = (2 * rng.next() - 1) * bound;
    this.At = tf.tidy(() => tf.variable(tf.tensor2d(a, [inFeatures, r]), true));
    this.Bt = tf.tidy(() => tf.variable(tf.zeros([r, outFeatures]), true));
  }

  apply(x: tf.Tensor, training: boolean): tf.Tensor {
    return tf.tidy(() => {
      let h = x.rank === 2 ? x : x.reshape([-1, this.inFeatures]);
      if (training && this.dropout > 0) h = tf.dropout(h, this.dropout, undefined, this.rng.seed());
      const y = loraProduct(h, this.At, this.Bt, this.scaling);
      return x.rank === 2 ? y : y.reshape([...x.shape.slice(0, -1), this.outFeatures]);
    });
  }

  /**
   * y + apply(x) for y [N, out] and x [N, in] as one node, when @llmar/native registers LlmarLoraAdd: one kernel each
   * way instead of 4 + 5, with the same bits (same products in the same order; tested). Undefined otherwise.
   */
  applyAdd(y: tf.Tensor, x: tf.Tensor, training: boolean): tf.Tensor | undefined {
    if (x.rank !== 2 || y.rank !== 2 || !hasKernel('LlmarLoraAdd') || !hasKernel('LlmarLoraAddGrad')) return undefined;
    return tf.tidy(() => {
      const h = training && this.dropout > 0 ? tf.dropout(x, this.dropout, undefined, this.rng.seed()) : x;
      const attrs = { scale: this.scaling };
      const run = (name: string, inputs: tf.NamedTensorMap) => tf.engine().runKernel(name, inputs, attrs) as tf.Tensor[];
      const f = customGrad((yy: tf.Tensor, xx: tf.Tensor, a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
        const [o, mid, bs] = run('LlmarLoraAdd', { y: yy, x: xx, a, b });
        save([xx, a, bs, mid]);
        return {
          value: o,
          gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
            const [sx, sa, sbs, smid] = saved;
            // dy for y as its own tensor object (tfjs disposes accumulated gradients one by one)
            return [dy.reshape(dy.shape), ...run('LlmarLoraAddGrad', { dy, x: sx, a: sa, bs: sbs, mid: smid })];
          },
        };
      });
      return f(y, h, this.At, this.Bt);
    });
  }

  /** The weight update scaling · B A, [out, in]. */
  delta(): tf.Tensor2D {
    return tf.tidy(() => tf.transpose(tf.matMul(this.At, this.Bt)).mul(this.scaling) as tf.Tensor2D);
  }

  dispose(): void {
    this.At.dispose();
    this.Bt.dispose();
  }
}

/**
 * s · (h @ At) @ Bt for h [N, in], At [in, r], Bt [r, out], with a gradient that only multiplies untransposed operands
 * (the transposes it needs are of small or [N, r]-sized matrices, made explicitly): transpose-flagged matMuls are
 * several times slower on wasm, with or without the native kernels, and they dominated the adapter's cost.
 */
function loraProduct(h: tf.Tensor, At: tf.Tensor, Bt: tf.Tensor, s: number): tf.Tensor {
  const f = customGrad((x: tf.Tensor, a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const mid = tf.matMul(x, a);
    const bs = s === 1 ? b : tf.mul(b, s); // the scaling multiplies the small [r, out] matrix, not the activations
    save([x, a, bs, mid]);
    return {
      value: tf.matMul(mid, bs),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sa, sbs, smid] = saved;
        if (fastTransposeFlags()) {
          // native kernels (cpu, node, wasm+native): transpose flags are free, no explicit copies
          const dmid = tf.matMul(dy, sbs, false, true); // [N, r]
          return [tf.matMul(dmid, sa, false, true), tf.matMul(sx, dmid, true, false), tf.matMul(smid, dy, true, false).mul(s)];
        }
        const dmid = tf.matMul(dy, tf.transpose(sbs)); // [N, r]
        const dB = tf.matMul(tf.transpose(smid), dy).mul(s); // [r, out]
        const dx = tf.matMul(dmid, tf.transpose(sa)); // [N, in]
        const dA = tf.matMul(tf.transpose(sx), dmid); // [in, r]
        return [dx, dA, dB];
      },
    };
  });
  return f(h, At, Bt);
}

/** Weight name of a target in layer i, e.g. `model.layers.3.self_attn.q_proj.weight`. */
export function loraWeightName(layer: number, target: LoraTarget): string {
  const group = target === 'gate_proj' || target === 'up_proj' || target === 'down_proj' ? 'mlp' : 'self_attn';
  return `model.layers.${layer}.${group}.${target}.weight`;
}

/** Resolve and validate LoRA options against a model (BAD_OPTION naming the option). */
export function resolveLoraOptions(model: Llama, o: LoraOptions = {}): LoraConfig {
  const c: LoraConfig = {
    r: o.r ?? 64,
    alpha: o.alpha ?? 16,
    dropout: o.dropout ?? 0.05,
    targetModules: o.targetModules ?? ['q_proj', 'v_proj'],
    layers: o.layers ?? null,
    rsLora: o.rsLora ?? false,
    seed: o.seed ?? 0,
  };
  if (!Number.isInteger(c.r) || c.r < 1) throw new LlmError('BAD_OPTION', `LoRA r = ${c.r} must be a positive integer`);
  if (!(c.alpha > 0) || !Number.isFinite(c.alpha)) throw new LlmError('BAD_OPTION', `LoRA alpha = ${c.alpha} must be > 0`);
  if (!(c.dropout >= 0 && c.dropout < 1)) throw new LlmError('BAD_OPTION', `LoRA dropout = ${c.dropout} must be in [0, 1)`);
  if (!Array.isArray(c.targetModules) || c.targetModules.length === 0) throw new LlmError('BAD_OPTION', 'LoRA targetModules must be a non-empty list');
  for (const t of c.targetModules) {
    if (!LORA_TARGETS.includes(t)) throw new LlmError('BAD_OPTION', `LoRA target module "${String(t)}" is not one of ${LORA_TARGETS.join(', ')}`);
  }
  for (const l of c.layers ?? []) {
    if (!Number.isInteger(l) || l < 0 || l >= model.config.nLayers) {
      throw new LlmError('BAD_OPTION', `LoRA layer ${l} is outside 0..${model.config.nLayers - 1}`);
    }
  }
  return c;
}

/**
 * LoRA adapters installed on a frozen {@link Llama}. Only the adapters' variables are trainable; the base weights are
 * frozen (`model.setTrainable('none')`) and never change. `merge()` folds the adapters into the weights (for fast
 * inference or export) and `unmerge()` takes them out again.
 */
export class LoraModel {
  /** Adapters by base weight name. */
  readonly adapters = new Map<string, LoraLinear>();
  private isMerged = false;
  private removed = false;
  private readonly rng: Rng;

  constructor(readonly model: Llama, readonly config: LoraConfig) {
    const mc = model.config;
    const rng = new Rng(config.seed);
    this.rng = rng;
    const layers = config.layers ?? [...Array(mc.nLayers).keys()];
    const scaling = config.rsLora ? config.alpha / Math.sqrt(config.r) : config.alpha / config.r;
    for (const name of this.targetNames(layers)) {
      if (model.adapters.has(name)) throw new LlmError('BAD_OPTION', `weight "${name}" already has an adapter; remove it first`);
    }
    for (const name of this.targetNames(layers)) {
      const [out, inn] = model.getWeight(name).shape;
      const a = new LoraLinear(inn, out, config.r, scaling, config.dropout, rng);
      this.adapters.set(name, a);
      model.adapters.set(name, a);
    }
    model.setTrainable('none');
  }

  private targetNames(layers: number[]): string[] {
    const out: string[] = [];
    for (const l of layers) for (const t of LORA_TARGETS) if (this.config.targetModules.includes(t)) out.push(loraWeightName(l, t));
    return out;
  }

  /** State of the generator behind the dropout masks (save it with a checkpoint to resume bit-identically). */
  get rngState(): number {
    return this.rng.state;
  }
  set rngState(s: number) {
    this.rng.state = s;
  }

  /** Whether the adapters are currently folded into the base weights. */
  get merged(): boolean {
    return this.isMerged;
  }

  /** The trainable variables, keyed `<weight name>:lora_A` ([in, r]) and `<weight name>:lora_B` ([r, out]). */
  trainableVariables(): Record<string, tf.Variable> {
    const out: Record<string, tf.Variable> = {};
    for (const [name, a] of this.adapters) {
      out[`${name}:lora_A`] = a.At;
      out[`${name}:lora_B`] = a.Bt;
    }
    return out;
  }

  /** Number of trainable parameters. */
  parameterCount(): number {
    let n = 0;
    for (const a of this.adapters.values()) n += a.At.size + a.Bt.size;
    return n;
  }

  /** Fold every adapter into its base weight (W += scaling·BA) and uninstall it from the model. */
  merge(): void {
    this.alive();
    if (this.isMerged) return;
    for (const [name, a] of this.adapters) {
      const w = this.model.getWeight(name);
      tf.tidy(() => this.model.setWeight(name, tf.add(w, a.delta())));
      this.model.adapters.delete(name);
    }
    this.isMerged = true;
  }

  /** Undo {@link merge}: W -= scaling·BA (equal to the original up to float32 rounding) and reinstall the adapters. */
  unmerge(): void {
    this.alive();
    if (!this.isMerged) return;
    for (const [name, a] of this.adapters) {
      const w = this.model.getWeight(name);
      tf.tidy(() => this.model.setWeight(name, tf.sub(w, a.delta())));
      this.model.adapters.set(name, a);
    }
    this.isMerged = false;
  }

  /** Uninstall the adapters (unmerging first if merged) and free their variables; the model is as before. */
  dispose(): void {
    if (this.removed) return;
    if (this.isMerged) this.unmerge();
    for (const [name, a] of this.adapters) {
      if (this.model.adapters.get(name) === a) this.model.adapters.delete(name);
      a.dispose();
    }
    this.removed = true;
  }

  private alive(): void {
    if (this.removed) throw new LlmError('BAD_OPTION', 'this LoraModel was disposed');
  }
}

/**
 * Install LoRA adapters on a frozen model (see {@link LoraOptions}; defaults r 64, alpha 16, dropout 0.05 on q_proj and
 * v_proj, as the paper's lit-llama setup). Returns the handle whose `trainableVariables()` go to the optimiser.
 */
export function applyLora(model: Llama, options: LoraOptions = {}): LoraModel {
  return new LoraModel(model, resolveLoraOptions(model, options));
}

/**
 * Full fine-tuning (the paper's ablation): every base weight becomes trainable. Returns the variables by weight name,
 * for the optimiser.
 */
export function fullFineTuning(model: Llama): Record<string, tf.Variable> {
  model.setTrainable('all');
  return Object.fromEntries(model.weightNames().map((n) => [n, model.getWeight(n)]));
}
