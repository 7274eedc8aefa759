// A persistent thread pool: workers are started once; between jobs they spin for a short while (~50 us, so the several
// jobs of one kernel, e.g. pack then compute, start without a futex wake-up each) and then sleep on a condition variable.
// One job runs at a time (a mutex serialises callers from several Node environments).
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace llmar {

class Pool {
 public:
  /** Number of threads a job may use (the caller's thread counts as one). */
  int size() const { return size_; }
  /** Change the thread count (1..64); starts missing workers; extra workers just stay idle. */
  void resize(int n);
  /**
   * Run fn(task) for task in [0, tasks), spread over the threads, and return when all are done. The calling thread
   * takes tasks too. With one thread or one task it runs inline.
   */
  void run(int64_t tasks, const std::function<void(int64_t)>& fn);
  static Pool& instance();
  /** Whether the calling thread is running a task of a job (a run() from there executes inline). */
  static bool in_job();

 private:
  explicit Pool(int n);
  void worker();
  int size_ = 1;
  int started_ = 0;  // workers started (size_ - 1 of them are used)
  std::mutex run_mutex_;  // one job at a time
  std::mutex m_;
  std::condition_variable cv_;
  std::condition_variable done_cv_;
  const std::function<void(int64_t)>* job_ = nullptr;
  int64_t tasks_ = 0;
  std::atomic<int64_t> next_{0};
  std::atomic<int64_t> done_{0};       // tasks finished
  std::atomic<uint64_t> generation_{0};  // bumped (under m_) for every job
  int active_ = 0;                     // workers allowed to join the current job
  std::atomic<int> joined_{0};         // workers inside the current job (incremented under m_)
};

}  // namespace llmar
