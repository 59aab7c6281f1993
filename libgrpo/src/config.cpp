// YAML <-> option structs through config::Visitor (see libgrpo/config.h).
#include "libgrpo/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

namespace grpo::config {

void Visitor::field(std::string_view key, int& value, Range<int64_t> range) {
  int64_t wide = value;
  Range<int64_t> narrowed = range;
  if (!narrowed.min || *narrowed.min < std::numeric_limits<int>::min())
    narrowed.min = std::numeric_limits<int>::min();
  if (!narrowed.max || *narrowed.max > std::numeric_limits<int>::max())
    narrowed.max = std::numeric_limits<int>::max();
  field(key, wide, narrowed);
  value = static_cast<int>(wide);
}

namespace {

// ---------------------------------------------------------------- helpers

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// " (did you mean 'temperature'?)" when one candidate is close, else "".
std::string suggestion(std::string_view wrong, const std::vector<std::string>& candidates) {
  const std::string* best = nullptr;
  size_t best_distance = std::max<size_t>(2, wrong.size() / 3) + 1;
  for (const auto& c : candidates) {
    size_t d = edit_distance(wrong, c);
    if (d < best_distance) best = &c, best_distance = d;
  }
  return best ? fmt::format(" (did you mean '{}'?)", *best) : std::string();
}

std::string join_quoted(const std::vector<std::string_view>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += fmt::format("{}'{}'", i ? ", " : "", items[i]);
  return out;
}

template <class T>
std::string describe_range(const Range<T>& r) {
  if (r.min && r.max)
    return fmt::format("{}{}, {}{}", r.min_open ? '(' : '[', *r.min, *r.max, r.max_open ? ')' : ']');
  if (r.min) return fmt::format("{} {}", r.min_open ? ">" : ">=", *r.min);
  return fmt::format("{} {}", r.max_open ? "<" : "<=", *r.max);
}

// A plain (unquoted) scalar: quoting a number or a boolean makes it a string.
bool is_plain_scalar(const YAML::Node& n) { return n.IsScalar() && n.Tag() != "!"; }

std::optional<int64_t> parse_int(const std::string& s) {
  std::string_view text = s;
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::optional<double> parse_double(const std::string& s) {
  if (s == ".inf" || s == ".Inf" || s == "+.inf") return std::numeric_limits<double>::infinity();
  if (s == "-.inf" || s == "-.Inf") return -std::numeric_limits<double>::infinity();
  if (s == ".nan" || s == ".NaN") return std::numeric_limits<double>::quiet_NaN();
  if (s.empty() || std::isspace(static_cast<unsigned char>(s[0]))) return std::nullopt;
  char* end = nullptr;
  double value = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return std::nullopt;
  std::string lower = s;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.find("inf") != std::string::npos || lower.find("nan") != std::string::npos ||
      lower.find("0x") != std::string::npos)
    return std::nullopt;  // strtod's spellings are not YAML's
  return value;
}

std::string show(const YAML::Node& n) {
  if (n.IsNull()) return "nothing";
  if (n.IsScalar()) return fmt::format("'{}'", n.Scalar());
  if (n.IsSequence()) return "a list";
  return "a mapping";
}

// ---------------------------------------------------------------- Reader

// Reads one YAML mapping into the fields a describe() names; remembers every
// key it was asked about so that whatever is left over can be reported.
class Reader final : public Visitor {
 public:
  Reader(YAML::Node node, std::string prefix, std::string_view source)
      : node_(std::move(node)), prefix_(std::move(prefix)), source_(source) {}

  using Visitor::choice;
  using Visitor::field;
  using Visitor::list;
  using Visitor::section;

  void field(std::string_view key, bool& value) override {
    YAML::Node n = lookup(key);
    if (!n) return;
    static const std::set<std::string> yes{"true", "True", "TRUE"}, no{"false", "False", "FALSE"};
    if (is_plain_scalar(n) && yes.count(n.Scalar())) value = true;
    else if (is_plain_scalar(n) && no.count(n.Scalar())) value = false;
    else fail(n, key, fmt::format("expected true or false, got {}", show(n)));
  }

  void field(std::string_view key, int64_t& value, Range<int64_t> range) override {
    YAML::Node n = lookup(key);
    if (!n) return;
    std::optional<int64_t> parsed = is_plain_scalar(n) ? parse_int(n.Scalar()) : std::nullopt;
    if (!parsed) fail(n, key, fmt::format("expected an integer, got {}", show(n)));
    if (!range.contains(*parsed))
      fail(n, key, fmt::format("{} is out of range {}", *parsed, describe_range(range)));
    value = *parsed;
  }

  void field(std::string_view key, double& value, Range<double> range) override {
    YAML::Node n = lookup(key);
    if (!n) return;
    std::optional<double> parsed = is_plain_scalar(n) ? parse_double(n.Scalar()) : std::nullopt;
    if (!parsed) fail(n, key, fmt::format("expected a number, got {}", show(n)));
    bool ranged = range.min || range.max;
    if (ranged && !range.contains(*parsed))
      fail(n, key, fmt::format("{} is out of range {}", n.Scalar(), describe_range(range)));
    value = *parsed;
  }

