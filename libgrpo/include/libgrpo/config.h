// Configuration: YAML files map one to one onto plain option structs.
//
// Each options struct gets a free function describe(Visitor&, Options&) next
// to it that names its fields, their types and their allowed ranges:
//
//   struct SamplingOptions { double temperature = 1.0; int64_t top_k = 0; };
//   inline void describe(config::Visitor& v, SamplingOptions& o) {
//     v.field("temperature", o.temperature, config::Range<double>::at_least(0.0));
//     v.field("top_k", o.top_k, config::Range<int64_t>::at_least(0));
//   }
//
// That one function drives reading a file, --set key=value overrides and
// writing the resolved configuration back out. Reading is strict: an unknown
// key, a value of the wrong type or a value out of range throws grpo::Error
// naming the file, the line and the key's full path ("loss.clip_eps_high").
// A key that is absent keeps the struct's default.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "libgrpo/error.h"

namespace grpo::config {

// Allowed values of a numeric option: [min, max], either side optional, and
// either end open ("> 0" rather than ">= 0") when its flag says so.
template <class T>
struct Range {
  std::optional<T> min;
  std::optional<T> max;
  bool min_open = false;
  bool max_open = false;

  static Range any() { return {}; }
  static Range at_least(T lo) { return {lo, std::nullopt, false, false}; }
  static Range above(T lo) { return {lo, std::nullopt, true, false}; }
  static Range closed(T lo, T hi) { return {lo, hi, false, false}; }
  static Range half_open(T lo, T hi) { return {lo, hi, false, true}; }  // [lo, hi)

  bool contains(T x) const {
    if (min && (min_open ? !(x > *min) : !(x >= *min))) return false;
    if (max && (max_open ? !(x < *max) : !(x <= *max))) return false;
    return true;
  }
};

// Walks an options struct. Readers, writers and override appliers implement it.
class Visitor {
 public:
  virtual ~Visitor() = default;

  virtual void field(std::string_view key, bool& value) = 0;
  virtual void field(std::string_view key, int64_t& value, Range<int64_t> range) = 0;
  virtual void field(std::string_view key, double& value, Range<double> range) = 0;
  virtual void field(std::string_view key, std::string& value) = 0;
  virtual void field(std::string_view key, std::vector<std::string>& value) = 0;
  virtual void field(std::string_view key, std::vector<double>& value) = 0;
  // A string restricted to a fixed set of spellings.
  virtual void choice(std::string_view key, std::string& value,
                      const std::vector<std::string_view>& allowed) = 0;
  // A nested mapping; body describes its fields.
  virtual void section(std::string_view key, const std::function<void(Visitor&)>& body) = 0;
  // A list of mappings, each described by body; grows or shrinks `count`
  // through resize(n) before body(i) visits element i.
  virtual void list(std::string_view key, size_t& count, const std::function<void(size_t)>& resize,
                    const std::function<void(Visitor&, size_t)>& body) = 0;

  // Conveniences over the virtual set.
  void field(std::string_view key, int& value, Range<int64_t> range = Range<int64_t>::any());
  void field(std::string_view key, int64_t& value) { field(key, value, Range<int64_t>::any()); }
  void field(std::string_view key, double& value) { field(key, value, Range<double>::any()); }

  // An enum spelled by name in YAML: names lists every (spelling, value) pair.
  template <class E>
  void choice(std::string_view key, E& value,
              std::initializer_list<std::pair<std::string_view, E>> names) {
    std::string text;
    std::vector<std::string_view> allowed;
    for (const auto& [name, e] : names) {
      allowed.push_back(name);
      if (e == value) text = std::string(name);
    }
    choice(key, text, allowed);
    for (const auto& [name, e] : names)
      if (name == text) value = e;
  }

  // A nested options struct with its own describe().
  template <class S>
  void section(std::string_view key, S& nested) {
    section(key, [&nested](Visitor& v) { describe(v, nested); });
  }

  // A list of options structs with their own describe().
  template <class S>
  void list(std::string_view key, std::vector<S>& items) {
    size_t count = items.size();
    list(
        key, count, [&items](size_t n) { items.resize(n); },
        [&items](Visitor& v, size_t i) { describe(v, items[i]); });
  }
};

using Describe = std::function<void(Visitor&)>;

// Reads YAML text into the struct described by `describe`, then applies each
// override "dotted.key=value" (value is YAML: 0.5, true, [a, b], "text").
// source names the text in error messages (usually its file path).
void read_yaml(std::string_view text, std::string_view source, const Describe& describe,
               const std::vector<std::string>& overrides = {});

// Renders the current values as YAML that read_yaml reads back unchanged.
std::string write_yaml(const Describe& describe);

// Reads a whole file; a missing or unreadable file is a grpo::Error.
std::string read_text_file(const std::string& path);

// Typed front ends.
template <class Options>
Options load_yaml_file(const std::string& path, const std::vector<std::string>& overrides = {}) {
  Options options;
  read_yaml(read_text_file(path), path, [&options](Visitor& v) { describe(v, options); },
            overrides);
  return options;
}

template <class Options>
Options parse_yaml(std::string_view text, std::string_view source = "<string>",
                   const std::vector<std::string>& overrides = {}) {
  Options options;
  read_yaml(text, source, [&options](Visitor& v) { describe(v, options); }, overrides);
  return options;
}

template <class Options>
std::string to_yaml(Options options) {
  return write_yaml([&options](Visitor& v) { describe(v, options); });
}

}  // namespace grpo::config
