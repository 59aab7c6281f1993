// Golden tests of the decoder against Hugging Face transformers: tiny random-weight
// checkpoints written by tests/golden/make_model_fixtures.py (run by ctest before these),
// loaded here and compared logit by logit.
#include <gtest/gtest.h>

#include <filesystem>

#include "libgrpo/checkpoint.h"
#include "libgrpo/error.h"
#include "libgrpo/model.h"
#include "support/gpu.h"

namespace fs = std::filesystem;
using namespace grpo;
using torch::Tensor;

namespace {

const fs::path kFixtures = LIBGRPO_MODEL_FIXTURES;
const std::vector<std::string> kCases = {"qwen2",     "qwen2_tied", "qwen3",        "qwen3_bias",
                                         "llama3",    "llama_yarn", "llama_linear", "qwen2_bf16"};

// Largest |a - b| over the positions where mask [B, T] is set; a, b: [B, T, V].
double masked_max_diff(const Tensor& a, const Tensor& b, const Tensor& mask) {
  return (a.to(torch::kFloat) - b.to(torch::kFloat)).index({mask.to(torch::kBool)}).abs().max().item<double>();
}

class ModelParity : public ::testing::TestWithParam<std::string> {
 protected:
  fs::path dir() const { return kFixtures / GetParam(); }
  safetensors::File expected() const { return safetensors::File::open(dir() / "expected.safetensors"); }
};

}  // namespace

TEST_P(ModelParity, LogitsMatchTransformersRightAndLeftPadded) {
  auto model = load_pretrained(dir(), {.dtype = torch::kFloat});
  auto want = expected();
  torch::NoGradGuard no_grad;
  for (std::string side : {"right", "left"}) {
    Tensor ids = want.tensor("input_ids_" + side), mask = want.tensor("mask_" + side);
    Tensor logits = model->logits(model->forward(ids, mask));
    ASSERT_EQ(logits.sizes(), want.tensor("logits_" + side).sizes());
    EXPECT_LT(masked_max_diff(logits, want.tensor("logits_" + side), mask), 1e-4) << side << "-padded";
  }
}

TEST_P(ModelParity, RotaryTablesMatchTransformers) {
  auto config = ModelConfig::load(dir() / "config.json");
  auto [inv_freq, scale] = rope_frequencies(config);
  auto want = expected();
  EXPECT_TRUE(torch::allclose(inv_freq, want.tensor("inv_freq"), 1e-6, 0)) << inv_freq << want.tensor("inv_freq");
  EXPECT_NEAR(scale, want.tensor("attention_scaling").item<double>(), 1e-12);
}

// Ragged prefill (one row gets no prompt at all), a reordering and duplication of the
// cache rows, then one token at a time: every logit must equal the full forward's.
TEST_P(ModelParity, IncrementalDecodingThroughTheCacheMatchesFullForward) {
  auto model = load_pretrained(dir(), {.dtype = torch::kFloat});
  auto want = expected();
  torch::NoGradGuard no_grad;
  Tensor ids = want.tensor("input_ids_right"), mask = want.tensor("mask_right");
  Tensor logits_full = want.tensor("logits_right");
  int64_t B = ids.size(0), T = ids.size(1);
  Tensor lengths = mask.sum(1);
  Tensor prefill = (lengths - 3).clamp_min(0);
  ASSERT_EQ(prefill.min().item<int64_t>(), 0) << "the cases should include an empty prefill";

  auto cache = KVCache::allocate(model->config(), B, T, torch::TensorOptions().dtype(torch::kFloat));
  int64_t P = prefill.max().item<int64_t>();
  Tensor hidden = model->forward(ids.narrow(1, 0, P), prefill, cache);
  Tensor logits = model->logits(hidden);
  Tensor prefill_mask = torch::arange(P).view({1, P}) < prefill.view({B, 1});
  EXPECT_LT(masked_max_diff(logits, logits_full.narrow(1, 0, P), prefill_mask), 1e-4);

  // Row r of the cache now continues original sequence rows[r].
  Tensor rows = torch::tensor({3, 2, 1, 0, 0}, torch::kLong);
  cache.select(rows);
  int64_t steps = 0;
  for (int64_t s = 0;; ++s) {
    Tensor pos = prefill.index_select(0, rows) + s;              // [B']
    Tensor active = pos < lengths.index_select(0, rows);         // [B']
    if (!active.any().item<bool>()) break;
    Tensor token = ids.index_select(0, rows).gather(1, pos.clamp_max(T - 1).view({-1, 1}));
    Tensor step = model->logits(model->forward(token, active.to(torch::kLong), cache)).squeeze(1);
    for (int64_t r = 0; r < rows.size(0); ++r) {
      if (!active[r].item<bool>()) continue;
      Tensor full = logits_full[rows[r].item<int64_t>()][pos[r].item<int64_t>()];
      EXPECT_LT((step[r] - full).abs().max().item<double>(), 1e-4) << "row " << r << " position " << pos[r].item<int64_t>();
      ++steps;
    }
  }
  EXPECT_TRUE(torch::equal(cache.lengths, lengths.index_select(0, rows)));
  EXPECT_GT(steps, 10);
}