  void field(std::string_view key, std::string& value) override {
    YAML::Node n = lookup(key);
    if (!n) return;
    if (n.IsNull()) value.clear();
    else if (n.IsScalar()) value = n.Scalar();
    else fail(n, key, fmt::format("expected a string, got {}", show(n)));
  }

  void field(std::string_view key, std::vector<std::string>& value) override {
    YAML::Node n = lookup(key);
    if (!n) return;
    if (!n.IsSequence()) fail(n, key, fmt::format("expected a list of strings, got {}", show(n)));
    std::vector<std::string> out;
    for (size_t i = 0; i < n.size(); ++i) {
      if (!n[i].IsScalar())
        fail(n[i], fmt::format("{}[{}]", key, i), fmt::format("expected a string, got {}", show(n[i])));
      out.push_back(n[i].Scalar());
    }
    value = std::move(out);
  }

  void field(std::string_view key, std::vector<double>& value) override {
    YAML::Node n = lookup(key);
    if (!n) return;
    if (!n.IsSequence()) fail(n, key, fmt::format("expected a list of numbers, got {}", show(n)));
    std::vector<double> out;
    for (size_t i = 0; i < n.size(); ++i) {
      std::optional<double> x = is_plain_scalar(n[i]) ? parse_double(n[i].Scalar()) : std::nullopt;
      if (!x) fail(n[i], fmt::format("{}[{}]", key, i), fmt::format("expected a number, got {}", show(n[i])));
      out.push_back(*x);
    }
    value = std::move(out);
  }

  void choice(std::string_view key, std::string& value,
              const std::vector<std::string_view>& allowed) override {
    YAML::Node n = lookup(key);
    if (!n) return;
    if (!n.IsScalar()) fail(n, key, fmt::format("expected one of {}, got {}", join_quoted(allowed), show(n)));
    const std::string& s = n.Scalar();
    if (std::find(allowed.begin(), allowed.end(), s) == allowed.end()) {
      std::vector<std::string> names(allowed.begin(), allowed.end());
      fail(n, key, fmt::format("'{}' is not one of {}{}", s, join_quoted(allowed), suggestion(s, names)));
    }
    value = s;
  }

  void section(std::string_view key, const std::function<void(Visitor&)>& body) override {
    YAML::Node n = lookup(key);
    if (!n || n.IsNull()) return;
    if (!n.IsMap()) fail(n, key, fmt::format("expected a mapping, got {}", show(n)));
    Reader nested(n, path(key), source_);
    body(nested);
    nested.finish();
  }

  void list(std::string_view key, size_t& count, const std::function<void(size_t)>& resize,
            const std::function<void(Visitor&, size_t)>& body) override {
    YAML::Node n = lookup(key);
    if (!n) return;
    if (!n.IsSequence()) fail(n, key, fmt::format("expected a list, got {}", show(n)));
    count = n.size();
    resize(count);
    for (size_t i = 0; i < count; ++i) {
      std::string item = fmt::format("{}[{}]", key, i);
      if (!n[i].IsMap()) fail(n[i], item, fmt::format("expected a mapping, got {}", show(n[i])));
      Reader nested(n[i], path(item), source_);
      body(nested, i);
      nested.finish();
    }
  }

  // Every key present in the mapping must have been asked for.
  void finish() const {
    if (!node_.IsMap()) return;
    for (const auto& kv : node_) {
      std::string key = kv.first.as<std::string>();
      if (std::find(known_.begin(), known_.end(), key) == known_.end())
        fail(kv.first, key, "unknown key" + suggestion(key, known_));
    }
  }

 private:
  // The node under key, or an invalid node when absent. Records the key as known.
  YAML::Node lookup(std::string_view key) {
    known_.emplace_back(key);
    if (!node_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    for (const auto& kv : node_)
      if (kv.first.Scalar() == key) return kv.second;
    return YAML::Node(YAML::NodeType::Undefined);
  }

  std::string path(std::string_view key) const {
    return prefix_.empty() ? std::string(key) : fmt::format("{}.{}", prefix_, key);
  }

  [[noreturn]] void fail(const YAML::Node& at, std::string_view key, const std::string& what) const {
    YAML::Mark mark = at.Mark();
    bool from_override = source_.rfind("--set ", 0) == 0;
    std::string where = mark.is_null() || from_override ? std::string(source_)
                                       : fmt::format("{}:{}:{}", source_, mark.line + 1, mark.column + 1);
    GRPO_FAIL(where, ": ", path(key), ": ", what);
  }

  YAML::Node node_;
  std::string prefix_;
  std::string_view source_;
  std::vector<std::string> known_;
};

// ---------------------------------------------------------------- Writer

class Writer final : public Visitor {
 public:
  explicit Writer(YAML::Emitter& out) : out_(out) {}

