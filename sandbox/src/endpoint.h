// Where the service listens or is reached: "host:port", "[v6]:port" or
// "unix:/path". Shared by the server and the client.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace grpo::sandbox {

struct Endpoint {
  bool is_unix = false;
  std::string path;  // is_unix: the socket's file
  std::string host;  // else: a name or an address, without brackets
  uint16_t port = 0;

  // "unix:/path", "127.0.0.1:8765" or "[::1]:8765".
  std::string to_string() const;
};

// Throws grpo::Error naming the text and the expected forms.
Endpoint parse_endpoint(std::string_view text);

}  // namespace grpo::sandbox
