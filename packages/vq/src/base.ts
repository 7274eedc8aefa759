import { tf, gather, matMul, stopGradient, Rng } from '@llmar/tensor';
import { gatherRows } from './gather-rows';
import { VqError } from './errors';
import { resolveOptions, type QuantizerOptions, type ResolvedQuantizerOptions } from './options';
import { straightThrough } from './straight-through';
import { kMeans, type KMeansOptions } from './kmeans';
import { parseState, type QuantizerState } from './state';

/** What {@link BaseQuantizer.forward} returns (all tensors; the caller's tf.tidy owns them). */
export interface QuantizeResult {
  /** Straight-through quantized features, the input's shape: the value is the code vector (Euclidean, for the decoder), the gradient reaches the input as identity. */
  quantized: tf.Tensor;
  /** Chosen code per feature vector (int32), the input's shape without the last axis. */
  indices: tf.Tensor;
  /** [N, U] distances of every feature to every code (squared Euclidean, or geodesic on the ball), differentiable; −distances are the logits of {@link gumbelUsage}. */
  distances: tf.Tensor2D;
  /** codebook = ‖sg[F] − F̂‖², commitment = ‖F − sg[F̂]‖² (mean squared errors), total = codebook + λ₁·commitment. */
  loss: { codebook: tf.Scalar; commitment: tf.Scalar; total: tf.Scalar };
  /** Assignments per code in this batch, [U] float32. */
  usage: tf.Tensor1D;
  /** exp(entropy) of the batch's code distribution (1 = collapse, U = uniform). */
  perplexity: tf.Scalar;
  /** Number of codes unused in this batch (int32 scalar). */
  deadCodes: tf.Scalar;
}

/** What {@link BaseQuantizer.update} did. */
export interface UpdateResult {
  /** Codes re-seeded by the dead-code reset, ascending. */
  resetCodes: number[];
}

/**
 * Shared machinery of the Euclidean and hyperbolic quantizers. Subclasses say how codes are stored (the raw codebook)
 * and how they map to and from the Euclidean "tangent" space the decoder sees and the features live in.
 */
export abstract class BaseQuantizer {
  readonly options: ResolvedQuantizerOptions;
  /** U. */
  readonly codebookSize: number;
  /** d. */
  readonly dim: number;
  abstract readonly kind: 'euclidean' | 'hyperbolic';
  protected rng: Rng;
  protected codes!: tf.Variable;
  protected clusterSize?: tf.Variable;
  protected embedSum?: tf.Variable;
  protected usageEma?: tf.Tensor1D;
  private disposed = false;

  protected constructor(options: QuantizerOptions) {
    this.options = resolveOptions(options);
    this.codebookSize = this.options.codebookSize;
    this.dim = this.options.dim;
    this.rng = new Rng(this.options.seed);
  }

  /** Draw the initial codes (N(0, initScale²) tangent vectors through fromTangent); subclasses call it once set up. */
  protected initialize(): void {
    const U = this.codebookSize;
    const d = this.dim;
    const init = new Float32Array(U * d);
    for (let i = 0; i < init.length; i++) init[i] = this.rng.normal() * this.options.initScale;
    const tangent = tf.tensor2d(init, [U, d]);
    this.codes = tf.variable(tf.tidy(() => this.fromTangent(tangent)), !this.options.ema, `${this.options.name}/codebook`);
    if (this.options.ema) {
      this.clusterSize = tf.variable(tf.ones([U]), false, `${this.options.name}/clusterSize`);
      this.embedSum = tf.variable(tangent, false, `${this.options.name}/embedSum`);
    } else tangent.dispose();
  }

  /** Raw stored codes → Euclidean (decoder / tangent) space; differentiable. */
  protected abstract toTangent(codes: tf.Tensor2D): tf.Tensor2D;
  /** Euclidean (tangent) vectors → stored codes. */
  protected abstract fromTangent(t: tf.Tensor2D): tf.Tensor2D;
  /** [N, U] distances from feature rows [N, d] to the stored codes. */
  protected abstract distanceMatrix(flat: tf.Tensor2D): tf.Tensor2D;
  /** Extra fields of the saved state. */
  protected curvatureOrUndefined(): number | undefined {
    return undefined;
  }

  /** The stored codebook variable [U, d] (trainable unless `ema`): Euclidean codes, or points on the ball. */
  get codebook(): tf.Variable {
    this.alive();
    return this.codes;
  }

  /** The codebook as the decoder sees it, [U, d] (identity, or log₀ of the ball points); differentiable. */
  codebookEuclidean(): tf.Tensor2D {
    this.alive();
    return tf.tidy(() => this.toTangent(this.codes as tf.Tensor2D));
  }

  protected alive(): void {
    if (this.disposed) throw new VqError('DISPOSED', `quantizer "${this.options.name}" was disposed`);
  }

