// Fused softmax cross-entropy over the rows of a logits matrix (the vocabulary loss of a language model).
#pragma once
#include <cstdint>

namespace llmar {

/**
 * For each row i of logits [n, v] with target t = targets[i]:
 *   grad[i, :] = softmax(logits[i, :]) - onehot(t)      (the gradient of nll[i] with respect to the row)
 *   nll[i]     = logsumexp(logits[i, :]) - logits[i, t]  (computed from the row maximum, in double: exact and stable)
 * A target outside [0, v) gives nll NaN and no one-hot term. Rows are spread over the thread pool.
 */
/** out = softmax(x) over v values (portable C++, from the row maximum, summed in double); returns logsumexp(x). out may alias x. */
double softmax_row(const float* x, int64_t v, float* out);

void softmax_xent(const float* logits, const int32_t* targets, int64_t n, int64_t v, float* grad, float* nll);

}  // namespace llmar
