#include "server_state.h"

#include <cstdio>
#include <ctime>
#include <vector>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace grpo::sandbox {

namespace {

// "2025-01-31T12:34:56.789Z"
std::string utc_now() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

std::string dump(const nlohmann::ordered_json& j) {
  // Targets and methods come from the client: replace what is not UTF-8.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

ServerState::ServerState(ServerOptions options_in, std::shared_ptr<Executor> executor_in, int concurrency,
                         int queue_size)
    : options(std::move(options_in)), executor(std::move(executor_in)), queue(executor, concurrency, queue_size) {}

void ServerState::log(const RequestLog& e) {
  nlohmann::ordered_json j = {{"time", utc_now()}, {"peer", e.peer},     {"method", e.method},
                      {"target", e.target}, {"status", e.status}, {"ms", e.ms},
                      {"bytes", e.bytes}};
  if (!e.run_status.empty()) j["run_status"] = e.run_status;
  if (!e.language.empty()) j["language"] = e.language;
  if (!e.error.empty()) j["error"] = e.error;
  write_line(dump(j));
}

void ServerState::log_event(std::string_view event, std::string_view detail) {
  write_line(dump(nlohmann::ordered_json{{"time", utc_now()}, {"event", event}, {"detail", detail}}));
}

void ServerState::write_line(const std::string& line) {
  if (options.log) {
    std::lock_guard lock(log_mutex_);
    options.log(line);
    return;
  }
  std::string with_newline = line + "\n";
  std::lock_guard lock(log_mutex_);
  std::fwrite(with_newline.data(), 1, with_newline.size(), stderr);
  std::fflush(stderr);
}

uint64_t ServerState::add_connection(std::weak_ptr<Connection> connection) {
  std::lock_guard lock(connections_mutex_);
  uint64_t id = next_connection_++;
  connections_.emplace(id, std::move(connection));
  return id;
}

void ServerState::remove_connection(uint64_t id) {
  std::lock_guard lock(connections_mutex_);
  connections_.erase(id);
  if (connections_.empty()) connections_gone_.notify_all();
}

void ServerState::close_idle_connections() {
  closing = true;
  // Collected first and released outside the lock: dropping the last
  // reference destroys a connection, which calls remove_connection().
  std::vector<std::shared_ptr<Connection>> open;
  {
    std::lock_guard lock(connections_mutex_);
    for (auto& [id, weak] : connections_)
      if (auto c = weak.lock()) open.push_back(std::move(c));
  }
  for (auto& c : open) c->close_if_idle();
}

bool ServerState::wait_connections_gone(std::chrono::milliseconds timeout) {
  std::unique_lock lock(connections_mutex_);
  return connections_gone_.wait_for(lock, timeout, [this] { return connections_.empty(); });
}

}  // namespace grpo::sandbox
