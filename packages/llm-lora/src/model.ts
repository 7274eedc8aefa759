import { tf, matMul, gather, Rng } from '@llmar/tensor';
import { type LlamaConfig, headSize, validateConfig, weightShapes } from './config';
import { LlmError } from './errors';
import { KvCache, type LayerKv } from './cache';
import { applyRope, ropeTables } from './rope';
import { type AttentionConsts, tapeActive, addSame, attentionOp, nativeAttention, frozenGather, frozenProject, pairSwapMatrix, reshapeFree, tiledTable, rmsNormOp, swiGlu } from './fused';
import { assertFitsBackend, fastTransposeFlags } from './memory';

export { KvCache } from './cache';
export { mixEmbeddings, createCache } from './inputs';
export { permuteForRotateHalf, unpermuteFromRotateHalf } from './rope';

/** A trainable addition to a linear layer (e.g. LoRA): its output is added to x @ W^T. */
export interface LinearAdapter {
  /** x [..., in] → [..., out]. `training` switches dropout and the like. */
  apply(x: tf.Tensor, training: boolean): tf.Tensor;
  /** y + apply(x) for rank-2 y and x under a gradient tape as one fused node, or undefined (then y + apply(x) runs). */
  applyAdd?(y: tf.Tensor, x: tf.Tensor, training: boolean): tf.Tensor | undefined;
}

/** Options of {@link Llama.fromWeights} and {@link Llama.random}. */
export interface LlamaOptions {
  /**
   * Keep a pre-transposed [in, out] copy of each frozen matrix, so the hot matMuls need no transpose flag.
   * `auto` keeps them on stock wasm only (where transpose flags are slow). @default 'auto'
   */
  transposedCopies?: 'auto' | boolean;
}

/** Input of {@link Llama.hidden}: token ids [B, T] (int32) or input embeddings [B, T, d]. */
export interface ModelInput {
  ids?: tf.Tensor2D;
  embeds?: tf.Tensor3D;
}

/** Options of {@link Llama.hidden}. */
export interface HiddenOptions {
  /** [B, T], 1 = real token, 0 = padding; padding keys are kept out of attention. @default all real */
  padMask?: tf.Tensor2D;
  /** KV cache: positions start at `cache.length`, and the cache is extended. @default none (positions from 0) */
  cache?: KvCache;
  /** Passed to adapters (dropout). @default false */
  training?: boolean;
}

const NEG = -1e9;

/**
 * A LLaMA-architecture decoder on TensorFlow.js: RMSNorm, RoPE (both conventions), grouped-query causal attention,
 * SwiGLU, tied or untied output. Weights are tf.Variables keyed by Hugging Face names in [out, in] layout.
 */
export class Llama {
  readonly config: LlamaConfig;
  /** Adapters by linear weight name; their output is added to the base projection. */
  readonly adapters = new Map<string, LinearAdapter>();
  private readonly vars = new Map<string, tf.Variable>();
  private readonly shapes: Map<string, number[]>;
  private readonly tcache = new Map<string, { id: unknown; t: tf.Tensor }>();
  private readonly ropeCos: tf.Tensor2D;
  private readonly ropeSin: tf.Tensor2D;
  /** The RoPE tables on the host ([maxSeqLen, hs] each), for building tiled copies. */
  private readonly ropeHost: { cos: Float32Array; sinSigned: Float32Array };
  /** RoPE's pair-swap permutation [hs, hs]. */
  private readonly ropeSwap: tf.Tensor2D;
  private readonly transposedCopies: 'auto' | boolean;
  private disposed = false;

  private constructor(config: LlamaConfig, weights: Record<string, tf.Tensor>, options: LlamaOptions) {
    this.config = { ...config };
    this.shapes = weightShapes(config);
    this.transposedCopies = options.transposedCopies ?? 'auto';
    for (const name of this.shapes.keys()) this.vars.set(name, tf.variable(weights[name], false));
    const hs = headSize(config);
    const t = ropeTables(config.maxSeqLen, hs, config.ropeTheta, config.ropeStyle);
    this.ropeHost = t;
    this.ropeCos = tf.tensor2d(t.cos, [config.maxSeqLen, hs]);
    this.ropeSin = tf.tensor2d(t.sinSigned, [config.maxSeqLen, hs]);
    this.ropeSwap = tf.tensor2d(pairSwapMatrix(hs, config.ropeStyle), [hs, hs]);
  }

