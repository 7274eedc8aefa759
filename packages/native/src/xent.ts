import { accessFor, type TensorInfoLike } from './access';
import type { NativeMemory } from './addon';
import { NativeError } from './errors';
import type { KernelContext, KernelFunc } from './types';

/** Kernel name of the fused softmax cross-entropy (used by @llmar/llm-lora's causalLmLoss when registered). */
export const SOFTMAX_XENT_KERNEL = 'LlmarSoftmaxXent';

/** The memory and byte offset of an int32 tensor (wasm: its heap bytes; cpu: its Int32Array, or an int copy). */
function intRef(ctx: KernelContext, backend: unknown, t: TensorInfoLike): [NativeMemory, number] {
  if (ctx.kind === 'wasm') return accessFor('wasm', backend).ref(t);
  const v = (backend as { data: { get(id: object): { values?: unknown } | undefined } }).data.get(t.dataId)?.values;
  if (v instanceof Int32Array) return [v, 0];
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return [Int32Array.from(v as unknown as ArrayLike<number>), 0];
  throw new NativeError('INTERNALS_CHANGED', `cpu tensor [${t.shape}] has no typed-array values`);
}

/**
 * LlmarSoftmaxXent: inputs {logits [N, V] float32, targets [N] int32} → [grad [N, V], nll [N]] with
 * grad = softmax(logits) − onehot(targets) and nll = logsumexp(logits) − logits[target] per row (exact, from the row
 * maximum); a target outside [0, V) gives nll NaN. One pass of native code instead of Softmax, a gather, a log and a
 * scatter of the stock kernels.
 */
export function makeSoftmaxXent(ctx: KernelContext): KernelFunc {
  return ({ inputs, backend }) => {
    const { logits, targets } = inputs;
    if (!logits || !targets || logits.dtype !== 'float32' || targets.dtype !== 'int32' || logits.shape.length !== 2 ||
      targets.shape.length !== 1 || targets.shape[0] !== logits.shape[0]) {
      throw new NativeError('BAD_ARGUMENT', `${SOFTMAX_XENT_KERNEL}: needs float32 logits [N, V] and int32 targets [N], got [${logits?.shape}] ${logits?.dtype} and [${targets?.shape}] ${targets?.dtype}`);
    }
    const [n, v] = logits.shape;
    const acc = accessFor(ctx.kind, backend);
    const grad = acc.alloc([n, v]);
    const nll = acc.alloc([n]);
    if (n === 0) return [grad, nll];
    // every allocation is done: the heap buffer read by ref is the current one
    const [gm, go] = acc.ref(grad);
    const [lm, lo] = acc.ref(nll);
    const [xm, xo] = v === 0 ? [gm, go] : acc.ref(logits);
    const [tm, to] = intRef(ctx, backend, targets);
    ctx.addon.softmaxXent(gm, go, lm, lo, xm, xo, tm, to, n, v);
    return [grad, nll];
  };
}
