#include "elementwise.h"

#include <cmath>

#include "pool.h"

namespace llmar {

/** The values a repeating operand (size 1 or a multiple of n) contributes to row r, or null for a scalar. */
static const float* row_of(const float* v, int64_t size, int64_t r, int64_t n) {
  return size == 1 ? nullptr : v + (r % (size / n)) * n;
}

static void rows_epilogue(float* c, int64_t r0, int64_t r1, int64_t n, const float* bias, int64_t biasSize,
                          Activation act, float alpha, const float* prelu, int64_t preluSize) {
  for (int64_t r = r0; r < r1; r++) {
    float* row = c + r * n;
    if (bias) {
      const float* b = row_of(bias, biasSize, r, n);
      if (!b) {
        const float s = bias[0];
        for (int64_t j = 0; j < n; j++) row[j] += s;
      } else {
        for (int64_t j = 0; j < n; j++) row[j] += b[j];
      }
    }
    if (act == kPrelu) {
      const float* w = row_of(prelu, preluSize, r, n);
      for (int64_t j = 0; j < n; j++) row[j] = row[j] < 0.f ? (w ? w[j] : prelu[0]) * row[j] : row[j];
      continue;
    }
    switch (act) {
      case kLinear: break;
      case kRelu: for (int64_t j = 0; j < n; j++) row[j] = row[j] > 0.f ? row[j] : 0.f; break;
      case kRelu6: for (int64_t j = 0; j < n; j++) row[j] = row[j] < 0.f ? 0.f : (row[j] > 6.f ? 6.f : row[j]); break;
      case kLeakyRelu: for (int64_t j = 0; j < n; j++) row[j] = row[j] < 0.f ? alpha * row[j] : row[j]; break;
      case kSigmoid: for (int64_t j = 0; j < n; j++) row[j] = 1.f / (1.f + std::exp(-row[j])); break;
      case kElu: for (int64_t j = 0; j < n; j++) row[j] = row[j] < 0.f ? std::expm1(row[j]) : row[j]; break;
      case kPrelu: break;
    }
  }
}

void bias_activation(float* c, int64_t rows, int64_t n, const float* bias, int64_t biasSize, Activation act, float alpha,
                     const float* prelu, int64_t preluSize) {
  if (!bias && act == kLinear) return;
  Pool& pool = Pool::instance();
  const int64_t tasks = rows * n < (int64_t(1) << 20) ? 1 : pool.size();
  const int64_t per = (rows + tasks - 1) / tasks;
  pool.run(tasks, [&](int64_t t) {
    const int64_t a = t * per, b = a + per < rows ? a + per : rows;
    if (a < b) rows_epilogue(c, a, b, n, bias, biasSize, act, alpha, prelu, preluSize);
  });
}

}  // namespace llmar

