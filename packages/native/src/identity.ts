import type { TensorInfoLike } from './access';
import { NativeError } from './errors';
import type { KernelContext, KernelFunc } from './types';

/**
 * Identity (what `tf.clone` and the gradient tape's copies of saved tensors run) sharing the input's memory: the
 * output takes a reference to the same data, as the cpu backend and the wasm Reshape already do, instead of the stock
 * wasm kernel's copy. Safe because no tfjs kernel (nor any of this package's) writes into an input; variables get new
 * memory on assign. In a stage-1 training step the tape's ~670 wasm copies took about a quarter of the step.
 * Strings go to the stock kernel.
 */
export function makeIdentity(_ctx: KernelContext, stock: KernelFunc | undefined): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfoLike | undefined;
    const be = args.backend as { incRef?(id: object): void };
    if (!x || x.dtype === 'string' || typeof be.incRef !== 'function') {
      if (stock) return stock(args);
      throw new NativeError('BAD_ARGUMENT', `Identity: unsupported input [${x?.shape}] ${x?.dtype}`);
    }
    be.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

/**
 * Cast to the tensor's own dtype (what tfjs's Multiply/RealDiv gradients do to every float32 operand) as a shared
 * reference like {@link makeIdentity}; real conversions go to the stock kernel.
 */
export function makeCast(_ctx: KernelContext, stock: KernelFunc | undefined): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfoLike | undefined;
    const be = args.backend as { incRef?(id: object): void };
    if (!x || x.dtype === 'string' || args.attrs?.dtype !== x.dtype || typeof be.incRef !== 'function') {
      if (stock) return stock(args);
      throw new NativeError('BAD_ARGUMENT', `Cast: unsupported input [${x?.shape}] ${x?.dtype} to ${String(args.attrs?.dtype)}`);
    }
    be.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}
