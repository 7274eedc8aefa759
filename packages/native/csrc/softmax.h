// Softmax over the last axis with an additive bias that broadcasts over heads (attention scores + causal/padding mask),
// and its gradient, for @llmar/llm-lora's fused attention.
#pragma once
#include <cstdint>

namespace llmar {

/** Geometry of x [B, H, T, S] and of the bias [biasB, 1, T, S] (biasB 0: no bias, 1: shared, B: per batch row). */
struct SoftmaxShape {
  int64_t B, H, T, S, biasB;
};

/** y = softmax(x + bias) over the last axis (rows of S values); y may alias x. A row of all -inf gives NaN (as tfjs). */
void softmax_bias(const SoftmaxShape& s, const float* x, const float* bias, float* y);

/** dx = y ⊙ (dy − Σ_j dy_j y_j) per row of S values (the gradient of softmax at output y); dx may alias dy. */
void softmax_grad(int64_t rows, int64_t S, const float* y, const float* dy, float* dx);

/** One row of softmax_bias: y = softmax(x + br) over S values (br may be null); y may alias x. */
void softmax_bias_row(const float* x, const float* br, float* y, int64_t S);
/** One row of softmax_grad; dx may alias dy. */
void softmax_grad_row(const float* y, const float* dy, float* dx, int64_t S);

}  // namespace llmar