  /**
   * A model from Hugging Face–named weights (shapes [out, in]; see {@link weightShapes}). Every name and shape is checked
   * (LlmError 'MISSING_TENSOR', 'SHAPE_MISMATCH', 'UNSUPPORTED_DTYPE', 'BAD_CONFIG'). The model makes its own
   * variables: the caller may dispose the given tensors.
   */
  static fromWeights(config: LlamaConfig, weights: Record<string, tf.Tensor>, options: LlamaOptions = {}): Llama {
    validateConfig(config);
    assertFitsBackend(config);
    const shapes = weightShapes(config);
    for (const [name, shape] of shapes) {
      const w = weights[name];
      if (!w) throw new LlmError('MISSING_TENSOR', `weight "${name}" [${shape}] is missing`);
      if (w.isDisposed) throw new LlmError('BAD_OPTION', `weight "${name}" is disposed`);
      if (w.dtype !== 'float32') throw new LlmError('UNSUPPORTED_DTYPE', `weight "${name}" has dtype ${w.dtype}, expected float32`);
      if (w.shape.length !== shape.length || w.shape.some((s, i) => s !== shape[i])) {
        throw new LlmError('SHAPE_MISMATCH', `weight "${name}" has shape [${w.shape}], expected [${shape}]`);
      }
    }
    for (const name of Object.keys(weights)) {
      if (!shapes.has(name)) {
        const hint = name === 'lm_head.weight' ? ' (the config has tiedEmbeddings: true)' : '';
        throw new LlmError('BAD_CONFIG', `weight "${name}" is not part of this config${hint}`);
      }
    }
    return new Llama(config, weights, options);
  }

  /** A randomly initialised model from a fixed seed: matrices N(0, 0.02²), norms 1 (no pretrained knowledge). */
  static random(config: LlamaConfig, seed: number, options: LlamaOptions = {}): Llama {
    validateConfig(config);
    assertFitsBackend(config);
    const rng = new Rng(seed);
    const weights: Record<string, tf.Tensor> = {};
    for (const [name, shape] of weightShapes(config)) {
      const n = shape.reduce((a, b) => a * b, 1);
      const a = new Float32Array(n);
      if (shape.length === 1) a.fill(1);
      else for (let i = 0; i < n; i++) a[i] = 0.02 * rng.normal();
      weights[name] = tf.tensor(a, shape);
    }
    try {
      return new Llama(config, weights, options);
    } finally {
      for (const t of Object.values(weights)) t.dispose();
    }
  }

  /** Every weight name, in checkpoint order. */
  weightNames(): string[] {
    return [...this.shapes.keys()];
  }

  /** The variable of a weight ([out, in] for matrices). */
  getWeight(name: string): tf.Variable {
    this.alive();
    const v = this.vars.get(name);
    if (!v) throw new LlmError('MISSING_TENSOR', `no weight "${name}" in this model`);
    return v;
  }

  /** Overwrite a weight's value (shape checked); internal copies follow. Assigning the variable directly works too. */
  setWeight(name: string, value: tf.Tensor): void {
    const v = this.getWeight(name);
    if (value.shape.length !== v.shape.length || value.shape.some((s, i) => s !== v.shape[i])) {
      throw new LlmError('SHAPE_MISMATCH', `setWeight("${name}"): shape [${value.shape}], expected [${v.shape}]`);
    }
    v.assign(value.dtype === 'float32' ? value : tf.tidy(() => value.toFloat()));
  }

  /** Make exactly these weights trainable ('all' or 'none' for every weight); the others are frozen. */
  setTrainable(names: string[] | 'all' | 'none'): void {
    this.alive();
    const set = new Set(names === 'all' ? this.shapes.keys() : names === 'none' ? [] : names);
    for (const n of set) if (!this.vars.has(n)) throw new LlmError('MISSING_TENSOR', `setTrainable: no weight "${n}" in this model`);
    for (const [n, v] of this.vars) v.trainable = set.has(n);
  }

  /** The trainable weight variables. */
  trainableWeights(): tf.Variable[] {
    return [...this.vars.values()].filter((v) => v.trainable);
  }

