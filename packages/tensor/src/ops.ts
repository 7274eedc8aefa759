import * as tf from '@tensorflow/tfjs';
import { TensorError } from './errors';
import { hasKernel } from './backend';

/**
 * Portable, differentiable ops that work on every backend (cpu, wasm with or without @llmar/native, node, node-gpu).
 * Each picks the fast stock kernel where the backend has it and a correct fallback where it does not.
 */

/** The body of a custom-gradient op: inputs (then `save`) in, value and gradient function out. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type CustomGradBody = (...args: any[]) => {
  value: tf.Tensor;
  gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
};

/** `tf.customGrad` with a signature TypeScript accepts for any number of tensor inputs. */
export function customGrad(body: CustomGradBody): (...inputs: tf.Tensor[]) => tf.Tensor {
  return tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...inputs: tf.Tensor[]) => tf.Tensor;
}

/**
 * Identity forward, no gradient (PyTorch's `.detach()`, TF's `stop_gradient`): the result is a custom-gradient op with
 * no inputs, so the tape has no edge back to `x` and nothing upstream of it is differentiated for this use. (A zero
 * gradient passed back instead made the backward pass run every op upstream on zeros: about 50 kernel calls of a
 * stage-1 step.) Where `x` reaches the result through other ops too, its gradient comes from those alone; where it
 * reaches it only through here, tfjs reports no path, as for any unconnected input.
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  const f = customGrad((() => ({ value: x.clone(), gradFunc: () => [] })) as unknown as CustomGradBody);
  return f() as T;
}

/** Whether BatchMatMul with transpose flags is fast here (native kernels, cpu, node) rather than wasm's slow path. */
function transposeFlagsAreFast(): boolean {
  const b = tf.getBackend();
  if (b !== 'wasm') return true;
  return nativeMatMulRegistered;
}
let nativeMatMulRegistered = false;
/** Called by @llmar/native when it replaces BatchMatMul; kernels with fast transposes make the flag path free. */
export function setFastTransposedMatMul(on: boolean): void {
  nativeMatMulRegistered = on;
}

function swapLast2(x: tf.Tensor): tf.Tensor {
  const r = x.rank;
  const perm = [...Array(r).keys()];
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return tf.transpose(x, perm);
}

/** Sum `g` over leading axes so it takes the (broadcast) batch shape of `like`. */
function reduceToShape(g: tf.Tensor, shape: number[]): tf.Tensor {
  if (g.shape.length === shape.length && g.shape.every((s, i) => s === shape[i])) return g;
  const lead = g.rank - shape.length;
  let out = lead > 0 ? tf.sum(g, [...Array(lead).keys()]) : g;
  const axes: number[] = [];
  shape.forEach((s, i) => {
    if (s === 1 && out.shape[i] !== 1) axes.push(i);
  });
  if (axes.length) out = tf.sum(out, axes, true);
  return out.reshape(shape);
}

/**
 * `tf.matMul` with transposes and gradients that stay fast on every backend: on stock wasm, where the transpose flags
 * are about 10x slower, transposes are materialised first and the gradient uses explicit transposes too.
 * Batch dimensions broadcast as in tf.matMul.
 */
export function matMul(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
  if (a.rank < 2 || b.rank < 2) {
    throw new TensorError('SHAPE_MISMATCH', `matMul needs rank >= 2, got [${a.shape}] and [${b.shape}]`);
  }
  // Stock BatchMatMul gradients break when batch dims broadcast (tfjs 4.22 returns the unreduced shape): custom path.
  const sameBatch = a.rank === b.rank && a.shape.slice(0, -2).every((s, i) => s === b.shape[i]);
  if (sameBatch && transposeFlagsAreFast()) return tf.matMul(a, b, transposeA, transposeB);
  const fast = transposeFlagsAreFast();
  const f = customGrad((x: tf.Tensor, y: tf.Tensor, save: tf.GradSaveFunc) => {
    const xa = transposeA && !fast ? swapLast2(x) : x;
    const yb = transposeB && !fast ? swapLast2(y) : y;
    const ta = transposeA && fast;
    const tb = transposeB && fast;
    save([xa, yb]);
    return {
      value: tf.matMul(xa, yb, ta, tb),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sa, sb] = saved;
        const A = ta ? swapLast2(sa) : sa; // the [.., M, K] operand
        const Bm = tb ? swapLast2(sb) : sb; // the [.., K, N] operand
        // dA = dy @ B^T ; dB = A^T @ dy
        const dxa = fast ? tf.matMul(dy, Bm, false, true) : tf.matMul(dy, swapLast2(Bm));
        const dyb = fast ? tf.matMul(A, dy, true, false) : tf.matMul(swapLast2(A), dy);
        let dx = transposeA ? swapLast2(dxa) : dxa;
        let dY = transposeB ? swapLast2(dyb) : dyb;
        dx = reduceToShape(dx, x.shape);
        dY = reduceToShape(dY, y.shape);
        return [dx, dY];
      },
    };
  });
  return f(a, b);
}

