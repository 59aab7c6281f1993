// The language table. Adding a language is one entry here: its source file,
// compiler argv (if any) and run argv, all paths inside the jail (whose /usr
// is the host's, read-only).
#include "sandbox/runner.h"

namespace grpo::sandbox {
namespace {

// Call tests: run the solution as a module, evaluate the call, and write its
// value as JSON to a file the judge reads outside the jail. The expected
// value never enters the jail, so nothing the solution does in here (an
// object equal to everything, a patched comparator, exiting early) can make
// a wrong answer pass: at most it makes the result missing or unserialisable.
constexpr const char* kPythonCallHarness = R"py(import json as _json

def _grpo_call():
    dumps = _json.dumps
    with open("/sandbox/.call", encoding="utf-8") as f:
        call = f.read()
    with open("/sandbox/main.py", encoding="utf-8") as f:
        source = f.read()
    scope = {"__name__": "solution", "__builtins__": __builtins__}
    exec(compile(source, "main.py", "exec"), scope)
    value = eval(compile(call, "<call>", "eval"), scope)
    text = dumps(value, allow_nan=False)
    with open("/sandbox/.result.json", "w", encoding="utf-8") as f:
        f.write(text)

_grpo_call()
)py";

}  // namespace

const std::vector<Language>& languages() {
  static const std::vector<Language> table = {
      {.name = "python",
       .source_file = "main.py",
       .run = {"/usr/bin/python3", "-I", "-B", "main.py"},
       .call_harness = kPythonCallHarness},
      {.name = "cpp",
       .source_file = "main.cpp",
       .compile = {"/usr/bin/g++", "-std=gnu++20", "-O2", "-pipe", "-o", "main", "main.cpp"},
       .artifact = "main",
       .run = {"/sandbox/main"}},
  };
  return table;
}

}  // namespace grpo::sandbox
