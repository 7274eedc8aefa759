// Fused elementwise part of the Poincaré-ball pairwise distance (forward and backward) from ⟨x,y⟩, ‖x‖² and ‖y‖².
#pragma once
#include <cstdint>

namespace llmar {

/**
 * out[i,j] = (2/√c) artanh(min(√(c‖x_i − y_j‖² / den), 1 − 1e-6)) with c‖x − y‖² = c(x2_i + y2_j − 2 xy_ij) floored at
 * 1e-30 and den = (1 − c x2_i)(1 − c y2_j) + c‖x − y‖² floored at 1e-15 (= 1 − 2c⟨x,y⟩ + c²‖x‖²‖y‖²).
 * Uses a polynomial log on 16 (AVX-512) or 8 (AVX2) lanes, or double-precision std::log (portable).
 */
void poincare_pairwise(const float* xy, const float* x2, const float* y2, int64_t n, int64_t m, double c, float* out);

/**
 * Gradients of sum(g · out) with respect to xy [n*m], x2 [n] and y2 [m] (zero where a clamp was active).
 */
void poincare_pairwise_grad(const float* xy, const float* x2, const float* y2, const float* g, int64_t n, int64_t m,
                            double c, float* gxy, float* gx2, float* gy2);

}  // namespace llmar
