// Rollout throughput: libgrpo's sample_groups, or a naive loop that re-runs the full
// forward over every sequence each step, on one (prompts, group, new tokens) point.
//
//   bench_rollout MODEL_DIR PROMPTS GROUP NEW_TOKENS [--engine libgrpo|naive]
//                 [--prompt-len 32] [--device cpu|cuda] [--repeats 2]
//
// Prints: engine prompts group new_tokens seconds tokens/s peak_MiB (process RSS on CPU,
// allocator peak on CUDA). bench/run_rollout_bench runs the grid against transformers.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "libgrpo/rollout.h"

#if __has_include(<c10/cuda/CUDACachingAllocator.h>)
#include <c10/cuda/CUDACachingAllocator.h>
#define BENCH_HAVE_CUDA 1
#endif

using torch::Tensor;

namespace {

struct Args {
  std::string model, engine = "libgrpo", device = "cpu";
  int64_t prompts = 8, group = 16, new_tokens = 64, prompt_len = 32, repeats = 2;
};

Args parse(int argc, char** argv) {
  Args a;
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s MODEL_DIR PROMPTS GROUP NEW_TOKENS [--engine libgrpo|naive] "
                         "[--prompt-len N] [--device cpu|cuda] [--repeats N]\n", argv[0]);
    std::exit(2);
  }
  a.model = argv[1];
  a.prompts = std::stoll(argv[2]);
  a.group = std::stoll(argv[3]);
  a.new_tokens = std::stoll(argv[4]);
  for (int i = 5; i + 1 < argc; i += 2) {
    std::string key = argv[i], value = argv[i + 1];
    if (key == "--engine") a.engine = value;
    else if (key == "--prompt-len") a.prompt_len = std::stoll(value);
    else if (key == "--device") a.device = value;
    else if (key == "--repeats") a.repeats = std::stoll(value);
    else { std::fprintf(stderr, "unknown option %s\n", key.c_str()); std::exit(2); }
  }
  return a;
}

// Every sequence re-run in full each step: what decoding costs without a KV cache.
void naive_generate(grpo::CausalLM& model, Tensor ids, int64_t new_tokens, const grpo::SamplingOptions& o,
                    at::Generator& gen) {
  torch::NoGradGuard no_grad;
  for (int64_t t = 0; t < new_tokens; ++t) {
    Tensor hidden = model->forward(ids, torch::ones_like(ids));
    Tensor logits = model->logits(hidden.select(1, -1));
    Tensor next = grpo::draw_tokens(grpo::process_logits(logits, {}, o), o, gen);
    ids = torch::cat({ids, next.view({-1, 1})}, 1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Args a = parse(argc, argv);
  torch::Device device(a.device);
  auto policy = grpo::Policy::load(a.model, {.device = device});
  int64_t vocab = policy.model->config().vocab_size;
  auto gen0 = at::make_generator<at::CPUGeneratorImpl>(0);
  Tensor ids = at::randint(0, vocab, {a.prompts, a.prompt_len}, gen0);  // the prompts the HF script uses
  std::vector<std::vector<int64_t>> prompts;
  for (int64_t b = 0; b < a.prompts; ++b) prompts.emplace_back(ids[b].data_ptr<int64_t>(), ids[b].data_ptr<int64_t>() + a.prompt_len);
  grpo::SamplingOptions o{.max_new_tokens = a.new_tokens, .temperature = 1.0, .seed = 0};
  o.eos_token_ids = {-1};  // no EOS: every completion runs to max_new_tokens, as in the baseline

  double best = 1e300;
  for (int64_t r = 0; r <= a.repeats; ++r) {  // the first run warms up
    if (device.is_cuda()) torch::cuda::synchronize();
    auto start = std::chrono::steady_clock::now();
    if (a.engine == "libgrpo") {
      auto batch = grpo::sample_groups(policy, prompts, a.group, o);
      if (batch.completion_ids.size(1) != a.new_tokens) { std::fprintf(stderr, "short completions\n"); return 1; }
    } else {
      at::Generator gen = grpo::make_generator(device, 0);
      naive_generate(policy.model, ids.repeat_interleave(a.group, 0).to(device), a.new_tokens, o, gen);
    }
    if (device.is_cuda()) torch::cuda::synchronize();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (r > 0) best = std::min(best, seconds);
  }
  double peak_mib = 0;
#ifdef BENCH_HAVE_CUDA
  if (device.is_cuda())
    peak_mib = double(c10::cuda::CUDACachingAllocator::getDeviceStats(device.index() < 0 ? 0 : device.index())
                          .allocated_bytes[0].peak) / (1 << 20);
#endif
  if (!device.is_cuda()) {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    peak_mib = double(usage.ru_maxrss) / 1024;
  }
  double tokens = double(a.prompts * a.group * a.new_tokens);
  std::printf("%s %lld %lld %lld %.3f %.1f %.0f\n", a.engine.c_str(), (long long)a.prompts, (long long)a.group,
              (long long)a.new_tokens, best, tokens / best, peak_mib);
  return 0;
}
