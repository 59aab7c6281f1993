// Client of the code-execution service (server.h). Requests run in parallel
// (a group's G programs at once), each with a timeout, retried on 429/503 and
// on refused or dropped connections. Thread-safe: any thread may submit.
#pragma once

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "sandbox/protocol.h"

namespace grpo::sandbox {

struct ClientOptions {
  std::string endpoint = "127.0.0.1:8765";  // "host:port" or "unix:/path"
  // One attempt, connect to last byte. A run that times out is not retried
  // (it would most likely time out again, and cost the service as much).
  std::chrono::milliseconds timeout{120'000};
  // Retries after 429, 503, a refused or reset connection, or one closed
  // before the answer; other 4xx/5xx are final.
  int max_retries = 8;
  // Retry n waits a uniform time in [b * 2^(n-1) / 2, b * 2^(n-1)], at most 10 s.
  std::chrono::milliseconds retry_backoff{100};
  // Requests out at once (on the wire or waiting to retry); more wait in the
  // client, in submission order.
  int max_in_flight = 64;
};

class Client {
 public:
  // Throws grpo::Error for an unparseable endpoint or out-of-range options.
  explicit Client(ClientOptions options = {});
  // Requests still out are answered at once with internal_error.
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends one request. The future never throws: a request that could not be
  // run (service down, timeout, a 4xx) yields status internal_error with the
  // reason in `message`.
  std::future<RunResult> submit(RunRequest request);
  // Sends all at once and waits for all; results in request order.
  std::vector<RunResult> run_all(const std::vector<RunRequest>& requests);
  // GET /v1/health answered 200 within the timeout (one attempt, not queued
  // behind submitted runs).
  bool healthy();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace grpo::sandbox
