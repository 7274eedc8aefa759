// Fused element-wise kernels of a LLaMA decoder's training step: SwiGLU and RMSNorm, forward and backward, each one
// pass over memory instead of the 4-9 stock kernels (and their temporaries) they replace.
#pragma once
#include <cstdint>

namespace llmar {

/** out = silu(g) · u = g · sigmoid(g) · u over n values. */
void swiglu_forward(const float* g, const float* u, int64_t n, float* out);
/** dg = dy · u · silu'(g), du = dy · silu(g), with silu'(g) = s · (1 + g · (1 − s)), s = sigmoid(g). */
void swiglu_backward(const float* g, const float* u, const float* dy, int64_t n, float* dg, float* du);
/** Rows of x [rows, d]: r = 1 / sqrt(mean(x²) + eps) (in double), y = x · r · w. */
void rmsnorm_forward(const float* x, const float* w, int64_t rows, int64_t d, double eps, float* y, float* r);
/** dx = r · gw − x · r³ · mean(gw · x) with gw = dy · w (the gradient with respect to x of sum(dy · y)). */
void rmsnorm_backward(const float* x, const float* w, const float* r, const float* dy, int64_t rows, int64_t d, float* dx);

}  // namespace llmar
