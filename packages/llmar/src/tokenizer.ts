import { tf, Rng } from '@llmar/tensor';
import { biasLoss, pairedTokenPermutation } from '@llmar/inductive-bias';
import { makeQuantizer, type QuantizerHandle } from './quantizer';
import { ActionConvNet, smoothL1 } from './vqvae';
import type { NamedArray } from './checkpoint';
import { variablesToArrays, assignArrays } from './state';
import { LlmarError } from './errors';

/** Options of {@link ActionTokenizer}. */
export interface ActionTokenizerOptions {
  /** D = bodies × joints × channels. */
  inputDim: number;
  /** Code width d (the LLM's hidden size by default in a run). */
  codeDim: number;
  /** @default 512 */
  width?: number;
  /** @default 3 */
  depth?: number;
  /** @default 3 */
  dilationGrowth?: number;
  /** @default 2 */
  downsamples?: number;
  /** U (even). @default 512 */
  codebookSize?: number;
  /** @default 1 */
  curvature?: number;
  /** @default 'hyperbolic' */
  codebook?: 'hyperbolic' | 'euclidean';
  /** λ1. @default 0.02 */
  lambda1?: number;
  /** Dead-code reset threshold (assignments per batch; 0 = off). @default 0 */
  deadCodeThreshold?: number;
  /** @default 0 */
  seed?: number;
}

/** Settings of one stage-1 loss evaluation. */
export interface Stage1LossOptions {
  /** λ2. @default 0.2 */
  lambda2?: number;
  /** Bias terms on/off. @default all on */
  bias?: { zipf: boolean; context: boolean; mmd: boolean };
  /** The LLM's input word embeddings T [vocab, d] (needed when MMD is on). */
  wordEmbeddings?: tf.Tensor2D;
  /** Rows of T drawn per step for MMD. @default 512 */
  mmdSamples?: number;
  /** Gumbel temperature τ. @default 1 */
  gumbelTau?: number;
  /** Seed of this step's Gumbel noise. */
  seed: number;
  /** Draws the MMD subsample. */
  rng: Rng;
}

/** Every stage-1 term (scalars) and the hard token indices of the batch. */
export interface Stage1Terms {
  total: tf.Scalar;
  rec: tf.Scalar;
  emb: tf.Scalar;
  commit: tf.Scalar;
  bias: tf.Scalar;
  zipf?: tf.Scalar;
  context?: tf.Scalar;
  mmd?: tf.Scalar;
  indices: tf.Tensor;
  /** Encoder features [B, W, d] (for the dead-code reset). */
  features: tf.Tensor;
}

/**
 * The action tokenizer: the 1-D conv VQ-VAE with a hyperbolic (or Euclidean) codebook from @llmar/vq and the
 * context-loss token pairing. Turns [B, V, D] skeleton sequences into action sentences of W = V / 4 tokens.
 */
export class ActionTokenizer {
  readonly options: Required<ActionTokenizerOptions>;
  readonly net: ActionConvNet;
  readonly quantizer: QuantizerHandle;
  /** Context-loss pairing: token pairing[u] goes with pairing[u + U/2]. */
  readonly pairing: Int32Array;

  constructor(options: ActionTokenizerOptions) {
    const o: Required<ActionTokenizerOptions> = {
      width: 512, depth: 3, dilationGrowth: 3, downsamples: 2, codebookSize: 512, curvature: 1, codebook: 'hyperbolic', lambda1: 0.02, deadCodeThreshold: 0, seed: 0,
      ...options,
    };
    if (o.codebookSize % 2 !== 0) throw new LlmarError('BAD_OPTION', `codebookSize must be even, got ${o.codebookSize}`);
    this.options = o;
    this.net = new ActionConvNet({ inputDim: o.inputDim, codeDim: o.codeDim, width: o.width, depth: o.depth, dilationGrowth: o.dilationGrowth, downsamples: o.downsamples, seed: o.seed });
    this.quantizer = makeQuantizer({ kind: o.codebook, codebookSize: o.codebookSize, dim: o.codeDim, curvature: o.curvature, commitmentWeight: o.lambda1, seed: o.seed + 1, deadCodeThreshold: o.deadCodeThreshold });
    this.pairing = pairedTokenPermutation(o.codebookSize, o.seed + 2);
  }

  /** W for V input frames. */
  tokensFor(frames: number): number {
    return frames / this.net.factor;
  }

