// Compile-time guards and run-time CPU detection for the SIMD paths. No -march flag is used: each SIMD function carries
// its own target attribute and is only called after the CPU was checked, so the addon builds and runs on any x86-64
// (and, with the portable kernels only, on non-x86 machines).
#pragma once

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define LLMAR_X86 1
#include <immintrin.h>
#define LLMAR_TARGET_AVX512 __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")))
#define LLMAR_TARGET_AVX2 __attribute__((target("avx2,fma")))
namespace llmar {
inline bool cpu_has_avx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw");
}
inline bool cpu_has_avx2_fma() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
}  // namespace llmar
#else
#define LLMAR_X86 0
#endif
