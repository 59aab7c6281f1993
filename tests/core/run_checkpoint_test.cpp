// A run's files: the from-scratch model (vocabulary, tokenizer, load_policy) and
// checkpoints (save, list, latest, prune).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>

#include "libgrpo/checkpoint.h"
#include "libgrpo/error.h"
#include "libgrpo/run.h"
#include "support/expect_error.h"

namespace {

using namespace grpo;
namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("libgrpo-run-test-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

ModelInitOptions small_init() {
  ModelInitOptions init;
  init.hidden_size = 16;
  init.intermediate_size = 32;
  init.num_hidden_layers = 1;
  init.num_attention_heads = 2;
  init.num_key_value_heads = 1;
  return init;
}

PromptTemplate plain() {
  PromptTemplate t;
  t.style = "plain";
  t.template_text = "Q: {prompt}\n";
  return t;
}

// ---------------------------------------------------------------- from-scratch model

TEST(RunModel, VocabularyIsTheSortedCharactersOfPromptsAnswersAndExtras) {
  std::vector<Example> examples = {{.id = "a", .prompt = "b+a", .answer = "12"}, {.id = "b", .prompt = "3*3", .answer = "9"}};
  // '\n' always; the template's "Q: " and "\n"; the prompts, the answers, the extras.
  EXPECT_EQ(vocabulary_characters(examples, plain(), "z~"), std::string("\n *+1239:Qabz~"));
  PromptTemplate bare;
  bare.style = "plain";
  EXPECT_EQ(vocabulary_characters({{.id = "x", .prompt = "cc", .answer = ""}}, bare, ""), std::string("\nc"));
}

TEST(RunModel, NonAsciiCharactersAreErrorsNamingTheExample) {
  EXPECT_ERROR(vocabulary_characters({{.id = "ok", .prompt = "1"}, {.id = "q7", .prompt = "caf\xc3\xa9"}}, plain(), ""),
               "example 'q7' has a non-ASCII character");
  EXPECT_ERROR(vocabulary_characters({{.id = "q8", .prompt = "1", .answer = "\xcf\x80"}}, plain(), ""),
               "the answer of example 'q8' has a non-ASCII character");
  EXPECT_ERROR(vocabulary_characters({{.id = "q9", .prompt = "1"}}, plain(), "\xc3\xa9"),
               "model.init.extra_characters has a non-ASCII character");
}

TEST(RunModel, InitialModelLoadsWithACharacterTokenizer) {
  TempDir tmp;
  const std::string chars = "\n !()*+-0123456789:<>=?ABQZ_abz{}~";
  const fs::path dir = tmp.path / "init";
  write_initial_model(small_init(), chars, 7, dir);
  EXPECT_FALSE(fs::exists(tmp.path / "init.tmp"));
  for (const char* name : {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                           "generation_config.json"})
    EXPECT_TRUE(fs::exists(dir / name)) << name;

  ModelOptions options;
  options.path = dir.string();
  Policy policy = load_policy(options);
  ASSERT_TRUE(policy.tokenizer);
  const Tokenizer& tok = *policy.tokenizer;
  const int64_t n = static_cast<int64_t>(chars.size());
  EXPECT_EQ(tok.vocab_size(), n + 1);
  EXPECT_EQ(policy.model->config().vocab_size, n + 1);
  EXPECT_EQ(policy.eos_token_ids, (std::vector<int64_t>{n}));
  EXPECT_EQ(policy.pad_token_id, n);
  EXPECT_EQ(tok.token_to_id("<|endoftext|>"), n);
  // Each character is its own token, its id its place in `chars`; decoding is exact.
  for (int64_t i = 0; i < n; ++i) {
    const std::string c = chars.substr(static_cast<size_t>(i), 1);
    EXPECT_EQ(tok.encode(c), (std::vector<int64_t>{i})) << "character " << static_cast<int>(chars[i]);
    EXPECT_EQ(tok.decode(std::vector<int64_t>{i}), c) << "character " << static_cast<int>(chars[i]);
  }
  std::vector<int64_t> all(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) all[static_cast<size_t>(i)] = i;
  EXPECT_EQ(tok.encode(chars), all);
  const std::string text = "Q: (12 + 3) * 4 = ?\nA: {z_b}  <~>\n";
  std::vector<int64_t> ids = tok.encode(text);
  EXPECT_EQ(ids.size(), text.size());
  EXPECT_EQ(tok.decode(ids), text);
  EXPECT_EQ(tok.decode(std::vector<int64_t>{1, n}, /*skip_special_tokens=*/true), " ");

  // The weights are the seeded ones: the same seed writes the same model, another seed another.
  write_initial_model(small_init(), chars, 7, tmp.path / "again");
  write_initial_model(small_init(), chars, 8, tmp.path / "other");
  CheckpointReader a = CheckpointReader::open(dir), b = CheckpointReader::open(tmp.path / "again"),
                   c = CheckpointReader::open(tmp.path / "other");
  bool differs = false;
  for (const std::string& name : a.names()) {
    EXPECT_TRUE(torch::equal(a.tensor(name), b.tensor(name))) << name;
    differs = differs || !torch::equal(a.tensor(name), c.tensor(name));
  }
  EXPECT_TRUE(differs);
  // Forward pass works over the whole vocabulary.
  torch::Tensor ids_all = torch::tensor(all).unsqueeze(0);
  torch::Tensor logits = policy.model->logits(policy.model->forward(ids_all, torch::ones_like(ids_all)));
  EXPECT_EQ(logits.size(-1), n + 1);
  EXPECT_TRUE(torch::isfinite(logits).all().item<bool>());
}

TEST(RunModel, LoadPolicyWithoutTokenizerIsAnError) {
  TempDir tmp;
  write_initial_model(small_init(), "ab", 1, tmp.path / "m");
  fs::remove(tmp.path / "m" / "tokenizer.json");
  ModelOptions options;
  EXPECT_ERROR(load_policy(options), "model.path is empty");
  EXPECT_ERROR(load_policy(options, tmp.path / "m"), "has no tokenizer.json; set model.tokenizer");
  EXPECT_ERROR(write_initial_model(small_init(), "", 1, tmp.path / "e"), "at least one character");
}

// ---------------------------------------------------------------- checkpoints

// Share of the completion's characters that are 'a'.
struct ShareOfA final : rewards::RewardFunction {
  std::string name() const override { return "accuracy"; }
  double score(const rewards::Sample& s) const override {
    if (s.completion.empty()) return 0.0;
    return static_cast<double>(std::count(s.completion.begin(), s.completion.end(), 'a')) /
           static_cast<double>(s.completion.size());
  }
};

struct TrainingRun {
  TempDir tmp;
  fs::path model_dir = tmp.path / "init";
  fs::path run_dir = tmp.path / "run";
  std::unique_ptr<Trainer> trainer;

  explicit TrainingRun(double beta = 0.04) {
    write_initial_model(small_init(), "ab+=\n", 5, model_dir);
    ModelOptions options;
    options.path = model_dir.string();
    TrainerOptions o;
    o.prompts_per_step = 2;
    o.group_size = 4;
    o.sampling.max_new_tokens = 4;
    o.optimizer.lr = 1e-2;
    o.loss.beta = beta;
    trainer = std::make_unique<Trainer>(load_policy(options), std::vector{rewards::weighted(std::make_shared<ShareOfA>())}, o);
  }
  void step() {
    std::vector<int64_t> ids = trainer->policy().tokenizer->encode("a+b=");
    trainer->step(std::vector<Prompt>{{.id = "x", .ids = ids}, {.id = "y", .ids = ids}});
  }
};

std::vector<int64_t> steps_of(const std::vector<CheckpointRef>& refs) {
  std::vector<int64_t> out;
  for (const CheckpointRef& r : refs) out.push_back(r.step);
  return out;
}

TEST(Checkpoints, SaveWritesACompleteModelDirectory) {
  TrainingRun run;
  run.step();
  const fs::path dir = save_checkpoint(run.run_dir, 1, *run.trainer, run.model_dir, R"({"epoch": 3})");
  EXPECT_EQ(dir, run.run_dir / "checkpoints" / "step-000001");
  for (const char* name : {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                           "trainer_state.json", "optimizer.pt", "data_state.json", "generation_config.json",
                           "reference/model.safetensors", "reference/config.json"})
    EXPECT_TRUE(fs::exists(dir / name)) << name;
  for (const auto& entry : fs::directory_iterator(run.run_dir / "checkpoints"))
    EXPECT_EQ(entry.path().filename(), "step-000001") << "leftover " << entry.path();
  // The tokenizer files are copies of the given directory's.
  EXPECT_EQ(read_file(dir / "tokenizer.json"), read_file(run.model_dir / "tokenizer.json"));
  EXPECT_EQ(read_file(dir / "tokenizer_config.json"), read_file(run.model_dir / "tokenizer_config.json"));
  EXPECT_EQ(read_file(dir / "data_state.json"), "{\"epoch\": 3}\n");
  auto generation = nlohmann::json::parse(read_file(dir / "generation_config.json"));
  EXPECT_EQ(generation.at("eos_token_id"), nlohmann::json::array({5}));
  EXPECT_EQ(generation.at("pad_token_id"), 5);
  auto state = nlohmann::json::parse(read_file(dir / "trainer_state.json"));
  EXPECT_EQ(state.at("step"), 1);
  EXPECT_EQ(state.at("has_reference"), true);

  // It loads back as a policy with the trained weights, tokenizer and stop token.
  Policy back = load_policy(ModelOptions{}, dir);
  ASSERT_TRUE(back.tokenizer);
  EXPECT_EQ(back.tokenizer->encode("a+b="), run.trainer->policy().tokenizer->encode("a+b="));
  EXPECT_EQ(back.eos_token_ids, run.trainer->policy().eos_token_ids);
  auto saved = back.model->parameters(), live = run.trainer->policy().model->parameters();
  ASSERT_EQ(saved.size(), live.size());
  for (size_t i = 0; i < saved.size(); ++i) EXPECT_TRUE(torch::equal(saved[i], live[i])) << i;

  // Saving the same step again replaces it whole.
  run.step();
  save_checkpoint(run.run_dir, 1, *run.trainer, run.model_dir, "{}");
  EXPECT_EQ(read_file(dir / "data_state.json"), "{}\n");
  EXPECT_EQ(nlohmann::json::parse(read_file(dir / "trainer_state.json")).at("step"), 2);
  EXPECT_EQ(steps_of(list_checkpoints(run.run_dir)), (std::vector<int64_t>{1}));
  for (const auto& entry : fs::directory_iterator(run.run_dir / "checkpoints"))
    EXPECT_EQ(entry.path().filename(), "step-000001") << "leftover " << entry.path();
}

TEST(Checkpoints, NoReferenceWithoutAKlTerm) {
  TrainingRun run(0.0);
  run.step();
  const fs::path dir = save_checkpoint(run.run_dir, 7, *run.trainer, run.model_dir, "{}");
  EXPECT_FALSE(fs::exists(dir / "reference"));
  EXPECT_EQ(nlohmann::json::parse(read_file(dir / "trainer_state.json")).at("has_reference"), false);
}

TEST(Checkpoints, ListingIgnoresLeftoversAndJunk) {
  TempDir tmp;
  EXPECT_TRUE(list_checkpoints(tmp.path).empty());
  EXPECT_FALSE(latest_checkpoint(tmp.path).has_value());
  const fs::path root = tmp.path / "checkpoints";
  for (const char* name : {"step-000010", "step-000003", "step-000120", ".tmp-step-000200", ".delete-step-000002",
                           "step-", "step-abc", "step-12x", "step--5", "step-+5", "steps-000300", "notes"})
    fs::create_directories(root / name);
  std::ofstream(root / "step-000500") << "a file, not a checkpoint";
  std::vector<CheckpointRef> all = list_checkpoints(tmp.path);
  EXPECT_EQ(steps_of(all), (std::vector<int64_t>{3, 10, 120}));
  EXPECT_EQ(all[1].dir, root / "step-000010");
  std::optional<CheckpointRef> latest = latest_checkpoint(tmp.path);
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->step, 120);
  fs::create_directories(root / "step-99");  // the highest by number, not by name
  EXPECT_EQ(latest_checkpoint(tmp.path)->step, 120);
  fs::create_directories(root / "step-1000");
  EXPECT_EQ(latest_checkpoint(tmp.path)->step, 1000);
}

TEST(Checkpoints, PruneKeepsTheNewestAndRemovesLeftovers) {
  TempDir tmp;
  const fs::path root = tmp.path / "checkpoints";
  for (int s = 1; s <= 5; ++s) {
    fs::create_directories(root / ("step-00000" + std::to_string(s)));
    std::ofstream(root / ("step-00000" + std::to_string(s)) / "model.safetensors") << s;
  }
  for (const char* name : {".tmp-step-000006", ".delete-step-000001", "notes"}) fs::create_directories(root / name);
  std::ofstream(root / ".tmp-step-000006" / "half") << "x";

  prune_checkpoints(tmp.path, 2);
  EXPECT_EQ(steps_of(list_checkpoints(tmp.path)), (std::vector<int64_t>{4, 5}));
  EXPECT_FALSE(fs::exists(root / ".tmp-step-000006"));
  EXPECT_FALSE(fs::exists(root / ".delete-step-000001"));
  for (int s = 1; s <= 3; ++s) EXPECT_FALSE(fs::exists(root / (".delete-step-00000" + std::to_string(s))));
  EXPECT_TRUE(fs::exists(root / "notes"));  // not ours: left alone
  EXPECT_EQ(read_file(root / "step-000005" / "model.safetensors"), "5");

  fs::create_directories(root / ".tmp-step-000009");
  prune_checkpoints(tmp.path, 0);  // keeps every checkpoint, still clears leftovers
  EXPECT_EQ(steps_of(list_checkpoints(tmp.path)), (std::vector<int64_t>{4, 5}));
  EXPECT_FALSE(fs::exists(root / ".tmp-step-000009"));
  prune_checkpoints(tmp.path, 5);  // fewer than keep_last: nothing goes
  EXPECT_EQ(steps_of(list_checkpoints(tmp.path)), (std::vector<int64_t>{4, 5}));
  prune_checkpoints(tmp.path, 1);
  EXPECT_EQ(steps_of(list_checkpoints(tmp.path)), (std::vector<int64_t>{5}));
  TempDir empty;
  prune_checkpoints(empty.path, 1);  // no checkpoints directory: nothing to do
  EXPECT_FALSE(fs::exists(empty.path / "checkpoints"));
}

}  // namespace
