// Reading and writing safetensors files as torch tensors.
//
//   auto file = safetensors::File::open("model.safetensors");   // mmap, header validated
//   torch::Tensor w = file.tensor("model.embed_tokens.weight"); // CPU view of the mapping
//   safetensors::save("out.safetensors", {{"w", w}}, {{"format", "pt"}});
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "libgrpo/safetensors_format.h"

namespace grpo::safetensors {

torch::ScalarType to_torch(DType dtype);
DType from_torch(torch::ScalarType dtype);

// A read-only memory-mapped safetensors file. Tensors returned by tensor() are CPU views
// of the mapping (no copy) and keep it alive after the File is gone; copy them (or .to())
// before writing to them.
class File {
 public:
  // Maps `path` and validates its header; throws grpo::Error naming the file and the
  // tensor or byte offset at fault.
  static File open(const std::filesystem::path& path);

  const std::filesystem::path& path() const;
  const Header& header() const;
  bool contains(const std::string& name) const;
  const TensorInfo& info(const std::string& name) const;  // throws if absent
  std::vector<std::string> names() const;                 // in data order

  // The named tensor, shape and dtype as stored.
  torch::Tensor tensor(const std::string& name) const;

 private:
  struct Mapping;
  std::shared_ptr<const Mapping> mapping_;
  std::map<std::string, size_t> index_;
};

// Writes `tensors` (any device, any contiguity; names unique) with `metadata`. The file
// appears atomically: it is written beside `path` and renamed into place.
void save(const std::filesystem::path& path,
          const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
          const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

}  // namespace grpo::safetensors