  /** Token embeddings [B, T, d] of int32 ids [B, T] (ids are range-checked). */
  embedTokens(ids: tf.Tensor2D): tf.Tensor3D {
    this.alive();
    if (ids.rank !== 2) throw new LlmError('SHAPE_MISMATCH', `embedTokens: ids must be [B, T], got [${ids.shape}]`);
    const V = this.config.vocabSize;
    const data = ids.dataSync();
    for (let i = 0; i < data.length; i++) {
      const x = data[i];
      if (!Number.isInteger(x) || x < 0 || x >= V) throw new LlmError('BAD_OPTION', `token id ${x} at flat index ${i} is outside [0, ${V})`);
    }
    const [B, T] = ids.shape;
    const E = this.vars.get('model.embed_tokens.weight')!;
    return tf.tidy(() => {
      const flat = ids.dtype === 'int32' ? ids.reshape([B * T]) : ids.toInt().reshape([B * T]);
      const rows = E.trainable ? gather(E, flat as tf.Tensor1D) : frozenGather(E, flat);
      return reshapeFree(rows, [B, T, this.config.dim]) as tf.Tensor3D;
    });
  }

  /** Hidden states after the final RMSNorm, [B, T, d]; causal attention; see {@link HiddenOptions}. */
  hidden(input: ModelInput, opts: HiddenOptions = {}): tf.Tensor3D {
    this.alive();
    const c = this.config;
    if ((input.ids ? 1 : 0) + (input.embeds ? 1 : 0) !== 1) {
      throw new LlmError('BAD_OPTION', 'hidden: pass exactly one of ids [B, T] or embeds [B, T, d] (mixEmbeddings builds a mix)');
    }
    if (input.embeds && (input.embeds.rank !== 3 || input.embeds.shape[2] !== c.dim)) {
      throw new LlmError('SHAPE_MISMATCH', `hidden: embeds must be [B, T, ${c.dim}], got [${input.embeds.shape}]`);
    }
    const [B, T] = input.ids ? input.ids.shape : input.embeds!.shape;
    const cache = opts.cache;
    const start = cache ? cache.length : 0;
    if (cache && (cache.batch !== B || cache.nLayers !== c.nLayers)) {
      throw new LlmError('BAD_OPTION', `hidden: cache for batch ${cache.batch} and ${cache.nLayers} layers, input batch ${B}, model ${c.nLayers} layers`);
    }
    if (T < 1 || start + T > c.maxSeqLen) {
      throw new LlmError('BAD_OPTION', `hidden: positions ${start}..${start + T - 1} exceed maxSeqLen ${c.maxSeqLen} (or T = 0)`);
    }
    const pm = opts.padMask;
    if (pm && (pm.rank !== 2 || pm.shape[0] !== B || pm.shape[1] !== T)) {
      throw new LlmError('SHAPE_MISMATCH', `hidden: padMask must be [${B}, ${T}], got [${pm.shape}]`);
    }
    const training = opts.training ?? false;
    // New cache entries are committed only once the whole pass succeeded.
    const pending: { layers: LayerKv[]; keyMask?: tf.Tensor2D } = { layers: [] };
    let out: tf.Tensor3D;
    try {
      out = tf.tidy(() => this.layersForward(input, B, T, start, pm, cache, training, pending));
    } catch (e) {
      tf.dispose([...pending.layers.flatMap((l) => [l.kT, l.v]), ...(pending.keyMask ? [pending.keyMask] : [])]);
      throw e;
    }
    if (cache) {
      pending.layers.forEach((l, i) => cache.setLayer(i, l));
      if (pending.keyMask) cache.setKeyMask(pending.keyMask);
      cache.length = start + T;
    }
    return out;
  }

