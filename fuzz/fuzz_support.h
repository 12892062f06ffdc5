#pragma once
// Shared helpers for the libFuzzer targets (fuzz/*.cc).
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace retort::fuzz {

/// A private scratch folder for the process, made once (libFuzzer runs
/// every input in the same process) and removed at exit.
inline const std::string& ScratchDir() {
  static const std::string dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/retort-fuzz.XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    static std::string keep = pattern;
    std::atexit([] { std::system(("rm -rf -- '" + keep + "'").c_str()); });
    return pattern;
  }();
  return dir;
}

inline void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) std::abort();
}

}  // namespace retort::fuzz
