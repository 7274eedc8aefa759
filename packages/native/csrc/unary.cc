#include "unary.h"

#include <cmath>

#include "pool.h"

namespace llmar {

void unary(UnaryOp op, const float* x, float* out, int64_t n) {
  Pool& pool = Pool::instance();
  const int64_t tasks = n < (int64_t(1) << 15) ? 1 : pool.size() * 2;
  const int64_t per = ((n + tasks - 1) / tasks + 15) / 16 * 16;
  pool.run(tasks, [&](int64_t t) {
    const int64_t lo = t * per, hi = lo + per < n ? lo + per : n;
    switch (op) {
      case kExp:
        for (int64_t i = lo; i < hi; i++) out[i] = std::exp(x[i]);  // glibc expf: within 1 ulp
        break;
    }
  });
}

}  // namespace llmar
