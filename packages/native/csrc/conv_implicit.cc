// Implicit-GEMM convolution (forward and input gradient) on AVX-512: no im2col buffer, no transposing pack of the
// activations, no col2im scatter. Both products have the form
//   C[rows, N] = sum over taps t of A_t[rows, K] B_t[K, N]
// where row r of A_t is one contiguous run of K floats of the activations (or zeros where the tap falls in the
// padding), so the micro-kernel broadcasts straight from 12 row pointers per tap while B (the filter, small) is packed
// once per call into 32-column panels.
//   forward: rows = output pixels, A_t row = the input pixel tap t reads (K = Cin), B_t = w[t] (N = Cout);
//   input gradient: rows = input pixels, A_t row = the output pixel whose tap t reads it (K = Cout), B_t = w[t]^T
//   (N = Cin); with a stride, pixels no output reads through tap t get the zero row.
#include "conv_implicit.h"

#include <cstdlib>
#include <cstring>
#include <vector>

#include "gemm.h"
#include "microkernel.h"
#include "pool.h"
#include "simd.h"

namespace llmar {

namespace {

constexpr int MR = 12, NR = 32;

#if LLMAR_X86
/** c[mr, nr] = sum_t sum_k a[t][r][k] b[t][k][j] with a[t][r] = ap[t * MR + r] (each valid for K floats). */
LLMAR_TARGET_AVX512 void rows_kernel(int64_t taps, int64_t K, const float* const* ap, const float* b, float* c,
                                     int64_t ldc, int mr, int nr) {
  Tile512<MR> tile;
  tile_zero(tile);
  for (int64_t t = 0; t < taps; t++) {
    const float* a[MR];
#pragma GCC unroll 12
    for (int r = 0; r < MR; r++) a[r] = ap[t * MR + r];
#pragma GCC unroll 2
    for (int64_t k = 0; k < K; k++) {
      tile_fma(tile, [&a, k](int r) { return a[r][k]; }, b);
      b += NR;
    }
  }
  tile_store(tile, c, ldc, mr, nr, false);
}

/**
 * Filter-gradient tile: c[mr, nr] = sum_k a_k[r] b[k][j], where a_k = ap[k] + c0 holds MRT consecutive input channels
 * of the pixel row k reads (MRT = mr, so nothing past the row is read) and b is a packed [K][NR] panel of dy.
 */
template <int MRT>
LLMAR_TARGET_AVX512 void filter_kernel(int64_t K, const float* const* ap, int64_t c0, const float* b, float* c,
                                       int64_t ldc, int nr, bool acc) {
  Tile512<MRT> tile;
  tile_zero(tile);
#pragma GCC unroll 2
  for (int64_t k = 0; k < K; k++) {
    const float* a = ap[k] + c0;
    tile_fma(tile, [a](int r) { return a[r]; }, b);
    b += NR;
  }
  tile_store(tile, c, ldc, MRT, nr, acc);
}

typedef void (*FilterKernel)(int64_t, const float* const*, int64_t, const float*, float*, int64_t, int, bool);
const FilterKernel kFilterKernels[MR + 1] = {
    nullptr,           filter_kernel<1>, filter_kernel<2>, filter_kernel<3>,  filter_kernel<4>,
    filter_kernel<5>,  filter_kernel<6>, filter_kernel<7>, filter_kernel<8>,  filter_kernel<9>,
    filter_kernel<10>, filter_kernel<11>, filter_kernel<12>};
#endif

/** A 64-byte aligned float buffer kept per calling thread and only grown. */
struct Aligned {
  void* raw = nullptr;
  float* p = nullptr;
  int64_t cap = 0;
  float* get(int64_t n) {
    if (n > cap) {
      std::free(raw);
      raw = std::malloc(sizeof(float) * n + 64);
      if (!raw) std::abort();
      p = reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(raw) + 63) & ~static_cast<uintptr_t>(63));
      cap = n;
    }
    return p;
  }
};

/**
 * The shared driver. rowPtrs(row, tap) gives A_t's row (or null for zeros); packB(panel, dst) writes panel `panel` of
 * every B_t as [taps][K][NR], zero-padded past N.
 */
