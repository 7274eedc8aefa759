// Element-wise unary float32 kernels, threaded over the pool for large tensors.
#pragma once
#include <cstdint>

namespace llmar {

enum UnaryOp { kExp = 0 };
constexpr int64_t kUnaryLast = 0;

/** out[i] = op(x[i]) for i < n; out may alias x. */
void unary(UnaryOp op, const float* x, float* out, int64_t n);

}  // namespace llmar
