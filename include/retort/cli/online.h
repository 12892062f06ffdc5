#pragma once
#include "retort/cli/app.h"
#include "retort/exec/runner.h"

namespace retort {

/// upgrade / downgrade / stamp against the database: connect, then either
/// preview (dry run: read-only, prints heads, steps and statements) or run
/// under the lock with progress on stderr and results on stdout (text or
/// one JSON document). Returns the exit code.
int RunOnline(const GlobalOptions& global, const std::string& command, const RunRequest& request,
              bool dry_run);

}  // namespace retort
