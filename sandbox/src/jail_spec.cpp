// CBOR forms of the launcher's spec and report. File contents travel as CBOR
// byte strings, so programs and compiled binaries need no escaping.
#include <nlohmann/json.hpp>

#include "jail.h"
#include "libgrpo/error.h"

namespace grpo::sandbox::jail {

using nlohmann::json;

namespace {

json bytes(const std::string& s) { return json::binary(std::vector<uint8_t>(s.begin(), s.end())); }

std::string from_bytes(const json& j) {
  const auto& b = j.get_binary();
  return std::string(b.begin(), b.end());
}

json parse_cbor(std::string_view cbor, const char* what) {
  json j = json::from_cbor(cbor.begin(), cbor.end(), /*strict=*/true, /*allow_exceptions=*/false);
  GRPO_CHECK(!j.is_discarded() && j.is_object(), "malformed ", what, " (", cbor.size(), " bytes of CBOR)");
  return j;
}

}  // namespace

std::string encode(const Spec& s) {
  json files = json::array();
  for (const File& f : s.files) files.push_back({{"path", f.path}, {"content", bytes(f.content)}, {"mode", f.mode}});
  json j = {{"argv", s.argv},           {"env", s.env},
            {"files", files},           {"collect", s.collect},
            {"collect_max_bytes", s.collect_max_bytes},
            {"cpu_ms", s.cpu_ms},       {"wall_ms", s.wall_ms},
            {"memory_mb", s.memory_mb}, {"processes", s.processes},
            {"file_mb", s.file_mb},     {"work_dir_mb", s.work_dir_mb},
            {"open_files", s.open_files}, {"use_cgroups", s.use_cgroups},
            {"binds", s.binds}};
  std::vector<uint8_t> out = json::to_cbor(j);
  return std::string(out.begin(), out.end());
}

Spec decode_spec(std::string_view cbor) {
  json j = parse_cbor(cbor, "jail spec");
  try {
    Spec s;
    s.argv = j.at("argv").get<std::vector<std::string>>();
    s.env = j.at("env").get<std::vector<std::string>>();
    for (const json& f : j.at("files"))
      s.files.push_back({f.at("path").get<std::string>(), from_bytes(f.at("content")), f.at("mode").get<uint32_t>()});
    s.collect = j.at("collect").get<std::vector<std::string>>();
    s.collect_max_bytes = j.at("collect_max_bytes").get<int64_t>();
    s.cpu_ms = j.at("cpu_ms").get<int64_t>();
    s.wall_ms = j.at("wall_ms").get<int64_t>();
    s.memory_mb = j.at("memory_mb").get<int64_t>();
    s.processes = j.at("processes").get<int64_t>();
    s.file_mb = j.at("file_mb").get<int64_t>();
    s.work_dir_mb = j.at("work_dir_mb").get<int64_t>();
    s.open_files = j.at("open_files").get<int64_t>();
    s.use_cgroups = j.at("use_cgroups").get<bool>();
    s.binds = j.at("binds").get<std::vector<std::string>>();
    GRPO_CHECK(!s.argv.empty(), "jail spec: argv is empty");
    return s;
  } catch (const json::exception& e) {
    GRPO_FAIL("malformed jail spec: ", e.what());
  }
}

std::string encode(const Report& r) {
  json files = json::object();
  for (const auto& [path, content] : r.files) files[path] = bytes(content);
  json j = {{"error", r.error},         {"exit_code", r.exit_code},   {"signal", r.signal},
            {"wall_timeout", r.wall_timeout}, {"cancelled", r.cancelled}, {"oom", r.oom},
            {"cgroup", r.cgroup},       {"cpu_ms", r.cpu_ms},         {"wall_ms", r.wall_ms},
            {"max_rss_kb", r.max_rss_kb}, {"files", files}};
  std::vector<uint8_t> out = json::to_cbor(j);
  return std::string(out.begin(), out.end());
}

Report decode_report(std::string_view cbor) {
  json j = parse_cbor(cbor, "jail report");
  try {
    Report r;
    r.error = j.at("error").get<std::string>();
    r.exit_code = j.at("exit_code").get<int>();
    r.signal = j.at("signal").get<int>();
    r.wall_timeout = j.at("wall_timeout").get<bool>();
    r.cancelled = j.at("cancelled").get<bool>();
    r.oom = j.at("oom").get<bool>();
    r.cgroup = j.at("cgroup").get<bool>();
    r.cpu_ms = j.at("cpu_ms").get<int64_t>();
    r.wall_ms = j.at("wall_ms").get<int64_t>();
    r.max_rss_kb = j.at("max_rss_kb").get<int64_t>();
    for (const auto& [path, content] : j.at("files").items()) r.files[path] = from_bytes(content);
    return r;
  } catch (const json::exception& e) {
    GRPO_FAIL("malformed jail report: ", e.what());
  }
}

}  // namespace grpo::sandbox::jail
