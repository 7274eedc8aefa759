// Internals shared by the serial GEMM (gemm.cc) and its threaded drivers (gemm_threads.cc).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "gemm.h"

namespace llmar {

/** Micro-kernel: c[mr x nr] (+)= sum_k a[k*MR + r] * b[k*NR + j] over packed panels; mr <= MR, nr <= NR. */
typedef void (*KernelFn)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int mr, int nr, bool acc);

struct Kernel {
  const char* name;
  KernelFn fn;
  int MR, NR;
  int64_t KC, MC, NC;  // K block; rows of A packed at once; columns of B swept per A panel (kept in L2)
};

/** The micro-kernel in use (set_simd may change it between calls). */
const Kernel& current_kernel();

/** Pack rows [i0, i0+mb) x k [k0, k0+kc) of op(A) into MR-row panels (k-major inside a panel, zero-padded rows). */
void pack_a(const GemmArgs& g, int64_t i0, int64_t mb, int64_t k0, int64_t kc, int MR, float* out);
/** Pack k [k0, k0+kc) x columns [j0, j0+nb) of op(B) into NR-column panels (zero-padded columns). */
void pack_b(const GemmArgs& g, int64_t j0, int64_t nb, int64_t k0, int64_t kc, int NR, float* out);

/** 64-byte aligned scratch, grown on demand and kept (malloc + manual alignment: portable to MSVC too). */
struct Scratch {
  void* raw = nullptr;
  float* ptr = nullptr;
  size_t cap = 0;
  float* get(size_t n) {
    if (n > cap) {
      std::free(raw);
      raw = std::malloc(n * sizeof(float) + 64);
      ptr = raw ? reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(raw) + 63) & ~static_cast<uintptr_t>(63)) : nullptr;
      cap = raw ? n : 0;
    }
    return ptr;
  }
};

}  // namespace llmar
