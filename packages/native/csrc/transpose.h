// N-d transpose of 4-byte values (tfjs's Transpose: out.shape[i] = x.shape[perm[i]]).
#pragma once
#include <cstdint>

namespace llmar {

/** Largest rank transpose() takes. */
constexpr int kTransposeMaxRank = 8;

/**
 * out = x transposed by perm (rank <= kTransposeMaxRank, 4-byte values). Axes of size 1 are dropped and input axes that
 * stay adjacent in perm are merged first, so e.g. [B, T, H, D] -> [B, H, T, D] copies runs of D values; when the last
 * axis moves, values are gathered with a stride. Large tensors are split over the thread pool.
 */
void transpose(const uint32_t* x, uint32_t* out, const int64_t* shape, const int32_t* perm, int rank);

}  // namespace llmar
