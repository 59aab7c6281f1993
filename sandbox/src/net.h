// Boost.Asio and Beast for the server and the client, behind one include.
// Private to the sandbox library: public headers expose std types only.
#pragma once

// Boost 1.74's asio/awaitable.hpp uses std::exchange without including
// <utility>; GCC 12 in C++20 mode then fails to compile it.
#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace grpo::sandbox {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using unix_socket = boost::asio::local::stream_protocol;

// A socket with deadlines (expires_after) over TCP or a Unix socket.
template <class Protocol>
using TimedStream = beast::basic_stream<Protocol, net::any_io_executor, beast::unlimited_rate_policy>;

}  // namespace grpo::sandbox
