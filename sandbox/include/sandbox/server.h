// The code-execution service: HTTP/1.1 with JSON bodies on loopback TCP or a
// Unix socket.
//
//   POST /v1/run     a RunRequest (protocol.h) -> a RunResult
//   GET  /v1/health  {"status": "ok", "running": n, "queued": n, ...}
//
// Runs wait in a bounded queue in front of `concurrency` workers; a full
// queue answers 429, a server shutting down 503. Bad requests get a 4xx whose
// JSON body says what was wrong ({"error": "..."}). One JSON log line per
// request.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "sandbox/runner.h"

namespace grpo::sandbox {

struct ServerOptions {
  // "127.0.0.1:8765", "[::1]:0" (port 0: any free port) or "unix:/run/grpo.sock".
  std::string listen = "127.0.0.1:8765";
  int concurrency = 0;                 // runs at once; 0: the number of cores
  int queue_size = 0;                  // waiting runs before 429; 0: 4 x concurrency
  size_t max_body_bytes = 32u << 20;   // larger bodies get 413
  std::chrono::milliseconds read_timeout{30'000};  // a client must send its request within this
  // On shutdown, how long running and queued runs may finish before they are
  // cancelled (their clients then get 503).
  std::chrono::milliseconds drain_timeout{30'000};
  // Receives one line (JSON, no newline) per request; null: standard error.
  std::function<void(std::string_view)> log;
};

class Server {
 public:
  Server(ServerOptions options, std::shared_ptr<Executor> executor);
  ~Server();  // shutdown() and wait()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts serving on background threads. Throws grpo::Error when
  // the address cannot be bound.
  void start();
  // Where it listens, with the real port: "127.0.0.1:40123" or "unix:/path".
  std::string endpoint() const;
  // Stops accepting, answers 503 to new runs, lets in-flight runs drain for
  // drain_timeout, cancels the rest. Returns at once; wait() blocks until done.
  void shutdown();
  void wait();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace grpo::sandbox
