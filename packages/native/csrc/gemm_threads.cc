// Threaded drivers of the GEMM. Three schemes, all over the persistent pool:
// - shared packing (most shapes): per K block, the threads pack op(A) and op(B) panels together into one shared buffer,
//   then compute macro-tiles of C, claimed dynamically; every panel is packed once (the old per-thread split re-packed
//   the whole other operand in every thread), and the tile loop has the same arithmetic as gemm_serial (bit for bit);
// - K split (K much longer than M and N, e.g. dL/dh = dlogits [512, 32000] x E [32000, 288]): each task multiplies a
//   range of K into its own buffer, then the buffers are summed into C. One pool job, no shared packing;
// - long side split (M or N >= 4096, e.g. the logits [512, 288] x [288, 32000]): see gemm_split.
#include <cstring>
#include <mutex>

#include "gemm_impl.h"
#include "pool.h"

namespace llmar {

static constexpr int64_t kThreadMinMacs = int64_t(1) << 18;  // below this, waking a thread costs more than it saves

static inline int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
static inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

// Shared buffers of the threaded product: one threaded product runs at a time (g_mutex); a concurrent caller (another
// Node thread) runs serially instead of waiting.
static Scratch g_ap, g_bp, g_part;
static std::mutex g_mutex;

/** Packed B held at once: about 512K floats (2 MB, so the panels just packed are still in the L2s), whole NR panels. */
static int64_t columns_per_group(const Kernel& kn, int64_t kc) {
  const int64_t cols = (int64_t(1) << 19) / (kc > 0 ? kc : 1);
  const int64_t whole = cols / kn.NR * kn.NR;
  return whole > kn.NC ? whole : kn.NC;
}

static void gemm_shared(const GemmArgs& g, Pool& pool) {
  const Kernel& kn = current_kernel();
  const int nt = pool.size();
  const int64_t M = g.M, N = g.N, K = g.K, MR = kn.MR, NR = kn.NR;
  const int64_t kcMax = min64(K, kn.KC);
  const int64_t MG = kn.MC, NG = columns_per_group(kn, kcMax);
  float* ap = g_ap.get(static_cast<size_t>(cdiv(min64(M, MG), MR) * MR * kcMax));
  float* bp = g_bp.get(static_cast<size_t>(cdiv(min64(N, NG), NR) * NR * kcMax));
  if (!ap || !bp) std::abort();  // out of memory: nothing sensible to return to JS mid-kernel
  for (int64_t k0 = 0; k0 < K; k0 += kn.KC) {
    const int64_t kc = min64(K - k0, kn.KC);
    const bool acc = g.accumulate || k0 > 0;
    for (int64_t i0 = 0; i0 < M; i0 += MG) {
      const int64_t mb = min64(M - i0, MG);
      const int64_t aPanels = cdiv(mb, MR);
      for (int64_t j0 = 0; j0 < N; j0 += NG) {
        const int64_t nb = min64(N - j0, NG);
        const int64_t bPanels = cdiv(nb, NR);
        // 1. pack (A once per row group, B per column group), about 2 tasks per thread and operand
        const int64_t aTasks = j0 == 0 ? min64(aPanels, 2 * nt) : 0, bTasks = min64(bPanels, 2 * nt);
        const int64_t aPer = aTasks ? cdiv(aPanels, aTasks) : 0, bPer = cdiv(bPanels, bTasks);
        pool.run(aTasks + bTasks, [&](int64_t t) {
          if (t < aTasks) {
            const int64_t p0 = t * aPer * MR;
            if (p0 < mb) pack_a(g, i0 + p0, min64(mb - p0, aPer * MR), k0, kc, kn.MR, ap + p0 * kc);
          } else {
            const int64_t p0 = (t - aTasks) * bPer * NR;
            if (p0 < nb) pack_b(g, j0 + p0, min64(nb - p0, bPer * NR), k0, kc, kn.NR, bp + p0 * kc);
          }
        });
        // 2. macro-tiles: columns in blocks of NC (one B block in L2 while an A panel sweeps it), rows cut so that
        // there are about 16 tiles per thread (a thread descheduled on a busy machine leaves its tiles to the others;
        // at 512 x 512 x 512, 4 tiles per thread left one thread up to 5 panels idle: 313-331 against 349-364 GFLOP/s)
        const int64_t ncPanels = kn.NC / NR;
        const int64_t colBlocks = cdiv(bPanels, ncPanels);
        const int64_t rowBlocks = min64(aPanels, cdiv(16 * nt, colBlocks));
        const int64_t rowPer = cdiv(aPanels, rowBlocks);
        pool.run(rowBlocks * colBlocks, [&](int64_t t) {
          const int64_t cb = t / rowBlocks, rb = t % rowBlocks;
          const int64_t p1 = min64(aPanels, (rb + 1) * rowPer), q1 = min64(bPanels, (cb + 1) * ncPanels);
          for (int64_t p = rb * rowPer; p < p1; p++) {
            const int64_t ir = p * MR;
            const int mr = static_cast<int>(min64(mb - ir, MR));
            float* crow = g.C + (i0 + ir) * g.ldc + j0;
            for (int64_t q = cb * ncPanels; q < q1; q++) {
              const int64_t jr = q * NR;
              kn.fn(kc, ap + ir * kc, bp + jr * kc, crow + jr, g.ldc, mr, static_cast<int>(min64(nb - jr, NR)), acc);
            }
          }
        });
      }
    }
  }
}

/**
 * Split of the long side of C (M or N >= kLongSide) in whole micro-tiles, each task packing its own panels: the other
 * operand is packed once per task, negligible next to the task's work at these lengths, and each task's panels are
 * computed right after packing, still in its core's L2 (a shared pack of the wide operand measured ~10% slower on
 * [288, 512] x [512, 32000]).
 */
static constexpr int64_t kLongSide = 4096;

static void gemm_split(const GemmArgs& g, Pool& pool) {
  const Kernel& kn = current_kernel();
  const int nt = pool.size();
  const bool splitM = g.M >= g.N;
  const int64_t unit = splitM ? kn.MR : kn.NR;
  const int64_t len = splitM ? g.M : g.N;
  const int64_t per = cdiv(cdiv(len, unit), 4 * nt) * unit;  // 4 tasks per thread: a descheduled thread's share moves
  pool.run(cdiv(len, per), [&](int64_t t) {
    GemmArgs s = g;
    const int64_t start = t * per;
    const int64_t n = min64(len - start, per);
    if (splitM) {
      s.M = n;
      s.A = g.ta ? g.A + start : g.A + start * g.lda;
      s.C = g.C + start * g.ldc;
    } else {
      s.N = n;
      s.B = g.tb ? g.B + start * g.ldb : g.B + start;
      s.C = g.C + start;
    }
    gemm_serial(s);
  });
}

static void gemm_ksplit(const GemmArgs& g, Pool& pool, int64_t chunks) {
  const int64_t M = g.M, N = g.N, MN = M * N;
  const int64_t per = cdiv(cdiv(g.K, chunks), 16) * 16;
  chunks = cdiv(g.K, per);
  float* part = g_part.get(static_cast<size_t>((chunks - 1) * MN));
  if (!part) std::abort();
  pool.run(chunks, [&](int64_t t) {
    GemmArgs s = g;
    const int64_t k0 = t * per;
    s.K = min64(g.K - k0, per);
    s.A = g.ta ? g.A + k0 * g.lda : g.A + k0;
    s.B = g.tb ? g.B + k0 : g.B + k0 * g.ldb;
    if (t > 0) {
      s.C = part + (t - 1) * MN;
      s.ldc = N;
      s.accumulate = false;
    }
    gemm_serial(s);
  });
  // C += the other chunks' products, rows split over the threads
  const int64_t rowTasks = min64(M, 2 * pool.size());
  const int64_t rowsPer = cdiv(M, rowTasks);
  pool.run(rowTasks, [&](int64_t t) {
    const int64_t r1 = min64(M, (t + 1) * rowsPer);
    for (int64_t i = t * rowsPer; i < r1; i++) {
      float* c = g.C + i * g.ldc;
      for (int64_t p = 0; p < chunks - 1; p++) {
        const float* src = part + p * MN + i * N;
        for (int64_t j = 0; j < N; j++) c[j] += src[j];
      }
    }
  });
}

void gemm(const GemmArgs& g) {
  Pool& pool = Pool::instance();
  const int nt = pool.size();
  if (nt <= 1 || g.M <= 0 || g.N <= 0 || g.K <= 0 || g.M * g.N * g.K < kThreadMinMacs || Pool::in_job()) {
    gemm_serial(g);
    return;
  }
  std::unique_lock<std::mutex> lock(g_mutex, std::try_to_lock);
  if (!lock.owns_lock()) {
    gemm_serial(g);
    return;
  }
  const Kernel& kn = current_kernel();
  // K split when K dominates: each chunk keeps >= 2 K blocks and the partial products stay small (<= 16 MB)
  const int64_t chunks = 2 * nt;
  if (g.K >= 4 * (g.M > g.N ? g.M : g.N) && g.K >= chunks * 2 * kn.KC && (chunks - 1) * g.M * g.N <= (int64_t(1) << 22)) {
    gemm_ksplit(g, pool, chunks);
    return;
  }
  if (g.M >= kLongSide || g.N >= kLongSide) {
    gemm_split(g, pool);
    return;
  }
  gemm_shared(g, pool);
}

void gemm_batched(const GemmArgs& g, int64_t batch, const int32_t* ai, const int32_t* bi, int64_t a_stride,
                  int64_t b_stride, int64_t c_stride) {
  auto one = [&](int64_t b, bool threaded) {
    GemmArgs s = g;
    s.A = g.A + (ai ? ai[b] : b) * a_stride;
    s.B = g.B + (bi ? bi[b] : b) * b_stride;
    s.C = g.C + b * c_stride;
    if (threaded) gemm(s);
    else gemm_serial(s);
  };
  Pool& pool = Pool::instance();
  const int64_t macs = g.M * g.N * g.K;
  if (batch >= 2 && pool.size() > 1 && batch * macs >= kThreadMinMacs && (batch >= 4 * pool.size() || macs < (int64_t(1) << 22))) {
    pool.run(batch, [&](int64_t b) { one(b, false); });
  } else {
    for (int64_t b = 0; b < batch; b++) one(b, true);
  }
}

}  // namespace llmar
