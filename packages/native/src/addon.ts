import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';

/** Memory the addon reads or writes: a typed array (its own bytes) or an ArrayBuffer, plus a byte offset into it. */
export type NativeMemory = ArrayBufferView | ArrayBuffer;

/** The raw N-API binding (csrc/addon.cc). All offsets are in bytes; every region is bounds-checked. */
export interface NativeAddon {
  /**
   * Batched row-major SGEMM: for b < dims[0], C_b = op(A_{aIndex[b]}) op(B_{bIndex[b]}) with
   * dims = [batch, M, N, K, transposeA, transposeB, count of A matrices, count of B matrices].
   */
  gemm(
    c: NativeMemory, cOffset: number, a: NativeMemory, aOffset: number, b: NativeMemory, bOffset: number,
    dims: Int32Array, aIndex?: Int32Array | null, bIndex?: Int32Array | null, accumulate?: boolean,
  ): void;
  /**
   * Convolution by im2col + GEMM. kind 0: (x, filter) → y; 1: (dy, filter) → dx; 2: (x, dy) → dfilter.
   * shape = [B, H, W, Cin, KH, KW, Cout, strideH, strideW, dilationH, dilationW, padTop, padLeft, outH, outW].
   */
  conv(kind: 0 | 1 | 2, out: NativeMemory, outOffset: number, p: NativeMemory, pOffset: number, q: NativeMemory,
    qOffset: number, shape: Int32Array): void;
  /**
   * A 1-D/2-D conv layer fused with its bias and ReLUs (flags: 1 ReLU on the input, 2 on the output, 4 bias), shape as
   * in {@link conv}. kind 0: memory pairs (y, x, filter, bias) → y = post(conv(pre(x), filter) + bias); kind 1: pairs
   * (dx, dfilter, dbias, x, filter, y, dy) → the three gradients (bias pairs may be null when flag 4 is off).
   */
  convFused(kind: 0 | 1, shape: Int32Array, flags: number, ...memoryOffsetPairs: (NativeMemory | number | null)[]): void;
  /**
   * One fused AdamW step (see csrc/adamw.h): moments m, v (flat, `total` values) → mOut, vOut; per variable i the
   * memories[3i..3i+2] = (p, g, pOut) at byteOffsets[3i..], vars[4i..] = (size, offset in the moments, stepSize,
   * sqrtBc2); hyper = (beta1, beta2, eps, lr·weightDecay, scale, clipNorm). Returns the gradient norm (after scale).
   */
  adamw(mOut: NativeMemory, mOutOffset: number, vOut: NativeMemory, vOutOffset: number, m: NativeMemory, mOffset: number,
    v: NativeMemory, vOffset: number, total: number, memories: NativeMemory[], byteOffsets: Float64Array, vars: Float64Array,
    hyper: Float64Array): number;
  /**
   * In place c[rows, n] = act(c + bias); bias (or null) and prelu weights repeat every biasSize / preluSize values
   * (1, or a multiple of n dividing rows*n); act codes in {@link ACTIVATION_CODES}; alpha is the leakyrelu slope.
   */
  biasAct(c: NativeMemory, cOffset: number, rows: number, n: number, bias: NativeMemory | null, biasOffset: number,
    biasSize: number, activation: number, alpha: number, prelu?: NativeMemory | null, preluOffset?: number,
    preluSize?: number): void;
  /**
   * out[i] = a[floor(i / aRep) % aSize] op b[floor(i / bRep) % bSize] for i < n (op 0 add, 1 sub, 2 mul, 3 min, 4 max,
   * 5 div; reps default to 1); size·rep of each operand divides n, and without reps one operand has all n values.
   */
  binary(op: number, out: NativeMemory, outOffset: number, a: NativeMemory, aOffset: number, aSize: number,
    b: NativeMemory, bOffset: number, bSize: number, n: number, aRep?: number, bRep?: number): void;
  /** out[i] = op(x[i]) for i < n (op 0: exp, 1: log). */
  unary(op: number, out: NativeMemory, outOffset: number, x: NativeMemory, xOffset: number, n: number): void;
  /** out[o, i] = sum over r of x[o, r, i] (x laid out [outer, reduce, inner]), accumulated in double. */
  reduceSum(out: NativeMemory, outOffset: number, x: NativeMemory, xOffset: number, outer: number, reduce: number,
    inner: number): void;
  /** out = x transposed by perm (4-byte values; shape and perm of one length <= 8, out.shape[i] = shape[perm[i]]). */
  transpose(out: NativeMemory, outOffset: number, x: NativeMemory, xOffset: number, shape: Int32Array, perm: Int32Array): void;
  /**
   * Poincaré-ball pairwise distances out[n, m] from xy = ⟨x_i, y_j⟩ [n, m], x2 = ‖x_i‖² [n], y2 = ‖y_j‖² [m] and the
   * curvature c (float32 in, float32 out; polynomial log on AVX-512/AVX2, double std::log on the portable path).
   */
  poincarePairwise(out: NativeMemory, outOffset: number, xy: NativeMemory, xyOffset: number, x2: NativeMemory,
    x2Offset: number, y2: NativeMemory, y2Offset: number, n: number, m: number, c: number): void;
  /** Gradients of sum(g · poincarePairwise) with respect to xy [n, m], x2 [n] and y2 [m]. */
  poincarePairwiseGrad(gxy: NativeMemory, gxyOffset: number, gx2: NativeMemory, gx2Offset: number, gy2: NativeMemory,
    gy2Offset: number, xy: NativeMemory, xyOffset: number, x2: NativeMemory, x2Offset: number, y2: NativeMemory,
    y2Offset: number, g: NativeMemory, gOffset: number, n: number, m: number, c: number): void;
  /**
   * Fused softmax cross-entropy rows: grad [n, v] = softmax(logits) − onehot(targets), nll [n] = logsumexp − logit[target]
   * (targets int32; one outside [0, v) gives NaN).
   */
  softmaxXent(grad: NativeMemory, gradOffset: number, nll: NativeMemory, nllOffset: number, logits: NativeMemory,
    logitsOffset: number, targets: NativeMemory, targetsOffset: number, n: number, v: number): void;
  /**
   * Fused decoder kernels over n = rows·d values: op 0 SwiGLU (out, g, u), 1 its gradient (dg, du, g, u, dy), 2 RMSNorm
   * (y, r [rows], x, w [d]) with eps, 3 its gradient with respect to x (dx, x, w, r, dy); memory/offset pairs in that order.
   */
  lmFused(op: 0 | 1 | 2 | 3, rows: number, d: number, eps: number, ...memoryOffsetPairs: (NativeMemory | number)[]): void;
  /**
   * Attention softmax (csrc/softmax.cc). kind 0: memory pairs (y, x, bias | null) with x [B, H, T, S] and the bias
   * [biasB, 1, T, S] (biasB 0: none, 1: shared, B: per batch row) → y = softmax(x + bias) over the last axis; kind 1:
   * pairs (dx, y, dy) over B·H·T rows of S → dx = y ⊙ (dy − Σ dy·y).
   */
  softmax(kind: 0 | 1, B: number, H: number, T: number, S: number, biasB: number, ...memoryOffsetPairs: (NativeMemory | number | null)[]): void;
  /**
   * Fused attention (csrc/attention.cc; style 0 adjacent RoPE pairs, 1 rotate-half). kind 0: memory pairs (o, qh, kr,
   * probs, q, k, v, cosQ, sinQ, cosK, sinK, bias | null) with the bias [biasB, T, T] (biasB 0: none, 1: shared, B);
   * kind 1: pairs (dq, dk, dv, dy, qh, kr, v, probs, cosQ, sinQ, cosK, sinK). Layouts in src/attention.ts.
   */
  attention(kind: 0 | 1, B: number, T: number, H: number, G: number, hs: number, biasB: number, style: 0 | 1,
    ...memoryOffsetPairs: (NativeMemory | number | null)[]): void;
  /**
   * A frozen linear's output plus its LoRA update (csrc/lora.cc). kind 0: memory pairs (o, mid, bs, y, x, a, b) →
   * o = y + (x·a)·(scale·b); kind 1: pairs (dx, da, db, dy, x, a, bs, mid) → its gradient. Shapes in src/lora.ts.
   */
  loraAdd(kind: 0 | 1, N: number, inFeatures: number, r: number, out: number, scale: number, ...memoryOffsetPairs: (NativeMemory | number)[]): void;
  /**
   * Map the pages of [byteOffset, + bytes) of `region` writable now, in one call (Linux MADV_POPULATE_WRITE; contents
   * untouched). Returns 0, the errno, or -1 off Linux.
   */
  populate(region: NativeMemory, byteOffset: number, bytes: number): number;
  /**
   * MMD kernel sum (csrc/kernelsum.cc) over n values and H (1..16) bandwidths. kind 0: memory pairs (k, d, hs, e_0 …
   * e_{H−1}) → k = Σ exp(−d / h_i) and its terms; kind 1: pairs (g, dy, hs, e_0 … e_{H−1}) → the gradient.
   */
  kernelSum(kind: 0 | 1, n: number, H: number, ...memoryOffsetPairs: (NativeMemory | number)[]): void;
  /** The micro-kernel in use and the thread count. */
  info(): { simd: 'avx512' | 'avx2' | 'portable'; threads: number };
  /** Threads used by the kernels (1..64). @default the machine's cores, or env LLMAR_NATIVE_THREADS */
  setThreads(n: number): void;
  /** Force a micro-kernel; false if this CPU lacks it. @default the best the CPU has, or env LLMAR_NATIVE_SIMD */
  setSimd(name: 'avx512' | 'avx2' | 'portable'): boolean;
}

