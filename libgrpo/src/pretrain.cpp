// `grpo pretrain`: corpus -> tokenizer -> random model -> next-token training -> model/.
#include "libgrpo/pretrain.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <numeric>
#include <random>
#include <set>

#include "libgrpo/bpe_trainer.h"
#include "libgrpo/checkpoint.h"
#include "libgrpo/error.h"
#include "libgrpo/metrics_log.h"
#include "libgrpo/run.h"
#include "libgrpo/tokenizer.h"

namespace grpo {

namespace fs = std::filesystem;

void describe(config::Visitor& v, PretrainRunOptions& o) {
  using config::Range;
  v.field("seed", o.seed, Range<int64_t>::at_least(0));
  v.field("output_dir", o.output_dir);
  v.field("steps", o.steps, Range<int64_t>::at_least(1));
  v.field("log_every", o.log_every, Range<int64_t>::at_least(1));
  v.field("eval_every", o.eval_every, Range<int64_t>::at_least(0));
  v.field("save_every", o.save_every, Range<int64_t>::at_least(0));
  v.field("threads", o.threads, Range<int64_t>::at_least(0));
}

void describe(config::Visitor& v, CorpusTokenizerOptions& o) {
  v.choice("type", o.type, {"bpe", "characters"});
  v.field("vocab_size", o.vocab_size, config::Range<int64_t>::at_least(1));
}

void describe(config::Visitor& v, LmTrainingOptions& o) {
  v.field("batch_size", o.batch_size, config::Range<int64_t>::at_least(1));
  v.field("eval_documents", o.eval_documents, config::Range<int64_t>::at_least(0));
  v.section("optimizer", o.optimizer);
}

void describe(config::Visitor& v, PretrainRecipe& r) {
  v.field("name", r.name);
  v.section("run", r.run);
  v.section("corpus", r.corpus);
  v.section("tokenizer", r.tokenizer);
  v.section("model", r.model);
  v.section("training", r.training);
}

void validate(const PretrainRecipe& r) {
  GRPO_CHECK(!r.run.output_dir.empty(), "run.output_dir is empty");
  GRPO_CHECK(r.corpus.task.name == "arithmetic", "corpus.task.name is '", r.corpus.task.name,
             "'; worked solutions exist for the arithmetic task only");
  validate(r.model, "model");
  GRPO_CHECK(r.tokenizer.type != "bpe" || r.tokenizer.vocab_size > 257, "tokenizer.vocab_size = ",
             r.tokenizer.vocab_size, " leaves no room for merges beside the 256 bytes and the end-of-text token");
}

PretrainRecipe load_pretrain_recipe(const std::string& path, const std::vector<std::string>& overrides) {
  PretrainRecipe recipe = config::load_yaml_file<PretrainRecipe>(path, overrides);
  validate(recipe);
  return recipe;
}

namespace {

struct TokenizedDocument {
  std::vector<int64_t> ids;  // prompt, completion, end-of-text
};

// Every document as ids, with the tokenizer's eos appended.
std::vector<TokenizedDocument> tokenize(const std::vector<CorpusDocument>& corpus, const Tokenizer& tokenizer,
                                        int64_t eos) {
  std::vector<TokenizedDocument> out(corpus.size());
  for (size_t i = 0; i < corpus.size(); ++i) {
    // Prompt and completion apart, as a rollout sees them.
    out[i].ids = tokenizer.encode(corpus[i].prompt);
    std::vector<int64_t> completion = tokenizer.encode(corpus[i].completion);
    out[i].ids.insert(out[i].ids.end(), completion.begin(), completion.end());
    out[i].ids.push_back(eos);
  }
  return out;
}

// Batches of similar length: the documents are shuffled, cut into windows of
// 16 batches, sorted by length inside a window and the window's batches shuffled,
// so little of each [B, T] block is padding. Reproducible from the seed.
class BatchOrder {
 public:
  BatchOrder(const std::vector<TokenizedDocument>& docs, int64_t batch_size, uint64_t seed)
      : docs_(docs), batch_size_(batch_size), rng_(seed) {}

  std::vector<size_t> next() {
    if (pending_.empty()) refill();
    std::vector<size_t> batch = std::move(pending_.back());
    pending_.pop_back();
    return batch;
  }

