// Deterministic randomness for datasets: a counter-based generator and a
// stable string hash, identical on every platform and standard library (no
// std::uniform_int_distribution, whose output the standard leaves open).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <utility>
#include <vector>

namespace grpo::data {

// splitmix64's output function (Steele, Lea, Flood 2014): a bijective mix of
// 64 bits, good enough to turn a counter into independent-looking draws.
inline uint64_t mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// FNV-1a over the bytes, then mixed: stable across runs and machines.
inline uint64_t stable_hash(std::string_view text) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ULL;
  return mix64(h);
}

// The splitmix64 generator, seeded from a list of counters (seed, split, index, ...).
class SplitMix64 {
 public:
  explicit SplitMix64(std::initializer_list<uint64_t> keys) {
    for (uint64_t k : keys) state_ = mix64(state_ ^ k);
  }
  uint64_t next() { return mix64(state_ += 0x9e3779b97f4a7c15ULL); }
  // Uniform in [lo, hi] (inclusive); rejection sampling, so no modulo bias.
  int64_t uniform(int64_t lo, int64_t hi) {
    const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) + 1;
    if (span == 0) return static_cast<int64_t>(next());  // the whole int64 range
    const uint64_t limit = UINT64_MAX - UINT64_MAX % span;
    uint64_t r;
    do r = next();
    while (r >= limit);
    return static_cast<int64_t>(static_cast<uint64_t>(lo) + r % span);
  }
  // Uniform in [0, 1) with 53 random bits.
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  template <class T>
  void shuffle(std::vector<T>& items) {  // Fisher-Yates
    for (size_t i = items.size(); i > 1; --i)
      std::swap(items[i - 1], items[static_cast<size_t>(uniform(0, static_cast<int64_t>(i) - 1))]);
  }

 private:
  uint64_t state_ = 0;
};

}  // namespace grpo::data
