import { accessFor, type TensorInfoLike } from './access';
import { NativeError } from './errors';
import type { KernelContext, KernelFunc } from './types';

/** Kernel names of the fused Poincaré-ball pairwise distance (used by @llmar/hyperbolic's pairwiseDist). */
export const POINCARE_KERNELS = ['LlmarPoincarePairwise', 'LlmarPoincarePairwiseGrad'] as const;

/** The [n, m] problem of xy [n, m], x2 [n], y2 [m] (and dy [n, m]), all float32, and the curvature c > 0. */
function problem(name: string, inputs: Record<string, TensorInfoLike | undefined>, attrs: Record<string, unknown> | undefined, withDy: boolean) {
  const { xy, x2, y2, dy } = inputs;
  const c = attrs?.c;
  const all = withDy ? [xy, x2, y2, dy] : [xy, x2, y2];
  if (all.some((t) => !t || t.dtype !== 'float32')) {
    throw new NativeError('BAD_ARGUMENT', `${name}: inputs xy, x2, y2${withDy ? ', dy' : ''} must be float32 tensors`);
  }
  const [n, m] = xy!.shape;
  const ok = xy!.shape.length === 2 && x2!.shape.length === 1 && y2!.shape.length === 1 && x2!.shape[0] === n &&
    y2!.shape[0] === m && (!withDy || (dy!.shape.length === 2 && dy!.shape[0] === n && dy!.shape[1] === m));
  if (!ok) {
    throw new NativeError('BAD_ARGUMENT', `${name}: shapes xy [${xy!.shape}], x2 [${x2!.shape}], y2 [${y2!.shape}]${withDy ? `, dy [${dy!.shape}]` : ''} do not match [n, m], [n], [m]`);
  }
  if (typeof c !== 'number' || !(c > 0) || !Number.isFinite(c)) throw new NativeError('BAD_ARGUMENT', `${name}: attr c must be a positive number, got ${String(c)}`);
  return { xy: xy!, x2: x2!, y2: y2!, dy, n, m, c };
}

/** LlmarPoincarePairwise: inputs {xy, x2, y2}, attrs {c} → distances [n, m]. */
export function makePoincarePairwise(ctx: KernelContext): KernelFunc {
  return ({ inputs, attrs, backend }) => {
    const p = problem('LlmarPoincarePairwise', inputs, attrs, false);
    const acc = accessFor(ctx.kind, backend);
    const out = acc.alloc([p.n, p.m]);
    if (p.n * p.m === 0) return out;
    const [om, oo] = acc.ref(out);
    const [pm, po] = acc.ref(p.xy);
    const [am, ao] = acc.ref(p.x2);
    const [bm, bo] = acc.ref(p.y2);
    ctx.addon.poincarePairwise(om, oo, pm, po, am, ao, bm, bo, p.n, p.m, p.c);
    return out;
  };
}

/** LlmarPoincarePairwiseGrad: inputs {xy, x2, y2, dy}, attrs {c} → [∂/∂xy [n, m], ∂/∂x2 [n], ∂/∂y2 [m]]. */
export function makePoincarePairwiseGrad(ctx: KernelContext): KernelFunc {
  return ({ inputs, attrs, backend }) => {
    const p = problem('LlmarPoincarePairwiseGrad', inputs, attrs, true);
    const acc = accessFor(ctx.kind, backend);
    const gxy = acc.alloc([p.n, p.m]);
    const gx2 = acc.alloc([p.n]);
    const gy2 = acc.alloc([p.m]);
    if (p.m === 0) return [gxy, gx2, gy2];
    // with n = 0 the kernel only zeroes gy2: the empty tensors (which may have no memory) point at gy2's instead
    const base = acc.ref(gy2);
    const refs = [gxy, gx2, gy2, p.xy, p.x2, p.y2, p.dy!].flatMap((t) => (t.shape.includes(0) ? base : acc.ref(t)));
    const r = refs as Parameters<typeof ctx.addon.poincarePairwiseGrad>;
    ctx.addon.poincarePairwiseGrad(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], p.n, p.m, p.c);
    return [gxy, gx2, gy2];
  };
}
