import { accessFor, type TensorInfoLike } from './access';
import { NativeError } from './errors';
import type { KernelContext, KernelFunc } from './types';

/**
 * Fused decoder kernels (csrc/lmfused.cc) used by @llmar/llm-lora's training path when registered:
 * - LlmarSwiGlu {g, u} → silu(g)·u; LlmarSwiGluGrad {g, u, dy} → [dg, du];
 * - LlmarRmsNorm {x [rows, d], w [d]}, attr eps → [y = x·r·w, r [rows] = 1/√(mean(x²) + eps)];
 *   LlmarRmsNormGrad {x, w, r, dy} → dx.
 * All float32; SwiGLU operands of one shape.
 */
export const LM_FUSED_KERNELS = ['LlmarSwiGlu', 'LlmarSwiGluGrad', 'LlmarRmsNorm', 'LlmarRmsNormGrad'] as const;

const size = (t: TensorInfoLike) => t.shape.reduce((a, b) => a * b, 1);
const same = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

function check(name: string, inputs: Record<string, TensorInfoLike | undefined>, keys: string[]): TensorInfoLike[] {
  const ts = keys.map((k) => inputs[k]);
  if (ts.some((t) => !t || t.dtype !== 'float32')) {
    throw new NativeError('BAD_ARGUMENT', `${name}: inputs ${keys.join(', ')} must be float32 tensors`);
  }
  return ts as TensorInfoLike[];
}

/** op 0 forward, 1 backward of SwiGLU. */
export function makeSwiGlu(ctx: KernelContext, backward: boolean): KernelFunc {
  const name = backward ? 'LlmarSwiGluGrad' : 'LlmarSwiGlu';
  return ({ inputs, backend }) => {
    const ts = check(name, inputs, backward ? ['g', 'u', 'dy'] : ['g', 'u']);
    if (ts.some((t) => !same(t.shape, ts[0].shape))) {
      throw new NativeError('BAD_ARGUMENT', `${name}: operands of one shape needed, got ${ts.map((t) => `[${t.shape}]`).join(', ')}`);
    }
    const acc = accessFor(ctx.kind, backend);
    const outs = (backward ? [0, 1] : [0]).map(() => acc.alloc(ts[0].shape));
    const n = size(ts[0]);
    if (n > 0) {
      const refs = [...outs, ...ts].flatMap((t) => acc.ref(t));
      ctx.addon.lmFused(backward ? 1 : 0, 1, n, 0, ...refs);
    }
    return backward ? outs : outs[0];
  };
}

/** RMSNorm forward ([y, r]) or backward (dx) over the last axis. */
export function makeRmsNorm(ctx: KernelContext, backward: boolean): KernelFunc {
  const name = backward ? 'LlmarRmsNormGrad' : 'LlmarRmsNorm';
  return ({ inputs, backend, attrs }) => {
    const ts = check(name, inputs, backward ? ['x', 'w', 'r', 'dy'] : ['x', 'w']);
    const [x, w] = ts;
    const d = x.shape[x.shape.length - 1] ?? 0;
    const rows = x.shape.length >= 1 && d > 0 ? size(x) / d : 0;
    const ok = x.shape.length >= 1 && w.shape.length === 1 && w.shape[0] === d &&
      (!backward || (size(ts[2]) === rows && same(ts[3].shape, x.shape)));
    if (!ok) throw new NativeError('BAD_ARGUMENT', `${name}: shapes ${ts.map((t) => `[${t.shape}]`).join(', ')} do not match x [..., d], w [d]`);
    const eps = Number(attrs?.eps ?? 1e-5);
    if (!backward && !(eps >= 0)) throw new NativeError('BAD_ARGUMENT', `${name}: attr eps must be >= 0, got ${String(attrs?.eps)}`);
    const acc = accessFor(ctx.kind, backend);
    const outs = backward ? [acc.alloc(x.shape)] : [acc.alloc(x.shape), acc.alloc(x.shape.slice(0, -1))];
    if (rows * d > 0) {
      const refs = [...outs, ...ts].flatMap((t) => acc.ref(t));
      ctx.addon.lmFused(backward ? 3 : 2, rows, d, eps, ...refs);
    }
    return backward ? outs[0] : outs;
  };
}
