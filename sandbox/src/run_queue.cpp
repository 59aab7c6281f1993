#include "run_queue.h"

#include "libgrpo/error.h"

namespace grpo::sandbox {

RunQueue::RunQueue(std::shared_ptr<Executor> executor, int workers, int waiting)
    : executor_(std::move(executor)), workers_(workers), waiting_(waiting) {
  GRPO_CHECK(executor_ != nullptr, "the run queue needs an executor");
  GRPO_CHECK(workers >= 1, "concurrency must be at least 1, got ", workers);
  GRPO_CHECK(waiting >= 0, "queue_size must not be negative, got ", waiting);
  threads_.reserve(static_cast<size_t>(workers));
  for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
}

RunQueue::~RunQueue() {
  cancel_all();
  join();
}

RunQueue::Admit RunQueue::submit(RunRequest request, std::stop_source stop, Done done) {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return Admit::closed;
    // Admission counts running runs too: whether a worker has already taken
    // the previous run off the queue must not decide this one's fate.
    size_t in_system = queued_.size() + running_.size();
    if (in_system >= static_cast<size_t>(workers_ + waiting_)) return Admit::full;
    queued_.push_back(std::make_shared<Job>(Job{std::move(request), std::move(stop), std::move(done)}));
  }
  wake_.notify_one();
  return Admit::accepted;
}

void RunQueue::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  wake_.notify_all();
}

bool RunQueue::wait_idle_for(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return idle_.wait_for(lock, timeout, [this] { return queued_.empty() && running_.empty(); });
}

void RunQueue::cancel_all() {
  std::lock_guard lock(mutex_);
  for (auto& job : queued_) {
    job->cancelled = true;
    job->stop.request_stop();
  }
  for (auto& job : running_) {
    job->cancelled = true;
    job->stop.request_stop();
  }
}

void RunQueue::join() {
  close();
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    if (joined_) return;
    joined_ = true;
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
}

RunQueue::Counts RunQueue::counts() const {
  std::lock_guard lock(mutex_);
  return Counts{static_cast<int>(running_.size()), static_cast<int>(queued_.size()), finished_};
}

// A worker: takes the oldest run, runs it (or skips it when it was cancelled
// while it waited), reports it. Leaves once the queue is closed and empty.
void RunQueue::work() {
  for (;;) {
    std::shared_ptr<Job> job;
    std::list<std::shared_ptr<Job>>::iterator slot;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return !queued_.empty() || closed_; });
      if (queued_.empty()) return;
      job = std::move(queued_.front());
      queued_.pop_front();
      slot = running_.insert(running_.end(), job);
    }
    RunResult result;
    if (job->stop.stop_requested()) {
      result = RunResult::internal_error("the run was cancelled before it started");
    } else {
      // Executor::run promises not to throw; a broken one must not take the
      // worker (and the process) down with it.
      try {
        result = executor_->run(job->request, job->stop.get_token());
      } catch (const std::exception& e) {
        result = RunResult::internal_error(std::string("the executor failed: ") + e.what());
      } catch (...) {
        result = RunResult::internal_error("the executor failed with an unknown exception");
      }
    }
    bool cancelled;
    {
      std::lock_guard lock(mutex_);
      cancelled = job->cancelled;
    }
    job->done(std::move(result), cancelled);
    {
      std::lock_guard lock(mutex_);
      running_.erase(slot);
      ++finished_;
      if (queued_.empty() && running_.empty()) idle_.notify_all();
    }
  }
}

}  // namespace grpo::sandbox
