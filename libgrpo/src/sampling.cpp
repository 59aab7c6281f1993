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
  z = z / o.temperature;
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

Tensor draw_tokens(const Tensor& processed, const SamplingOptions& o, at::Generator& generator) {
  if (o.temperature == 0) return processed.argmax(1);
  Tensor p = processed.softmax(1);
  Tensor race = torch::empty_like(p).exponential_(1.0, generator);
  return (p / race).argmax(1);
}

at::Generator make_generator(torch::Device device, int64_t seed) {
  at::Generator gen = device.is_cuda() ? at::detail::getCUDAHooks().getNewGenerator(device.index())
                                       : at::make_generator<at::CPUGeneratorImpl>(seed);
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_current_seed(static_cast<uint64_t>(seed));
  return gen;
}

}  // namespace grpo