 private:
  void refill() {
    constexpr int64_t kWindow = 16;
    if (cursor_ + static_cast<size_t>(batch_size_) > order_.size()) {
      order_.resize(docs_.size());
      std::iota(order_.begin(), order_.end(), size_t{0});
      std::shuffle(order_.begin(), order_.end(), rng_);
      cursor_ = 0;
    }
    const size_t end = std::min(order_.size(), cursor_ + static_cast<size_t>(batch_size_ * kWindow));
    std::vector<size_t> window(order_.begin() + static_cast<std::ptrdiff_t>(cursor_),
                               order_.begin() + static_cast<std::ptrdiff_t>(end));
    cursor_ = end;
    std::stable_sort(window.begin(), window.end(),
                     [this](size_t a, size_t b) { return docs_[a].ids.size() < docs_[b].ids.size(); });
    for (size_t at = 0; at + static_cast<size_t>(batch_size_) <= window.size(); at += static_cast<size_t>(batch_size_))
      pending_.emplace_back(window.begin() + static_cast<std::ptrdiff_t>(at),
                            window.begin() + static_cast<std::ptrdiff_t>(at) + batch_size_);
    std::shuffle(pending_.begin(), pending_.end(), rng_);
  }

  const std::vector<TokenizedDocument>& docs_;
  int64_t batch_size_;
  std::mt19937_64 rng_;
  std::vector<size_t> order_;
  size_t cursor_ = 0;
  std::vector<std::vector<size_t>> pending_;
};

// tokens [B, T] int64 right-padded with `pad`, mask [B, T] (1 token, 0 padding).
std::pair<torch::Tensor, torch::Tensor> pad_batch(const std::vector<TokenizedDocument>& docs,
                                                  const std::vector<size_t>& rows, int64_t pad) {
  size_t T = 0;
  for (size_t r : rows) T = std::max(T, docs[r].ids.size());
  const auto B = static_cast<int64_t>(rows.size());
  torch::Tensor tokens = torch::full({B, static_cast<int64_t>(T)}, pad, torch::kInt64);
  torch::Tensor mask = torch::zeros({B, static_cast<int64_t>(T)}, torch::kInt64);
  auto t = tokens.accessor<int64_t, 2>();
  auto m = mask.accessor<int64_t, 2>();
  for (int64_t b = 0; b < B; ++b) {
    const auto& ids = docs[rows[static_cast<size_t>(b)]].ids;
    for (size_t i = 0; i < ids.size(); ++i) {
      t[b][static_cast<int64_t>(i)] = ids[i];
      m[b][static_cast<int64_t>(i)] = 1;
    }
  }
  return {tokens, mask};
}

// Mean next-token cross-entropy over the real tokens after the first. Returns the
// loss (a scalar with grad) and the count of predicted tokens.
std::pair<torch::Tensor, int64_t> next_token_loss(CausalLM& model, const torch::Tensor& tokens,
                                                  const torch::Tensor& mask) {
  torch::Tensor hidden = model->forward(tokens, mask);                  // [B, T, H]
  torch::Tensor logits = model->logits(hidden.slice(1, 0, -1));         // [B, T-1, V]
  torch::Tensor targets = tokens.slice(1, 1);                           // [B, T-1]
  torch::Tensor weight = mask.slice(1, 1).to(torch::kFloat32);          // [B, T-1]
  torch::Tensor nll = torch::nn::functional::cross_entropy(
      logits.reshape({-1, logits.size(-1)}).to(torch::kFloat32), targets.reshape({-1}),
      torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));  // [B*(T-1)]
  const int64_t count = weight.sum().item<int64_t>();
  return {(nll * weight.reshape({-1})).sum() / std::max<int64_t>(count, 1), count};
}

double held_out_loss(CausalLM& model, const std::vector<TokenizedDocument>& docs, int64_t batch_size, int64_t pad) {
  if (docs.empty()) return std::nan("");
  torch::NoGradGuard no_grad;
  model->eval();
  double sum = 0.0;
  int64_t count = 0;
  for (size_t at = 0; at < docs.size(); at += static_cast<size_t>(batch_size)) {
    std::vector<size_t> rows;
    for (size_t i = at; i < std::min(docs.size(), at + static_cast<size_t>(batch_size)); ++i) rows.push_back(i);
    auto [tokens, mask] = pad_batch(docs, rows, pad);
    auto [loss, n] = next_token_loss(model, tokens, mask);
    sum += loss.item<double>() * static_cast<double>(n);
    count += n;
  }
  model->train();
  return sum / static_cast<double>(std::max<int64_t>(count, 1));
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  GRPO_CHECK(out, "cannot write ", path.string());
}

// Writes <out>/model atomically: model.tmp, then a rename over the old one.
void save_model(CausalLM& model, const fs::path& tokenizer_dir, int64_t eos, const fs::path& out) {
  const fs::path dir = out / "model";
  const fs::path tmp = out / "model.tmp";
  const fs::path old = out / "model.old";
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  save_pretrained(model, tmp);
  for (const char* name : {"tokenizer.json", "tokenizer_config.json"})
    fs::copy_file(tokenizer_dir / name, tmp / name, fs::copy_options::overwrite_existing);
  write_generation_config(eos, tmp);
  fs::remove_all(old);
  if (fs::exists(dir)) fs::rename(dir, old);
  fs::rename(tmp, dir);
  fs::remove_all(old);
}

// The characters of every document (and "\n"), sorted: the "characters" vocabulary.
std::string corpus_characters(const std::vector<CorpusDocument>& corpus) {
  std::set<char> chars{'\n'};
  for (const CorpusDocument& d : corpus)
    for (const std::string* text : {&d.prompt, &d.completion})
      for (char c : *text) {
        GRPO_CHECK(static_cast<unsigned char>(c) < 128, "a character tokenizer covers ASCII only; the corpus has '",
                   d.prompt, "'");
        chars.insert(c);
      }
  return std::string(chars.begin(), chars.end());
}

void train_tokenizer(const PretrainRecipe& r, const std::vector<CorpusDocument>& corpus, const fs::path& dir) {
  if (r.tokenizer.type == "characters") return write_character_tokenizer(corpus_characters(corpus), dir);
  std::vector<std::string> texts;
  texts.reserve(corpus.size());
  for (const CorpusDocument& d : corpus) texts.push_back(d.prompt + d.completion);
  BpeTrainerOptions options;
  options.vocab_size = r.tokenizer.vocab_size;
  options.special_tokens = {"<|endoftext|>"};
  write_bpe_tokenizer(texts, options, dir);
}

}  // namespace

