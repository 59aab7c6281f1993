#include "sandbox/client.h"

#include <cmath>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "endpoint.h"
#include "libgrpo/error.h"
#include "net.h"

namespace grpo::sandbox {

namespace {

// Threads for the sockets: the client only moves bytes and parses replies.
constexpr int kIoThreads = 2;
// The longest a retry waits, however many came before it.
constexpr std::chrono::milliseconds kMaxBackoff{10'000};

// What one attempt came to: an HTTP answer, or the error that prevented one.
struct Answer {
  beast::error_code error;  // set: no answer
  int status = 0;
  std::string body;
};

bool retryable(const Answer& a) {
  namespace errc = boost::system::errc;
  if (!a.error) return a.status == 429 || a.status == 503;
  const auto& ec = a.error;
  // The server is not (yet, or any more) there, or dropped the connection
  // before answering: a restart, a shutdown closing idle connections.
  return ec == errc::connection_refused || ec == errc::connection_reset || ec == errc::connection_aborted ||
         ec == errc::broken_pipe || ec == errc::no_such_file_or_directory || ec == net::error::eof ||
         ec == http::error::end_of_stream || ec == http::error::partial_message;
}

// The {"error": "..."} of a 4xx/5xx body, else the body itself (shortened).
std::string error_text(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) return j["error"].get<std::string>();
  return body.size() > 200 ? body.substr(0, 200) + "..." : body;
}

// One HTTP exchange on a fresh connection, connect to last byte within one
// deadline (the stream's expiry covers every operation that follows it).
template <class Protocol>
class Attempt : public std::enable_shared_from_this<Attempt<Protocol>> {
 public:
  using Done = std::function<void(Answer)>;

  Attempt(net::io_context& ioc, const Endpoint& where, std::shared_ptr<const http::request<http::string_body>> req,
          std::chrono::milliseconds timeout, Done done)
      : where_(where), req_(std::move(req)), stream_(net::make_strand(ioc)), timeout_(timeout),
        done_(std::move(done)) {
    // Replies can be large (outputs of many tests); the caller bounds them.
    parser_.body_limit(boost::none);
  }

  void start() {
    stream_.expires_after(timeout_);
    if constexpr (std::is_same_v<Protocol, unix_socket>) {
      stream_.async_connect(unix_socket::endpoint(where_.path),
                            beast::bind_front_handler(&Attempt::on_connect, this->shared_from_this()));
    } else {
      beast::error_code ec;
      auto address = net::ip::make_address(where_.host, ec);
      if (!ec) {
        stream_.async_connect(tcp::endpoint(address, where_.port),
                              beast::bind_front_handler(&Attempt::on_connect, this->shared_from_this()));
        return;
      }
      resolver_.emplace(stream_.get_executor());
      resolver_->async_resolve(where_.host, std::to_string(where_.port),
                               [self = this->shared_from_this()](beast::error_code e, tcp::resolver::results_type r) {
                                 if (e) return self->finish(Answer{.error = e});
                                 self->stream_.async_connect(r, [self](beast::error_code e2, const tcp::endpoint&) {
                                   self->on_connect(e2);
                                 });
                               });
    }
  }

 private:
  void on_connect(beast::error_code ec) {
    if (ec) return finish(Answer{.error = ec});
    http::async_write(stream_, *req_, [self = this->shared_from_this()](beast::error_code e, size_t) {
      if (e) return self->finish(Answer{.error = e});
      http::async_read(self->stream_, self->buffer_, self->parser_,
                       beast::bind_front_handler(&Attempt::on_read, self));
    });
  }

  void on_read(beast::error_code ec, size_t) {
    if (ec) return finish(Answer{.error = ec});
    auto& res = parser_.get();
    finish(Answer{.status = static_cast<int>(res.result_int()), .body = std::move(res.body())});
  }

  void finish(Answer answer) {
    beast::error_code ignored;
    stream_.socket().shutdown(net::socket_base::shutdown_both, ignored);
    stream_.close();
    done_(std::move(answer));
  }

  Endpoint where_;
  std::shared_ptr<const http::request<http::string_body>> req_;
  TimedStream<Protocol> stream_;
  std::optional<tcp::resolver> resolver_;
  std::chrono::milliseconds timeout_;
  Done done_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
};

// ---- the client's state ----------------------------------------------------

class Core;

// One request and its retries. Its `done` runs exactly once: with the final
// answer, or from the destructor when the client is destroyed before that.
struct Call {
  using Done = std::function<void(const Answer&, int attempts)>;

