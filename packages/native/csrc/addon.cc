// N-API (C API, node_api.h) bindings. Every kernel takes memory as (TypedArray | ArrayBuffer, byte offset) pairs so the
// same entry points serve the wasm backend (one heap, many offsets) and the cpu backend (one Float32Array per tensor).
// Every region is bounds-checked against its buffer before any kernel runs.
#include <node_api.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "adamw.h"
#include "conv.h"
#include "conv_fused.h"
#include "elementwise.h"
#include "gemm.h"
#include "poincare.h"
#include "pool.h"
#include "unary.h"
#include "xent.h"
#include "lmfused.h"

namespace {

using namespace llmar;

struct Region {
  uint8_t* base = nullptr;
  size_t bytes = 0;
};

bool fail(napi_env env, const std::string& msg) {
  napi_throw_error(env, "LLMAR_NATIVE_ARGUMENT", msg.c_str());
  return false;
}

bool get_region(napi_env env, napi_value v, const char* what, Region* out) {
  bool is = false;
  napi_is_typedarray(env, v, &is);
  if (is) {
    napi_typedarray_type type;
    size_t length = 0, offset = 0;
    void* data = nullptr;
    napi_value ab;
    if (napi_get_typedarray_info(env, v, &type, &length, &data, &ab, &offset) != napi_ok) return fail(env, what);
    size_t elem = 1;
    switch (type) {
      case napi_int16_array: case napi_uint16_array: elem = 2; break;
      case napi_int32_array: case napi_uint32_array: case napi_float32_array: elem = 4; break;
      case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: elem = 8; break;
      default: elem = 1;
    }
    out->base = static_cast<uint8_t*>(data);
    out->bytes = length * elem;
    return true;
  }
  napi_is_arraybuffer(env, v, &is);
  if (is) {
    void* data = nullptr;
    size_t len = 0;
    if (napi_get_arraybuffer_info(env, v, &data, &len) != napi_ok) return fail(env, what);
    out->base = static_cast<uint8_t*>(data);
    out->bytes = len;
    return true;
  }
  return fail(env, std::string(what) + " must be a TypedArray or an ArrayBuffer");
}

bool get_i64(napi_env env, napi_value v, const char* what, int64_t* out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || d != d || d < -9.0e15 || d > 9.0e15) {
    return fail(env, std::string(what) + " must be a number");
  }
  *out = static_cast<int64_t>(d);
  return true;
}

/** *out = the floats at byte offset `off` of region `r`, valid for `count` floats; false after throwing. */
template <typename T>
bool at(napi_env env, const Region& r, int64_t off, int64_t count, const char* what, T** out) {
  if (off < 0 || count < 0 || (off & 3) != 0 || static_cast<uint64_t>(off) + static_cast<uint64_t>(count) * 4 > r.bytes) {
    fail(env, std::string(what) + ": byte offset " + std::to_string(off) + " + " + std::to_string(count) +
                  " floats is outside its buffer of " + std::to_string(r.bytes) + " bytes (or misaligned)");
    return false;
  }
  *out = reinterpret_cast<T*>(r.base + off);  // may be null for an empty buffer: then count is 0 and nothing is read
  return true;
}

bool get_ints(napi_env env, napi_value v, const char* what, size_t need, const int32_t** out, size_t* len) {
  napi_typedarray_type type;
  size_t length = 0, offset = 0;
  void* data = nullptr;
  napi_value ab;
  bool is = false;
  napi_is_typedarray(env, v, &is);
  if (!is || napi_get_typedarray_info(env, v, &type, &length, &data, &ab, &offset) != napi_ok ||
      type != napi_int32_array || length < need) {
    return fail(env, std::string(what) + " must be an Int32Array of at least " + std::to_string(need) + " values");
  }
  *out = static_cast<const int32_t*>(data);
  if (len) *len = length;
  return true;
}

napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

