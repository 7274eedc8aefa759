import { tf, customGrad, gather, hasKernel } from '@llmar/tensor';
import { LlmError } from './errors';
import { type Llama } from './model';
import { type AdamW } from './optim';
import { gatherRows, tapeActive } from './fused';

/** Options of {@link causalLmLoss}. */
export interface LossOptions {
  /** `mean` over counted positions, or their `sum`. @default 'mean' */
  reduction?: 'mean' | 'sum';
}

/**
 * Next-token cross-entropy: logits [B, T, V] (or [N, V]) against int32 targets [B, T] (or [N]); `lossMask` (same shape
 * as targets, 1 = counted, 0 = ignored, e.g. prompt tokens and padding) selects the positions that count, all by
 * default. The caller aligns logits[t] with the token that should follow position t (see {@link makeLmBatch}).
 * Exact and stable (softmax probabilities, with a log-sum-exp path for extreme logits); the gradient
 * (softmax − onehot)·mask/count is formed in the forward pass, with no log-probability or one-hot tensor. An all-zero mask gives 0
 * (mean) rather than NaN.
 */
export function causalLmLoss(logits: tf.Tensor, targets: tf.Tensor, lossMask?: tf.Tensor, options: LossOptions = {}): tf.Scalar {
  const V = logits.shape[logits.rank - 1];
  const N = logits.size / V;
  if (targets.size !== N || (lossMask && lossMask.size !== N)) {
    throw new LlmError('SHAPE_MISMATCH', `causalLmLoss: logits [${logits.shape}] need targets${lossMask ? ' and lossMask' : ''} of ${N} positions, got [${targets.shape}]${lossMask ? ` and [${lossMask.shape}]` : ''}`);
  }
  const reduction = options.reduction ?? 'mean';
  return tf.tidy(() => {
    const tgt = (targets.dtype === 'int32' ? targets : targets.toInt()).reshape([N]) as tf.Tensor1D;
    const mask = lossMask ? lossMask.toFloat().reshape([N]) : tf.ones([N]);
    const w = reduction === 'mean' ? tf.div(mask, tf.maximum(tf.sum(mask), 1)) : mask;
    const flatIdx = tf.add(tf.mul(tf.range(0, N, 1, 'int32'), tf.scalar(V, 'int32')), tgt);
    const f = customGrad((lg: tf.Tensor, save: tf.GradSaveFunc) => {
      const l2 = lg.reshape([N, V]);
      if (hasKernel(SOFTMAX_XENT)) return nativeXent(lg, l2, tgt, w, save);
      // One fused Softmax kernel gives the probabilities the gradient needs; −log p[target] is the loss while p[target]
      // is a normal float32 (loss < ~69). Otherwise (a target logit ~70 nats below the best) the exact
      // log-sum-exp − logit path is taken, so the value is always exact.
      const probs = tf.softmax(l2);
      const pt = gatherRows(probs.reshape([N * V]), flatIdx);
      const safe = tf.tidy(() => tf.min(tf.where(tf.greater(mask, 0), pt, tf.onesLike(pt))).dataSync()[0]) > 1e-30;
      const nll = safe ? tf.neg(tf.log(pt)) : tf.sub(tf.logSumExp(l2, -1), gatherRows(l2.reshape([N * V]), flatIdx));
      // The gradient of Σ w·nll with respect to the logits, (probs − onehot(target))·w, is built here: probs (times w
      // unless all weights are equal) with the target entries overwritten, so the backward pass is at most one multiply.
      let k = 1; // the common weight, folded into the backward's scalar
      if (tapeActive()) {
        const wv = w.dataSync();
        const uniform = wv.every((x) => x === wv[0]);
        k = uniform ? wv[0] : 1;
        const src = uniform ? probs.reshape([N * V]) : tf.mul(probs, w.reshape([N, 1])).reshape([N * V]);
        const upd = uniform ? tf.sub(pt, 1) : tf.mul(tf.sub(pt, 1), w);
        // (saved: closure tensors would be disposed) TensorScatterUpdate exists on cpu and wasm; elsewhere a one-hot fallback
        const g = hasKernel('TensorScatterUpdate')
          ? tf.tensorScatterUpdate(src, flatIdx.reshape([N, 1]), upd)
          : tf.sub(src, tf.mul(tf.oneHot(tgt, V).toFloat(), uniform ? 1 : w.reshape([N, 1])).reshape([N * V]));
        save([g]);
      }
      return {
        value: tf.sum(tf.mul(nll, w)),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const s = k * dy.dataSync()[0]; // dy is a scalar: 1 when the summed loss is differentiated directly
          return (s === 1 ? saved[0] : tf.mul(saved[0], s)).reshape(lg.shape);
        },
      };
    });
    return f(logits) as tf.Scalar;
  });
}