namespace llmar {

template <typename F>
static void binary_range(F f, const float* a, int64_t as, const float* b, int64_t bs, float* out, int64_t lo, int64_t hi) {
  if (as == bs) {  // same shape
    for (int64_t i = lo; i < hi; i++) out[i] = f(a[i], b[i]);
    return;
  }
  const bool aBig = as > bs;
  const float* big = aBig ? a : b;
  const float* small = aBig ? b : a;
  const int64_t ss = aBig ? bs : as;
  int64_t i = lo;
  while (i < hi) {
    const int64_t j0 = i % ss;
    const int64_t len = (ss - j0) < (hi - i) ? (ss - j0) : (hi - i);  // a run where the small operand is contiguous
    const float* s = small + j0;
    const float* g = big + i;
    float* o = out + i;
    if (ss == 1) {
      const float v = small[0];
      if (aBig) for (int64_t k = 0; k < hi - i; k++) o[k] = f(g[k], v);
      else for (int64_t k = 0; k < hi - i; k++) o[k] = f(v, g[k]);
      return;
    }
    if (aBig) for (int64_t k = 0; k < len; k++) o[k] = f(g[k], s[k]);
    else for (int64_t k = 0; k < len; k++) o[k] = f(s[k], g[k]);
    i += len;
  }
}

/**
 * The same with repeated values: A(i) = a[(i / ar) % as], B(i) = b[(i / br) % bs]. When one operand has rep 1, runs
 * where the other is constant and this one contiguous are done by a vectorisable loop; otherwise value by value.
 */
template <typename F>
static void binary_rep_range(F f, const float* a, int64_t as, int64_t ar, const float* b, int64_t bs, int64_t br, float* out,
                             int64_t lo, int64_t hi) {
  if (ar > 1 && br > 1) {
    for (int64_t i = lo; i < hi; i++) out[i] = f(a[(i / ar) % as], b[(i / br) % bs]);
    return;
  }
  const bool aConst = ar > 1;  // a is the operand constant over runs of R values
  const int64_t R = aConst ? ar : br, cs = aConst ? as : bs, os = aConst ? bs : as;
  const float* cv = aConst ? a : b;
  const float* ov = aConst ? b : a;
  int64_t i = lo;
  while (i < hi) {
    const int64_t q = i / R;
    const float c = cv[q % cs];
    const int64_t rowEnd = (q + 1) * R < hi ? (q + 1) * R : hi;
    while (i < rowEnd) {
      const int64_t j0 = i % os;
      const int64_t len = (os - j0) < (rowEnd - i) ? (os - j0) : (rowEnd - i);
      const float* v = ov + j0;
      float* o = out + i;
      if (aConst) for (int64_t k = 0; k < len; k++) o[k] = f(c, v[k]);
      else for (int64_t k = 0; k < len; k++) o[k] = f(v[k], c);
      i += len;
    }
  }
}

template <typename F>
static void binary_any(F f, const float* a, int64_t as, int64_t ar, const float* b, int64_t bs, int64_t br, float* out,
                       int64_t lo, int64_t hi) {
  if (ar == 1 && br == 1) binary_range(f, a, as, b, bs, out, lo, hi);
  else binary_rep_range(f, a, as, ar, b, bs, br, out, lo, hi);
}

void binary(BinaryOp op, const float* a, int64_t aSize, int64_t aRep, const float* b, int64_t bSize, int64_t bRep, float* out,
            int64_t n) {
  Pool& pool = Pool::instance();
  const int64_t tasks = n < (int64_t(1) << 20) ? 1 : pool.size() * 2;
  const int64_t per = ((n + tasks - 1) / tasks + 15) / 16 * 16;
  pool.run(tasks, [&](int64_t t) {
    const int64_t lo = t * per, hi = lo + per < n ? lo + per : n;
    if (lo >= hi) return;
    switch (op) {
      case kAdd: binary_any([](float x, float y) { return x + y; }, a, aSize, aRep, b, bSize, bRep, out, lo, hi); break;
      case kSub: binary_any([](float x, float y) { return x - y; }, a, aSize, aRep, b, bSize, bRep, out, lo, hi); break;
      case kMul: binary_any([](float x, float y) { return x * y; }, a, aSize, aRep, b, bSize, bRep, out, lo, hi); break;
      case kDiv: binary_any([](float x, float y) { return x / y; }, a, aSize, aRep, b, bSize, bRep, out, lo, hi); break;
      // NaN in either operand gives NaN, like tfjs's Math.min / Math.max (written as selects without short-circuits so
      // that the loops vectorise)
      case kMin: binary_any([](float x, float y) { const float m = y < x ? y : x; return y != y ? y : m; }, a, aSize, aRep, b, bSize, bRep, out, lo, hi); break;
      case kMax: binary_any([](float x, float y) { const float m = y > x ? y : x; return y != y ? y : m; }, a, aSize, aRep, b, bSize, bRep, out, lo, hi); break;
    }
  });
}

void reduce_sum(const float* x, int64_t outer, int64_t reduce, int64_t inner, float* out) {
  Pool& pool = Pool::instance();
  const int64_t total = outer * reduce * inner;
  if (inner == 1) {  // row sums: split rows
    const int64_t tasks = total < (int64_t(1) << 20) ? 1 : pool.size() * 2;
    const int64_t per = (outer + tasks - 1) / tasks;
    pool.run(tasks, [&](int64_t t) {
      const int64_t lo = t * per, hi = lo + per < outer ? lo + per : outer;
      for (int64_t o = lo; o < hi; o++) {
        const float* r = x + o * reduce;
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int64_t k = 0;
        for (; k + 4 <= reduce; k += 4) {
          s0 += r[k];
          s1 += r[k + 1];
          s2 += r[k + 2];
          s3 += r[k + 3];
        }
        for (; k < reduce; k++) s0 += r[k];
        out[o] = static_cast<float>((s0 + s1) + (s2 + s3));
      }
    });
    return;
  }
  // column sums over the middle axis: split (outer, inner) into blocks of columns
  constexpr int64_t kCols = 256;
  const int64_t colBlocks = (inner + kCols - 1) / kCols;
  const int64_t blocks = outer * colBlocks;
  const int64_t tasks = total < (int64_t(1) << 20) ? 1 : blocks;
  pool.run(tasks == 1 ? 1 : blocks, [&](int64_t t) {
    const int64_t first = tasks == 1 ? 0 : t, last = tasks == 1 ? blocks : t + 1;
    double acc[kCols];
    for (int64_t bidx = first; bidx < last; bidx++) {
      const int64_t o = bidx / colBlocks, c0 = (bidx % colBlocks) * kCols;
      const int64_t nc = inner - c0 < kCols ? inner - c0 : kCols;
      for (int64_t c = 0; c < nc; c++) acc[c] = 0;
      for (int64_t r = 0; r < reduce; r++) {
        const float* row = x + (o * reduce + r) * inner + c0;
        for (int64_t c = 0; c < nc; c++) acc[c] += row[c];
      }
      for (int64_t c = 0; c < nc; c++) out[o * inner + c0 + c] = static_cast<float>(acc[c]);
    }
  });
}

}  // namespace llmar
