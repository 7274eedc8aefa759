import { tf, backendInfo } from '@llmar/tensor';
import { type LlamaConfig, paramCount, weightShapes } from './config';
import { LlmError } from './errors';

/** Options of {@link assertFitsBackend}. */
export interface FitOptions {
  /** Backend to check against. @default tf.getBackend() */
  backend?: string;
  /** Bytes the weights may take on wasm (the wasm heap stops at 4 GB). @default 3 GiB */
  wasmBudgetBytes?: number;
}

/** Whether BatchMatMul's transpose flags are fast on the active backend (all but stock wasm). */
export function fastTransposeFlags(): boolean {
  if (tf.getBackend() !== 'wasm') return true;
  return backendInfo()?.nativeKernels.includes('BatchMatMul') ?? false;
}

/**
 * Bytes a model needs on the active backend: float32 weights, plus the pre-transposed copies of the matrices kept on
 * stock wasm (where transposed matMuls are slow).
 */
export function modelBytes(config: LlamaConfig, backend: string = tf.getBackend()): number {
  const weights = paramCount(config) * 4;
  if (backend !== 'wasm' || fastTransposeFlags()) return weights;
  let matrices = 0;
  for (const s of weightShapes(config).values()) if (s.length === 2) matrices += s[0] * s[1];
  return weights + matrices * 4;
}

const GB = 1024 ** 3;

/**
 * Refuse, before anything is allocated, a model that cannot fit the backend: on wasm, whose heap stops at 4 GB, more
 * than `wasmBudgetBytes` of weights (with internal copies) throws LlmError 'TOO_LARGE' giving the size and suggesting
 * the node or node-gpu backend. Takes a config or a byte count; returns the byte count checked.
 */
export function assertFitsBackend(configOrBytes: LlamaConfig | number, options: FitOptions = {}): number {
  const backend = options.backend ?? tf.getBackend();
  const bytes = typeof configOrBytes === 'number' ? configOrBytes : modelBytes(configOrBytes, backend);
  const budget = options.wasmBudgetBytes ?? 3 * GB;
  if (backend === 'wasm' && bytes > budget) {
    const what = typeof configOrBytes === 'number' ? 'the weights' : `this model (${paramCount(configOrBytes).toLocaleString('en')} parameters)`;
    throw new LlmError(
      'TOO_LARGE',
      `${what} need ${(bytes / GB).toFixed(2)} GB as float32 on the wasm backend, above its ${(budget / GB).toFixed(2)} GB budget ` +
        `(the wasm heap stops at 4 GB); run on the node backend (LLMAR_BACKEND=node, npm i @tensorflow/tfjs-node@4.22.0) ` +
        `or node-gpu (LLMAR_BACKEND=node-gpu, @tensorflow/tfjs-node-gpu) instead`,
    );
  }
  return bytes;
}
