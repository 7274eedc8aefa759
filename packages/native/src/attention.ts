import { accessFor, type TensorInfoLike } from './access';
import { NativeError } from './errors';
import type { KernelContext, KernelFunc } from './types';

/**
 * Fused causal grouped-query attention with RoPE (csrc/attention.cc), used by @llmar/llm-lora's training step when
 * registered. Attrs B, T, H, G (H % G = 0), hs (even) and style ('adjacent' pairs 2j/2j+1 as llama2.c, 'rotate-half'
 * pairs j/j+hs/2 as Hugging Face):
 * - LlmarAttention {q [B·T, H·hs], k, v [B·T, G·hs], cosQ, sinQ, cosK, sinK [T, hs], bias? [..., T, T] with 1 or B
 *   leading rows} → [o [B·T, H·hs], qh [B, H, T, hs], kr [B, G, T, hs], probs [B, H, T, T]]: queries and keys rotated
 *   (x·cos + swap(x)·sin, the query tables carrying 1/√hs), probs = softmax(qh·krᵀ + bias) with masked entries exactly
 *   0, o = probs·v per head;
 * - LlmarAttentionGrad {dy [B·T, H·hs], qh, kr, v, probs, cosQ, sinQ, cosK, sinK} → [dq, dk, dv] in q/k/v's layouts.
 * One kernel each way in place of ~15 forward and ~17 backward ones (rotations, transposes, batched products, softmax);
 * the results equal those kernels' bit for bit (same GEMM and softmax code, same order).
 */
export const ATTENTION_KERNELS = ['LlmarAttention', 'LlmarAttentionGrad'] as const;

const bad = (name: string, why: string) => new NativeError('BAD_ARGUMENT', `${name}: ${why}`);
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const fmt = (t: TensorInfoLike | undefined) => (t ? `[${t.shape}] ${t.dtype}` : 'missing');

interface Dims {
  B: number;
  T: number;
  H: number;
  G: number;
  hs: number;
  style: 0 | 1;
}

function dims(name: string, attrs: Record<string, unknown> | undefined): Dims {
  const get = (k: string, min: number) => {
    const v = Number(attrs?.[k]);
    if (!Number.isInteger(v) || v < min) throw bad(name, `attr ${k} must be an integer >= ${min}, got ${String(attrs?.[k])}`);
    return v;
  };
  const d = { B: get('B', 0), T: get('T', 0), H: get('H', 1), G: get('G', 1), hs: get('hs', 2) };
  if (d.H % d.G !== 0) throw bad(name, `attr G (${d.G}) must divide H (${d.H})`);
  if (d.hs % 2 !== 0) throw bad(name, `attr hs must be even, got ${d.hs}`);
  const st = attrs?.style ?? 'adjacent';
  if (st !== 'adjacent' && st !== 'rotate-half') throw bad(name, `attr style must be 'adjacent' or 'rotate-half', got ${String(st)}`);
  return { ...d, style: st === 'adjacent' ? 0 : 1 };
}

/** The named float32 inputs, each of `count` values (shape free: layouts are the attrs'), or a BAD_ARGUMENT error. */
function take(name: string, inputs: Record<string, unknown>, want: Record<string, number>): TensorInfoLike[] {
  return Object.entries(want).map(([k, count]) => {
    const t = inputs[k] as TensorInfoLike | undefined;
    if (!t || t.dtype !== 'float32' || size(t.shape) !== count) {
      throw bad(name, `input ${k} must be float32 with ${count} values, got ${fmt(t)}`);
    }
    return t;
  });
}

export function makeAttention(ctx: KernelContext, backward: boolean): KernelFunc {
  const name = backward ? 'LlmarAttentionGrad' : 'LlmarAttention';
  return ({ inputs, backend, attrs }) => {
    const { B, T, H, G, hs, style } = dims(name, attrs as Record<string, unknown> | undefined);
    const nq = B * T * H * hs, nk = B * T * G * hs, np = B * H * T * T, nt = T * hs;
    const tables = { cosQ: nt, sinQ: nt, cosK: nt, sinK: nt };
    const acc = accessFor(ctx.kind, backend);
    const inp = inputs as Record<string, unknown>;
    if (backward) {
      const ts = take(name, inp, { dy: nq, qh: nq, kr: nk, v: nk, probs: np, ...tables });
      const outs = [acc.alloc([B * T, H * hs]), acc.alloc([B * T, G * hs]), acc.alloc([B * T, G * hs])];
      if (B * T > 0) ctx.addon.attention(1, B, T, H, G, hs, 0, style, ...[...outs, ...ts].flatMap((t) => acc.ref(t)));
      return outs;
    }
    const ts = take(name, inp, { q: nq, k: nk, v: nk, ...tables });
    const bias = inp.bias as TensorInfoLike | undefined;
    let biasB = 0;
    if (bias) {
      const r = bias.shape.length;
      const lead = size(bias.shape.slice(0, -2));
      if (bias.dtype !== 'float32' || r < 2 || bias.shape[r - 2] !== T || bias.shape[r - 1] !== T || !(lead === 1 || lead === B)) {
        throw bad(name, `bias must be float32 [..., ${T}, ${T}] with 1 or ${B} leading rows, got ${fmt(bias)}`);
      }
      biasB = lead;
    }
    const outs = [acc.alloc([B * T, H * hs]), acc.alloc([B, H, T, hs]), acc.alloc([B, G, T, hs]), acc.alloc([B, H, T, T])];
    if (B * T > 0) {
      const refs = [...outs, ...ts].flatMap((t) => acc.ref(t));
      const [bm, bo] = bias ? acc.ref(bias) : [null, 0];
      ctx.addon.attention(0, B, T, H, G, hs, biasB, style, ...refs, bm, bo);
    }
    return outs;
  };
}
