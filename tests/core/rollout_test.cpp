// The group sampler: greedy decoding against a full-forward argmax loop, seeded
// reproducibility, the sampler's log-probs against the training path, the first-token
// distribution against softmax(logits / T) after filtering (chi-square), and stopping by
// EOS, stop string (split across tokens) and length.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "libgrpo/error.h"
#include "libgrpo/logprobs.h"
#include "libgrpo/rollout.h"
#include "support/gpu.h"

namespace fs = std::filesystem;
using namespace grpo;
using torch::Tensor;

namespace {

const fs::path kFixtures = LIBGRPO_MODEL_FIXTURES;

Policy fixture_policy(const std::string& name = "qwen2") {
  Policy policy;
  policy.model = load_pretrained(kFixtures / name, {.dtype = torch::kFloat});
  return policy;
}

std::vector<std::vector<int64_t>> some_prompts(int64_t count, int64_t vocab, uint64_t seed) {
  torch::manual_seed(seed);
  std::vector<std::vector<int64_t>> prompts;
  for (int64_t i = 0; i < count; ++i) {
    Tensor ids = torch::randint(0, vocab, {2 + (i * 5) % 9});
    prompts.emplace_back(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + ids.numel());
  }
  return prompts;
}

// Greedy continuation by re-running the whole sequence every step.
std::vector<int64_t> naive_greedy(CausalLM& model, std::vector<int64_t> ids, int64_t steps,
                                  const std::set<int64_t>& eos = {}) {
  torch::NoGradGuard no_grad;
  std::vector<int64_t> out;
  for (int64_t s = 0; s < steps; ++s) {
    Tensor input = torch::tensor(ids).view({1, -1});
    Tensor hidden = model->forward(input, torch::ones_like(input));
    int64_t next = model->logits(hidden.select(1, -1)).argmax(-1).item<int64_t>();
    out.push_back(next);
    ids.push_back(next);
    if (eos.count(next)) break;
  }
  return out;
}

std::vector<int64_t> row_tokens(const RolloutBatch& batch, int64_t row) {
  int64_t n = batch.completion_lengths[row].item<int64_t>();
  Tensor ids = batch.completion_ids[row].narrow(0, 0, n).contiguous();
  return {ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + n};
}

}  // namespace

TEST(Rollout, GreedyEqualsFullForwardArgmaxAndFinishedRowsLeave) {
  Policy policy = fixture_policy("qwen3");
  auto prompts = some_prompts(5, 320, 0);
  const int64_t steps = 12;
  // An EOS id that some greedy continuations hit and others do not, so rows finish at
  // different steps and the batch compacts.
  auto first = naive_greedy(policy.model, prompts[0], steps);
  std::set<int64_t> eos = {first[4]};
  auto batch = sample_groups(policy, prompts, 3,
                             {.max_new_tokens = steps, .temperature = 0, .eos_token_ids = {first[4]}});
  ASSERT_EQ(batch.completion_ids.size(0), 15);
  bool some_eos = false, some_length = false;
  for (int64_t b = 0; b < 5; ++b) {
    auto want = naive_greedy(policy.model, prompts[b], steps, eos);
    for (int64_t g = 0; g < 3; ++g) {
      int64_t row = b * 3 + g;
      EXPECT_EQ(row_tokens(batch, row), want) << "prompt " << b << " sample " << g;
      FinishReason reason = batch.finish_reasons[row];
      EXPECT_EQ(reason, eos.count(want.back()) ? FinishReason::eos : FinishReason::length);
      some_eos |= reason == FinishReason::eos;
      some_length |= reason == FinishReason::length;
    }
  }
  EXPECT_TRUE(some_eos && some_length) << "the case should mix early and full-length rows";
  // Masks and padding agree with the lengths.
  EXPECT_TRUE(torch::equal(batch.completion_mask.sum(1), batch.completion_lengths));
  EXPECT_TRUE(torch::equal(batch.prompt_mask.sum(1).view({5, 3}).select(1, 0),
                           torch::tensor({2, 7, 3, 8, 4}, torch::kLong)));
}

