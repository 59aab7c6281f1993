// Chunked log-probs and entropies against the obvious full-logits computation, values
// and gradients, for chunk sizes that do and do not divide the rows.
#include <gtest/gtest.h>

#include <filesystem>

#include "libgrpo/checkpoint.h"
#include "libgrpo/error.h"
#include "libgrpo/logprobs.h"

using namespace grpo;
using torch::Tensor;

namespace {

struct Reference {
  Tensor logps, entropies;
};

// The [N, V] way: log_softmax over all logits at once, in float64.
Reference reference(const Tensor& h, const Tensor& w, const Tensor& targets, double temperature) {
  Tensor z = at::linear(h.to(torch::kDouble), w.to(torch::kDouble)) / temperature;
  Tensor logp = z.log_softmax(-1);
  return {logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1), -(logp.exp() * logp).sum(-1)};
}

}  // namespace

TEST(TokenLogprobs, ValuesAndGradientsMatchFullLogits) {
  torch::manual_seed(0);
  const int64_t N = 13, H = 16, V = 50;
  for (int64_t rows : {1, 4, 13, 100}) {
    for (double temperature : {1.0, 0.7}) {
      Tensor h = torch::randn({N, H}, torch::kDouble).requires_grad_();
      Tensor w = torch::randn({V, H}, torch::kDouble).requires_grad_();
      Tensor targets = torch::randint(0, V, {N});
      Tensor g_logp = torch::randn({N}), g_ent = torch::randn({N});

      auto got = token_logprobs(h, w, targets, {.temperature = temperature, .chunk_bytes = rows * 4 * V});
      ((got.logps * g_logp).sum() + (got.entropies * g_ent).sum()).backward();
      Tensor gh = h.grad().clone(), gw = w.grad().clone();
      h.mutable_grad().zero_();
      w.mutable_grad().zero_();

      auto want = reference(h, w, targets, temperature);
      ((want.logps * g_logp).sum() + (want.entropies * g_ent).sum()).backward();
      SCOPED_TRACE("rows per chunk " + std::to_string(rows) + ", temperature " + std::to_string(temperature));
      ASSERT_EQ(got.logps.scalar_type(), torch::kDouble);
      EXPECT_TRUE(torch::allclose(got.logps, want.logps, 1e-10, 1e-10));
      EXPECT_TRUE(torch::allclose(got.entropies, want.entropies, 1e-10, 1e-10));
      EXPECT_TRUE(torch::allclose(gh, h.grad(), 1e-10, 1e-10)) << (gh - h.grad()).abs().max();
      EXPECT_TRUE(torch::allclose(gw, w.grad(), 1e-10, 1e-10)) << (gw - w.grad()).abs().max();
    }
  }
}

TEST(TokenLogprobs, LogprobGradientAloneAndFrozenWeight) {
  torch::manual_seed(1);
  Tensor h = torch::randn({2, 5, 8}).requires_grad_();  // [B, T, H]: any leading shape
  Tensor w = torch::randn({30, 8});                    // frozen (a reference model)
  Tensor targets = torch::randint(0, 30, {2, 5});
  auto got = token_logprobs(h, w, targets, {.chunk_bytes = 3 * 4 * 30, .with_entropy = false});
  EXPECT_FALSE(got.entropies.defined());
  EXPECT_EQ(got.logps.sizes(), targets.sizes());
  got.logps.sum().backward();
  Tensor gh = h.grad().clone();
  h.mutable_grad().zero_();
  Tensor z = at::linear(h, w).log_softmax(-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1);
  z.sum().backward();
  EXPECT_TRUE(torch::allclose(gh, h.grad(), 1e-4, 1e-5));
}

TEST(TokenLogprobs, Bfloat16InputsComputeInFloat32) {
  torch::manual_seed(2);
  Tensor h = torch::randn({6, 16}).to(torch::kBFloat16), w = torch::randn({40, 16}).to(torch::kBFloat16);
  Tensor targets = torch::randint(0, 40, {6});
  auto got = token_logprobs(h, w, targets);
  EXPECT_EQ(got.logps.scalar_type(), torch::kFloat);
  Tensor z = at::linear(h, w).to(torch::kFloat).log_softmax(-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1);
  EXPECT_TRUE(torch::allclose(got.logps, z, 1e-5, 1e-5));
}

TEST(TokenLogprobs, BadInput) {
  Tensor h = torch::randn({3, 4}), w = torch::randn({10, 4});
  EXPECT_THROW(token_logprobs(h, w, torch::tensor({0, 10, 1})), Error);
  EXPECT_THROW(token_logprobs(h, w, torch::tensor({0, -1, 1})), Error);
  EXPECT_THROW(token_logprobs(h, torch::randn({10, 5}), torch::tensor({0, 1, 2})), Error);
  EXPECT_THROW(token_logprobs(h, w, torch::tensor({0, 1})), Error);
  EXPECT_THROW(token_logprobs(h, w, torch::tensor({0, 1, 2}), {.temperature = 0}), Error);
}

TEST(CompletionLogprobs, ScoresTheLastTokensOfAModel) {
  auto model = load_pretrained(std::filesystem::path(LIBGRPO_MODEL_FIXTURES) / "qwen2");
  torch::manual_seed(3);
  Tensor ids = torch::randint(0, 320, {3, 9});
  Tensor mask = torch::ones({3, 9}, torch::kLong);
  mask[2].narrow(0, 0, 4).zero_();  // a left-padded prompt
  const int64_t C = 4;
  auto got = completion_logprobs(model, ids, mask, C, {.temperature = 0.9});
  // Full logits, shifted by one, in double.
  Tensor logits = model->logits(model->forward(ids, mask)).to(torch::kDouble) / 0.9;
  Tensor logp = logits.narrow(1, 9 - C - 1, C).log_softmax(-1);
  Tensor want = logp.gather(-1, ids.narrow(1, 9 - C, C).unsqueeze(-1)).squeeze(-1);
  EXPECT_TRUE(torch::allclose(got.logps.to(torch::kDouble), want, 1e-5, 1e-5));
  // Gradients reach the weights, through the tied-or-not head and the decoder.
  got.logps.sum().backward();
  for (const auto& p : model->named_parameters())
    ASSERT_TRUE(p.value().grad().defined() && p.value().grad().abs().sum().item<double>() > 0) << p.key();
  EXPECT_THROW(completion_logprobs(model, ids, mask, 9), Error);
}
