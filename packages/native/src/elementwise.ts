import { accessFor, type TensorInfoLike } from './access';
import { NativeError } from './errors';
import type { KernelContext, KernelFunc } from './types';

const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);
const same = (a: number[], b: number[]) => a.length === b.length && a.every((s, i) => s === b[i]);

/** Whether `small` broadcasts onto `big` by repetition: leading 1s dropped, it is a suffix of big (or a scalar). */
export function repeatsOver(small: number[], big: number[]): boolean {
  const s = [...small];
  while (s.length && s[0] === 1) s.shift();
  if (s.length > big.length) return false;
  return s.every((d, i) => d === big[big.length - s.length + i]);
}

const BINARY_CODES = { Add: 0, Sub: 1, Multiply: 2, Minimum: 3, Maximum: 4 } as const;

/**
 * Native float32 Add / Sub / Multiply / Minimum / Maximum when the shapes are equal or one operand repeats over the other (a bias [N] over
 * [M, N], a scalar, [H, W] over [B, H, W]); other broadcasts and dtypes go to the stock kernel.
 */
export function makeBinary(ctx: KernelContext, name: keyof typeof BINARY_CODES, stock: KernelFunc | undefined): KernelFunc {
  const code = BINARY_CODES[name];
  return (args) => {
    const { a, b } = args.inputs;
    let outShape: number[] | undefined;
    if (a && b && a.dtype === 'float32' && b.dtype === 'float32') {
      if (same(a.shape, b.shape)) outShape = a.shape;
      else if (a.shape.length >= b.shape.length && repeatsOver(b.shape, a.shape)) outShape = a.shape;
      else if (b.shape.length >= a.shape.length && repeatsOver(a.shape, b.shape)) outShape = b.shape;
    }
    if (!outShape || !a || !b) {
      if (stock) return stock(args);
      throw new NativeError('BAD_ARGUMENT', `${name}: unsupported inputs [${a?.shape}] and [${b?.shape}]`);
    }
    const acc = accessFor(ctx.kind, args.backend);
    const out = acc.alloc([...outShape]);
    const n = prod(outShape);
    if (n === 0) return out;
    const [om, oo] = acc.ref(out);
    const [am, ao] = acc.ref(a);
    const [bm, bo] = acc.ref(b);
    ctx.addon.binary(code, om, oo, am, ao, prod(a.shape), bm, bo, prod(b.shape), n);
    return out;
  };
}

/** Sorted, non-negative, unique axes of a tfjs `axis` attribute (null/undefined = all). */
function normaliseAxes(axis: unknown, rank: number): number[] | undefined {
  const list = axis == null ? [...Array(rank).keys()] : Array.isArray(axis) ? axis : [axis];
  const out: number[] = [];
  for (const v of list) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < -rank || v >= rank) return undefined;
    const p = v < 0 ? v + rank : v;
    if (!out.includes(p)) out.push(p);
  }
  return out.sort((x, y) => x - y);
}

/**
 * Native float32 Sum over one contiguous run of axes (e.g. axis 0 of [B, N] for a bias gradient, the last axis, or
 * all of them), accumulated in double; other axis sets and dtypes go to the stock kernel.
 */
export function makeSum(ctx: KernelContext, stock: KernelFunc | undefined): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfoLike | undefined;
    const axes = x ? normaliseAxes(args.attrs?.axis, x.shape.length) : undefined;
    const contiguous = axes !== undefined && axes.length > 0 && axes.every((v, i) => i === 0 || v === axes[i - 1] + 1);
    if (!x || x.dtype !== 'float32' || !axes || !contiguous) {
      if (stock) return stock(args);
      throw new NativeError('BAD_ARGUMENT', `Sum: unsupported input [${x?.shape}] ${x?.dtype} with axis ${JSON.stringify(args.attrs?.axis)}`);
    }
    const a0 = axes[0], a1 = axes[axes.length - 1];
    const outer = prod(x.shape.slice(0, a0)), reduce = prod(x.shape.slice(a0, a1 + 1)), inner = prod(x.shape.slice(a1 + 1));
    const outShape = args.attrs?.keepDims
      ? x.shape.map((s, i) => (i >= a0 && i <= a1 ? 1 : s))
      : x.shape.filter((_, i) => i < a0 || i > a1);
    const acc = accessFor(ctx.kind, args.backend);
    const out = acc.alloc(outShape);
    if (outer * inner === 0) return out;
    const [om, oo] = acc.ref(out);
    const [xm, xo] = acc.ref(x);
    ctx.addon.reduceSum(om, oo, xm, xo, outer, reduce, inner);
    return out;
  };
}

const UNARY_CODES = { Exp: 0, Log: 1 } as const;

/**
 * Native float32 Exp (a vector exp on AVX-512, glibc expf elsewhere) and Log (glibc logf), threaded for large tensors;
 * other dtypes go to the stock kernel.
 */
export function makeUnary(ctx: KernelContext, name: keyof typeof UNARY_CODES, stock: KernelFunc | undefined): KernelFunc {
  const code = UNARY_CODES[name];
  return (args) => {
    const x = args.inputs.x as TensorInfoLike | undefined;
    if (!x || x.dtype !== 'float32') {
      if (stock) return stock(args);
      throw new NativeError('BAD_ARGUMENT', `${name}: unsupported input [${x?.shape}] ${x?.dtype}`);
    }
    const acc = accessFor(ctx.kind, args.backend);
    const out = acc.alloc([...x.shape]);
    const n = prod(x.shape);
    if (n === 0) return out;
    const [om, oo] = acc.ref(out);
    const [xm, xo] = acc.ref(x);
    ctx.addon.unary(code, om, oo, xm, xo, n);
    return out;
  };
}