  std::shared_ptr<const http::request<http::string_body>> req;
  int max_retries = 0;
  int attempts = 0;
  bool holds_slot = false;  // counts against max_in_flight
  Done done;
  Core* core = nullptr;

  ~Call();
  void complete(const Answer& answer);
};

// Sockets, threads, and the requests waiting for a slot.
class Core {
 public:
  explicit Core(ClientOptions options);
  ~Core();

  ClientOptions options;
  Endpoint where;
  std::optional<net::io_context> ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::vector<std::thread> threads;

  std::mutex mutex;
  std::deque<std::shared_ptr<Call>> waiting;  // beyond max_in_flight
  int in_flight = 0;
  bool closing = false;
  std::mt19937_64 rng{std::random_device{}()};

  void enqueue(std::shared_ptr<Call> call);
  void release_slot();
  void attempt(std::shared_ptr<Call> call);
  void on_answer(std::shared_ptr<Call> call, Answer answer);
  std::chrono::milliseconds backoff(int retry);
  std::shared_ptr<const http::request<http::string_body>> make_request(http::verb method, std::string_view target,
                                                                       std::string body) const;
};

Call::~Call() {
  if (done) complete(Answer{.error = net::error::operation_aborted});
}

void Call::complete(const Answer& answer) {
  Done d = std::move(done);
  done = nullptr;
  if (d) d(answer, attempts);
  if (holds_slot) {
    holds_slot = false;
    core->release_slot();
  }
}

// The RunResult a POST /v1/run came to, after all its attempts.
RunResult run_result_of(const Answer& a, int attempts, const std::string& where,
                        std::chrono::milliseconds timeout) {
  std::string tries = attempts > 1 ? fmt::format(" (after {} attempts)", attempts) : "";
  if (a.error == net::error::operation_aborted)
    return RunResult::internal_error("the sandbox client was shut down before the answer");
  if (a.error == beast::error::timeout)
    return RunResult::internal_error(
        fmt::format("sandbox at {}: no answer within the timeout of {} ms{}", where, timeout.count(), tries));
  if (a.error) return RunResult::internal_error(fmt::format("sandbox at {}: {}{}", where, a.error.message(), tries));
  if (a.status != 200)
    return RunResult::internal_error(
        fmt::format("sandbox at {} answered {}: {}{}", where, a.status, error_text(a.body), tries));
  try {
    return parse_run_result(a.body);
  } catch (const grpo::Error& e) {
    return RunResult::internal_error(fmt::format("sandbox at {}: {}", where, e.message()));
  }
}

std::shared_ptr<const http::request<http::string_body>> Core::make_request(http::verb method,
                                                                                   std::string_view target,
                                                                                   std::string body) const {
  auto req = std::make_shared<http::request<http::string_body>>(
      method, beast::string_view(target.data(), target.size()), 11);
  req->set(http::field::host, where.is_unix ? "localhost" : where.host);
  req->set(http::field::user_agent, "libgrpo-sandbox-client");
  if (method == http::verb::post) req->set(http::field::content_type, "application/json");
  req->keep_alive(false);
  req->body() = std::move(body);
  req->prepare_payload();
  return req;
}

void Core::enqueue(std::shared_ptr<Call> call) {
  {
    std::lock_guard lock(mutex);
    if (closing) return;  // the Call's destructor answers it
    if (in_flight >= options.max_in_flight) {
      waiting.push_back(std::move(call));
      return;
    }
    ++in_flight;
    call->holds_slot = true;
  }
  attempt(std::move(call));
}

void Core::release_slot() {
  std::shared_ptr<Call> next;
  {
    std::lock_guard lock(mutex);
    --in_flight;
    if (closing || waiting.empty()) return;
    next = std::move(waiting.front());
    waiting.pop_front();
    ++in_flight;
    next->holds_slot = true;
  }
  attempt(std::move(next));
}

void Core::attempt(std::shared_ptr<Call> call) {
  ++call->attempts;
  auto done = [this, call](Answer a) { on_answer(call, std::move(a)); };
  if (where.is_unix)
    std::make_shared<Attempt<unix_socket>>(*ioc, where, call->req, options.timeout, std::move(done))->start();
  else
    std::make_shared<Attempt<tcp>>(*ioc, where, call->req, options.timeout, std::move(done))->start();
}

void Core::on_answer(std::shared_ptr<Call> call, Answer answer) {
  if (!retryable(answer) || call->attempts > call->max_retries) return call->complete(answer);
  auto timer = std::make_shared<net::steady_timer>(*ioc, backoff(call->attempts));
  timer->async_wait([this, call, timer](beast::error_code ec) {
    if (ec) return;  // the client is shutting down; the Call's destructor answers
    attempt(call);
  });
}

// Exponential backoff with jitter: retry n waits a uniform time in
// [b * 2^(n-1) / 2, b * 2^(n-1)], so that clients turned away together do
// not all come back together.
std::chrono::milliseconds Core::backoff(int retry) {
  double full = static_cast<double>(options.retry_backoff.count()) * std::ldexp(1.0, std::min(retry - 1, 20));
  full = std::min(full, static_cast<double>(kMaxBackoff.count()));
  std::lock_guard lock(mutex);
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  return std::chrono::milliseconds(static_cast<int64_t>(full * jitter(rng)));
}

Core::Core(ClientOptions options_in) : options(std::move(options_in)) {
  GRPO_CHECK(options.timeout.count() > 0, "the client timeout must be positive, got ", options.timeout.count(), " ms");
  GRPO_CHECK(options.max_retries >= 0, "max_retries must not be negative, got ", options.max_retries);
  GRPO_CHECK(options.retry_backoff.count() >= 0, "retry_backoff must not be negative");
  GRPO_CHECK(options.max_in_flight >= 1, "max_in_flight must be at least 1, got ", options.max_in_flight);
  where = parse_endpoint(options.endpoint);
  ioc.emplace(kIoThreads);
  work.emplace(ioc->get_executor());
  for (int i = 0; i < kIoThreads; ++i) threads.emplace_back([this] { ioc->run(); });
}

// Requests still out are answered with internal_error: the io_context is
// stopped, and destroying it destroys the handlers that held their Calls.
Core::~Core() {
  std::deque<std::shared_ptr<Call>> dropped;
  {
    std::lock_guard lock(mutex);
    closing = true;
    dropped.swap(waiting);
  }
  dropped.clear();
  work.reset();
  ioc->stop();
  for (auto& t : threads) t.join();
  ioc.reset();
}

}  // namespace

// ---- Client ---------------------------------------------------------------

struct Client::Impl {
  explicit Impl(ClientOptions options) : core(std::move(options)) {}
  Core core;
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Client::~Client() = default;

std::future<RunResult> Client::submit(RunRequest request) {
  auto promise = std::make_shared<std::promise<RunResult>>();
  std::future<RunResult> future = promise->get_future();
  auto call = std::make_shared<Call>();
  Core& core = impl_->core;
  call->req = core.make_request(http::verb::post, "/v1/run", to_json(request));
  call->max_retries = core.options.max_retries;
  call->core = &core;
  call->done = [promise, where = core.where.to_string(), timeout = core.options.timeout](const Answer& a,
                                                                                         int attempts) {
    promise->set_value(run_result_of(a, attempts, where, timeout));
  };
  core.enqueue(std::move(call));
  return future;
}

std::vector<RunResult> Client::run_all(const std::vector<RunRequest>& requests) {
  std::vector<std::future<RunResult>> futures;
  futures.reserve(requests.size());
  for (const RunRequest& r : requests) futures.push_back(submit(r));
  std::vector<RunResult> results;
  results.reserve(requests.size());
  for (auto& f : futures) results.push_back(f.get());
  return results;
}

bool Client::healthy() {
  auto promise = std::make_shared<std::promise<bool>>();
  std::future<bool> future = promise->get_future();
  auto call = std::make_shared<Call>();
  Core& core = impl_->core;
  call->req = core.make_request(http::verb::get, "/v1/health", "");
  call->core = &core;
  call->done = [promise](const Answer& a, int) { promise->set_value(!a.error && a.status == 200); };
  // Not behind queued runs: a health check answers now or never.
  core.attempt(std::move(call));
  return future.get();
}

}  // namespace grpo::sandbox
