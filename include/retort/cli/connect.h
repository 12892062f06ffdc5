#pragma once
#include <memory>
#include <string>

#include "retort/cli/app.h"
#include "retort/config/config.h"
#include "retort/db/database.h"

namespace retort {

/// The database URL to use: --url, else $DATABASE_URL, else database_url
/// from retort.yaml (with ${VAR} expanded). Throws ProjectError when none.
std::string ResolveDatabaseUrl(const GlobalOptions& global, const Config& config);

/// Connects with the resolved URL (application_name=retort). Throws
/// Error(kUnreachable) with the password masked.
std::unique_ptr<Database> ConnectDatabase(const GlobalOptions& global, const Config& config);

}  // namespace retort
