#include "xent.h"

#include <cmath>
#include <limits>

#include "pool.h"
#include "simd.h"
#include "vexp.h"

namespace llmar {

double softmax_row(const float* x, int64_t v, float* out) {
  float mx = -std::numeric_limits<float>::infinity();
  for (int64_t j = 0; j < v; j++) mx = x[j] > mx ? x[j] : mx;
  double sum = 0;
  for (int64_t j = 0; j < v; j++) {
    out[j] = std::exp(x[j] - mx);
    sum += out[j];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t j = 0; j < v; j++) out[j] *= inv;
  return static_cast<double>(mx) + std::log(sum);
}

namespace {

// Row kernels: max of the row, then e = exp(x - max) into out with their sum, then out *= 1 / sum (exp: vexp.h).

#if LLMAR_X86
LLMAR_TARGET_AVX512 static double row_avx512(const float* x, int64_t v, float* out) {
  __m512 m = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  int64_t j = 0;
  for (; j + 16 <= v; j += 16) m = _mm512_max_ps(m, _mm512_loadu_ps(x + j));
  if (j < v) m = _mm512_max_ps(m, _mm512_mask_loadu_ps(m, static_cast<__mmask16>((1u << (v - j)) - 1u), x + j));
  const float mx = _mm512_reduce_max_ps(m);
  const __m512 vm = _mm512_set1_ps(mx);
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  j = 0;
  for (; j + 32 <= v; j += 32) {
    const __m512 e0 = exp512(_mm512_sub_ps(_mm512_loadu_ps(x + j), vm));
    const __m512 e1 = exp512(_mm512_sub_ps(_mm512_loadu_ps(x + j + 16), vm));
    _mm512_storeu_ps(out + j, e0);
    _mm512_storeu_ps(out + j + 16, e1);
    s0 = _mm512_add_ps(s0, e0);
    s1 = _mm512_add_ps(s1, e1);
  }
  for (; j < v; j += 16) {
    const __mmask16 k = v - j >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (v - j)) - 1u);
    const __m512 e = _mm512_maskz_mov_ps(k, exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + j), vm)));
    _mm512_mask_storeu_ps(out + j, k, e);
    s0 = _mm512_add_ps(s0, e);
  }
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, _mm512_add_ps(s0, s1));
  double sum = 0;
  for (int i = 0; i < 16; i++) sum += lanes[i];
  const __m512 inv = _mm512_set1_ps(static_cast<float>(1.0 / sum));
  j = 0;
  for (; j + 16 <= v; j += 16) _mm512_storeu_ps(out + j, _mm512_mul_ps(_mm512_loadu_ps(out + j), inv));
  if (j < v) {
    const __mmask16 k = static_cast<__mmask16>((1u << (v - j)) - 1u);
    _mm512_mask_storeu_ps(out + j, k, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, out + j), inv));
  }
  return static_cast<double>(mx) + std::log(sum);
}

LLMAR_TARGET_AVX2 static double row_avx2(const float* x, int64_t v, float* out) {
  float mx = -std::numeric_limits<float>::infinity();
  __m256 m = _mm256_set1_ps(mx);
  int64_t j = 0;
  for (; j + 8 <= v; j += 8) m = _mm256_max_ps(m, _mm256_loadu_ps(x + j));
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, m);
  for (int i = 0; i < 8; i++) mx = lanes[i] > mx ? lanes[i] : mx;
  for (int64_t t = j; t < v; t++) mx = x[t] > mx ? x[t] : mx;
  const __m256 vm = _mm256_set1_ps(mx);
  __m256 s = _mm256_setzero_ps();
  for (j = 0; j + 8 <= v; j += 8) {
    const __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(x + j), vm));
    _mm256_storeu_ps(out + j, e);
    s = _mm256_add_ps(s, e);
  }
  _mm256_store_ps(lanes, s);
  double sum = 0;
  for (int i = 0; i < 8; i++) sum += lanes[i];
  for (int64_t t = j; t < v; t++) {
    out[t] = std::exp(x[t] - mx);
    sum += out[t];
  }
  const float inv = static_cast<float>(1.0 / sum);
  const __m256 vinv = _mm256_set1_ps(inv);
  for (j = 0; j + 8 <= v; j += 8) _mm256_storeu_ps(out + j, _mm256_mul_ps(_mm256_loadu_ps(out + j), vinv));
  for (int64_t t = j; t < v; t++) out[t] *= inv;
  return static_cast<double>(mx) + std::log(sum);
}
#endif

typedef double (*RowFn)(const float*, int64_t, float*);

RowFn pick_row() {
#if LLMAR_X86
  if (cpu_has_avx512()) return row_avx512;
  if (cpu_has_avx2_fma()) return row_avx2;
#endif
  return softmax_row;
}

}  // namespace

void softmax_xent(const float* logits, const int32_t* targets, int64_t n, int64_t v, float* grad, float* nll) {
  if (n <= 0) return;
  static const RowFn row = pick_row();
  Pool& pool = Pool::instance();
  const int64_t tasks = n * v < (int64_t(1) << 16) ? 1 : (n < 4 * pool.size() ? n : 4 * pool.size());
  const int64_t per = (n + tasks - 1) / tasks;
  pool.run(tasks, [&](int64_t t) {
    const int64_t r1 = (t + 1) * per < n ? (t + 1) * per : n;
    for (int64_t i = t * per; i < r1; i++) {
      const float* x = logits + i * v;
      float* g = grad + i * v;
      const int32_t tg = targets[i];
      if (v <= 0) {
        nll[i] = std::numeric_limits<float>::quiet_NaN();
        continue;
      }
      const double lse = row(x, v, g);
      if (tg >= 0 && tg < v) {
        nll[i] = static_cast<float>(lse - static_cast<double>(x[tg]));
        g[tg] -= 1.f;
      } else {
        nll[i] = std::numeric_limits<float>::quiet_NaN();
      }
    }
  });
}

}  // namespace llmar
