// Fuzz target: the safetensors header parser, the first code every checkpoint byte meets.
// Any input must either parse or raise grpo::Error; anything else (a crash, a sanitizer
// report, another exception type, a hang) is a bug.
#include <cstddef>
#include <cstdint>

#include "libgrpo/error.h"
#include "libgrpo/safetensors_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto header = grpo::safetensors::parse_header(data, size, size);
    // A header that parses must describe bytes that exist.
    for (const auto& t : header.tensors)
      if (header.data_start + t.end > size) __builtin_trap();
  } catch (const grpo::Error&) {
  }
  return 0;
}
