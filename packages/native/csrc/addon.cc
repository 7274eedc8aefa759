// N-API (C API, node_api.h) module of the addon: info, setThreads and setSimd here, the kernel entry points of
// bind_gemm.cc, bind_ops.cc, bind_softmax.cc and bind_poincare.cc (bindings.h) registered by Init. Every kernel takes memory as
// (TypedArray | ArrayBuffer, byte offset) pairs (napi_util.h), bounds-checked before any kernel runs.
#include <node_api.h>

#include <cerrno>
#include <cstdint>
#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

#include "bindings.h"
#include "gemm.h"
#include "napi_util.h"
#include "pool.h"

namespace {

using namespace llmar;
using namespace llmar::napi;

/** { simd: the micro-kernel in use, threads: the pool size }. */
napi_value Info(napi_env env, napi_callback_info) {
  napi_value o, s, t;
  napi_create_object(env, &o);
  napi_create_string_utf8(env, simd_name(), NAPI_AUTO_LENGTH, &s);
  napi_create_int32(env, Pool::instance().size(), &t);
  napi_set_named_property(env, o, "simd", s);
  napi_set_named_property(env, o, "threads", t);
  return o;
}

/** Resizes the thread pool to `threads`. */
napi_value SetThreads(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int64_t n;
  if (!args(env, info, argv, 1) || !get_i64(env, argv[0], "threads", &n)) return nullptr;
  Pool::instance().resize(static_cast<int>(n));
  return undefined(env);
}

/** Forces a micro-kernel by name; false if this CPU lacks it. */
napi_value SetSimd(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, argv, 1)) return nullptr;
  char buf[32];
  size_t len = 0;
  if (napi_get_value_string_utf8(env, argv[0], buf, sizeof buf, &len) != napi_ok) {
    fail(env, "simd must be a string");
    return nullptr;
  }
  napi_value r;
  napi_get_boolean(env, set_simd(buf), &r);
  return r;
}

/**
 * populate(region, byteOffset, bytes): maps the pages of [byteOffset, + bytes) of a TypedArray / ArrayBuffer writable
 * now (Linux madvise MADV_POPULATE_WRITE: as if each page were written, without touching the contents), so that
 * kernels writing there later do not take a page fault per 4 KB (~8 us each measured on a VM). Returns 0, the errno,
 * or -1 where the call does not exist (not Linux, or a kernel before 5.14: EINVAL).
 */
napi_value Populate(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  Region r;
  int64_t off, bytes;
  if (!args(env, info, argv, 3) || !get_region(env, argv[0], "region", &r) || !get_i64(env, argv[1], "byteOffset", &off) ||
      !get_i64(env, argv[2], "bytes", &bytes)) {
    return nullptr;
  }
  if (off < 0 || bytes < 0 || static_cast<uint64_t>(off) + static_cast<uint64_t>(bytes) > r.bytes) {
    fail(env, "populate: [" + std::to_string(off) + ", +" + std::to_string(bytes) + ") is outside the region of " +
                  std::to_string(r.bytes) + " bytes");
    return nullptr;
  }
  int32_t code = -1;
#if defined(__linux__)
  constexpr int kPopulateWrite = 23;  // MADV_POPULATE_WRITE (Linux 5.14), not in older headers
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t lo = (reinterpret_cast<uintptr_t>(r.base) + static_cast<uintptr_t>(off) + page - 1) & ~(page - 1);
  const uintptr_t hi = (reinterpret_cast<uintptr_t>(r.base) + static_cast<uintptr_t>(off + bytes)) & ~(page - 1);
  code = hi > lo && madvise(reinterpret_cast<void*>(lo), hi - lo, kPopulateWrite) != 0 ? errno : 0;
#endif
  napi_value out;
  napi_create_int32(env, code, &out);
  return out;
}

/** Registers every entry point on the exports object. */
napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"gemm", nullptr, Gemm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv", nullptr, Conv, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"convFused", nullptr, ConvFused, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adamw", nullptr, AdamW, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"unary", nullptr, Unary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"biasAct", nullptr, BiasAct, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"binary", nullptr, Binary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reduceSum", nullptr, ReduceSum, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"transpose", nullptr, Transpose, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"poincarePairwise", nullptr, PoincarePairwise, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"poincarePairwiseGrad", nullptr, PoincarePairwiseGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"softmaxXent", nullptr, SoftmaxXent, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"lmFused", nullptr, LmFused, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"softmax", nullptr, Softmax, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"attention", nullptr, Attention, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"loraAdd", nullptr, LoraAdd, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"kernelSum", nullptr, KernelSum, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"populate", nullptr, Populate, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setSimd", nullptr, SetSimd, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