  using Visitor::choice;
  using Visitor::field;
  using Visitor::list;
  using Visitor::section;

  void field(std::string_view key, bool& value) override { put(key, value ? "true" : "false"); }
  void field(std::string_view key, int64_t& value, Range<int64_t>) override {
    put(key, std::to_string(value));
  }
  void field(std::string_view key, double& value, Range<double>) override { put(key, number(value)); }
  void field(std::string_view key, std::string& value) override {
    out_ << YAML::Key << std::string(key) << YAML::Value << YAML::DoubleQuoted << value;
  }
  void field(std::string_view key, std::vector<std::string>& value) override {
    out_ << YAML::Key << std::string(key) << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& s : value) out_ << YAML::DoubleQuoted << s;
    out_ << YAML::EndSeq;
  }
  void field(std::string_view key, std::vector<double>& value) override {
    out_ << YAML::Key << std::string(key) << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (double x : value) out_ << number(x);
    out_ << YAML::EndSeq;
  }
  void choice(std::string_view key, std::string& value, const std::vector<std::string_view>&) override {
    put(key, value);
  }
  void section(std::string_view key, const std::function<void(Visitor&)>& body) override {
    out_ << YAML::Key << std::string(key) << YAML::Value << YAML::BeginMap;
    body(*this);
    out_ << YAML::EndMap;
  }
  void list(std::string_view key, size_t& count, const std::function<void(size_t)>&,
            const std::function<void(Visitor&, size_t)>& body) override {
    out_ << YAML::Key << std::string(key) << YAML::Value << YAML::BeginSeq;
    for (size_t i = 0; i < count; ++i) {
      out_ << YAML::BeginMap;
      body(*this, i);
      out_ << YAML::EndMap;
    }
    out_ << YAML::EndSeq;
  }

 private:
  static std::string number(double x) {
    if (std::isnan(x)) return ".nan";
    if (std::isinf(x)) return x > 0 ? ".inf" : "-.inf";
    std::string s = fmt::format("{}", x);  // shortest text that reads back exactly
    if (s.find_first_of(".e") == std::string::npos) s += ".0";
    return s;
  }
  void put(std::string_view key, const std::string& plain) {
    out_ << YAML::Key << std::string(key) << YAML::Value << plain;
  }

  YAML::Emitter& out_;
};

// "a.b.c=value" -> the YAML mapping {a: {b: {c: value}}}.
YAML::Node override_document(const std::string& assignment) {
  size_t eq = assignment.find('=');
  GRPO_CHECK(eq != std::string::npos && eq > 0, "--set ", assignment,
             ": expected key=value, for example loss.beta=0.04");
  std::string key = assignment.substr(0, eq);
  YAML::Node value;
  try {
    value = YAML::Load(assignment.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    GRPO_FAIL("--set ", assignment, ": the value is not valid YAML: ", e.msg);
  }
  std::vector<std::string> parts;
  std::stringstream keys(key);
  for (std::string part; std::getline(keys, part, '.');) {
    GRPO_CHECK(!part.empty(), "--set ", assignment, ": empty component in key '", key, "'");
    parts.push_back(part);
  }
  YAML::Node doc = value;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    YAML::Node parent(YAML::NodeType::Map);
    parent[*it] = doc;
    doc = parent;
  }
  return doc;
}

void read_node(const YAML::Node& root, std::string_view source, const Describe& describe) {
  if (!root || root.IsNull()) {
    Reader empty(YAML::Node(YAML::NodeType::Map), "", source);
    describe(empty);
    return;
  }
  if (!root.IsMap()) {
    YAML::Mark m = root.Mark();
    GRPO_FAIL(source, ":", m.line + 1, ":", m.column + 1, ": expected a mapping at the top level, got ",
              show(root));
  }
  Reader reader(root, "", source);
  describe(reader);
  reader.finish();
}

}  // namespace

// ---------------------------------------------------------------- public API

void read_yaml(std::string_view text, std::string_view source, const Describe& describe,
               const std::vector<std::string>& overrides) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    GRPO_FAIL(source, ":", e.mark.line + 1, ":", e.mark.column + 1, ": invalid YAML: ", e.msg);
  }
  read_node(root, source, describe);
  // Each override is read as its own one-key document on top of the values
  // read so far, so an unknown or ill-typed key names the --set that caused it.
  for (const auto& assignment : overrides)
    read_node(override_document(assignment), "--set " + assignment, describe);
}

std::string write_yaml(const Describe& describe) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  Writer writer(out);
  describe(writer);
  out << YAML::EndMap;
  GRPO_CHECK(out.good(), "could not render configuration as YAML: ", out.GetLastError());
  return std::string(out.c_str()) + "\n";
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  GRPO_CHECK(in.good(), path, ": cannot open file");
  std::ostringstream text;
  text << in.rdbuf();
  GRPO_CHECK(!in.bad(), path, ": read error");
  return text.str();
}

}  // namespace grpo::config
