// Implicit-GEMM forward convolution and input gradient (AVX-512 only): see conv_implicit.cc.
#pragma once
#include "conv.h"

namespace llmar {

/** Whether the implicit kernels can run (the AVX-512 micro-kernel is the one selected). */
bool conv_implicit_available();
/** y[B,OH,OW,Cout] = conv(x, w), as conv2d_forward. */
void conv_forward_implicit(const ConvShape& s, const float* x, const float* w, float* y);
/** dx[B,H,W,Cin] from dy and w, as conv2d_backprop_input. */
void conv_backprop_input_implicit(const ConvShape& s, const float* dy, const float* w, float* dx);

/** dw[KH,KW,Cin,Cout] from x and dy, as conv2d_backprop_filter. */
void conv_backprop_filter_implicit(const ConvShape& s, const float* x, const float* dy, float* dw);

}  // namespace llmar
