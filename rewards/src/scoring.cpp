// The worker pool behind RewardScorer. A reward function that honours its
// ScoreBudget returns (or throws ScoreTimeout) by its deadline. One that does
// not is given up after the grace period: its pair gets the fallback, its
// worker thread is detached to finish on its own (it owns what it reads,
// through shared pointers), and a fresh worker takes its place. So score()
// never hangs, and no signal is involved.
#include "rewards/scoring.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "libgrpo/error.h"

namespace grpo::rewards {

using Clock = std::chrono::steady_clock;

namespace {

enum class Outcome { ok, timeout, error };
enum class State { queued, running, finished, abandoned };

// One (sample, function) pair, or for a batched function one group of
// samples. Fields below `stop` are guarded by Pool::mutex.
struct Job {
  std::shared_ptr<const RewardFunction> function;
  std::shared_ptr<const std::vector<Sample>> batch;
  std::vector<size_t> samples;  // indices into *batch
  std::vector<double> values;   // one per sample, when finished
  std::stop_source stop;
  State state = State::queued;
  Clock::time_point started;
  Clock::time_point give_up = Clock::time_point::max();
  Outcome outcome = Outcome::ok;
  std::shared_ptr<std::atomic<bool>> worker_retired;
};

}  // namespace

struct RewardScorer::Pool : std::enable_shared_from_this<Pool> {
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> retired;
  };

  std::mutex mutex;
  std::condition_variable work;  // a job was queued, or shutdown
  std::condition_variable done;  // a job finished
  std::deque<std::shared_ptr<Job>> queue;
  std::vector<Worker> workers;
  bool shutdown = false;
  std::chrono::milliseconds timeout{0};

  void spawn() {
    auto retired = std::make_shared<std::atomic<bool>>(false);
    workers.push_back({std::thread([self = shared_from_this(), retired] { self->run(retired); }), retired});
  }

  // Detaches the worker that runs `job` and starts another. Caller holds mutex.
  void replace(const Job& job) {
    auto it = std::find_if(workers.begin(), workers.end(), [&](const Worker& w) { return w.retired == job.worker_retired; });
    if (it == workers.end()) return;
    *it->retired = true;
    it->thread.detach();
    workers.erase(it);
    spawn();
  }

  void run(const std::shared_ptr<std::atomic<bool>>& retired) {
    while (true) {
      std::shared_ptr<Job> job;
      {
        std::unique_lock lock(mutex);
        work.wait(lock, [&] { return shutdown || *retired || !queue.empty(); });
        if (shutdown || *retired) return;
        job = std::move(queue.front());
        queue.pop_front();
        if (job->state != State::queued) continue;
        job->state = State::running;
        job->started = Clock::now();
        job->give_up = job->started + timeout;
        job->worker_retired = retired;
      }
      std::vector<double> values;
      Outcome outcome = Outcome::ok;
      try {
        ScoreBudget budget{job->started + timeout, job->stop.get_token()};
        if (job->function->batched()) {
          std::vector<const Sample*> samples;
          for (size_t i : job->samples) samples.push_back(&(*job->batch)[i]);
          values = job->function->score_batch(samples, budget);
          GRPO_CHECK(values.size() == samples.size(), "score_batch returned ", values.size(), " values for ",
                     samples.size(), " samples");
        } else {
          values = {job->function->score_within((*job->batch)[job->samples.at(0)], budget)};
        }
      } catch (const ScoreTimeout&) {
        outcome = Outcome::timeout;
      } catch (...) {
        outcome = Outcome::error;
      }
      std::lock_guard lock(mutex);
      if (job->state == State::running) {
        job->state = State::finished;
        job->values = std::move(values);
        job->outcome = outcome;
      }
      done.notify_all();
      if (*retired) return;  // given up on while it ran; a replacement exists
    }
  }
};

RewardScorer::RewardScorer(std::vector<WeightedReward> rewards, ScoringOptions options)
    : rewards_(std::move(rewards)), options_(options), pool_(std::make_shared<Pool>()) {
  check_rewards(rewards_);
  GRPO_CHECK(options_.timeout.count() > 0, "scoring: timeout must be positive, got ", options_.timeout.count(), " ms");
  GRPO_CHECK(options_.grace.count() >= 0, "scoring: grace must not be negative, got ", options_.grace.count(), " ms");
  int n = options_.num_workers > 0 ? options_.num_workers : static_cast<int>(std::thread::hardware_concurrency());
  pool_->timeout = options_.timeout;
  std::lock_guard lock(pool_->mutex);
  for (int i = 0; i < std::max(1, n); ++i) pool_->spawn();
}

RewardScorer::~RewardScorer() {
  std::vector<Pool::Worker> workers;
  {
    std::lock_guard lock(pool_->mutex);
    pool_->shutdown = true;
    for (auto& job : pool_->queue) job->stop.request_stop();
    workers = std::move(pool_->workers);
  }
  pool_->work.notify_all();
  for (auto& w : workers) w.thread.join();
}

