// The code-execution service: HTTP/1.1 with JSON bodies on loopback TCP or a
// Unix socket.
//
//   POST /v1/run     a RunRequest (protocol.h) -> 200 and a RunResult
//   GET  /v1/health  {"status": "ok", "running": n, "queued": n,
//                     "concurrency": n, "queue_size": n, "served": n}
//
// Runs wait in a bounded queue in front of `concurrency` workers: a run is
// admitted while fewer than concurrency + queue_size are running or waiting,
// else 429 (with Retry-After). Bad requests get a 4xx whose JSON body says
// what was wrong ({"error": "..."}): 400 (body, fields, language), 404, 405,
// 413 (body over max_body_bytes, refused from its Content-Length), 431.
// A client that closes its connection while its run goes on cancels the run.
//
// One JSON log line per request: time, peer, method, target, status (499:
// the client left first; 408: it did not finish sending within
// read_timeout), run_status and language for runs, ms, bytes (read), error.
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
  int concurrency = 0;                 // runs at once (worker threads); 0: the number of cores
  int queue_size = 0;                  // runs that may wait beyond those, else 429; 0: max(64, 8 x concurrency)
  size_t max_body_bytes = 32u << 20;   // larger bodies get 413
  // A client must send each request within this (from the first byte it may
  // send; also the idle time of a kept-alive connection) and read its answer
  // within this; else the connection is closed.
  std::chrono::milliseconds read_timeout{30'000};
  // On shutdown, how long running and queued runs may finish before they are
  // cancelled (their clients then get 503).
  std::chrono::milliseconds drain_timeout{30'000};
  // Receives one line (JSON, no newline) per request, one call at a time;
  // null: standard error.
  std::function<void(std::string_view)> log;
};

class Server {
 public:
  Server(ServerOptions options, std::shared_ptr<Executor> executor);
  ~Server();  // shutdown() and wait()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts serving on background threads. Throws grpo::Error when
  // the address cannot be bound. A Unix socket file left by a server that is
  // gone is replaced; a live server's socket, or a file that is not a socket,
  // is an error.
  void start();
  // Where it listens, with the real port: "127.0.0.1:40123" or "unix:/path".
  std::string endpoint() const;
  // Stops accepting connections and answers 503 to new runs (health says
  // "draining") on those already open; lets running and queued runs finish
  // for drain_timeout, then requests stop on the rest, whose clients get 503;
  // closes every connection and removes the Unix socket file. Returns at
  // once; idempotent.
  void shutdown();
  // Blocks until a shutdown (asked for by any thread) is complete.
  void wait();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace grpo::sandbox