/** The fused softmax cross-entropy kernel of @llmar/native (registered on wasm and cpu when the addon is in use). */
const SOFTMAX_XENT = 'LlmarSoftmaxXent';

/**
 * The body of causalLmLoss's custom-gradient node on the fused native kernel: one pass gives nll = logsumexp − logit[target]
 * (exact for any logits) and softmax − onehot(target), which times the weights is the gradient.
 */
function nativeXent(lg: tf.Tensor, l2: tf.Tensor, tgt: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) {
  const [gRaw, nll] = tf.engine().runKernel(SOFTMAX_XENT, { logits: l2, targets: tgt }, {}) as tf.Tensor[];
  let k = 1; // the common weight, folded into the backward's scalar
  if (tapeActive()) {
    const wv = w.dataSync();
    const uniform = wv.every((x) => x === wv[0]);
    k = uniform ? wv[0] : 1;
    save([uniform ? gRaw : tf.mul(gRaw, w.reshape([-1, 1]))]);
  }
  return {
    value: tf.sum(tf.mul(nll, w)),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const s = k * dy.dataSync()[0];
      return (s === 1 ? saved[0] : tf.mul(saved[0], s)).reshape(lg.shape);
    },
  };
}

/** A batch for causal-LM training: inputs and their next-token targets, right-padded to one length. */
export interface LmBatch {
  /** Input ids [B, T] int32. */
  ids: tf.Tensor2D;
  /** Next-token targets [B, T] int32 (targets[b, t] follows ids[b, t]). */
  targets: tf.Tensor2D;
  /** [B, T] float32, 1 where the target counts in the loss. */
  lossMask: tf.Tensor2D;
  /** [B, T] float32, 1 = real input token, 0 = padding. */
  padMask: tf.Tensor2D;
  /** Optional input embeddings [B, T, d] used instead of `ids` (e.g. from mixEmbeddings); ids still give the targets. */
  embeds?: tf.Tensor3D;
}

/** One training sequence: token ids, and optionally which tokens are to be predicted (1) or only read (0). */
export interface LmSequence {
  ids: number[];
  /** Per token of `ids`, 1 when the model should learn to predict it (e.g. the answer). @default all 1 (except the first) */
  lossMask?: number[];
}

/** Options of {@link makeLmBatch}. */
export interface MakeLmBatchOptions {
  /** Token id written at padded positions (masked out of attention and loss; must be a valid id). @default 0 */
  padId?: number;
}

/**
 * Tensors for a list of sequences: inputs ids[0..L−2], targets ids[1..L−1], the loss mask of the predicted tokens,
 * right padding with `padId` (masked out of attention and loss). Right padding keeps every real token's position.
 */
export function makeLmBatch(sequences: LmSequence[], options: MakeLmBatchOptions = {}): LmBatch {
  const padId = options.padId ?? 0;
  if (sequences.length === 0) throw new LlmError('BAD_OPTION', 'makeLmBatch: no sequences');
  sequences.forEach((s, i) => {
    if (s.ids.length < 2) throw new LlmError('BAD_OPTION', `makeLmBatch: sequence ${i} has ${s.ids.length} tokens; at least 2 are needed`);
    if (s.lossMask && s.lossMask.length !== s.ids.length) {
      throw new LlmError('SHAPE_MISMATCH', `makeLmBatch: sequence ${i} has ${s.ids.length} ids but a lossMask of ${s.lossMask.length}`);
    }
  });
  const B = sequences.length;
  const T = Math.max(...sequences.map((s) => s.ids.length)) - 1;
  const ids = new Int32Array(B * T).fill(padId);
  const targets = new Int32Array(B * T).fill(padId);
  const loss = new Float32Array(B * T);
  const pad = new Float32Array(B * T);
  sequences.forEach((s, b) => {
    for (let t = 0; t < s.ids.length - 1; t++) {
      ids[b * T + t] = s.ids[t];
      targets[b * T + t] = s.ids[t + 1];
      pad[b * T + t] = 1;
      loss[b * T + t] = s.lossMask ? s.lossMask[t + 1] : 1;
    }
  });
  return {
    ids: tf.tensor2d(ids, [B, T], 'int32'),
    targets: tf.tensor2d(targets, [B, T], 'int32'),
    lossMask: tf.tensor2d(loss, [B, T]),
    padMask: tf.tensor2d(pad, [B, T]),
  };
}

