#include "retort/cli/connect.h"

#include "retort/config/config_loader.h"
#include "retort/db/pg_module.h"

namespace retort {

std::string ResolveDatabaseUrl(const GlobalOptions& global, const Config& config) {
  if (global.url && !global.url->empty()) return *global.url;
  EnvLookup env = ProcessEnv();
  if (std::optional<std::string> url = env("DATABASE_URL"); url && !url->empty()) return *url;
  if (!config.database_url) {
    throw ProjectError("no database to connect to",
                       "pass --url, set DATABASE_URL, or set database_url in " +
                           (config.config_path.empty() ? std::string("retort.yaml") : config.config_path));
  }
  return ExpandDatabaseUrl(config, env);
}

std::unique_ptr<Database> ConnectDatabase(const GlobalOptions& global, const Config& config) {
  return LoadPgModule().connect(ResolveDatabaseUrl(global, config), config);
}

}  // namespace retort