/** Options of {@link conv1d}. */
export interface Conv1dOptions {
  /** @default 1 */
  stride?: number;
  /** Zero padding on each side (a number), or 'same' / 'valid'. @default 0 */
  padding?: number | 'same' | 'valid';
  /** @default 1 */
  dilation?: number;
}

/**
 * 1-D convolution, channels last: x [B, L, Cin], w [k, Cin, Cout] → [B, Lout, Cout], with PyTorch's arithmetic
 * (symmetric integer padding, stride, dilation). Uses tf.conv2d where the backend has all three conv kernels
 * (forward, input and filter gradients); otherwise an im2col + matMul formulation whose gradients exist everywhere.
 */
export function conv1d(x: tf.Tensor3D, w: tf.Tensor3D, options: Conv1dOptions = {}): tf.Tensor3D {
  const stride = options.stride ?? 1;
  const dilation = options.dilation ?? 1;
  const [k, cin, cout] = w.shape;
  if (x.rank !== 3 || w.rank !== 3 || x.shape[2] !== cin) {
    throw new TensorError('SHAPE_MISMATCH', `conv1d: x [${x.shape}] and w [${w.shape}] (expected x [B, L, ${cin}])`);
  }
  let pad: number;
  if (options.padding === 'same') pad = Math.floor((dilation * (k - 1)) / 2);
  else if (options.padding === 'valid' || options.padding === undefined) pad = 0;
  else pad = options.padding;
  if (!Number.isInteger(stride) || stride < 1 || !Number.isInteger(dilation) || dilation < 1 || !Number.isInteger(pad) || pad < 0) {
    throw new TensorError('BAD_OPTION', `conv1d: stride ${stride}, dilation ${dilation}, padding ${pad} must be integers (>= 1, >= 1, >= 0)`);
  }
  const [B, L] = x.shape;
  const lout = Math.floor((L + 2 * pad - dilation * (k - 1) - 1) / stride) + 1;
  if (lout < 1) throw new TensorError('SHAPE_MISMATCH', `conv1d: input length ${L} too short for kernel ${k}, dilation ${dilation}, padding ${pad}`);
  // @llmar/native serves the whole Conv2D family with any stride, dilation and padding, gradients included.
  if (hasKernel('LlmarConv2D') && hasKernel('LlmarConv2DBackpropInput') && hasKernel('LlmarConv2DBackpropFilter')) {
    return nativeConv1d(x, w, stride, dilation, pad, lout);
  }
  return tf.tidy(() => {
    const xp = pad > 0 ? tf.pad(x, [[0, 0], [pad, pad], [0, 0]]) : x;
    // tfjs's Conv2D gradient refuses dilation > 1, so dilated convolutions always take the im2col path.
    if (dilation === 1 && hasKernel('Conv2D') && hasKernel('Conv2DBackpropInput') && hasKernel('Conv2DBackpropFilter')) {
      const y = tf.conv2d(
        xp.reshape([B, 1, L + 2 * pad, cin]) as tf.Tensor4D,
        w.reshape([1, k, cin, cout]) as tf.Tensor4D,
        [1, stride], 'valid', 'NHWC', [1, dilation],
      );
      return y.reshape([B, lout, cout]) as tf.Tensor3D;
    }
    // im2col: k strided views [B, lout, cin] concatenated on channels → [B*lout, k*cin] @ [k*cin, cout]
    const cols: tf.Tensor[] = [];
    for (let j = 0; j < k; j++) {
      const start = j * dilation;
      cols.push(stride === 1 ? tf.slice(xp, [0, start, 0], [B, lout, cin]) : stridedRows(xp, start, stride, lout));
    }
    const col = (k === 1 ? cols[0] : tf.concat(cols, 2)).reshape([B * lout, k * cin]);
    const y = matMul(col, w.reshape([k * cin, cout]));
    return y.reshape([B, lout, cout]) as tf.Tensor3D;
  });
}

