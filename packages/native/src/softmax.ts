import { accessFor, type TensorInfoLike } from './access';
import { NativeError } from './errors';
import type { KernelContext, KernelFunc } from './types';

/**
 * Fused attention softmax (csrc/softmax.cc), used by @llmar/llm-lora's fused attention when registered:
 * - LlmarSoftmaxBias {x [B, H, T, S], bias? [1 | B, 1, T, S]} → softmax(x + bias) over the last axis (the bias, e.g. a
 *   causal and padding mask of 0 / −1e9, is shared by the H heads; masked entries come out exactly 0);
 * - LlmarSoftmaxGrad {y, dy} (same shape, any rank) → dy's gradient through the softmax at output y over the last axis,
 *   y ⊙ (dy − Σ dy·y).
 * Both float32; one pass of native code each, instead of Add, Softmax and the Multiply / Sum / Sub / Multiply of its
 * stock gradient.
 */
export const SOFTMAX_KERNELS = ['LlmarSoftmaxBias', 'LlmarSoftmaxGrad'] as const;

const size = (t: TensorInfoLike) => t.shape.reduce((a, b) => a * b, 1);
const same = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);
const bad = (name: string, why: string) => new NativeError('BAD_ARGUMENT', `${name}: ${why}`);

export function makeSoftmaxBias(ctx: KernelContext): KernelFunc {
  return ({ inputs, backend }) => {
    const x = inputs.x as TensorInfoLike | undefined;
    const bias = inputs.bias as TensorInfoLike | undefined;
    if (!x || x.dtype !== 'float32' || x.shape.length !== 4) throw bad('LlmarSoftmaxBias', `x must be float32 [B, H, T, S], got [${x?.shape}] ${x?.dtype}`);
    const [B, H, T, S] = x.shape;
    if (bias && (bias.dtype !== 'float32' || bias.shape.length !== 4 || !(bias.shape[0] === 1 || bias.shape[0] === B) ||
      bias.shape[1] !== 1 || bias.shape[2] !== T || bias.shape[3] !== S)) {
      throw bad('LlmarSoftmaxBias', `bias must be float32 [1 or ${B}, 1, ${T}, ${S}], got [${bias.shape}] ${bias.dtype}`);
    }
    const acc = accessFor(ctx.kind, backend);
    const y = acc.alloc([B, H, T, S]);
    if (size(x) === 0) return y;
    const refs = [y, x].flatMap((t) => acc.ref(t));
    const [bm, bo] = bias ? acc.ref(bias) : [null, 0];
    ctx.addon.softmax(0, B, H, T, S, bias ? bias.shape[0] : 0, ...refs, bm, bo);
    return y;
  };
}

export function makeSoftmaxGrad(ctx: KernelContext): KernelFunc {
  return ({ inputs, backend }) => {
    const y = inputs.y as TensorInfoLike | undefined;
    const dy = inputs.dy as TensorInfoLike | undefined;
    if (!y || !dy || y.dtype !== 'float32' || dy.dtype !== 'float32' || y.shape.length < 1 || !same(y.shape, dy.shape)) {
      throw bad('LlmarSoftmaxGrad', `y and dy must be float32 of one shape (rank >= 1), got [${y?.shape}] ${y?.dtype} and [${dy?.shape}] ${dy?.dtype}`);
    }
    const S = y.shape[y.shape.length - 1];
    const acc = accessFor(ctx.kind, backend);
    const dx = acc.alloc([...y.shape]);
    if (size(y) === 0) return dx;
    const refs = [dx, y, dy].flatMap((t) => acc.ref(t));
    ctx.addon.softmax(1, size(y) / S, 1, 1, S, 0, ...refs);
    return dx;
  };
}
