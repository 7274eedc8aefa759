import { accessFor, type TensorInfoLike } from './access';
import type { NativeMemory } from './addon';
import { NativeError } from './errors';
import type { KernelArgs, KernelContext, KernelFunc } from './types';

/**
 * Kernel names of the fused 1-D convolution layer y = post(conv1d(pre(x), w) + bias) (pre/post optional ReLUs) and of
 * its gradient, which returns [dx, dw, dbias] in one call. Used by @llmar/llmar's action VQ-VAE when registered.
 */
export const CONV_FUSED_KERNELS = ['LlmarConv1dBiasAct', 'LlmarConv1dBiasActGrad'] as const;

interface Geometry {
  B: number;
  L: number;
  cin: number;
  k: number;
  cout: number;
  stride: number;
  pad: number;
  dilation: number;
  lout: number;
  flags: number;
}

const isInt = (v: unknown, min: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min;

/**
 * The geometry of a call: x [B, L, Cin], filter [k, Cin, Cout], bias [Cout] (optional), attrs {stride, pad, dilation,
 * preRelu, postRelu} with PyTorch's arithmetic (symmetric zero padding). Throws BAD_ARGUMENT naming the input.
 */
function geometry(name: string, args: KernelArgs): Geometry {
  const { x, filter, bias } = args.inputs;
  const at = args.attrs ?? {};
  const bad = (why: string) => new NativeError('BAD_ARGUMENT', `${name}: ${why}`);
  for (const [k, t] of [['x', x], ['filter', filter], ['bias', bias]] as const) {
    if (t && t.dtype !== 'float32') throw bad(`${k} [${t.shape}] is ${t.dtype}, not float32`);
  }
  if (!x || x.shape.length !== 3) throw bad(`x [${x?.shape}] must be [B, L, Cin]`);
  if (!filter || filter.shape.length !== 3 || filter.shape[1] !== x.shape[2]) {
    throw bad(`filter [${filter?.shape}] must be [k, ${x.shape[2]}, Cout] for x [${x.shape}]`);
  }
  const [B, L, cin] = x.shape;
  const [k, , cout] = filter.shape;
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== cout)) throw bad(`bias [${bias.shape}] must be [${cout}]`);
  const stride = at.stride ?? 1, pad = at.pad ?? 0, dilation = at.dilation ?? 1;
  if (!isInt(stride, 1) || !isInt(pad, 0) || !isInt(dilation, 1)) {
    throw bad(`stride ${String(stride)}, pad ${String(pad)}, dilation ${String(dilation)} must be integers >= 1, >= 0, >= 1`);
  }
  const lout = Math.floor((L + 2 * pad - dilation * (k - 1) - 1) / stride) + 1;
  if (B * L * cin * k * cout === 0 || lout < 1) throw bad(`empty problem: x [${x.shape}], filter [${filter.shape}], output length ${lout}`);
  const flags = (at.preRelu ? 1 : 0) | (at.postRelu ? 2 : 0) | (bias ? 4 : 0);
  return { B, L, cin, k, cout, stride, pad, dilation, lout, flags };
}

function shapeVector(g: Geometry): Int32Array {
  return new Int32Array([g.B, 1, g.L, g.cin, 1, g.k, g.cout, 1, g.stride, 1, g.dilation, 0, g.pad, 1, g.lout]);
}

/** LlmarConv1dBiasAct: inputs {x, filter, bias?}, attrs {stride, pad, dilation, preRelu, postRelu} → y [B, Lout, Cout]. */
export function makeConv1dBiasAct(ctx: KernelContext): KernelFunc {
  return (args) => {
    const g = geometry('LlmarConv1dBiasAct', args);
    const { x, filter, bias } = args.inputs as Record<string, TensorInfoLike>;
    const acc = accessFor(ctx.kind, args.backend);
    const y = acc.alloc([g.B, g.lout, g.cout]);
    const [ym, yo] = acc.ref(y);
    const [xm, xo] = acc.ref(x);
    const [wm, wo] = acc.ref(filter);
    const [bm, bo] = bias ? acc.ref(bias) : [null, 0];
    ctx.addon.convFused(0, shapeVector(g), g.flags, ym, yo, xm, xo, wm, wo, bm, bo);
    return y;
  };
}

/**
 * LlmarConv1dBiasActGrad: inputs {x, filter, bias?, y, dy} (y the forward's output, needed by an output ReLU), the
 * forward's attrs → [dx, dfilter, dbias] (dbias only when bias is given).
 */
export function makeConv1dBiasActGrad(ctx: KernelContext): KernelFunc {
  return (args) => {
    const g = geometry('LlmarConv1dBiasActGrad', args);
    const { x, filter, bias, y, dy } = args.inputs as Record<string, TensorInfoLike | undefined>;
    const want = [g.B, g.lout, g.cout];
    for (const [k, t] of [['y', y], ['dy', dy]] as const) {
      if (!t || t.dtype !== 'float32' || t.shape.length !== 3 || t.shape.some((s, i) => s !== want[i])) {
        throw new NativeError('BAD_ARGUMENT', `LlmarConv1dBiasActGrad: ${k} [${t?.shape}] must be float32 [${want}]`);
      }
    }
    const acc = accessFor(ctx.kind, args.backend);
    const dx = acc.alloc([g.B, g.L, g.cin]);
    const dw = acc.alloc([g.k, g.cin, g.cout]);
    const db = bias ? acc.alloc([g.cout]) : undefined;
    // every allocation first: a wasm heap growth replaces the buffer the refs point into
    const refs: (NativeMemory | number | null)[] = [dx, dw, db, x!, filter!, y!, dy!].flatMap((t) => (t ? acc.ref(t) : [null, 0]));
    ctx.addon.convFused(1, shapeVector(g), g.flags, ...refs);
    return db ? [dx, dw, db] : [dx, dw];
  };
}
