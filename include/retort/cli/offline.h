#pragma once
#include <optional>
#include <string>
#include <vector>

#include "retort/cli/project.h"
#include "retort/plan/step.h"

namespace retort {

/// The heads an offline (`--sql`) run starts from: none for base or no
/// FROM, else the one revision FROM names (Alembic's get_current_heads in
/// as_sql mode).
std::vector<std::string> OfflineStartingHeads(const Project& project,
                                              const std::optional<std::string>& from);

/// Splits "FROM:TO" at the first ':'; nullopt FROM when there is none.
/// Refuses more than one ':'.
std::pair<std::optional<std::string>, std::string> SplitRange(const std::string& spec);

/// Prints the offline SQL script for `steps` (text) or a JSON document with
/// the script and the plan; returns the exit code.
int EmitOfflineSql(const Project& project, const GlobalOptions& global, const std::string& command,
                   const std::vector<PlannedStep>& steps,
                   const std::vector<std::string>& initial_heads);

}  // namespace retort
