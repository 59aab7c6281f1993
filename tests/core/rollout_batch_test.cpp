// gather_groups(): a batch of groups picked from several rollout batches of different
// prompt widths P and completion widths C, checked row by row against the sources.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <vector>

#include "libgrpo/rollout.h"
#include "support/expect_error.h"

namespace {

using namespace grpo;

constexpr int64_t kPad = 99;

// A hand-made batch of G completions per prompt. prompt_lengths and completion_lengths
// have one entry per row; P and C are the longest of them, padding is kPad. Token values
// encode (tag, row, column) so that a row in the wrong place cannot pass for another.
RolloutBatch make_batch(int64_t tag, int64_t G, const std::vector<int64_t>& prompt_lengths,
                        const std::vector<int64_t>& completion_lengths) {
  const int64_t N = static_cast<int64_t>(prompt_lengths.size());
  const int64_t P = *std::max_element(prompt_lengths.begin(), prompt_lengths.end());
  const int64_t C = *std::max_element(completion_lengths.begin(), completion_lengths.end());
  RolloutBatch b;
  b.group_size = G;
  b.prompt_ids = torch::full({N, P}, kPad, torch::kLong);
  b.prompt_mask = torch::zeros({N, P}, torch::kLong);
  b.completion_ids = torch::full({N, C}, kPad, torch::kLong);
  b.completion_mask = torch::zeros({N, C}, torch::kLong);
  b.sampler_logps = torch::zeros({N, C}, torch::kFloat);
  b.completion_lengths = torch::tensor(completion_lengths, torch::kLong);
  b.waves = 1;
  const FinishReason reasons[] = {FinishReason::eos, FinishReason::stop, FinishReason::length};
  for (int64_t n = 0; n < N; ++n) {
    const int64_t p = prompt_lengths[static_cast<size_t>(n)], c = completion_lengths[static_cast<size_t>(n)];
    for (int64_t j = 0; j < p; ++j) {  // left-padded: the prompt ends at column P
      b.prompt_ids[n][P - p + j] = 1000 * tag + 10 * n + j;
      b.prompt_mask[n][P - p + j] = 1;
    }
    for (int64_t j = 0; j < c; ++j) {
      b.completion_ids[n][j] = 1000 * tag + 500 + 10 * n + j;
      b.completion_mask[n][j] = 1;
      b.sampler_logps[n][j] = -0.01f * static_cast<float>(100 * tag + 10 * n + j + 1);
    }
    b.finish_reasons.push_back(reasons[(tag + n) % 3]);
  }
  return b;
}

// The real prompt tokens of a row (mask 1), left to right.
std::vector<int64_t> real_tokens(const torch::Tensor& ids, const torch::Tensor& mask) {
  std::vector<int64_t> out;
  for (int64_t j = 0; j < ids.size(0); ++j)
    if (mask[j].item<int64_t>() == 1) out.push_back(ids[j].item<int64_t>());
  return out;
}

// Row `row` of `out` must be row `src_row` of `src`, re-padded to out's widths.
void expect_same_row(const RolloutBatch& out, int64_t row, const RolloutBatch& src, int64_t src_row) {
  SCOPED_TRACE("output row " + std::to_string(row) + " <- source row " + std::to_string(src_row));
  const int64_t P = out.prompt_ids.size(1), C = out.completion_ids.size(1);
  // Prompt: the same real tokens, right-aligned, pad id (mask 0) to their left.
  std::vector<int64_t> want = real_tokens(src.prompt_ids[src_row], src.prompt_mask[src_row]);
  const int64_t p = static_cast<int64_t>(want.size());
  ASSERT_LE(p, P);
  for (int64_t j = 0; j < P; ++j) {
    const bool real = j >= P - p;
    EXPECT_EQ(out.prompt_mask[row][j].item<int64_t>(), real ? 1 : 0) << "prompt column " << j;
    EXPECT_EQ(out.prompt_ids[row][j].item<int64_t>(), real ? want[static_cast<size_t>(j - (P - p))] : kPad)
        << "prompt column " << j;
  }
  // Completion: the same tokens, mask and log-probs from column 0, padding after.
  const int64_t c = src.completion_lengths[src_row].item<int64_t>();
  EXPECT_EQ(out.completion_lengths[row].item<int64_t>(), c);
  ASSERT_LE(c, C);
  for (int64_t j = 0; j < C; ++j) {
    const bool real = j < c;
    EXPECT_EQ(out.completion_ids[row][j].item<int64_t>(), real ? src.completion_ids[src_row][j].item<int64_t>() : kPad)
        << "completion column " << j;
    EXPECT_EQ(out.completion_mask[row][j].item<int64_t>(), real ? 1 : 0) << "completion column " << j;
    EXPECT_EQ(out.sampler_logps[row][j].item<float>(), real ? src.sampler_logps[src_row][j].item<float>() : 0.0f)
        << "completion column " << j;
  }
  EXPECT_EQ(out.finish_reasons[static_cast<size_t>(row)], src.finish_reasons[static_cast<size_t>(src_row)]);
}

TEST(GatherGroups, PicksRowsFromBatchesOfDifferentWidths) {
  // G = 2. a: B = 2, P = 3, C = 4; b: B = 3, P = 5, C = 2.
  RolloutBatch a = make_batch(1, 2, {3, 2, 1, 3}, {4, 1, 2, 3});
  RolloutBatch b = make_batch(2, 2, {5, 4, 2, 1, 3, 2}, {2, 1, 1, 2, 2, 2});
  RolloutBatch out = gather_groups({&a, &b}, {{1, 2}, {0, 0}, {1, 0}, {0, 1}}, kPad);

  EXPECT_EQ(out.group_size, 2);
  ASSERT_EQ(out.prompt_ids.sizes(), (std::vector<int64_t>{8, 5}));
  ASSERT_EQ(out.prompt_mask.sizes(), (std::vector<int64_t>{8, 5}));
  ASSERT_EQ(out.completion_ids.sizes(), (std::vector<int64_t>{8, 4}));
  ASSERT_EQ(out.completion_mask.sizes(), (std::vector<int64_t>{8, 4}));
  ASSERT_EQ(out.sampler_logps.sizes(), (std::vector<int64_t>{8, 4}));
  ASSERT_EQ(out.completion_lengths.sizes(), (std::vector<int64_t>{8}));
  ASSERT_EQ(out.finish_reasons.size(), 8u);
  EXPECT_EQ(out.prompt_ids.scalar_type(), torch::kLong);
  EXPECT_EQ(out.sampler_logps.scalar_type(), torch::kFloat);

  // Group k of the output is rows [2k, 2k + 2): (b, 2), (a, 0), (b, 0), (a, 1).
  const std::vector<std::pair<const RolloutBatch*, int64_t>> sources = {{&b, 4}, {&b, 5}, {&a, 0}, {&a, 1},
                                                                        {&b, 0}, {&b, 1}, {&a, 2}, {&a, 3}};
  for (int64_t row = 0; row < 8; ++row) expect_same_row(out, row, *sources[row].first, sources[row].second);
}

TEST(GatherGroups, TrimsWidthsToThePickedRows) {
  // a's C = 4 comes from group 0 alone, b's P = 5 from its group 0 alone.
  RolloutBatch a = make_batch(1, 2, {3, 2, 1, 3}, {4, 1, 2, 3});
  RolloutBatch b = make_batch(2, 2, {5, 4, 2, 1, 3, 2}, {2, 1, 1, 2, 2, 2});
  RolloutBatch out = gather_groups({&a, &b}, {{1, 2}, {0, 1}, {1, 1}}, kPad);
  // Longest picked prompt: 3 (a row 3, b row 4); longest picked completion: 3 (a row 3).
  ASSERT_EQ(out.prompt_ids.sizes(), (std::vector<int64_t>{6, 3}));
  ASSERT_EQ(out.prompt_mask.sizes(), (std::vector<int64_t>{6, 3}));
  ASSERT_EQ(out.completion_ids.sizes(), (std::vector<int64_t>{6, 3}));
  ASSERT_EQ(out.completion_mask.sizes(), (std::vector<int64_t>{6, 3}));
  ASSERT_EQ(out.sampler_logps.sizes(), (std::vector<int64_t>{6, 3}));
  const std::vector<std::pair<const RolloutBatch*, int64_t>> sources = {{&b, 4}, {&b, 5}, {&a, 2},
                                                                        {&a, 3}, {&b, 2}, {&b, 3}};
  for (int64_t row = 0; row < 6; ++row) expect_same_row(out, row, *sources[row].first, sources[row].second);
  // Every column of the result holds at least one real token.
  EXPECT_TRUE(out.prompt_mask.sum(0).gt(0).all().item<bool>());
  EXPECT_TRUE(out.completion_mask.sum(0).gt(0).all().item<bool>());
  EXPECT_TRUE(out.prompt_ids.is_contiguous() && out.completion_ids.is_contiguous());
}

TEST(GatherGroups, OneBatchInItsOwnOrderIsTheSameBatch) {
  RolloutBatch a = make_batch(3, 3, {2, 2, 2, 4, 4, 4}, {1, 5, 2, 3, 3, 3});
  RolloutBatch out = gather_groups({&a}, {{0, 0}, {0, 1}}, kPad);
  EXPECT_TRUE(torch::equal(out.prompt_ids, a.prompt_ids));
  EXPECT_TRUE(torch::equal(out.prompt_mask, a.prompt_mask));
  EXPECT_TRUE(torch::equal(out.completion_ids, a.completion_ids));
  EXPECT_TRUE(torch::equal(out.completion_mask, a.completion_mask));
  EXPECT_TRUE(torch::equal(out.sampler_logps, a.sampler_logps));
  EXPECT_TRUE(torch::equal(out.completion_lengths, a.completion_lengths));
  EXPECT_EQ(out.finish_reasons, a.finish_reasons);
}

TEST(GatherGroups, RejectsMismatchedGroupSizesAndBadReferences) {
  RolloutBatch a = make_batch(1, 2, {3, 2, 1, 3}, {4, 1, 2, 3});
  RolloutBatch three = make_batch(2, 3, {1, 1, 1}, {1, 1, 1});
  EXPECT_ERROR(gather_groups({&a, &three}, {{0, 0}}, kPad), "group sizes differ (3 vs 2)");
  EXPECT_ERROR(gather_groups({&a}, {{0, 2}}, kPad), "group 2 out of range [0, 2)");
  EXPECT_ERROR(gather_groups({&a}, {{0, -1}}, kPad), "group -1 out of range [0, 2)");
  EXPECT_ERROR(gather_groups({&a}, {{1, 0}}, kPad), "batch index 1 out of range");
  EXPECT_ERROR(gather_groups({&a}, {}, kPad), "at least one batch and one group");
  EXPECT_ERROR(gather_groups({}, {{0, 0}}, kPad), "at least one batch and one group");
}

}  // namespace
