// Element-wise float32 functions of one operand.
#pragma once
#include <cstdint>

namespace llmar {

enum UnaryOp { kExp = 0, kLog = 1 };
constexpr int64_t kUnaryLast = 1;

/**
 * out[i] = op(x[i]) for i < n; out may alias x. kExp: on AVX-512 a vector exp (vexp.h, ~1 ulp) with IEEE special values
 * (NaN stays NaN, +inf and overflow give +inf, results under FLT_MIN flush to 0), elsewhere glibc expf; kLog: glibc logf (log 0 = -inf,
 * negative or NaN gives NaN).
 */
void unary(UnaryOp op, const float* x, float* out, int64_t n);

}  // namespace llmar
