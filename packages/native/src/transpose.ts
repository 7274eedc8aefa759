import { accessFor, type TensorInfoLike } from './access';
import { NativeError } from './errors';
import type { KernelContext, KernelFunc } from './types';

/** Largest rank the native Transpose takes (csrc/transpose.h). */
const MAX_RANK = 8;

/**
 * Native float32 Transpose (`attrs.perm`): axes of size 1 dropped and input axes that stay adjacent merged, then runs
 * copied (or gathered with a stride when the last axis moves) in C++, split over the thread pool when large. The stock
 * wasm kernel took ~100 µs per call on the attention's head reshapes ([8, 64, 8, 8] → [8, 8, 64, 8]), about 4 ms of a
 * stories260K training step. Other dtypes, ranks above 8 and invalid permutations go to the stock kernel.
 */
export function makeTranspose(ctx: KernelContext, stock: KernelFunc | undefined): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfoLike | undefined;
    const perm = args.attrs?.perm as number[] | undefined;
    const rank = x?.shape.length ?? -1;
    const valid =
      x !== undefined && x.dtype === 'float32' && rank <= MAX_RANK && Array.isArray(perm) && perm.length === rank &&
      typeof ctx.addon.transpose === 'function' && perm.every((p, i) => Number.isInteger(p) && p >= 0 && p < rank && perm.indexOf(p) === i);
    if (!valid) {
      if (stock) return stock(args);
      throw new NativeError('BAD_ARGUMENT', `Transpose: unsupported input [${x?.shape}] ${x?.dtype} with perm [${perm}]`);
    }
    const acc = accessFor(ctx.kind, args.backend);
    const out = acc.alloc(perm!.map((p) => x!.shape[p]));
    if (out.shape.includes(0)) return out;
    const [xm, xo] = acc.ref(x!); // after the allocation: a wasm heap growth replaces the buffer
    const [om, oo] = acc.ref(out);
    ctx.addon.transpose(om, oo, xm, xo, Int32Array.from(x!.shape), Int32Array.from(perm!));
    return out;
  };
}
