import { accessFor, missingInternals, populateHeap, setHeapPopulate } from './access';
import { loadAddon, type NativeAddon } from './addon';
import { makeConv } from './conv';
import { makeBatchMatMul, makeFusedMatMul } from './matmul';
import { makeBinary, makeSum, makeUnary } from './elementwise';
import { makePoincarePairwise, makePoincarePairwiseGrad } from './poincare';
import { makeSplitV } from './split';
import { makeSoftmaxXent } from './xent';
import { makeSoftmaxBias, makeSoftmaxGrad } from './softmax';
import { makeAttention } from './attention';
import { makeLoraAdd } from './lora';
import { makeKernelSum } from './kernelsum';
import { makeRmsNorm, makeSwiGlu } from './lmfused';
import { makeCast, makeIdentity } from './identity';
import { makeConv1dBiasAct, makeConv1dBiasActGrad } from './convFused';
import { makeAdamW } from './adamw';
import { makeGatherV2 } from './gather';
import { makeTranspose } from './transpose';
import type { KernelConfigLike, KernelContext, KernelFunc, TfLike } from './types';

/** The tfjs version whose private internals (wasm heap, memory offsets, output allocator) this package relies on. */
export const TFJS_VERSION = '4.22.0';

/** Result of {@link registerNativeKernels}: the contract @llmar/tensor's initBackend reads. */
export interface RegisterResult {
  ok: boolean;
  /** Kernel names now served natively on this backend. */
  kernels: string[];
  /** Why nothing was registered (one line), when ok is false. */
  reason?: string;
}

/** Options of {@link registerNativeKernels}. */
export interface RegisterOptions {
  /** Kernel names to replace (a subset of {@link NATIVE_KERNELS}). @default all of them */
  only?: readonly string[];
  /**
   * On wasm, map the heap's pages in bulk now and whenever it grows (see `setHeapPopulate` in src/access.ts): fresh
   * pages then cost no fault each when kernels first write them. @default true, unless env `LLMAR_NATIVE_POPULATE=0`
   */
  populateHeap?: boolean;
}

type Factory = (ctx: KernelContext, stock: KernelFunc | undefined) => KernelFunc;
const FACTORIES: Record<string, Factory> = {
  BatchMatMul: makeBatchMatMul,
  _FusedMatMul: makeFusedMatMul,
  Conv2D: (c, s) => makeConv(c, 'forward', s),
  Conv2DBackpropInput: (c, s) => makeConv(c, 'input', s),
  Conv2DBackpropFilter: (c, s) => makeConv(c, 'filter', s),
  LlmarConv2D: (c) => makeConv(c, 'forward', undefined),
  LlmarConv2DBackpropInput: (c) => makeConv(c, 'input', undefined),
  LlmarConv2DBackpropFilter: (c) => makeConv(c, 'filter', undefined),
  Add: (c, s) => makeBinary(c, 'Add', s),
  Sub: (c, s) => makeBinary(c, 'Sub', s),
  Multiply: (c, s) => makeBinary(c, 'Multiply', s),
  Minimum: (c, s) => makeBinary(c, 'Minimum', s),
  Maximum: (c, s) => makeBinary(c, 'Maximum', s),
  RealDiv: (c, s) => makeBinary(c, 'RealDiv', s),
  Sum: (c, s) => makeSum(c, s),
  Mean: (c, s) => makeSum(c, s, true),
  SplitV: makeSplitV,
  Identity: makeIdentity,
  Cast: makeCast,
  LlmarConv1dBiasAct: (c) => makeConv1dBiasAct(c),
  LlmarConv1dBiasActGrad: (c) => makeConv1dBiasActGrad(c),
  LlmarAdamW: (c) => makeAdamW(c),
  GatherV2: makeGatherV2,
  Transpose: makeTranspose,
  Exp: (c, s) => makeUnary(c, 'Exp', s),
  Log: (c, s) => makeUnary(c, 'Log', s),
  LlmarPoincarePairwise: (c) => makePoincarePairwise(c),
  LlmarPoincarePairwiseGrad: (c) => makePoincarePairwiseGrad(c),
  LlmarSoftmaxXent: (c) => makeSoftmaxXent(c),
  LlmarSoftmaxBias: (c) => makeSoftmaxBias(c),
  LlmarSoftmaxGrad: (c) => makeSoftmaxGrad(c),
  LlmarAttention: (c) => makeAttention(c, false),
  LlmarAttentionGrad: (c) => makeAttention(c, true),
  LlmarLoraAdd: (c) => makeLoraAdd(c, false),
  LlmarLoraAddGrad: (c) => makeLoraAdd(c, true),
  LlmarKernelSum: (c) => makeKernelSum(c, false),
  LlmarKernelSumGrad: (c) => makeKernelSum(c, true),
  LlmarSwiGlu: (c) => makeSwiGlu(c, false),
  LlmarSwiGluGrad: (c) => makeSwiGlu(c, true),
  LlmarRmsNorm: (c) => makeRmsNorm(c, false),
  LlmarRmsNormGrad: (c) => makeRmsNorm(c, true),
};
/**
 * Every kernel this package can serve: tfjs names, the Llmar* conv names used by @llmar/tensor's conv1d, and the
 * Llmar* Poincaré pairwise-distance kernels used by @llmar/hyperbolic.
 */
export const NATIVE_KERNELS: readonly string[] = Object.keys(FACTORIES);

