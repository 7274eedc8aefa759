#include "attention.h"

#include <cstring>

#include "gemm.h"
#include "gemm_impl.h"
#include "pool.h"
#include "softmax.h"

namespace llmar {

// Equal to the separate kernels, bit for bit: RoPE there is x·cos + (x @ P)·sin with P the pair-swap permutation
// matrix, whose product sums x[partner]·1 and zeros from +0 (so −0 becomes +0: "+ 0.f" below); every product below
// runs gemm_serial on the same operands, with the same K, as the batched BatchMatMul calls did (the threaded GEMM has
// the same arithmetic); the softmax rows are softmax.cc's. This file is compiled without FP contraction (ISO C++),
// so a·b + c·d rounds each product, as the separate Multiply and Add kernels do.

static inline int64_t partner(int64_t i, int64_t hs, int style) {
  const int64_t half = hs / 2;
  return style == 0 ? (i ^ 1) : (i < half ? i + half : i - half);
}

/** out = x·c + swap(x)·s over one head's hs values. */
static void rope_row(const float* x, const float* c, const float* s, int64_t hs, int style, float* out) {
  for (int64_t i = 0; i < hs; i++) {
    const float a = x[i] * c[i];
    const float b = (x[partner(i, hs, style)] + 0.f) * s[i];
    out[i] = a + b;
  }
}

/** The transpose of rope_row (rotation by −θ): out = d·c + swap(d·s). */
static void rope_row_t(const float* d, const float* c, const float* s, int64_t hs, int style, float* out) {
  for (int64_t i = 0; i < hs; i++) {
    const int64_t p = partner(i, hs, style);
    const float a = d[i] * c[i];
    const float b = d[p] * s[p];
    out[i] = a + (b + 0.f);
  }
}

/** The product C[M,N] = op(A) op(B) with the given strides (GemmArgs in the argument order of the calls below). */
static GemmArgs product(const float* A, int64_t lda, bool ta, const float* Bm, int64_t ldb, bool tb, float* C, int64_t ldc,
                        int64_t M, int64_t N, int64_t K) {
  return GemmArgs{A, Bm, C, M, N, K, lda, ldb, ldc, ta, tb, false};
}

void attention_forward(const AttnShape& s, const AttnTables& tb, const float* q, const float* k, const float* v,
                       const float* bias, float* o, float* qh, float* kr, float* probs) {
  const int64_t B = s.B, T = s.T, H = s.H, G = s.G, hs = s.hs, rep = H / G;
  const int64_t qld = H * hs, kld = G * hs;
  Pool::instance().run(B * G, [&](int64_t task) {
    const int64_t b = task / G, g = task % G;
    float* qb = qh + (b * H + g * rep) * T * hs;  // [rep·T, hs]
    float* kb = kr + (b * G + g) * T * hs;        // [T, hs]
    float* pb = probs + (b * H + g * rep) * T * T;  // [rep·T, T]
    for (int64_t r = 0; r < rep; r++) {
      for (int64_t t = 0; t < T; t++) {
        rope_row(q + (b * T + t) * qld + (g * rep + r) * hs, tb.cosQ + t * hs, tb.sinQ + t * hs, hs, s.style,
                 qb + (r * T + t) * hs);
      }
    }
    for (int64_t t = 0; t < T; t++) {
      rope_row(k + (b * T + t) * kld + g * hs, tb.cosK + t * hs, tb.sinK + t * hs, hs, s.style, kb + t * hs);
    }
    gemm_serial(product(qb, hs, false, kb, hs, true, pb, T, rep * T, T, hs));  // scores qh·krᵀ
    const float* bb = bias && s.biasB > 0 ? bias + (s.biasB == 1 ? 0 : b) * T * T : nullptr;
    for (int64_t r = 0; r < rep; r++) {
      for (int64_t i = 0; i < T; i++) softmax_bias_row(pb + (r * T + i) * T, bb ? bb + i * T : nullptr, pb + (r * T + i) * T, T);
    }
    for (int64_t r = 0; r < rep; r++) {  // o rows of head g·rep + r: probs · v
      gemm_serial(product(pb + r * T * T, T, false, v + b * T * kld + g * hs, kld, false, o + b * T * qld + (g * rep + r) * hs,
                          qld, T, hs, T));
    }
  });
}

static thread_local Scratch tl_do, tl_dp, tl_dq, tl_dk;

void attention_backward(const AttnShape& s, const AttnTables& tb, const float* dy, const float* qh, const float* kr,
                        const float* v, const float* probs, float* dq, float* dk, float* dv) {
  const int64_t B = s.B, T = s.T, H = s.H, G = s.G, hs = s.hs, rep = H / G;
  const int64_t qld = H * hs, kld = G * hs, RT = rep * T;
  Pool::instance().run(B * G, [&](int64_t task) {
    const int64_t b = task / G, g = task % G;
    const float* qb = qh + (b * H + g * rep) * T * hs;
    const float* kb = kr + (b * G + g) * T * hs;
    const float* pb = probs + (b * H + g * rep) * T * T;
    float* dO = tl_do.get(static_cast<size_t>(RT * hs));
    float* dP = tl_dp.get(static_cast<size_t>(RT * T));
    float* dQ = tl_dq.get(static_cast<size_t>(RT * hs));
    float* dK = tl_dk.get(static_cast<size_t>(T * hs));
    if (!dO || !dP || !dQ || !dK) std::abort();  // out of memory: nothing sensible to return to JS mid-kernel
    for (int64_t r = 0; r < rep; r++) {
      for (int64_t t = 0; t < T; t++) {
        std::memcpy(dO + (r * T + t) * hs, dy + (b * T + t) * qld + (g * rep + r) * hs, sizeof(float) * hs);
      }
    }
    const float* vb = v + b * T * kld + g * hs;
    gemm_serial(product(dO, hs, false, vb, kld, true, dP, T, RT, T, hs));                       // dP = dO·vᵀ
    gemm_serial(product(pb, T, true, dO, hs, false, dv + b * T * kld + g * hs, kld, T, hs, RT));  // dv = Pᵀ·dO
    for (int64_t i = 0; i < RT; i++) softmax_grad_row(pb + i * T, dP + i * T, dP + i * T, T);     // dS, in place
    gemm_serial(product(dP, T, false, kb, hs, false, dQ, hs, RT, hs, T));                       // dQ = dS·kr
    gemm_serial(product(dP, T, true, qb, hs, false, dK, hs, T, hs, RT));                        // dK = dSᵀ·qh
    for (int64_t r = 0; r < rep; r++) {
      for (int64_t t = 0; t < T; t++) {
        rope_row_t(dQ + (r * T + t) * hs, tb.cosQ + t * hs, tb.sinQ + t * hs, hs, s.style,
                   dq + (b * T + t) * qld + (g * rep + r) * hs);
      }
    }
    for (int64_t t = 0; t < T; t++) {
      rope_row_t(dK + t * hs, tb.cosK + t * hs, tb.sinK + t * hs, hs, s.style, dk + (b * T + t) * kld + g * hs);
    }
  });
}

}  // namespace llmar