template <typename RowPtr, typename PackB>
void implicit_gemm(int64_t rows, int64_t N, int64_t K, int64_t taps, float* C, RowPtr rowPtr, PackB packB) {
  Pool& pool = Pool::instance();
  const int64_t panels = (N + NR - 1) / NR, panelSize = taps * K * NR;
  static thread_local Aligned bbuf, zbuf;
  float* bp = bbuf.get(panels * panelSize);
  float* zeros = zbuf.get(K + 16);
  std::memset(zeros, 0, sizeof(float) * (K + 16));
  const bool threaded = rows * N * K * taps >= (int64_t(1) << 18);
  pool.run(threaded ? panels : 1, [&](int64_t p) {
    if (threaded) packB(p, bp + p * panelSize);
    else
      for (int64_t q = 0; q < panels; q++) packB(q, bp + q * panelSize);
  });
  const int64_t tiles = (rows + MR - 1) / MR;
  constexpr int64_t kChunk = 8;  // tiles per task: their A rows stay in L2 while every B panel passes over them
  const int64_t tasks = threaded ? (tiles + kChunk - 1) / kChunk : 1;
  const int64_t per = (tiles + tasks - 1) / tasks;
  pool.run(tasks, [&](int64_t task) {
    const int64_t t0 = task * per, t1 = t0 + per < tiles ? t0 + per : tiles;
    if (t0 >= t1) return;
    static thread_local std::vector<const float*> ptrs;
    ptrs.resize(static_cast<size_t>((t1 - t0) * taps * MR));
    for (int64_t tile = t0; tile < t1; tile++) {
      const float** tp = ptrs.data() + (tile - t0) * taps * MR;
      for (int64_t t = 0; t < taps; t++) {
        for (int r = 0; r < MR; r++) {
          const int64_t row = tile * MR + r;
          const float* a = row < rows ? rowPtr(row, t) : nullptr;
          tp[t * MR + r] = a ? a : zeros;
        }
      }
    }
    for (int64_t p = 0; p < panels; p++) {
      const int nr = static_cast<int>(N - p * NR < NR ? N - p * NR : NR);
      for (int64_t tile = t0; tile < t1; tile++) {
        const int mr = static_cast<int>(rows - tile * MR < MR ? rows - tile * MR : MR);
#if LLMAR_X86
        rows_kernel(taps, K, ptrs.data() + (tile - t0) * taps * MR, bp + p * panelSize, C + tile * MR * N + p * NR, N,
                    mr, nr);
#endif
      }
    }
  });
}

}  // namespace

bool conv_implicit_available() { return avx512_selected(); }

void conv_forward_implicit(const ConvShape& s, const float* x, const float* w, float* y) {
  const int64_t taps = s.KH * s.KW, ohw = s.OH * s.OW;
  implicit_gemm(
      s.B * ohw, s.Cout, s.Cin, taps, y,
      [&](int64_t row, int64_t t) -> const float* {
        const int64_t b = row / ohw, rem = row % ohw, oh = rem / s.OW, ow = rem % s.OW;
        const int64_t ih = oh * s.strideH - s.padTop + (t / s.KW) * s.dilH;
        const int64_t iw = ow * s.strideW - s.padLeft + (t % s.KW) * s.dilW;
        if (ih < 0 || ih >= s.H || iw < 0 || iw >= s.W) return nullptr;
        return x + ((b * s.H + ih) * s.W + iw) * s.Cin;
      },
      [&](int64_t p, float* dst) {  // dst[t][ci][j] = w[t][ci][p*NR + j]
        const int64_t j0 = p * NR, nj = s.Cout - j0 < NR ? s.Cout - j0 : NR;
        for (int64_t t = 0; t < taps; t++)
          for (int64_t ci = 0; ci < s.Cin; ci++) {
            float* d = dst + (t * s.Cin + ci) * NR;
            const float* src = w + (t * s.Cin + ci) * s.Cout + j0;
            int64_t j = 0;
            for (; j < nj; j++) d[j] = src[j];
            for (; j < NR; j++) d[j] = 0.f;
          }
      });
}

void conv_backprop_input_implicit(const ConvShape& s, const float* dy, const float* w, float* dx) {
  const int64_t taps = s.KH * s.KW, hw = s.H * s.W;
  implicit_gemm(
      s.B * hw, s.Cin, s.Cout, taps, dx,
      [&](int64_t row, int64_t t) -> const float* {
        const int64_t b = row / hw, rem = row % hw, ih = rem / s.W, iw = rem % s.W;
        const int64_t nh = ih + s.padTop - (t / s.KW) * s.dilH, nw = iw + s.padLeft - (t % s.KW) * s.dilW;
        if (nh < 0 || nw < 0 || nh % s.strideH != 0 || nw % s.strideW != 0) return nullptr;
        const int64_t oh = nh / s.strideH, ow = nw / s.strideW;
        if (oh >= s.OH || ow >= s.OW) return nullptr;
        return dy + ((b * s.OH + oh) * s.OW + ow) * s.Cout;
      },
      [&](int64_t p, float* dst) {  // dst[t][co][j] = w[t][p*NR + j][co], transposed in blocks of 16 co
        const int64_t j0 = p * NR, nj = s.Cin - j0 < NR ? s.Cin - j0 : NR;
        for (int64_t t = 0; t < taps; t++) {
          float* d = dst + t * s.Cout * NR;
          for (int64_t c0 = 0; c0 < s.Cout; c0 += 16) {
            const int64_t nc = s.Cout - c0 < 16 ? s.Cout - c0 : 16;
            for (int64_t j = 0; j < NR; j++) {
              if (j < nj) {
                const float* src = w + (t * s.Cin + j0 + j) * s.Cout + c0;
                for (int64_t c = 0; c < nc; c++) d[(c0 + c) * NR + j] = src[c];
              } else {
                for (int64_t c = 0; c < nc; c++) d[(c0 + c) * NR + j] = 0.f;
              }
            }
          }
        }
      });
}

