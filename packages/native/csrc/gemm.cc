#include "gemm.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "gemm_impl.h"
#include "microkernel.h"
#include "simd.h"

namespace llmar {

// ---------------------------------------------------------------------------------------------------------------
// Micro-kernels: c[mr x nr] (+)= sum_k a[k*MR + r] * b[k*NR + j] over packed panels; mr <= MR, nr <= NR.
// ---------------------------------------------------------------------------------------------------------------

#if LLMAR_X86
LLMAR_TARGET_AVX512 static void kernel_avx512(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                                              int mr, int nr, bool acc) {
  constexpr int MR = 12;
  Tile512<MR> t;
  tile_zero(t);
#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; k++) {
    tile_fma(t, [a](int r) { return a[r]; }, b);
    a += MR;
    b += 32;
  }
  tile_store(t, c, ldc, mr, nr, acc);
}

LLMAR_TARGET_AVX2 static void kernel_avx2(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int mr,
                                          int nr, bool acc) {
  constexpr int MR = 6;
  __m256 c0[MR], c1[MR];
#pragma GCC unroll 6
  for (int r = 0; r < MR; r++) {
    c0[r] = _mm256_setzero_ps();
    c1[r] = _mm256_setzero_ps();
  }
  for (int64_t k = 0; k < kc; k++) {
    const __m256 b0 = _mm256_load_ps(b);
    const __m256 b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
      const __m256 av = _mm256_broadcast_ss(a + r);
      c0[r] = _mm256_fmadd_ps(av, b0, c0[r]);
      c1[r] = _mm256_fmadd_ps(av, b1, c1[r]);
    }
    a += MR;
    b += 16;
  }
  if (nr == 16) {
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
      if (r < mr) {
        float* cr = c + r * ldc;
        __m256 v0 = c0[r], v1 = c1[r];
        if (acc) {
          v0 = _mm256_add_ps(v0, _mm256_loadu_ps(cr));
          v1 = _mm256_add_ps(v1, _mm256_loadu_ps(cr + 8));
        }
        _mm256_storeu_ps(cr, v0);
        _mm256_storeu_ps(cr + 8, v1);
      }
    }
    return;
  }
  alignas(32) float tmp[MR * 16];
#pragma GCC unroll 6
  for (int r = 0; r < MR; r++) {
    _mm256_store_ps(tmp + r * 16, c0[r]);
    _mm256_store_ps(tmp + r * 16 + 8, c1[r]);
  }
  for (int r = 0; r < mr; r++)
    for (int j = 0; j < nr; j++) c[r * ldc + j] = acc ? c[r * ldc + j] + tmp[r * 16 + j] : tmp[r * 16 + j];
}
#endif

static void kernel_portable(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int mr, int nr,
                            bool acc) {
  constexpr int MR = 4, NR = 16;
  float t[MR][NR] = {};
  for (int64_t k = 0; k < kc; k++) {
    for (int r = 0; r < MR; r++) {
      const float av = a[r];
      for (int j = 0; j < NR; j++) t[r][j] += av * b[j];
    }
    a += MR;
    b += NR;
  }
  for (int r = 0; r < mr; r++)
    for (int j = 0; j < nr; j++) c[r * ldc + j] = acc ? c[r * ldc + j] + t[r][j] : t[r][j];
}

static const Kernel kPortable = {"portable", kernel_portable, 4, 16, 256, 1024, 256};
#if LLMAR_X86
static const Kernel kAvx512 = {"avx512", kernel_avx512, 12, 32, 512, 12 * 256, 512};
static const Kernel kAvx2 = {"avx2", kernel_avx2, 6, 16, 256, 6 * 256, 512};
#endif

static const Kernel* pick_kernel() {
  const char* env = std::getenv("LLMAR_NATIVE_SIMD");
#if LLMAR_X86
  const bool has512 = cpu_has_avx512();
  const bool has2 = cpu_has_avx2_fma();
  if (env && std::strcmp(env, "portable") == 0) return &kPortable;
  if (env && std::strcmp(env, "avx2") == 0 && has2) return &kAvx2;
  if (has512) return &kAvx512;
  if (has2) return &kAvx2;
#else
  (void)env;
#endif
  return &kPortable;
}

static const Kernel* g_kernel = pick_kernel();

const char* simd_name() { return g_kernel->name; }

bool avx512_selected() {
#if LLMAR_X86
  return g_kernel == &kAvx512;
#else
  return false;
#endif
}

const Kernel& current_kernel() { return *g_kernel; }

bool set_simd(const char* name) {
  if (std::strcmp(name, "portable") == 0) {
    g_kernel = &kPortable;
    return true;
  }
#if LLMAR_X86
  if (std::strcmp(name, "avx2") == 0 && cpu_has_avx2_fma()) {
    g_kernel = &kAvx2;
    return true;
  }
  if (std::strcmp(name, "avx512") == 0 && cpu_has_avx512()) {
    g_kernel = &kAvx512;
    return true;
  }
#endif
  return false;
}

