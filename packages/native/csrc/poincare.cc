#include "poincare.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "gemm.h"
#include "pool.h"
#include "simd.h"

namespace llmar {

namespace {

/** Constants shared by every path (float copies of the double parameters). */
struct Consts {
  float c, c2, inv_sqrt_c, kk, floor, min_norm, rmax;
};
constexpr double kMinNorm = 1e-15;         // @llmar/hyperbolic MIN_NORM
constexpr double kFloor = 1e-30;           // MIN_NORM², the floor of c‖x − y‖²
constexpr double kZMax = 1.0 - 1e-6;       // 1 − ARTANH_EPS32
const double kRMax = (1 + kZMax) / (1 - kZMax);  // (1 + z)/(1 − z) at the clamp

Consts make_consts(double c) {
  return {static_cast<float>(c), static_cast<float>(c * c), static_cast<float>(1 / std::sqrt(c)),
          static_cast<float>(2 / std::sqrt(c)), static_cast<float>(kFloor), static_cast<float>(kMinNorm),
          static_cast<float>(kRMax)};
}

// ---- portable path: the same formulas in double with std::log (also the reference for the SIMD paths' structure) ----
struct Scalar {
  double sc, den, scf, z, uu, omq;
  bool sOk, dOk, clamped;
  double dist;
};

Scalar scalar_lane(double p, double a2, double b2, double ua, double ub, double c) {
  Scalar s;
  s.sc = c * (a2 + b2 - 2 * p);
  s.uu = ua * ub;
  const double denr = s.uu + s.sc;
  s.dOk = denr > kMinNorm;
  s.sOk = s.sc > kFloor;
  s.den = s.dOk ? denr : kMinNorm;
  s.scf = s.sOk ? s.sc : kFloor;
  s.z = std::sqrt(s.scf / s.den);
  s.clamped = !(s.z < kZMax);
  const double z = s.clamped ? kZMax : s.z;
  s.dist = std::log1p(2 * z / (1 - z)) / std::sqrt(c);
  s.omq = s.uu > 0 ? s.uu / s.den : 1 - s.scf / s.den;
  return s;
}

void fwd_rows_scalar(const float* xy, const float* x2, const float* y2, int64_t r0, int64_t r1, int64_t m, double c,
                     float* out) {
  for (int64_t i = r0; i < r1; i++) {
    const double ua = 1 - c * x2[i];
    for (int64_t j = 0; j < m; j++)
      out[i * m + j] = static_cast<float>(scalar_lane(xy[i * m + j], x2[i], y2[j], ua, 1 - c * y2[j], c).dist);
  }
}

void bwd_rows_scalar(const float* xy, const float* x2, const float* y2, const float* g, int64_t r0, int64_t r1, int64_t m,
                     double c, float* gxy, double* col, float* gx2) {
  const double k = 2 / std::sqrt(c);
  for (int64_t i = r0; i < r1; i++) {
    const double ua = 1 - c * x2[i];
    double acc = 0;
    for (int64_t j = 0; j < m; j++) {
      const Scalar s = scalar_lane(xy[i * m + j], x2[i], y2[j], ua, 1 - c * y2[j], c);
      const double gq = s.clamped ? 0 : g[i * m + j] * k / (2 * s.z * s.omq);
      const double gsc = s.sOk ? gq / s.den : 0;
      const double gden = s.dOk ? -gq * s.scf / (s.den * s.den) : 0;
      gxy[i * m + j] = static_cast<float>(-2 * c * (gsc + gden));
      acc += c * gsc + c * c * y2[j] * gden;
      col[j] += c * gsc + c * c * x2[i] * gden;
    }
    gx2[i] = static_cast<float>(acc);
  }
}

}  // namespace

#if LLMAR_X86 && defined(__GNUC__) && !defined(__clang__)
#define LLMAR_POINCARE_SIMD 1
#pragma GCC push_options
#pragma GCC target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")
namespace p512 {
typedef float F __attribute__((vector_size(64)));
typedef int32_t I __attribute__((vector_size(64)));
constexpr int W = 16;
static inline F vsqrt(F v) { return _mm512_mask_sqrt_ps(v, 0xFFFF, v); }  // (the unmasked form warns in GCC 12)
#include "poincare_body.inc"
}  // namespace p512
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx2,fma")
namespace p256 {
typedef float F __attribute__((vector_size(32)));
typedef int32_t I __attribute__((vector_size(32)));
constexpr int W = 8;
static inline F vsqrt(F v) { return _mm256_sqrt_ps(v); }
#include "poincare_body.inc"
}  // namespace p256
#pragma GCC pop_options
#else
#define LLMAR_POINCARE_SIMD 0
#endif

namespace {

/** 0 portable, 1 AVX2, 2 AVX-512: follows the GEMM's micro-kernel choice (LLMAR_NATIVE_SIMD, setSimd). */
int level() {
#if LLMAR_POINCARE_SIMD
  const char* s = simd_name();
  if (std::strcmp(s, "avx512") == 0) return 2;
  if (std::strcmp(s, "avx2") == 0) return 1;
#endif
  return 0;
}

/** Row blocks: about 4 per thread, at least 16 rows, one block for small problems. */
int64_t rows_per_task(int64_t n, int64_t m) {
  const int64_t threads = Pool::instance().size();
  if (n * m < (int64_t(1) << 15) || threads <= 1) return n;
  int64_t per = (n + 4 * threads - 1) / (4 * threads);
  return per < 16 ? 16 : per;
}

}  // namespace

void poincare_pairwise(const float* xy, const float* x2, const float* y2, int64_t n, int64_t m, double c, float* out) {
  if (n <= 0 || m <= 0) return;
  const int lv = level();
  const Consts k = make_consts(c);
  std::vector<float> ub(static_cast<size_t>(m));
  for (int64_t j = 0; j < m; j++) ub[j] = static_cast<float>(1 - c * y2[j]);
  const int64_t per = rows_per_task(n, m);
  Pool::instance().run((n + per - 1) / per, [&](int64_t t) {
    const int64_t r0 = t * per, r1 = r0 + per < n ? r0 + per : n;
    if (lv == 0) return fwd_rows_scalar(xy, x2, y2, r0, r1, m, c, out);
    for (int64_t i = r0; i < r1; i++) {
      const float a2 = x2[i], ua = static_cast<float>(1 - c * x2[i]);
#if LLMAR_POINCARE_SIMD
      if (lv == 2) p512::fwd_row(xy + i * m, y2, ub.data(), a2, ua, m, k, out + i * m);
      else p256::fwd_row(xy + i * m, y2, ub.data(), a2, ua, m, k, out + i * m);
#else
      (void)a2, (void)ua, (void)k;
#endif
    }
  });
}

void poincare_pairwise_grad(const float* xy, const float* x2, const float* y2, const float* g, int64_t n, int64_t m,
                            double c, float* gxy, float* gx2, float* gy2) {
  if (m <= 0) return;
  if (n <= 0) {
    std::memset(gy2, 0, sizeof(float) * static_cast<size_t>(m));
    return;
  }
  const int lv = level();
  const Consts k = make_consts(c);
  std::vector<float> ub(static_cast<size_t>(m));
  for (int64_t j = 0; j < m; j++) ub[j] = static_cast<float>(1 - c * y2[j]);
  const int64_t per = rows_per_task(n, m);
  const int64_t tasks = (n + per - 1) / per;
  std::vector<double> cols(static_cast<size_t>(tasks * m), 0.0);  // per-task column sums, added up in double
  Pool::instance().run(tasks, [&](int64_t t) {
    const int64_t r0 = t * per, r1 = r0 + per < n ? r0 + per : n;
    double* col = cols.data() + t * m;
    if (lv == 0) return bwd_rows_scalar(xy, x2, y2, g, r0, r1, m, c, gxy, col, gx2);
    std::vector<float> colf(static_cast<size_t>(m), 0.f);  // float partial sums over at most 16 rows at a time
    for (int64_t i = r0; i < r1; i++) {
      const float a2 = x2[i], ua = static_cast<float>(1 - c * x2[i]);
      const int64_t o = i * m;
#if LLMAR_POINCARE_SIMD
      if (lv == 2) p512::bwd_row(xy + o, y2, ub.data(), g + o, a2, ua, m, k, gxy + o, colf.data(), gx2 + i);
      else p256::bwd_row(xy + o, y2, ub.data(), g + o, a2, ua, m, k, gxy + o, colf.data(), gx2 + i);
#else
      (void)a2, (void)ua, (void)o, (void)k;
#endif
      if ((i - r0) % 16 == 15 || i == r1 - 1) {
        for (int64_t j = 0; j < m; j++) col[j] += colf[j];
        std::fill(colf.begin(), colf.end(), 0.f);
      }
    }
  });
  for (int64_t j = 0; j < m; j++) {
    double s = 0;
    for (int64_t t = 0; t < tasks; t++) s += cols[t * m + j];
    gy2[j] = static_cast<float>(s);
  }
}

}  // namespace llmar
