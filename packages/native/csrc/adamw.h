// One fused AdamW step over many variables whose moments live in two flat vectors (llm-lora's AdamW layout).
#pragma once
#include <cstdint>

namespace llmar {

struct AdamWVar {
  const float* p;  // parameter values [size]
  const float* g;  // gradient [size]
  float* pOut;     // updated parameter [size]
  int64_t size;
  int64_t offset;  // start of this variable in the flat moments
  double stepSize;  // lr / (1 - beta1^t)
  double sqrtBc2;   // sqrt(1 - beta2^t)
};

struct AdamWHyper {
  double beta1, beta2, eps;
  double decay;     // lr * weightDecay (0: none)
  double scale;     // gradients are multiplied by this first
  double clipNorm;  // <= 0 or infinite: no clipping
};

/**
 * mOut/vOut = m/v with every variable's range updated (other ranges copied); mOut may be m and vOut v (in place, each
 * value read before it is written); pOut of each variable updated (not aliasing p). Gradient
 * norm (after `scale`, before clipping) over all variables' gradients, accumulated in double, is returned.
 *   g' = scale g factor (factor = clip / (norm + 1e-6) when norm > clip); m' = b1 m + (1-b1) g'; v' = b2 v + (1-b2) g'^2
 *   p' = p - (m' / (sqrt(v') / sqrtBc2 + eps) stepSize + decay p)
 * in float32, in the order llm-lora's tensor ops use.
 */
double adamw_step(const AdamWVar* vars, int64_t n, const float* m, const float* v, float* mOut, float* vOut,
                  int64_t total, const AdamWHyper& h);

}  // namespace llmar
