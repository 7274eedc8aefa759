#include "adamw.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "gemm.h"
#include "pool.h"
#include "simd.h"

namespace llmar {

namespace {
constexpr int64_t kPiece = int64_t(1) << 15;  // values per task

struct Piece {
  int64_t var, lo, hi;
};

/** Constants of the update of one variable. */
struct Update {
  float scale, factor, b1, b2, c1, c2, eps, decay, step, bc2;
  bool clip;
};

/** Sum of squares of g[lo, hi) * scale, in double. */
double sq_scalar(const float* g, float scale, int64_t lo, int64_t hi) {
  double s0 = 0, s1 = 0;
  int64_t j = lo;
  for (; j + 1 < hi; j += 2) {
    const float a = g[j] * scale, b = g[j + 1] * scale;
    s0 += static_cast<double>(a) * a;
    s1 += static_cast<double>(b) * b;
  }
  for (; j < hi; j++) {
    const float a = g[j] * scale;
    s0 += static_cast<double>(a) * a;
  }
  return s0 + s1;
}

/** The update of values [lo, hi), in float32 and in the order of llm-lora's tensor ops. */
void update_scalar(const Update& u, const float* __restrict g, const float* __restrict p, const float* mi,
                   const float* vi, float* mo, float* vo, float* __restrict po,
                   int64_t lo, int64_t hi) {
  for (int64_t j = lo; j < hi; j++) {
    float gr = g[j] * u.scale;
    if (u.clip) gr = gr * u.factor;
    const float m1 = mi[j] * u.b1 + gr * u.c1;
    const float v1 = vi[j] * u.b2 + (gr * gr) * u.c2;
    mo[j] = m1;
    vo[j] = v1;
    const float adam = (m1 / (std::sqrt(v1) / u.bc2 + u.eps)) * u.step;
    const float upd = u.decay != 0.f ? adam + p[j] * u.decay : adam;
    po[j] = p[j] - upd;
  }
}

#if LLMAR_X86
// The same arithmetic 16 lanes at a time (the scalar loop above compiles to one value at a time: without -march the
// compiler may not vectorise sqrt and division, ~10 cycles a value). Products and sums stay separate roundings (no FMA
// contraction), so both paths give the same bits; the norm's double sums only differ in their order.
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
LLMAR_TARGET_AVX512 double sq_avx512(const float* g, float scale, int64_t lo, int64_t hi) {
  const __m512 s = _mm512_set1_ps(scale);
  __m512d a0 = _mm512_setzero_pd(), a1 = _mm512_setzero_pd();
  int64_t j = lo;
  for (; j + 16 <= hi; j += 16) {
    const __m512 x = _mm512_mul_ps(_mm512_loadu_ps(g + j), s);
    const __m512d lo8 = _mm512_cvtps_pd(_mm512_castps512_ps256(x));
    const __m512d hi8 = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(x), 1)));
    a0 = _mm512_add_pd(a0, _mm512_mul_pd(lo8, lo8));
    a1 = _mm512_add_pd(a1, _mm512_mul_pd(hi8, hi8));
  }
  return _mm512_reduce_add_pd(_mm512_add_pd(a0, a1)) + sq_scalar(g, scale, j, hi);
}

LLMAR_TARGET_AVX512 void update_avx512(const Update& u, const float* __restrict g, const float* __restrict p,
                                       const float* mi, const float* vi, float* mo, float* vo, float* __restrict po,
                                       int64_t lo, int64_t hi) {
  const __m512 scale = _mm512_set1_ps(u.scale), factor = _mm512_set1_ps(u.factor), b1 = _mm512_set1_ps(u.b1);
  const __m512 b2 = _mm512_set1_ps(u.b2), c1 = _mm512_set1_ps(u.c1), c2 = _mm512_set1_ps(u.c2);
  const __m512 eps = _mm512_set1_ps(u.eps), decay = _mm512_set1_ps(u.decay), step = _mm512_set1_ps(u.step);
  const __m512 bc2 = _mm512_set1_ps(u.bc2);
  const bool decayOn = u.decay != 0.f;
  int64_t j = lo;
  for (; j + 16 <= hi; j += 16) {
    __m512 gr = _mm512_mul_ps(_mm512_loadu_ps(g + j), scale);
    if (u.clip) gr = _mm512_mul_ps(gr, factor);
    const __m512 m1 = _mm512_add_ps(_mm512_mul_ps(_mm512_loadu_ps(mi + j), b1), _mm512_mul_ps(gr, c1));
    const __m512 v1 = _mm512_add_ps(_mm512_mul_ps(_mm512_loadu_ps(vi + j), b2), _mm512_mul_ps(_mm512_mul_ps(gr, gr), c2));
    _mm512_storeu_ps(mo + j, m1);
    _mm512_storeu_ps(vo + j, v1);
    const __m512 den = _mm512_add_ps(_mm512_div_ps(_mm512_sqrt_ps(v1), bc2), eps);
    __m512 upd = _mm512_mul_ps(_mm512_div_ps(m1, den), step);
    const __m512 pj = _mm512_loadu_ps(p + j);
    if (decayOn) upd = _mm512_add_ps(upd, _mm512_mul_ps(pj, decay));
    _mm512_storeu_ps(po + j, _mm512_sub_ps(pj, upd));
  }
  update_scalar(u, g, p, mi, vi, mo, vo, po, j, hi);
}
#pragma GCC pop_options
#endif

}  // namespace

