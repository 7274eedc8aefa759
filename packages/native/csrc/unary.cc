#include "unary.h"

#include <cmath>

#include "pool.h"
#include "simd.h"
#include "vexp.h"

namespace llmar {

#if LLMAR_X86
/**
 * exp of 16 lanes with IEEE special values: exp512 clamps its input from below with max (which also turns NaN into a
 * number) and gives NaN for +inf, so inputs above 88.8 are clamped to 88.8 (the result overflows to +inf), results under
 * FLT_MIN (x < -87.3) are flushed to 0, and NaN lanes are passed through.
 */
LLMAR_TARGET_AVX512 static inline __m512 exp16(__m512 v) {
  const __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
  const __mmask16 tiny = _mm512_cmp_ps_mask(v, _mm512_set1_ps(-87.3f), _CMP_LT_OQ);
  const __m512 e = exp512(_mm512_min_ps(v, _mm512_set1_ps(88.8f)));
  return _mm512_mask_mov_ps(_mm512_mask_mov_ps(e, tiny, _mm512_setzero_ps()), nan, v);
}

LLMAR_TARGET_AVX512 static void exp_avx512(const float* x, float* out, int64_t lo, int64_t hi) {
  int64_t i = lo;
  for (; i + 16 <= hi; i += 16) _mm512_storeu_ps(out + i, exp16(_mm512_loadu_ps(x + i)));
  if (i < hi) {
    const __mmask16 m = static_cast<__mmask16>((1u << (hi - i)) - 1u);
    _mm512_mask_storeu_ps(out + i, m, exp16(_mm512_maskz_loadu_ps(m, x + i)));
  }
}
/**
 * log of 16 lanes: x = m·2^e with m in [0.75, 1.5) (getmant/getexp, exact, denormals included), then
 * log m = 2 atanh(s), s = (m − 1)/(m + 1) in [−1/7, 1/5], by its odd series to s^11 (truncation < 2e-9 relative).
 * Special values: log ±0 = −inf and log inf = inf by mask; negative, −inf or NaN give NaN (getmant's NaN).
 */
LLMAR_TARGET_AVX512 static inline __m512 log16(__m512 x) {
  const __m512 m = _mm512_getmant_ps(x, _MM_MANT_NORM_p75_1p5, _MM_MANT_SIGN_nan);
  // getmant halves significands >= 1.5 into [0.75, 1): their exponent is getexp + 1
  __m512 e = _mm512_getexp_ps(x);
  e = _mm512_mask_add_ps(e, _mm512_cmp_ps_mask(m, _mm512_set1_ps(1.f), _CMP_LT_OQ), e, _mm512_set1_ps(1.f));
  const __m512 s = _mm512_div_ps(_mm512_sub_ps(m, _mm512_set1_ps(1.f)), _mm512_add_ps(m, _mm512_set1_ps(1.f)));
  const __m512 s2 = _mm512_mul_ps(s, s);
  __m512 p = _mm512_set1_ps(2.f / 11.f);
  p = _mm512_fmadd_ps(p, s2, _mm512_set1_ps(2.f / 9.f));
  p = _mm512_fmadd_ps(p, s2, _mm512_set1_ps(2.f / 7.f));
  p = _mm512_fmadd_ps(p, s2, _mm512_set1_ps(2.f / 5.f));
  p = _mm512_fmadd_ps(p, s2, _mm512_set1_ps(2.f / 3.f));
  p = _mm512_fmadd_ps(p, s2, _mm512_set1_ps(2.f));
  const __m512 lm = _mm512_mul_ps(p, s);
  // e·ln 2 in two parts (hi exact in float for |e| < 2^10) so that lm is not swamped for large |e|
  const __m512 r = _mm512_fmadd_ps(e, _mm512_set1_ps(-2.12194440e-4f), lm);
  const __m512 y = _mm512_fmadd_ps(e, _mm512_set1_ps(0.693359375f), r);
  // ±0 and +inf (e = ∓inf above would give inf − inf): fpclass 0x06 = ±0, 0x08 = +inf
  const __m512 inf = _mm512_set1_ps(__builtin_inff());
  return _mm512_mask_mov_ps(_mm512_mask_mov_ps(y, _mm512_fpclass_ps_mask(x, 0x06), _mm512_sub_ps(_mm512_setzero_ps(), inf)),
                            _mm512_fpclass_ps_mask(x, 0x08), inf);
}

LLMAR_TARGET_AVX512 static void log_avx512(const float* x, float* out, int64_t lo, int64_t hi) {
  int64_t i = lo;
  for (; i + 16 <= hi; i += 16) _mm512_storeu_ps(out + i, log16(_mm512_loadu_ps(x + i)));
  if (i < hi) {
    const __mmask16 m = static_cast<__mmask16>((1u << (hi - i)) - 1u);
    _mm512_mask_storeu_ps(out + i, m, log16(_mm512_mask_loadu_ps(_mm512_set1_ps(1.f), m, x + i)));
  }
}
static const bool g_avx512 = cpu_has_avx512();
#endif

/** A vector loop over [lo, hi) (null where there is none). */
using VecFn = void (*)(const float*, float*, int64_t, int64_t);
#if LLMAR_X86
static const VecFn kExpVec = exp_avx512, kLogVec = log_avx512;
#else
static const VecFn kExpVec = nullptr, kLogVec = nullptr;
#endif

/** out[i] = f(x[i]) over [lo, hi): the AVX-512 loop `vec` when the CPU has it, else `scalar` inlined (glibc). */
template <typename Scalar>
static void map_range(VecFn vec, Scalar scalar, const float* x, float* out, int64_t lo, int64_t hi) {
#if LLMAR_X86
  if (g_avx512) {
    vec(x, out, lo, hi);
    return;
  }
#else
  (void)vec;
#endif
  for (int64_t i = lo; i < hi; i++) out[i] = scalar(x[i]);
}

void unary(UnaryOp op, const float* x, float* out, int64_t n) {
  Pool& pool = Pool::instance();
  const int64_t tasks = n < (int64_t(1) << 15) ? 1 : pool.size() * 2;
  const int64_t per = ((n + tasks - 1) / tasks + 15) / 16 * 16;
  pool.run(tasks, [&](int64_t t) {
    const int64_t lo = t * per, hi = lo + per < n ? lo + per : n;
    if (lo >= hi) return;
    switch (op) {
      case kExp: map_range(kExpVec, [](float v) { return std::exp(v); }, x, out, lo, hi); break;  // glibc expf: 1 ulp
      case kLog: map_range(kLogVec, [](float v) { return std::log(v); }, x, out, lo, hi); break;
    }
  });
}

}  // namespace llmar
