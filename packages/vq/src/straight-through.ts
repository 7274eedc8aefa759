import { tf, customGrad } from '@llmar/tensor';

/**
 * Straight-through estimator f̂ = f + sg(q − f): the value is exactly `q`, the gradient reaches `f` unchanged
 * (identity) and nothing reaches `q`. Shapes of f and q must match.
 */
export function straightThrough<R extends tf.Tensor>(f: R, q: tf.Tensor): R {
  const op = customGrad((x: tf.Tensor) => ({
    value: q.clone(),
    gradFunc: (dy: tf.Tensor) => [dy],
  }));
  return op(f) as R;
}
