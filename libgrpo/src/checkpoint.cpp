#include "libgrpo/checkpoint.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>
#include <sstream>

#include "libgrpo/error.h"

namespace grpo {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kSingleFile = "model.safetensors";
constexpr const char* kIndexFile = "model.safetensors.index.json";

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  GRPO_CHECK(in, "cannot open ", path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_text_atomically(const fs::path& path, const std::string& text) {
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    GRPO_CHECK(out, "cannot write ", tmp);
    out << text;
    out.flush();
    GRPO_CHECK(out, "error writing ", tmp, " (disk full?)");
  }
  fs::rename(tmp, path);
}

// weight_map of an index file: tensor name -> shard file name (inside `dir`).
std::map<std::string, std::string> read_index(const fs::path& index_path) {
  json index;
  try {
    index = json::parse(read_text(index_path));
  } catch (const json::parse_error& e) {
    GRPO_FAIL(index_path, ": not valid JSON: ", e.what());
  }
  GRPO_CHECK(index.is_object() && index.contains("weight_map") && index["weight_map"].is_object(), index_path,
             ": expected an object with a 'weight_map' object");
  std::map<std::string, std::string> map;
  for (const auto& [name, file] : index["weight_map"].items()) {
    GRPO_CHECK(file.is_string(), index_path, ": weight_map entry for '", name, "' is not a file name");
    std::string shard = file.get<std::string>();
    GRPO_CHECK(!shard.empty() && shard.find('/') == std::string::npos && shard != "." && shard != "..",
               index_path, ": shard name '", shard, "' for tensor '", name, "' must be a plain file name");
    map[name] = shard;
  }
  return map;
}

// HF drops these on load without complaint, and so do we.
bool ignorable(const std::string& name, const ModelConfig& config) {
  return name.ends_with(".rotary_emb.inv_freq") || (config.tie_word_embeddings && name == "lm_head.weight");
}

bool is_float(safetensors::DType d) {
  using safetensors::DType;
  return d == DType::F16 || d == DType::BF16 || d == DType::F32 || d == DType::F64;
}

}  // namespace

CheckpointReader CheckpointReader::open(const fs::path& path) {
  CheckpointReader reader;
  auto add = [&](safetensors::File file) {
    for (const auto& name : file.names()) {
      auto [it, fresh] = reader.file_of_.emplace(name, reader.files_.size());
      GRPO_CHECK(fresh, "tensor '", name, "' appears in both ", reader.files_[it->second].path(), " and ", file.path());
    }
    reader.files_.push_back(std::move(file));
  };
  if (!fs::is_directory(path)) {
    add(safetensors::File::open(path));
    return reader;
  }
  if (fs::exists(path / kSingleFile)) {
    add(safetensors::File::open(path / kSingleFile));
    return reader;
  }
  GRPO_CHECK(fs::exists(path / kIndexFile), "no ", kSingleFile, " or ", kIndexFile, " in ", path);
  auto map = read_index(path / kIndexFile);
  std::set<std::string> shards;
  for (const auto& [_, shard] : map) shards.insert(shard);
  for (const auto& shard : shards) {
    GRPO_CHECK(fs::exists(path / shard), kIndexFile, " lists shard ", shard, " which is not in ", path);
    add(safetensors::File::open(path / shard));
  }
  for (const auto& [name, shard] : map) {
    auto it = reader.file_of_.find(name);
    GRPO_CHECK(it != reader.file_of_.end() && reader.files_[it->second].path().filename() == shard, kIndexFile,
               " says tensor '", name, "' is in ", shard, " but it is not there");
  }
  return reader;
}

std::vector<std::string> CheckpointReader::names() const {
  std::vector<std::string> out;
  for (const auto& [name, _] : file_of_) out.push_back(name);
  return out;
}

bool CheckpointReader::contains(const std::string& name) const { return file_of_.count(name) > 0; }

const safetensors::TensorInfo& CheckpointReader::info(const std::string& name) const {
  auto it = file_of_.find(name);
  GRPO_CHECK(it != file_of_.end(), "checkpoint has no tensor '", name, "'");
  return files_[it->second].info(name);
}

torch::Tensor CheckpointReader::tensor(const std::string& name) const {
  auto it = file_of_.find(name);
  GRPO_CHECK(it != file_of_.end(), "checkpoint has no tensor '", name, "'");
  return files_[it->second].tensor(name);
}

