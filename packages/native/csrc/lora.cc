#include "lora.h"

#include <cstdlib>

#include "gemm.h"
#include "gemm_impl.h"

namespace llmar {

// The same products as @llmar/llm-lora's kernel-by-kernel LoRA (tf.matMul with transpose flags on the native
// BatchMatMul, which calls gemm() for one matrix), each with the same operands and K; the scaling and the sum are single
// float32 roundings as the Multiply and Add kernels make them.

/** C[M,N] = op(A) op(B) of dense row-major operands, through gemm() as the BatchMatMul kernel calls it. */
static void product(const float* A, bool ta, const float* Bm, bool tb, float* C, int64_t M, int64_t N, int64_t K) {
  gemm(GemmArgs{A, Bm, C, M, N, K, ta ? M : K, tb ? K : N, N, ta, tb, false});
}

void lora_add_forward(const LoraShape& s, const float* y, const float* x, const float* a, const float* b, float* o,
                      float* mid, float* bs) {
  for (int64_t i = 0; i < s.r * s.out; i++) bs[i] = b[i] * s.scale;
  product(x, false, a, false, mid, s.N, s.r, s.in);
  product(mid, false, bs, false, o, s.N, s.out, s.r);
  for (int64_t i = 0; i < s.N * s.out; i++) o[i] = y[i] + o[i];
}

static thread_local Scratch tl_dmid;

void lora_add_backward(const LoraShape& s, const float* dy, const float* x, const float* a, const float* bs, const float* mid,
                       float* dx, float* da, float* db) {
  float* dmid = tl_dmid.get(static_cast<size_t>(s.N * s.r));
  if (!dmid && s.N * s.r > 0) std::abort();  // out of memory: nothing sensible to return to JS mid-kernel
  product(dy, false, bs, true, dmid, s.N, s.r, s.out);  // dmid = dy·bsᵀ
  product(dmid, false, a, true, dx, s.N, s.in, s.r);    // dx = dmid·aᵀ
  product(x, true, dmid, false, da, s.in, s.r, s.N);    // da = xᵀ·dmid
  product(mid, true, dy, false, db, s.r, s.out, s.N);   // db = midᵀ·dy, then · s
  for (int64_t i = 0; i < s.r * s.out; i++) db[i] = db[i] * s.scale;
}

}  // namespace llmar
