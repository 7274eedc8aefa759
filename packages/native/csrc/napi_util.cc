// Argument helpers of the N-API bindings (napi_util.h).
#include "napi_util.h"

namespace llmar {
namespace napi {

namespace {

/** *data, *length = a TypedArray of element type `type` holding at least `need` values; false (not thrown) otherwise. */
bool typed_values(napi_env env, napi_value v, napi_typedarray_type want, size_t need, void** data, size_t* length) {
  napi_typedarray_type type;
  size_t offset = 0;
  napi_value ab;
  bool is = false;
  napi_is_typedarray(env, v, &is);
  return is && napi_get_typedarray_info(env, v, &type, length, data, &ab, &offset) == napi_ok && type == want &&
         *length >= need;
}

}  // namespace

bool fail(napi_env env, const std::string& msg) {
  napi_throw_error(env, "LLMAR_NATIVE_ARGUMENT", msg.c_str());
  return false;
}

bool get_region(napi_env env, napi_value v, const char* what, Region* out) {
  bool is = false;
  napi_is_typedarray(env, v, &is);
  if (is) {
    napi_typedarray_type type;
    size_t length = 0, offset = 0;
    void* data = nullptr;
    napi_value ab;
    if (napi_get_typedarray_info(env, v, &type, &length, &data, &ab, &offset) != napi_ok) return fail(env, what);
    size_t elem = 1;
    switch (type) {
      case napi_int16_array: case napi_uint16_array: elem = 2; break;
      case napi_int32_array: case napi_uint32_array: case napi_float32_array: elem = 4; break;
      case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: elem = 8; break;
      default: elem = 1;
    }
    out->base = static_cast<uint8_t*>(data);
    out->bytes = length * elem;
    return true;
  }
  napi_is_arraybuffer(env, v, &is);
  if (is) {
    void* data = nullptr;
    size_t len = 0;
    if (napi_get_arraybuffer_info(env, v, &data, &len) != napi_ok) return fail(env, what);
    out->base = static_cast<uint8_t*>(data);
    out->bytes = len;
    return true;
  }
  return fail(env, std::string(what) + " must be a TypedArray or an ArrayBuffer");
}

bool get_i64(napi_env env, napi_value v, const char* what, int64_t* out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || d != d || d < -9.0e15 || d > 9.0e15) {
    return fail(env, std::string(what) + " must be a number");
  }
  *out = static_cast<int64_t>(d);
  return true;
}

bool get_f64(napi_env env, napi_value v, const char* what, double* out) {
  if (napi_get_value_double(env, v, out) != napi_ok || *out != *out) return fail(env, std::string(what) + " must be a number");
  return true;
}

bool get_ints(napi_env env, napi_value v, const char* what, size_t need, const int32_t** out, size_t* len) {
  void* data = nullptr;
  size_t length = 0;
  if (!typed_values(env, v, napi_int32_array, need, &data, &length)) {
    return fail(env, std::string(what) + " must be an Int32Array of at least " + std::to_string(need) + " values");
  }
  *out = static_cast<const int32_t*>(data);
  if (len) *len = length;
  return true;
}

bool get_doubles(napi_env env, napi_value v, const char* what, size_t need, const double** out) {
  void* data = nullptr;
  size_t length = 0;
  if (!typed_values(env, v, napi_float64_array, need, &data, &length)) {
    return fail(env, std::string(what) + " must be a Float64Array of at least " + std::to_string(need) + " values");
  }
  *out = static_cast<const double*>(data);
  return true;
}

napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

}  // namespace napi
}  // namespace llmar