/** Free a batch's tensors. */
export function disposeBatch(b: LmBatch): void {
  tf.dispose([b.ids, b.targets, b.lossMask, b.padMask, ...(b.embeds ? [b.embeds] : [])]);
}

/** A micro-batch's summed loss and the number of positions it counts. */
export interface LossSum {
  sum: tf.Scalar;
  count: number;
}

/**
 * The summed next-token loss of a model on an {@link LmBatch} (what {@link trainStep} differentiates). When only some
 * positions count (e.g. the answer after a long prompt), only their hidden rows go through the vocabulary projection
 * and the loss, which is where most of the time goes for large vocabularies; the result is the same.
 */
export function lmLossSum(model: Llama, batch: LmBatch, training: boolean): LossSum {
  const maskVals = batch.lossMask.dataSync();
  const N = maskVals.length;
  const rows: number[] = [];
  let count = 0;
  for (let i = 0; i < N; i++) {
    if (maskVals[i] !== 0) {
      rows.push(i);
      count += maskVals[i];
    }
  }
  const input = batch.embeds ? { embeds: batch.embeds } : { ids: batch.ids };
  const sum = tf.tidy(() => {
    if (rows.length === N) {
      const logits = model.forward(input, { padMask: batch.padMask, training });
      return causalLmLoss(logits, batch.targets, batch.lossMask, { reduction: 'sum' });
    }
    if (rows.length === 0) return tf.scalar(0);
    const h = model.hidden(input, { padMask: batch.padMask, training });
    const idx = tf.tensor1d(rows, 'int32');
    const picked = gather(h.reshape([N, model.config.dim]), idx);
    const tg = tf.gather(batch.targets.reshape([N]), idx);
    const w = tf.gather(batch.lossMask.reshape([N]), idx);
    return causalLmLoss(model.logits(picked), tg, w, { reduction: 'sum' });
  });
  return { sum, count };
}

/** Global L2 norm of a set of gradients (per-tensor sums of squares in float32, accumulated in float64). */
export function globalNorm(grads: Iterable<tf.Tensor>): number {
  const list = [...grads];
  if (list.length === 0) return 0;
  // one read-back: per-tensor sums of squares stacked, then summed in float64
  const sums = tf.tidy(() => tf.stack(list.map((g) => tf.sum(tf.square(g)))).dataSync());
  let s = 0;
  for (const x of sums) s += x;
  return Math.sqrt(s);
}

/** Options of {@link trainStep} and {@link accumulateGradients}. */
export interface TrainStepOptions {
  /** Clip the global gradient norm to this value (as torch.nn.utils.clip_grad_norm_). @default Infinity (no clipping) */
  clipNorm?: number;
  /** Learning rate of this step (e.g. from lrSchedule); sets `optimizer.lr`. @default the optimiser's current lr */
  lr?: number;
  /** Passed to the loss function (dropout on). @default true */
  training?: boolean;
}

/** Result of {@link accumulateGradients}: token-weighted mean loss and the gradients of that mean, by variable name. */
export interface Gradients {
  loss: number;
  tokens: number;
  grads: Map<string, tf.Tensor>;
}

/**
 * Gradients of the token-weighted mean loss over micro-batches: Σ_mb ∇sum_mb / Σ_mb count_mb, so accumulating k
 * micro-batches equals one batch of all their sequences. Only `variables` are differentiated. The caller owns the
 * returned gradients (dispose them).
 */
