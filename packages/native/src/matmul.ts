import { accessFor, type TensorInfoLike } from './access';
import { ACTIVATION_CODES } from './addon';
import { NativeError } from './errors';
import { repeatsOver } from './elementwise';
import type { KernelArgs, KernelContext, KernelFunc } from './types';

/** How a BatchMatMul maps onto the batched GEMM; undefined when the shapes are not valid (the stock kernel reports). */
export interface MatMulPlan {
  M: number;
  N: number;
  K: number;
  outShape: number[];
  batch: number;
  aCount: number;
  bCount: number;
  aIndex: Int32Array | null;
  bIndex: Int32Array | null;
}

const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** Flat index into `shape` (right-aligned in `out`, size-1 dims broadcast) of every flat index of `out`. */
function broadcastIndex(shape: number[], out: number[]): Int32Array | null {
  const n = prod(out);
  const pad = out.length - shape.length;
  const full = [...Array(pad).fill(1), ...shape];
  if (full.every((s, i) => s === out[i])) return null; // identity
  const idx = new Int32Array(n);
  const strides = new Array<number>(full.length);
  let st = 1;
  for (let i = full.length - 1; i >= 0; i--) {
    strides[i] = full[i] === 1 ? 0 : st;
    st *= full[i];
  }
  for (let f = 0; f < n; f++) {
    let rem = f;
    let j = 0;
    for (let i = out.length - 1; i >= 0; i--) {
      const c = rem % out[i];
      rem = (rem - c) / out[i];
      j += c * strides[i];
    }
    idx[f] = j;
  }
  return idx;
}

/** Plan C = op(A) op(B) with numpy broadcasting of the batch dims (any rank >= 2). */
export function planMatMul(a: number[], b: number[], ta: boolean, tb: boolean): MatMulPlan | undefined {
  if (a.length < 2 || b.length < 2) return undefined;
  const ar = a.length, br = b.length;
  const M = ta ? a[ar - 1] : a[ar - 2];
  const K = ta ? a[ar - 2] : a[ar - 1];
  const Kb = tb ? b[br - 1] : b[br - 2];
  const N = tb ? b[br - 2] : b[br - 1];
  if (K !== Kb) return undefined;
  const ab = a.slice(0, -2), bb = b.slice(0, -2);
  const r = Math.max(ab.length, bb.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = ab[ab.length - r + i] ?? 1, y = bb[bb.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(x === 1 ? y : x);
  }
  const aCount = prod(ab), bCount = prod(bb), batch = prod(out);
  return {
    M, N, K, outShape: [...out, M, N], batch, aCount, bCount,
    aIndex: broadcastIndex(ab, out),
    bIndex: broadcastIndex(bb, out),
  };
}

/** Run a planned product into `out` (already allocated). */
function runGemm(ctx: KernelContext, args: KernelArgs, a: TensorInfoLike, b: TensorInfoLike, ta: boolean, tb: boolean,
  p: MatMulPlan, out: TensorInfoLike): void {
  if (p.batch * p.M * p.N === 0) return;
  const acc = accessFor(ctx.kind, args.backend);
  const [cm, co] = acc.ref(out);
  const [am, ao] = acc.ref(a);
  const [bm, bo] = acc.ref(b);
  const dims = new Int32Array([p.batch, p.M, p.N, p.K, ta ? 1 : 0, tb ? 1 : 0, Math.max(1, p.aCount), Math.max(1, p.bCount)]);
  ctx.addon.gemm(cm, co, am, ao, bm, bo, dims, p.aIndex, p.bIndex);
}

/** Native BatchMatMul: both transpose flags, numpy batch broadcasting; anything else goes to the stock kernel. */
export function makeBatchMatMul(ctx: KernelContext, stock: KernelFunc | undefined): KernelFunc {
  return (args) => {
    const { a, b } = args.inputs;
    const ta = Boolean(args.attrs?.transposeA), tb = Boolean(args.attrs?.transposeB);
    const p = a && b && a.dtype === 'float32' && b.dtype === 'float32' ? planMatMul(a.shape, b.shape, ta, tb) : undefined;
    if (!p || !a || !b) {
      if (stock) return stock(args);
      throw new NativeError('BAD_ARGUMENT', `BatchMatMul: unsupported inputs [${a?.shape}] ${a?.dtype} and [${b?.shape}] ${b?.dtype}`);
    }
    const out = accessFor(ctx.kind, args.backend).alloc(p.outShape);
    runGemm(ctx, args, a, b, ta, tb, p, out);
    return out;
  };
}

/**
 * Native _FusedMatMul: the product, then bias and linear/relu/relu6/leakyrelu/sigmoid/elu/prelu in place. Bias and
 * prelu weights must broadcast by repetition (shape a suffix of the output's, e.g. [N], [M, N], or a scalar); other
 * shapes and non-float32 inputs go to the stock kernel.
 */
export function makeFusedMatMul(ctx: KernelContext, stock: KernelFunc | undefined): KernelFunc {
  return (args) => {
    const { a, b, bias, preluActivationWeights: pw } = args.inputs;
    const ta = Boolean(args.attrs?.transposeA), tb = Boolean(args.attrs?.transposeB);
    const activation = String(args.attrs?.activation ?? 'linear');
    const alpha = Number(args.attrs?.leakyreluAlpha ?? 0.2);
    const code = ACTIVATION_CODES[activation];
    const p = a && b && a.dtype === 'float32' && b.dtype === 'float32' ? planMatMul(a.shape, b.shape, ta, tb) : undefined;
    const fits = (t: TensorInfoLike | undefined) => !t || (p !== undefined && t.dtype === 'float32' && repeatsOver(t.shape, p.outShape));
    const needPrelu = activation === 'prelu';
    if (!p || !a || !b || code === undefined || !fits(bias) || !fits(pw) || (needPrelu && !pw)) {
      if (stock) return stock(args);
      throw new NativeError('BAD_ARGUMENT', `_FusedMatMul: unsupported inputs [${a?.shape}] and [${b?.shape}] with ${activation}`);
    }
    const acc = accessFor(ctx.kind, args.backend);
    const out = acc.alloc(p.outShape);
    runGemm(ctx, args, a, b, ta, tb, p, out);
    if (p.batch * p.M * p.N > 0 && (bias || code !== 0)) {
      const size = (t: TensorInfoLike) => t.shape.reduce((x, y) => x * y, 1);
      const [cm, co] = acc.ref(out);
      const [bm, bo] = bias ? acc.ref(bias) : [null, 0];
      const [pm, po] = needPrelu && pw ? acc.ref(pw) : [null, 0];
      ctx.addon.biasAct(cm, co, p.batch * p.M, p.N, bm, bo, bias ? size(bias) : 0, code, alpha, pm, po, pw ? size(pw) : 0);
    }
    return out;
  };
}
