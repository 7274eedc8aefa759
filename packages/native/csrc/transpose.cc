#include "transpose.h"

#include <cstring>

#include "pool.h"

namespace llmar {

namespace {

/** A transpose reduced to its essential axes: out axis i reads input axis perm[i]; in strides of the input. */
struct Plan {
  int rank = 0;
  int64_t outShape[kTransposeMaxRank];
  int64_t inStride[kTransposeMaxRank];  // input stride of out axis i
};

Plan plan(const int64_t* shape, const int32_t* perm, int rank) {
  // drop size-1 axes (their position does not matter), renumbering the rest
  int64_t dims[kTransposeMaxRank];
  int32_t p[kTransposeMaxRank], newIndex[kTransposeMaxRank];
  int r = 0;
  for (int a = 0; a < rank; a++) {
    newIndex[a] = shape[a] == 1 ? -1 : r;
    if (shape[a] != 1) dims[r++] = shape[a];
  }
  int q = 0;
  for (int i = 0; i < rank; i++)
    if (newIndex[perm[i]] >= 0) p[q++] = newIndex[perm[i]];
  // merge runs of input axes that follow each other in p
  int32_t mp[kTransposeMaxRank], groupOf[kTransposeMaxRank];
  int groups = 0;
  for (int i = 0; i < r; i++) {
    if (i > 0 && p[i] == p[i - 1] + 1) {
      groupOf[p[i]] = groupOf[p[i - 1]];
    } else {
      groupOf[p[i]] = groups;
      mp[groups++] = p[i];  // the group's first input axis (groups are numbered in output order)
    }
  }
  // the groups' input order: sort group heads by input axis
  int32_t order[kTransposeMaxRank];  // order[k] = group with the k-th smallest head
  for (int g = 0; g < groups; g++) order[g] = g;
  for (int a = 1; a < groups; a++)
    for (int b = a; b > 0 && mp[order[b]] < mp[order[b - 1]]; b--) std::swap(order[b], order[b - 1]);
  int64_t gsize[kTransposeMaxRank];
  for (int g = 0; g < groups; g++) gsize[g] = 1;
  for (int a = 0; a < r; a++) gsize[groupOf[a]] *= dims[a];
  // input strides of each group (groups laid out in input order)
  int64_t gstride[kTransposeMaxRank];
  int64_t s = 1;
  for (int k = groups - 1; k >= 0; k--) {
    gstride[order[k]] = s;
    s *= gsize[order[k]];
  }
  Plan pl;
  pl.rank = groups;
  for (int g = 0; g < groups; g++) {  // groups are numbered in output order
    pl.outShape[g] = gsize[g];
    pl.inStride[g] = gstride[g];
  }
  return pl;
}

/** Output rows [r0, r1) of the plan (a row: the last output axis). */
void rows(const Plan& pl, const uint32_t* x, uint32_t* out, int64_t r0, int64_t r1) {
  const int last = pl.rank - 1;
  const int64_t n = pl.outShape[last], st = pl.inStride[last];
  int64_t idx[kTransposeMaxRank];
  int64_t rem = r0, off = 0;
  for (int i = last - 1; i >= 0; i--) {
    idx[i] = rem % pl.outShape[i];
    rem /= pl.outShape[i];
    off += idx[i] * pl.inStride[i];
  }
  uint32_t* o = out + r0 * n;
  for (int64_t row = r0; row < r1; row++) {
    if (st == 1) {
      std::memcpy(o, x + off, sizeof(uint32_t) * n);
    } else {
      const uint32_t* src = x + off;
      for (int64_t j = 0; j < n; j++) o[j] = src[j * st];
    }
    o += n;
    for (int i = last - 1; i >= 0; i--) {  // odometer over the outer output axes
      off += pl.inStride[i];
      if (++idx[i] < pl.outShape[i]) break;
      off -= pl.inStride[i] * pl.outShape[i];
      idx[i] = 0;
    }
  }
}

}  // namespace

void transpose(const uint32_t* x, uint32_t* out, const int64_t* shape, const int32_t* perm, int rank) {
  int64_t total = 1;
  for (int a = 0; a < rank; a++) total *= shape[a];
  if (total == 0) return;
  const Plan pl = plan(shape, perm, rank);
  if (pl.rank <= 1) {
    std::memcpy(out, x, sizeof(uint32_t) * total);
    return;
  }
  const int64_t n = pl.outShape[pl.rank - 1], nrows = total / n;
  Pool& pool = Pool::instance();
  const int64_t tasks = total < (int64_t(1) << 18) ? 1 : (nrows < 4 * pool.size() ? nrows : 4 * pool.size());
  const int64_t per = (nrows + tasks - 1) / tasks;
  pool.run(tasks, [&](int64_t t) {
    const int64_t r0 = t * per, r1 = r0 + per < nrows ? r0 + per : nrows;
    if (r0 < r1) rows(pl, x, out, r0, r1);
  });
}

}  // namespace llmar
