// N-API bindings of the fused Poincaré-ball pairwise distances (poincare.h): poincarePairwise, poincarePairwiseGrad.
// Every region is bounds-checked against its buffer before any kernel runs.
#include <cstdint>
#include <string>

#include "bindings.h"
#include "napi_util.h"
#include "poincare.h"

namespace llmar {
namespace napi {

namespace {

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

}  // namespace

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

}  // namespace napi
}  // namespace llmar
