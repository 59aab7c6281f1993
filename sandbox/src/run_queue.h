// The server's runs: a bounded queue in front of a fixed pool of worker
// threads, each calling Executor::run. Knows nothing of HTTP.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <stop_token>
#include <thread>
#include <vector>

#include "sandbox/runner.h"

namespace grpo::sandbox {

class RunQueue {
 public:
  // Called once per accepted run, on a worker thread. `cancelled`: the queue
  // stopped the run (cancel_all) and its result is not the program's.
  using Done = std::function<void(RunResult result, bool cancelled)>;

  enum class Admit { accepted, full, closed };

  struct Counts {
    int running = 0;      // on a worker now
    int queued = 0;       // accepted, waiting for a worker
    int64_t finished = 0; // runs done since the start
  };

  // workers: runs at once (>= 1); waiting: runs that may wait beyond them.
  RunQueue(std::shared_ptr<Executor> executor, int workers, int waiting);
  ~RunQueue();  // cancel_all() and join()
  RunQueue(const RunQueue&) = delete;
  RunQueue& operator=(const RunQueue&) = delete;

  // Admits a run when fewer than workers + waiting are queued or running
  // (full otherwise) and the queue is open. `stop` is the run's own: the
  // caller keeps a copy to cancel it (a client that went away).
  Admit submit(RunRequest request, std::stop_source stop, Done done);

  // No more runs are admitted (submit answers closed); admitted ones go on.
  void close();
  // Waits until no run is queued or running, at most `timeout`; true if so.
  bool wait_idle_for(std::chrono::milliseconds timeout);
  // Requests stop on every queued and running run; queued ones then finish
  // without running, as cancelled.
  void cancel_all();
  // close(), then waits for the workers to finish every admitted run.
  void join();

  Counts counts() const;
  int workers() const { return workers_; }
  int waiting() const { return waiting_; }

 private:
  struct Job {
    RunRequest request;
    std::stop_source stop;
    Done done;
    bool cancelled = false;  // by cancel_all, not by the caller
  };

  void work();

  std::shared_ptr<Executor> executor_;
  const int workers_;
  const int waiting_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;   // workers: a job or closing
  std::condition_variable idle_;   // waiters: the last job finished
  std::deque<std::shared_ptr<Job>> queued_;
  std::list<std::shared_ptr<Job>> running_;
  int64_t finished_ = 0;
  bool closed_ = false;
  bool joined_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace grpo::sandbox
