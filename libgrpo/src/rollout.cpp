#include "libgrpo/rollout.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <set>

#include "libgrpo/error.h"

namespace grpo {
namespace fs = std::filesystem;
using torch::Tensor;

const char* to_string(FinishReason reason) {
  switch (reason) {
    case FinishReason::eos: return "eos";
    case FinishReason::stop: return "stop";
    case FinishReason::length: return "length";
  }
  return "?";
}

namespace {

std::vector<int64_t> json_ids(const nlohmann::json& v) {
  if (v.is_number_integer()) return {v.get<int64_t>()};
  std::vector<int64_t> ids;
  if (v.is_array())
    for (const auto& id : v)
      if (id.is_number_integer()) ids.push_back(id.get<int64_t>());
  return ids;
}

// Watches one completion's decoded text for stop strings. Only matches that end in the
// newly decoded text count, so a string split across tokens is found exactly once.
class StopWatch {
 public:
  StopWatch(const Tokenizer& tokenizer, const std::vector<std::string>& stops)
      : decoder_(tokenizer, /*skip_special_tokens=*/true), stops_(stops) {
    for (const auto& s : stops_) longest_ = std::max(longest_, s.size());
  }
  bool push(int64_t id) {
    size_t before = text_.size();
    text_ += decoder_.push(id);
    size_t from = before + 1 > longest_ ? before + 1 - longest_ : 0;
    for (const auto& s : stops_)
      if (text_.find(s, from) != std::string::npos) return true;
    return false;
  }