TEST(Rollout, SeededSamplingReproducesAndSeedsDiffer) {
  Policy policy = fixture_policy();
  auto prompts = some_prompts(3, 320, 1);
  SamplingOptions o{.max_new_tokens = 10, .temperature = 1.0, .top_p = 0.95, .top_k = 100, .seed = 7};
  auto a = sample_groups(policy, prompts, 4, o);
  auto b = sample_groups(policy, prompts, 4, o);
  EXPECT_TRUE(torch::equal(a.completion_ids, b.completion_ids));
  EXPECT_TRUE(torch::equal(a.sampler_logps, b.sampler_logps));
  o.seed = 8;
  auto c = sample_groups(policy, prompts, 4, o);
  EXPECT_FALSE(torch::equal(a.completion_ids, c.completion_ids));
  // Samples within a group differ (the point of a group).
  EXPECT_FALSE(torch::equal(a.completion_ids[0], a.completion_ids[1]));
}

TEST(Rollout, SamplerLogprobsEqualTheTrainingPath) {
  Policy policy = fixture_policy("llama3");
  auto prompts = some_prompts(4, 320, 2);
  for (double temperature : {1.0, 0.7}) {
    auto batch = sample_groups(policy, prompts, 3,
                               {.max_new_tokens = 9, .temperature = temperature, .top_k = 20, .min_p = 0.01,
                                .repetition_penalty = 1.3, .seed = 3});
    Tensor ids = torch::cat({batch.prompt_ids, batch.completion_ids}, 1);
    Tensor mask = torch::cat({batch.prompt_mask, batch.completion_mask}, 1);
    int64_t C = batch.completion_ids.size(1);
    torch::NoGradGuard no_grad;
    auto recomputed = completion_logprobs(policy.model, ids, mask, C, {.temperature = temperature});
    Tensor m = batch.completion_mask.to(torch::kBool);
    double diff = (recomputed.logps - batch.sampler_logps).index({m}).abs().max().item<double>();
    EXPECT_LT(diff, 1e-4) << "temperature " << temperature;
  }
}

// Over many samples of one prompt's first token, frequencies must follow the processed
// distribution; Pearson's chi-square against its 0.1% critical value.
TEST(Rollout, FirstTokenFrequenciesMatchFilteredSoftmax) {
  Policy policy = fixture_policy();
  std::vector<std::vector<int64_t>> prompt = {{5, 17, 99, 3}};
  for (SamplingOptions o : {SamplingOptions{.temperature = 0.8, .top_p = 0.9, .top_k = 40},
                            SamplingOptions{.temperature = 1.3, .min_p = 0.05},
                            SamplingOptions{.temperature = 1.0}}) {
    o.max_new_tokens = 1;
    o.seed = 11;
    const int64_t samples = 20000;
    auto batch = sample_groups(policy, prompt, samples, o);
    Tensor counts = torch::bincount(batch.completion_ids.select(1, 0), {}, 320).to(torch::kDouble);

    torch::NoGradGuard no_grad;
    Tensor ids = torch::tensor(prompt[0]).view({1, -1});
    Tensor logits = policy.model->logits(policy.model->forward(ids, torch::ones_like(ids)).select(1, -1));
    Tensor p = process_logits(logits, {}, o).softmax(-1)[0].to(torch::kDouble);
    Tensor kept = p > 0;
    EXPECT_EQ(counts.index({~kept}).sum().item<double>(), 0) << "a filtered-out token was drawn";
    Tensor expected = p.index({kept}) * samples;
    double chi2 = ((counts.index({kept}) - expected).pow(2) / expected).sum().item<double>();
    double df = kept.sum().item<double>() - 1;
    // Wilson-Hilferty: chi2_df quantile at 0.999 (z = 3.09).
    double critical = df * std::pow(1 - 2 / (9 * df) + 3.09 * std::sqrt(2 / (9 * df)), 3);
    EXPECT_LT(chi2, critical) << "df " << df;
    EXPECT_GT(df, 5) << "the filter should leave a real distribution";
  }
}

TEST(Rollout, LengthIsFlaggedAndWavesGiveTheSameResult) {
  Policy policy = fixture_policy();
  auto prompts = some_prompts(6, 320, 4);
  SamplingOptions o{.max_new_tokens = 5, .temperature = 0};
  auto one = sample_groups(policy, prompts, 2, o);
  EXPECT_EQ(one.waves, 1);
  for (auto reason : one.finish_reasons) EXPECT_EQ(reason, FinishReason::length);
  EXPECT_TRUE((one.completion_lengths == 5).all().item<bool>());
  size_t longest = 0;
  for (const auto& p : prompts) longest = std::max(longest, p.size());
  int64_t per_prompt = 3 * KVCache::bytes_per_sequence(policy.model->config(), int64_t(longest) + 5, torch::kFloat);
  o.max_cache_bytes = 2 * per_prompt + 1;
  auto waves = sample_groups(policy, prompts, 2, o);
  EXPECT_EQ(waves.waves, 3);
  EXPECT_TRUE(torch::equal(one.completion_ids, waves.completion_ids));
  o.max_cache_bytes = per_prompt - 1;
  try {
    sample_groups(policy, prompts, 2, o);
    ADD_FAILURE() << "a group larger than the budget was accepted";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("over max_cache_bytes"), std::string::npos) << e.message();
  }
}

