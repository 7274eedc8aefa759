import { tf, customGrad, hasKernel } from '@llmar/tensor';

/**
 * Fused differentiable ops of the decoder's training path, each one custom-gradient node with an analytic backward.
 * Under a gradient tape tfjs copies every input a stock kernel's gradient needs (Add, Mul, Reshape, BatchMatMul... keep
 * clones; on wasm each clone is a full Identity copy) and records one node per kernel. These ops save only what their
 * backward needs, so a training step runs far fewer kernels and copies. Internal (not exported from the package).
 */

/** Whether a gradient tape records (inside tf.grad / variableGrads); without one, custom-gradient wrappers are skipped. */
export function tapeActive(): boolean {
  const state = (tf.engine() as unknown as { state?: { gradientDepth?: number } }).state;
  return state?.gradientDepth === undefined ? true : state.gradientDepth > 0;
}

/**
 * The pair-swap permutation [hs, hs] of RoPE: (x @ P)[i] = x[partner(i)], partner exchanging the two members of a rotated
 * pair (2j ↔ 2j+1 for `adjacent`, i ↔ i + hs/2 for `rotate-half`). P is symmetric and its own inverse.
 */
export function pairSwapMatrix(hs: number, style: 'adjacent' | 'rotate-half'): Float32Array {
  const p = new Float32Array(hs * hs);
  const half = hs / 2;
  for (let i = 0; i < hs; i++) {
    const partner = style === 'adjacent' ? i ^ 1 : i < half ? i + half : i - half;
    p[partner * hs + i] = 1; // column i takes row partner
  }
  return p;
}

/** a + b of equal shapes, saving nothing (the gradient is dy for both). */
export function addSame(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const shape = a.shape;
  const f = customGrad((x: tf.Tensor, y: tf.Tensor) => ({
    value: tf.add(x, y),
    // two distinct tensor objects (reshape shares the data): tfjs disposes accumulated gradients one by one
    gradFunc: (dy: tf.Tensor) => [dy.reshape(shape), dy.reshape(shape)],
  }));
  return f(a, b);
}

/**
 * RMSNorm of x [N, d] with weight w [d]: x · rsqrt(mean(x²) + eps) · w. Saves x and the [N, 1] inverse RMS.
 * With `wTrainable` false the weight is a constant (no dw is computed).
 */
export function rmsNormOp(x: tf.Tensor, w: tf.Tensor, eps: number, wTrainable: boolean): tf.Tensor {
  if (hasKernel('LlmarRmsNorm') && x.rank === 2) return nativeRmsNorm(x, w, eps, wTrainable);
  const fwd = (xx: tf.Tensor, ww: tf.Tensor, save: tf.GradSaveFunc) => {
    const r = tf.rsqrt(tf.add(tf.mean(tf.square(xx), -1, true), eps));
    save([xx, r]);
    return { value: tf.mul(tf.mul(xx, r), ww), r };
  };
  // d/dx: r·gw − x·r³·mean(gw·x), with gw = dy·w
  const dx = (dy: tf.Tensor, xx: tf.Tensor, r: tf.Tensor, ww: tf.Tensor) => {
    const gw = tf.mul(dy, ww);
    const m = tf.mean(tf.mul(gw, xx), -1, true);
    return tf.sub(tf.mul(gw, r), tf.mul(xx, tf.mul(tf.mul(tf.square(r), r), m)));
  };
  if (wTrainable) {
    const f = customGrad((xx: tf.Tensor, ww: tf.Tensor, save: tf.GradSaveFunc) => {
      const { value } = fwd(xx, ww, save);
      return {
        value,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [sx, r] = saved;
          return [dx(dy, sx, r, ww), tf.sum(tf.mul(dy, tf.mul(sx, r)), 0)];
        },
      };
    });
    return f(x, w);
  }
  const f = customGrad((xx: tf.Tensor, save: tf.GradSaveFunc) => {
    const { value } = fwd(xx, w, save);
    return { value, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [dx(dy, saved[0], saved[1], w)] };
  });
  return f(x);
}

const run = (name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap = {}) => tf.engine().runKernel(name, inputs, attrs);

/**
 * {@link rmsNormOp} on the fused native kernels of @llmar/native (LlmarRmsNorm / LlmarRmsNormGrad, registered with the
 * addon): one pass each way; saves x and the [N] inverse RMS. dw, when trainable, is sum(dy · x · r) over rows.
 */
