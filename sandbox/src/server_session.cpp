#include "server_session.h"

#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <optional>
#include <stop_token>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "libgrpo/error.h"

namespace grpo::sandbox {

namespace {

using Clock = std::chrono::steady_clock;

constexpr uint32_t kHeaderLimit = 64 * 1024;  // request line and header fields
// After an answer that left part of the request unread, the connection is
// shut for writing and whatever the client still sends is read and dropped
// for this long: closing a socket with
// unread data resets it, and the reset can destroy the answer (a 413 sent
// while the client is still uploading) before the client has read it.
constexpr auto kLingerTime = std::chrono::seconds(1);
constexpr std::string_view kServerName = "grpo-sandboxd";

enum class Route { run, health, not_found, bad_method };

struct Routed {
  Route route = Route::not_found;
  std::string_view allow;  // the method the path takes
};

Routed route_of(http::verb method, std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  if (path == "/v1/run") return {method == http::verb::post ? Route::run : Route::bad_method, "POST"};
  if (path == "/v1/health") return {method == http::verb::get ? Route::health : Route::bad_method, "GET"};
  return {Route::not_found, ""};
}

std::string error_body(std::string_view message) {
  return nlohmann::json{{"error", message}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// An answer: the status, the JSON body, and how the connection goes on.
struct Answer {
  http::status status = http::status::ok;
  std::string body;
  bool close = false;        // the rest of the request was not read: close after (lingering)
  bool retry_after = false;  // 429 and 503: come back in a second
  std::string_view allow;    // 405: the method the path takes
};

Answer error_answer(http::status status, std::string_view message, bool close = false) {
  return Answer{.status = status, .body = error_body(message), .close = close};
}

enum class Peer { open, closed, sent_data };

// Whether the client of an idle socket has gone away, without consuming
// anything it sent (a pipelined next request).
Peer peek_peer(int fd) {
  char c;
  ssize_t n = ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n > 0) return Peer::sent_data;
  if (n == 0) return Peer::closed;
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return Peer::open;
  return Peer::closed;  // ECONNRESET and the like
}

std::string peer_name(const tcp::socket& socket) {
  beast::error_code ec;
  tcp::endpoint ep = socket.remote_endpoint(ec);
  if (ec) return "?";
  std::string address = ep.address().to_string();
  return (ep.address().is_v6() ? "[" + address + "]" : address) + ":" + std::to_string(ep.port());
}

std::string peer_name(const unix_socket::socket&) { return "unix"; }

// Beast 1.74 speaks boost::string_view.
std::string_view std_view(beast::string_view s) { return {s.data(), s.size()}; }
beast::string_view beast_view(std::string_view s) { return {s.data(), s.size()}; }

bool is_http_error(const beast::error_code& ec) {
  return ec.category() == make_error_code(http::error::bad_method).category();
}

// A connection: read a request (header, then body), answer it, and read the
// next while the client keeps the connection alive. Everything runs on the
// connection's strand; a run goes to the queue and its result comes back here.
template <class Protocol>
class Session final : public Connection, public std::enable_shared_from_this<Session<Protocol>> {
 public:
  Session(std::shared_ptr<ServerState> state, typename Protocol::socket socket)
      : state_(std::move(state)), peer_(peer_name(socket)), stream_(std::move(socket)),
        executor_(stream_.get_executor()) {}

  ~Session() override {
    if (id_) state_->remove_connection(*id_);
  }

  void start() {
    id_ = state_->add_connection(this->weak_from_this());
    read_request();
  }

  void close_if_idle() override {
    net::post(executor_, [self = this->shared_from_this()] {
      if (self->phase_ == Phase::reading || self->phase_ == Phase::lingering) self->close();
    });
  }

 private:
  enum class Phase { reading, running, writing, lingering, closed };

  // ---- reading ----------------------------------------------------------

  void read_request() {
    if (state_->closing) return close();
    phase_ = Phase::reading;
    log_ = RequestLog{.peer = peer_};
    header_seen_ = false;
    keep_alive_ = false;
    version_ = 11;
    read_started_ = Clock::now();
    parser_.emplace();
    parser_->body_limit(state_->options.max_body_bytes);
    parser_->header_limit(kHeaderLimit);
    // One deadline for the whole request: a client trickling bytes (slowloris)
    // gets no more time than one that sends nothing.
    stream_.expires_after(state_->options.read_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::on_header, this->shared_from_this()));
  }

  void on_header(beast::error_code ec, size_t bytes) {
    log_.bytes += bytes;
    if (ec) return on_read_error(ec);
    header_seen_ = true;
    started_ = Clock::now();
    const auto& req = parser_->get();
    log_.method = std::string(req.method_string());
    log_.target = std::string(req.target());
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    routed_ = route_of(req.method(), std_view(req.target()));
    // A wrong path or method is answered before its body is read; the
    // connection then closes, since the unread body would follow.
    if (routed_.route == Route::not_found)
      return respond(error_answer(http::status::not_found,
                                  fmt::format("no such path '{}'; the service has POST /v1/run and GET /v1/health",
                                              log_.target),
                                  !parser_->is_done()));
    if (routed_.route == Route::bad_method) {
      Answer a = error_answer(http::status::method_not_allowed,
                              fmt::format("{} is not allowed on {}; use {}", log_.method, log_.target, routed_.allow),
                              !parser_->is_done());
      a.allow = routed_.allow;
      return respond(std::move(a));
    }
    if (parser_->is_done()) return dispatch();
    if (beast::iequals(req[http::field::expect], "100-continue")) return send_continue();
    read_body();
  }

  // curl and others wait for this before sending a body larger than 1 KiB.
  void send_continue() {
    continue_.emplace(http::status::continue_, version_);
    http::async_write(stream_, *continue_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->close();
      self->read_body();
    });
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_body, this->shared_from_this()));
  }

  void on_body(beast::error_code ec, size_t bytes) {
    log_.bytes += bytes;
    if (ec) return on_read_error(ec);
    dispatch();
  }

  void on_read_error(const beast::error_code& ec) {
    bool got_some = header_seen_ || log_.bytes > 0 || buffer_.size() > 0 || parser_->got_some();
    if (ec == http::error::body_limit)
      return respond(error_answer(http::status::payload_too_large,
                                  fmt::format("the body is over the limit of {} bytes", state_->options.max_body_bytes),
                                  true));
    if (ec == http::error::header_limit)
      return respond(error_answer(http::status::request_header_fields_too_large,
                                  fmt::format("the request header is over the limit of {} bytes", kHeaderLimit), true));
    if (ec == http::error::end_of_stream || !got_some) return close();  // between requests: nothing to answer
    if (ec == beast::error::timeout) {
      // The stream closed the socket when its deadline passed: log, no answer.
      log_.status = 408;
      log_.error = fmt::format("the request was not complete within read_timeout ({} ms)",
                               state_->options.read_timeout.count());
      finish_log();
      return close();
    }
    if (is_http_error(ec) && ec != http::error::partial_message)
      return respond(error_answer(http::status::bad_request, "malformed HTTP request: " + ec.message(), true));
    log_.status = 499;  // the client went away mid-request
    log_.error = "reading the request: " + ec.message();
    finish_log();
    close();
  }

  // ---- answering --------------------------------------------------------

  void dispatch() {
    if (routed_.route == Route::health) return respond_health();
    start_run();
  }

  void respond_health() {
    RunQueue::Counts c = state_->queue.counts();
    bool draining = state_->draining;
    nlohmann::ordered_json body = {{"status", draining ? "draining" : "ok"},
                           {"running", c.running},
                           {"queued", c.queued},
                           {"concurrency", state_->queue.workers()},
                           {"queue_size", state_->queue.waiting()},
                           {"served", c.finished}};
    respond(Answer{.status = draining ? http::status::service_unavailable : http::status::ok, .body = body.dump()});
  }

  void start_run() {
    if (state_->draining) return respond(busy(http::status::service_unavailable, "the server is shutting down"));
    RunRequest request;
    try {
      request = parse_run_request(parser_->get().body());
      log_.language = request.language;
      state_->executor->check(request);
    } catch (const grpo::Error& e) {
      return respond(error_answer(http::status::bad_request, e.message()));
    } catch (const std::exception& e) {
      return respond(error_answer(http::status::internal_server_error,
                                  std::string("checking the request failed: ") + e.what()));
    }
    parser_.reset();  // the request holds its own copy of the body
    stop_ = std::stop_source();
    auto done = [self = this->shared_from_this()](RunResult result, bool cancelled) {
      net::post(self->executor_, [self, result = std::move(result), cancelled]() mutable {
        self->on_run_done(std::move(result), cancelled);
      });
    };
    switch (state_->queue.submit(std::move(request), stop_, std::move(done))) {
      case RunQueue::Admit::full: {
        RunQueue::Counts c = state_->queue.counts();
        return respond(busy(http::status::too_many_requests,
                            fmt::format("the queue is full ({} running, {} waiting); retry later", c.running,
                                        c.queued)));
      }
      case RunQueue::Admit::closed:
        return respond(busy(http::status::service_unavailable, "the server is shutting down"));
      case RunQueue::Admit::accepted:
        break;
    }
    phase_ = Phase::running;
    stream_.expires_never();  // a run may take longer than read_timeout
    watch_peer();
  }

  static Answer busy(http::status status, std::string_view message) {
    Answer a = error_answer(status, message);
    a.retry_after = true;
    return a;
  }

  // While its run goes on, notices a client that closes the connection and
  // cancels the run. A client that only shuts down its sending side looks
  // the same and is cancelled too.
  void watch_peer() {
    stream_.socket().async_wait(net::socket_base::wait_read, [self = this->shared_from_this()](beast::error_code ec) {
      if (ec || self->phase_ != Phase::running) return;
      switch (peek_peer(self->stream_.socket().native_handle())) {
        case Peer::closed:
          self->client_gone_ = true;
          self->stop_.request_stop();
          return;
        case Peer::open:
          return self->watch_peer();
        case Peer::sent_data:
          return;  // the next pipelined request: read after this answer
      }
    });
  }

  void on_run_done(RunResult result, bool cancelled) {
    phase_ = Phase::writing;
    beast::error_code ignored;
    stream_.socket().cancel(ignored);  // the watch
    log_.run_status = std::string(to_string(result.status));
    if (client_gone_) {
      log_.status = 499;
      log_.error = "the client closed the connection; its run was cancelled";
      finish_log();
      return close();
    }
    if (cancelled) {
      return respond(busy(http::status::service_unavailable,
                          "the server shut down before the run finished (drain timeout); the run was cancelled"));
    }
    respond(Answer{.status = http::status::ok, .body = to_json(result)});
  }

  void respond(Answer a) {
    phase_ = Phase::writing;
    res_.emplace(a.status, version_);
    res_->set(http::field::server, beast_view(kServerName));
    res_->set(http::field::content_type, "application/json");
    if (!a.allow.empty()) res_->set(http::field::allow, beast_view(a.allow));
    if (a.retry_after) res_->set(http::field::retry_after, "1");
    res_->body() = std::move(a.body);
    res_->keep_alive(keep_alive_ && !a.close && !state_->draining);
    unread_input_ = a.close;
    res_->prepare_payload();
    log_.status = static_cast<int>(a.status);
    // A client that does not read its answer gets read_timeout, as for sending.
    stream_.expires_after(state_->options.read_timeout);
    http::async_write(stream_, *res_, beast::bind_front_handler(&Session::on_write, this->shared_from_this()));
  }

  void on_write(beast::error_code ec, size_t) {
    if (ec) log_.error = "writing the response: " + ec.message();
    finish_log();
    if (ec) return close();
    bool keep_alive = res_->keep_alive();
    res_.reset();
    if (!keep_alive) return unread_input_ ? linger_close() : close();
    read_request();
  }

  void finish_log() {
    auto since = header_seen_ ? started_ : read_started_;
    log_.ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
    state_->log(log_);
  }

  // ---- closing ----------------------------------------------------------

  void linger_close() {
    phase_ = Phase::lingering;
    beast::error_code ignored;
    stream_.socket().shutdown(net::socket_base::shutdown_send, ignored);
    stream_.expires_after(kLingerTime);
    linger_read();
  }

  void linger_read() {
    stream_.async_read_some(net::buffer(drop_), [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->close();
      self->linger_read();
    });
  }

  void close() {
    phase_ = Phase::closed;
    beast::error_code ignored;
    stream_.socket().shutdown(net::socket_base::shutdown_both, ignored);
    stream_.close();
  }

  const std::shared_ptr<ServerState> state_;
  const std::string peer_;
  TimedStream<Protocol> stream_;
  const net::any_io_executor executor_;  // the connection's strand
  std::optional<uint64_t> id_;

  Phase phase_ = Phase::reading;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::empty_body>> continue_;
  std::optional<http::response<http::string_body>> res_;
  std::array<char, 4096> drop_;  // lingering reads land here

  // The request being served.
  RequestLog log_;
  Routed routed_;
  bool header_seen_ = false;
  bool keep_alive_ = false;
  bool unread_input_ = false;  // the answer left part of the request unread
  unsigned version_ = 11;
  Clock::time_point read_started_;
  Clock::time_point started_;
  std::stop_source stop_;
  bool client_gone_ = false;
};

}  // namespace

void start_session(std::shared_ptr<ServerState> state, tcp::socket socket) {
  std::make_shared<Session<tcp>>(std::move(state), std::move(socket))->start();
}

void start_session(std::shared_ptr<ServerState> state, unix_socket::socket socket) {
  std::make_shared<Session<unix_socket>>(std::move(state), std::move(socket))->start();
}

}  // namespace grpo::sandbox