TEST(Rollout, BadRequests) {
  Policy policy = fixture_policy();
  EXPECT_THROW(sample_groups(policy, {}, 2), Error);
  EXPECT_THROW(sample_groups(policy, {{}}, 2), Error);
  EXPECT_THROW(sample_groups(policy, {{1, 320}}, 2), Error);
  EXPECT_THROW(sample_groups(policy, {{1}}, 0), Error);
  EXPECT_THROW(sample_groups(policy, {{1}}, 2, {.top_p = 0}), Error);
  EXPECT_THROW(sample_groups(policy, {{1}}, 2, {.stop = {"x"}}), Error);  // no tokenizer
}

TEST(GpuRollout, CudaGreedyEqualsCpuAndLogprobsMatchTheTrainingPath) {
  GRPO_REQUIRE_CUDA();
  Policy cpu = fixture_policy("qwen3");
  Policy gpu;
  gpu.model = load_pretrained(kFixtures / "qwen3", {.dtype = torch::kFloat, .device = torch::kCUDA});
  auto prompts = some_prompts(4, 320, 5);
  SamplingOptions greedy{.max_new_tokens = 10, .temperature = 0};
  auto a = sample_groups(cpu, prompts, 2, greedy), b = sample_groups(gpu, prompts, 2, greedy);
  EXPECT_TRUE(torch::equal(a.completion_ids, b.completion_ids));
  auto sampled = sample_groups(gpu, prompts, 4, {.max_new_tokens = 10, .temperature = 0.9, .top_p = 0.9, .seed = 1});
  EXPECT_TRUE(torch::equal(sampled.completion_ids,
                           sample_groups(gpu, prompts, 4, {.max_new_tokens = 10, .temperature = 0.9, .top_p = 0.9, .seed = 1})
                               .completion_ids));
  torch::NoGradGuard no_grad;
  Tensor ids = torch::cat({sampled.prompt_ids, sampled.completion_ids}, 1).cuda();
  Tensor mask = torch::cat({sampled.prompt_mask, sampled.completion_mask}, 1).cuda();
  auto recomputed = completion_logprobs(gpu.model, ids, mask, sampled.completion_ids.size(1), {.temperature = 0.9});
  Tensor m = sampled.completion_mask.to(torch::kBool);
  EXPECT_LT((recomputed.logps.cpu() - sampled.sampler_logps).index({m}).abs().max().item<double>(), 1e-4);
}

// A random model over the real Qwen3 vocabulary, so completions decode to text.
Policy qwen3_vocab_policy() {
  Policy policy;
  policy.tokenizer = Tokenizer::load(fs::path(LIBGRPO_TEST_DATA) / "tokenizers" / "qwen3");
  auto config = ModelConfig::from_json(
      R"({"model_type": "qwen2", "vocab_size": )" + std::to_string(policy.tokenizer->vocab_size()) +
      R"(, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 2,
          "num_key_value_heads": 1, "tie_word_embeddings": true})");
  policy.model = CausalLM(config);
  policy.model->init_weights(1.0, 7);  // large weights: peaked, varied next-token choices
  return policy;
}

bool printable_ascii(const std::string& text) {
  return text.size() >= 2 && std::all_of(text.begin(), text.end(), [](char c) { return c > ' ' && c < 127; });
}