/** conv1d through the native Llmar* kernels, as a 1-row conv2d with explicit padding (differentiable via customGrad). */
function nativeConv1d(x: tf.Tensor3D, w: tf.Tensor3D, stride: number, dilation: number, pad: number, lout: number): tf.Tensor3D {
  const [B, L, cin] = x.shape;
  const [k, , cout] = w.shape;
  const attrs = {
    strides: [1, stride], pad: [[0, 0], [0, 0], [pad, pad], [0, 0]], dataFormat: 'NHWC', dilations: [1, dilation],
    dimRoundingMode: undefined,
  };
  // Kernel attributes are loosely typed in tfjs (NamedAttrMap); these are the Conv2D family's.
  const run = (name: string, inputs: tf.NamedTensorMap, extra: object) =>
    tf.engine().runKernel(name, inputs, { ...attrs, ...extra } as unknown as tf.NamedAttrMap) as tf.Tensor;
  const f = customGrad((x4: tf.Tensor, w4: tf.Tensor, save: tf.GradSaveFunc) => {
    save([x4, w4]);
    return {
      value: run('LlmarConv2D', { x: x4, filter: w4 }, {}),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
        run('LlmarConv2DBackpropInput', { dy, filter: saved[1] }, { inputShape: saved[0].shape }),
        run('LlmarConv2DBackpropFilter', { x: saved[0], dy }, { filterShape: saved[1].shape }),
      ],
    };
  });
  return tf.tidy(() => f(x.reshape([B, 1, L, cin]), w.reshape([1, k, cin, cout])).reshape([B, lout, cout]) as tf.Tensor3D);
}

/** Rows start, start+stride, … (lout of them) of x [B, L, C], by reshape tricks so the gradient is a plain pad. */
function stridedRows(x: tf.Tensor, start: number, stride: number, lout: number): tf.Tensor {
  const [B, L, C] = x.shape;
  const need = lout * stride;
  const avail = L - start;
  let s = tf.slice(x, [0, start, 0], [B, Math.min(need, avail), C]);
  if (avail < need) s = tf.pad(s, [[0, 0], [0, need - avail], [0, 0]]);
  return tf.slice(s.reshape([B, lout, stride, C]), [0, 0, 0, 0], [B, lout, 1, C]).reshape([B, lout, C]);
}

/**
 * `tf.gather` along axis 0 with a gradient on every backend (wasm lacks UnsortedSegmentSum, which the stock gradient
 * needs; the fallback scatters with ScatterNd, which sums duplicate indices).
 */
export function gather(x: tf.Tensor, indices: tf.Tensor1D | number[] | Int32Array): tf.Tensor {
  // An index tensor made here is left to the caller's tf.tidy: the gradient may still need it.
  const idx = indices instanceof tf.Tensor ? indices : tf.tensor1d(Array.from(indices), 'int32');
  // Always a custom gradient with the indices held in the closure: the stock GatherV2 gradient also tries to
  // differentiate the int32 indices when they were computed from a differentiable input (argMin, topk) and throws.
  const f = customGrad((a: tf.Tensor, save: tf.GradSaveFunc) => {
    save([idx]);
    return {
      value: tf.gather(a, idx, 0),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
        hasKernel('UnsortedSegmentSum')
          ? tf.unsortedSegmentSum(dy, saved[0] as tf.Tensor1D, a.shape[0])
          : tf.scatterND(saved[0].expandDims(1), dy, a.shape),
      ],
    };
  });
  return f(x);
}
