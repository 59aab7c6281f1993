// Judging, in the trusted server: the untrusted process only produces bytes.
#pragma once

#include <string>
#include <string_view>

#include "sandbox/protocol.h"

namespace grpo::sandbox {

// Does `actual` stdout match `expected` under `mode`? On a mismatch `why`
// says where, for a person.
bool stdout_matches(std::string_view actual, std::string_view expected, Compare mode, std::string& why);

// Does the JSON text `actual` (written inside the jail) equal `expected`
// (from the request) structurally? Numbers compare as numbers (2 == 2.0,
// floats within a relative 1e-9), objects by key set and values.
bool result_matches(std::string_view actual, std::string_view expected, std::string& why);

}  // namespace grpo::sandbox