TEST(RolloutStop, StopStringSplitAcrossTokensEndsTheCompletionThere) {
  Policy policy = qwen3_vocab_policy();
  const Tokenizer& tok = *policy.tokenizer;
  SamplingOptions o{.max_new_tokens = 40, .temperature = 1.0, .eos_token_ids = {-1}, .seed = 5};
  std::vector<std::vector<int64_t>> prompt = {tok.encode("The answer is")};
  auto free_run = sample_groups(policy, prompt, 4, o);
  // Find adjacent tokens (k, k + 1) of some row that each decode to 2+ printable ASCII
  // characters; the stop string straddles them: the end of one and the start of the next.
  std::string stop;
  int64_t row = -1, k = -1;
  for (int64_t r = 0; r < 4 && row < 0; ++r) {
    auto ids = row_tokens(free_run, r);
    for (size_t i = 0; i + 1 < ids.size() && row < 0; ++i) {
      std::string a = tok.decode(std::vector<int64_t>{ids[i]}), b = tok.decode(std::vector<int64_t>{ids[i + 1]});
      if (!printable_ascii(a) || !printable_ascii(b)) continue;
      std::string candidate = a.substr(a.size() - 2) + b.substr(0, 2);
      std::vector<int64_t> before(ids.begin(), ids.begin() + int64_t(i) + 1);
      bool elsewhere = tok.decode(before).find(candidate) != std::string::npos;
      for (int64_t other = 0; other < 4; ++other)
        if (other != r) elsewhere |= tok.decode(row_tokens(free_run, other)).find(candidate) != std::string::npos;
      if (elsewhere) continue;
      stop = candidate, row = r, k = int64_t(i);
    }
  }
  ASSERT_GE(row, 0) << "no suitable token pair in the free run";
  o.stop = {"never-appears", stop};
  auto stopped = sample_groups(policy, prompt, 4, o);
  auto ids = row_tokens(stopped, row), free_ids = row_tokens(free_run, row);
  ASSERT_EQ(int64_t(ids.size()), k + 2) << "stop '" << stop << "' should end the completion at token " << k + 1;
  EXPECT_TRUE(std::equal(ids.begin(), ids.end(), free_ids.begin()));
  EXPECT_EQ(stopped.finish_reasons[row], FinishReason::stop);
  EXPECT_NE(tok.decode(ids).find(stop), std::string::npos);
  for (int64_t r = 0; r < 4; ++r)
    if (r != row) EXPECT_EQ(stopped.finish_reasons[r], FinishReason::length) << "row " << r;
}

TEST(PolicyLoad, EosAndPadComeFromGenerationConfigThenConfig) {
  fs::path dir = fs::temp_directory_path() / ("libgrpo_policy_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  for (const char* name : {"config.json", "model.safetensors"}) fs::copy_file(kFixtures / "llama3" / name, dir / name,
                                                                             fs::copy_options::overwrite_existing);
  Policy from_config = Policy::load(dir);
  EXPECT_EQ(from_config.eos_token_ids, std::vector<int64_t>{2});  // LlamaConfig's default eos
  EXPECT_EQ(from_config.pad_token_id, 2);                        // no pad anywhere: the EOS
  EXPECT_FALSE(from_config.tokenizer.has_value());
  std::ofstream(dir / "generation_config.json") << R"({"eos_token_id": [5, 7], "pad_token_id": 3})";
  Policy from_generation = Policy::load(dir);
  EXPECT_EQ(from_generation.eos_token_ids, (std::vector<int64_t>{5, 7}));
  EXPECT_EQ(from_generation.pad_token_id, 3);
  std::ofstream(dir / "generation_config.json") << "{broken";
  EXPECT_THROW(Policy::load(dir), Error);
  fs::remove_all(dir);
}

TEST(SamplingProcessors, MatchTheirDefinitions) {
  // p = [0.5, 0.3, 0.15, 0.05]
  Tensor logits = torch::tensor({0.5, 0.3, 0.15, 0.05}).log().view({1, 4});
  auto kept = [&](SamplingOptions o) { return (process_logits(logits, {}, o) > -INFINITY).to(torch::kLong)[0]; };
  EXPECT_TRUE(torch::equal(kept({.top_p = 0.8}), torch::tensor({1, 1, 0, 0})));
  EXPECT_TRUE(torch::equal(kept({.top_p = 0.81}), torch::tensor({1, 1, 1, 0})));
  EXPECT_TRUE(torch::equal(kept({.top_p = 0.1}), torch::tensor({1, 0, 0, 0})));
  EXPECT_TRUE(torch::equal(kept({.top_k = 3}), torch::tensor({1, 1, 1, 0})));
  EXPECT_TRUE(torch::equal(kept({.min_p = 0.35}), torch::tensor({1, 1, 0, 0})));
  Tensor z = process_logits(torch::tensor({{2.0, -2.0, 1.0}}), torch::tensor({{0, 1, 1}}),
                            {.temperature = 0.5, .repetition_penalty = 2.0});
  EXPECT_TRUE(torch::allclose(z, torch::tensor({{2.0, -8.0, 2.0}})));  // (2/2, -2*2, 1) / 0.5
}
