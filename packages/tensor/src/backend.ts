import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { TensorError } from './errors';
import { setFastTransposedMatMul } from './ops';
import { installFastSave, uninstallFastSave } from './saved';
import { installLeanGradients, uninstallLeanGradients } from './gradients';

/** Which TensorFlow.js backend to run on. `auto` tries node-gpu, node, wasm, then cpu. */
export type BackendChoice = 'auto' | 'node-gpu' | 'node' | 'wasm' | 'cpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'node-gpu', 'node', 'wasm', 'cpu'];

/** What runs: reported by every command and benchmark. */
export interface BackendInfo {
  /** What was asked for. */
  requested: BackendChoice;
  /** The tfjs backend name in use (`tensorflow` for node and node-gpu, `wasm`, `cpu`). */
  tfBackend: string;
  /** The project's name for it: `node-gpu`, `node`, `wasm` or `cpu`. */
  backend: Exclude<BackendChoice, 'auto'>;
  /** Whether @llmar/native kernels are registered for this backend. */
  native: boolean;
  /** Kernel names the native package registered. */
  nativeKernels: string[];
  /** One line for logs, e.g. `wasm+native`. */
  label: string;
  /** Why a backend or the native kernels were passed over (one line each). */
  notices: string[];
  /**
   * Whether tensors saved for the backward pass are cheap second references instead of Identity kernel calls with a
   * tape node (see `installFastSave`; wasm and cpu only; off with `LLMAR_FAST_SAVE=0`).
   */
  fastSave: boolean;
  /** Whether the lean gradients of Multiply, RealDiv, Sum and Mean are registered (`installLeanGradients`). */
  leanGradients: boolean;
}

const NATIVE_PKG: Record<'node-gpu' | 'node', string> = {
  'node-gpu': '@tensorflow/tfjs-node-gpu',
  node: '@tensorflow/tfjs-node',
};

let current: BackendInfo | undefined;

/** The backend chosen by `LLMAR_BACKEND`, if set and valid. */
export function backendFromEnv(env: NodeJS.ProcessEnv = process.env): BackendChoice | undefined {
  const v = env.LLMAR_BACKEND?.trim();
  if (!v) return undefined;
  if (!(BACKEND_CHOICES as readonly string[]).includes(v)) {
    throw new TensorError('BACKEND_UNKNOWN', `LLMAR_BACKEND="${v}" is not one of ${BACKEND_CHOICES.join(', ')}`);
  }
  return v as BackendChoice;
}

async function tryNodeBackend(which: 'node-gpu' | 'node'): Promise<string | undefined> {
  const pkg = NATIVE_PKG[which];
  try {
    await import(/* @vite-ignore */ pkg);
  } catch (e) {
    return `${pkg} is not installed or failed to load (${(e as Error).message.split('\n')[0]}). ` +
      `Install it with \`npm i ${pkg}@4.22.0\`` + (which === 'node-gpu' ? ' on a machine with CUDA 11.2 and cuDNN 8.1' : '') +
      ' (its install script downloads libtensorflow, which needs network access).';
  }
  if (!tf.findBackend('tensorflow')) return `${pkg} loaded but registered no "tensorflow" backend`;
  return undefined;
}

export interface InitBackendOptions {
  /** Use @llmar/native kernels when installed. Off when `LLMAR_NATIVE=0`. @default true */
  native?: boolean;
  /** Print the one-line notices (native kernels missing, fallbacks) to stderr. @default false */
  verbose?: boolean;
  /**
   * Save tensors for the backward pass without an Identity kernel call and tape node each when only one gradient tape
   * records (wasm and cpu; nested gradients keep tfjs's path). Off when `LLMAR_FAST_SAVE=0`. @default true
   */
  fastSave?: boolean;
  /**
   * Gradients of Multiply, RealDiv, Sum and Mean without tfjs's no-op work (same values bit for bit: see
   * `installLeanGradients`). Off when `LLMAR_LEAN_GRADIENTS=0`. @default true
   */
  leanGradients?: boolean;
}

/**
 * Select and initialise a backend. `auto` tries `@tensorflow/tfjs-node-gpu`, `@tensorflow/tfjs-node`, wasm and cpu
 * in that order; naming a backend that cannot load throws `BACKEND_UNAVAILABLE` with the package to install.
 * Loads @llmar/native kernels when present (unless `LLMAR_NATIVE=0`). Returns what runs.
 */
