import { accessFor, type TensorInfoLike } from './access';
import { NativeError } from './errors';
import type { KernelContext, KernelFunc } from './types';

/**
 * A frozen linear's output plus its LoRA update as one kernel each way (csrc/lora.cc), used by @llmar/llm-lora's
 * training step when registered. Attr `scale` (alpha / r):
 * - LlmarLoraAdd {y [N, out], x [N, in], a [in, r], b [r, out]} → [o = y + (x·a)·(scale·b), mid = x·a, bs = scale·b];
 * - LlmarLoraAddGrad {dy [N, out], x, a, bs, mid} → [dx = (dy·bsᵀ)·aᵀ, da = xᵀ·(dy·bsᵀ), db = scale·(midᵀ·dy)] (the
 *   gradient with respect to y is dy itself).
 * One kernel each way in place of 4 forward (two products, a Multiply, an Add) and 5 backward ones, with their results
 * bit for bit (the same GEMM, operands and order). All float32, rank 2.
 */
export const LORA_KERNELS = ['LlmarLoraAdd', 'LlmarLoraAddGrad'] as const;

const bad = (name: string, why: string) => new NativeError('BAD_ARGUMENT', `${name}: ${why}`);

export function makeLoraAdd(ctx: KernelContext, backward: boolean): KernelFunc {
  const name = backward ? 'LlmarLoraAddGrad' : 'LlmarLoraAdd';
  const keys = backward ? ['dy', 'x', 'a', 'bs', 'mid'] : ['y', 'x', 'a', 'b'];
  return ({ inputs, backend, attrs }) => {
    const ts = keys.map((k) => inputs[k] as TensorInfoLike | undefined);
    const list = () => keys.map((k, i) => `${k} ${ts[i] ? `[${ts[i]!.shape}] ${ts[i]!.dtype}` : 'missing'}`).join(', ');
    if (ts.some((t) => !t || t.dtype !== 'float32' || t.shape.length !== 2)) throw bad(name, `inputs must be float32 matrices, got ${list()}`);
    const [first, x, a, b, mid] = ts as TensorInfoLike[];
    const [N, inF] = x.shape;
    const [r, out] = b.shape;
    const ok = first.shape[0] === N && first.shape[1] === out && a.shape[0] === inF && a.shape[1] === r &&
      (!backward || (mid.shape[0] === N && mid.shape[1] === r));
    if (!ok) throw bad(name, `shapes do not chain as x [N, in], a [in, r], b [r, out]: ${list()}`);
    const scale = Number(attrs?.scale);
    if (!Number.isFinite(scale)) throw bad(name, `attr scale must be a finite number, got ${String(attrs?.scale)}`);
    const acc = accessFor(ctx.kind, backend);
    const outs = backward ? [acc.alloc([N, inF]), acc.alloc([inF, r]), acc.alloc([r, out])] : [acc.alloc([N, out]), acc.alloc([N, r]), acc.alloc([r, out])];
    const refs = [...outs, ...ts as TensorInfoLike[]].flatMap((t) => acc.ref(t));
    ctx.addon.loraAdd(backward ? 1 : 0, N, inF, r, out, scale, ...refs);
    return outs;
  };
}
