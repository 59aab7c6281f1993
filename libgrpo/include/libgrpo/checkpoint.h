// Hugging Face checkpoint directories: config.json plus weights in one safetensors file or
// in shards listed by model.safetensors.index.json.
//
//   CausalLM policy = load_pretrained("/models/Qwen2.5-0.5B", {.dtype = torch::kBFloat16});
//   save_pretrained(policy, "/runs/r1/step-100");   // transformers loads this unchanged
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "libgrpo/model.h"
#include "libgrpo/safetensors.h"

namespace grpo {

// Every tensor of a checkpoint directory (or of a single .safetensors file), memory-mapped.
class CheckpointReader {
 public:
  // `path`: a directory with model.safetensors or model.safetensors.index.json, or one
  // .safetensors file. Validates every header and the index (shard names stay inside the
  // directory; each listed tensor is in its shard; no tensor in two shards).
  static CheckpointReader open(const std::filesystem::path& path);

  std::vector<std::string> names() const;  // sorted
  bool contains(const std::string& name) const;
  const safetensors::TensorInfo& info(const std::string& name) const;
  // CPU view of the mapped bytes, as stored.
  torch::Tensor tensor(const std::string& name) const;

 private:
  std::vector<safetensors::File> files_;
  std::map<std::string, size_t> file_of_;
};

struct LoadOptions {
  std::optional<torch::ScalarType> dtype;  // default: the checkpoint's config dtype
  torch::Device device = torch::kCPU;
};

// Builds the model config.json describes and fills every parameter from the weights,
// converting dtypes. A missing tensor, a wrong shape, a non-floating-point tensor or a tensor
// the model has no place for is an error naming it (tensors HF also ignores, such as
// rotary inv_freq buffers or lm_head.weight of a tied model, are skipped).
CausalLM load_pretrained(const std::filesystem::path& dir, const LoadOptions& options = {});

// Copies checkpoint tensors into `model`'s parameters with the checks above.
void load_weights(CausalLM& model, const CheckpointReader& reader);

struct SaveOptions {
  std::optional<torch::ScalarType> dtype;    // default: the model's dtype
  int64_t max_shard_bytes = 5'000'000'000;  // HF's default "5GB"; larger checkpoints are sharded
};

// Writes config.json and the weights under HF names (one model.safetensors, or
// model-0000k-of-0000n.safetensors shards plus model.safetensors.index.json). Each file is
// written beside its final name and renamed into place; config.json comes last.
void save_pretrained(CausalLM& model, const std::filesystem::path& dir, const SaveOptions& options = {});

// The same for any named tensors: returns the files written (index first when sharded).
std::vector<std::filesystem::path> save_safetensors_sharded(
    const std::filesystem::path& dir, const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
    int64_t max_shard_bytes);

}  // namespace grpo
