// Finds and loads libretort-pg.so (see pg_module.h for why it is separate).
#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "retort/common/error.h"
#include "retort/common/version.h"
#include "retort/db/pg_module.h"

// Both set by CMake from the install rules, so the two cannot disagree.
#ifndef RETORT_PG_MODULE_FILE
#error "RETORT_PG_MODULE_FILE (the module's file name) must be defined"
#endif
#ifndef RETORT_PG_MODULE_DIR_FROM_BIN
#error "RETORT_PG_MODULE_DIR_FROM_BIN (the module's directory relative to the binary's) must be defined"
#endif

namespace retort {
namespace {

constexpr char kHint[] =
    "the module is part of retort: reinstall it, or set RETORT_PG_MODULE to the path of " RETORT_PG_MODULE_FILE;

/// The directory of the running binary, from /proc/self/exe (symlinks
/// resolved, so a link to the binary in another directory still finds the
/// module); "" if unknown.
std::string BinaryDir() {
  std::string path(4096, '\0');
  const ssize_t n = readlink("/proc/self/exe", path.data(), path.size());
  if (n <= 0 || static_cast<size_t>(n) >= path.size()) return {};
  path.resize(static_cast<size_t>(n));
  return path.substr(0, path.rfind('/'));
}

/// Where to look, in order: the variable alone when set, else the install
/// layout, then the build tree (module and binary in one directory).
std::vector<std::string> Candidates() {
  if (const char* env = std::getenv("RETORT_PG_MODULE"); env != nullptr && *env != '\0') return {env};
  const std::string dir = BinaryDir();
  if (dir.empty()) return {};
  return {dir + "/" RETORT_PG_MODULE_DIR_FROM_BIN "/" RETORT_PG_MODULE_FILE,
          dir + "/" RETORT_PG_MODULE_FILE};
}

const PgModule* Load() {
  const std::vector<std::string> candidates = Candidates();
  for (const std::string& path : candidates) {
    if (access(path.c_str(), F_OK) != 0) continue;
    // RTLD_NOW: a missing libpq fails here, with its name, not at first use.
    // RTLD_LOCAL: the module's copies of retort's own code stay private.
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      throw Error(ExitCode::kUnreachable,
                  "cannot load the PostgreSQL module " + path + ": " + dlerror(), kHint);
    }
    using Entry = const PgModule* (*)();
    auto entry = reinterpret_cast<Entry>(dlsym(handle, kPgModuleEntry));
    const PgModule* module = entry != nullptr ? entry() : nullptr;
    if (module == nullptr) {
      throw Error(ExitCode::kUnreachable,
                  "cannot load the PostgreSQL module " + path + ": no " + kPgModuleEntry + " in it", kHint);
    }
    // The binary and the module pass C++ objects to each other: they must
    // come from the same build.
    if (std::strcmp(module->version, kVersion) != 0) {
      throw Error(ExitCode::kUnreachable,
                  "cannot use the PostgreSQL module " + path + ": it is from retort " + module->version +
                      ", this is retort " + kVersion,
                  kHint);
    }
    return module;
  }
  if (candidates.empty()) {
    throw Error(ExitCode::kUnreachable,
                "cannot load the PostgreSQL module: the directory of the retort binary is unknown", kHint);
  }
  std::string tried;
  for (const std::string& path : candidates) tried += (tried.empty() ? "" : ", ") + path;
  throw Error(ExitCode::kUnreachable, "cannot load the PostgreSQL module: not found (looked for " + tried + ")",
              kHint);
}

}  // namespace

const PgModule& LoadPgModule() {
  static const PgModule* const module = Load();  // a failed load throws and is retried next call
  return *module;
}

}  // namespace retort
