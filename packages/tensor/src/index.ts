import * as tf from '@tensorflow/tfjs';

/** The one TensorFlow.js instance every @llmar package computes with. */
export { tf };
export type { Tensor, Tensor1D, Tensor2D, Tensor3D, Tensor4D, Variable, Rank } from '@tensorflow/tfjs';
export { TensorError, type TensorErrorCode } from './errors';
export {
  initBackend,
  backendInfo,
  backendFromEnv,
  hasKernel,
  BACKEND_CHOICES,
  type BackendChoice,
  type BackendInfo,
  type InitBackendOptions,
  type NativeModule,
} from './backend';
export { customGrad, type CustomGradBody, stopGradient, matMul, conv1d, gather, setFastTransposedMatMul, type Conv1dOptions } from './ops';
export { Rng } from './rng';
export { installFastSave, uninstallFastSave, fastSaveInstalled } from './saved';
export { installLeanGradients, uninstallLeanGradients, leanGradientsInstalled } from './gradients';