function nativeRmsNorm(x: tf.Tensor, w: tf.Tensor, eps: number, wTrainable: boolean): tf.Tensor {
  const fwd = (xx: tf.Tensor, ww: tf.Tensor, save: tf.GradSaveFunc) => {
    const [y, r] = run('LlmarRmsNorm', { x: xx, w: ww }, { eps }) as tf.Tensor[];
    save([xx, r]);
    return y;
  };
  const dx = (dy: tf.Tensor, saved: tf.Tensor[]) => run('LlmarRmsNormGrad', { x: saved[0], w, r: saved[1], dy }) as tf.Tensor;
  if (wTrainable) {
    const f = customGrad((xx: tf.Tensor, ww: tf.Tensor, save: tf.GradSaveFunc) => ({
      value: fwd(xx, ww, save),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [dx(dy, saved), tf.sum(tf.mul(dy, tf.mul(saved[0], saved[1].reshape([-1, 1]))), 0)],
    }));
    return f(x, w);
  }
  const f = customGrad((xx: tf.Tensor, save: tf.GradSaveFunc) => ({
    value: fwd(xx, w, save),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [dx(dy, saved)],
  }));
  return f(x);
}

/**
 * SwiGLU's silu(g) · u of equal-shaped g and u; saves u, silu(g) and sigmoid(g) (no recomputation in the backward). With
 * the native LlmarSwiGlu kernels registered: one pass each way, saving only g and u (sigmoid recomputed natively).
 */
export function swiGlu(g: tf.Tensor, u: tf.Tensor): tf.Tensor {
  if (hasKernel('LlmarSwiGlu')) {
    const nf = customGrad((gg: tf.Tensor, uu: tf.Tensor, save: tf.GradSaveFunc) => {
      save([gg, uu]);
      return {
        value: run('LlmarSwiGlu', { g: gg, u: uu }) as tf.Tensor,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => run('LlmarSwiGluGrad', { g: saved[0], u: saved[1], dy }) as tf.Tensor[],
      };
    });
    return nf(g, u);
  }
  const f = customGrad((gg: tf.Tensor, uu: tf.Tensor, save: tf.GradSaveFunc) => {
    const s = tf.sigmoid(gg);
    const silu = tf.mul(gg, s);
    save([uu, silu, s]);
    return {
      value: tf.mul(silu, uu),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [su, ssilu, ss] = saved;
        // silu'(g) = s + g·s·(1 − s) = s + silu − silu·s
        const dsilu = tf.sub(tf.add(ss, ssilu), tf.mul(ssilu, ss));
        return [tf.mul(tf.mul(dy, su), dsilu), tf.mul(dy, ssilu)];
      },
    };
  });
  return f(g, u);
}

/** Constants of one {@link attentionOp} call (kept by the caller until the backward pass has run). */
export interface AttentionConsts {
  B: number;
  T: number;
  H: number;
  G: number;
  hs: number;
  /** RoPE tables for the queries, [1|B, T, 1|H, hs], pre-multiplied by 1/√hs (saved for the backward pass, like the others). */
  cosQ: tf.Tensor;
  sinQ: tf.Tensor;
  /** RoPE tables for the keys, [1|B, T, 1|G, hs]. */
  cosK: tf.Tensor;
  sinK: tf.Tensor;
  /** Pair-swap permutation [hs, hs] ({@link pairSwapMatrix}); must stay alive until the backward pass. */
  swap: tf.Tensor;
  /** Additive attention bias broadcastable to [B, G, rep, T, T] (used in the forward pass only). */
  bias: tf.Tensor;
  /** Whether transpose-flagged matMuls are fast on this backend. */
  fastT: boolean;
  /** RoPE pairing (for the native kernel; the JavaScript path reads it from `swap`). */
  style: 'adjacent' | 'rotate-half';
  /**
   * Whether the one-kernel native attention runs ({@link nativeAttention} when the constants were made); the four
   * tables are then [1, T, 1, hs] instead of tiled over the batch and heads.
   */
  native: boolean;
}

/** Whether @llmar/native's fused attention kernels (LlmarAttention / LlmarAttentionGrad) are registered. */
export function nativeAttention(): boolean {
  return hasKernel('LlmarAttention') && hasKernel('LlmarAttentionGrad');
}

/**
 * A RoPE table (host [≥T, hs], positions from 0) tiled to [B, T, heads, hs] and scaled by f, built on the host (tf.tile
 * is slow on wasm): the rotation's products are then same-shape, much faster than broadcasting ones.
 */
