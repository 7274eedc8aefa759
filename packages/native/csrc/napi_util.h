// Argument helpers shared by the N-API binding files (bind_*.cc, addon.cc). Every kernel takes memory as
// (TypedArray | ArrayBuffer, byte offset) pairs so the same entry points serve the wasm backend (one heap, many offsets)
// and the cpu backend (one Float32Array per tensor). Every getter throws a LLMAR_NATIVE_ARGUMENT error and returns false
// when its argument is unusable.
#pragma once
#include <node_api.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace llmar {
namespace napi {

/** The bytes of a TypedArray (its own view) or of an ArrayBuffer. */
struct Region {
  uint8_t* base = nullptr;
  size_t bytes = 0;
};

/** Throws a LLMAR_NATIVE_ARGUMENT error with `msg`; always false. */
bool fail(napi_env env, const std::string& msg);

/** *out = the bytes of a TypedArray or ArrayBuffer argument; false after throwing. */
bool get_region(napi_env env, napi_value v, const char* what, Region* out);

/** *out = an integer-valued number argument (|v| <= 9e15); false after throwing. */
bool get_i64(napi_env env, napi_value v, const char* what, int64_t* out);

/** *out = a number argument that is not NaN; false after throwing. */
bool get_f64(napi_env env, napi_value v, const char* what, double* out);

/** *out = the values of an Int32Array of at least `need` values (*len = its length when len is given); false after throwing. */
bool get_ints(napi_env env, napi_value v, const char* what, size_t need, const int32_t** out, size_t* len);

/** *out = the values of a Float64Array of at least `need` values; false after throwing. */
bool get_doubles(napi_env env, napi_value v, const char* what, size_t need, const double** out);

/** The JavaScript undefined value. */
napi_value undefined(napi_env env);

/** *out = the floats at byte offset `off` of region `r`, valid for `count` floats; false after throwing. */
template <typename T>
bool at(napi_env env, const Region& r, int64_t off, int64_t count, const char* what, T** out) {
  if (off < 0 || count < 0 || (off & 3) != 0 || static_cast<uint64_t>(off) + static_cast<uint64_t>(count) * 4 > r.bytes) {
    fail(env, std::string(what) + ": byte offset " + std::to_string(off) + " + " + std::to_string(count) +
                  " floats is outside its buffer of " + std::to_string(r.bytes) + " bytes (or misaligned)");
    return false;
  }
  *out = reinterpret_cast<T*>(r.base + off);  // may be null for an empty buffer: then count is 0 and nothing is read
  return true;
}

/** argv = the call's first N arguments (the rest undefined); false after throwing when fewer than `required` came. */
template <size_t N>
bool args(napi_env env, napi_callback_info info, napi_value (&argv)[N], size_t required) {
  size_t argc = N;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < required) return fail(env, "expected " + std::to_string(required) + " arguments, got " + std::to_string(argc));
  return true;
}

}  // namespace napi
}  // namespace llmar