  protected flatten(f: tf.Tensor, what: string): tf.Tensor2D {
    if ((f.rank !== 2 && f.rank !== 3) || f.shape[f.rank - 1] !== this.dim) {
      throw new VqError('SHAPE_MISMATCH', `${what}: features [${f.shape}] must be [B, W, ${this.dim}] or [N, ${this.dim}]`);
    }
    return f.reshape([-1, this.dim]) as tf.Tensor2D;
  }

  /**
   * Quantize features f [B, W, d] or [N, d]: nearest code per row, straight-through output, VQ losses and batch
   * statistics. Pure (no state changes); call it inside tf.tidy / tf.variableGrads.
   */
  forward(f: tf.Tensor): QuantizeResult {
    this.alive();
    const flat = this.flatten(f, 'forward');
    const U = this.codebookSize;
    const N = flat.shape[0];
    const distances = this.distanceMatrix(flat);
    const idx = tf.argMin(distances, 1) as tf.Tensor1D;
    const q = this.toTangent(gatherRows(this.codes, idx) as tf.Tensor2D);
    const codebook = tf.mean(tf.square(tf.sub(stopGradient(flat), q))) as tf.Scalar;
    const commitment = tf.mean(tf.square(tf.sub(flat, stopGradient(q)))) as tf.Scalar;
    const total = tf.add(codebook, tf.mul(commitment, this.options.commitmentWeight)) as tf.Scalar;
    const quantized = straightThrough(flat, q).reshape(f.shape);
    const usage = tf.bincount(idx, tf.tensor1d([], 'float32'), U) as tf.Tensor1D;
    const p = tf.div(usage, N);
    const perplexity = tf.exp(tf.neg(tf.sum(tf.mul(p, tf.log(tf.add(p, 1e-10)))))) as tf.Scalar;
    const deadCodes = tf.sum(tf.cast(tf.equal(usage, 0), 'int32')) as tf.Scalar;
    return {
      quantized,
      indices: idx.reshape(f.shape.slice(0, -1)),
      distances,
      loss: { codebook, commitment, total },
      usage,
      perplexity,
      deadCodes,
    };
  }

  /** Code vectors (Euclidean, as the decoder sees them) of integer indices of any shape → [...indices.shape, d]. */
  decode(indices: tf.Tensor | number[] | Int32Array): tf.Tensor {
    this.alive();
    const t = indices instanceof tf.Tensor ? indices : tf.tensor1d(Array.from(indices), 'int32');
    const vals = t.dataSync();
    for (let i = 0; i < vals.length; i++) {
      const v = vals[i];
      if (!Number.isInteger(v) || v < 0 || v >= this.codebookSize) {
        if (t !== indices) t.dispose();
        throw new VqError('SHAPE_MISMATCH', `decode: indices[${i}] = ${v} is outside 0..${this.codebookSize - 1}`);
      }
    }
    const out = tf.tidy(() => {
      const flat = tf.cast(t.reshape([-1]), 'int32') as tf.Tensor1D;
      return this.toTangent(gatherRows(this.codes, flat) as tf.Tensor2D).reshape([...t.shape, this.dim]);
    });
    if (t !== indices) t.dispose();
    return out;
  }

  /**
   * Training-state step, outside the gradient tape, after the optimizer step: the EMA codebook update (with `ema`)
   * and the dead-code reset (with `deadCodeThreshold` > 0). `f` and `indices` are the features and the indices that
   * {@link forward} returned for them. EMA runs in the tangent (Euclidean) space: a code moves toward the mean of the
   * features assigned to it. Reads the running usage back to the CPU only when the reset is on.
   */
  update(f: tf.Tensor, indices: tf.Tensor): UpdateResult {
    this.alive();
    const U = this.codebookSize;
    const o = this.options;
    const flat = tf.tidy(() => stopGradient(this.flatten(f, 'update')));
    const N = flat.shape[0];
    if (indices.size !== N) {
      flat.dispose();
      throw new VqError('SHAPE_MISMATCH', `update: indices [${indices.shape}] must hold one index per feature row (${N})`);
    }
    const idx = tf.tidy(() => tf.cast(indices.reshape([N]), 'int32') as tf.Tensor1D);
    const counts = tf.tidy(() => tf.bincount(idx, tf.tensor1d([], 'float32'), U) as tf.Tensor1D);
    if (o.ema && this.clusterSize && this.embedSum) {
      const cs = this.clusterSize;
      const es = this.embedSum;
      tf.tidy(() => {
        const dec = o.emaDecay;
        const batchSum = matMul(tf.cast(tf.oneHot(idx, U), 'float32'), flat, true, false);
        const newCs = tf.add(tf.mul(cs, dec), tf.mul(counts, 1 - dec));
        const newEs = tf.add(tf.mul(es, dec), tf.mul(batchSum, 1 - dec));
        const n = tf.sum(newCs);
        const smoothed = tf.mul(tf.div(tf.add(newCs, o.emaEps), tf.add(n, U * o.emaEps)), n);
        const tangent = tf.div(newEs, smoothed.reshape([U, 1])) as tf.Tensor2D;
        this.codes.assign(this.fromTangent(tangent));
        cs.assign(newCs);
        es.assign(newEs);
      });
    }
    const resetCodes: number[] = [];
    if (o.deadCodeThreshold > 0) {
      const prev = this.usageEma ?? tf.fill([U], N / U);
      const next = tf.tidy(() => tf.add(tf.mul(prev, o.usageDecay), tf.mul(counts, 1 - o.usageDecay)) as tf.Tensor1D);
      prev.dispose();
      const u = next.dataSync() as Float32Array;
      for (let i = 0; i < U; i++) if (u[i] < o.deadCodeThreshold) resetCodes.push(i);
      if (resetCodes.length) {
        const rows = resetCodes.map(() => this.rng.int(N));
        const fresh = tf.tidy(() => gather(flat, rows) as tf.Tensor2D); // tangent vectors
        const freshCodes = tf.tidy(() => this.fromTangent(fresh));
        const fc = freshCodes.dataSync();
        const fv = fresh.dataSync();
        const d = this.dim;
        const replaceRows = (v: tf.Variable, src: Float32Array | Int32Array | Uint8Array) => {
          const data = Float32Array.from(v.dataSync() as Float32Array);
          resetCodes.forEach((code, k) => data.set(src.subarray(k * d, (k + 1) * d), code * d));
          v.assign(tf.tensor2d(data, [U, d]));
        };
        tf.tidy(() => {
          replaceRows(this.codes, fc as Float32Array);
          if (this.embedSum && this.clusterSize) {
            replaceRows(this.embedSum, fv as Float32Array);
            const csd = Float32Array.from(this.clusterSize.dataSync() as Float32Array);
            for (const code of resetCodes) csd[code] = 1;
            this.clusterSize.assign(tf.tensor1d(csd));
          }
        });
        // a re-seeded code gets the uniform share as its running usage: a grace period before the next check
        for (const code of resetCodes) u[code] = N / U;
        next.dispose();
        this.usageEma = tf.keep(tf.tensor1d(u));
        tf.dispose([fresh, freshCodes]);
      } else this.usageEma = tf.keep(next);
    }
    tf.dispose([flat, idx, counts]);
    return { resetCodes };
  }