export function tiledTable(src: Float32Array, B: number, T: number, heads: number, hs: number, f: number): tf.Tensor {
  const out = new Float32Array(B * T * heads * hs);
  let o = 0;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let h = 0; h < heads; h++) for (let i = 0; i < hs; i++) out[o++] = f === 1 ? src[t * hs + i] : src[t * hs + i] * f;
    }
  }
  return tf.tensor4d(out, [B, T, heads, hs]);
}

function rope(x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor, swap: tf.Tensor, hs: number): tf.Tensor {
  return tf.add(tf.mul(x, cos), tf.mul(tf.matMul(x.reshape([-1, hs]), swap).reshape(x.shape), sin));
}

/** Transpose of {@link rope} (rotation by −θ): dy·cos + swapᵀ(dy·sin), with swapᵀ = swap. */
function ropeT(dy: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor, swap: tf.Tensor, hs: number): tf.Tensor {
  return tf.add(tf.mul(dy, cos), tf.matMul(tf.mul(dy, sin).reshape([-1, hs]), swap).reshape(dy.shape));
}

function mmT(a: tf.Tensor, b: tf.Tensor, fastT: boolean, ta: boolean, tb: boolean): tf.Tensor {
  if (fastT) return tf.matMul(a, b, ta, tb);
  const sw = (x: tf.Tensor) => tf.transpose(x, [0, 1, 3, 2]);
  return tf.matMul(ta ? sw(a) : a, tb ? sw(b) : b);
}

/**
 * Causal grouped-query self-attention with RoPE, from the projections q [B·T, H·hs], k and v [B·T, G·hs] to the
 * attention output [B·T, H·hs] (before o_proj), as one node. Saves the rotated scaled queries, keys, values and the
 * attention probabilities; the backward is the standard softmax-attention gradient followed by the inverse rotation.
 * With @llmar/native registered, the masked softmax and its gradient are one native pass each (LlmarSoftmaxBias /
 * LlmarSoftmaxGrad) instead of Add, Softmax and four element-wise kernels.
 */
export function attentionOp(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, c: AttentionConsts): tf.Tensor {
  if (c.native) return nativeAttentionOp(q, k, v, c);
  const { B, T, H, G, hs, fastT } = c;
  const rep = H / G;
  // the fused native softmax (mask added, masked entries exactly 0) and its one-pass gradient, when registered
  const native = hasKernel('LlmarSoftmaxBias') && hasKernel('LlmarSoftmaxGrad') && c.bias.shape.length === 5 && c.bias.shape[1] === 1 && c.bias.shape[2] === 1 && c.bias.shape[3] === T && c.bias.shape[4] === T;
  const f = customGrad((qq: tf.Tensor, kk: tf.Tensor, vv: tf.Tensor, save: tf.GradSaveFunc) => {
    const qr = rope(qq.reshape([B, T, H, hs]), c.cosQ, c.sinQ, c.swap, hs);
    const kr = rope(kk.reshape([B, T, G, hs]), c.cosK, c.sinK, c.swap, hs);
    const qh = qr.transpose([0, 2, 1, 3]).reshape([B, G, rep * T, hs]);
    const kT = kr.transpose([0, 2, 3, 1]); // [B, G, hs, T]
    const vh = vv.reshape([B, T, G, hs]).transpose([0, 2, 1, 3]); // [B, G, T, hs]
    const probs = native
      ? (run('LlmarSoftmaxBias', { x: tf.matMul(qh, kT).reshape([B, H, T, T]), bias: c.bias.reshape([-1, 1, T, T]) }) as tf.Tensor).reshape([B, G, rep * T, T])
      : tf.softmax(tf.matMul(qh, kT).reshape([B, G, rep, T, T]).add(c.bias), -1).reshape([B, G, rep * T, T]);
    const o = tf.matMul(probs, vh).reshape([B, H, T, hs]).transpose([0, 2, 1, 3]).reshape([B * T, H * hs]);
    save([qh, kT, vh, probs, c.cosQ, c.sinQ, c.cosK, c.sinK]);
    return {
      value: o,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sq, skT, sv, p, cosQ, sinQ, cosK, sinK] = saved;
        const dO = dy.reshape([B, T, H, hs]).transpose([0, 2, 1, 3]).reshape([B, G, rep * T, hs]);
        const dP = mmT(dO, sv, fastT, false, true); // [B, G, rep·T, T]
        const dV = mmT(p, dO, fastT, true, false); // [B, G, T, hs]
        const dS = native ? (run('LlmarSoftmaxGrad', { y: p, dy: dP }) as tf.Tensor) : tf.mul(p, tf.sub(dP, tf.sum(tf.mul(dP, p), -1, true)));
        const dQ = mmT(dS, skT, fastT, false, true); // [B, G, rep·T, hs]
        const dKT = mmT(sq, dS, fastT, true, false); // [B, G, hs, T]
        const dq = ropeT(dQ.reshape([B, H, T, hs]).transpose([0, 2, 1, 3]), cosQ, sinQ, c.swap, hs);
        const dk = ropeT(dKT.transpose([0, 3, 1, 2]), cosK, sinK, c.swap, hs);
        const dv = dV.transpose([0, 2, 1, 3]);
        return [dq.reshape([B * T, H * hs]), dk.reshape([B * T, G * hs]), dv.reshape([B * T, G * hs])];
      },
    };
  });
  return f(q, k, v);
}

