/**
 * @llmar/native: optional native CPU kernels for TensorFlow.js 4.22 (wasm and cpu backends), from a C++ N-API addon.
 * @llmar/tensor's initBackend calls {@link registerNativeKernels} when this package is installed; it never imports
 * @llmar/tensor or tfjs itself (tfjs is passed in).
 */
export {
  registerNativeKernels,
  unregisterNativeKernels,
  nativeKernels,
  nativeStatus,
  NATIVE_KERNELS,
  TFJS_VERSION,
  type RegisterResult,
  type RegisterOptions,
} from './register';
export { loadAddon, addonPath, ACTIVATION_CODES, type NativeAddon, type NativeMemory } from './addon';
export { planMatMul, type MatMulPlan } from './matmul';
export { LLMAR_CONV_KERNELS } from './conv';
export { CONV_FUSED_KERNELS } from './convFused';
export { ADAMW_KERNEL } from './adamw';
export { POINCARE_KERNELS } from './poincare';
export { SOFTMAX_KERNELS } from './softmax';
export { ATTENTION_KERNELS } from './attention';
export { LORA_KERNELS } from './lora';
export { KERNEL_SUM_KERNELS } from './kernelsum';
export { NativeError, type NativeErrorCode } from './errors';
export type { TfLike, KernelArgs, KernelFunc, KernelConfigLike, Conv2DInfoLike } from './types';