  /**
   * k-means initialisation of the codebook from features f [N, d] or [B, W, d] (N ≥ U), in the tangent space:
   * the centres become the codes (mapped by exp₀ onto the ball for the hyperbolic quantizer). Resets the EMA and
   * usage state. Returns the final mean squared distance of the features to their nearest centre.
   */
  initKMeans(f: tf.Tensor, options: KMeansOptions = {}): { error: number } {
    this.alive();
    const flat = tf.tidy(() => stopGradient(this.flatten(f, 'initKMeans')));
    try {
      const { centers, error } = kMeans(flat, this.codebookSize, this.rng, options);
      tf.tidy(() => {
        this.codes.assign(this.fromTangent(centers));
        this.clusterSize?.assign(tf.ones([this.codebookSize]));
        this.embedSum?.assign(centers);
      });
      centers.dispose();
      this.usageEma?.dispose();
      this.usageEma = undefined;
      return { error };
    } finally {
      flat.dispose();
    }
  }

  /** The codebook and training state as plain JSON (see {@link QuantizerState}); exact float32 values. */
  save(): QuantizerState {
    this.alive();
    const arr = (t: tf.Tensor) => Array.from(t.dataSync() as Float32Array);
    const s: QuantizerState = {
      format: 'llmar-vq/1',
      kind: this.kind,
      codebookSize: this.codebookSize,
      dim: this.dim,
      codebook: arr(this.codes),
      rngState: this.rng.state,
    };
    const c = this.curvatureOrUndefined();
    if (c !== undefined) s.curvature = c;
    if (this.clusterSize && this.embedSum) {
      s.clusterSize = arr(this.clusterSize);
      s.embedSum = arr(this.embedSum);
    }
    if (this.usageEma) s.usageEma = arr(this.usageEma);
    return s;
  }

  /** Restore a state from {@link save} (same kind, U, d, curvature); throws BAD_STATE naming the mismatching field. */
  load(state: QuantizerState): void {
    this.alive();
    const p = parseState(state, {
      kind: this.kind,
      codebookSize: this.codebookSize,
      dim: this.dim,
      curvature: this.curvatureOrUndefined(),
      ema: this.options.ema,
    });
    const U = this.codebookSize;
    const d = this.dim;
    tf.tidy(() => {
      this.codes.assign(tf.tensor2d(p.codebook, [U, d]));
      if (p.clusterSize && p.embedSum) {
        this.clusterSize?.assign(tf.tensor1d(p.clusterSize));
        this.embedSum?.assign(tf.tensor2d(p.embedSum, [U, d]));
      }
    });
    this.usageEma?.dispose();
    this.usageEma = p.usageEma ? tf.keep(tf.tensor1d(p.usageEma)) : undefined;
    this.rng.state = p.rngState;
  }

  /** Free the codebook variable and the training state. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    tf.dispose([this.codes, ...(this.clusterSize ? [this.clusterSize] : []), ...(this.embedSum ? [this.embedSum] : [])]);
    this.usageEma?.dispose();
  }
}