export function accumulateGradients<T>(
  variables: Map<string, tf.Variable>,
  microBatches: T[],
  lossFn: (mb: T, training: boolean) => LossSum,
  training = true,
): Gradients {
  const r = accumulateSums(variables, microBatches, lossFn, training);
  const denom = Math.max(r.tokens, 1);
  for (const [name, g] of r.grads) {
    r.grads.set(name, tf.tidy(() => tf.div(g, denom)));
    g.dispose();
  }
  return r;
}

/** Σ over micro-batches of the gradients of the summed losses (not yet divided by the token count). */
function accumulateSums<T>(
  variables: Map<string, tf.Variable>,
  microBatches: T[],
  lossFn: (mb: T, training: boolean) => LossSum,
  training: boolean,
): Gradients {
  if (microBatches.length === 0) throw new LlmError('BAD_OPTION', 'trainStep: no micro-batches');
  const names = [...variables.keys()];
  const list = names.map((n) => variables.get(n)!);
  const byTfName = new Map(list.map((v, i) => [v.name, names[i]]));
  const acc = new Map<string, tf.Tensor>();
  let total = 0;
  let tokens = 0;
  for (const mb of microBatches) {
    let count = 0;
    const { value, grads } = tf.variableGrads(() => {
      const r = lossFn(mb, training);
      count = r.count;
      return r.sum;
    }, list);
    total += value.dataSync()[0];
    value.dispose();
    tokens += count;
    for (const [tfName, g] of Object.entries(grads)) {
      const name = byTfName.get(tfName)!;
      const prev = acc.get(name);
      if (prev) {
        acc.set(name, tf.add(prev, g));
        prev.dispose();
        g.dispose();
      } else acc.set(name, g);
    }
  }
  return { loss: total / Math.max(tokens, 1), tokens, grads: acc };
}

/** Scale gradients in place (replacing the map's tensors) so their global norm is at most `maxNorm`; returns the norm before. */
export function clipByGlobalNorm(grads: Map<string, tf.Tensor>, maxNorm: number): number {
  const norm = globalNorm(grads.values());
  if (Number.isFinite(maxNorm) && norm > maxNorm) {
    const scale = maxNorm / (norm + 1e-6);
    for (const [name, g] of grads) {
      grads.set(name, tf.tidy(() => tf.mul(g, scale)));
      g.dispose();
    }
  }
  return norm;
}

/** What one optimisation step reports. */
export interface StepResult {
  /** Token-weighted mean loss over the micro-batches (before the update). */
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Positions that counted in the loss. */
  tokens: number;
  /** Learning rate used. */
  lr: number;
}

/**
 * One optimisation step: gradients accumulated over `microBatches` (see {@link accumulateGradients}), clipped to
 * `clipNorm`, applied by the optimiser to its variables only. Leaves no tensors behind.
 */
export function trainStep<T>(
  optimizer: AdamW,
  microBatches: T[],
  lossFn: (mb: T, training: boolean) => LossSum,
  options: TrainStepOptions = {},
): StepResult {
  const clip = options.clipNorm ?? Infinity;
  if (!(clip > 0)) throw new LlmError('BAD_OPTION', `trainStep clipNorm = ${clip} must be > 0`);
  if (options.lr !== undefined) {
    if (!(options.lr >= 0) || !Number.isFinite(options.lr)) throw new LlmError('BAD_OPTION', `trainStep lr = ${options.lr} must be a finite number >= 0`);
    optimizer.lr = options.lr;
  }
  const { loss, tokens, grads } = accumulateSums(optimizer.variables(), microBatches, lossFn, options.training ?? true);
  try {
    // the 1/tokens mean and the clipping are folded into the optimiser's single pass over the flat gradient
    const gradNorm = optimizer.apply(grads, { scale: 1 / Math.max(tokens, 1), clipNorm: clip });
    return { loss, gradNorm, tokens, lr: optimizer.lr };
  } finally {
    for (const g of grads.values()) g.dispose();
  }
}

/** {@link trainStep} for a causal LM on {@link LmBatch} micro-batches. */
export function trainLmStep(model: Llama, optimizer: AdamW, microBatches: LmBatch[], options: TrainStepOptions = {}): StepResult {
  return trainStep(optimizer, microBatches, (mb, training) => lmLossSum(model, mb, training), options);
}