/** Fused-activation codes understood by `biasAct` (tfjs names). */
export const ACTIVATION_CODES: Readonly<Record<string, number>> = { linear: 0, relu: 1, relu6: 2, leakyrelu: 3, sigmoid: 4, elu: 5, prelu: 6 };

let cached: { addon?: NativeAddon; reason?: string } | undefined;

function packageRoot(): string {
  // src/ (vitest) and dist/ (built) both sit one level below the package root.
  return join(dirname(fileURLToPath(import.meta.url)), '..');
}

/** Where the compiled addon is expected (`build/Release/llmar_native.node`). */
export function addonPath(): string {
  return join(packageRoot(), 'build', 'Release', 'llmar_native.node');
}

/** The compiled addon, or a one-line reason why it is unavailable. Loaded once per process. */
export function loadAddon(): { addon?: NativeAddon; reason?: string } {
  if (cached) return cached;
  const path = addonPath();
  if (!existsSync(path)) {
    cached = { reason: `the C++ addon is not built (${path} missing; run \`npm run build:native -w packages/native\`)` };
    return cached;
  }
  try {
    const req = createRequire(import.meta.url);
    cached = { addon: req(path) as NativeAddon };
  } catch (e) {
    cached = { reason: `the C++ addon failed to load: ${(e as Error).message.split('\n')[0]}` };
  }
  return cached;
}