INSTANTIATE_TEST_SUITE_P(Transformers, ModelParity, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return info.param; });

TEST(ModelBf16, NativeBfloat16MatchesTransformersBfloat16) {
  auto dir = kFixtures / "qwen2_bf16";
  auto model = load_pretrained(dir);  // the checkpoint's dtype
  EXPECT_EQ(model->output_weight().scalar_type(), torch::kBFloat16);
  auto want = safetensors::File::open(dir / "expected.safetensors");
  torch::NoGradGuard no_grad;
  Tensor ids = want.tensor("input_ids_right"), mask = want.tensor("mask_right");
  Tensor logits = model->logits(model->forward(ids, mask));
  ASSERT_EQ(logits.scalar_type(), torch::kBFloat16);
  Tensor ref = want.tensor("logits_right_native");
  double scale = ref.to(torch::kFloat).abs().max().item<double>();
  // bfloat16 keeps 8 bits of mantissa: allow a few ulps of the largest logit.
  EXPECT_LT(masked_max_diff(logits, ref, mask), 4 * scale / 256) << "max |logit| " << scale;
  // And the float32 reference is close too (the same weights, upcast).
  EXPECT_LT(masked_max_diff(logits, want.tensor("logits_right"), mask), 8 * scale / 256);
}

TEST(GpuModel, CudaMatchesTransformersAndTheCache) {
  GRPO_REQUIRE_CUDA();
  auto dir = kFixtures / "qwen3";
  auto model = load_pretrained(dir, {.dtype = torch::kFloat, .device = torch::kCUDA});
  auto want = safetensors::File::open(dir / "expected.safetensors");
  torch::NoGradGuard no_grad;
  Tensor ids = want.tensor("input_ids_left").cuda(), mask = want.tensor("mask_left").cuda();
  Tensor logits = model->logits(model->forward(ids, mask)).cpu();
  EXPECT_LT(masked_max_diff(logits, want.tensor("logits_left"), want.tensor("mask_left")), 1e-4);
  // Whole prompts through the cache, then the next position of each from one decode step.
  ids = want.tensor("input_ids_right").cuda();
  Tensor lengths = want.tensor("mask_right").sum(1).cuda();
  auto cache = KVCache::allocate(model->config(), ids.size(0), ids.size(1) + 1,
                                 torch::TensorOptions().dtype(torch::kFloat).device(torch::kCUDA));
  Tensor prefill = model->logits(model->forward(ids, lengths, cache)).cpu();
  EXPECT_LT(masked_max_diff(prefill, want.tensor("logits_right"), want.tensor("mask_right")), 1e-4);
  EXPECT_TRUE(torch::equal(cache.lengths, lengths));
}

TEST(ModelSave, SaveThenLoadGivesTheSameParameters) {
  auto model = load_pretrained(kFixtures / "qwen3");
  fs::path out = fs::temp_directory_path() / ("libgrpo_save_" + std::to_string(::getpid()));
  save_pretrained(model, out, {.max_shard_bytes = 30'000});
  EXPECT_TRUE(fs::exists(out / "model.safetensors.index.json"));
  EXPECT_FALSE(fs::exists(out / "model.safetensors"));
  auto again = load_pretrained(out);
  auto a = model->named_parameters(), b = again->named_parameters();
  ASSERT_EQ(a.size(), b.size());
  for (const auto& p : a) EXPECT_TRUE(torch::equal(p.value(), b[p.key()])) << p.key();
  // Saving again unsharded removes the shards, so no stale file shadows the new weights.
  save_pretrained(model, out);
  EXPECT_TRUE(fs::exists(out / "model.safetensors"));
  EXPECT_FALSE(fs::exists(out / "model.safetensors.index.json"));
  EXPECT_FALSE(fs::exists(out / "model-00001-of-00002.safetensors"));
  fs::remove_all(out);
}

// Not a test of its own: writes resaved*/ checkpoints next to each fixture for
// `make_model_fixtures.py --check-roundtrip`, which loads them with transformers (the
// ctest entry golden.model.roundtrip).
TEST(ModelResave, WriteCheckpointsForTransformers) {
  for (const auto& name : kCases) {
    auto model = load_pretrained(kFixtures / name, {.dtype = torch::kFloat});
    save_pretrained(model, kFixtures / name / "resaved");
    save_pretrained(model, kFixtures / name / "resaved_sharded", {.max_shard_bytes = 40'000});
    if (name == "qwen2_bf16")
      save_pretrained(model, kFixtures / name / "resaved_bf16", {.dtype = torch::kBFloat16});
  }
}