void pretrain(const PretrainRecipe& r, const PretrainCallbacks& callbacks) {
  validate(r);
  const fs::path out = r.run.output_dir;
  GRPO_CHECK(!fs::exists(out / "model") && !(fs::exists(out / "metrics.jsonl") && fs::file_size(out / "metrics.jsonl") > 0),
             "run.output_dir '", out.string(), "' already holds a pretraining run; choose another --out");
  auto note = [&](const std::string& text) {
    if (callbacks.on_message) callbacks.on_message(text);
  };
  if (r.run.threads > 0) torch::set_num_threads(static_cast<int>(r.run.threads));
  fs::create_directories(out);
  write_text(out / "recipe.yaml", config::to_yaml(r));

  // ---------------------------------------------------------------- corpus
  const std::vector<CorpusDocument> corpus = generate_corpus(r.corpus);
  std::vector<CorpusDocument> held_out;
  {
    // Held-out documents: the task's test split, which the RL recipe evaluates on.
    TaskOptions task = r.corpus.task;
    task.train_size = 0;
    std::vector<Example> problems = generate_task(task, Split::test);
    for (int64_t i = 0; i < r.training.eval_documents && !problems.empty(); ++i) {
      const Example& e = problems[static_cast<size_t>(i) % problems.size()];
      const auto style = static_cast<SolutionStyle>(i % 3);
      held_out.push_back({render_prompt(r.corpus.prompt, e, nullptr),
                          write_solution(e.fields.at("expression"), style, static_cast<uint64_t>(i), r.corpus.solution),
                          style});
    }
  }
  {
    std::string sample;
    for (size_t i = 0; i < std::min<size_t>(corpus.size(), 24); ++i)
      sample += "[" + std::string(style_name(corpus[i].style)) + "] " + corpus[i].prompt + corpus[i].completion + "\n";
    write_text(out / "corpus_sample.txt", sample);
  }

  // ---------------------------------------------------------------- tokenizer
  const fs::path tokenizer_dir = out / "tokenizer";
  train_tokenizer(r, corpus, tokenizer_dir);
  Tokenizer tokenizer = Tokenizer::load(tokenizer_dir);
  const std::optional<int64_t> eos_id = tokenizer.token_to_id("<|endoftext|>");
  GRPO_CHECK(eos_id, "the trained tokenizer has no <|endoftext|> token");
  const int64_t eos = *eos_id;
  const std::vector<TokenizedDocument> docs = tokenize(corpus, tokenizer, eos);
  const std::vector<TokenizedDocument> eval_docs = tokenize(held_out, tokenizer, eos);
  int64_t corpus_tokens = 0;
  for (const auto& d : docs) corpus_tokens += static_cast<int64_t>(d.ids.size());
  note("corpus: " + std::to_string(docs.size()) + " documents, " + std::to_string(corpus_tokens) +
       " tokens; vocabulary " + std::to_string(tokenizer.vocab_size()));

  // ---------------------------------------------------------------- model and optimizer
  CausalLM model = initial_model(r.model, tokenizer.vocab_size(), eos, static_cast<uint64_t>(r.run.seed));
  model->train();
  OptimizerOptions opt = r.training.optimizer;
  if (opt.total_steps == 0) opt.total_steps = r.run.steps;
  torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(opt.lr)
                                                         .betas({opt.beta1, opt.beta2})
                                                         .eps(opt.eps)
                                                         .weight_decay(opt.weight_decay));
  BatchOrder order(docs, r.training.batch_size, static_cast<uint64_t>(r.run.seed));
  MetricsLog metrics_log(out);
  if (callbacks.on_start) callbacks.on_start(0, r.run.steps);

  // ---------------------------------------------------------------- train
  using Clock = std::chrono::steady_clock;
  auto window_start = Clock::now();
  double loss_sum = 0.0, norm_sum = 0.0;
  int64_t tokens_sum = 0, window_steps = 0, tokens_seen = 0;
  for (int64_t step = 1; step <= r.run.steps; ++step) {
    auto [tokens, mask] = pad_batch(docs, order.next(), eos);  // [B, T]
    auto [loss, count] = next_token_loss(model, tokens, mask);
    optimizer.zero_grad();
    loss.backward();
    const double max_norm = opt.max_grad_norm > 0 ? opt.max_grad_norm : std::numeric_limits<double>::infinity();
    norm_sum += torch::nn::utils::clip_grad_norm_(model->parameters(), max_norm);
    const double lr = scheduled_lr(opt, step - 1);
    for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
    optimizer.step();
    loss_sum += loss.item<double>();
    tokens_sum += count;
    tokens_seen += count;
    ++window_steps;

    const bool last = step == r.run.steps;
    const bool eval = last || (r.run.eval_every > 0 && step % r.run.eval_every == 0);
    if (step % r.run.log_every == 0 || last || eval) {
      const double seconds = std::chrono::duration<double>(Clock::now() - window_start).count();
      Metrics m{{"loss", loss_sum / static_cast<double>(window_steps)},
                {"grad_norm", norm_sum / static_cast<double>(window_steps)},
                {"learning_rate", lr},
                {"tokens", static_cast<double>(tokens_seen)},
                {"epoch", static_cast<double>(step * r.training.batch_size) / static_cast<double>(docs.size())},
                {"tokens_per_second", static_cast<double>(tokens_sum) / std::max(seconds, 1e-9)}};
      if (eval) m["eval/loss"] = held_out_loss(model, eval_docs, r.training.batch_size, eos);
      metrics_log.log(step, m, std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
      if (callbacks.on_step) callbacks.on_step(step, m);
      loss_sum = norm_sum = 0.0;
      tokens_sum = window_steps = 0;
      window_start = Clock::now();
    }
    if (last || (r.run.save_every > 0 && step % r.run.save_every == 0)) {
      model->eval();
      save_model(model, tokenizer_dir, eos, out);
      model->train();
      note("saved " + (out / "model").string() + " at step " + std::to_string(step));
    }
  }
}

}  // namespace grpo
