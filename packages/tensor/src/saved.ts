import * as tf from '@tensorflow/tfjs';

/**
 * Cheaper tensors saved for the backward pass (tfjs 4.22 internals).
 *
 * Every kernel that saves tensors for its gradient makes tfjs call `engine.clone(t)` on each: a full `Identity` kernel
 * call plus a tape node whose only use is higher-order gradients. A stage-1 training step saves about 510 tensors, so
 * 510 extra kernel calls and tape nodes per step, and the tape walk in the backward pass gets longer (interleaved A/B
 * of `stage1-cpu-small`, 6 and 8 pairs: 10–18% faster per step without them).
 *
 * When only one gradient tape is recording (`gradientDepth` 1: no `tf.grad` inside a `tf.grad`), nothing records the
 * backward pass, so those tape nodes can never be used: the clone is then a second reference to the same data (what
 * the `Identity` kernels of the wasm and cpu backends do: `incRef` and a new tensor on the same data id), without a
 * kernel call or a tape node. Nested gradients (`gradientDepth` > 1) take tfjs's own path, so higher-order gradients
 * through saved tensors stay exact. Installed by `initBackend` on the wasm and cpu backends unless
 * `LLMAR_FAST_SAVE=0`.
 */

type EngineLike = {
  clone(x: tf.Tensor): tf.Tensor;
  state: { gradientDepth: number; tensorInfo: { get(id: object): { backend: unknown } | undefined } };
  makeTensorFromDataId(dataId: object, shape: number[], dtype: tf.DataType, backend: unknown): tf.Tensor;
};
type BackendLike = { incRef?(dataId: object): void };

let original: EngineLike['clone'] | undefined;

/** Why the internals this relies on are missing, or undefined when they are as expected. */
function missing(e: Partial<EngineLike>, backend: BackendLike | undefined): string | undefined {
  if (typeof e.clone !== 'function') return 'engine.clone is not a function';
  if (typeof e.state?.gradientDepth !== 'number') return 'engine.state.gradientDepth is not a number';
  if (typeof e.state?.tensorInfo?.get !== 'function') return 'engine.state.tensorInfo has no get';
  if (typeof e.makeTensorFromDataId !== 'function') return 'engine.makeTensorFromDataId is not a function';
  if (typeof backend?.incRef !== 'function') return 'the backend has no incRef';
  return undefined;
}

/**
 * Install the cheaper save-for-backward clone on the active backend (wasm or cpu). Returns undefined when installed
 * (or already installed), else the one-line reason it was not (other backends, changed internals).
 */
export function installFastSave(): string | undefined {
  const name = tf.getBackend();
  if (name !== 'wasm' && name !== 'cpu') return `fast save is for the wasm and cpu backends, not ${name}`;
  const engine = tf.engine() as unknown as EngineLike;
  const why = missing(engine, tf.backend() as unknown as BackendLike);
  if (why) return `fast save not installed: ${why}`;
  if (original) return undefined;
  const tfjsClone = engine.clone;
  original = tfjsClone;
  engine.clone = function clone(this: EngineLike, x: tf.Tensor): tf.Tensor {
    const owner = this.state.tensorInfo.get(x.dataId)?.backend as BackendLike | undefined;
    if (this.state.gradientDepth > 1 || !owner || typeof owner.incRef !== 'function') return tfjsClone.call(this, x);
    owner.incRef(x.dataId);
    return this.makeTensorFromDataId(x.dataId, x.shape, x.dtype, owner);
  };
  return undefined;
}

/** Put tfjs's own clone back (no-op when not installed). */
export function uninstallFastSave(): void {
  if (!original) return;
  (tf.engine() as unknown as EngineLike).clone = original;
  original = undefined;
}

/** Whether the cheaper clone is installed. */
export function fastSaveInstalled(): boolean {
  return original !== undefined;
}
