// Causal grouped-query self-attention with RoPE as one kernel each way, for @llmar/llm-lora's training step: the RoPE
// rotations, the head transposes, the two batched products, the masked softmax and (backward) the four gradient
// products and the inverse rotations, per (batch row, key/value head) on the thread pool. Built from the same GEMM and
// softmax rows as the separate kernels it replaces, in the same order, so its results equal theirs bit for bit.
#pragma once
#include <cstdint>

namespace llmar {

/**
 * Geometry: B sequences of T positions, H query heads in G groups (H % G == 0), head size hs (even), bias [biasB, T, T]
 * (biasB 0: none, 1: shared, B: per sequence), RoPE pairs `style` 0: (2j, 2j+1), 1: (j, j + hs/2).
 */
struct AttnShape {
  int64_t B, T, H, G, hs, biasB;
  int style;
};

/** RoPE tables [T, hs]: the queries' cos / signed sin (already times 1/√hs) and the keys'. */
struct AttnTables {
  const float* cosQ;
  const float* sinQ;
  const float* cosK;
  const float* sinK;
};

/**
 * q [B·T, H·hs], k and v [B·T, G·hs] → o [B·T, H·hs], with what the backward needs: qh [B, H, T, hs] (rotated, scaled
 * queries), kr [B, G, T, hs] (rotated keys) and probs [B, H, T, T] = softmax(qh·krᵀ + bias).
 */
void attention_forward(const AttnShape& s, const AttnTables& t, const float* q, const float* k, const float* v,
                       const float* bias, float* o, float* qh, float* kr, float* probs);

/** dy [B·T, H·hs] and the forward's qh, kr, v, probs → dq [B·T, H·hs], dk and dv [B·T, G·hs]. */
void attention_backward(const AttnShape& s, const AttnTables& t, const float* dy, const float* qh, const float* kr,
                        const float* v, const float* probs, float* dq, float* dk, float* dv);

}  // namespace llmar
