// Fuzz target: the config loader (retort.yaml, SPEC §3). The input is written
// to a scratch retort.yaml and read with LoadConfig, then database_url is
// expanded; a fixed environment defines DATABASE_URL and HOME only.
// Expected failures are retort::Error; anything else escaping is a bug.
#include <cstdint>
#include <optional>
#include <string>

#include "fuzz_support.h"
#include "retort/common/error.h"
#include "retort/config/config_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  static const std::string path = retort::fuzz::ScratchDir() + "/retort.yaml";
  retort::fuzz::WriteFile(path, text);
  const retort::EnvLookup env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "DATABASE_URL") return std::string("postgresql://u@localhost/db");
    if (name == "HOME") return std::string("/home/fuzz");
    return std::nullopt;
  };
  try {
    retort::Config config = retort::LoadConfig(path, env);
    if (config.database_url) (void)retort::ExpandDatabaseUrl(config, env);
  } catch (const retort::Error&) {
  }
  // Durations are also parsed on their own (command-line --lock-timeout etc.).
  (void)retort::ParseDuration(text);
  return 0;
}