// ---------------------------------------------------------------------------------------------------------------
// Packing: A block [mb x kc] into MR-row panels (k-major inside a panel), B block [kc x nb] into NR-column panels.
// Rows/columns past the edge are zero so the micro-kernel always runs a full tile.
// ---------------------------------------------------------------------------------------------------------------
/**
 * Block of k in the transposing packs (A row-major, B transposed): one 64-byte line of each source row per block, and
 * the destination lines of a block (kTB x MR or NR floats) stay in L1 while every row is scattered into them. Packing
 * whole panels row by row instead rewrote a kc x 32 panel (48 KB at kc = 384, all of L1d; the K block is 512 now) once per column: it took
 * ~20% of a 1024^3 product with transposed B (rdtsc breakdown), ~3% now.
 */
static constexpr int64_t kTB = 16;

#if LLMAR_X86
/**
 * dst[t * ldd + r] = src[r * lds + t] for t < kn <= 16 and r < w <= 16 (rows r >= rows read as zero): one 16 x 16 block
 * transposed in registers (unpack, in-lane shuffle, two 128-bit lane shuffles), instead of 16 x 16 scalar strided
 * stores. Used by the transposing packs when the CPU has AVX-512, whatever micro-kernel runs.
 */
LLMAR_TARGET_AVX512 static void transpose16(const float* src, int64_t lds, int rows, int kn, float* dst, int64_t ldd, int w) {
  const __mmask16 km = kn >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << kn) - 1u);
  __m512 r[16], t[16];
#pragma GCC unroll 16
  for (int i = 0; i < 16; i++) r[i] = i < rows ? _mm512_maskz_loadu_ps(km, src + i * lds) : _mm512_setzero_ps();
#pragma GCC unroll 8
  for (int i = 0; i < 8; i++) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
#pragma GCC unroll 4
  for (int i = 0; i < 4; i++) {  // r[4i + j], lane L: rows 4i..4i+3 at column 4L + j
    r[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
    r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
    r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
    r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
  }
#pragma GCC unroll 4
  for (int j = 0; j < 4; j++) {  // 4 x 4 transpose of 128-bit lanes across r[j], r[4 + j], r[8 + j], r[12 + j]
    const __m512 s0 = _mm512_shuffle_f32x4(r[j], r[4 + j], 0x44), s1 = _mm512_shuffle_f32x4(r[j], r[4 + j], 0xEE);
    const __m512 s2 = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0x44), s3 = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0xEE);
    t[j] = _mm512_shuffle_f32x4(s0, s2, 0x88);
    t[4 + j] = _mm512_shuffle_f32x4(s0, s2, 0xDD);
    t[8 + j] = _mm512_shuffle_f32x4(s1, s3, 0x88);
    t[12 + j] = _mm512_shuffle_f32x4(s1, s3, 0xDD);
  }
  const __mmask16 wm = w >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << w) - 1u);
  for (int c = 0; c < kn; c++) _mm512_mask_storeu_ps(dst + c * ldd, wm, t[c]);
}
static const bool g_transpose16 = cpu_has_avx512();
#endif

void pack_a(const GemmArgs& g, int64_t i0, int64_t mb, int64_t k0, int64_t kc, int MR, float* out) {
  for (int64_t p = 0; p < mb; p += MR) {
    const int rows = static_cast<int>(mb - p < MR ? mb - p : MR);
    float* dst = out + p * kc;
    if (g.ta) {  // A(i,k) = A[k*lda + i]: MR contiguous values per k
      for (int64_t k = 0; k < kc; k++) {
        const float* src = g.A + (k0 + k) * g.lda + i0 + p;
        float* d = dst + k * MR;
        int r = 0;
        for (; r < rows; r++) d[r] = src[r];
        for (; r < MR; r++) d[r] = 0.f;
      }
    } else {  // A(i,k) = A[i*lda + k]: transpose in blocks of kTB values of k (one cache line per row per block)
#if LLMAR_X86
      if (g_transpose16 && MR <= 16) {
        for (int64_t kb = 0; kb < kc; kb += kTB) {
          const int kn = static_cast<int>(kc - kb < kTB ? kc - kb : kTB);
          transpose16(g.A + (i0 + p) * g.lda + k0 + kb, g.lda, rows, kn, dst + kb * MR, MR, MR);
        }
        continue;
      }
#endif
      for (int64_t kb = 0; kb < kc; kb += kTB) {
        const int64_t kn = kc - kb < kTB ? kc - kb : kTB;
        float* d = dst + kb * MR;
        for (int r = 0; r < rows; r++) {
          const float* src = g.A + (i0 + p + r) * g.lda + k0 + kb;
          for (int64_t t = 0; t < kn; t++) d[t * MR + r] = src[t];
        }
        for (int r = rows; r < MR; r++)
          for (int64_t t = 0; t < kn; t++) d[t * MR + r] = 0.f;
      }
    }
  }
}

