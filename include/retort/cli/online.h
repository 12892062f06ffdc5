#pragma once
#include <optional>
#include <string>

#include "retort/cli/app.h"
#include "retort/exec/runner.h"

namespace retort {

struct OnlineOptions {
  bool dry_run = false;
  /// --confirm KEY=COUNT[,...]: the reviewed destructive targets.
  std::optional<std::string> confirm;
};

/// upgrade / downgrade / stamp against the database: connect, then either
/// preview (dry run: read-only; heads, steps, statements with their lock
/// levels, findings, destructive targets with live counts and the --confirm
/// argument) or run under the lock with every gate, progress on stderr and
/// results on stdout (text or one JSON document). Returns the exit code.
int RunOnline(const GlobalOptions& global, const std::string& command, const RunRequest& request,
              const OnlineOptions& options);

}  // namespace retort