double adamw_step(const AdamWVar* vars, int64_t n, const float* m, const float* v, float* mOut, float* vOut,
                  int64_t total, const AdamWHyper& h) {
  Pool& pool = Pool::instance();
  std::vector<Piece> pieces;
  for (int64_t i = 0; i < n; i++)
    for (int64_t lo = 0; lo < vars[i].size; lo += kPiece)
      pieces.push_back({i, lo, lo + kPiece < vars[i].size ? lo + kPiece : vars[i].size});
  const int64_t np = static_cast<int64_t>(pieces.size());
  // pass 1: squared norm of the scaled gradients, per piece in double, summed in piece order (deterministic)
  std::vector<double> sq(static_cast<size_t>(np), 0.0);
  const float scale = static_cast<float>(h.scale);
  const bool avx512 = avx512_selected();
  pool.run(np, [&](int64_t k) {
    const Piece& pc = pieces[static_cast<size_t>(k)];
#if LLMAR_X86
    if (avx512) {
      sq[static_cast<size_t>(k)] = sq_avx512(vars[pc.var].g, scale, pc.lo, pc.hi);
      return;
    }
#endif
    sq[static_cast<size_t>(k)] = sq_scalar(vars[pc.var].g, scale, pc.lo, pc.hi);
  });
  double sum = 0;
  for (double s : sq) sum += s;
  const double norm = std::sqrt(sum);
  const bool clip = std::isfinite(h.clipNorm) && h.clipNorm > 0 && norm > h.clipNorm;
  const float factor = clip ? static_cast<float>(h.clipNorm / (norm + 1e-6)) : 1.f;
  // ranges of the moments no variable covers keep their values (nothing to copy when updating in place)
  if (mOut != m || vOut != v) {
    std::vector<std::pair<int64_t, int64_t>> ranges;
    for (int64_t i = 0; i < n; i++) ranges.push_back({vars[i].offset, vars[i].offset + vars[i].size});
    std::sort(ranges.begin(), ranges.end());
    int64_t at = 0;
    for (const auto& r : ranges) {
      if (r.first > at) {
        std::memcpy(mOut + at, m + at, sizeof(float) * (r.first - at));
        std::memcpy(vOut + at, v + at, sizeof(float) * (r.first - at));
      }
      if (r.second > at) at = r.second;
    }
    if (total > at) {
      std::memcpy(mOut + at, m + at, sizeof(float) * (total - at));
      std::memcpy(vOut + at, v + at, sizeof(float) * (total - at));
    }
  }
  Update u{scale, factor, static_cast<float>(h.beta1), static_cast<float>(h.beta2), static_cast<float>(1 - h.beta1),
           static_cast<float>(1 - h.beta2), static_cast<float>(h.eps), static_cast<float>(h.decay), 0.f, 0.f, clip};
  pool.run(np, [&](int64_t k) {
    const Piece& pc = pieces[static_cast<size_t>(k)];
    const AdamWVar& x = vars[pc.var];
    Update ux = u;
    ux.step = static_cast<float>(x.stepSize);
    ux.bc2 = static_cast<float>(x.sqrtBc2);
    const float *mi = m + x.offset, *vi = v + x.offset;
    float *mo = mOut + x.offset, *vo = vOut + x.offset;
#if LLMAR_X86
    if (avx512) {
      update_avx512(ux, x.g, x.p, mi, vi, mo, vo, x.pOut, pc.lo, pc.hi);
      return;
    }
#endif
    update_scalar(ux, x.g, x.p, mi, vi, mo, vo, x.pOut, pc.lo, pc.hi);
  });
  return norm;
}

}  // namespace llmar
