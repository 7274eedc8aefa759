import { accessFor, type TensorInfoLike } from './access';
import { NativeError } from './errors';
import type { KernelContext, KernelFunc } from './types';

/**
 * The Gaussian kernel sum of @llmar/inductive-bias's MMD (csrc/kernelsum.cc), used when registered:
 * - LlmarKernelSum {d2 (any shape), hs [H]} → [k = Σ_i exp(−d2 / hs[i]), e_0 … e_{H−1}] (the terms, for the gradient);
 * - LlmarKernelSumGrad {dy, hs, e0 … e{H−1}} → dy's gradient with respect to d2, Σ_i −(dy · e_i) / hs[i] summed from the
 *   last term.
 * One pass each instead of ~5H forward and 4H backward element-wise kernels; the same float32 operations in the same
 * order, so the same bits. float32; 1 ≤ H ≤ 16.
 */
export const KERNEL_SUM_KERNELS = ['LlmarKernelSum', 'LlmarKernelSumGrad'] as const;

const size = (t: TensorInfoLike) => t.shape.reduce((a, b) => a * b, 1);
const bad = (name: string, why: string) => new NativeError('BAD_ARGUMENT', `${name}: ${why}`);
const fmt = (t: TensorInfoLike | undefined) => (t ? `[${t.shape}] ${t.dtype}` : 'missing');

export function makeKernelSum(ctx: KernelContext, backward: boolean): KernelFunc {
  const name = backward ? 'LlmarKernelSumGrad' : 'LlmarKernelSum';
  return ({ inputs, backend }) => {
    const x = inputs[backward ? 'dy' : 'd2'] as TensorInfoLike | undefined;
    const hs = inputs.hs as TensorInfoLike | undefined;
    if (!x || x.dtype !== 'float32') throw bad(name, `input ${backward ? 'dy' : 'd2'} must be float32, got ${fmt(x)}`);
    if (!hs || hs.dtype !== 'float32' || hs.shape.length !== 1 || hs.shape[0] < 1 || hs.shape[0] > 16) {
      throw bad(name, `input hs must be float32 [H] with 1 <= H <= 16, got ${fmt(hs)}`);
    }
    const H = hs.shape[0];
    const n = size(x);
    const acc = accessFor(ctx.kind, backend);
    if (backward) {
      const terms = Array.from({ length: H }, (_, i) => inputs[`e${i}`] as TensorInfoLike | undefined);
      terms.forEach((t, i) => {
        if (!t || t.dtype !== 'float32' || size(t) !== n) throw bad(name, `input e${i} must be float32 with ${n} values (as dy [${x.shape}]), got ${fmt(t)}`);
      });
      const g = acc.alloc([...x.shape]);
      ctx.addon.kernelSum(1, n, H, ...[g, x, hs, ...(terms as TensorInfoLike[])].flatMap((t) => acc.ref(t)));
      return g;
    }
    const outs = Array.from({ length: H + 1 }, () => acc.alloc([...x.shape]));
    ctx.addon.kernelSum(0, n, H, ...[outs[0], x, hs, ...outs.slice(1)].flatMap((t) => acc.ref(t)));
    return outs;
  };
}
