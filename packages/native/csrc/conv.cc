#include "conv.h"

#include <cstdlib>
#include <cstring>

#include "conv_implicit.h"
#include "gemm.h"
#include "pool.h"

namespace llmar {

static constexpr int64_t kColCap = int64_t(1) << 22;  // floats of im2col buffer per chunk (16 MB), at least one image

static bool is_pointwise(const ConvShape& s) {
  return s.KH == 1 && s.KW == 1 && s.strideH == 1 && s.strideW == 1 && s.padTop == 0 && s.padLeft == 0 &&
         s.OH == s.H && s.OW == s.W;
}

/** Images per chunk so the column buffer stays under kColCap floats. */
static int64_t images_per_chunk(const ConvShape& s) {
  const int64_t perImage = s.OH * s.OW * s.KH * s.KW * s.Cin;
  int64_t n = perImage > 0 ? kColCap / perImage : s.B;
  if (n < 1) n = 1;
  return n > s.B ? s.B : n;
}

/** Rows [r0, r1) of the column matrix of the whole batch (row = (b*OH + oh)*OW + ow) into col (row r0 first). */
static void im2col(const ConvShape& s, const float* x, int64_t r0, int64_t r1, float* col) {
  const int64_t kkc = s.KH * s.KW * s.Cin;
  for (int64_t r = r0; r < r1; r++) {
    const int64_t b = r / (s.OH * s.OW), rem = r % (s.OH * s.OW), oh = rem / s.OW, ow = rem % s.OW;
    float* dst = col + (r - r0) * kkc;
    for (int64_t kh = 0; kh < s.KH; kh++) {
      const int64_t ih = oh * s.strideH - s.padTop + kh * s.dilH;
      for (int64_t kw = 0; kw < s.KW; kw++) {
        const int64_t iw = ow * s.strideW - s.padLeft + kw * s.dilW;
        float* d = dst + (kh * s.KW + kw) * s.Cin;
        if (ih < 0 || ih >= s.H || iw < 0 || iw >= s.W) std::memset(d, 0, sizeof(float) * s.Cin);
        else std::memcpy(d, x + ((b * s.H + ih) * s.W + iw) * s.Cin, sizeof(float) * s.Cin);
      }
    }
  }
}

/** dx += scatter of column rows [r0, r1) (all from whole images, so parallel over images is race-free). */
static void col2im_image(const ConvShape& s, const float* col, int64_t r0, int64_t b, float* dx) {
  const int64_t kkc = s.KH * s.KW * s.Cin;
  for (int64_t oh = 0; oh < s.OH; oh++) {
    for (int64_t ow = 0; ow < s.OW; ow++) {
      const float* src = col + ((b * s.OH + oh) * s.OW + ow - r0) * kkc;
      for (int64_t kh = 0; kh < s.KH; kh++) {
        const int64_t ih = oh * s.strideH - s.padTop + kh * s.dilH;
        if (ih < 0 || ih >= s.H) continue;
        for (int64_t kw = 0; kw < s.KW; kw++) {
          const int64_t iw = ow * s.strideW - s.padLeft + kw * s.dilW;
          if (iw < 0 || iw >= s.W) continue;
          float* d = dx + ((b * s.H + ih) * s.W + iw) * s.Cin;
          const float* v = src + (kh * s.KW + kw) * s.Cin;
          for (int64_t c = 0; c < s.Cin; c++) d[c] += v[c];
        }
      }
    }
  }
}

/** Parallel im2col of rows [r0, r1). */
static void im2col_par(const ConvShape& s, const float* x, int64_t r0, int64_t r1, float* col) {
  Pool& pool = Pool::instance();
  const int64_t rows = r1 - r0;
  const int64_t kkc = s.KH * s.KW * s.Cin;
  const int64_t tasks = rows * kkc < (int64_t(1) << 16) ? 1 : pool.size() * 2;
  const int64_t per = (rows + tasks - 1) / tasks;
  pool.run(tasks, [&](int64_t t) {
    const int64_t a = r0 + t * per, b = a + per < r1 ? a + per : r1;
    if (a < b) im2col(s, x, a, b, col + (a - r0) * kkc);
  });
}

/**
 * The column buffer, kept per calling thread and only grown: a fresh multi-megabyte malloc per call is served by mmap,
 * and its page faults and zeroing cost about a third of a small convolution.
 */
struct ColBuf {
  float* p = nullptr;
  explicit ColBuf(int64_t n) {
    static thread_local float* buf = nullptr;
    static thread_local int64_t cap = 0;
    if (n < 1) n = 1;
    if (n > cap) {
      std::free(buf);
      buf = static_cast<float*>(std::malloc(sizeof(float) * n));
      if (!buf) std::abort();
      cap = n;
    }
    p = buf;
  }
};

void conv2d_forward(const ConvShape& s, const float* x, const float* w, float* y) {
  const int64_t kkc = s.KH * s.KW * s.Cin, ohw = s.OH * s.OW;
  if (conv_implicit_available()) {
    conv_forward_implicit(s, x, w, y);
    return;
  }
  if (is_pointwise(s)) {
    gemm({x, w, y, s.B * ohw, s.Cout, kkc, kkc, s.Cout, s.Cout, false, false, false});
    return;
  }
  const int64_t chunk = images_per_chunk(s);
  ColBuf col(chunk * ohw * kkc);
  for (int64_t b0 = 0; b0 < s.B; b0 += chunk) {
    const int64_t nb = s.B - b0 < chunk ? s.B - b0 : chunk;
    const int64_t r0 = b0 * ohw, rows = nb * ohw;
    im2col_par(s, x, r0, r0 + rows, col.p);
    gemm({col.p, w, y + r0 * s.Cout, rows, s.Cout, kkc, kkc, s.Cout, s.Cout, false, false, false});
  }
}

void conv2d_backprop_input(const ConvShape& s, const float* dy, const float* w, float* dx) {
  const int64_t kkc = s.KH * s.KW * s.Cin, ohw = s.OH * s.OW;
  // with a stride most taps of an input pixel read nothing (zero rows): the column path wastes no products there
  if (conv_implicit_available() && s.strideH == 1 && s.strideW == 1) {
    conv_backprop_input_implicit(s, dy, w, dx);
    return;
  }
  if (is_pointwise(s)) {  // dx = dy w^T
    gemm({dy, w, dx, s.B * ohw, s.Cin, s.Cout, s.Cout, s.Cout, s.Cin, false, true, false});
    return;
  }
  std::memset(dx, 0, sizeof(float) * s.B * s.H * s.W * s.Cin);
  const int64_t chunk = images_per_chunk(s);
  ColBuf col(chunk * ohw * kkc);
  Pool& pool = Pool::instance();
  for (int64_t b0 = 0; b0 < s.B; b0 += chunk) {
    const int64_t nb = s.B - b0 < chunk ? s.B - b0 : chunk;
    const int64_t r0 = b0 * ohw, rows = nb * ohw;
    // dcol[rows, kkc] = dy[rows, Cout] w[kkc, Cout]^T
    gemm({dy + r0 * s.Cout, w, col.p, rows, kkc, s.Cout, s.Cout, s.Cout, kkc, false, true, false});
    pool.run(nb, [&](int64_t i) { col2im_image(s, col.p, r0, b0 + i, dx); });
  }
}

void conv2d_backprop_filter(const ConvShape& s, const float* x, const float* dy, float* dw) {
  const int64_t kkc = s.KH * s.KW * s.Cin, ohw = s.OH * s.OW;
  if (conv_implicit_available()) {
    conv_backprop_filter_implicit(s, x, dy, dw);
    return;
  }
  if (is_pointwise(s)) {  // dw = x^T dy
    gemm({x, dy, dw, kkc, s.Cout, s.B * ohw, kkc, s.Cout, s.Cout, true, false, false});
    return;
  }
  const int64_t chunk = images_per_chunk(s);
  ColBuf col(chunk * ohw * kkc);
  bool first = true;
  for (int64_t b0 = 0; b0 < s.B; b0 += chunk) {
    const int64_t nb = s.B - b0 < chunk ? s.B - b0 : chunk;
    const int64_t r0 = b0 * ohw, rows = nb * ohw;
    im2col_par(s, x, r0, r0 + rows, col.p);
    // dw[kkc, Cout] (+)= col[rows, kkc]^T dy[rows, Cout]
    gemm({col.p, dy + r0 * s.Cout, dw, kkc, s.Cout, rows, kkc, s.Cout, s.Cout, true, false, !first});
    first = false;
  }
  if (first) std::memset(dw, 0, sizeof(float) * kkc * s.Cout);
}

}  // namespace llmar
