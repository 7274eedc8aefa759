#include "pool.h"

#include <chrono>
#include <cstdlib>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define LLMAR_CPU_RELAX() _mm_pause()
#else
#define LLMAR_CPU_RELAX() std::this_thread::yield()
#endif

namespace llmar {

static int default_threads() {
  const char* env = std::getenv("LLMAR_NATIVE_THREADS");
  if (env && *env) {
    int n = std::atoi(env);
    if (n >= 1 && n <= 64) return n;
  }
  unsigned hc = std::thread::hardware_concurrency();
  if (hc == 0) hc = 1;
  return hc > 64 ? 64 : static_cast<int>(hc);
}

Pool& Pool::instance() {
  // Never destroyed: workers sleep on the condition variable until the process exits.
  static Pool* pool = new Pool(default_threads());
  return *pool;
}

Pool::Pool(int n) { resize(n); }

void Pool::resize(int n) {
  if (n < 1) n = 1;
  if (n > 64) n = 64;
  std::lock_guard<std::mutex> run_lock(run_mutex_);
  while (started_ < n - 1) {
    std::thread(&Pool::worker, this).detach();
    started_++;
  }
  size_ = n;
}

static thread_local bool tl_in_job = false;  // a task that calls run() again runs the inner job inline

bool Pool::in_job() { return tl_in_job; }

/** Spin until pred() or about `us` microseconds passed; returns pred(). */
template <class Pred>
static bool spin_until(Pred pred, int us) {
  if (pred()) return true;
  const auto end = std::chrono::steady_clock::now() + std::chrono::microseconds(us);
  for (;;) {
    for (int i = 0; i < 64; i++) {
      LLMAR_CPU_RELAX();
      if (pred()) return true;
    }
    if (std::chrono::steady_clock::now() >= end) return pred();
  }
}

static constexpr int kWorkerSpinUs = 50;  // a worker's spin after a job, waiting for the next one (pack → compute)
static constexpr int kCallerSpinUs = 20;   // the caller's spin waiting for the workers' last tasks

void Pool::worker() {
  uint64_t seen = generation_.load();
  for (;;) {
    spin_until([&] { return generation_.load(std::memory_order_acquire) != seen; }, kWorkerSpinUs);
    const std::function<void(int64_t)>* job;
    int64_t tasks;
    {
      std::unique_lock<std::mutex> lock(m_);
      cv_.wait(lock, [&] { return generation_.load(std::memory_order_relaxed) != seen; });
      seen = generation_.load(std::memory_order_relaxed);
      if (job_ == nullptr || joined_.load() >= active_) continue;  // job already over, or enough helpers
      joined_.fetch_add(1);
      job = job_;
      tasks = tasks_;
    }
    int64_t mine = 0;
    tl_in_job = true;
    for (int64_t t = next_.fetch_add(1); t < tasks; t = next_.fetch_add(1)) {
      (*job)(t);
      mine++;
    }
    tl_in_job = false;
    done_.fetch_add(mine);
    joined_.fetch_sub(1);
    { std::lock_guard<std::mutex> lock(m_); }  // a caller about to sleep on done_cv_ has checked or will see the counts
    done_cv_.notify_all();
  }
}

void Pool::run(int64_t tasks, const std::function<void(int64_t)>& fn) {
  if (tasks <= 0) return;
  if (tl_in_job || size_ <= 1 || tasks == 1) {
    for (int64_t t = 0; t < tasks; t++) fn(t);
    return;
  }
  std::lock_guard<std::mutex> run_lock(run_mutex_);
  tl_in_job = true;
  {
    std::lock_guard<std::mutex> lock(m_);
    job_ = &fn;
    tasks_ = tasks;
    next_.store(0);
    done_.store(0);
    active_ = static_cast<int>(tasks - 1 < size_ - 1 ? tasks - 1 : size_ - 1);
    generation_.fetch_add(1);
  }
  cv_.notify_all();
  int64_t mine = 0;
  for (int64_t t = next_.fetch_add(1); t < tasks; t = next_.fetch_add(1)) {
    fn(t);
    mine++;
  }
  done_.fetch_add(mine);
  auto finished = [&] { return done_.load() == tasks && joined_.load() == 0; };
  spin_until(finished, kCallerSpinUs);
  // Checked again under m_ (workers join under m_): no worker can join this job once job_ is cleared here.
  std::unique_lock<std::mutex> lock(m_);
  done_cv_.wait(lock, finished);
  job_ = nullptr;
  tl_in_job = false;
}

}  // namespace llmar
