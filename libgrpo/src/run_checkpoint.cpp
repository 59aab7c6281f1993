// Checkpoints of a training run: written whole or not at all.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <fstream>

#include "libgrpo/error.h"
#include "libgrpo/run.h"

namespace grpo {

namespace fs = std::filesystem;

namespace {

constexpr const char* kPrefix = "step-";
constexpr const char* kTmpPrefix = ".tmp-step-";
constexpr const char* kDeletePrefix = ".delete-step-";

// The files a model directory's tokenizer consists of (whichever exist).
constexpr const char* kTokenizerFiles[] = {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                                           "vocab.json", "merges.txt", "added_tokens.json", "chat_template.jinja"};

void fsync_path(const fs::path& path, bool directory) {
  int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  GRPO_CHECK(fd >= 0, "cannot open ", path.string(), " to sync it: ", std::strerror(errno));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  GRPO_CHECK(rc == 0, "fsync ", path.string(), ": ", std::strerror(err));
}

// Every file under dir, then every directory bottom-up, then dir itself.
void fsync_tree(const fs::path& dir) {
  std::vector<fs::path> dirs;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) fsync_path(entry.path(), false);
    else if (entry.is_directory()) dirs.push_back(entry.path());
  }
  std::sort(dirs.rbegin(), dirs.rend());
  for (const auto& d : dirs) fsync_path(d, true);
  fsync_path(dir, true);
}

std::string step_name(const char* prefix, int64_t step) {
  char digits[32];
  std::snprintf(digits, sizeof digits, "%06lld", static_cast<long long>(step));
  return std::string(prefix) + digits;
}

std::optional<int64_t> step_of(const std::string& name) {
  const std::string prefix = kPrefix;
  if (!name.starts_with(prefix) || name.size() == prefix.size()) return std::nullopt;
  int64_t step = 0;
  const char* begin = name.data() + prefix.size();
  const char* end = name.data() + name.size();
  auto [ptr, ec] = std::from_chars(begin, end, step);
  if (ec != std::errc() || ptr != end || step < 0) return std::nullopt;
  return step;
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  GRPO_CHECK(out, "cannot write ", path.string());
}

}  // namespace

std::vector<CheckpointRef> list_checkpoints(const fs::path& run_dir) {
  std::vector<CheckpointRef> out;
  const fs::path root = run_dir / "checkpoints";
  if (!fs::is_directory(root)) return out;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (!entry.is_directory()) continue;
    if (auto step = step_of(entry.path().filename().string())) out.push_back({*step, entry.path()});
  }
  std::sort(out.begin(), out.end(), [](const CheckpointRef& a, const CheckpointRef& b) { return a.step < b.step; });
  return out;
}

std::optional<CheckpointRef> latest_checkpoint(const fs::path& run_dir) {
  auto all = list_checkpoints(run_dir);
  if (all.empty()) return std::nullopt;
  return all.back();
}

fs::path save_checkpoint(const fs::path& run_dir, int64_t step, Trainer& trainer, const fs::path& tokenizer_from,
                         const std::string& data_state) {
  const fs::path root = run_dir / "checkpoints";
  fs::create_directories(root);
  const fs::path tmp = root / step_name(kTmpPrefix, step);
  const fs::path final_dir = root / step_name(kPrefix, step);
  fs::remove_all(tmp);
  fs::create_directories(tmp);

  Policy& policy = trainer.policy();
  save_pretrained(policy.model, tmp);
  for (const char* name : kTokenizerFiles)
    if (fs::exists(tokenizer_from / name)) fs::copy_file(tokenizer_from / name, tmp / name);
  {  // generation_config.json: what the sampler stops on
    std::string eos = "[";
    for (size_t i = 0; i < policy.eos_token_ids.size(); ++i)
      eos += (i ? ", " : "") + std::to_string(policy.eos_token_ids[i]);
    eos += "]";
    write_text(tmp / "generation_config.json",
               "{\n  \"eos_token_id\": " + eos + ",\n  \"pad_token_id\": " + std::to_string(policy.pad_token_id) + "\n}\n");
  }
  trainer.save_state(tmp);
  write_text(tmp / "data_state.json", data_state + "\n");
  fsync_tree(tmp);

  // Replacing a checkpoint of the same step (a resumed run saving again) goes through
  // a delete name, so that step-N is at every moment absent or complete.
  if (fs::exists(final_dir)) {
    const fs::path doomed = root / step_name(kDeletePrefix, step);
    fs::remove_all(doomed);
    fs::rename(final_dir, doomed);
    fs::remove_all(doomed);
  }
  fs::rename(tmp, final_dir);
  fsync_path(root, true);
  return final_dir;
}

void prune_checkpoints(const fs::path& run_dir, int64_t keep_last) {
  const fs::path root = run_dir / "checkpoints";
  if (!fs::is_directory(root)) return;
  for (const auto& entry : fs::directory_iterator(root)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with(kTmpPrefix) || name.starts_with(kDeletePrefix)) fs::remove_all(entry.path());
  }
  if (keep_last <= 0) return;
  auto all = list_checkpoints(run_dir);
  for (size_t i = 0; i + static_cast<size_t>(keep_last) < all.size(); ++i) {
    const fs::path doomed = root / step_name(kDeletePrefix, all[i].step);
    fs::rename(all[i].dir, doomed);  // atomically no longer a checkpoint
    fs::remove_all(doomed);
  }
  fsync_path(root, true);
}

}  // namespace grpo