/** Per backend name: the stock configs we replaced (undefined where no stock kernel existed). */
const replaced = new Map<string, Map<string, KernelConfigLike | undefined>>();

/** A product through the native kernel, compared with float64 maths; returns a failure message or undefined. */
function selfTest(tf: TfLike, ctx: KernelContext, backend: unknown): string | undefined {
  const M = 13, K = 7, N = 5;
  const av = new Float32Array(M * K).map((_, i) => Math.sin(i * 1.3) * 2);
  const bv = new Float32Array(N * K).map((_, i) => Math.cos(i * 0.7));
  const a = tf.tensor(av, [M, K], 'float32');
  const b = tf.tensor(bv, [N, K], 'float32'); // used transposed
  try {
    const acc = accessFor(ctx.kind, backend);
    const [am, ao] = acc.ref(a);
    const seen = new Float32Array((am as Uint8Array).buffer, (am as Uint8Array).byteOffset + ao, M * K);
    if (seen.some((v, i) => v !== av[i])) return `${ctx.kind} tensor memory does not hold the tensor's values`;
    const out = makeBatchMatMul(ctx, undefined)({ inputs: { a, b }, backend, attrs: { transposeA: false, transposeB: true } });
    const info = Array.isArray(out) ? out[0] : out;
    const be = backend as { readSync(id: object): Float32Array; disposeData(id: object): void };
    const got = be.readSync(info.dataId);
    be.disposeData(info.dataId);
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += av[i * K + k] * bv[j * K + k];
        if (Math.abs(got[i * N + j] - s) > 1e-4 * (1 + Math.abs(s))) return `self-test product differs at (${i}, ${j}): ${got[i * N + j]} vs ${s}`;
      }
    }
    return undefined;
  } finally {
    a.dispose();
    b.dispose();
  }
}

/**
 * Replace tfjs kernels of `backendName` ('wasm' or 'cpu') by native ones. The backend must be initialised and active
 * (`await tf.setBackend(name); await tf.ready()`). Checks the tfjs version, the backend internals and a self-test first;
 * on any problem registers nothing and says why. Calling it again for the same backend returns the same kernels.
 */
export function registerNativeKernels(tf: TfLike, backendName: string, options: RegisterOptions = {}): RegisterResult {
  const no = (reason: string): RegisterResult => ({ ok: false, kernels: [], reason });
  if (backendName !== 'wasm' && backendName !== 'cpu') return no(`backend "${backendName}" is not wasm or cpu`);
  if (tf.version_core !== TFJS_VERSION) return no(`tfjs-core ${tf.version_core ?? '(unknown)'} is not the pinned ${TFJS_VERSION}`);
  const existing = replaced.get(backendName);
  if (existing) return { ok: true, kernels: [...existing.keys()] };
  const { addon, reason } = loadAddon();
  if (!addon) return no(reason ?? 'the C++ addon is unavailable');
  if (tf.getBackend() !== backendName) return no(`backend "${backendName}" is not the active one (${tf.getBackend()})`);
  const backend = tf.findBackend(backendName);
  const missing = missingInternals(backendName, backend);
  if (missing) return no(`tfjs internals changed: ${missing}`);
  const ctx: KernelContext = { tf, addon: addon as NativeAddon, kind: backendName };
  let failed: string | undefined;
  try {
    failed = selfTest(tf, ctx, backend);
  } catch (e) {
    failed = `self-test threw: ${(e as Error).message}`;
  }
  if (failed) return no(failed);
  const names = (options.only ?? NATIVE_KERNELS).filter((n) => n in FACTORIES);
  const saved = new Map<string, KernelConfigLike | undefined>();
  for (const name of names) {
    const stock = tf.getKernel(name, backendName);
    if (stock) tf.unregisterKernel(name, backendName);
    saved.set(name, stock);
    tf.registerKernel({ kernelName: name, backendName, kernelFunc: FACTORIES[name](ctx, stock?.kernelFunc) });
  }
  replaced.set(backendName, saved);
  if (backendName === 'wasm' && (options.populateHeap ?? process.env.LLMAR_NATIVE_POPULATE !== '0')) {
    const a = addon as NativeAddon;
    setHeapPopulate((heap, off, bytes) => a.populate(heap, off, bytes));
    populateHeap((backend as { wasm: { HEAPU8: Uint8Array } }).wasm);
  }
  return { ok: true, kernels: names };
}

/** Put the stock kernels back (and drop the Llmar* ones) on `backendName`. Returns the names restored. */
export function unregisterNativeKernels(tf: TfLike, backendName: string): string[] {
  const saved = replaced.get(backendName);
  if (!saved) return [];
  for (const [name, stock] of saved) {
    tf.unregisterKernel(name, backendName);
    if (stock) tf.registerKernel(stock);
  }
  replaced.delete(backendName);
  if (backendName === 'wasm') setHeapPopulate(undefined);
  return [...saved.keys()];
}

/** Kernel names currently registered natively on `backendName`. */
export function nativeKernels(backendName: string): string[] {
  return [...(replaced.get(backendName)?.keys() ?? [])];
}

/** Whether the addon is built and loadable, and which micro-kernel and thread count it uses. */
export function nativeStatus(): { available: boolean; reason?: string; simd?: string; threads?: number } {
  const { addon, reason } = loadAddon();
  if (!addon) return { available: false, reason };
  return { available: true, ...addon.info() };
}
