#include "softmax.h"

#include <cmath>

#include "pool.h"
#include "simd.h"
#include "vexp.h"
#include "xent.h"

namespace llmar {

/** fn(lo, hi) over rows [0, rows), split over the pool when there are at least 2^16 values. */
template <typename F>
static void over_rows(int64_t rows, int64_t S, F fn) {
  Pool& pool = Pool::instance();
  const int64_t tasks = rows * S < (int64_t(1) << 16) ? 1 : pool.size() * 4;
  const int64_t per = (rows + tasks - 1) / tasks;
  pool.run(tasks, [&](int64_t t) {
    const int64_t lo = t * per, hi = lo + per < rows ? lo + per : rows;
    if (lo < hi) fn(lo, hi);
  });
}

/** The bias row of row r of x (null without bias). */
static inline const float* bias_row(const SoftmaxShape& s, const float* bias, int64_t r) {
  if (!bias || s.biasB == 0) return nullptr;
  const int64_t b = r / (s.H * s.T), i = r % s.T;
  return bias + ((s.biasB == 1 ? 0 : b) * s.T + i) * s.S;
}

/** y = softmax(x + bias row) over S values, portable: the biased row, then xent.h's softmax_row in place. */
static void softmax_row_portable(const float* x, const float* br, float* y, int64_t S) {
  for (int64_t j = 0; j < S; j++) y[j] = br ? x[j] + br[j] : x[j];
  softmax_row(y, S, y);
}

#if LLMAR_X86
/** exp(v) for v <= 0, with results under FLT_MIN (v < -87.3, e.g. a -1e9 mask) flushed to exactly 0. */
LLMAR_TARGET_AVX512 static inline __m512 exp_nonpos(__m512 v) {
  const __mmask16 tiny = _mm512_cmp_ps_mask(v, _mm512_set1_ps(-87.3f), _CMP_LT_OQ);
  return _mm512_mask_mov_ps(exp512(v), tiny, _mm512_setzero_ps());
}

LLMAR_TARGET_AVX512 static void softmax_row_avx512(const float* x, const float* br, float* y, int64_t S) {
  __m512 vm = _mm512_set1_ps(-INFINITY);
  int64_t j = 0;
  for (; j + 16 <= S; j += 16) {
    __m512 v = _mm512_loadu_ps(x + j);
    if (br) v = _mm512_add_ps(v, _mm512_loadu_ps(br + j));
    _mm512_storeu_ps(y + j, v);
    vm = _mm512_max_ps(vm, v);
  }
  const __mmask16 tail = static_cast<__mmask16>((1u << (S - j)) - 1u);
  if (j < S) {
    __m512 v = _mm512_maskz_loadu_ps(tail, x + j);
    if (br) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(tail, br + j));
    _mm512_mask_storeu_ps(y + j, tail, v);
    vm = _mm512_mask_max_ps(vm, tail, vm, v);
  }
  const __m512 m = _mm512_set1_ps(_mm512_reduce_max_ps(vm));
  __m512 vs = _mm512_setzero_ps();
  for (j = 0; j + 16 <= S; j += 16) {
    const __m512 e = exp_nonpos(_mm512_sub_ps(_mm512_loadu_ps(y + j), m));
    _mm512_storeu_ps(y + j, e);
    vs = _mm512_add_ps(vs, e);
  }
  if (j < S) {
    const __m512 e = _mm512_maskz_mov_ps(tail, exp_nonpos(_mm512_sub_ps(_mm512_maskz_loadu_ps(tail, y + j), m)));
    _mm512_mask_storeu_ps(y + j, tail, e);
    vs = _mm512_add_ps(vs, e);
  }
  const __m512 inv = _mm512_set1_ps(1.f / _mm512_reduce_add_ps(vs));
  for (j = 0; j + 16 <= S; j += 16) _mm512_storeu_ps(y + j, _mm512_mul_ps(_mm512_loadu_ps(y + j), inv));
  if (j < S) _mm512_mask_storeu_ps(y + j, tail, _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, y + j), inv));
}

LLMAR_TARGET_AVX512 static void softmax_grad_row_avx512(const float* y, const float* dy, float* dx, int64_t S) {
  __m512 vs = _mm512_setzero_ps();
  int64_t j = 0;
  for (; j + 16 <= S; j += 16) vs = _mm512_fmadd_ps(_mm512_loadu_ps(y + j), _mm512_loadu_ps(dy + j), vs);
  const __mmask16 tail = static_cast<__mmask16>((1u << (S - j)) - 1u);
  if (j < S) vs = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, y + j), _mm512_maskz_loadu_ps(tail, dy + j), vs);
  const __m512 d = _mm512_set1_ps(_mm512_reduce_add_ps(vs));
  for (j = 0; j + 16 <= S; j += 16) {
    _mm512_storeu_ps(dx + j, _mm512_mul_ps(_mm512_loadu_ps(y + j), _mm512_sub_ps(_mm512_loadu_ps(dy + j), d)));
  }
  if (j < S) {
    _mm512_mask_storeu_ps(dx + j, tail, _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, y + j), _mm512_sub_ps(_mm512_maskz_loadu_ps(tail, dy + j), d)));
  }
}
static const bool g_avx512 = cpu_has_avx512();
#endif

void softmax_bias_row(const float* x, const float* br, float* y, int64_t S) {
#if LLMAR_X86
  if (g_avx512) {
    softmax_row_avx512(x, br, y, S);
    return;
  }
#endif
  softmax_row_portable(x, br, y, S);
}

void softmax_grad_row(const float* y, const float* dy, float* dx, int64_t S) {
#if LLMAR_X86
  if (g_avx512) {
    softmax_grad_row_avx512(y, dy, dx, S);
    return;
  }
#endif
  double d = 0;
  for (int64_t j = 0; j < S; j++) d += static_cast<double>(y[j]) * dy[j];
  const float df = static_cast<float>(d);
  for (int64_t j = 0; j < S; j++) dx[j] = y[j] * (dy[j] - df);
}

void softmax_bias(const SoftmaxShape& s, const float* x, const float* bias, float* y) {
  const int64_t rows = s.B * s.H * s.T;
  over_rows(rows, s.S, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; r++) softmax_bias_row(x + r * s.S, bias_row(s, bias, r), y + r * s.S, s.S);
  });
}

void softmax_grad(int64_t rows, int64_t S, const float* y, const float* dy, float* dx) {
  over_rows(rows, S, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; r++) softmax_grad_row(y + r * S, dy + r * S, dx + r * S, S);
  });
}

}  // namespace llmar
