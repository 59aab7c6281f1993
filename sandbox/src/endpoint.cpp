#include "endpoint.h"

#include <charconv>

#include "libgrpo/error.h"

namespace grpo::sandbox {

namespace {

constexpr std::string_view kForms = "expected \"host:port\", \"[v6-address]:port\" or \"unix:/path\"";

}  // namespace

std::string Endpoint::to_string() const {
  if (is_unix) return "unix:" + path;
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Endpoint parse_endpoint(std::string_view text) {
  Endpoint e;
  if (text.starts_with("unix:")) {
    e.is_unix = true;
    e.path = std::string(text.substr(5));
    GRPO_CHECK(!e.path.empty(), "endpoint '", text, "': the socket path is empty; ", kForms);
    // sockaddr_un holds 108 bytes with the terminating zero.
    GRPO_CHECK(e.path.size() < 108, "endpoint '", text, "': a Unix socket path is at most 107 bytes, this one is ",
               e.path.size());
    return e;
  }
  size_t colon = text.rfind(':');
  GRPO_CHECK(colon != std::string_view::npos && colon > 0, "endpoint '", text, "': no port; ", kForms);
  std::string_view host = text.substr(0, colon);
  std::string_view port = text.substr(colon + 1);
  if (host.starts_with('[')) {
    GRPO_CHECK(host.ends_with(']') && host.size() > 2, "endpoint '", text, "': unbalanced brackets; ", kForms);
    host = host.substr(1, host.size() - 2);
  } else {
    GRPO_CHECK(host.find(':') == std::string_view::npos, "endpoint '", text,
               "': an IPv6 address needs brackets; ", kForms);
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  GRPO_CHECK(ec == std::errc() && end == port.data() + port.size() && !port.empty() && value <= 65535,
             "endpoint '", text, "': the port '", port, "' is not a number in [0, 65535]");
  e.host = std::string(host);
  e.port = static_cast<uint16_t>(value);
  return e;
}

}  // namespace grpo::sandbox