void pack_b(const GemmArgs& g, int64_t j0, int64_t nb, int64_t k0, int64_t kc, int NR, float* out) {
  for (int64_t p = 0; p < nb; p += NR) {
    const int cols = static_cast<int>(nb - p < NR ? nb - p : NR);
    float* dst = out + p * kc;
    if (!g.tb) {  // B(k,j) = B[k*ldb + j]: NR contiguous values per k
      for (int64_t k = 0; k < kc; k++) {
        const float* src = g.B + (k0 + k) * g.ldb + j0 + p;
        float* d = dst + k * NR;
        if (cols == NR) {
          std::memcpy(d, src, sizeof(float) * NR);
        } else {
          int j = 0;
          for (; j < cols; j++) d[j] = src[j];
          for (; j < NR; j++) d[j] = 0.f;
        }
      }
    } else {  // B(k,j) = B[j*ldb + k]: transpose in blocks of kTB values of k, so the lines written stay in L1
#if LLMAR_X86
      if (g_transpose16 && NR % 16 == 0) {
        for (int64_t kb = 0; kb < kc; kb += kTB) {
          const int kn = static_cast<int>(kc - kb < kTB ? kc - kb : kTB);
          for (int h = 0; h < NR; h += 16)  // 16 columns at a time; columns past the edge are zero
            transpose16(g.B + (j0 + p + h) * g.ldb + k0 + kb, g.ldb, cols - h, kn, dst + kb * NR + h, NR, 16);
        }
        continue;
      }
#endif
      for (int64_t kb = 0; kb < kc; kb += kTB) {
        const int64_t kn = kc - kb < kTB ? kc - kb : kTB;
        float* d = dst + kb * NR;
        for (int j = 0; j < cols; j++) {
          const float* src = g.B + (j0 + p + j) * g.ldb + k0 + kb;
          for (int64_t t = 0; t < kn; t++) d[t * NR + j] = src[t];
        }
        for (int j = cols; j < NR; j++)
          for (int64_t t = 0; t < kn; t++) d[t * NR + j] = 0.f;
      }
    }
  }
}

static thread_local Scratch tl_a, tl_b;

void gemm_serial(const GemmArgs& g) {
  const Kernel& kn = *g_kernel;
  const int64_t M = g.M, N = g.N, K = g.K;
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!g.accumulate)
      for (int64_t i = 0; i < M; i++) std::memset(g.C + i * g.ldc, 0, sizeof(float) * N);
    return;
  }
  const int64_t kcMax = K < kn.KC ? K : kn.KC;
  const int64_t mcMax = M < kn.MC ? M : kn.MC;
  const int64_t ncMax = N < kn.NC ? N : kn.NC;
  float* ap = tl_a.get(static_cast<size_t>((mcMax + kn.MR) * kcMax));
  float* bp = tl_b.get(static_cast<size_t>((ncMax + kn.NR) * kcMax));
  if (!ap || !bp) std::abort();  // out of memory: nothing sensible to return to JS mid-kernel
  for (int64_t k0 = 0; k0 < K; k0 += kn.KC) {
    const int64_t kc = K - k0 < kn.KC ? K - k0 : kn.KC;
    const bool acc = g.accumulate || k0 > 0;
    for (int64_t i0 = 0; i0 < M; i0 += kn.MC) {
      const int64_t mb = M - i0 < kn.MC ? M - i0 : kn.MC;
      pack_a(g, i0, mb, k0, kc, kn.MR, ap);
      for (int64_t j0 = 0; j0 < N; j0 += kn.NC) {
        const int64_t nb = N - j0 < kn.NC ? N - j0 : kn.NC;
        pack_b(g, j0, nb, k0, kc, kn.NR, bp);
        for (int64_t ir = 0; ir < mb; ir += kn.MR) {
          const int mr = static_cast<int>(mb - ir < kn.MR ? mb - ir : kn.MR);
          const float* a = ap + ir * kc;
          float* crow = g.C + (i0 + ir) * g.ldc + j0;
          for (int64_t jr = 0; jr < nb; jr += kn.NR) {
            const int nr = static_cast<int>(nb - jr < kn.NR ? nb - jr : kn.NR);
            kn.fn(kc, a, bp + jr * kc, crow + jr, g.ldc, mr, nr, acc);
          }
        }
      }
    }
  }
}

}  // namespace llmar