template <size_t N>
bool args(napi_env env, napi_callback_info info, napi_value (&argv)[N], size_t required) {
  size_t argc = N;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < required) return fail(env, "expected " + std::to_string(required) + " arguments, got " + std::to_string(argc));
  return true;
}

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
  const int32_t* v;
  if (!get_i64(env, argv[0], "kind", &kind) || !get_region(env, argv[1], "out", &ro) ||
      !get_i64(env, argv[2], "outOffset", &oo) || !get_region(env, argv[3], "p", &rp) ||
      !get_i64(env, argv[4], "pOffset", &op) || !get_region(env, argv[5], "q", &rq) ||
      !get_i64(env, argv[6], "qOffset", &oq) || !get_ints(env, argv[7], "shape", 15, &v, nullptr)) {
    return nullptr;
  }
  ConvShape s{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14]};
  for (int i = 0; i < 15; i++) {
    if (v[i] < 0 || (i >= 7 && i <= 10 && v[i] < 1)) {
      fail(env, "conv shape value " + std::to_string(i) + " = " + std::to_string(v[i]) + " is out of range");
      return nullptr;
    }
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

// adamw(mOut, mOutOff, vOut, vOutOff, m, mOff, v, vOff, total, memories Array[3n] (p_i, g_i, pOut_i),
//       byteOffsets Float64Array[3n], vars Float64Array[4n] (size, offset, stepSize, sqrtBc2 per variable),
//       hyper Float64Array[6] (beta1, beta2, eps, lr*weightDecay, scale, clipNorm)) -> gradient norm (a number).
napi_value AdamW(napi_env env, napi_callback_info info) {
  napi_value argv[13];
  if (!args(env, info, argv, 13)) return nullptr;
  Region rmo, rvo, rm, rv;
  int64_t omo, ovo, om, ov, total;
  if (!get_region(env, argv[0], "mOut", &rmo) || !get_i64(env, argv[1], "mOutOffset", &omo) ||
      !get_region(env, argv[2], "vOut", &rvo) || !get_i64(env, argv[3], "vOutOffset", &ovo) ||
      !get_region(env, argv[4], "m", &rm) || !get_i64(env, argv[5], "mOffset", &om) || !get_region(env, argv[6], "v", &rv) ||
      !get_i64(env, argv[7], "vOffset", &ov) || !get_i64(env, argv[8], "total", &total)) {
    return nullptr;
  }
  auto f64 = [&](napi_value val, const char* what, size_t need, const double** out) -> bool {
    napi_typedarray_type type;
    size_t length = 0, offset = 0;
    void* data = nullptr;
    napi_value ab;
    bool is = false;
    napi_is_typedarray(env, val, &is);
    if (!is || napi_get_typedarray_info(env, val, &type, &length, &data, &ab, &offset) != napi_ok ||
        type != napi_float64_array || length < need) {
      return fail(env, std::string(what) + " must be a Float64Array of at least " + std::to_string(need) + " values");
    }
    *out = static_cast<const double*>(data);
    return true;
  };
  bool isArray = false;
  uint32_t count = 0;
  napi_is_array(env, argv[9], &isArray);
  if (!isArray || napi_get_array_length(env, argv[9], &count) != napi_ok || count % 3 != 0) {
    fail(env, "memories must be an array of 3 entries per variable");
    return nullptr;
  }
  const int64_t n = count / 3;
  const double *offs, *vd, *hy;
  if (!f64(argv[10], "byteOffsets", 3 * n, &offs) || !f64(argv[11], "vars", 4 * n, &vd) || !f64(argv[12], "hyper", 6, &hy)) {
    return nullptr;
  }
  float *mo, *vo;
  const float *m, *v;
  if (total < 0 || !at(env, rmo, omo, total, "mOut", &mo) || !at(env, rvo, ovo, total, "vOut", &vo) ||
      !at(env, rm, om, total, "m", &m) || !at(env, rv, ov, total, "v", &v)) {
    return nullptr;
  }
  std::vector<AdamWVar> vars(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; i++) {
    AdamWVar& x = vars[static_cast<size_t>(i)];
    x.size = static_cast<int64_t>(vd[4 * i]);
    x.offset = static_cast<int64_t>(vd[4 * i + 1]);
    x.stepSize = vd[4 * i + 2];
    x.sqrtBc2 = vd[4 * i + 3];
    if (x.size < 0 || x.offset < 0 || x.offset + x.size > total) {
      fail(env, "variable " + std::to_string(i) + " [" + std::to_string(x.offset) + ", +" + std::to_string(x.size) +
                    ") is outside the moments of " + std::to_string(total) + " values");
      return nullptr;
    }
    float* ptr[3];
    static const char* const names[3] = {"p", "g", "pOut"};
    for (int k = 0; k < 3; k++) {
      napi_value mem;
      Region r;
      napi_get_element(env, argv[9], static_cast<uint32_t>(3 * i + k), &mem);
      if (!get_region(env, mem, names[k], &r) || !at(env, r, static_cast<int64_t>(offs[3 * i + k]), x.size, names[k], &ptr[k])) {
        return nullptr;
      }
    }
    x.p = ptr[0];
    x.g = ptr[1];
    x.pOut = ptr[2];
  }
  const AdamWHyper h{hy[0], hy[1], hy[2], hy[3], hy[4], hy[5]};
  const double norm = adamw_step(vars.data(), n, m, v, mo, vo, total, h);
  napi_value out;
  napi_create_double(env, norm, &out);
  return out;
}

// unary(op 0 exp, out, outOff, x, xOff, n): out[i] = op(x[i]).
napi_value Unary(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!args(env, info, argv, 6)) return nullptr;
  int64_t op, oo, ox, n;
  Region ro, rx;
  if (!get_i64(env, argv[0], "op", &op) || !get_region(env, argv[1], "out", &ro) || !get_i64(env, argv[2], "outOffset", &oo) ||
      !get_region(env, argv[3], "x", &rx) || !get_i64(env, argv[4], "xOffset", &ox) || !get_i64(env, argv[5], "n", &n)) {
    return nullptr;
  }
  if (op < 0 || op > kUnaryLast || n < 0) {
    fail(env, "unary op " + std::to_string(op) + " or size " + std::to_string(n) + " is invalid");
    return nullptr;
  }
  float* out = nullptr;
  const float* x = nullptr;
  if (!at(env, ro, oo, n, "out", &out) || !at(env, rx, ox, n, "x", &x)) return nullptr;
  if (n > 0) unary(static_cast<UnaryOp>(op), x, out, n);
  return undefined(env);
}

