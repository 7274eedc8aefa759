import { accessFor, type TensorInfoLike } from './access';
import type { NativeMemory } from './addon';
import { NativeError } from './errors';
import type { KernelContext, KernelFunc } from './types';

/** Piece sizes along `dim` for tfjs's `numOrSizeSplits` (a count dividing dim, or sizes with at most one −1); else undefined. */
export function splitSizes(numOrSizeSplits: unknown, dim: number): number[] | undefined {
  if (typeof numOrSizeSplits === 'number') {
    const n = numOrSizeSplits;
    if (!Number.isInteger(n) || n <= 0 || dim % n !== 0) return undefined;
    return Array.from({ length: n }, () => dim / n);
  }
  if (!Array.isArray(numOrSizeSplits) || numOrSizeSplits.length === 0) return undefined;
  const sizes = numOrSizeSplits.map(Number);
  if (sizes.some((s) => !Number.isInteger(s) || s < -1) || sizes.filter((s) => s === -1).length > 1) return undefined;
  const known = sizes.reduce((a, s) => (s === -1 ? a : a + s), 0);
  const out = sizes.map((s) => (s === -1 ? dim - known : s));
  return out.every((s) => s >= 0) && out.reduce((a, s) => a + s, 0) === dim ? out : undefined;
}

function f32(mem: NativeMemory, byteOffset: number, length: number): Float32Array {
  if (mem instanceof ArrayBuffer) return new Float32Array(mem, byteOffset, length);
  return new Float32Array(mem.buffer, mem.byteOffset + byteOffset, length);
}

/**
 * Native float32 SplitV: each piece is `outer` contiguous runs copied with TypedArray.set straight between tensor
 * memories (on wasm: within the heap). The stock wasm kernel slices piece by piece and, on a long 1-D tensor split into
 * many pieces (an optimizer's flat parameter vector), took ~90 ms per call in a stage-1 training step. Other dtypes and
 * invalid splits go to the stock kernel (which reports errors).
 */
export function makeSplitV(ctx: KernelContext, stock: KernelFunc | undefined): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfoLike | undefined;
    const rank = x?.shape.length ?? 0;
    const rawAxis = Array.isArray(args.attrs?.axis) ? (args.attrs?.axis as unknown[])[0] : args.attrs?.axis ?? 0;
    const axis = typeof rawAxis === 'number' && Number.isInteger(rawAxis) && rawAxis >= -rank && rawAxis < rank ? (rawAxis + rank) % rank : -1;
    const sizes = x && axis >= 0 ? splitSizes(args.attrs?.numOrSizeSplits, x.shape[axis]) : undefined;
    if (!x || x.dtype !== 'float32' || !sizes) {
      if (stock) return stock(args);
      throw new NativeError('BAD_ARGUMENT', `SplitV: unsupported input [${x?.shape}] ${x?.dtype} split ${JSON.stringify(args.attrs?.numOrSizeSplits)}`);
    }
    const acc = accessFor(ctx.kind, args.backend);
    const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const dim = x.shape[axis];
    const outs = sizes.map((s) => acc.alloc(x.shape.map((v, i) => (i === axis ? s : v))));
    if (outer * inner * dim === 0) return outs;
    const [xm, xo] = acc.ref(x); // after every allocation: a wasm heap growth replaces the buffer
    const src = f32(xm, xo, outer * dim * inner);
    let start = 0;
    sizes.forEach((s, p) => {
      if (s > 0) {
        const [om, oo] = acc.ref(outs[p]);
        const dst = f32(om, oo, outer * s * inner);
        const run = s * inner;
        for (let o = 0; o < outer; o++) dst.set(src.subarray((o * dim + start) * inner, (o * dim + start) * inner + run), o * run);
      }
      start += s;
    });
    return outs;
  };
}
