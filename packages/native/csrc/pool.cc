#include "pool.h"

#include <cstdlib>

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

void Pool::worker() {
  uint64_t seen = 0;
  for (;;) {
    const std::function<void(int64_t)>* job;
    int64_t tasks;
    {
      std::unique_lock<std::mutex> lock(m_);
      cv_.wait(lock, [&] { return generation_ != seen; });
      seen = generation_;
      if (job_ == nullptr || joined_ >= active_) continue;  // job already over, or enough helpers
      joined_++;
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
    {
      std::lock_guard<std::mutex> lock(m_);
      done_ += mine;
      joined_--;
    }
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
    done_ = 0;
    joined_ = 0;
    active_ = static_cast<int>(tasks - 1 < size_ - 1 ? tasks - 1 : size_ - 1);
    generation_++;
  }
  cv_.notify_all();
  int64_t mine = 0;
  for (int64_t t = next_.fetch_add(1); t < tasks; t = next_.fetch_add(1)) {
    fn(t);
    mine++;
  }
  std::unique_lock<std::mutex> lock(m_);
  done_ += mine;
  done_cv_.wait(lock, [&] { return done_ == tasks_ && joined_ == 0; });
  job_ = nullptr;
  tl_in_job = false;
}

}  // namespace llmar