export async function initBackend(
  choice: BackendChoice = backendFromEnv() ?? 'auto',
  options: InitBackendOptions = {},
): Promise<BackendInfo> {
  if (!(BACKEND_CHOICES as readonly string[]).includes(choice)) {
    throw new TensorError('BACKEND_UNKNOWN', `backend "${choice}" is not one of ${BACKEND_CHOICES.join(', ')}`);
  }
  const notices: string[] = [];
  setFastTransposedMatMul(false);
  const order: Exclude<BackendChoice, 'auto'>[] = choice === 'auto' ? ['node-gpu', 'node', 'wasm', 'cpu'] : [choice];
  let chosen: Exclude<BackendChoice, 'auto'> | undefined;
  for (const b of order) {
    if (b === 'node-gpu' || b === 'node') {
      const why = await tryNodeBackend(b);
      if (why) {
        if (choice !== 'auto') throw new TensorError('BACKEND_UNAVAILABLE', `backend "${b}": ${why}`);
        notices.push(why);
        continue;
      }
      await tf.setBackend('tensorflow');
    } else {
      const ok = await tf.setBackend(b);
      if (!ok) {
        const why = `tfjs could not initialise the ${b} backend`;
        if (choice !== 'auto') throw new TensorError('BACKEND_UNAVAILABLE', why);
        notices.push(why);
        continue;
      }
    }
    chosen = b;
    break;
  }
  if (!chosen) throw new TensorError('BACKEND_UNAVAILABLE', `no backend could start: ${notices.join('; ')}`);
  await tf.ready();
  const { native, kernels, notice } = await loadNative(tf.getBackend(), options.native ?? process.env.LLMAR_NATIVE !== '0');
  if (notice) notices.push(notice);
  let fastSave = false;
  if ((options.fastSave ?? process.env.LLMAR_FAST_SAVE !== '0') && (chosen === 'wasm' || chosen === 'cpu')) {
    const why = installFastSave();
    if (why) notices.push(why);
    fastSave = !why;
  } else {
    uninstallFastSave();
  }
  const leanGradients = options.leanGradients ?? process.env.LLMAR_LEAN_GRADIENTS !== '0';
  if (leanGradients) installLeanGradients();
  else uninstallLeanGradients();
  current = {
    requested: choice,
    tfBackend: tf.getBackend(),
    backend: chosen,
    native,
    nativeKernels: kernels,
    label: native ? `${chosen}+native` : chosen,
    notices,
    fastSave,
    leanGradients,
  };
  if (options.verbose) for (const n of notices) process.stderr.write(`llmar: ${n}\n`);
  return current;
}

/** The backend selected by the last `initBackend` (undefined before). */
export function backendInfo(): BackendInfo | undefined {
  return current;
}

/** Contract of the optional @llmar/native package. */
export interface NativeModule {
  /** Replace kernels of an initialised, active wasm or cpu backend; says which, or why none. */
  registerNativeKernels(tfjs: typeof tf, backendName: string): { ok: boolean; kernels: string[]; reason?: string };
  /** Put the stock kernels back (when native kernels are switched off after an earlier registration). */
  unregisterNativeKernels?(tfjs: typeof tf, backendName: string): string[];
}

let nativeModule: NativeModule | undefined;

async function loadNative(backendName: string, wanted: boolean) {
  if (!wanted) {
    // An earlier initBackend of this process may have registered them: restore the stock kernels.
    for (const b of ['wasm', 'cpu']) nativeModule?.unregisterNativeKernels?.(tf, b);
    return { native: false, kernels: [] as string[], notice: 'native kernels switched off (LLMAR_NATIVE=0)' };
  }
  if (backendName !== 'wasm' && backendName !== 'cpu') return { native: false, kernels: [] as string[], notice: undefined };
  let mod: NativeModule;
  try {
    const name = '@llmar/native'; // a variable: the package is optional and may be absent
    mod = (await import(/* @vite-ignore */ name)) as unknown as NativeModule;
    nativeModule = mod;
  } catch {
    return { native: false, kernels: [] as string[], notice: '@llmar/native is not installed: stock tfjs kernels in use' };
  }
  try {
    const r = mod.registerNativeKernels(tf, backendName);
    if (!r.ok) return { native: false, kernels: [] as string[], notice: `@llmar/native not used (stock tfjs kernels): ${r.reason ?? 'unknown reason'}` };
    setFastTransposedMatMul(r.kernels.includes('BatchMatMul'));
    return { native: true, kernels: r.kernels, notice: undefined };
  } catch (e) {
    return { native: false, kernels: [] as string[], notice: `@llmar/native failed to register: ${(e as Error).message}` };
  }
}

/** Whether the active backend has a kernel (e.g. `Conv2DBackpropFilter`). */
export function hasKernel(kernelName: string, backendName: string = tf.getBackend()): boolean {
  return tf.getKernel(kernelName, backendName) !== undefined;
}