 private:
  StreamDecoder decoder_;
  const std::vector<std::string>& stops_;
  std::string text_;
  size_t longest_ = 0;
};

// What sampling collects for one output row, on the host.
struct Completion {
  std::vector<int64_t> tokens;
  std::vector<float> logps;
  FinishReason reason = FinishReason::length;
};

struct WaveContext {
  Policy& policy;
  const std::vector<std::vector<int64_t>>& prompts;
  int64_t group_size;
  const SamplingOptions& options;
  std::set<int64_t> eos;
  int64_t capacity;
  torch::TensorOptions tensor_options;  // model dtype and device
  at::Generator& generator;
  std::vector<Completion>& out;
};

void check_request(const Policy& policy, const std::vector<std::vector<int64_t>>& prompts, int64_t G,
                   const SamplingOptions& o) {
  GRPO_CHECK(policy.model, "sample_groups: the policy has no model");
  GRPO_CHECK(!prompts.empty(), "sample_groups: no prompts");
  GRPO_CHECK(G >= 1, "sample_groups: group_size must be at least 1, got ", G);
  GRPO_CHECK(o.max_new_tokens >= 1, "sample_groups: max_new_tokens must be at least 1, got ", o.max_new_tokens);
  GRPO_CHECK(o.temperature >= 0, "sample_groups: temperature must be >= 0, got ", o.temperature);
  GRPO_CHECK(o.top_p > 0 && o.top_p <= 1, "sample_groups: top_p must lie in (0, 1], got ", o.top_p);
  GRPO_CHECK(o.top_k >= 0, "sample_groups: top_k must be >= 0, got ", o.top_k);
  GRPO_CHECK(o.min_p >= 0 && o.min_p <= 1, "sample_groups: min_p must lie in [0, 1], got ", o.min_p);
  GRPO_CHECK(o.repetition_penalty > 0, "sample_groups: repetition_penalty must be > 0, got ", o.repetition_penalty);
  GRPO_CHECK(o.stop.empty() || policy.tokenizer, "sample_groups: stop strings need the policy's tokenizer");
  for (const auto& s : o.stop) GRPO_CHECK(!s.empty(), "sample_groups: empty stop string");
  int64_t V = policy.model->config().vocab_size;
  for (size_t b = 0; b < prompts.size(); ++b) {
    GRPO_CHECK(!prompts[b].empty(), "sample_groups: prompt ", b, " is empty");
    for (int64_t id : prompts[b])
      GRPO_CHECK(id >= 0 && id < V, "sample_groups: prompt ", b, " has token id ", id, " outside [0, ", V, ")");
  }
}

// One wave in flight: the cache and last hidden states of the rows still decoding.
struct WaveState {
  KVCache cache;
  Tensor hidden;   // [n, H] last hidden state of each batch row, for the first draw
  Tensor history;  // [n, L] tokens seen, for the repetition penalty (undefined when off)
  std::vector<int64_t> row_out;                   // batch row -> output row
  std::vector<std::optional<StopWatch>> watches;  // batch row -> stop-string watcher
  std::vector<bool> done;                         // finished, not yet compacted away
  int64_t n_done = 0;
  int64_t size() const { return int64_t(row_out.size()); }
};

// Prefills prompts [begin, end) once each (right-padded [Bw, P]), then copies each
// prompt's cache and last hidden state to its G rows.
WaveState prefill_groups(WaveContext& w, size_t begin, size_t end) {
  const int64_t Bw = int64_t(end - begin), G = w.group_size;
  auto device = w.tensor_options.device();
  auto long_options = torch::TensorOptions().dtype(torch::kLong);
  int64_t P = 0;
  for (size_t b = begin; b < end; ++b) P = std::max<int64_t>(P, int64_t(w.prompts[b].size()));
  Tensor ids = torch::zeros({Bw, P}, long_options), lengths = torch::zeros({Bw}, long_options);
  for (int64_t b = 0; b < Bw; ++b) {
    const auto& prompt = w.prompts[begin + b];
    ids[b].narrow(0, 0, int64_t(prompt.size())).copy_(torch::tensor(prompt, long_options));
    lengths[b] = int64_t(prompt.size());
  }
  ids = ids.to(device);
  lengths = lengths.to(device);
  WaveState s{KVCache::allocate(w.policy.model->config(), Bw, w.capacity, w.tensor_options)};
  Tensor hidden = w.policy.model->forward(ids, lengths, s.cache);                   // [Bw, P, H]
  Tensor last = hidden.index({torch::arange(Bw, long_options.device(device)), lengths - 1});  // [Bw, H]
  Tensor group_rows = torch::arange(Bw, long_options.device(device)).repeat_interleave(G);    // [n]
  s.cache.select(group_rows);
  s.hidden = last.index_select(0, group_rows);                                      // [n, H]
  if (w.options.repetition_penalty != 1.0) {  // prompt tokens, padded by repeating the first
    Tensor in_prompt = torch::arange(P, long_options.device(device)).view({1, P}) < lengths.view({Bw, 1});
    s.history = torch::where(in_prompt, ids, ids.narrow(1, 0, 1)).index_select(0, group_rows);
  }
  for (int64_t r = 0; r < Bw * G; ++r) s.row_out.push_back(int64_t(begin) * G + r);
  s.watches.resize(s.row_out.size());
  if (!w.options.stop.empty())
    for (auto& watch : s.watches) watch.emplace(*w.policy.tokenizer, w.options.stop);
  s.done.assign(s.row_out.size(), false);
  return s;
}

// Appends step t's tokens [n] and log-probs [n] (host) to the live rows' completions and
// marks the rows that finish: EOS, then a stop string, then the length limit.
void record_step(WaveContext& w, WaveState& s, const Tensor& tokens, const Tensor& logps, int64_t t) {
  const int64_t* tok = tokens.data_ptr<int64_t>();
  const float* lp = logps.data_ptr<float>();
  for (int64_t r = 0; r < s.size(); ++r) {
    if (s.done[r]) continue;
    Completion& c = w.out[s.row_out[r]];
    c.tokens.push_back(tok[r]);
    c.logps.push_back(lp[r]);
    bool finished = true;
    if (w.eos.count(tok[r]))
      c.reason = FinishReason::eos;
    else if (s.watches[r] && s.watches[r]->push(tok[r]))
      c.reason = FinishReason::stop;
    else if (t + 1 == w.options.max_new_tokens)
      c.reason = FinishReason::length;
    else
      finished = false;
    if (finished) {
      s.done[r] = true;
      ++s.n_done;
    }
  }
}

// Drops finished rows from the cache and the bookkeeping (one copy of the live rows).
void compact(WaveState& s, Tensor& tokens) {
  std::vector<int64_t> keep;
  for (int64_t r = 0; r < s.size(); ++r)
    if (!s.done[r]) keep.push_back(r);
  Tensor index = torch::tensor(keep, torch::kLong).to(tokens.device());
  s.cache.select(index);
  tokens = tokens.index_select(0, index);
  if (s.history.defined()) s.history = s.history.index_select(0, index);
  std::vector<int64_t> row_out;
  std::vector<std::optional<StopWatch>> watches;
  for (int64_t r : keep) {
    row_out.push_back(s.row_out[r]);
    watches.push_back(std::move(s.watches[r]));
  }
  s.row_out = std::move(row_out);
  s.watches = std::move(watches);
  s.done.assign(s.row_out.size(), false);
  s.n_done = 0;
}

// Next-token logits of the live rows into rows [0, n) of `buffer`, float32, divided by
// the temperature: the buffer is reused every step (see SamplerWorkspace).
Tensor scaled_logits(CausalLM& model, const Tensor& hidden, Tensor& buffer, const SamplingOptions& o) {
  Tensor weight = model->output_weight();
  Tensor z = SamplerWorkspace::rows(buffer, hidden.size(0), weight.size(0), hidden.options().dtype(torch::kFloat));
  if (weight.scalar_type() == torch::kFloat)
    at::mm_out(z, hidden, weight.t());
  else
    z.copy_(at::mm(hidden, weight.t()));
  if (o.temperature > 0 && o.temperature != 1.0) z.div_(o.temperature);
  return z;
}

// Prefill, then one token per live row per step until every row has finished.
void run_wave(WaveContext& w, size_t begin, size_t end) {
  WaveState s = prefill_groups(w, begin, end);
  // The logits below are already divided by the temperature.
  SamplingOptions o = w.options;
  if (o.temperature > 0) o.temperature = 1.0;
  SamplerWorkspace workspace;
  Tensor logits_buffer;
  Tensor z = scaled_logits(w.policy.model, s.hidden, logits_buffer, w.options);      // [n, V]
  auto device = w.tensor_options.device();
  for (int64_t t = 0;; ++t) {
    Tensor tokens = draw_tokens(process_logits(z, s.history, o), o, w.generator, &workspace);  // [n]
    // The sampler's log-prob: log softmax(logits / T)[token], of the unprocessed logits.
    Tensor logps = token_logsoftmax(z, tokens, &workspace);                                   // [n]
    record_step(w, s, tokens.cpu(), logps.cpu(), t);
    if (s.n_done == s.size()) break;
    // Finished rows stop costing compute: once an eighth of the batch is done they are
    // dropped; until then they ride along with length 0.
    if (s.n_done * 8 >= s.size()) compact(s, tokens);
    std::vector<int64_t> step(s.size());
    for (int64_t r = 0; r < s.size(); ++r) step[r] = s.done[r] ? 0 : 1;
    Tensor step_lengths = torch::tensor(step, torch::kLong).to(device);
    Tensor hidden = w.policy.model->forward(tokens.view({s.size(), 1}), step_lengths, s.cache);
    z = scaled_logits(w.policy.model, hidden.select(1, 0), logits_buffer, w.options);      // [n, V]
    if (s.history.defined()) s.history = torch::cat({s.history, tokens.view({s.size(), 1})}, 1);
  }
}

RolloutBatch assemble(const Policy& policy, const std::vector<std::vector<int64_t>>& prompts, int64_t G,
                      std::vector<Completion>& out) {
  RolloutBatch batch;
  batch.group_size = G;
  int64_t N = int64_t(out.size()), P = 0, C = 0;
  for (const auto& p : prompts) P = std::max<int64_t>(P, int64_t(p.size()));
  for (const auto& c : out) C = std::max<int64_t>(C, int64_t(c.tokens.size()));
  auto long_options = torch::TensorOptions().dtype(torch::kLong);
  batch.prompt_ids = torch::full({N, P}, policy.pad_token_id, long_options);
  batch.prompt_mask = torch::zeros({N, P}, long_options);
  batch.completion_ids = torch::full({N, C}, policy.pad_token_id, long_options);
  batch.completion_mask = torch::zeros({N, C}, long_options);
  batch.sampler_logps = torch::zeros({N, C}, torch::kFloat);
  batch.completion_lengths = torch::zeros({N}, long_options);
  for (int64_t i = 0; i < N; ++i) {
    const auto& prompt = prompts[i / G];
    int64_t L = int64_t(prompt.size()), n = int64_t(out[i].tokens.size());
    batch.prompt_ids[i].narrow(0, P - L, L).copy_(torch::tensor(prompt, long_options));
    batch.prompt_mask[i].narrow(0, P - L, L).fill_(1);
    batch.completion_ids[i].narrow(0, 0, n).copy_(torch::tensor(out[i].tokens, long_options));
    batch.completion_mask[i].narrow(0, 0, n).fill_(1);
    batch.sampler_logps[i].narrow(0, 0, n).copy_(torch::tensor(out[i].logps, torch::kFloat));
    batch.completion_lengths[i] = n;
    batch.finish_reasons.push_back(out[i].reason);
  }
  return batch;
}

}  // namespace

Policy Policy::load(const fs::path& dir, const LoadOptions& options) {
  Policy policy;
  policy.model = load_pretrained(dir, options);
  if (fs::exists(dir / "tokenizer.json")) policy.tokenizer = Tokenizer::load(dir);
  const auto& config = policy.model->config();
  std::optional<int64_t> pad = config.pad_token_id;
  if (fs::exists(dir / "generation_config.json")) {
    nlohmann::json gen;
    try {
      gen = nlohmann::json::parse(std::ifstream(dir / "generation_config.json"));
    } catch (const nlohmann::json::exception& e) {
      GRPO_FAIL(dir / "generation_config.json", ": not valid JSON: ", e.what());
    }
    if (gen.contains("eos_token_id")) policy.eos_token_ids = json_ids(gen["eos_token_id"]);
    if (gen.contains("pad_token_id") && gen["pad_token_id"].is_number_integer()) pad = gen["pad_token_id"].get<int64_t>();
  }
  if (policy.eos_token_ids.empty()) policy.eos_token_ids = config.eos_token_ids;
  if (policy.eos_token_ids.empty() && policy.tokenizer && policy.tokenizer->eos_token_id())
    policy.eos_token_ids = {*policy.tokenizer->eos_token_id()};
  if (!pad && policy.tokenizer) pad = policy.tokenizer->pad_token_id();
  if (!pad && !policy.eos_token_ids.empty()) pad = policy.eos_token_ids.front();
  policy.pad_token_id = pad.value_or(0);
  return policy;
}

RolloutBatch sample_groups(Policy& policy, const std::vector<std::vector<int64_t>>& prompts, int64_t G,
                           const SamplingOptions& o) {
  check_request(policy, prompts, G, o);
  torch::NoGradGuard no_grad;
  CausalLM& model = policy.model;
  Tensor weight = model->output_weight();
  auto tensor_options = torch::TensorOptions().dtype(weight.scalar_type()).device(weight.device());

  // ---- plan the KV cache: a wave of prompts holds its prefill cache and the G-fold copy.
  int64_t longest = 0;
  for (const auto& p : prompts) longest = std::max<int64_t>(longest, int64_t(p.size()));
  int64_t capacity = longest + o.max_new_tokens;
  int64_t per_prompt = (G + 1) * KVCache::bytes_per_sequence(model->config(), capacity, weight.scalar_type());
  GRPO_CHECK(per_prompt <= o.max_cache_bytes, "sample_groups: one group of ", G, " sequences of up to ", capacity,
             " tokens (longest prompt ", longest, " + max_new_tokens ", o.max_new_tokens, ") needs ", per_prompt,
             " bytes of KV cache, over max_cache_bytes = ", o.max_cache_bytes,
             "; lower group_size or max_new_tokens, or raise max_cache_bytes");
  size_t per_wave = size_t(std::min<int64_t>(o.max_cache_bytes / per_prompt, int64_t(prompts.size())));

  std::set<int64_t> eos;
  for (int64_t id : o.eos_token_ids.empty() ? policy.eos_token_ids : o.eos_token_ids) eos.insert(id);
  at::Generator generator = make_generator(weight.device(), o.seed);
  std::vector<Completion> out(prompts.size() * size_t(G));
  WaveContext context{policy, prompts, G, o, eos, capacity, tensor_options, generator, out};
  int64_t waves = 0;
  for (size_t begin = 0; begin < prompts.size(); begin += per_wave, ++waves)
    run_wave(context, begin, std::min(prompts.size(), begin + per_wave));
  RolloutBatch batch = assemble(policy, prompts, G, out);
  batch.waves = waves;
  return batch;
}

}  // namespace grpo
