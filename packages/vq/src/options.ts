import { VqError } from './errors';

/** Options shared by {@link VectorQuantizer} and {@link HyperbolicVectorQuantizer}. */
export interface QuantizerOptions {
  /** Token width d of the features and codes. Required. */
  dim: number;
  /** Number of codes U (even, so the context loss can pair them). @default 512 */
  codebookSize?: number;
  /** λ₁ of eqs. 11–12: loss.total = ‖sg[F] − F̂‖² + λ₁‖F − sg[F̂]‖² (both mean squared errors). @default 0.02 */
  commitmentWeight?: number;
  /**
   * Update the codebook by exponential moving averages (call {@link BaseQuantizer.update} after each step) instead of
   * gradients; the codebook is then not a trainable variable.
   * @default false
   */
  ema?: boolean;
  /** EMA decay of the cluster sizes and sums. @default 0.99 */
  emaDecay?: number;
  /** Laplace smoothing ε of the EMA cluster sizes. @default 1e-5 */
  emaEps?: number;
  /**
   * {@link BaseQuantizer.update} re-seeds codes whose running usage (EMA of per-batch counts with `usageDecay`) falls
   * below this many assignments per batch with random features of the batch. 0 switches the reset off.
   * @default 0
   */
  deadCodeThreshold?: number;
  /** Decay of the running per-code usage that the dead-code reset reads. @default 0.99 */
  usageDecay?: number;
  /** Random initial codes: N(0, initScale²) vectors (mapped by exp₀ for the hyperbolic codebook). @default 0.1 */
  initScale?: number;
  /** Seed of the initial codes, k-means and dead-code sampling. @default 0 */
  seed?: number;
  /** Name prefix of the codebook variable. @default 'vq' plus a counter */
  name?: string;
}

/** {@link QuantizerOptions} with defaults filled in. */
export type ResolvedQuantizerOptions = Required<QuantizerOptions>;

let counter = 0;

function finite(name: string, v: number, lo: number, hi: number, loOpen = false, hiOpen = false): number {
  const bad = !Number.isFinite(v) || (loOpen ? v <= lo : v < lo) || (hiOpen ? v >= hi : v > hi);
  if (bad) throw new VqError('BAD_OPTION', `${name}=${v} must be in ${loOpen ? '(' : '['}${lo}, ${hi}${hiOpen ? ')' : ']'}`);
  return v;
}

/** Validate and complete the options; errors name the offending field. */
export function resolveOptions(o: QuantizerOptions): ResolvedQuantizerOptions {
  if (o === null || typeof o !== 'object') throw new VqError('BAD_OPTION', `quantizer options must be an object like { dim: 64 }, got ${String(o)}`);
  const dim = o.dim;
  if (!Number.isInteger(dim) || dim < 1) throw new VqError('BAD_OPTION', `dim=${dim} must be a positive integer`);
  const U = o.codebookSize ?? 512;
  if (!Number.isInteger(U) || U < 2) throw new VqError('BAD_OPTION', `codebookSize=${U} must be an integer >= 2`);
  if (U % 2 !== 0) throw new VqError('ODD_CODEBOOK', `codebookSize=${U} must be even (tokens are paired by the context loss)`);
  return {
    dim,
    codebookSize: U,
    commitmentWeight: finite('commitmentWeight', o.commitmentWeight ?? 0.02, 0, Infinity),
    ema: o.ema ?? false,
    emaDecay: finite('emaDecay', o.emaDecay ?? 0.99, 0, 1, false, true),
    emaEps: finite('emaEps', o.emaEps ?? 1e-5, 0, Infinity, true),
    deadCodeThreshold: finite('deadCodeThreshold', o.deadCodeThreshold ?? 0, 0, Infinity),
    usageDecay: finite('usageDecay', o.usageDecay ?? 0.99, 0, 1, false, true),
    initScale: finite('initScale', o.initScale ?? 0.1, 0, Infinity, true),
    seed: o.seed ?? 0,
    name: o.name ?? `vq${counter++}`,
  };
}
