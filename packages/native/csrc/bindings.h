// The N-API entry points of the addon, one per exported JavaScript function (addon.cc registers them; argument lists
// in the comments of bind_gemm.cc, bind_ops.cc, bind_softmax.cc and bind_poincare.cc, types in src/addon.ts).
#pragma once
#include <node_api.h>

namespace llmar {
namespace napi {

// bind_gemm.cc
napi_value Gemm(napi_env env, napi_callback_info info);
napi_value Conv(napi_env env, napi_callback_info info);
napi_value ConvFused(napi_env env, napi_callback_info info);

// bind_ops.cc
napi_value AdamW(napi_env env, napi_callback_info info);
napi_value Unary(napi_env env, napi_callback_info info);
napi_value BiasAct(napi_env env, napi_callback_info info);
napi_value Binary(napi_env env, napi_callback_info info);
napi_value ReduceSum(napi_env env, napi_callback_info info);
napi_value Transpose(napi_env env, napi_callback_info info);
napi_value SoftmaxXent(napi_env env, napi_callback_info info);
napi_value LmFused(napi_env env, napi_callback_info info);

// bind_softmax.cc
napi_value Softmax(napi_env env, napi_callback_info info);
napi_value Attention(napi_env env, napi_callback_info info);
napi_value LoraAdd(napi_env env, napi_callback_info info);
napi_value KernelSum(napi_env env, napi_callback_info info);

// bind_poincare.cc
napi_value PoincarePairwise(napi_env env, napi_callback_info info);
napi_value PoincarePairwiseGrad(napi_env env, napi_callback_info info);

}  // namespace napi
}  // namespace llmar
