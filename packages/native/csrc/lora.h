// A frozen linear's output plus its LoRA update, as one kernel each way, for @llmar/llm-lora's training step:
// out = y + (x·A)·(s·B), with the products, the scaling and the sum done in the order (and with the GEMM) of the separate
// kernels they replace, so the results are equal bit for bit.
#pragma once
#include <cstdint>

namespace llmar {

/** Sizes: N rows, in → r → out features; scale s (applied to B in float32, as a Multiply by a scalar would). */
struct LoraShape {
  int64_t N, in, r, out;
  float scale;
};

/** x [N, in], a [in, r], b [r, out], y [N, out] → o = y + mid·bs, mid = x·a [N, r], bs = s·b [r, out]. */
void lora_add_forward(const LoraShape& s, const float* y, const float* x, const float* a, const float* b, float* o,
                      float* mid, float* bs);

/** dy [N, out] (the gradient of o) → dx = (dy·bsᵀ)·aᵀ, da = xᵀ·(dy·bsᵀ), db = s·(midᵀ·dy). */
void lora_add_backward(const LoraShape& s, const float* dy, const float* x, const float* a, const float* bs, const float* mid,
                       float* dx, float* da, float* db);

}  // namespace llmar
