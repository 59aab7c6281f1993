// Tokenizer speed: load time and encode/decode throughput on a text file, one
// line per encode() call. bench/bench_tokenizer_hf.py measures Hugging Face
// `tokenizers` the same way, so the two can be compared on one machine.
//
//   bench_tokenizer TOKENIZER CORPUS [REPEAT]
//     TOKENIZER  tokenizer.json or a directory holding it
//     CORPUS     a UTF-8 text file; each line is encoded separately
//     REPEAT     passes over the corpus after the first (default 5)
//
// The corpora behind the README's figures (from the build tree after ctest):
//   cat /usr/share/common-licenses/* > /tmp/bench_prose.txt
//   cat .venv/lib/python3.11/site-packages/transformers/models/*/modeling_*.py | head -c 1000000 > /tmp/bench_code.txt
//   for i in $(seq 100); do cat build/tests/tokenizer_fixtures/corpus.txt; done > /tmp/bench_multi.txt
//   build/bench/bench_tokenizer tests/data/tokenizers/qwen3 /tmp/bench_prose.txt 3
//   .venv/bin/python bench/bench_tokenizer_hf.py tests/data/tokenizers/qwen3 /tmp/bench_prose.txt 3
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "libgrpo/error.h"
#include "libgrpo/tokenizer.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::vector<std::string> read_lines(const char* path) {
  std::ifstream in(path, std::ios::binary);
  GRPO_CHECK(in.good(), path, ": cannot open file");
  std::stringstream text;
  text << in.rdbuf();
  std::vector<std::string> lines;
  for (std::string line; std::getline(text, line);) lines.push_back(line);  // split on '\n' only
  return lines;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s TOKENIZER CORPUS [REPEAT]\n", argv[0]);
    return 2;
  }
  int repeat = argc > 3 ? std::max(1, std::atoi(argv[3])) : 5;
  try {
    // Load: best of three (the first also pays for reading the file from disk).
    double load_s = 1e9;
    for (int i = 0; i < 3; ++i) {
      auto start = Clock::now();
      grpo::Tokenizer probe = grpo::Tokenizer::load(argv[1]);
      load_s = std::min(load_s, seconds_since(start));
    }
    grpo::Tokenizer tok = grpo::Tokenizer::load(argv[1]);
    std::vector<std::string> lines = read_lines(argv[2]);
    double megabytes = 0;
    for (const auto& l : lines) megabytes += double(l.size()) / 1e6;

    // ---- encode: the first pass fills the per-word cache, later passes hit it
    size_t tokens = 0;
    auto start = Clock::now();
    std::vector<std::vector<int64_t>> encoded;
    for (const auto& l : lines) encoded.push_back(tok.encode(l));
    double first_s = seconds_since(start);
    for (const auto& ids : encoded) tokens += ids.size();
    start = Clock::now();
    for (int r = 0; r < repeat; ++r)
      for (const auto& l : lines) tok.encode(l);
    double warm_s = seconds_since(start) / repeat;

    // ---- decode
    start = Clock::now();
    for (int r = 0; r < repeat; ++r)
      for (const auto& ids : encoded) tok.decode(ids);
    double decode_s = seconds_since(start) / repeat;

    std::printf("libgrpo tokenizer: %s\n", argv[1]);
    std::printf("corpus: %s, %zu lines, %.3f MB, %zu tokens\n", argv[2], lines.size(), megabytes, tokens);
    std::printf("load:                %8.3f s (best of 3)\n", load_s);
    std::printf("encode, first pass:  %8.2f MB/s  (%.0f tokens/s)\n", megabytes / first_s, tokens / first_s);
    std::printf("encode, warm cache:  %8.2f MB/s  (%.0f tokens/s, mean of %d passes)\n", megabytes / warm_s,
                tokens / warm_s, repeat);
    std::printf("decode:              %8.2f MB/s  (%.0f tokens/s)\n", megabytes / decode_s, tokens / decode_s);
  } catch (const grpo::Error& e) {
    std::fprintf(stderr, "bench_tokenizer: %s\n", e.message().c_str());
    return 1;
  }
  return 0;
}
