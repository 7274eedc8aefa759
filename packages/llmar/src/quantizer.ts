import { tf } from '@llmar/tensor';
import { VectorQuantizer, HyperbolicVectorQuantizer, gumbelUsage, type QuantizeResult } from '@llmar/vq';

/** Options of {@link makeQuantizer}. */
export interface QuantizerChoice {
  /** `hyperbolic` (Poincaré-ball codebook, the paper) or `euclidean` (the ablation). */
  kind: 'hyperbolic' | 'euclidean';
  codebookSize: number;
  dim: number;
  curvature: number;
  commitmentWeight: number;
  seed: number;
  /** Dead-code reset: re-seed codes whose running usage falls below this many assignments per batch (0 = off). @default 0 */
  deadCodeThreshold?: number;
}

/** The few quantizer operations the action tokenizer uses, over @llmar/vq. */
export interface QuantizerHandle {
  readonly kind: 'hyperbolic' | 'euclidean';
  forward(f: tf.Tensor): QuantizeResult;
  /** Hard nearest-code indices of rows [N, d]. */
  nearest(flat: tf.Tensor2D): tf.Tensor1D;
  /** Differentiable usage counts n [B, U] from distances [B, W, U] (eq. 3, hard Gumbel-softmax). */
  usage(distances: tf.Tensor, tau: number, seed: number): tf.Tensor2D;
  /** The codebook in the decoder's / LLM's Euclidean space, [U, d] (log₀ on the ball). */
  codebookEuclidean(): tf.Tensor2D;
  /** Trainable variables by name. */
  variables(): Map<string, tf.Variable>;
  /** After an optimiser step: keep hyperbolic codes strictly inside the ball; dead-code reset from the step's features. */
  afterStep(f?: tf.Tensor, indices?: tf.Tensor): number[];
  /** k-means initialisation of the codebook from features [N, d] (tangent space). */
  initKMeans(f: tf.Tensor): number;
  /** The quantizer's non-weight state (random generator, running usage) as JSON, for checkpoints. */
  saveState(): { rngState: number; usageEma?: number[] };
  /** Restore {@link saveState} (the codebook itself is restored as a variable). */
  loadState(s: { rngState: number; usageEma?: number[] }): void;
  dispose(): void;
}

/** Build the hyperbolic or Euclidean quantizer of @llmar/vq behind {@link QuantizerHandle}. */
export function makeQuantizer(o: QuantizerChoice): QuantizerHandle {
  const common = { dim: o.dim, codebookSize: o.codebookSize, commitmentWeight: o.commitmentWeight, seed: o.seed, deadCodeThreshold: o.deadCodeThreshold ?? 0, usageDecay: 0.9 };
  const q = o.kind === 'hyperbolic' ? new HyperbolicVectorQuantizer({ ...common, curvature: o.curvature }) : new VectorQuantizer(common);
  return {
    kind: o.kind,
    forward: (f) => q.forward(f),
    nearest: (flat) => tf.tidy(() => q.forward(flat).indices as tf.Tensor1D),
    usage: (distances, tau, seed) => gumbelUsage(tf.neg(distances), { tau, hard: true, seed }),
    codebookEuclidean: () => q.codebookEuclidean(),
    variables: () => new Map([['codebook', q.codebook]]),
    afterStep: (f, indices) => {
      if (q instanceof HyperbolicVectorQuantizer) q.projectCodebook();
      return f && indices && (o.deadCodeThreshold ?? 0) > 0 ? q.update(f, indices).resetCodes : [];
    },
    initKMeans: (f) => q.initKMeans(f, {}).error,
    saveState: () => {
      const { rngState, usageEma } = q.save();
      return usageEma ? { rngState, usageEma } : { rngState };
    },
    loadState: (st) => {
      const full = q.save();
      delete full.usageEma;
      q.load({ ...full, ...st });
    },
    dispose: () => q.dispose(),
  };
}