namespace {

// Waits until every job has finished or been given up. Caller holds `lock`.
template <class Replace>
void wait_for(std::vector<std::shared_ptr<Job>>& jobs, std::unique_lock<std::mutex>& lock, std::condition_variable& done,
              std::chrono::milliseconds grace, const std::stop_token& stop, Replace replace) {
  while (true) {
    auto now = Clock::now();
    auto wake = now + std::chrono::milliseconds(50);  // polls `stop`
    bool open = false;
    for (auto& job : jobs) {
      if (job->state == State::finished || job->state == State::abandoned) continue;
      if (stop.stop_requested()) {
        job->stop.request_stop();
        if (job->state == State::queued) {
          job->state = State::abandoned;
          job->outcome = Outcome::timeout;
          continue;
        }
        job->give_up = std::min(job->give_up, now);
      }
      if (job->state == State::running && now >= job->give_up + grace) {
        job->state = State::abandoned;
        job->outcome = Outcome::timeout;
        job->stop.request_stop();
        replace(*job);
        continue;
      }
      open = true;
      if (job->state == State::running) wake = std::min(wake, job->give_up + grace);
    }
    if (!open) return;
    done.wait_until(lock, wake);
  }
}

void add_metrics(const torch::Tensor& column, const std::string& name, int64_t timeouts, int64_t errors, Metrics& m) {
  torch::Tensor valid = column.masked_select(~torch::isnan(column)).to(torch::kFloat64);
  int64_t n = valid.numel();
  m["rewards/" + name + "/mean"] = n > 0 ? valid.mean().item<double>() : std::nan("");
  m["rewards/" + name + "/std"] = n > 1 ? valid.std().item<double>() : std::nan("");
  m["rewards/" + name + "/timeouts"] = static_cast<double>(timeouts);
  m["rewards/" + name + "/errors"] = static_cast<double>(errors);
}

}  // namespace

BatchRewards RewardScorer::score(const std::vector<Sample>& samples, int64_t group_size, std::stop_token stop) {
  const int64_t N = static_cast<int64_t>(samples.size());
  const int64_t F = static_cast<int64_t>(rewards_.size());
  GRPO_CHECK(group_size > 0 && N % group_size == 0, "scoring: ", N, " samples do not split into groups of ", group_size);
  const int64_t B = N / group_size, G = group_size;

  // A copy the workers share, so that a detached worker never reads freed memory.
  auto batch = std::make_shared<const std::vector<Sample>>(samples);
  std::vector<std::shared_ptr<Job>> jobs;
  // slots[i * F + f]: the job scoring sample i with function f, and the
  // sample's place in that job.
  std::vector<std::pair<Job*, size_t>> slots(static_cast<size_t>(N * F));
  {
    std::unique_lock lock(pool_->mutex);
    auto add = [&](int64_t f, int64_t first, int64_t count) {
      auto job = std::make_shared<Job>();
      job->function = rewards_[static_cast<size_t>(f)].function;
      job->batch = batch;
      for (int64_t k = 0; k < count; ++k) {
        job->samples.push_back(static_cast<size_t>(first + k));
        slots[static_cast<size_t>((first + k) * F + f)] = {job.get(), static_cast<size_t>(k)};
      }
      jobs.push_back(job);
      pool_->queue.push_back(job);
    };
    for (int64_t f = 0; f < F; ++f) {
      if (rewards_[static_cast<size_t>(f)].function->batched()) {
        for (int64_t b = 0; b < B; ++b) add(f, b * G, G);  // one job per group
      } else {
        for (int64_t i = 0; i < N; ++i) add(f, i, 1);
      }
    }
    pool_->work.notify_all();
    wait_for(jobs, lock, pool_->done, options_.grace, stop, [&](const Job& job) { pool_->replace(job); });
  }

  BatchRewards out;
  torch::Tensor rewards = torch::empty({N, F}, torch::kFloat32);  // [B * G, F]
  auto acc = rewards.accessor<float, 2>();
  std::vector<int64_t> timeouts(static_cast<size_t>(F)), errors(static_cast<size_t>(F));
  for (int64_t i = 0; i < N; ++i)
    for (int64_t f = 0; f < F; ++f) {
      const auto& [job, k] = slots[static_cast<size_t>(i * F + f)];
      bool ok = job->state == State::finished && job->outcome == Outcome::ok;
      acc[i][f] = static_cast<float>(ok ? job->values[k] : options_.fallback);
      if (!ok) ++(job->outcome == Outcome::error ? errors : timeouts)[static_cast<size_t>(f)];
    }
  out.rewards = rewards.view({B, G, F});
  for (int64_t f = 0; f < F; ++f) {
    const auto& r = rewards_[static_cast<size_t>(f)];
    out.names.push_back(r.display_name());
    out.weights.push_back(r.weight);
    add_metrics(rewards.select(1, f), out.names.back(), timeouts[static_cast<size_t>(f)], errors[static_cast<size_t>(f)],
                out.metrics);
  }
  return out;
}

}  // namespace grpo::rewards
