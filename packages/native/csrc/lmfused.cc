#include "lmfused.h"

#include <cmath>

#include "pool.h"
#include "simd.h"
#include "vexp.h"

namespace llmar {

namespace {

const bool kHas512 =
#if LLMAR_X86
    cpu_has_avx512();
#else
    false;
#endif

/** fn(begin, end) over [0, n) in about 2 chunks per thread (one chunk when n < min_parallel). */
template <class F>
void chunks(int64_t n, int64_t min_parallel, F fn) {
  Pool& pool = Pool::instance();
  const int64_t tasks = n < min_parallel ? 1 : 2 * pool.size();
  const int64_t per = (n + tasks - 1) / tasks;
  pool.run(tasks, [&](int64_t t) {
    const int64_t a = t * per, b = a + per < n ? a + per : n;
    if (a < b) fn(a, b);
  });
}

constexpr int64_t kMinParallel = int64_t(1) << 16;

inline float sigmoid1(float g) { return 1.f / (1.f + std::exp(-g)); }

#if LLMAR_X86
LLMAR_TARGET_AVX512 inline __mmask16 tail(int64_t left) {
  return left >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << left) - 1u);
}
LLMAR_TARGET_AVX512 inline __m512 sigmoid512(__m512 g) {
  const __m512 one = _mm512_set1_ps(1.f);
  return _mm512_div_ps(one, _mm512_add_ps(one, exp512(_mm512_sub_ps(_mm512_setzero_ps(), g))));
}
LLMAR_TARGET_AVX512 void swiglu_fwd512(const float* g, const float* u, int64_t a, int64_t b, float* out) {
  for (int64_t i = a; i < b; i += 16) {
    const __mmask16 m = tail(b - i);
    const __m512 gv = _mm512_maskz_loadu_ps(m, g + i);
    const __m512 s = sigmoid512(gv);
    _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(_mm512_mul_ps(gv, s), _mm512_maskz_loadu_ps(m, u + i)));
  }
}
LLMAR_TARGET_AVX512 void swiglu_bwd512(const float* g, const float* u, const float* dy, int64_t a, int64_t b, float* dg,
                                       float* du) {
  const __m512 one = _mm512_set1_ps(1.f);
  for (int64_t i = a; i < b; i += 16) {
    const __mmask16 m = tail(b - i);
    const __m512 gv = _mm512_maskz_loadu_ps(m, g + i), dv = _mm512_maskz_loadu_ps(m, dy + i);
    const __m512 s = sigmoid512(gv);
    const __m512 dsilu = _mm512_mul_ps(s, _mm512_fmadd_ps(gv, _mm512_sub_ps(one, s), one));
    _mm512_mask_storeu_ps(dg + i, m, _mm512_mul_ps(_mm512_mul_ps(dv, _mm512_maskz_loadu_ps(m, u + i)), dsilu));
    _mm512_mask_storeu_ps(du + i, m, _mm512_mul_ps(dv, _mm512_mul_ps(gv, s)));
  }
}
#endif

}  // namespace

void swiglu_forward(const float* g, const float* u, int64_t n, float* out) {
  chunks(n, kMinParallel, [&](int64_t a, int64_t b) {
#if LLMAR_X86
    if (kHas512) return swiglu_fwd512(g, u, a, b, out);
#endif
    for (int64_t i = a; i < b; i++) out[i] = g[i] * sigmoid1(g[i]) * u[i];
  });
}

void swiglu_backward(const float* g, const float* u, const float* dy, int64_t n, float* dg, float* du) {
  chunks(n, kMinParallel, [&](int64_t a, int64_t b) {
#if LLMAR_X86
    if (kHas512) return swiglu_bwd512(g, u, dy, a, b, dg, du);
#endif
    for (int64_t i = a; i < b; i++) {
      const float s = sigmoid1(g[i]);
      dg[i] = dy[i] * u[i] * (s * (1.f + g[i] * (1.f - s)));
      du[i] = dy[i] * (g[i] * s);
    }
  });
}

void rmsnorm_forward(const float* x, const float* w, int64_t rows, int64_t d, double eps, float* y, float* r) {
  chunks(rows, d > 0 ? kMinParallel / d + 1 : rows + 1, [&](int64_t a, int64_t b) {
    for (int64_t i = a; i < b; i++) {
      const float* xr = x + i * d;
      double ss = 0;
      for (int64_t j = 0; j < d; j++) ss += static_cast<double>(xr[j]) * xr[j];
      const float ri = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(d) + eps));
      r[i] = ri;
      float* yr = y + i * d;
      for (int64_t j = 0; j < d; j++) yr[j] = xr[j] * ri * w[j];
    }
  });
}

void rmsnorm_backward(const float* x, const float* w, const float* r, const float* dy, int64_t rows, int64_t d, float* dx) {
  chunks(rows, d > 0 ? kMinParallel / d + 1 : rows + 1, [&](int64_t a, int64_t b) {
    for (int64_t i = a; i < b; i++) {
      const float *xr = x + i * d, *dr = dy + i * d;
      double m = 0;
      for (int64_t j = 0; j < d; j++) m += static_cast<double>(dr[j]) * w[j] * xr[j];
      const float ri = r[i];
      const float c = static_cast<float>(static_cast<double>(ri) * ri * ri * m / static_cast<double>(d));
      float* o = dx + i * d;
      for (int64_t j = 0; j < d; j++) o[j] = ri * (dr[j] * w[j]) - xr[j] * c;
    }
  });
}

}  // namespace llmar