void conv_backprop_filter_implicit(const ConvShape& s, const float* x, const float* dy, float* dw) {
#if LLMAR_X86
  Pool& pool = Pool::instance();
  const int64_t taps = s.KH * s.KW, ohw = s.OH * s.OW, rows = s.B * ohw;
  const int64_t panels = (s.Cout + NR - 1) / NR, ctiles = (s.Cin + MR - 1) / MR;
  if (rows == 0) {
    std::memset(dw, 0, sizeof(float) * taps * s.Cin * s.Cout);
    return;
  }
  // K (= rows) in blocks, so a packed dy panel block stays in L2 and each block adds into dw
  constexpr int64_t kKB = 2048;
  static thread_local Aligned gbuf, zbuf;
  static thread_local std::vector<const float*> ptrs;
  const int64_t kb = rows < kKB ? rows : kKB;
  float* gp = gbuf.get(panels * kb * NR);
  float* zeros = zbuf.get(s.Cin + 16);
  std::memset(zeros, 0, sizeof(float) * (s.Cin + 16));
  ptrs.resize(static_cast<size_t>(taps * kb));
  const float** P = ptrs.data();  // (a thread_local named inside the pool's tasks would be each worker's own, empty one)
  const bool threaded = rows * s.Cin * s.Cout * taps >= (int64_t(1) << 18);
  for (int64_t r0 = 0; r0 < rows; r0 += kb) {
    const int64_t nk = rows - r0 < kb ? rows - r0 : kb;
    // pointers: ptrs[t][k] = the input pixel row r0 + k reads through tap t (or zeros)
    for (int64_t t = 0; t < taps; t++) {
      const int64_t th = t / s.KW, tw = t % s.KW;
      for (int64_t k = 0; k < nk; k++) {
        const int64_t row = r0 + k, b = row / ohw, rem = row % ohw, oh = rem / s.OW, ow = rem % s.OW;
        const int64_t ih = oh * s.strideH - s.padTop + th * s.dilH, iw = ow * s.strideW - s.padLeft + tw * s.dilW;
        P[t * kb + k] = (ih < 0 || ih >= s.H || iw < 0 || iw >= s.W) ? zeros : x + ((b * s.H + ih) * s.W + iw) * s.Cin;
      }
    }
    pool.run(threaded ? panels : 1, [&](int64_t p0) {  // pack dy rows [r0, r0 + nk) into [panel][k][NR]
      for (int64_t p = threaded ? p0 : 0; p < (threaded ? p0 + 1 : panels); p++) {
        const int64_t j0 = p * NR, nj = s.Cout - j0 < NR ? s.Cout - j0 : NR;
        float* d = gp + p * kb * NR;
        for (int64_t k = 0; k < nk; k++) {
          const float* src = dy + (r0 + k) * s.Cout + j0;
          int64_t j = 0;
          for (; j < nj; j++) d[k * NR + j] = src[j];
          for (; j < NR; j++) d[k * NR + j] = 0.f;
        }
      }
    });
    const bool acc = r0 > 0;
    const int64_t tasks = taps * ctiles * panels;
    pool.run(threaded ? tasks : 1, [&](int64_t task0) {
      for (int64_t task = threaded ? task0 : 0; task < (threaded ? task0 + 1 : tasks); task++) {
        const int64_t p = task / (taps * ctiles), rem = task % (taps * ctiles), t = rem / ctiles, ct = rem % ctiles;
        const int64_t c0 = ct * MR, mr = s.Cin - c0 < MR ? s.Cin - c0 : MR;
        const int nr = static_cast<int>(s.Cout - p * NR < NR ? s.Cout - p * NR : NR);
        kFilterKernels[mr](nk, P + t * kb, c0, gp + p * kb * NR, dw + (t * s.Cin + c0) * s.Cout + p * NR, s.Cout,
                           nr, acc);
      }
    });
  }
#else
  (void)s, (void)x, (void)dy, (void)dw;
#endif
}

}  // namespace llmar
