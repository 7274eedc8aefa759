// N-API binding of the attention softmax kernels (softmax.h): softmax.
// Every region is bounds-checked against its buffer before any kernel runs.
#include <cstdint>
#include <string>

#include "bindings.h"
#include "napi_util.h"
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

}  // namespace napi
}  // namespace llmar