/** Whether a repeating operand of `size` values fits c[rows, n] (1, or a multiple of n dividing rows*n). */
bool repeats(int64_t size, int64_t rows, int64_t n) {
  return size == 1 || (n > 0 && size > 0 && size % n == 0 && (rows * n) % size == 0);
}

// biasAct(c, cOff, rows, n, bias|null, biasOff, biasSize, act code, alpha, prelu|null, preluOff, preluSize):
// c = act(c + bias) in place; bias and prelu weights repeat every biasSize / preluSize values.
napi_value BiasAct(napi_env env, napi_callback_info info) {
  napi_value argv[12];
  if (!args(env, info, argv, 9)) return nullptr;
  size_t argc = 12;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  Region rc, rb, rp;
  int64_t oc, rows, n, ob, bsize, act, op = 0, psize = 0;
  double alpha;
  if (!get_region(env, argv[0], "c", &rc) || !get_i64(env, argv[1], "cOffset", &oc) ||
      !get_i64(env, argv[2], "rows", &rows) || !get_i64(env, argv[3], "n", &n) || !get_i64(env, argv[5], "biasOffset", &ob) ||
      !get_i64(env, argv[6], "biasSize", &bsize) || !get_i64(env, argv[7], "activation", &act)) {
    return nullptr;
  }
  if (napi_get_value_double(env, argv[8], &alpha) != napi_ok) {
    fail(env, "alpha must be a number");
    return nullptr;
  }
  float* c = nullptr;
  if (!at(env, rc, oc, rows * n, "c", &c)) return nullptr;
  if (act < 0 || act > kActLast) {
    fail(env, "activation code " + std::to_string(act) + " is unknown");
    return nullptr;
  }
  const float* bias = nullptr;
  napi_valuetype t;
  napi_typeof(env, argv[4], &t);
  if (t != napi_null && t != napi_undefined) {
    if (!repeats(bsize, rows, n)) {
      fail(env, "bias size " + std::to_string(bsize) + " does not repeat over a [" + std::to_string(rows) + ", " +
                    std::to_string(n) + "] output");
      return nullptr;
    }
    if (!get_region(env, argv[4], "bias", &rb) || !at(env, rb, ob, bsize, "bias", &bias)) return nullptr;
  }
  const float* prelu = nullptr;
  if (act == kPrelu) {
    if (argc < 12 || !get_region(env, argv[9], "prelu", &rp) || !get_i64(env, argv[10], "preluOffset", &op) ||
        !get_i64(env, argv[11], "preluSize", &psize)) {
      return nullptr;
    }
    if (!repeats(psize, rows, n)) {
      fail(env, "prelu weights size " + std::to_string(psize) + " does not repeat over the output");
      return nullptr;
    }
    if (!at(env, rp, op, psize, "prelu", &prelu)) return nullptr;
  }
  bias_activation(c, rows, n, bias, bsize, static_cast<Activation>(act), static_cast<float>(alpha), prelu, psize);
  return undefined(env);
}

