#include "libgrpo/sampling.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/detail/CUDAHooksInterface.h>

#include <limits>

#include "libgrpo/error.h"

namespace grpo {

using torch::Tensor;

void describe(config::Visitor& v, SamplingOptions& o) {
  using config::Range;
  v.field("max_new_tokens", o.max_new_tokens, Range<int64_t>::at_least(1));
  v.field("temperature", o.temperature, Range<double>::at_least(0));
  v.field("top_p", o.top_p, Range<double>::closed(0, 1));
  v.field("top_k", o.top_k, Range<int64_t>::at_least(0));
  v.field("min_p", o.min_p, Range<double>::closed(0, 1));
  v.field("repetition_penalty", o.repetition_penalty, Range<double>::above(0));
  v.field("stop", o.stop);
  v.field("seed", o.seed, Range<int64_t>::at_least(0));
  v.field("max_cache_bytes", o.max_cache_bytes, Range<int64_t>::at_least(1));
}

Tensor process_logits(const Tensor& logits, const Tensor& history, const SamplingOptions& o) {
  GRPO_CHECK(logits.dim() == 2, "process_logits: logits [N, V] expected, got ", logits.sizes());
  const float neg_inf = -std::numeric_limits<float>::infinity();
  Tensor z = logits.to(torch::kFloat);
  if (o.repetition_penalty != 1.0 && history.defined() && history.numel() > 0) {
    z = z.clone();
    Tensor seen = z.gather(1, history);
    z.scatter_(1, history, torch::where(seen > 0, seen / o.repetition_penalty, seen * o.repetition_penalty));
  }
  if (o.temperature == 0) return z;  // greedy: the argmax is all that matters
  if (o.temperature != 1.0) z = z / o.temperature;
  int64_t V = z.size(1);
  if (o.top_k > 0 && o.top_k < V) {
    Tensor kth = std::get<0>(z.topk(o.top_k, 1)).narrow(1, o.top_k - 1, 1);  // [N, 1]
    z = z.masked_fill(z < kth, neg_inf);
  }
  if (o.top_p < 1.0) {
    // Sorted descending, a token goes when the tokens ranked above it already hold top_p.
    auto [sorted, order] = z.sort(1, /*descending=*/true);
    Tensor p = sorted.softmax(1);
    Tensor mass_above = p.cumsum(1) - p;
    Tensor drop_sorted = mass_above >= o.top_p;
    drop_sorted.narrow(1, 0, 1).fill_(false);  // the most likely token always stays
    z = z.masked_fill(torch::zeros_like(drop_sorted).scatter(1, order, drop_sorted), neg_inf);
  }
  if (o.min_p > 0.0) {
    Tensor p = z.softmax(1);
    Tensor floor = std::get<0>(p.max(1, /*keepdim=*/true)) * o.min_p;
    z = z.masked_fill(p < floor, neg_inf);
  }
  return z;
}

namespace {

// Largest power of two up to 256 dividing V (1 when V is odd).
int64_t block_size(int64_t V) {
  int64_t b = 256;
  while (V % b != 0) b /= 2;
  return b;
}

}  // namespace

Tensor SamplerWorkspace::rows(Tensor& buffer, int64_t n, int64_t V, const torch::TensorOptions& options) {
  if (!buffer.defined() || buffer.size(0) < n || buffer.size(1) != V || buffer.device() != options.device())
    buffer = torch::empty({n, V}, options);
  return buffer.narrow(0, 0, n);
}

Tensor token_logsoftmax(const Tensor& z, const Tensor& tokens, SamplerWorkspace* workspace) {
  // log p_t = z_t - m - log sum exp(z - m), m = max z: one [N, V] scratch pass.
  Tensor m = std::get<0>(z.max(1, /*keepdim=*/true));                                  // [N, 1]
  Tensor scratch = workspace ? SamplerWorkspace::rows(workspace->probs, z.size(0), z.size(1), z.options())
                             : torch::empty_like(z);
  at::sub_out(scratch, z, m).exp_();
  Tensor lse = scratch.sum(1).log() + m.squeeze(1);
  return z.gather(1, tokens.unsqueeze(1)).squeeze(1) - lse;
}

Tensor draw_tokens(const Tensor& processed, const SamplingOptions& o, at::Generator& generator,
                   SamplerWorkspace* workspace) {
  if (o.temperature == 0) return processed.argmax(1);
  // Inverse CDF with one uniform per row. torch's multinomial (and an exponential race)
  // draw one random number per vocabulary entry, which on small models costs more than
  // the forward pass. The CDF is two-level so it stays exact without a float64 pass over
  // [N, V]: pick a block of the vocabulary by its float64 mass, then a token inside it.
  int64_t N = processed.size(0), V = processed.size(1), B = block_size(V), nb = V / B;
  auto f64 = processed.options().dtype(torch::kDouble);
  Tensor probs = workspace ? SamplerWorkspace::rows(workspace->probs, N, V, processed.options().dtype(torch::kFloat))
                          : torch::empty({N, V}, processed.options().dtype(torch::kFloat));
  at::_softmax_out(probs, processed.to(torch::kFloat), 1, false);
  Tensor blocks = probs.view({N, nb, B});                                          // [N, nb, B]
  Tensor block_cdf = blocks.sum(2, false, torch::kDouble).cumsum(1);              // [N, nb]
  Tensor u = at::rand({N, 1}, generator, f64) * block_cdf.narrow(1, nb - 1, 1);   // [N, 1]
  // First block whose cumulative mass exceeds u; zero-mass blocks can never win.
  Tensor b = torch::searchsorted(block_cdf, u, false, /*right=*/true).clamp_max(nb - 1);  // [N, 1]
  Tensor before = torch::where(b > 0, block_cdf.gather(1, (b - 1).clamp_min(0)), torch::zeros({}, f64));
  Tensor mass = block_cdf.gather(1, b) - before;
  Tensor inside = blocks.gather(1, b.view({N, 1, 1}).expand({N, 1, B})).squeeze(1).cumsum(1, torch::kDouble);  // [N, B]
  // Rescale the remainder to the block's own running sum, so rounding cannot push it
  // past the last token with non-zero probability.
  Tensor rest = (u - before) / mass * inside.narrow(1, B - 1, 1);
  Tensor j = torch::searchsorted(inside, rest, false, /*right=*/true).clamp_max(B - 1);
  return (b * B + j).squeeze(1);
}

at::Generator make_generator(torch::Device device, int64_t seed) {
  at::Generator gen = device.is_cuda() ? at::detail::getCUDAHooks().getNewGenerator(device.index())
                                       : at::make_generator<at::CPUGeneratorImpl>(seed);
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_current_seed(static_cast<uint64_t>(seed));
  return gen;
}

}  // namespace grpo
