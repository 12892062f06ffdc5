#pragma once
#include <functional>
#include <optional>
#include <string>

#include "retort/config/config.h"

namespace retort {

/// Reads an environment variable; nullopt when it is not set. Injected so
/// that tests and the CLI decide where variables come from.
using EnvLookup =
    std::function<std::optional<std::string>(const std::string&)>;

/// The process environment (getenv).
EnvLookup ProcessEnv();

/// Which retort.yaml to read: the -c/--config flag, else $RETORT_CONFIG
/// (when non-empty), else "retort.yaml" in the current directory.
std::string FindConfigPath(const std::optional<std::string>& flag,
                           const EnvLookup& env);

/// Reads retort.yaml (SPEC §3) and expands ${VAR} in every string value
/// except database_url (see ExpandDatabaseUrl). Throws ProjectError
/// "<path>:<line>:<column>: ..." naming the key for any problem, or
/// "<path>: cannot read config: <reason>" when the file cannot be read.
Config LoadConfig(const std::string& path, const EnvLookup& env);

/// config.database_url with ${VAR} expanded. Kept apart from LoadConfig so
/// that commands needing no database work while DATABASE_URL is unset.
/// Throws ProjectError when database_url is absent or names an unset
/// variable (with retort.yaml's file:line:column).
std::string ExpandDatabaseUrl(const Config& config, const EnvLookup& env);

/// "60s", "250ms", "2m", "1h", "0" or a whole number of seconds, in
/// milliseconds; nullopt for anything else (or above INT_MAX ms, the most
/// PostgreSQL's timeouts take).
std::optional<long> ParseDuration(const std::string& text);

/// The commented retort.yaml that `retort init` writes: every key with its
/// default, database_url: ${DATABASE_URL}.
std::string DefaultConfigText();

}  // namespace retort
