import { tf, conv1d, Rng, customGrad, hasKernel } from '@llmar/tensor';
import { LlmarError } from './errors';

/** Shape of the action VQ-VAE's encoder and decoder (T2M-GPT 1-D convolutional design, channels last). */
export interface ConvNetOptions {
  /** Input width D = bodies × joints × channels (150 for NTU). */
  inputDim: number;
  /** Conv width. @default 512 */
  width?: number;
  /** Residual blocks per ResNet1D. @default 3 */
  depth?: number;
  /** Dilation growth (dilations growth^(depth-1), …, 1). @default 3 */
  dilationGrowth?: number;
  /** ×2 temporal down-samplings (W = V / 2^downsamples). @default 2 */
  downsamples?: number;
  /** Code width d. */
  codeDim: number;
  /** Initialisation seed. @default 0 */
  seed?: number;
}

interface Conv { w: tf.Variable; b: tf.Variable; k: number; stride: number; pad: number; dilation: number }

/**
 * The action VQ-VAE's two convolutional halves (the quantiser sits between them and lives in @llmar/vq).
 * Encoder: Conv(D→w, k3) → ReLU → downsamples × [Conv(w→w, k4, s2, p1) → ResNet1D] → Conv(w→d, k3).
 * Decoder: Conv(d→w, k3) → ReLU → downsamples × [ResNet1D → nearest ×2 → Conv(w→w, k3)] → Conv(w→w, k3) → ReLU → Conv(w→D, k3).
 * ResNet1D = depth blocks x + Conv_k1(ReLU(Conv_k3,dil(ReLU(x)))). PyTorch's default init (U(±1/√fan_in)).
 * Every parameter is a named tf.Variable (see {@link params}), so checkpoints and optimisers treat it generically.
 */
export class ActionConvNet {
  readonly options: Required<ConvNetOptions>;
  readonly params = new Map<string, tf.Variable>();
  private readonly convs = new Map<string, Conv>();

  constructor(options: ConvNetOptions) {
    const o: Required<ConvNetOptions> = { width: 512, depth: 3, dilationGrowth: 3, downsamples: 2, seed: 0, ...options };
    for (const [k, v] of Object.entries(o)) {
      if (!Number.isInteger(v) || (v as number) < (k === 'downsamples' || k === 'seed' ? 0 : 1)) {
        throw new LlmarError('BAD_OPTION', `ActionConvNet option ${k} must be a positive integer, got ${v}`);
      }
    }
    this.options = o;
    const rng = new Rng(o.seed);
    const w = o.width;
    const add = (name: string, k: number, cin: number, cout: number, stride = 1, pad = 1, dilation = 1) => {
      const bound = 1 / Math.sqrt(cin * k);
      const wt = tf.variable(tf.randomUniform([k, cin, cout], -bound, bound, 'float32', rng.seed()), true);
      const bt = tf.variable(tf.randomUniform([cout], -bound, bound, 'float32', rng.seed()), true);
      this.params.set(`${name}.weight`, wt);
      this.params.set(`${name}.bias`, bt);
      this.convs.set(name, { w: wt, b: bt, k, stride, pad, dilation });
    };
    const res = (prefix: string) => {
      for (let j = 0; j < o.depth; j++) {
        const dil = o.dilationGrowth ** (o.depth - 1 - j);
        add(`${prefix}.${j}.conv1`, 3, w, w, 1, dil, dil);
        add(`${prefix}.${j}.conv2`, 1, w, w, 1, 0, 1);
      }
    };
    add('enc.in', 3, o.inputDim, w);
    for (let i = 0; i < o.downsamples; i++) {
      add(`enc.down${i}`, 4, w, w, 2, 1);
      res(`enc.res${i}`);
    }
    add('enc.out', 3, w, o.codeDim);
    add('dec.in', 3, o.codeDim, w);
    for (let i = 0; i < o.downsamples; i++) {
      res(`dec.res${i}`);
      add(`dec.up${i}`, 3, w, w);
    }
    add('dec.post', 3, w, w);
    add('dec.out', 3, w, o.inputDim);
  }

  /** Temporal down-sampling factor 2^downsamples. */
  get factor(): number {
    return 2 ** this.options.downsamples;
  }

  /** Conv layer `name` on x: post(conv(pre(x)) + bias), where pre / post are optional ReLUs. */
  private conv(name: string, x: tf.Tensor3D, pre = false, post = false): tf.Tensor3D {
    const c = this.convs.get(name)!;
    if (fusedConvAvailable()) return fusedConvLayer(x, c, pre, post);
    const y = conv1d(pre ? (tf.relu(x) as tf.Tensor3D) : x, c.w as unknown as tf.Tensor3D, { stride: c.stride, padding: c.pad, dilation: c.dilation });
    const z = tf.add(y, c.b) as tf.Tensor3D;
    return post ? (tf.relu(z) as tf.Tensor3D) : z;
  }

  private resnet(prefix: string, x: tf.Tensor3D): tf.Tensor3D {
    let h = x;
    for (let j = 0; j < this.options.depth; j++) {
      const y = this.conv(`${prefix}.${j}.conv2`, this.conv(`${prefix}.${j}.conv1`, h, true, true));
      h = tf.add(h, y) as tf.Tensor3D;
    }
    return h;
  }

  /** Encoder: x [B, V, D] → f [B, V / factor, d]. V must be divisible by the factor. */
  encode(x: tf.Tensor3D): tf.Tensor3D {
    const [, V, D] = x.shape;
    if (D !== this.options.inputDim || V % this.factor !== 0) {
      throw new LlmarError('SHAPE_MISMATCH', `encode: x [${x.shape}] needs [B, V, ${this.options.inputDim}] with V divisible by ${this.factor}`);
    }
    let h = this.conv('enc.in', x, false, true);
    for (let i = 0; i < this.options.downsamples; i++) h = this.resnet(`enc.res${i}`, this.conv(`enc.down${i}`, h));
    return this.conv('enc.out', h);
  }

