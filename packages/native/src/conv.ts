import { accessFor, type TensorInfoLike } from './access';
import { NativeError } from './errors';
import type { Conv2DInfoLike, KernelArgs, KernelContext, KernelFunc } from './types';

/** Kernel names registered only by this package: the Conv2D family with a `dilations` attribute on every gradient. */
export const LLMAR_CONV_KERNELS = ['LlmarConv2D', 'LlmarConv2DBackpropInput', 'LlmarConv2DBackpropFilter'] as const;

function shapeVector(c: Conv2DInfoLike): Int32Array {
  return new Int32Array([
    c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.filterHeight, c.filterWidth, c.outChannels,
    c.strideHeight, c.strideWidth, c.dilationHeight, c.dilationWidth, c.padInfo.top, c.padInfo.left, c.outHeight, c.outWidth,
  ]);
}

type Which = 'forward' | 'input' | 'filter';

/** The geometry of one call, or a reason it cannot run natively. */
function convInfo(ctx: KernelContext, which: Which, args: KernelArgs): Conv2DInfoLike | string {
  const at = args.attrs ?? {};
  if ((at.dataFormat ?? 'NHWC') !== 'NHWC') return `dataFormat ${String(at.dataFormat)}`;
  const ins = Object.values(args.inputs).filter(Boolean) as TensorInfoLike[];
  if (ins.length !== 2 || ins.some((t) => t.dtype !== 'float32' || t.shape.length !== 4)) return 'inputs are not two float32 rank-4 tensors';
  const dil = at.dilations ?? [1, 1];
  let inShape: number[];
  let filterShape: number[];
  if (which === 'forward') {
    inShape = args.inputs.x!.shape;
    filterShape = args.inputs.filter!.shape;
  } else if (which === 'input') {
    inShape = at.inputShape as number[];
    filterShape = args.inputs.filter!.shape;
  } else {
    inShape = args.inputs.x!.shape;
    filterShape = at.filterShape as number[];
  }
  if (!Array.isArray(inShape) || !Array.isArray(filterShape) || inShape.length !== 4 || filterShape.length !== 4) {
    return `shapes [${inShape}] / [${filterShape}]`;
  }
  if (inShape[3] !== filterShape[2]) return `input channels ${inShape[3]} vs filter [${filterShape}]`;
  const c = ctx.tf.backend_util.computeConv2DInfo(inShape, filterShape, at.strides, dil, at.pad, at.dimRoundingMode, false, 'channelsLast');
  if (c.outHeight < 0 || c.outWidth < 0 || c.padInfo.top < 0 || c.padInfo.left < 0) return `output ${c.outHeight}x${c.outWidth}`;
  if (which === 'input' && !sameShape(args.inputs.dy!.shape, [c.batchSize, c.outHeight, c.outWidth, c.outChannels])) {
    return `dy [${args.inputs.dy!.shape}] does not match the output of input [${inShape}]`;
  }
  if (which === 'filter' && !sameShape(args.inputs.dy!.shape, [c.batchSize, c.outHeight, c.outWidth, c.outChannels])) {
    return `dy [${args.inputs.dy!.shape}] does not match the output of x [${inShape}]`;
  }
  return c;
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

/**
 * Native Conv2D / Conv2DBackpropInput / Conv2DBackpropFilter (NHWC, any stride, dilation and padding). The gradient
 * kernels also read an optional `dilations` attribute (tfjs never sends one; @llmar/tensor's conv1d does through the
 * Llmar* names). Unsupported calls go to the stock kernel; without one they throw, naming the input.
 */
export function makeConv(ctx: KernelContext, which: Which, stock: KernelFunc | undefined): KernelFunc {
  return (args) => {
    const c = convInfo(ctx, which, args);
    if (typeof c === 'string') {
      if (stock) return stock(args);
      throw new NativeError('BAD_ARGUMENT', `native conv2d (${which}): unsupported call: ${c}`);
    }
    const acc = accessFor(ctx.kind, args.backend);
    const outShape =
      which === 'forward' ? [c.batchSize, c.outHeight, c.outWidth, c.outChannels]
      : which === 'input' ? [c.batchSize, c.inHeight, c.inWidth, c.inChannels]
      : [c.filterHeight, c.filterWidth, c.inChannels, c.outChannels];
    const out = acc.alloc(outShape);
    if (outShape.reduce((x, y) => x * y, 1) === 0) return out;
    const [p, q] =
      which === 'forward' ? [args.inputs.x!, args.inputs.filter!]
      : which === 'input' ? [args.inputs.dy!, args.inputs.filter!]
      : [args.inputs.x!, args.inputs.dy!];
    const [om, oo] = acc.ref(out);
    const [pm, po] = acc.ref(p);
    const [qm, qo] = acc.ref(q);
    ctx.addon.conv(which === 'forward' ? 0 : which === 'input' ? 1 : 2, om, oo, pm, po, qm, qo, shapeVector(c));
    return out;
  };
}
