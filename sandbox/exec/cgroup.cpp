// Per-run cgroups: memory and process-count limits that hold for the whole
// process tree, on cgroup v1 (memory and pids hierarchies) or on a delegated
// cgroup v2 subtree. Rlimits still apply where neither is available.
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "launcher.h"
#include "libgrpo/error.h"

namespace grpo::sandbox::launcher {
namespace fs = std::filesystem;
namespace {

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool write_text(const fs::path& p, const std::string& value) {
  std::ofstream out(p);
  out << value;
  out.flush();
  return bool(out);
}

// "key value" lines (memory.events, memory.oom_control).
int64_t field(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string k;
  int64_t v;
  while (in >> k >> v)
    if (k == key) return v;
  return 0;
}

int64_t number(const fs::path& p) {
  try {
    return std::stoll(read_text(p));
  } catch (...) {
    return 0;
  }
}

// Our own cgroup per controller, from /proc/self/cgroup: "4:memory:/a/b" (v1)
// or "0::/a/b" (v2, keyed "").
std::map<std::string, std::string> own_cgroups() {
  std::map<std::string, std::string> out;
  std::istringstream in(read_text("/proc/self/cgroup"));
  for (std::string line; std::getline(in, line);) {
    auto a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    std::istringstream names(controllers);
    for (std::string name; std::getline(names, name, ',');) out[name] = path;
    if (controllers.empty()) out[""] = path;
  }
  return out;
}

std::string run_name() { return "grpo-sandbox-" + std::to_string(::getpid()); }

}  // namespace

std::optional<Cgroup> Cgroup::create(const jail::Spec& spec) {
  auto own = own_cgroups();
  const std::string memory = std::to_string(spec.memory_mb << 20);
  const std::string pids = std::to_string(spec.processes + 1);  // + init
  Cgroup cg;
  // v1: separate memory and pids hierarchies.
  fs::path mem = fs::path("/sys/fs/cgroup/memory") / fs::path(own["memory"]).relative_path() / run_name();
  fs::path pid = fs::path("/sys/fs/cgroup/pids") / fs::path(own["pids"]).relative_path() / run_name();
  std::error_code ec;
  if (own.count("memory") && own.count("pids") && fs::create_directory(mem, ec) && !ec) {
    cg.dirs_["memory"] = mem;
    if (!fs::create_directory(pid, ec) || ec) return std::nullopt;  // ~Cgroup removes mem
    cg.dirs_["pids"] = pid;
    bool ok = write_text(mem / "memory.limit_in_bytes", memory) && write_text(pid / "pids.max", pids);
    if (fs::exists(mem / "memory.memsw.limit_in_bytes")) write_text(mem / "memory.memsw.limit_in_bytes", memory);
    if (!ok) return std::nullopt;
    return cg;
  }
  // v2: only where memory and pids are already delegated to our subtree.
  if (own.count("")) {
    fs::path base = fs::path("/sys/fs/cgroup") / fs::path(own[""]).relative_path();
    std::string control = read_text(base / "cgroup.subtree_control");
    if (control.find("memory") == std::string::npos || control.find("pids") == std::string::npos)
      return std::nullopt;
    fs::path dir = base / run_name();
    if (!fs::create_directory(dir, ec) || ec) return std::nullopt;
    cg.dirs_["v2"] = dir;
    if (!write_text(dir / "memory.max", memory) || !write_text(dir / "pids.max", pids)) return std::nullopt;
    write_text(dir / "memory.swap.max", "0");
    return cg;
  }
  return std::nullopt;
}

Cgroup::Cgroup(Cgroup&& o) noexcept : dirs_(std::move(o.dirs_)) { o.dirs_.clear(); }

Cgroup::~Cgroup() {
  // The jail's processes are gone once init has been reaped; the kernel may
  // still be tearing the last ones down, hence the short retry.
  for (const auto& [_, dir] : dirs_) {
    for (int attempt = 0; attempt < 50 && ::rmdir(dir.c_str()) != 0 && errno == EBUSY; ++attempt)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

void Cgroup::add(pid_t pid) const {
  for (const auto& [_, dir] : dirs_)
    GRPO_CHECK(write_text(fs::path(dir) / "cgroup.procs", std::to_string(pid)), "cannot move the jail into ", dir);
}

bool Cgroup::oom() const {
  if (auto it = dirs_.find("memory"); it != dirs_.end()) {
    fs::path dir = it->second;
    // failcnt also counts reclaim that succeeded, so it is not proof of a kill.
    return field(read_text(dir / "memory.oom_control"), "oom_kill") > 0;
  }
  if (auto it = dirs_.find("v2"); it != dirs_.end()) {
    std::string events = read_text(fs::path(it->second) / "memory.events");
    return field(events, "oom_kill") > 0;
  }
  return false;
}

int64_t Cgroup::peak_kb() const {
  if (auto it = dirs_.find("memory"); it != dirs_.end())
    return number(fs::path(it->second) / "memory.max_usage_in_bytes") / 1024;
  if (auto it = dirs_.find("v2"); it != dirs_.end()) return number(fs::path(it->second) / "memory.peak") / 1024;
  return 0;
}

}  // namespace grpo::sandbox::launcher