/**
 * {@link attentionOp} as one native kernel each way (LlmarAttention / LlmarAttentionGrad of @llmar/native): the same
 * operations in the same order as the kernel-by-kernel path on the native backend, so the same bits, in 2 kernel calls
 * per layer instead of ~32. Saves the rotated queries and keys, v, the probabilities and the [T, hs] RoPE tables.
 */
function nativeAttentionOp(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, c: AttentionConsts): tf.Tensor {
  const attrs = { B: c.B, T: c.T, H: c.H, G: c.G, hs: c.hs, style: c.style };
  const f = customGrad((qq: tf.Tensor, kk: tf.Tensor, vv: tf.Tensor, save: tf.GradSaveFunc) => {
    const tables = { cosQ: c.cosQ, sinQ: c.sinQ, cosK: c.cosK, sinK: c.sinK };
    const [o, qh, kr, probs] = run('LlmarAttention', { q: qq, k: kk, v: vv, ...tables, bias: c.bias }, attrs) as tf.Tensor[];
    save([qh, kr, vv, probs, c.cosQ, c.sinQ, c.cosK, c.sinK]);
    return {
      value: o,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [qh2, kr2, v2, p2, cosQ, sinQ, cosK, sinK] = saved;
        return run('LlmarAttentionGrad', { dy, qh: qh2, kr: kr2, v: v2, probs: p2, cosQ, sinQ, cosK, sinK }, attrs) as tf.Tensor[];
      },
    };
  });
  return f(q, k, v);
}

/**
 * x [N, in] @ Wᵀ for a constant W [out, in] (frozen weight), saving nothing: the gradient is dy @ W. `WT` ([in, out])
 * is used when given (for backends where transpose flags are slow).
 */
export function frozenProject(x: tf.Tensor, W: tf.Tensor, WT?: tf.Tensor): tf.Tensor {
  const f = customGrad((xx: tf.Tensor) => ({
    value: WT ? tf.matMul(xx, WT) : tf.matMul(xx, W, false, true),
    gradFunc: (dy: tf.Tensor) => [tf.matMul(dy, W)],
  }));
  return f(x);
}

/** Rows of E at int32 indices [N], as GatherNd (several times faster than wasm's GatherV2, which reads the indices back). */
export function gatherRows(E: tf.Tensor, idx: tf.Tensor): tf.Tensor {
  return tf.gatherND(E, idx.reshape([-1, 1]));
}

/** Rows `idx` of a constant matrix E (frozen embedding), saving nothing (stock gather keeps a copy of all of E). */
export function frozenGather(E: tf.Tensor, idx: tf.Tensor): tf.Tensor {
  if (!tapeActive()) return gatherRows(E, idx);
  const f = customGrad((e: tf.Tensor) => ({ value: gatherRows(e, idx), gradFunc: () => [tf.zerosLike(e)] }));
  return f(E);
}

/** x.reshape(shape), saving nothing (the stock Reshape keeps a copy of x under a tape); the gradient is reshaped back. */
export function reshapeFree(x: tf.Tensor, shape: number[]): tf.Tensor {
  if (!tapeActive()) return x.reshape(shape);
  const inShape = x.shape;
  const f = customGrad((xx: tf.Tensor) => ({ value: xx.reshape(shape), gradFunc: (dy: tf.Tensor) => [dy.reshape(inShape)] }));
  return f(x);
}
