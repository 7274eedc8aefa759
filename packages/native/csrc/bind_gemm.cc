// N-API bindings of the GEMM and convolution kernels (gemm.h, conv.h, conv_fused.h): gemm, conv, convFused.
// Every region is bounds-checked against its buffer before any kernel runs.
#include <cstdint>
#include <string>

#include "bindings.h"
#include "conv.h"
#include "conv_fused.h"
#include "gemm.h"
#include "napi_util.h"

namespace llmar {
namespace napi {

namespace {

/** A conv shape from an Int32Array[15], range-checked; false after throwing. */
bool conv_shape(napi_env env, napi_value v, ConvShape* s) {
  const int32_t* d;
  if (!get_ints(env, v, "shape", 15, &d, nullptr)) return false;
  for (int i = 0; i < 15; i++) {
    if (d[i] < 0 || (i >= 7 && i <= 10 && d[i] < 1)) {
      return fail(env, "conv shape value " + std::to_string(i) + " = " + std::to_string(d[i]) + " is out of range");
    }
  }
  *s = ConvShape{d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13], d[14]};
  return true;
}

}  // namespace

// gemm(c, cOff, a, aOff, b, bOff, dims Int32Array[batch, M, N, K, ta, tb, aCount, bCount], aIdx?, bIdx?, accumulate?)
napi_value Gemm(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  if (!args(env, info, argv, 7)) return nullptr;
  Region rc, ra, rb;
  int64_t oc, oa, ob;
  const int32_t* d;
  if (!get_region(env, argv[0], "c", &rc) || !get_i64(env, argv[1], "cOffset", &oc) ||
      !get_region(env, argv[2], "a", &ra) || !get_i64(env, argv[3], "aOffset", &oa) ||
      !get_region(env, argv[4], "b", &rb) || !get_i64(env, argv[5], "bOffset", &ob) ||
      !get_ints(env, argv[6], "dims", 8, &d, nullptr)) {
    return nullptr;
  }
  const int64_t batch = d[0], M = d[1], N = d[2], K = d[3], aCount = d[6], bCount = d[7];
  const bool ta = d[4] != 0, tb = d[5] != 0;
  if (batch < 0 || M < 0 || N < 0 || K < 0 || aCount < 1 || bCount < 1) {
    fail(env, "dims [" + std::to_string(batch) + ", " + std::to_string(M) + ", " + std::to_string(N) + ", " +
                  std::to_string(K) + "] must be non-negative with at least one A and one B matrix");
    return nullptr;
  }
  const int32_t* ai = nullptr;
  const int32_t* bi = nullptr;
  napi_valuetype t;
  size_t argc = 11;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc > 7 && napi_typeof(env, argv[7], &t) == napi_ok && t != napi_null && t != napi_undefined) {
    if (!get_ints(env, argv[7], "aIndex", static_cast<size_t>(batch), &ai, nullptr)) return nullptr;
  }
  if (argc > 8 && napi_typeof(env, argv[8], &t) == napi_ok && t != napi_null && t != napi_undefined) {
    if (!get_ints(env, argv[8], "bIndex", static_cast<size_t>(batch), &bi, nullptr)) return nullptr;
  }
  bool accumulate = false;
  if (argc > 9) napi_get_value_bool(env, argv[9], &accumulate);
  for (int64_t i = 0; i < batch; i++) {
    const int64_t x = ai ? ai[i] : i, y = bi ? bi[i] : i;
    if (x < 0 || x >= aCount || y < 0 || y >= bCount) {
      fail(env, "batch " + std::to_string(i) + " indexes matrix A " + std::to_string(x) + " / B " + std::to_string(y) +
                    " outside " + std::to_string(aCount) + " / " + std::to_string(bCount));
      return nullptr;
    }
  }
  float* C = nullptr;
  const float* A = nullptr;
  const float* B = nullptr;
  if (!at(env, rc, oc, batch * M * N, "c", &C) || !at(env, ra, oa, aCount * M * K, "a", &A) ||
      !at(env, rb, ob, bCount * K * N, "b", &B)) {
    return nullptr;
  }
  GemmArgs g{A, B, C, M, N, K, ta ? M : K, tb ? K : N, N, ta, tb, accumulate};
  gemm_batched(g, batch, ai, bi, M * K, K * N, M * N);
  return undefined(env);
}

