import type { NativeAddon } from './addon';
import type { TensorInfoLike } from './access';

/** The arguments tfjs passes to a kernel function. */
export interface KernelArgs {
  inputs: Record<string, TensorInfoLike | undefined>;
  backend: unknown;
  attrs?: Record<string, unknown>;
}
export type KernelFunc = (args: KernelArgs) => TensorInfoLike | TensorInfoLike[];

/** A kernel registration as tfjs stores it. */
export interface KernelConfigLike {
  kernelName: string;
  backendName: string;
  kernelFunc: KernelFunc;
  setupFunc?: unknown;
  disposeFunc?: unknown;
}

/** The conv geometry tfjs computes (backend_util.computeConv2DInfo). */
export interface Conv2DInfoLike {
  batchSize: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  filterHeight: number;
  filterWidth: number;
  padInfo: { top: number; left: number; bottom: number; right: number };
}

/**
 * The parts of a TensorFlow.js 4.22 module this package uses. It is passed in by the caller (@llmar/tensor), so this
 * package never imports tfjs itself.
 */
export interface TfLike {
  version_core?: string;
  getBackend(): string;
  findBackend(name: string): unknown;
  getKernel(kernelName: string, backendName: string): KernelConfigLike | undefined;
  registerKernel(config: KernelConfigLike): void;
  unregisterKernel(kernelName: string, backendName: string): void;
  tensor(values: Float32Array, shape: number[], dtype: 'float32'): TensorInfoLike & { dispose(): void };
  backend_util: {
    computeConv2DInfo(
      inShape: number[], filterShape: number[], strides: unknown, dilations: unknown, pad: unknown,
      roundingMode: unknown, depthwise: boolean, dataFormat: 'channelsLast' | 'channelsFirst',
    ): Conv2DInfoLike;
  };
}

/** What every kernel factory gets. */
export interface KernelContext {
  tf: TfLike;
  addon: NativeAddon;
  kind: 'wasm' | 'cpu';
}
