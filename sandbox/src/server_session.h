// One client connection of the server: reads requests, answers them, and
// hands runs to the queue. See server_session.cpp.
#pragma once

#include <memory>

#include "net.h"
#include "server_state.h"

namespace grpo::sandbox {

// Serves an accepted connection until it closes; keeps itself alive.
void start_session(std::shared_ptr<ServerState> state, tcp::socket socket);
void start_session(std::shared_ptr<ServerState> state, unix_socket::socket socket);

}  // namespace grpo::sandbox
