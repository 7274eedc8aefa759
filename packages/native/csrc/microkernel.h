// The AVX-512 FMA tile shared by the packed-GEMM micro-kernel (gemm.cc) and the implicit-GEMM convolution kernels
// (conv_implicit.cc): MRT (<= 12) rows of 32 float accumulators, two zmm registers a row. Each kernel keeps its own loop
// over k (and taps) and calls tile_fma once per k with an accessor of its A elements, so every kernel does the same
// FMAs in the same order. The helpers are always inlined: the accumulators stay in registers.
#pragma once
#include <cstdint>

#include "simd.h"

#if LLMAR_X86
#define LLMAR_TILE_INLINE LLMAR_TARGET_AVX512 inline __attribute__((always_inline))

namespace llmar {

/** The accumulators of an MRT x 32 tile: row r is c0[r] (columns 0..15) and c1[r] (columns 16..31). */
template <int MRT>
struct Tile512 {
  __m512 c0[MRT], c1[MRT];
};

/** Sets every accumulator of the tile to zero. */
template <int MRT>
LLMAR_TILE_INLINE void tile_zero(Tile512<MRT>& t) {
#pragma GCC unroll 12
  for (int r = 0; r < MRT; r++) {
    t.c0[r] = _mm512_setzero_ps();
    t.c1[r] = _mm512_setzero_ps();
  }
}

/** One k step: row r += a(r) * b[0..32) for every row (b a 64-byte aligned row of a packed 32-column panel). */
template <int MRT, typename A>
LLMAR_TILE_INLINE void tile_fma(Tile512<MRT>& t, const A& a, const float* b) {
  const __m512 b0 = _mm512_load_ps(b);
  const __m512 b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 12
  for (int r = 0; r < MRT; r++) {
    const __m512 av = _mm512_set1_ps(a(r));
    t.c0[r] = _mm512_fmadd_ps(av, b0, t.c0[r]);
    t.c1[r] = _mm512_fmadd_ps(av, b1, t.c1[r]);
  }
}

/** c[r][j] = tile[r][j] (plus the old c[r][j] when acc) for r < mr, j < nr, row stride ldc, by masked loads and stores. */
template <int MRT>
LLMAR_TILE_INLINE void tile_store(const Tile512<MRT>& t, float* c, int64_t ldc, int mr, int nr, bool acc) {
  const __mmask16 m0 = nr >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << nr) - 1u);
  const __mmask16 m1 = nr >= 32   ? static_cast<__mmask16>(0xFFFF)
                       : nr > 16 ? static_cast<__mmask16>((1u << (nr - 16)) - 1u)
                                 : static_cast<__mmask16>(0);
#pragma GCC unroll 12
  for (int r = 0; r < MRT; r++) {
    if (r < mr) {
      float* cr = c + r * ldc;
      __m512 v0 = t.c0[r], v1 = t.c1[r];
      if (acc) {
        v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, cr));
        v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, cr + 16));
      }
      _mm512_mask_storeu_ps(cr, m0, v0);
      _mm512_mask_storeu_ps(cr + 16, m1, v1);
    }
  }
}

}  // namespace llmar

#undef LLMAR_TILE_INLINE
#endif