  private layersForward(
    input: ModelInput,
    B: number,
    T: number,
    start: number,
    pm: tf.Tensor2D | undefined,
    cache: KvCache | undefined,
    training: boolean,
    pending: { layers: LayerKv[]; keyMask?: tf.Tensor2D },
  ): tf.Tensor3D {
    const c = this.config;
    // The residual stream stays 2-D [B*T, d]: linears and norms need no reshapes.
    let x: tf.Tensor = reshapeFree(input.ids ? this.embedTokens(input.ids) : input.embeds!, [B * T, c.dim]);
    const hs = headSize(c);
    const H = c.nHeads;
    const G = c.nKvHeads;
    const rep = H / G;
    const S = start + T;
    const cos = tf.slice(this.ropeCos, [start, 0], [T, hs]).reshape([1, T, 1, hs]);
    const sin = tf.slice(this.ropeSin, [start, 0], [T, hs]).reshape([1, T, 1, hs]);
    const bias = this.attentionBias(B, T, start, pm, cache, pending);
    const scale = 1 / Math.sqrt(hs);
    // Under a gradient tape (training) without a KV cache, each block is one fused custom-gradient node (see ./fused).
    const tape = tapeActive();
    const fusedAttn = tape && !cache;
    const consts = fusedAttn ? this.attentionConsts(B, T, bias) : undefined;
    const add = tape ? addSame : (a: tf.Tensor, b: tf.Tensor) => tf.add(a, b);
    // attention matMuls have no transpose flags: stock tf.matMul unless a tape records (then the portable gradient)
    const mm = tape ? matMul : (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a, b);
    for (let l = 0; l < c.nLayers; l++) {
      const p = `model.layers.${l}.`;
      const h = this.rmsNorm(x, `${p}input_layernorm.weight`);
      const ql = this.linear(h, `${p}self_attn.q_proj.weight`, training);
      const kl = this.linear(h, `${p}self_attn.k_proj.weight`, training);
      const vl = this.linear(h, `${p}self_attn.v_proj.weight`, training);
      let o: tf.Tensor;
      if (consts) o = attentionOp(ql, kl, vl, consts);
      else {
        const q = applyRope(ql.reshape([B, T, H, hs]), cos, sin, c.ropeStyle, this.ropeSwap);
        const k = applyRope(kl.reshape([B, T, G, hs]), cos, sin, c.ropeStyle, this.ropeSwap);
        const v = vl.reshape([B, T, G, hs]);
        const qh = q.transpose([0, 2, 1, 3]).reshape([B, G, rep * T, hs]);
        let kT = k.transpose([0, 2, 3, 1]) as tf.Tensor4D;
        let vh = v.transpose([0, 2, 1, 3]) as tf.Tensor4D;
        if (cache) {
          const past = cache.layers[l];
          if (past) {
            kT = tf.concat([past.kT, kT], 3);
            vh = tf.concat([past.v, vh], 2);
          }
          pending.layers[l] = { kT: tf.keep(kT), v: tf.keep(vh) };
        }
        const scores = mm(qh, kT).mul(scale).reshape([B, G, rep, T, S]).add(bias);
        const probs = tf.softmax(scores, -1).reshape([B, G, rep * T, S]);
        o = mm(probs, vh).reshape([B, H, T, hs]).transpose([0, 2, 1, 3]).reshape([B * T, c.dim]);
      }
      x = add(x, this.linear(o, `${p}self_attn.o_proj.weight`, training));
      const h2 = this.rmsNorm(x, `${p}post_attention_layernorm.weight`);
      const g = this.linear(h2, `${p}mlp.gate_proj.weight`, training);
      const u = this.linear(h2, `${p}mlp.up_proj.weight`, training);
      const act = tape ? swiGlu(g, u) : tf.mul(tf.mul(g, tf.sigmoid(g)), u);
      x = add(x, this.linear(act, `${p}mlp.down_proj.weight`, training));
    }
    return reshapeFree(this.rmsNorm(x, 'model.norm.weight'), [B, T, c.dim]) as tf.Tensor3D;
  }

  /** Logits [..., V] of hidden states [..., d], through lm_head or the tied embedding. */
  logits(hidden: tf.Tensor): tf.Tensor {
    this.alive();
    const d = this.config.dim;
    if (hidden.shape[hidden.rank - 1] !== d) throw new LlmError('SHAPE_MISMATCH', `logits: hidden must be [..., ${d}], got [${hidden.shape}]`);
    const name = this.config.tiedEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
    return tf.tidy(() => {
      const y = this.project(reshapeFree(hidden, [-1, d]), name);
      return reshapeFree(y, [...hidden.shape.slice(0, -1), this.config.vocabSize]);
    });
  }

  /** logits(hidden(input, opts)): [B, T, V]. */
  forward(input: ModelInput, opts: HiddenOptions = {}): tf.Tensor3D {
    return tf.tidy(() => this.logits(this.hidden(input, opts)) as tf.Tensor3D);
  }

