import { tf, customGrad } from '@llmar/tensor';

/**
 * Rows `indices` of x [M, d] → [N, d], differentiable in x on every backend, with the index tensor kept OFF the
 * gradient tape. Indices computed from taped values (an argmin over distances that depend on the features) would
 * otherwise send tfjs's stock GatherV2 gradient into its int32 indices and fail ("gradient of input indices must have
 * 'float32' dtype") on backends where @llmar/tensor's `gather` uses the stock op. Backward: ScatterNd, which sums
 * duplicate indices.
 */
export function gatherRows(x: tf.Tensor, indices: tf.Tensor1D): tf.Tensor {
  const op = customGrad((a: tf.Tensor, save: tf.GradSaveFunc) => {
    const idx = indices.reshape([-1, 1]);
    save([idx]);
    return {
      value: tf.gather(a, indices, 0),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.scatterND(saved[0], dy, a.shape)],
    };
  });
  return op(x);
}
