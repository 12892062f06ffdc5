#pragma once
// Findings in the two output formats (SPEC §7): text grouped with file:line,
// and the JSON objects every command's document carries.
#include <ostream>
#include <vector>

#include <nlohmann/json.hpp>

#include "retort/exec/preflight.h"
#include "retort/gate/finding.h"

namespace retort {

/// One finding as JSON: id, severity, revision, file, line, table, message,
/// hint, waived_because, details.
nlohmann::json FindingJson(const Finding& finding);
nlohmann::json FindingsJson(const std::vector<Finding>& findings);

/// Every finding's text report (FormatFindingReport), one after another.
void PrintFindings(std::ostream& out, const std::vector<Finding>& findings);

/// One destructive target as JSON: key, what, rows, counted, exists,
/// revision, file, line, statement.
nlohmann::json DestructiveJson(const std::vector<DestructiveTarget>& targets);

/// The pre-flight report: each target with its live count, then the
/// --confirm argument that matches them.
void PrintPreflight(std::ostream& out, const std::vector<DestructiveTarget>& targets);

}  // namespace retort