  /** Free every weight and internal table (adapters are the caller's). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.vars.values()) v.dispose();
    for (const e of this.tcache.values()) e.t.dispose();
    this.tcache.clear();
    this.ropeCos.dispose();
    this.ropeSin.dispose();
    this.ropeSwap.dispose();
  }

  private alive(): void {
    if (this.disposed) throw new LlmError('BAD_OPTION', 'this Llama model was disposed');
  }

  private rmsNorm(x: tf.Tensor, name: string): tf.Tensor {
    const w = this.vars.get(name)!;
    if (tapeActive()) return rmsNormOp(x, w, this.config.normEps, w.trainable);
    const ms = tf.mean(tf.square(x), -1, true);
    return tf.mul(tf.mul(x, tf.rsqrt(tf.add(ms, this.config.normEps))), w);
  }

  /** x [N, in] @ W^T for weight `name` ([out, in]), fast on every backend, differentiable when W is trainable. */
  private project(x2: tf.Tensor, name: string): tf.Tensor {
    const W = this.vars.get(name)!;
    if (W.trainable) return matMul(x2, W, false, true);
    const useCopy = this.transposedCopies === 'auto' ? !fastTransposeFlags() : this.transposedCopies;
    if (!useCopy) return tapeActive() ? frozenProject(x2, W) : tf.matMul(x2, W, false, true);
    const id = (W as unknown as { dataId: unknown }).dataId;
    let e = this.tcache.get(name);
    if (!e || e.id !== id) {
      e?.t.dispose();
      e = { id, t: tf.keep(tf.transpose(W)) };
      this.tcache.set(name, e);
    }
    const WT = e.t;
    if (!tapeActive()) return tf.matMul(x2, WT);
    // Frozen weight: forward x @ W^T through the [in, out] copy, gradient dx = dy @ W; neither needs a transpose flag.
    return frozenProject(x2, W, WT);
  }

  private linear(x: tf.Tensor, name: string, training: boolean): tf.Tensor {
    if (x.rank === 2) {
      const y = this.project(x, name);
      const a2 = this.adapters.get(name);
      if (!a2) return y;
      const fused = tapeActive() ? a2.applyAdd?.(y, x, training) : undefined;
      if (fused) return fused;
      const ya = a2.apply(x, training);
      return tapeActive() && ya.rank === 2 && ya.shape[0] === y.shape[0] && ya.shape[1] === y.shape[1] ? addSame(y, ya) : y.add(ya);
    }
    const inn = x.shape[x.rank - 1];
    const y = this.project(x.reshape([-1, inn]), name);
    const outShape = [...x.shape.slice(0, -1), y.shape[1]] as number[];
    const base = y.reshape(outShape);
    const a = this.adapters.get(name);
    return a ? base.add(a.apply(x, training)) : base;
  }

  /** Constants of the fused attention of a pass without cache (RoPE tables; the queries' scaled by 1/√hs). */
  private attentionConsts(B: number, T: number, bias: tf.Tensor): AttentionConsts {
    const c = this.config;
    const hs = headSize(c);
    const scale = 1 / Math.sqrt(hs);
    // the native kernel reads [T, hs] tables; the kernel-by-kernel path multiplies same-shape tiled ones
    const native = nativeAttention();
    const tiled = (src: Float32Array, heads: number, f: number) => (native ? tiledTable(src, 1, T, 1, hs, f) : tiledTable(src, B, T, heads, hs, f));
    const { cos, sinSigned } = this.ropeHost;
    return {
      B,
      T,
      H: c.nHeads,
      G: c.nKvHeads,
      hs,
      cosQ: tiled(cos, c.nHeads, scale),
      sinQ: tiled(sinSigned, c.nHeads, scale),
      cosK: tiled(cos, c.nKvHeads, 1),
      sinK: tiled(sinSigned, c.nKvHeads, 1),
      swap: this.ropeSwap,
      bias,
      fastT: fastTransposeFlags(),
      style: c.ropeStyle,
      native,
    };
  }

  /** Additive attention bias [B|1, 1, 1, T, S]: 0 where allowed, -1e9 for future positions and padding keys. */
  private attentionBias(
    B: number,
    T: number,
    start: number,
    padMask: tf.Tensor2D | undefined,
    cache: KvCache | undefined,
    pending: { keyMask?: tf.Tensor2D },
  ): tf.Tensor {
    const S = start + T;
    const causal = new Float32Array(T * S);
    for (let t = 0; t < T; t++) for (let s = start + t + 1; s < S; s++) causal[t * S + s] = NEG;
    const bias = tf.tensor(causal, [1, 1, 1, T, S]);
    const past = cache?.keyMask;
    if (!padMask && !past) return bias;
    const cur = padMask ? padMask.toFloat() : tf.ones([B, T]);
    const prev = past ?? (start > 0 ? tf.ones([B, start]) : undefined);
    const keyMask = (prev ? tf.concat([prev, cur], 1) : cur) as tf.Tensor2D;
    if (cache) pending.keyMask = tf.keep(keyMask);
    return bias.add(tf.sub(1, keyMask).mul(NEG).reshape([B, 1, 1, 1, S]));
  }
}
