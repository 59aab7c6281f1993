#include "judge.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace grpo::sandbox {
namespace {

using nlohmann::json;

std::string clip(std::string_view s, size_t n = 80) {
  std::string out(s.substr(0, n));
  if (s.size() > n) out += "...";
  return out;
}

std::vector<std::string_view> tokens(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; };
  while (i < s.size()) {
    while (i < s.size() && space(s[i])) ++i;
    size_t j = i;
    while (j < s.size() && !space(s[j])) ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

bool numbers_equal(const json& a, const json& b) {
  if (a.is_number_integer() && b.is_number_integer()) {
    // Compare as integers when both fit, so 2**63 - 1 is not rounded.
    if (a.is_number_unsigned() || b.is_number_unsigned())
      return a.get<long double>() == b.get<long double>();
    return a.get<int64_t>() == b.get<int64_t>();
  }
  double x = a.get<double>(), y = b.get<double>();
  if (std::isnan(x) || std::isnan(y)) return false;
  return std::fabs(x - y) <= 1e-9 * std::max({1.0, std::fabs(x), std::fabs(y)});
}

bool json_equal(const json& got, const json& want, const std::string& path, std::string& why) {
  auto differ = [&](const std::string& what) {
    why = fmt::format("{}{}", path.empty() ? "" : "at " + path + ": ", what);
    return false;
  };
  if (got.is_number() && want.is_number()) {
    return numbers_equal(got, want) || differ(fmt::format("expected {}, got {}", want.dump(), got.dump()));
  }
  if (got.type() != want.type())
    return differ(fmt::format("expected {} ({}), got {} ({})", clip(want.dump()), want.type_name(),
                              clip(got.dump()), got.type_name()));
  if (got.is_array()) {
    if (got.size() != want.size())
      return differ(fmt::format("expected a list of {}, got {}", want.size(), got.size()));
    for (size_t i = 0; i < got.size(); ++i)
      if (!json_equal(got[i], want[i], path + "[" + std::to_string(i) + "]", why)) return false;
    return true;
  }
  if (got.is_object()) {
    for (const auto& [key, _] : want.items())
      if (!got.contains(key)) return differ(fmt::format("missing key \"{}\"", clip(key)));
    for (const auto& [key, _] : got.items())
      if (!want.contains(key)) return differ(fmt::format("unexpected key \"{}\"", clip(key)));
    for (const auto& [key, value] : want.items())
      if (!json_equal(got.at(key), value, path + "." + key, why)) return false;
    return true;
  }
  return got == want || differ(fmt::format("expected {}, got {}", clip(want.dump()), clip(got.dump())));
}

}  // namespace

bool stdout_matches(std::string_view actual, std::string_view expected, Compare mode, std::string& why) {
  if (mode == Compare::exact) {
    if (actual == expected) return true;
    size_t i = 0;
    while (i < actual.size() && i < expected.size() && actual[i] == expected[i]) ++i;
    why = fmt::format("stdout differs at byte {}: expected \"{}\", got \"{}\"", i, clip(expected.substr(i), 40),
                      clip(actual.substr(i), 40));
    return false;
  }
  auto got = tokens(actual), want = tokens(expected);
  for (size_t i = 0; i < std::min(got.size(), want.size()); ++i) {
    if (got[i] != want[i]) {
      why = fmt::format("token {} differs: expected \"{}\", got \"{}\"", i + 1, clip(want[i], 40), clip(got[i], 40));
      return false;
    }
  }
  if (got.size() != want.size()) {
    why = fmt::format("expected {} tokens, got {}", want.size(), got.size());
    return false;
  }
  return true;
}

bool result_matches(std::string_view actual, std::string_view expected, std::string& why) {
  json got = json::parse(actual, nullptr, /*allow_exceptions=*/false);
  if (got.is_discarded()) {
    why = "the call's result is not valid JSON";
    return false;
  }
  json want = json::parse(expected, nullptr, false);
  if (want.is_discarded()) {
    why = "the expected value is not valid JSON";
    return false;
  }
  return json_equal(got, want, "", why);
}

}  // namespace grpo::sandbox
