// 2-D convolution (NHWC input, [KH, KW, Cin, Cout] filter) and its two gradients, by im2col + GEMM, with any stride,
// dilation and explicit padding. Covers conv1d as H = KH = 1.
#pragma once
#include <cstdint>

namespace llmar {

struct ConvShape {
  int64_t B, H, W, Cin, KH, KW, Cout;
  int64_t strideH, strideW, dilH, dilW, padTop, padLeft, OH, OW;
};

/** y[B,OH,OW,Cout] = conv(x[B,H,W,Cin], w[KH,KW,Cin,Cout]). */
void conv2d_forward(const ConvShape& s, const float* x, const float* w, float* y);
/** dx[B,H,W,Cin] from dy[B,OH,OW,Cout] and w. */
void conv2d_backprop_input(const ConvShape& s, const float* dy, const float* w, float* dx);
/** dw[KH,KW,Cin,Cout] from x and dy. */
void conv2d_backprop_filter(const ConvShape& s, const float* x, const float* dy, float* dw);

}  // namespace llmar
