#include "libgrpo/safetensors_format.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>

#include "libgrpo/error.h"

namespace grpo::safetensors {
namespace {

using nlohmann::json;

struct DTypeEntry {
  DType dtype;
  std::string_view name;
  size_t size;
};

constexpr std::array<DTypeEntry, 15> kDTypes{{
    {DType::BOOL, "BOOL", 1}, {DType::U8, "U8", 1},     {DType::I8, "I8", 1},
    {DType::I16, "I16", 2},   {DType::U16, "U16", 2},   {DType::I32, "I32", 4},
    {DType::U32, "U32", 4},   {DType::I64, "I64", 8},   {DType::U64, "U64", 8},
    {DType::F16, "F16", 2},   {DType::BF16, "BF16", 2}, {DType::F32, "F32", 4},
    {DType::F64, "F64", 8},   {DType::F8_E4M3, "F8_E4M3", 1}, {DType::F8_E5M2, "F8_E5M2", 1},
}};

const DTypeEntry& entry(DType dtype) {
  for (const auto& e : kDTypes)
    if (e.dtype == dtype) return e;
  GRPO_FAIL("safetensors: unknown dtype enum ", static_cast<int>(dtype));
}

DType parse_dtype(const std::string& name, const std::string& tensor) {
  for (const auto& e : kDTypes)
    if (e.name == name) return e.dtype;
  GRPO_FAIL("safetensors: tensor '", tensor, "' has unknown dtype '", name, "'");
}

uint64_t read_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Product of the dims times the element size, or an error on overflow.
uint64_t byte_size(const std::vector<int64_t>& shape, size_t elem, const std::string& tensor) {
  uint64_t n = elem;
  for (int64_t d : shape) {
    if (d != 0 && n > std::numeric_limits<uint64_t>::max() / static_cast<uint64_t>(d))
      GRPO_FAIL("safetensors: tensor '", tensor, "': shape overflows 64-bit byte size");
    n *= static_cast<uint64_t>(d);
  }
  return n;
}

TensorInfo parse_tensor(const std::string& name, const json& value) {
  GRPO_CHECK(value.is_object(), "safetensors: entry '", name, "' is not an object");
  for (const char* key : {"dtype", "shape", "data_offsets"})
    GRPO_CHECK(value.contains(key), "safetensors: tensor '", name, "' has no '", key, "'");
  for (const auto& [key, _] : value.items())
    GRPO_CHECK(key == "dtype" || key == "shape" || key == "data_offsets",
               "safetensors: tensor '", name, "' has unknown field '", key, "'");
  TensorInfo info;
  info.name = name;
  const json& dtype = value["dtype"];
  GRPO_CHECK(dtype.is_string(), "safetensors: tensor '", name, "': dtype is not a string");
  info.dtype = parse_dtype(dtype.get<std::string>(), name);

  const json& shape = value["shape"];
  GRPO_CHECK(shape.is_array(), "safetensors: tensor '", name, "': shape is not an array");
  for (const json& d : shape) {
    GRPO_CHECK(d.is_number_unsigned() && d.get<uint64_t>() <= uint64_t{1} << 62,
               "safetensors: tensor '", name, "': shape ", shape.dump(),
               " has an entry that is not a non-negative integer");
    info.shape.push_back(static_cast<int64_t>(d.get<uint64_t>()));
  }

  const json& offsets = value["data_offsets"];
  GRPO_CHECK(offsets.is_array() && offsets.size() == 2 && offsets[0].is_number_unsigned() &&
                 offsets[1].is_number_unsigned(),
             "safetensors: tensor '", name, "': data_offsets must be [begin, end] of non-negative integers");
  info.begin = offsets[0].get<uint64_t>();
  info.end = offsets[1].get<uint64_t>();
  GRPO_CHECK(info.begin <= info.end, "safetensors: tensor '", name, "': data_offsets [", info.begin,
             ", ", info.end, "] end before begin");
  uint64_t expected = byte_size(info.shape, entry(info.dtype).size, name);
  GRPO_CHECK(info.end - info.begin == expected, "safetensors: tensor '", name, "': data_offsets [",
             info.begin, ", ", info.end, "] hold ", info.end - info.begin, " bytes but dtype ",
             dtype_name(info.dtype), " and shape ", shape.dump(), " need ", expected);
  return info;
}

// Tensors must tile the data section exactly: sorted by offset, each starting where the
// previous one ended, the last ending at the end of the file.
void check_layout(std::vector<TensorInfo>& tensors, uint64_t data_start, uint64_t data_size) {
  std::sort(tensors.begin(), tensors.end(), [](const TensorInfo& a, const TensorInfo& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t at = 0;
  for (const TensorInfo& t : tensors) {
    GRPO_CHECK(t.end <= data_size, "safetensors: tensor '", t.name, "': data_offsets [", t.begin, ", ",
               t.end, "] run past the end of the file (byte ", data_start + t.end, " of ",
               data_start + data_size, ")");
    GRPO_CHECK(t.begin >= at, "safetensors: tensor '", t.name, "' overlaps the previous tensor at byte ",
               data_start + t.begin);
    GRPO_CHECK(t.begin == at, "safetensors: gap of ", t.begin - at, " bytes before tensor '", t.name,
               "' at byte ", data_start + at);
    at = t.end;
  }
  GRPO_CHECK(at == data_size, "safetensors: ", data_size - at, " bytes after the last tensor at byte ",
             data_start + at, " belong to no tensor");
}

}  // namespace

std::string_view dtype_name(DType dtype) { return entry(dtype).name; }
size_t dtype_size(DType dtype) { return entry(dtype).size; }

Header parse_header(const uint8_t* data, size_t available, uint64_t file_size) {
  GRPO_CHECK(file_size >= 8 && available >= 8, "safetensors: file of ", file_size,
             " bytes is too short for the 8-byte header length");
  uint64_t n = read_u64_le(data);
  GRPO_CHECK(n <= kMaxHeaderBytes, "safetensors: header length ", n, " exceeds the limit of ",
             kMaxHeaderBytes, " bytes (corrupt or not a safetensors file)");
  GRPO_CHECK(n <= file_size - 8, "safetensors: header length ", n, " runs past the end of the ",
             file_size, "-byte file (truncated?)");
  GRPO_CHECK(available >= 8 + n, "safetensors: only ", available, " of the ", 8 + n, " header bytes readable");
  GRPO_CHECK(n >= 2 && data[8] == '{', "safetensors: header at byte 8 does not start with '{'");

  json root;
  try {
    root = json::parse(data + 8, data + 8 + n);
  } catch (const json::parse_error& e) {
    // e.byte counts from 1 within the header.
    GRPO_FAIL("safetensors: header is not valid JSON near byte ", 8 + (e.byte > 0 ? e.byte - 1 : 0), ": ",
              e.what());
  } catch (const json::exception& e) {  // e.g. a number too large for a double
    GRPO_FAIL("safetensors: header is not valid JSON: ", e.what());
  }
  GRPO_CHECK(root.is_object(), "safetensors: header is not a JSON object");

  Header header;
  header.data_start = 8 + n;
  for (const auto& [name, value] : root.items()) {
    if (name == "__metadata__") {
      GRPO_CHECK(value.is_object(), "safetensors: __metadata__ is not an object");
      for (const auto& [key, v] : value.items()) {
        GRPO_CHECK(v.is_string(), "safetensors: __metadata__ value for '", key, "' is not a string");
        header.metadata[key] = v.get<std::string>();
      }
      continue;
    }
    header.tensors.push_back(parse_tensor(name, value));
  }
  check_layout(header.tensors, header.data_start, file_size - header.data_start);
  return header;
}

std::string serialize_header(const std::vector<TensorInfo>& tensors,
                             const std::map<std::string, std::string>& metadata) {
  json root = json::object();
  if (!metadata.empty()) root["__metadata__"] = metadata;
  for (const TensorInfo& t : tensors) {
    GRPO_CHECK(t.name != "__metadata__", "safetensors: a tensor cannot be named __metadata__");
    GRPO_CHECK(!root.contains(t.name), "safetensors: duplicate tensor name '", t.name, "'");
    root[t.name] = {{"dtype", std::string(dtype_name(t.dtype))},
                    {"shape", t.shape},
                    {"data_offsets", {t.begin, t.end}}};
  }
  std::string text = root.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out + text;
}

}  // namespace grpo::safetensors
