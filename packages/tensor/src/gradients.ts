import * as tf from '@tensorflow/tfjs';

/**
 * Gradients of the commonest kernels without tfjs 4.22's no-op work, giving the same values bit for bit:
 * - Multiply and RealDiv: tfjs casts every saved operand to float32 (a Cast kernel call per operand, ~80 per stage-1
 *   step) even when it already is float32; here only other dtypes are cast.
 * - Sum and Mean: tfjs multiplies dy by a `ones` tensor of the input's shape, filled value by value in JavaScript and
 *   copied to the backend (about 1 ms of JavaScript per stage-1 step); here the ones come from the Fill kernel.
 * The originals are kept and {@link uninstallLeanGradients} puts them back.
 */

type GradConfig = Parameters<typeof tf.registerGradient>[0];
const { getReductionAxes, assertAndGetBroadcastShape } = tf.backend_util;

const asFloat = (t: tf.Tensor): tf.Tensor => (t.dtype === 'float32' ? t : tf.cast(t, 'float32'));

/** Sum `res` over the axes `shape` was broadcast along, back to `shape` (tfjs's own reduction for broadcast operands). */
function unbroadcast(res: tf.Tensor, shape: number[], outShape: number[]): tf.Tensor {
  const axes = getReductionAxes(shape, outShape);
  return axes.length > 0 ? tf.reshape(tf.sum(res, axes), shape) : res;
}

const multiply: GradConfig = {
  kernelName: 'Multiply',
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved) => {
    const [a, b] = saved;
    const out = assertAndGetBroadcastShape(a.shape, b.shape);
    const d = dy as tf.Tensor;
    return { a: () => unbroadcast(tf.mul(d, asFloat(b)), a.shape, out), b: () => unbroadcast(tf.mul(d, asFloat(a)), b.shape, out) };
  },
};

const realDiv: GradConfig = {
  kernelName: 'RealDiv',
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved) => {
    const [a, b] = saved;
    const out = assertAndGetBroadcastShape(a.shape, b.shape);
    const d = dy as tf.Tensor;
    return {
      a: () => unbroadcast(tf.div(d, asFloat(b)), a.shape, out),
      b: () => tf.neg(tf.div(unbroadcast(tf.mul(d, asFloat(a)), b.shape, out), asFloat(tf.square(b)))),
    };
  },
};

/**
 * dy (the reduced result) spread back over the reduced axes of x, as tfjs does it (dy times ones of x's shape), but with
 * the ones from the backend's Fill kernel. (`tf.broadcastTo` runs the stock wasm Tile kernel: 17 ms a stage-1 step.)
 */
function spread(dy: tf.Tensor, x: tf.Tensor, axis: unknown): tf.Tensor {
  const axes = tf.util.parseAxisParam(axis as number | number[], x.shape);
  const expanded = x.shape.slice();
  for (const a of axes) expanded[a] = 1;
  return tf.mul(tf.reshape(dy, expanded), tf.fill(x.shape, 1, 'float32'));
}

const sum: GradConfig = {
  kernelName: 'Sum',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    const derX = spread(dy as tf.Tensor, x, (attrs as { axis: unknown }).axis);
    return { x: () => derX };
  },
};

const mean: GradConfig = {
  kernelName: 'Mean',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    const axis = (attrs as { axis: unknown }).axis;
    const axes = tf.util.parseAxisParam(axis as number | number[], x.shape);
    const reduceSize = tf.util.sizeFromShape(tf.backend_util.computeOutAndReduceShapes(x.shape, axes)[1]);
    return { x: () => tf.div(spread(dy as tf.Tensor, x, axis), reduceSize) };
  },
};

const LEAN = [multiply, realDiv, sum, mean];
let originals: GradConfig[] | undefined;

/** Registers the lean gradients (idempotent). */
export function installLeanGradients(): void {
  if (originals) return;
  originals = LEAN.map((c) => tf.getGradient(c.kernelName) as GradConfig);
  for (const c of LEAN) tf.registerGradient(c);
}

/** Puts tfjs's own gradients back. */
export function uninstallLeanGradients(): void {
  if (!originals) return;
  for (const c of originals) if (c) tf.registerGradient(c);
  originals = undefined;
}

/** Whether the lean gradients are registered. */
export function leanGradientsInstalled(): boolean {
  return originals !== undefined;
}