void load_weights(CausalLM& model, const CheckpointReader& reader) {
  torch::NoGradGuard no_grad;
  auto params = model->named_parameters();
  std::vector<std::string> missing, unexpected;
  for (const auto& p : params)
    if (!reader.contains(p.key())) missing.push_back(p.key());
  for (const auto& name : reader.names())
    if (!params.contains(name) && !ignorable(name, model->config())) unexpected.push_back(name);
  auto list = [](const std::vector<std::string>& names) {
    std::string out;
    for (size_t i = 0; i < names.size() && i < 5; ++i) out += (i ? ", " : "") + names[i];
    return names.size() > 5 ? out + fmt::format(", ... ({} in all)", names.size()) : out;
  };
  GRPO_CHECK(missing.empty(), "checkpoint lacks tensors the ", model->config().model_type, " model needs: ", list(missing));
  GRPO_CHECK(unexpected.empty(), "checkpoint has tensors the ", model->config().model_type,
             " model has no place for: ", list(unexpected));
  for (auto& p : params) {
    const auto& info = reader.info(p.key());
    GRPO_CHECK(is_float(info.dtype), "tensor '", p.key(), "' has dtype ", safetensors::dtype_name(info.dtype),
               "; a floating-point dtype is expected");
    GRPO_CHECK(info.shape == p.value().sizes().vec(), "tensor '", p.key(), "' has shape ",
               torch::IntArrayRef(info.shape), " but the model expects ", p.value().sizes());
    p.value().copy_(reader.tensor(p.key()));
  }
}

CausalLM load_pretrained(const fs::path& dir, const LoadOptions& options) {
  GRPO_CHECK(fs::is_directory(dir), "checkpoint directory ", dir, " does not exist");
  ModelConfig config = ModelConfig::load(dir / "config.json");
  auto reader = CheckpointReader::open(dir);
  torch::ScalarType dtype = options.dtype.value_or(config.dtype);
  CausalLM model(config, torch::TensorOptions().dtype(dtype).device(options.device));
  load_weights(model, reader);
  return model;
}

std::vector<fs::path> save_safetensors_sharded(const fs::path& dir,
                                               const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                                               int64_t max_shard_bytes) {
  GRPO_CHECK(max_shard_bytes > 0, "max_shard_bytes must be positive, got ", max_shard_bytes);
  fs::create_directories(dir);
  // Tensors in order, a new shard whenever the next one would overflow the current.
  std::vector<std::vector<std::pair<std::string, torch::Tensor>>> shards(1);
  int64_t in_shard = 0, total = 0;
  for (const auto& entry : tensors) {
    int64_t bytes = int64_t(entry.second.nbytes());
    if (!shards.back().empty() && in_shard + bytes > max_shard_bytes) {
      shards.emplace_back();
      in_shard = 0;
    }
    shards.back().push_back(entry);
    in_shard += bytes;
    total += bytes;
  }
  std::vector<fs::path> written;
  if (shards.size() == 1) {
    safetensors::save(dir / kSingleFile, shards[0]);
    written.push_back(dir / kSingleFile);
  } else {
    json map = json::object();
    for (size_t i = 0; i < shards.size(); ++i) {
      std::string name = fmt::format("model-{:05d}-of-{:05d}.safetensors", i + 1, shards.size());
      safetensors::save(dir / name, shards[i]);
      written.push_back(dir / name);
      for (const auto& [tensor, _] : shards[i]) map[tensor] = name;
    }
    json index = {{"metadata", {{"total_size", total}}}, {"weight_map", map}};
    write_text_atomically(dir / kIndexFile, index.dump(2) + "\n");
    written.insert(written.begin(), dir / kIndexFile);
  }
  // Weights of an earlier save would shadow these (a stale model.safetensors wins over an
  // index in transformers), so remove every weight file this save did not write.
  std::set<fs::path> keep(written.begin(), written.end());
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    bool weights = name == kSingleFile || name == kIndexFile ||
                   (name.starts_with("model-") && name.ends_with(".safetensors"));
    if (weights && !keep.count(entry.path())) fs::remove(entry.path());
  }
  return written;
}

void save_pretrained(CausalLM& model, const fs::path& dir, const SaveOptions& options) {
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  torch::ScalarType dtype = options.dtype.value_or(model->output_weight().scalar_type());
  for (const auto& p : model->named_parameters()) tensors.emplace_back(p.key(), p.value().detach().to(dtype));
  save_safetensors_sharded(dir, tensors, options.max_shard_bytes);
  write_text_atomically(dir / "config.json", model->config().to_json(dtype));
}

}  // namespace grpo