// binary(op 0 add | 1 sub | 2 mul, out, outOff, a, aOff, aSize, b, bOff, bSize, n): out[i] = a[i % aSize] op b[i % bSize].
napi_value Binary(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  if (!args(env, info, argv, 10)) return nullptr;
  int64_t op, oo, oa, as, ob, bs, n;
  Region ro, ra, rb;
  if (!get_i64(env, argv[0], "op", &op) || !get_region(env, argv[1], "out", &ro) || !get_i64(env, argv[2], "outOffset", &oo) ||
      !get_region(env, argv[3], "a", &ra) || !get_i64(env, argv[4], "aOffset", &oa) || !get_i64(env, argv[5], "aSize", &as) ||
      !get_region(env, argv[6], "b", &rb) || !get_i64(env, argv[7], "bOffset", &ob) || !get_i64(env, argv[8], "bSize", &bs) ||
      !get_i64(env, argv[9], "n", &n)) {
    return nullptr;
  }
  if (op < 0 || op > kBinaryLast) {
    fail(env, "binary op " + std::to_string(op) + " is unknown");
    return nullptr;
  }
  if (n < 0 || as < 1 || bs < 1 || (n > 0 && (n % as != 0 || n % bs != 0)) || (as != n && bs != n && n > 0)) {
    fail(env, "operand sizes " + std::to_string(as) + " and " + std::to_string(bs) + " do not repeat over " + std::to_string(n));
    return nullptr;
  }
  float* out = nullptr;
  const float *a = nullptr, *b = nullptr;
  if (!at(env, ro, oo, n, "out", &out) || !at(env, ra, oa, as, "a", &a) || !at(env, rb, ob, bs, "b", &b)) return nullptr;
  if (n > 0) binary(static_cast<BinaryOp>(op), a, as, b, bs, out, n);
  return undefined(env);
}

// reduceSum(out, outOff, x, xOff, outer, reduce, inner): out[o, i] = sum_r x[o, r, i].
napi_value ReduceSum(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (!args(env, info, argv, 7)) return nullptr;
  int64_t oo, ox, outer, reduce, inner;
  Region ro, rx;
  if (!get_region(env, argv[0], "out", &ro) || !get_i64(env, argv[1], "outOffset", &oo) || !get_region(env, argv[2], "x", &rx) ||
      !get_i64(env, argv[3], "xOffset", &ox) || !get_i64(env, argv[4], "outer", &outer) ||
      !get_i64(env, argv[5], "reduce", &reduce) || !get_i64(env, argv[6], "inner", &inner)) {
    return nullptr;
  }
  if (outer < 0 || reduce < 0 || inner < 0) {
    fail(env, "reduceSum dims must be non-negative");
    return nullptr;
  }
  float* out = nullptr;
  const float* x = nullptr;
  if (!at(env, ro, oo, outer * inner, "out", &out) || !at(env, rx, ox, outer * reduce * inner, "x", &x)) return nullptr;
  if (outer * inner > 0) reduce_sum(x, outer, reduce, inner, out);
  return undefined(env);
}

bool get_f64(napi_env env, napi_value v, const char* what, double* out) {
  if (napi_get_value_double(env, v, out) != napi_ok || *out != *out) return fail(env, std::string(what) + " must be a number");
  return true;
}

