import { accessFor, type TensorInfoLike } from './access';
import type { NativeMemory } from './addon';
import { NativeError } from './errors';
import type { KernelContext, KernelFunc } from './types';

/**
 * Kernel name of the fused AdamW step (@llmar/llm-lora's AdamW layout: both moments in flat vectors).
 * inputs {m [total], v [total], p0, g0, p1, g1, …} (float32; g_i the size of p_i); attrs {offsets: number[] (start of
 * each variable in the moments), stepSizes: number[] (lr / (1 − β₁ᵗ)), sqrtBc2: number[] (√(1 − β₂ᵗ)), beta1, beta2,
 * eps, decay (lr · weightDecay), scale, clipNorm} → [norm (scalar), m', v', p0', p1', …]: the gradient norm after
 * `scale` and before clipping, the new moments (ranges of no variable copied) and the new parameters. One pass over
 * each array instead of about twenty whole-vector tensor ops plus a concat and a split of every parameter.
 * With attr `inPlace: true` the moments are updated in the memory of m and v, and the outputs are [norm, p0', p1', …]:
 * for a caller that owns m and v alone (an optimiser's private state). It saves allocating and writing two vectors of
 * `total` values a step, and the wasm heap's growth (fresh pages fault: ~20 ms at 1.2M parameters) that their churn
 * caused in the first tens of steps.
 */
export const ADAMW_KERNEL = 'LlmarAdamW';

const num = (v: unknown, what: string): number => {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new NativeError('BAD_ARGUMENT', `${ADAMW_KERNEL}: attr ${what} must be a number, got ${String(v)}`);
  return v;
};

export function makeAdamW(ctx: KernelContext): KernelFunc {
  return (args) => {
    const bad = (why: string) => new NativeError('BAD_ARGUMENT', `${ADAMW_KERNEL}: ${why}`);
    const { m, v } = args.inputs;
    const at = args.attrs ?? {};
    if (!m || !v || m.dtype !== 'float32' || v.dtype !== 'float32' || m.shape.length !== 1 || v.shape.length !== 1 || m.shape[0] !== v.shape[0]) {
      throw bad(`moments m [${m?.shape}] and v [${v?.shape}] must be float32 vectors of one length`);
    }
    const total = m.shape[0];
    const offsets = at.offsets as number[] | undefined, steps = at.stepSizes as number[] | undefined, bc2 = at.sqrtBc2 as number[] | undefined;
    const n = Array.isArray(offsets) ? offsets.length : -1;
    if (n < 0 || !Array.isArray(steps) || !Array.isArray(bc2) || steps.length !== n || bc2.length !== n) {
      throw bad('attrs offsets, stepSizes and sqrtBc2 must be arrays of one length (one entry per variable)');
    }
    const ps: TensorInfoLike[] = [], gs: TensorInfoLike[] = [];
    for (let i = 0; i < n; i++) {
      const p = args.inputs[`p${i}`], g = args.inputs[`g${i}`];
      if (!p || !g || p.dtype !== 'float32' || g.dtype !== 'float32') throw bad(`inputs p${i} and g${i} must be float32 tensors`);
      const size = p.shape.reduce((a, b) => a * b, 1);
      if (g.shape.reduce((a, b) => a * b, 1) !== size) throw bad(`g${i} [${g.shape}] does not match p${i} [${p.shape}]`);
      if (!Number.isInteger(offsets![i]) || offsets![i] < 0 || offsets![i] + size > total) {
        throw bad(`variable ${i} at offset ${offsets![i]} with ${size} values does not fit the moments of ${total}`);
      }
      ps.push(p);
      gs.push(g);
    }
    const hyper = new Float64Array([
      num(at.beta1, 'beta1'), num(at.beta2, 'beta2'), num(at.eps, 'eps'), num(at.decay ?? 0, 'decay'), num(at.scale ?? 1, 'scale'),
      num(at.clipNorm ?? Infinity, 'clipNorm'),
    ]);
    const inPlace = at.inPlace === true;
    const acc = accessFor(ctx.kind, args.backend);
    const norm = acc.alloc([]);
    const mOut = inPlace ? m : acc.alloc([total]);
    const vOut = inPlace ? v : acc.alloc([total]);
    const pOut = ps.map((p) => acc.alloc([...p.shape]));
    // refs only after every allocation (a wasm heap growth replaces the buffer); empty tensors get the norm's memory
    const [nm, no] = acc.ref(norm);
    const ref = (t: TensorInfoLike): [NativeMemory, number] => (t.shape.includes(0) ? [nm, no] : acc.ref(t));
    const mems: NativeMemory[] = [];
    const offs = new Float64Array(3 * n);
    const vars = new Float64Array(4 * n);
    for (let i = 0; i < n; i++) {
      [ps[i], gs[i], pOut[i]].forEach((t, k) => {
        const [mem, off] = ref(t);
        mems.push(mem);
        offs[3 * i + k] = off;
      });
      vars.set([ps[i].shape.reduce((a, b) => a * b, 1), offsets![i], num(steps![i], 'stepSizes'), num(bc2![i], 'sqrtBc2')], 4 * i);
    }
    const [mom, moo] = total ? acc.ref(mOut) : [nm, no];
    const [vom, voo] = total ? acc.ref(vOut) : [nm, no];
    const [mm, mo] = total ? acc.ref(m) : [nm, no];
    const [vm, vo] = total ? acc.ref(v) : [nm, no];
    const value = ctx.addon.adamw(mom, moo, vom, voo, mm, mo, vm, vo, total, mems, offs, vars, hyper);
    const nf = nm instanceof ArrayBuffer ? new Float32Array(nm, no, 1) : new Float32Array(nm.buffer, nm.byteOffset + no, 1);
    nf[0] = value;
    return inPlace ? [norm, ...pOut] : [norm, mOut, vOut, ...pOut];
  };
}
