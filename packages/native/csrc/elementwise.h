// Epilogues of the fused matMul: bias broadcast over the last dimension, then an activation, in place.
#pragma once
#include <cstdint>

namespace llmar {

enum Activation { kLinear = 0, kRelu = 1, kRelu6 = 2, kLeakyRelu = 3, kSigmoid = 4, kElu = 5, kPrelu = 6 };
constexpr int64_t kActLast = 6;

/**
 * c[rows, n] = act(c + bias) in place. bias (or null) has size 1 (a scalar) or a multiple of n dividing rows*n: it
 * repeats every biasSize values (a tensor whose shape is a suffix of the output's). prelu weights (for kPrelu) repeat
 * the same way with their own size; alpha is the leakyrelu slope.
 */
void bias_activation(float* c, int64_t rows, int64_t n, const float* bias, int64_t biasSize, Activation act, float alpha,
                     const float* prelu, int64_t preluSize);

enum BinaryOp { kAdd = 0, kSub = 1, kMul = 2, kMin = 3, kMax = 4, kDiv = 5 };
constexpr int64_t kBinaryLast = 5;

/**
 * out[i] = A(i) op B(i) for i < n, where an operand of `size` values repeated `rep` times each reads
 * A(i) = a[(i / aRep) % aSize]: rep 1 and size n is the same shape, rep 1 and a smaller size a suffix of the shape
 * repeating (a bias [N] over [M, N], a scalar), rep > 1 a shape ending in 1s (a column [M, 1] over [M, N]). size·rep
 * divides n. out may alias a or b. kMin / kMax give NaN when either operand is NaN (as tfjs does).
 */
void binary(BinaryOp op, const float* a, int64_t aSize, int64_t aRep, const float* b, int64_t bSize, int64_t bRep, float* out,
            int64_t n);

/** out[o, i] = sum_r x[o, r, i] for x laid out [outer, reduce, inner], accumulated in double. */
void reduce_sum(const float* x, int64_t outer, int64_t reduce, int64_t inner, float* out);

}  // namespace llmar
