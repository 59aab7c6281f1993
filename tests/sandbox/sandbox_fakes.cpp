#include "sandbox_fakes.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <cstring>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "libgrpo/error.h"

namespace sandbox_test {

using grpo::sandbox::RunRequest;
using grpo::sandbox::RunResult;
using grpo::sandbox::RunStatus;
using Clock = std::chrono::steady_clock;

// ---- FakeExecutor ---------------------------------------------------------

void FakeExecutor::check(const RunRequest& request) const {
  GRPO_CHECK(request.language == "python", "unknown language '", request.language, "'; this executor runs python");
}

RunResult FakeExecutor::run(const RunRequest& request, std::stop_token stop) {
  ++started;
  int now = ++running;
  for (int seen = max_running; now > seen && !max_running.compare_exchange_weak(seen, now);) {
  }
  struct Leave {
    std::atomic<int>& running;
    ~Leave() { --running; }
  } leave{running};
  std::chrono::milliseconds wait{0};
  if (request.code.starts_with("sleep:")) wait = std::chrono::milliseconds(std::stoi(request.code.substr(6)));
  if (request.code == "block") wait = 1h;
  if (wait.count() > 0) {
    std::mutex mutex;
    std::condition_variable_any cv;
    std::unique_lock lock(mutex);
    cv.wait_for(lock, stop, wait, [] { return false; });
  }
  RunResult r;
  if (stop.stop_requested()) {
    ++stopped;
    r.message = "cancelled";
    return r;  // internal_error
  }
  r.status = RunStatus::ok;
  r.execution.status = RunStatus::ok;
  r.execution.exit_code = 0;
  r.execution.stdout_text = request.code;
  ++finished;
  return r;
}

RunRequest python(std::string code) {
  RunRequest r;
  r.language = "python";
  r.code = std::move(code);
  return r;
}

std::string run_body(std::string code) { return grpo::sandbox::to_json(python(std::move(code))); }

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!condition()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

std::string Reply::error() const {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) return j["error"].get<std::string>();
  return "";
}

// ---- RawSocket ------------------------------------------------------------

namespace {

int connect_to(const std::string& endpoint) {
  if (endpoint.starts_with("unix:")) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, endpoint.c_str() + 5, sizeof(addr.sun_path) - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ::close(fd);
      return -1;
    }
    return fd;
  }
  size_t colon = endpoint.rfind(':');
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::stoi(endpoint.substr(colon + 1))));
  if (::inet_pton(AF_INET, endpoint.substr(0, colon).c_str(), &addr.sin_addr) != 1) return -1;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

RawSocket::RawSocket(const std::string& endpoint) : fd_(connect_to(endpoint)) {}

RawSocket::~RawSocket() { close(); }

void RawSocket::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool RawSocket::send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool RawSocket::fill(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return false;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
  char chunk[65536];
  ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
  if (n <= 0) return false;
  buffer_.append(chunk, static_cast<size_t>(n));
  return true;
}

Reply RawSocket::read_reply(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
    if (!fill(deadline)) return {};
  Reply reply;
  std::string head = buffer_.substr(0, end);
  size_t line_end = head.find("\r\n");
  std::string status_line = head.substr(0, line_end);  // "HTTP/1.1 200 OK"
  reply.status = std::stoi(status_line.substr(9, 3));
  size_t pos = line_end;
  while (pos != std::string::npos && pos < head.size()) {
    size_t next = head.find("\r\n", pos + 2);
    std::string line = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      reply.headers[lower(line.substr(0, colon))] = value;
    }
    pos = next;
  }
  size_t length = reply.headers.count("content-length") ? std::stoul(reply.headers["content-length"]) : 0;
  while (buffer_.size() < end + 4 + length)
    if (!fill(deadline)) return {};
  reply.body = buffer_.substr(end + 4, length);
  buffer_.erase(0, end + 4 + length);
  return reply;
}

bool RawSocket::closed_within(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
    char chunk[4096];
    if (::recv(fd_, chunk, sizeof(chunk), 0) <= 0) return true;
  }
}

std::string http_request(std::string_view method, std::string_view target, std::string_view body,
                         std::string_view extra, bool close) {
  std::string r = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n";
  if (close) r += "Connection: close\r\n";
  if (!body.empty() || method == "POST") r += "Content-Type: application/json\r\nContent-Length: " +
                                            std::to_string(body.size()) + "\r\n";
  r += std::string(extra) + "\r\n" + std::string(body);
  return r;
}

Reply http(const std::string& endpoint, std::string_view method, std::string_view target, std::string_view body,
           std::string_view extra) {
  RawSocket s(endpoint);
  if (!s.connected() || !s.send(http_request(method, target, body, extra))) return {};
  return s.read_reply();
}

// ---- ScriptedServer -------------------------------------------------------

std::string raw_response(int status, std::string_view body) {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + std::string(body);
}

ScriptedServer::ScriptedServer(Answer answer, bool hang) : answer_(std::move(answer)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(listen_fd_, 64) != 0)
    ADD_FAILURE() << "ScriptedServer: bind/listen: " << std::strerror(errno);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  endpoint_ = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  if (!hang) thread_ = std::thread([this] { serve(); });
}

ScriptedServer::~ScriptedServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  ::close(listen_fd_);
}

// One connection at a time: read the header and Content-Length bytes of body,
// answer as scripted, close.
void ScriptedServer::serve() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::string request;
    char chunk[65536];
    for (;;) {
      size_t end = request.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::string head = lower(request.substr(0, end));
        size_t cl = head.find("content-length:");
        size_t length = cl == std::string::npos ? 0 : std::stoul(head.substr(cl + 15));
        if (request.size() >= end + 4 + length) break;
      }
      pollfd q{fd, POLLIN, 0};
      if (::poll(&q, 1, 2000) <= 0) break;
      ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
      if (n <= 0) break;
      request.append(chunk, static_cast<size_t>(n));
    }
    int attempt = ++attempts_;
    if (auto response = answer_(attempt, request)) {
      std::string_view rest = *response;
      while (!rest.empty()) {
        ssize_t n = ::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
        if (n <= 0) break;
        rest.remove_prefix(static_cast<size_t>(n));
      }
    }
    ::close(fd);
  }
}

// ---- LogRecorder ----------------------------------------------------------

std::function<void(std::string_view)> LogRecorder::sink() {
  return [state = state_](std::string_view line) {
    std::lock_guard lock(state->mutex);
    state->lines.emplace_back(line);
  };
}

std::vector<std::string> LogRecorder::lines() const {
  std::lock_guard lock(state_->mutex);
  return state_->lines;
}

}  // namespace sandbox_test
