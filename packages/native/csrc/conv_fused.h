// A 1-D/2-D convolution fused with its bias and ReLUs, and all of its gradients in one call: what a conv layer of the
// action VQ-VAE does (optional ReLU on the input, conv, bias, optional ReLU on the output).
#pragma once
#include <cstdint>

#include "conv.h"

namespace llmar {

/** y = post(conv(pre(x), w) + bias); pre/post are ReLU when set; bias [Cout] may be null. */
void conv_fused_forward(const ConvShape& s, const float* x, const float* w, const float* bias, bool preRelu,
                        bool postRelu, float* y);

/**
 * Gradients of sum(dy * y) for the forward above, given x, w, its output y and dy: dx [B,H,W,Cin], dw [KH,KW,Cin,Cout]
 * and db [Cout] (db may be null). ReLU gradients are 0 where the ReLU's input is <= 0 (tfjs's and PyTorch's choice).
 */
void conv_fused_backward(const ConvShape& s, const float* x, const float* w, const float* y, const float* dy,
                         bool preRelu, bool postRelu, float* dx, float* dw, float* db);

}  // namespace llmar
