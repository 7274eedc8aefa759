#include "adamw.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "pool.h"

namespace llmar {

namespace {
constexpr int64_t kPiece = int64_t(1) << 15;  // values per task

struct Piece {
  int64_t var, lo, hi;
};
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
  pool.run(np, [&](int64_t k) {
    const Piece& pc = pieces[static_cast<size_t>(k)];
    const float* g = vars[pc.var].g;
    double s0 = 0, s1 = 0;
    int64_t j = pc.lo;
    for (; j + 1 < pc.hi; j += 2) {
      const float a = g[j] * scale, b = g[j + 1] * scale;
      s0 += static_cast<double>(a) * a;
      s1 += static_cast<double>(b) * b;
    }
    for (; j < pc.hi; j++) {
      const float a = g[j] * scale;
      s0 += static_cast<double>(a) * a;
    }
    sq[static_cast<size_t>(k)] = s0 + s1;
  });
  double sum = 0;
  for (double s : sq) sum += s;
  const double norm = std::sqrt(sum);
  const bool clip = std::isfinite(h.clipNorm) && h.clipNorm > 0 && norm > h.clipNorm;
  const float factor = clip ? static_cast<float>(h.clipNorm / (norm + 1e-6)) : 1.f;
  // ranges of the moments no variable covers keep their values
  {
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
  const float b1 = static_cast<float>(h.beta1), b2 = static_cast<float>(h.beta2), eps = static_cast<float>(h.eps);
  const float c1 = static_cast<float>(1 - h.beta1), c2 = static_cast<float>(1 - h.beta2);
  const float decay = static_cast<float>(h.decay);
  pool.run(np, [&](int64_t k) {
    const Piece& pc = pieces[static_cast<size_t>(k)];
    const AdamWVar& x = vars[pc.var];
    const float step = static_cast<float>(x.stepSize), bc2 = static_cast<float>(x.sqrtBc2);
    const float* __restrict mi = m + x.offset;
    const float* __restrict vi = v + x.offset;
    float* __restrict mo = mOut + x.offset;
    float* __restrict vo = vOut + x.offset;
    const float* __restrict g = x.g;
    const float* __restrict p = x.p;
    float* __restrict po = x.pOut;
    for (int64_t j = pc.lo; j < pc.hi; j++) {
      float gr = g[j] * scale;
      if (clip) gr = gr * factor;
      const float m1 = mi[j] * b1 + gr * c1;
      const float v1 = vi[j] * b2 + (gr * gr) * c2;
      mo[j] = m1;
      vo[j] = v1;
      const float adam = (m1 / (std::sqrt(v1) / bc2 + eps)) * step;
      const float upd = decay != 0.f ? adam + p[j] * decay : adam;
      po[j] = p[j] - upd;
    }
  });
  return norm;
}

}  // namespace llmar
