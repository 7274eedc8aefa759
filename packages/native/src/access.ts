import type { NativeMemory } from './addon';
import { NativeError } from './errors';

/** What a tfjs kernel receives for each tensor. */
export interface TensorInfoLike {
  dataId: object;
  shape: number[];
  dtype: string;
}

/** Reads tensors' float32 memory and allocates outputs on one backend instance. */
export interface Access {
  /** Allocate a float32 output (may grow the wasm heap: take `ref`s only after all allocations of a call). */
  alloc(shape: number[]): TensorInfoLike;
  /**
   * The memory and byte offset of a float32 tensor's values, read fresh (the wasm heap buffer changes on growth). On cpu,
   * values held in another typed array are copied to a Float32Array: only inputs may be such copies, never outputs.
   */
  ref(t: TensorInfoLike): [NativeMemory, number];
}

/* eslint-disable @typescript-eslint/no-explicit-any */
type WasmBackendLike = {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(id: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: string): TensorInfoLike;
};
type CpuBackendLike = {
  data: { get(id: object): { values?: unknown } | undefined };
  makeTensorInfo(shape: number[], dtype: string, values: Float32Array): TensorInfoLike;
};

function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Maps [byteOffset, + bytes) of a heap writable now (the addon's populate); set by registerNativeKernels. */
type Populate = (heap: Uint8Array, byteOffset: number, bytes: number) => number;
let populate: Populate | undefined;
/** How far each wasm heap (by its module object) has been populated. */
const populated = new WeakMap<object, number>();

/**
 * Have the wasm heap's pages mapped in bulk whenever it grows (off with `undefined`). A page first written by a kernel
 * otherwise faults on its own: ~8 µs each on a VM, 17–28 ms for a 1.2M-parameter optimiser step that landed in fresh
 * heap, against ~0.2 µs a page for one populate call over the new range.
 */
export function setHeapPopulate(fn: Populate | undefined): void {
  populate = fn;
}

/** Populate the part of the wasm heap grown since the last call (all of it the first time). */
export function populateHeap(wasm: { HEAPU8: Uint8Array }): void {
  if (!populate) return;
  const heap = wasm.HEAPU8;
  const done = populated.get(wasm) ?? 0;
  if (heap.length <= done) return;
  populated.set(wasm, heap.length);
  populate(heap, done, heap.length - done);
}

/** Zero-copy access to the wasm backend's heap (tfjs-backend-wasm 4.22 internals: wasm.HEAPU8, dataIdMap, makeOutput). */
export function wasmAccess(backend: unknown): Access {
  const be = backend as WasmBackendLike;
  return {
    alloc: (shape) => {
      const out = be.makeOutput(shape, 'float32');
      populateHeap(be.wasm);
      return out;
    },
    ref: (t) => {
      const d = be.dataIdMap.get(t.dataId);
      if (!d || typeof d.memoryOffset !== 'number') throw new NativeError('INTERNALS_CHANGED', `wasm tensor [${t.shape}] has no memory offset`);
      return [be.wasm.HEAPU8, d.memoryOffset];
    },
  };
}

/** Access to the cpu backend's Float32Arrays (tfjs-backend-cpu 4.22 internals: data.get(id).values, makeTensorInfo). */
export function cpuAccess(backend: unknown): Access {
  const be = backend as CpuBackendLike;
  return {
    alloc: (shape) => be.makeTensorInfo(shape, 'float32', new Float32Array(size(shape))),
    ref: (t) => {
      const v = be.data.get(t.dataId)?.values;
      if (v instanceof Float32Array) return [v, 0];
      // a float32 tensor may hold another typed array (e.g. the cpu Cast of a bool mask): read a float copy of it
      if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return [Float32Array.from(v as unknown as ArrayLike<number>), 0];
      throw new NativeError('INTERNALS_CHANGED', `cpu tensor [${t.shape}] has no typed-array values`);
    },
  };
}

/** Whether a backend instance exposes the internals an Access relies on. Returns the first missing piece, or undefined. */
export function missingInternals(kind: 'wasm' | 'cpu', backend: any): string | undefined {
  if (!backend) return `no ${kind} backend instance`;
  if (kind === 'wasm') {
    if (!(backend.wasm?.HEAPU8 instanceof Uint8Array)) return 'wasm backend has no wasm.HEAPU8 Uint8Array';
    if (typeof backend.dataIdMap?.get !== 'function') return 'wasm backend has no dataIdMap.get';
    if (typeof backend.makeOutput !== 'function') return 'wasm backend has no makeOutput';
    return undefined;
  }
  if (typeof backend.data?.get !== 'function') return 'cpu backend has no data.get';
  if (typeof backend.makeTensorInfo !== 'function') return 'cpu backend has no makeTensorInfo';
  return undefined;
}

const accesses = new WeakMap<object, Access>();

/** The Access of a backend instance (one per instance, reused across kernel calls). */
export function accessFor(kind: 'wasm' | 'cpu', backend: unknown): Access {
  const key = backend as object;
  let a = accesses.get(key);
  if (!a) {
    a = kind === 'wasm' ? wasmAccess(backend) : cpuAccess(backend);
    accesses.set(key, a);
  }
  return a;
}