/** The regions of a poincarePairwise* call: (memory, byte offset) pairs, then n, m, c; false after throwing. */
template <int R>
bool pairwise_args(napi_env env, napi_callback_info info, const char* const (&names)[R], Region (&r)[R], int64_t (&off)[R],
                   int64_t* n, int64_t* m, double* c) {
  napi_value argv[2 * R + 3];
  if (!args(env, info, argv, 2 * R + 3)) return false;
  for (int i = 0; i < R; i++) {
    if (!get_region(env, argv[2 * i], names[i], &r[i]) ||
        !get_i64(env, argv[2 * i + 1], (std::string(names[i]) + "Offset").c_str(), &off[i])) {
      return false;
    }
  }
  if (!get_i64(env, argv[2 * R], "n", n) || !get_i64(env, argv[2 * R + 1], "m", m) || !get_f64(env, argv[2 * R + 2], "c", c)) return false;
  if (*n < 0 || *m < 0) return fail(env, "poincarePairwise: n " + std::to_string(*n) + " and m " + std::to_string(*m) + " must be >= 0");
  if (!(*c > 0) || *c > 1e30) return fail(env, "poincarePairwise: curvature c must be positive and finite, got " + std::to_string(*c));
  return true;
}

// poincarePairwise(out, outOff, xy, xyOff, x2, x2Off, y2, y2Off, n, m, c): fused distances from <x,y>, |x|^2, |y|^2.
napi_value PoincarePairwise(napi_env env, napi_callback_info info) {
  static const char* const names[4] = {"out", "xy", "x2", "y2"};
  Region r[4];
  int64_t off[4], n, m;
  double c;
  if (!pairwise_args(env, info, names, r, off, &n, &m, &c)) return nullptr;
  const int64_t counts[4] = {n * m, n * m, n, m};
  float* p[4];
  for (int i = 0; i < 4; i++)
    if (!at(env, r[i], off[i], counts[i], names[i], &p[i])) return nullptr;
  poincare_pairwise(p[1], p[2], p[3], n, m, c, p[0]);
  return undefined(env);
}

// poincarePairwiseGrad(gxy, gxyOff, gx2, gx2Off, gy2, gy2Off, xy, xyOff, x2, x2Off, y2, y2Off, g, gOff, n, m, c).
napi_value PoincarePairwiseGrad(napi_env env, napi_callback_info info) {
  static const char* const names[7] = {"gxy", "gx2", "gy2", "xy", "x2", "y2", "g"};
  Region r[7];
  int64_t off[7], n, m;
  double c;
  if (!pairwise_args(env, info, names, r, off, &n, &m, &c)) return nullptr;
  const int64_t counts[7] = {n * m, n, m, n * m, n, m, n * m};
  float* p[7];
  for (int i = 0; i < 7; i++)
    if (!at(env, r[i], off[i], counts[i], names[i], &p[i])) return nullptr;
  poincare_pairwise_grad(p[3], p[4], p[5], p[6], n, m, c, p[0], p[1], p[2]);
  return undefined(env);
}

napi_value Info(napi_env env, napi_callback_info) {
  napi_value o, s, t;
  napi_create_object(env, &o);
  napi_create_string_utf8(env, simd_name(), NAPI_AUTO_LENGTH, &s);
  napi_create_int32(env, Pool::instance().size(), &t);
  napi_set_named_property(env, o, "simd", s);
  napi_set_named_property(env, o, "threads", t);
  return o;
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int64_t n;
  if (!args(env, info, argv, 1) || !get_i64(env, argv[0], "threads", &n)) return nullptr;
  Pool::instance().resize(static_cast<int>(n));
  return undefined(env);
}

napi_value SetSimd(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, argv, 1)) return nullptr;
  char buf[32];
  size_t len = 0;
  if (napi_get_value_string_utf8(env, argv[0], buf, sizeof buf, &len) != napi_ok) {
    fail(env, "simd must be a string");
    return nullptr;
  }
  napi_value r;
  napi_get_boolean(env, set_simd(buf), &r);
  return r;
}

