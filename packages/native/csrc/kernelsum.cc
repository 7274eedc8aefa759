#include "kernelsum.h"

#include "pool.h"
#include "unary.h"

namespace llmar {

// Chunks of values handled by one task: every term of a chunk is computed while the chunk is in cache.
static constexpr int64_t kChunk = 8192;

template <typename F>
static void over_chunks(int64_t n, F fn) {
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  Pool::instance().run(chunks, [&](int64_t c) {
    const int64_t lo = c * kChunk, hi = lo + kChunk < n ? lo + kChunk : n;
    fn(lo, hi);
  });
}

void kernel_sum_forward(const float* d, int64_t n, const float* hs, int64_t H, float* k, float* const* e) {
  over_chunks(n, [&](int64_t lo, int64_t hi) {
    for (int64_t i = 0; i < H; i++) {
      const float h = hs[i];
      float* ei = e[i];
      for (int64_t j = lo; j < hi; j++) {
        const float q = d[j] / h;
        ei[j] = -q;
      }
      unary(kExp, ei + lo, ei + lo, hi - lo);  // the Exp kernel's own function (elementwise: chunking changes nothing)
      if (i == 0) {
        for (int64_t j = lo; j < hi; j++) k[j] = ei[j];
      } else {
        for (int64_t j = lo; j < hi; j++) k[j] = k[j] + ei[j];
      }
    }
  });
}

void kernel_sum_backward(const float* dy, int64_t n, const float* hs, int64_t H, const float* const* e, float* g) {
  over_chunks(n, [&](int64_t lo, int64_t hi) {
    for (int64_t i = H - 1; i >= 0; i--) {
      const float h = hs[i];
      const float* ei = e[i];
      for (int64_t j = lo; j < hi; j++) {
        const float p = dy[j] * ei[j];
        const float t = -p / h;
        g[j] = i == H - 1 ? t : g[j] + t;
      }
    }
  });
}

}  // namespace llmar
