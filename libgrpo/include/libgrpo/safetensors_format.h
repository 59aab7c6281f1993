// The safetensors file format, without torch: header parsing and writing.
//
// A safetensors file is
//   [8 bytes: N, little-endian u64][N bytes: JSON header][data]
// where the header maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]}
// (offsets relative to the start of the data section) plus an optional "__metadata__"
// object of string values. This parser is what every checkpoint byte goes through first,
// so it trusts nothing: it is fuzzed (tests/fuzz) and every rejection names the tensor or
// byte offset at fault.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace grpo::safetensors {

enum class DType { BOOL, U8, I8, I16, U16, I32, U32, I64, U64, F16, BF16, F32, F64, F8_E4M3, F8_E5M2 };

// "F32", "BF16", ... as spelled in the header.
std::string_view dtype_name(DType dtype);
// Size of one element in bytes.
size_t dtype_size(DType dtype);

struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // byte range within the data section, [begin, end)
  uint64_t end = 0;
};

struct Header {
  std::vector<TensorInfo> tensors;            // in data order (sorted by begin)
  std::map<std::string, std::string> metadata;  // "__metadata__", e.g. {"format": "pt"}
  uint64_t data_start = 0;                     // absolute file offset of the data section: 8 + N
};

// The largest header accepted, as in the reference implementation (100 MB).
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

// Parses and validates the header at the start of a safetensors file of `file_size` bytes,
// of which `data[0, available)` are readable (available >= 8 + N is required).
// Checks: header length within the file and the limit; valid UTF-8 JSON object; known
// dtypes; non-negative shapes whose byte size equals end - begin without overflow; offsets
// inside the data section; tensors neither overlapping nor leaving holes, and covering the
// data section exactly. Throws grpo::Error naming the tensor or the byte offset.
Header parse_header(const uint8_t* data, size_t available, uint64_t file_size);

// The bytes that precede the data of a file holding `tensors` (offsets filled in by the
// caller, in order) and `metadata`: the length prefix and the JSON header, padded with
// spaces to a multiple of 8 bytes so the data section is 8-byte aligned.
std::string serialize_header(const std::vector<TensorInfo>& tensors,
                             const std::map<std::string, std::string>& metadata);

}  // namespace grpo::safetensors
