#pragma once
#include <vector>

#include "retort/gate/finding.h"
#include "retort/revision/revision_map.h"
#include "retort/script/script.h"
#include "retort/sql/statement_analysis.h"

namespace retort {

/// The static gates of SPEC §6 for one revision, from its files and
/// PostgreSQL's parse tree, no database: downgrade-missing, downgrade-stub,
/// sql-syntax, delete-without-where, update-without-where, transaction-control,
/// non-transactional-in-transaction, and destructive (severity kConfirm).
/// The script's SQL must be loaded (ReadScriptSql).
std::vector<Finding> CheckRevisionStatically(const Script& script, const RevisionNode& node);
/// The same from analyses made once (`down` null when the revision has no
/// downgrade.sql): a run parses each file once for every use.
std::vector<Finding> CheckRevisionStatically(const Script& script, const RevisionNode& node,
                                             const ScriptAnalysis& up, const ScriptAnalysis* down);

/// Project-wide static findings: several heads (warning: a deploy of
/// `upgrade head` would fail; merge them).
std::vector<Finding> CheckGraphStatically(const RevisionMap& map);

}  // namespace retort