// conv(kind 0|1|2, out, outOff, p, pOff, q, qOff, shape Int32Array[15]):
// 0 forward (x, w -> y), 1 backprop input (dy, w -> dx), 2 backprop filter (x, dy -> dw).
napi_value Conv(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  if (!args(env, info, argv, 8)) return nullptr;
  int64_t kind, oo, op, oq;
  Region ro, rp, rq;
  ConvShape s;
  if (!get_i64(env, argv[0], "kind", &kind) || !get_region(env, argv[1], "out", &ro) ||
      !get_i64(env, argv[2], "outOffset", &oo) || !get_region(env, argv[3], "p", &rp) ||
      !get_i64(env, argv[4], "pOffset", &op) || !get_region(env, argv[5], "q", &rq) ||
      !get_i64(env, argv[6], "qOffset", &oq) || !conv_shape(env, argv[7], &s)) {
    return nullptr;
  }
  const int64_t xs = s.B * s.H * s.W * s.Cin, ws = s.KH * s.KW * s.Cin * s.Cout, ys = s.B * s.OH * s.OW * s.Cout;
  if (kind == 0) {
    float* y = nullptr;
    const float *x = nullptr, *w = nullptr;
    if (!at(env, ro, oo, ys, "y", &y) || !at(env, rp, op, xs, "x", &x) || !at(env, rq, oq, ws, "filter", &w)) return nullptr;
    conv2d_forward(s, x, w, y);
  } else if (kind == 1) {
    float* dx = nullptr;
    const float *dy = nullptr, *w = nullptr;
    if (!at(env, ro, oo, xs, "dx", &dx) || !at(env, rp, op, ys, "dy", &dy) || !at(env, rq, oq, ws, "filter", &w)) return nullptr;
    conv2d_backprop_input(s, dy, w, dx);
  } else if (kind == 2) {
    float* dw = nullptr;
    const float *x = nullptr, *dy = nullptr;
    if (!at(env, ro, oo, ws, "dw", &dw) || !at(env, rp, op, xs, "x", &x) || !at(env, rq, oq, ys, "dy", &dy)) return nullptr;
    conv2d_backprop_filter(s, x, dy, dw);
  } else {
    fail(env, "conv kind " + std::to_string(kind) + " is not 0, 1 or 2");
    return nullptr;
  }
  return undefined(env);
}

// convFused(kind, shape Int32Array[15], flags, then (memory, byte offset) pairs; flags: 1 ReLU on the input, 2 ReLU on
// the output, 4 bias): kind 0 forward (y, x, w, bias) -> y = post(conv(pre(x), w) + bias);
// kind 1 backward (dx, dw, db, x, w, y, dy) -> all three gradients.
napi_value ConvFused(napi_env env, napi_callback_info info) {
  napi_value argv[17];
  if (!args(env, info, argv, 11)) return nullptr;
  int64_t kind, flags;
  ConvShape s;
  if (!get_i64(env, argv[0], "kind", &kind) || !conv_shape(env, argv[1], &s) || !get_i64(env, argv[2], "flags", &flags)) {
    return nullptr;
  }
  if (kind != 0 && kind != 1) {
    fail(env, "convFused kind " + std::to_string(kind) + " is not 0 or 1");
    return nullptr;
  }
  const bool pre = flags & 1, post = flags & 2, hasBias = flags & 4;
  const int64_t xs = s.B * s.H * s.W * s.Cin, ws = s.KH * s.KW * s.Cin * s.Cout, ys = s.B * s.OH * s.OW * s.Cout;
  const int n = kind == 0 ? 4 : 7;
  if (!args(env, info, argv, 3 + 2 * n)) return nullptr;
  static const char* const fwdNames[4] = {"y", "x", "filter", "bias"};
  static const char* const bwdNames[7] = {"dx", "dfilter", "dbias", "x", "filter", "y", "dy"};
  const int64_t fwdCounts[4] = {ys, xs, ws, s.Cout};
  const int64_t bwdCounts[7] = {xs, ws, s.Cout, xs, ws, ys, ys};
  float* p[7] = {nullptr};
  for (int i = 0; i < n; i++) {
    const bool isBias = (kind == 0 && i == 3) || (kind == 1 && i == 2);
    if (isBias && !hasBias) continue;
    Region r;
    int64_t off;
    const char* name = kind == 0 ? fwdNames[i] : bwdNames[i];
    if (!get_region(env, argv[3 + 2 * i], name, &r) || !get_i64(env, argv[4 + 2 * i], "offset", &off) ||
        !at(env, r, off, kind == 0 ? fwdCounts[i] : bwdCounts[i], name, &p[i])) {
      return nullptr;
    }
  }
  if (kind == 0) conv_fused_forward(s, p[1], p[2], hasBias ? p[3] : nullptr, pre, post, p[0]);
  else conv_fused_backward(s, p[3], p[4], p[5], p[6], pre, post, p[0], p[1], hasBias ? p[2] : nullptr);
  return undefined(env);
}

}  // namespace napi
}  // namespace llmar
