// N-API binding of the decoder and loss kernels (softmax.h, attention.h, lora.h, kernelsum.h): softmax, attention,
// loraAdd, kernelSum.
// Every region is bounds-checked against its buffer before any kernel runs.
#include <cstdint>
#include <string>

#include "bindings.h"
#include "napi_util.h"
#include "attention.h"
#include "kernelsum.h"
#include "lora.h"
#include "softmax.h"

namespace llmar {
namespace napi {

// softmax(kind, B, H, T, S, biasB, ...pairs): kind 0 pairs (y, x, bias | null) → y = softmax(x + bias) over rows of S,
// x [B, H, T, S], bias [biasB, 1, T, S] (biasB 0: none, 1: shared, B: per batch row); kind 1 pairs (dx, y, dy) over
// B·H·T rows of S → dx = y ⊙ (dy − Σ dy·y).
napi_value Softmax(napi_env env, napi_callback_info info) {
  napi_value argv[12];
  if (!args(env, info, argv, 12)) return nullptr;
  int64_t kind, B, H, T, S, biasB;
  if (!get_i64(env, argv[0], "kind", &kind) || !get_i64(env, argv[1], "B", &B) || !get_i64(env, argv[2], "H", &H) ||
      !get_i64(env, argv[3], "T", &T) || !get_i64(env, argv[4], "S", &S) || !get_i64(env, argv[5], "biasB", &biasB)) {
    return nullptr;
  }
  if ((kind != 0 && kind != 1) || B < 0 || H < 0 || T < 0 || S < 0 || !(biasB == 0 || biasB == 1 || biasB == B) ||
      (kind == 1 && biasB != 0)) {
    fail(env, "softmax: kind " + std::to_string(kind) + " (0 or 1), dims [" + std::to_string(B) + ", " + std::to_string(H) +
                  ", " + std::to_string(T) + ", " + std::to_string(S) + "] (>= 0) and biasB " + std::to_string(biasB) +
                  " (0, 1 or B; 0 for kind 1) are not valid");
    return nullptr;
  }
  const int64_t n = B * H * T * S;
  const bool hasBias = kind == 0 && biasB > 0;
  const int64_t counts[3] = {n, n, kind == 0 ? biasB * T * S : n};
  const char* names[2][3] = {{"y", "x", "bias"}, {"dx", "y", "dy"}};
  float* p[3] = {};
  for (int i = 0; i < 3; i++) {
    if (i == 2 && kind == 0 && !hasBias) break;  // no bias: its pair may be (null, 0)
    Region r;
    int64_t off;
    if (!get_region(env, argv[6 + 2 * i], names[kind][i], &r) || !get_i64(env, argv[7 + 2 * i], names[kind][i], &off) ||
        !at(env, r, off, counts[i], names[kind][i], &p[i])) {
      return nullptr;
    }
  }
  if (n == 0) return undefined(env);
  if (kind == 0) softmax_bias(SoftmaxShape{B, H, T, S, biasB}, p[1], hasBias ? p[2] : nullptr, p[0]);
  else softmax_grad(B * H * T, S, p[1], p[2], p[0]);
  return undefined(env);
}

// attention(kind, B, T, H, G, hs, biasB, style, ...12 pairs): kind 0 pairs (o, qh, kr, probs, q, k, v, cosQ, sinQ, cosK,
// sinK, bias | null) → the fused forward (attention.h); kind 1 pairs (dq, dk, dv, dy, qh, kr, v, probs, cosQ, sinQ, cosK,
// sinK) → its gradient.
napi_value Attention(napi_env env, napi_callback_info info) {
  napi_value argv[32];
  if (!args(env, info, argv, 31)) return nullptr;
  int64_t kind, B, T, H, G, hs, biasB, style;
  const char* dims[8] = {"kind", "B", "T", "H", "G", "hs", "biasB", "style"};
  int64_t* vals[8] = {&kind, &B, &T, &H, &G, &hs, &biasB, &style};
  for (int i = 0; i < 8; i++) {
    if (!get_i64(env, argv[i], dims[i], vals[i])) return nullptr;
  }
  if ((kind != 0 && kind != 1) || B < 0 || T < 0 || H < 1 || G < 1 || H % G != 0 || hs < 2 || hs % 2 != 0 ||
      !(biasB == 0 || biasB == 1 || biasB == B) || (style != 0 && style != 1)) {
    fail(env, "attention: kind " + std::to_string(kind) + " (0 or 1), B " + std::to_string(B) + ", T " + std::to_string(T) +
                  " (>= 0), H " + std::to_string(H) + " and G " + std::to_string(G) + " (>= 1, G divides H), hs " +
                  std::to_string(hs) + " (even, >= 2), biasB " + std::to_string(biasB) + " (0, 1 or B) and style " +
                  std::to_string(style) + " (0 or 1) are not valid");
    return nullptr;
  }
  const int64_t nq = B * T * H * hs, nk = B * T * G * hs, np = B * H * T * T, nt = T * hs;
  const int64_t fwd[12] = {nq, nq, nk, np, nq, nk, nk, nt, nt, nt, nt, biasB * T * T};
  const int64_t bwd[12] = {nq, nk, nk, nq, nq, nk, nk, np, nt, nt, nt, nt};
  const char* fnames[12] = {"o", "qh", "kr", "probs", "q", "k", "v", "cosQ", "sinQ", "cosK", "sinK", "bias"};
  const char* bnames[12] = {"dq", "dk", "dv", "dy", "qh", "kr", "v", "probs", "cosQ", "sinQ", "cosK", "sinK"};
  float* p[12] = {};
  for (int i = 0; i < 12; i++) {
    if (kind == 0 && i == 11 && biasB == 0) break;  // no bias: its pair may be (null, 0)
    const char* name = kind == 0 ? fnames[i] : bnames[i];
    Region r;
    int64_t off;
    if (!get_region(env, argv[8 + 2 * i], name, &r) || !get_i64(env, argv[9 + 2 * i], name, &off) ||
        !at(env, r, off, kind == 0 ? fwd[i] : bwd[i], name, &p[i])) {
      return nullptr;
    }
  }
  if (B * T == 0) return undefined(env);
  const AttnShape s{B, T, H, G, hs, biasB, static_cast<int>(style)};
  if (kind == 0) {
    attention_forward(s, AttnTables{p[7], p[8], p[9], p[10]}, p[4], p[5], p[6], p[11], p[0], p[1], p[2], p[3]);
  } else {
    attention_backward(s, AttnTables{p[8], p[9], p[10], p[11]}, p[3], p[4], p[5], p[6], p[7], p[0], p[1], p[2]);
  }
  return undefined(env);
}

// loraAdd(kind, N, in, r, out, scale, ...pairs): kind 0 pairs (o, mid, bs, y, x, a, b) → o = y + (x·a)·(s·b) (lora.h);
// kind 1 pairs (dx, da, db, dy, x, a, bs, mid) → its gradient.
napi_value LoraAdd(napi_env env, napi_callback_info info) {
  napi_value argv[22];
  if (!args(env, info, argv, 20)) return nullptr;
  int64_t kind, N, in, r, out;
  double scale;
  if (!get_i64(env, argv[0], "kind", &kind) || !get_i64(env, argv[1], "N", &N) || !get_i64(env, argv[2], "in", &in) ||
      !get_i64(env, argv[3], "r", &r) || !get_i64(env, argv[4], "out", &out) || !get_f64(env, argv[5], "scale", &scale)) {
    return nullptr;
  }
  if ((kind != 0 && kind != 1) || N < 0 || in < 0 || r < 0 || out < 0) {
    fail(env, "loraAdd: kind " + std::to_string(kind) + " (0 or 1) and sizes N " + std::to_string(N) + ", in " +
                  std::to_string(in) + ", r " + std::to_string(r) + ", out " + std::to_string(out) + " (>= 0) are not valid");
    return nullptr;
  }
  const int npairs = kind == 0 ? 7 : 8;
  const int64_t fwd[7] = {N * out, N * r, r * out, N * out, N * in, in * r, r * out};
  const int64_t bwd[8] = {N * in, in * r, r * out, N * out, N * in, in * r, r * out, N * r};
  const char* fnames[7] = {"o", "mid", "bs", "y", "x", "a", "b"};
  const char* bnames[8] = {"dx", "da", "db", "dy", "x", "a", "bs", "mid"};
  float* p[8] = {};
  for (int i = 0; i < npairs; i++) {
    const char* name = kind == 0 ? fnames[i] : bnames[i];
    Region reg;
    int64_t off;
    if (!get_region(env, argv[6 + 2 * i], name, &reg) || !get_i64(env, argv[7 + 2 * i], name, &off) ||
        !at(env, reg, off, kind == 0 ? fwd[i] : bwd[i], name, &p[i])) {
      return nullptr;
    }
  }
  const LoraShape s{N, in, r, out, static_cast<float>(scale)};
  if (kind == 0) lora_add_forward(s, p[3], p[4], p[5], p[6], p[0], p[1], p[2]);
  else lora_add_backward(s, p[3], p[4], p[5], p[6], p[7], p[0], p[1], p[2]);
  return undefined(env);
}

// kernelSum(kind, n, H, ...pairs), 1 <= H <= 16: kind 0 pairs (k, d, hs, e_0 … e_{H−1}) → k = Σ exp(−d / h_i) and the
// terms (kernelsum.h); kind 1 pairs (g, dy, hs, e_0 … e_{H−1}) → its gradient with respect to d. hs holds H values, the
// other arrays n.
napi_value KernelSum(napi_env env, napi_callback_info info) {
  constexpr int kMaxH = 16;
  napi_value argv[3 + 2 * (3 + kMaxH)];
  if (!args(env, info, argv, 3)) return nullptr;
  int64_t kind, n, H;
  if (!get_i64(env, argv[0], "kind", &kind) || !get_i64(env, argv[1], "n", &n) || !get_i64(env, argv[2], "H", &H)) return nullptr;
  if ((kind != 0 && kind != 1) || n < 0 || H < 1 || H > kMaxH) {
    fail(env, "kernelSum: kind " + std::to_string(kind) + " (0 or 1), n " + std::to_string(n) + " (>= 0) and H " +
                  std::to_string(H) + " (1.." + std::to_string(kMaxH) + ") are not valid");
    return nullptr;
  }
  float* p[3 + kMaxH] = {};
  for (int64_t i = 0; i < 3 + H; i++) {
    const std::string name = i == 0 ? (kind == 0 ? "k" : "g") : i == 1 ? (kind == 0 ? "d" : "dy") : i == 2 ? "hs" : "e" + std::to_string(i - 3);
    Region r;
    int64_t off;
    if (!get_region(env, argv[3 + 2 * i], name.c_str(), &r) || !get_i64(env, argv[4 + 2 * i], name.c_str(), &off) ||
        !at(env, r, off, i == 2 ? H : n, name.c_str(), &p[i])) {
      return nullptr;
    }
  }
  if (n == 0) return undefined(env);
  if (kind == 0) kernel_sum_forward(p[1], n, p[2], H, p[0], p + 3);
  else kernel_sum_backward(p[1], n, p[2], H, p + 3, p[0]);
  return undefined(env);
}

}  // namespace napi
}  // namespace llmar
