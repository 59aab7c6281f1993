// What the server's connections share: the options, the run queue, the
// shutdown flags, the request log and the registry of open connections.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "run_queue.h"
#include "sandbox/server.h"

namespace grpo::sandbox {

// One request as the log line reports it.
struct RequestLog {
  std::string peer;        // "127.0.0.1:53122", "unix"
  std::string method;      // empty when the request line did not parse
  std::string target;
  int status = 0;          // the HTTP status answered (499: the client left first)
  std::string run_status;  // POST /v1/run answered by a run: its RunStatus
  std::string language;
  int64_t ms = 0;          // header received to response written
  uint64_t bytes = 0;      // request bytes read (header and body)
  std::string error;       // what went wrong on the connection, if anything
};

// An open connection, as the shutdown sees it.
class Connection {
 public:
  virtual ~Connection() = default;
  // Closes the connection if it is waiting for a request (or lingering).
  virtual void close_if_idle() = 0;
};

struct ServerState {
  ServerState(ServerOptions options, std::shared_ptr<Executor> executor, int concurrency, int queue_size);

  const ServerOptions options;
  const std::shared_ptr<Executor> executor;
  RunQueue queue;
  std::atomic<bool> draining{false};  // shutdown began: no new runs, no keep-alive
  std::atomic<bool> closing{false};   // runs are over: idle connections close

  // Writes one JSON line through options.log (standard error by default).
  void log(const RequestLog& entry);
  void log_event(std::string_view event, std::string_view detail);

  uint64_t add_connection(std::weak_ptr<Connection> connection);
  void remove_connection(uint64_t id);
  // Sets `closing` and closes every idle connection.
  void close_idle_connections();
  // Waits until every connection is gone, at most `timeout`; true if so.
  bool wait_connections_gone(std::chrono::milliseconds timeout);

 private:
  void write_line(const std::string& line);

  std::mutex log_mutex_;
  std::mutex connections_mutex_;
  std::condition_variable connections_gone_;
  std::unordered_map<uint64_t, std::weak_ptr<Connection>> connections_;
  uint64_t next_connection_ = 0;
};

}  // namespace grpo::sandbox
