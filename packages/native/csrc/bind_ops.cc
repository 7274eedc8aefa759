// N-API bindings of the optimizer, elementwise and fused decoder kernels (adamw.h, elementwise.h, unary.h, xent.h,
// lmfused.h): adamw, unary, biasAct, binary, reduceSum, softmaxXent, lmFused.
// Every region is bounds-checked against its buffer before any kernel runs.
#include <cstdint>
#include <string>
#include <vector>

#include "adamw.h"
#include "bindings.h"
#include "elementwise.h"
#include "lmfused.h"
#include "napi_util.h"
#include "transpose.h"
#include "unary.h"
#include "xent.h"

namespace llmar {
namespace napi {

namespace {

/** Whether a repeating operand of `size` values fits c[rows, n] (1, or a multiple of n dividing rows*n). */
bool repeats(int64_t size, int64_t rows, int64_t n) {
  return size == 1 || (n > 0 && size > 0 && size % n == 0 && (rows * n) % size == 0);
}

}  // namespace

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
  bool isArray = false;
  uint32_t count = 0;
  napi_is_array(env, argv[9], &isArray);
  if (!isArray || napi_get_array_length(env, argv[9], &count) != napi_ok || count % 3 != 0) {
    fail(env, "memories must be an array of 3 entries per variable");
    return nullptr;
  }
  const int64_t n = count / 3;
  const double *offs, *vd, *hy;
  if (!get_doubles(env, argv[10], "byteOffsets", 3 * n, &offs) || !get_doubles(env, argv[11], "vars", 4 * n, &vd) ||
      !get_doubles(env, argv[12], "hyper", 6, &hy)) {
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

// binary(op 0 add | 1 sub | 2 mul | 3 min | 4 max | 5 div, out, outOff, a, aOff, aSize, b, bOff, bSize, n[, aRep, bRep]):
// out[i] = a[(i / aRep) % aSize] op b[(i / bRep) % bSize] (reps default to 1); aSize·aRep and bSize·bRep divide n, and
// without reps one operand has all n values.
napi_value Binary(napi_env env, napi_callback_info info) {
  napi_value argv[12];
  if (!args(env, info, argv, 10)) return nullptr;
  int64_t op, oo, oa, as, ob, bs, n, ar = 1, br = 1;
  Region ro, ra, rb;
  if (!get_i64(env, argv[0], "op", &op) || !get_region(env, argv[1], "out", &ro) || !get_i64(env, argv[2], "outOffset", &oo) ||
      !get_region(env, argv[3], "a", &ra) || !get_i64(env, argv[4], "aOffset", &oa) || !get_i64(env, argv[5], "aSize", &as) ||
      !get_region(env, argv[6], "b", &rb) || !get_i64(env, argv[7], "bOffset", &ob) || !get_i64(env, argv[8], "bSize", &bs) ||
      !get_i64(env, argv[9], "n", &n)) {
    return nullptr;
  }
  size_t argc = 12;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if ((argc > 10 && !get_i64(env, argv[10], "aRep", &ar)) || (argc > 11 && !get_i64(env, argv[11], "bRep", &br))) return nullptr;
  if (op < 0 || op > kBinaryLast) {
    fail(env, "binary op " + std::to_string(op) + " is unknown");
    return nullptr;
  }
  if (n < 0 || as < 1 || bs < 1 || ar < 1 || br < 1 ||
      (n > 0 && ((as * ar) > n || (bs * br) > n || n % (as * ar) != 0 || n % (bs * br) != 0 ||
                 (ar == 1 && br == 1 && as != n && bs != n)))) {
    fail(env, "operand sizes " + std::to_string(as) + " (repeated " + std::to_string(ar) + "x) and " + std::to_string(bs) +
                  " (repeated " + std::to_string(br) + "x) do not repeat over " + std::to_string(n));
    return nullptr;
  }
  float* out = nullptr;
  const float *a = nullptr, *b = nullptr;
  if (!at(env, ro, oo, n, "out", &out) || !at(env, ra, oa, as, "a", &a) || !at(env, rb, ob, bs, "b", &b)) return nullptr;
  if (n > 0) binary(static_cast<BinaryOp>(op), a, as, ar, b, bs, br, out, n);
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

// transpose(out, outOff, x, xOff, shape, perm): out = x transposed by perm (4-byte values); shape and perm are
// Int32Arrays of one length <= 8, perm a permutation of 0..rank-1.
napi_value Transpose(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!args(env, info, argv, 6)) return nullptr;
  int64_t oo, ox;
  Region ro, rx;
  const int32_t *shape = nullptr, *perm = nullptr;
  size_t rank = 0, prank = 0;
  if (!get_region(env, argv[0], "out", &ro) || !get_i64(env, argv[1], "outOffset", &oo) || !get_region(env, argv[2], "x", &rx) ||
      !get_i64(env, argv[3], "xOffset", &ox) || !get_ints(env, argv[4], "shape", 0, &shape, &rank) ||
      !get_ints(env, argv[5], "perm", 0, &perm, &prank)) {
    return nullptr;
  }
  if (rank != prank || rank > static_cast<size_t>(kTransposeMaxRank)) {
    fail(env, "transpose: shape and perm must have one length <= " + std::to_string(kTransposeMaxRank) + ", got " +
                  std::to_string(rank) + " and " + std::to_string(prank));
    return nullptr;
  }
  int64_t dims[kTransposeMaxRank];
  bool seen[kTransposeMaxRank] = {};
  int64_t n = 1;
  for (size_t a = 0; a < rank; a++) {
    if (shape[a] < 0 || perm[a] < 0 || perm[a] >= static_cast<int32_t>(rank) || seen[perm[a]]) {
      fail(env, "transpose: perm must be a permutation of the axes and dims non-negative");
      return nullptr;
    }
    seen[perm[a]] = true;
    dims[a] = shape[a];
    n *= shape[a];
  }
  uint32_t* out = nullptr;
  const uint32_t* x = nullptr;
  if (!at(env, ro, oo, n, "out", &out) || !at(env, rx, ox, n, "x", &x)) return nullptr;
  if (n > 0) transpose(x, out, dims, perm, static_cast<int>(rank));
  return undefined(env);
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

}  // namespace napi
}  // namespace llmar
