// Single-precision GEMM: C = op(A) op(B) (+ C), row-major, with packing, cache blocking, a SIMD micro-kernel chosen at
// run time (AVX-512, AVX2+FMA, portable C++) and the persistent thread pool.
#pragma once
#include <cstdint>

namespace llmar {

/** One row-major product C[M,N] = op(A)[M,K] op(B)[K,N]; op(A)(i,k) = ta ? A[k*lda+i] : A[i*lda+k]. */
struct GemmArgs {
  const float* A;
  const float* B;
  float* C;
  int64_t M, N, K;
  int64_t lda, ldb, ldc;
  bool ta, tb;
  bool accumulate;  // C += product instead of C = product
};

/** C = op(A) op(B), threaded when large enough. */
void gemm(const GemmArgs& g);
/** The same on one thread (for callers that parallelise over something else). */
void gemm_serial(const GemmArgs& g);

/**
 * Batched product: for b in [0, batch): C_b = op(A_{ai[b]}) op(B_{bi[b]}), matrices contiguous with the given strides.
 * ai/bi may be null (then the index is b). Parallelises over the batch when the matrices are small.
 */
void gemm_batched(const GemmArgs& g, int64_t batch, const int32_t* ai, const int32_t* bi, int64_t a_stride,
                  int64_t b_stride, int64_t c_stride);

/** Which micro-kernel runs: "avx512", "avx2" or "portable". */
const char* simd_name();
/** Whether the AVX-512 micro-kernel is the one selected (the other AVX-512 paths follow it, e.g. for tests). */
bool avx512_selected();
/** Force a kernel ("avx512" | "avx2" | "portable"); returns false if this CPU lacks it. */
bool set_simd(const char* name);

}  // namespace llmar
