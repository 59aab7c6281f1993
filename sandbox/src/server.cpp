#include "sandbox/server.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "endpoint.h"
#include "libgrpo/error.h"
#include "net.h"
#include "server_session.h"
#include "server_state.h"

namespace grpo::sandbox {

namespace {

// Threads for the sockets; the runs have their own (RunQueue). Two keep one
// slow request parse from stalling every other connection.
constexpr int kIoThreads = 2;
// After the runs are over, how long answers already on their way may take
// before the remaining connections are dropped.
constexpr std::chrono::milliseconds kCloseGrace{3'000};
// A failed accept (out of file descriptors) is retried after this long.
constexpr std::chrono::milliseconds kAcceptRetry{100};

// Accepts connections and starts a session on each, each on its own strand.
template <class Protocol>
class Listener : public std::enable_shared_from_this<Listener<Protocol>> {
 public:
  Listener(net::io_context& ioc, std::shared_ptr<ServerState> state)
      : ioc_(ioc), state_(std::move(state)), acceptor_(net::make_strand(ioc)), retry_(acceptor_.get_executor()) {}

  void listen(const typename Protocol::endpoint& where, std::string_view name) {
    beast::error_code ec;
    acceptor_.open(where.protocol(), ec);
    if (!ec && std::is_same_v<Protocol, tcp>) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(where, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    GRPO_CHECK(!ec, "cannot listen on ", name, ": ", ec.message());
  }

  typename Protocol::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

  void accept() {
    acceptor_.async_accept(net::make_strand(ioc_),
                           beast::bind_front_handler(&Listener::on_accept, this->shared_from_this()));
  }

  void close() {
    net::post(acceptor_.get_executor(), [self = this->shared_from_this()] {
      beast::error_code ignored;
      self->acceptor_.close(ignored);
      self->retry_.cancel();
    });
  }

 private:
  void on_accept(beast::error_code ec, typename Protocol::socket socket) {
    if (!acceptor_.is_open()) return;
    if (ec) {
      // Out of descriptors, or a connection reset before it was accepted:
      // keep listening after a pause rather than spinning on the error.
      state_->log_event("accept_failed", ec.message());
      retry_.expires_after(kAcceptRetry);
      retry_.async_wait([self = this->shared_from_this()](beast::error_code e) {
        if (!e && self->acceptor_.is_open()) self->accept();
      });
      return;
    }
    start_session(state_, std::move(socket));
    accept();
  }

  net::io_context& ioc_;
  std::shared_ptr<ServerState> state_;
  typename Protocol::acceptor acceptor_;
  net::steady_timer retry_;
};

std::string tcp_name(const tcp::endpoint& ep) {
  std::string address = ep.address().to_string();
  return (ep.address().is_v6() ? "[" + address + "]" : address) + ":" + std::to_string(ep.port());
}

// A socket file left by a server that died is removed; a live server's, or
// a file that is not a socket, is an error.
void remove_stale_socket(const std::string& path, net::io_context& ioc) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return;
  GRPO_CHECK(S_ISSOCK(st.st_mode), "unix:", path, " exists and is not a socket; not replacing it");
  unix_socket::socket probe(ioc);
  beast::error_code ec;
  probe.connect(unix_socket::endpoint(path), ec);
  GRPO_CHECK(ec, "unix:", path, ": another server is listening there");
  GRPO_CHECK(::unlink(path.c_str()) == 0 || errno == ENOENT, "unix:", path,
             ": cannot remove the stale socket: ", std::strerror(errno));
}

}  // namespace

struct Server::Impl {
  ServerOptions options;
  std::shared_ptr<Executor> executor;

  net::io_context ioc{kIoThreads};
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::shared_ptr<ServerState> state;
  std::shared_ptr<Listener<tcp>> tcp_listener;
  std::shared_ptr<Listener<unix_socket>> unix_listener;
  std::string endpoint;
  std::string unix_path;  // to unlink at the end
  std::vector<std::thread> io_threads;
  std::thread drainer;

  std::mutex mutex;
  std::condition_variable shutdown_requested;
  bool started = false;
  bool shutting_down = false;
  std::mutex join_mutex;  // one wait() joins, the others wait for it
  bool joined = false;

