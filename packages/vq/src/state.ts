import { VqError } from './errors';

/**
 * A quantizer's saved state: plain JSON (numbers are the exact float32 values, so `JSON.stringify` / `JSON.parse`
 * round-trips bit for bit). Matrices are row-major.
 */
export interface QuantizerState {
  format: 'llmar-vq/1';
  kind: 'euclidean' | 'hyperbolic';
  codebookSize: number;
  dim: number;
  /** Curvature c of the hyperbolic codebook; absent for the Euclidean one. */
  curvature?: number;
  /** The codebook [U, d]: Euclidean codes, or points on the Poincaré ball for the hyperbolic quantizer. */
  codebook: number[];
  /** EMA cluster sizes [U] (only with `ema`). */
  clusterSize?: number[];
  /** EMA sums of assigned features [U, d], tangent space (only with `ema`). */
  embedSum?: number[];
  /** Running per-code usage read by the dead-code reset [U] (once tracked). */
  usageEma?: number[];
  /** State of the quantizer's random generator. */
  rngState: number;
}

function numbers(field: string, v: unknown, length: number): Float32Array {
  if (!Array.isArray(v) || v.length !== length) {
    throw new VqError('BAD_STATE', `state.${field} must be an array of ${length} numbers, got ${Array.isArray(v) ? `length ${v.length}` : typeof v}`);
  }
  const out = Float32Array.from(v as number[]);
  for (let i = 0; i < length; i++) {
    if (!Number.isFinite(out[i])) throw new VqError('BAD_STATE', `state.${field}[${i}] = ${String(v[i])} is not a finite number`);
  }
  return out;
}

/** Parsed, validated state (typed arrays). */
export interface ParsedState {
  codebook: Float32Array;
  clusterSize?: Float32Array;
  embedSum?: Float32Array;
  usageEma?: Float32Array;
  rngState: number;
}

/** Check a state against the quantizer it is loaded into; errors name the mismatching field. */
export function parseState(
  s: QuantizerState,
  expect: { kind: 'euclidean' | 'hyperbolic'; codebookSize: number; dim: number; curvature?: number; ema: boolean },
): ParsedState {
  if (s === null || typeof s !== 'object') throw new VqError('BAD_STATE', `state must be an object, got ${String(s)}`);
  if (s.format !== 'llmar-vq/1') throw new VqError('BAD_STATE', `state.format "${String(s.format)}" is not "llmar-vq/1"`);
  for (const k of ['kind', 'codebookSize', 'dim', 'curvature'] as const) {
    if (s[k] !== expect[k]) throw new VqError('BAD_STATE', `state.${k} = ${String(s[k])} does not match this quantizer (${String(expect[k])})`);
  }
  const U = expect.codebookSize;
  const d = expect.dim;
  const out: ParsedState = { codebook: numbers('codebook', s.codebook, U * d), rngState: Number(s.rngState) >>> 0 };
  if (expect.ema) {
    out.clusterSize = numbers('clusterSize', s.clusterSize, U);
    out.embedSum = numbers('embedSum', s.embedSum, U * d);
  }
  if (s.usageEma !== undefined) out.usageEma = numbers('usageEma', s.usageEma, U);
  return out;
}
