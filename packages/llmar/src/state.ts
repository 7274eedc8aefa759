import { tf } from '@llmar/tensor';
import type { AdamWState } from '@llmar/llm-lora';
import type { NamedArray } from './checkpoint';
import { LlmarError } from './errors';

/** Variables → named arrays (copies), under a prefix. */
export function variablesToArrays(vars: Map<string, tf.Variable> | Record<string, tf.Tensor>, prefix = ''): Map<string, NamedArray> {
  const out = new Map<string, NamedArray>();
  const entries = vars instanceof Map ? [...vars.entries()] : Object.entries(vars);
  for (const [k, v] of entries) out.set(prefix + k, { shape: [...v.shape], data: (v.dataSync() as Float32Array).slice() });
  return out;
}

/** Assign named arrays (under `prefix`) into the variables; a missing name or wrong size is a CHECKPOINT error naming it. */
export function assignArrays(vars: Map<string, tf.Variable>, arrays: Map<string, NamedArray>, prefix = '', where = 'checkpoint'): void {
  for (const [k, v] of vars) {
    const a = arrays.get(prefix + k);
    if (!a) throw new LlmarError('CHECKPOINT', `${where} has no tensor "${prefix + k}"`);
    if (a.data.length !== v.size) throw new LlmarError('CHECKPOINT', `${where}: tensor "${prefix + k}" has ${a.data.length} values, the model needs [${v.shape}]`);
    tf.tidy(() => v.assign(tf.tensor(a.data, v.shape, 'float32')));
  }
}

/** An AdamW state as named arrays (`<prefix>m.<name>`, `<prefix>v.<name>`) plus its JSON scalars. */
export function optimizerToArrays(s: AdamWState, prefix: string): { scalars: Omit<AdamWState, 'm' | 'v'>; arrays: Map<string, NamedArray> } {
  const arrays = new Map<string, NamedArray>();
  for (const [k, d] of Object.entries(s.m)) arrays.set(`${prefix}m.${k}`, { shape: [d.length], data: d });
  for (const [k, d] of Object.entries(s.v)) arrays.set(`${prefix}v.${k}`, { shape: [d.length], data: d });
  const { m: _m, v: _v, ...scalars } = s;
  return { scalars, arrays };
}

/** Inverse of {@link optimizerToArrays}. */
export function optimizerFromArrays(scalars: Omit<AdamWState, 'm' | 'v'>, arrays: Map<string, NamedArray>, prefix: string): AdamWState {
  const m: Record<string, Float32Array> = {};
  const v: Record<string, Float32Array> = {};
  for (const [k, a] of arrays) {
    if (k.startsWith(`${prefix}m.`)) m[k.slice(prefix.length + 2)] = a.data;
    else if (k.startsWith(`${prefix}v.`)) v[k.slice(prefix.length + 2)] = a.data;
  }
  return { ...scalars, m, v };
}

/** Whether every value is finite. */
export function allFinite(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}