// softmaxXent(grad, gradOff, nll, nllOff, logits, logitsOff, targets, targetsOff, n, v): fused softmax cross-entropy
// rows (xent.h): grad [n, v] = softmax - onehot(target), nll [n] = logsumexp - logit[target]; targets are int32.
napi_value SoftmaxXent(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  if (!args(env, info, argv, 10)) return nullptr;
  Region r[4];
  int64_t off[4], n, v;
  static const char* const names[4] = {"grad", "nll", "logits", "targets"};
  for (int i = 0; i < 4; i++)
    if (!get_region(env, argv[2 * i], names[i], &r[i]) || !get_i64(env, argv[2 * i + 1], names[i], &off[i])) return nullptr;
  if (!get_i64(env, argv[8], "n", &n) || !get_i64(env, argv[9], "v", &v)) return nullptr;
  if (n < 0 || v < 0) {
    fail(env, "softmaxXent: n " + std::to_string(n) + " and v " + std::to_string(v) + " must be >= 0");
    return nullptr;
  }
  float *grad = nullptr, *nll = nullptr;
  const float* logits = nullptr;
  const int32_t* targets = nullptr;
  if (!at(env, r[0], off[0], n * v, "grad", &grad) || !at(env, r[1], off[1], n, "nll", &nll) ||
      !at(env, r[2], off[2], n * v, "logits", &logits) || !at(env, r[3], off[3], n, "targets", &targets)) {
    return nullptr;
  }
  softmax_xent(logits, targets, n, v, grad, nll);
  return undefined(env);
}

// lmFused(op, rows, d, eps, ...(memory, byteOffset) pairs): the fused decoder kernels of lmfused.h, n = rows * d.
// op 0 SwiGLU forward (out, g, u); 1 SwiGLU backward (dg, du, g, u, dy); 2 RMSNorm forward (y [n], r [rows], x [n],
// w [d]); 3 RMSNorm backward (dx [n], x [n], w [d], r [rows], dy [n]).
napi_value LmFused(napi_env env, napi_callback_info info) {
  napi_value argv[14];
  if (!args(env, info, argv, 4)) return nullptr;
  int64_t op, rows, d;
  double eps;
  if (!get_i64(env, argv[0], "op", &op) || !get_i64(env, argv[1], "rows", &rows) || !get_i64(env, argv[2], "d", &d) ||
      !get_f64(env, argv[3], "eps", &eps)) {
    return nullptr;
  }
  static const int kPairs[4] = {3, 5, 4, 5};
  if (op < 0 || op > 3 || rows < 0 || d < 0) {
    fail(env, "lmFused: op " + std::to_string(op) + " (0..3), rows " + std::to_string(rows) + " and d " + std::to_string(d) + " (>= 0)");
    return nullptr;
  }
  const int64_t n = rows * d;
  const int64_t counts[4][5] = {{n, n, n}, {n, n, n, n, n}, {n, rows, n, d}, {n, n, d, rows, n}};
  size_t argc = 14;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < static_cast<size_t>(4 + 2 * kPairs[op])) {
    fail(env, "lmFused op " + std::to_string(op) + " needs " + std::to_string(kPairs[op]) + " memory/offset pairs");
    return nullptr;
  }
  float* p[5] = {};
  for (int i = 0; i < kPairs[op]; i++) {
    Region r;
    int64_t off;
    const std::string what = "lmFused operand " + std::to_string(i);
    if (!get_region(env, argv[4 + 2 * i], what.c_str(), &r) || !get_i64(env, argv[5 + 2 * i], what.c_str(), &off) ||
        !at(env, r, off, counts[op][i], what.c_str(), &p[i])) {
      return nullptr;
    }
  }
  if (n == 0 && op != 2) return undefined(env);
  if (op == 0) swiglu_forward(p[1], p[2], n, p[0]);
  else if (op == 1) swiglu_backward(p[2], p[3], p[4], n, p[0], p[1]);
  else if (op == 2) rmsnorm_forward(p[2], p[3], rows, d, eps, p[0], p[1]);
  else rmsnorm_backward(p[1], p[2], p[3], p[4], rows, d, p[0]);
  return undefined(env);
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"gemm", nullptr, Gemm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv", nullptr, Conv, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"convFused", nullptr, ConvFused, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adamw", nullptr, AdamW, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"unary", nullptr, Unary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"biasAct", nullptr, BiasAct, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"binary", nullptr, Binary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reduceSum", nullptr, ReduceSum, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"poincarePairwise", nullptr, PoincarePairwise, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"poincarePairwiseGrad", nullptr, PoincarePairwiseGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"softmaxXent", nullptr, SoftmaxXent, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"lmFused", nullptr, LmFused, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setSimd", nullptr, SetSimd, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