  void listen(const Endpoint& where);
  void drain();
};

void Server::Impl::listen(const Endpoint& where) {
  if (where.is_unix) {
    remove_stale_socket(where.path, ioc);
    unix_listener = std::make_shared<Listener<unix_socket>>(ioc, state);
    unix_listener->listen(unix_socket::endpoint(where.path), where.to_string());
    unix_path = where.path;
    endpoint = where.to_string();
    unix_listener->accept();
    return;
  }
  tcp::resolver resolver(ioc);
  beast::error_code ec;
  auto found = resolver.resolve(where.host, std::to_string(where.port),
                                tcp::resolver::passive | tcp::resolver::address_configured, ec);
  GRPO_CHECK(!ec && !found.empty(), "cannot listen on ", where.to_string(), ": ", ec ? ec.message() : "no address");
  tcp_listener = std::make_shared<Listener<tcp>>(ioc, state);
  tcp_listener->listen(found.begin()->endpoint(), where.to_string());
  endpoint = tcp_name(tcp_listener->local_endpoint());
  tcp_listener->accept();
}

// The rest of shutdown(), on its own thread: let the runs finish for
// drain_timeout, then cancel the rest; close idle connections; let the last
// answers go out; stop the sockets' threads.
void Server::Impl::drain() {
  if (!state->queue.wait_idle_for(options.drain_timeout)) state->queue.cancel_all();
  state->queue.join();
  state->close_idle_connections();
  work.reset();
  if (!state->wait_connections_gone(kCloseGrace)) ioc.stop();
  if (!unix_path.empty()) ::unlink(unix_path.c_str());
}

Server::Server(ServerOptions options, std::shared_ptr<Executor> executor) : impl_(std::make_unique<Impl>()) {
  GRPO_CHECK(executor != nullptr, "the server needs an executor");
  GRPO_CHECK(options.concurrency >= 0, "concurrency must not be negative, got ", options.concurrency);
  GRPO_CHECK(options.queue_size >= 0, "queue_size must not be negative, got ", options.queue_size);
  GRPO_CHECK(options.max_body_bytes > 0, "max_body_bytes must be positive");
  GRPO_CHECK(options.read_timeout.count() > 0, "read_timeout must be positive, got ", options.read_timeout.count(),
             " ms");
  GRPO_CHECK(options.drain_timeout.count() >= 0, "drain_timeout must not be negative, got ",
             options.drain_timeout.count(), " ms");
  impl_->options = std::move(options);
  impl_->executor = std::move(executor);
}

Server::~Server() {
  shutdown();
  wait();
}

void Server::start() {
  Impl& m = *impl_;
  std::lock_guard lock(m.mutex);
  GRPO_CHECK(!m.started, "the server was already started");
  Endpoint where = parse_endpoint(m.options.listen);
  int concurrency = m.options.concurrency;
  if (concurrency == 0) concurrency = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // Deep enough that one client at its default max_in_flight (64) is never turned away.
  int queue_size = m.options.queue_size > 0 ? m.options.queue_size : std::max(64, 8 * concurrency);
  m.state = std::make_shared<ServerState>(m.options, m.executor, concurrency, queue_size);
  m.listen(where);
  m.work.emplace(m.ioc.get_executor());
  for (int i = 0; i < kIoThreads; ++i) m.io_threads.emplace_back([&m] { m.ioc.run(); });
  m.started = true;
}

std::string Server::endpoint() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->endpoint;
}

void Server::shutdown() {
  Impl& m = *impl_;
  std::lock_guard lock(m.mutex);
  if (!m.started || m.shutting_down) return;
  m.shutting_down = true;
  // Before returning: from here on no run is admitted and health says so.
  m.state->draining = true;
  m.state->queue.close();
  if (m.tcp_listener) m.tcp_listener->close();
  if (m.unix_listener) m.unix_listener->close();
  m.drainer = std::thread([&m] { m.drain(); });
  m.shutdown_requested.notify_all();
}

void Server::wait() {
  Impl& m = *impl_;
  {
    std::unique_lock lock(m.mutex);
    if (!m.started) return;
    m.shutdown_requested.wait(lock, [&m] { return m.shutting_down; });
  }
  std::lock_guard lock(m.join_mutex);
  if (m.joined) return;
  m.drainer.join();
  for (auto& t : m.io_threads) t.join();
  m.joined = true;
}

}  // namespace grpo::sandbox