  /** Every trainable variable by name (encoder, decoder, codebook). */
  variables(): Map<string, tf.Variable> {
    const m = new Map(this.net.params);
    for (const [k, v] of this.quantizer.variables()) m.set(`vq.${k}`, v);
    return m;
  }

  /** L = SmoothL1(S, Ŝ) + ‖sg[F] − F̂‖² + λ1‖F − sg[F̂]‖² + λ2 L_bias (DESIGN eqs. 11–12). Call inside tf.tidy / variableGrads. */
  lossTerms(x: tf.Tensor3D, o: Stage1LossOptions): Stage1Terms {
    const f = this.net.encode(x);
    const [B, W, d] = f.shape;
    const q = this.quantizer.forward(f);
    const rec = smoothL1(this.net.decode(q.quantized as tf.Tensor3D), x);
    const sw = o.bias ?? { zipf: true, context: true, mmd: true };
    const needUsage = sw.zipf || sw.context;
    const usage = needUsage ? this.quantizer.usage(q.distances.reshape([B, W, this.options.codebookSize]), o.gumbelTau ?? 1, o.seed) : undefined;
    const anyBias = sw.zipf || sw.context || sw.mmd;
    let bias: tf.Scalar = tf.scalar(0);
    const out: Partial<Stage1Terms> = {};
    if (anyBias) {
      if (sw.mmd && !o.wordEmbeddings) throw new LlmarError('BAD_OPTION', 'the MMD term is on but no wordEmbeddings were given');
      const r = biasLoss(
        { usage, pairing: this.pairing, codebookEuclidean: sw.mmd ? this.quantizer.codebookEuclidean() : undefined, wordEmbeddings: o.wordEmbeddings, rng: o.rng },
        { zipf: { enabled: sw.zipf }, context: { enabled: sw.context, tokensPerSentence: W } as never, mmd: { enabled: sw.mmd, sampleSize: o.mmdSamples ?? 512 } },
      );
      bias = r.total;
      out.zipf = r.zipf;
      out.context = r.context;
      out.mmd = r.mmd;
    }
    const lambda2 = o.lambda2 ?? 0.2;
    const total = tf.addN([rec, q.loss.codebook, tf.mul(q.loss.commitment, this.options.lambda1), tf.mul(bias, lambda2)]) as tf.Scalar;
    void d;
    return { total, rec, emb: q.loss.codebook, commit: q.loss.commitment, bias, ...out, indices: q.indices, features: f } as Stage1Terms;
  }

  /** Hard token indices [B, W] (int32) of x [B, V, D]. */
  tokenize(x: tf.Tensor3D): tf.Tensor2D {
    return tf.tidy(() => {
      const f = this.net.encode(x);
      const [B, W] = f.shape;
      return this.quantizer.nearest(f.reshape([B * W, this.options.codeDim])).reshape([B, W]) as tf.Tensor2D;
    });
  }

  /** Continuous encoder features [B, W, d] (the "without discretisation" ablation feeds these to the LLM). */
  features(x: tf.Tensor3D): tf.Tensor3D {
    return tf.tidy(() => this.net.encode(x));
  }

  /** The codebook in the LLM's Euclidean embedding space, [U, d] (log₀(c_u) for a hyperbolic codebook). */
  codeEmbeddings(): tf.Tensor2D {
    return tf.tidy(() => this.quantizer.codebookEuclidean());
  }

  /** Every weight as named arrays (for checkpoints and saved runs). */
  toArrays(prefix = 'tok.'): Map<string, NamedArray> {
    return variablesToArrays(this.variables(), prefix);
  }

  /** Restore weights saved by {@link toArrays}. */
  loadArrays(arrays: Map<string, NamedArray>, prefix = 'tok.', where = 'checkpoint'): void {
    assignArrays(this.variables(), arrays, prefix, where);
  }

  /** After an optimiser step: projects hyperbolic codes back inside the ball; dead-code reset. Returns re-seeded codes. */
  afterStep(features?: tf.Tensor, indices?: tf.Tensor): number[] {
    return this.quantizer.afterStep(features, indices);
  }

  /** k-means initialisation of the codebook from the encoder features of x [B, V, D]; returns the quantisation error. */
  initCodebook(x: tf.Tensor3D): number {
    const f = tf.tidy(() => this.net.encode(x));
    try {
      return this.quantizer.initKMeans(f);
    } finally {
      f.dispose();
    }
  }

  dispose(): void {
    this.net.dispose();
    this.quantizer.dispose();
  }
}
