// Stand-ins for the sandbox server and client tests: an executor that obeys
// the program text instead of running it, a plain-POSIX HTTP peer (so the
// tests do not share the code under test), and a recorder for log lines.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "sandbox/runner.h"

namespace sandbox_test {

using namespace std::chrono_literals;

// Runs nothing; the code says what to do:
//   "sleep:N"  sleeps N ms (or until stopped), then answers like echo
//   "block"    waits until stopped
//   anything else: ok, with the code as stdout
// check() accepts language "python" only. A stopped run is internal_error.
class FakeExecutor : public grpo::sandbox::Executor {
 public:
  void check(const grpo::sandbox::RunRequest& request) const override;
  grpo::sandbox::RunResult run(const grpo::sandbox::RunRequest& request, std::stop_token stop) override;

  std::atomic<int> started{0};
  std::atomic<int> finished{0};  // ran to the end
  std::atomic<int> stopped{0};   // saw their stop token
  std::atomic<int> running{0};
  std::atomic<int> max_running{0};  // the most runs at once
};

grpo::sandbox::RunRequest python(std::string code);
// A POST /v1/run body for `code`.
std::string run_body(std::string code);

// Polls `condition` every few ms for at most `timeout`.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 2s);

struct Reply {
  int status = 0;                              // 0: no (complete) reply
  std::map<std::string, std::string> headers;  // names lower-case
  std::string body;
  // The "error" string of a JSON error body, else "".
  std::string error() const;
};

// A blocking socket to "host:port" (IPv4) or "unix:/path", by hand.
class RawSocket {
 public:
  explicit RawSocket(const std::string& endpoint);
  ~RawSocket();
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool send(std::string_view bytes);
  // One HTTP/1.1 response (Content-Length framed), within `timeout`.
  Reply read_reply(std::chrono::milliseconds timeout = 2s);
  // Whether the peer closes the connection within `timeout` (data before
  // the end is read and dropped).
  bool closed_within(std::chrono::milliseconds timeout);
  void close();

 private:
  // Reads more into buffer_; false on end, error or timeout.
  bool fill(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string buffer_;
};

// A request on a fresh connection; `extra` is raw header lines ("A: b\r\n").
std::string http_request(std::string_view method, std::string_view target, std::string_view body = "",
                         std::string_view extra = "", bool close = true);
Reply http(const std::string& endpoint, std::string_view method, std::string_view target,
           std::string_view body = "", std::string_view extra = "");

// A listening socket that runs `answer` for each request it reads:
// answer(attempt number from 1, request) gives the raw response bytes, or
// nullopt to close without answering. `hang` listens but never accepts.
class ScriptedServer {
 public:
  using Answer = std::function<std::optional<std::string>(int attempt, const std::string& request)>;
  explicit ScriptedServer(Answer answer, bool hang = false);
  ~ScriptedServer();

  std::string endpoint() const { return endpoint_; }
  int attempts() const { return attempts_; }

 private:
  void serve();

  Answer answer_;
  int listen_fd_ = -1;
  std::string endpoint_;
  std::atomic<int> attempts_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// A raw HTTP response with a JSON body.
std::string raw_response(int status, std::string_view body);

// Collects a server's log lines.
class LogRecorder {
 public:
  std::function<void(std::string_view)> sink();
  std::vector<std::string> lines() const;

 private:
  struct State {
    mutable std::mutex mutex;
    std::vector<std::string> lines;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace sandbox_test
