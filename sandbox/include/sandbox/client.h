// Client of the code-execution service (server.h). Requests run in parallel
// (a group's G programs at once), each with a timeout, retried on 429/503 and
// on refused connections.
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
  std::chrono::milliseconds timeout{120'000};  // one attempt, connect to last byte
  int max_retries = 4;                          // on 429, 503 and refused connections
  std::chrono::milliseconds retry_backoff{100}; // doubled each retry, with jitter
  int max_in_flight = 64;                       // requests on the wire at once
};

class Client {
 public:
  explicit Client(ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends one request. The future never throws: a request that could not be
  // run (service down, timeout, a 4xx) yields status internal_error with the
  // reason in `message`.
  std::future<RunResult> submit(RunRequest request);
  // Sends all at once and waits for all; results in request order.
  std::vector<RunResult> run_all(const std::vector<RunRequest>& requests);
  // GET /v1/health answered 200 within the timeout.
  bool healthy();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace grpo::sandbox