  /** Decoder: z [B, W, d] → reconstruction [B, W·factor, D]. */
  decode(z: tf.Tensor3D): tf.Tensor3D {
    if (z.shape[2] !== this.options.codeDim) throw new LlmarError('SHAPE_MISMATCH', `decode: z [${z.shape}] needs last axis ${this.options.codeDim}`);
    let h = this.conv('dec.in', z, false, true);
    for (let i = 0; i < this.options.downsamples; i++) {
      h = this.resnet(`dec.res${i}`, h);
      h = this.conv(`dec.up${i}`, upsample2(h));
    }
    h = this.conv('dec.post', h, false, true);
    return this.conv('dec.out', h);
  }

  /** Number of scalar parameters. */
  get parameterCount(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
    this.convs.clear();
  }
}

const FUSED_KERNELS = ['LlmarConv1dBiasAct', 'LlmarConv1dBiasActGrad'];

/** Whether @llmar/native's fused conv layer kernels (conv + bias + ReLUs, and all gradients in one call) are registered. */
function fusedConvAvailable(): boolean {
  return FUSED_KERNELS.every((k) => hasKernel(k));
}

/**
 * One conv layer as a single differentiable op on the fused native kernels: forward is one kernel call, backward one
 * more (dx, dw, dbias together), instead of conv + add + relu forward and about ten kernels backward. The forward
 * kernel is run directly with a gradient registered for it (see {@link registerFusedConvGradient}), not through
 * customGrad, whose wrapper (a nested tidy, cloned saves, per-call checks) added JavaScript to every layer (stage-1
 * step, interleaved A/B: paired ratios 0.71–0.98 in favour of the registered gradient).
 */
function fusedConvLayer(x: tf.Tensor3D, c: Conv, pre: boolean, post: boolean): tf.Tensor3D {
  registerFusedConvGradient();
  const attrs = { stride: c.stride, pad: c.pad, dilation: c.dilation, preRelu: pre, postRelu: post } as unknown as tf.NamedAttrMap;
  return tf.engine().runKernel('LlmarConv1dBiasAct', { x, filter: c.w, bias: c.b }, attrs) as tf.Tensor3D;
}

let fusedConvGradientRegistered = false;

/**
 * Registers (once) the gradient of `LlmarConv1dBiasAct` with tfjs: the tape saves x, filter, bias and the output y, and
 * the backward pass is one `LlmarConv1dBiasActGrad` call whose three results feed the three inputs.
 */
function registerFusedConvGradient(): void {
  if (fusedConvGradientRegistered) return;
  tf.registerGradient({
    kernelName: 'LlmarConv1dBiasAct',
    inputsToSave: ['x', 'filter', 'bias'],
    outputsToSave: [true],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const [x, filter, bias, y] = saved;
      const [dx, dw, db] = tf.engine().runKernel('LlmarConv1dBiasActGrad', { x, filter, bias, y, dy: dy as tf.Tensor }, attrs) as tf.Tensor[];
      return { x: () => dx, filter: () => dw, bias: () => db };
    },
  });
  fusedConvGradientRegistered = true;
}

/**
 * Nearest-neighbour ×2 up-sampling along time of [B, L, C] (each frame repeated twice). The gradient is one sum over
 * the pair axis of dy seen as [B, L, 2, C]: the concat's own gradient (a split along that axis into runs of C values,
 * then an add) cost about 3 ms of a stage-1 step.
 */
export function upsample2(x: tf.Tensor3D): tf.Tensor3D {
  const [B, L, C] = x.shape;
  const f = customGrad((xi: tf.Tensor) => {
    const e = xi.reshape([B, L, 1, C]);
    return {
      value: tf.concat([e, e], 2).reshape([B, 2 * L, C]),
      gradFunc: (dy: tf.Tensor) => tf.sum(dy.reshape([B, L, 2, C]), 2),
    };
  });
  return f(x) as tf.Tensor3D;
}

/**
 * SmoothL1 (Huber with β = 1), mean over all elements, as one differentiable op: forward mean(0.5 m² + |d| − m) with
 * d = pred − target, m = min(|d|, 1); gradient clip(d, −1, 1) / n with respect to pred (and its negative for target).
 * Operands of different shapes (broadcasting) take the plain ops.
 */
export function smoothL1(pred: tf.Tensor, target: tf.Tensor): tf.Scalar {
  if (pred.shape.length !== target.shape.length || pred.shape.some((s, i) => s !== target.shape[i])) {
    // broadcasting operands: the plain ops, whose gradients reduce over the broadcast axes
    return tf.tidy(() => {
      const a = tf.abs(tf.sub(pred, target));
      const m = tf.minimum(a, 1);
      return tf.mean(tf.add(tf.mul(0.5, tf.square(m)), tf.sub(a, m))) as tf.Scalar;
    });
  }
  const n = pred.size;
  const f = customGrad((p: tf.Tensor, t: tf.Tensor, save: tf.GradSaveFunc) => {
    const d = tf.sub(p, t);
    save([d]);
    const a = tf.abs(d);
    const m = tf.minimum(a, 1);
    const value = tf.mean(tf.add(tf.mul(0.5, tf.square(m)), tf.sub(a, m)));
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const g = tf.mul(tf.clipByValue(saved[0], -1, 1), tf.div(dy, n));
        return [g, tf.neg(g)];
      },
    };
  });
  return tf.tidy(() => f(pred, target) as tf.Scalar);
}
