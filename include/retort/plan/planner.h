#pragma once
#include <string>
#include <vector>

#include "retort/plan/step.h"
#include "retort/revision/revision_map.h"

namespace retort {

/// The steps that take a database whose version table holds `current_heads`
/// to `destination` (Alembic's ScriptDirectory._upgrade_revs), oldest first,
/// each with its exact version-table row changes. Throws ProjectError (exit
/// 3) worded as Alembic's command layer words it.
std::vector<PlannedStep> PlanUpgrade(const RevisionMap& map, const std::string& destination,
                                     const std::vector<std::string>& current_heads);

/// Alembic's _downgrade_revs: newest first.
std::vector<PlannedStep> PlanDowngrade(const RevisionMap& map, const std::string& destination,
                                       const std::vector<std::string>& current_heads);

/// Alembic's _stamp_revs: version-table moves that run no script.
std::vector<PlannedStep> PlanStamp(const RevisionMap& map, const std::vector<std::string>& destinations,
                                   const std::vector<std::string>& current_heads);

/// The step that runs one revision's upgrade or downgrade (changes not yet
/// assigned): what `verify` uses to walk a plan back and forth.
PlannedStep MakeRevisionStep(const RevisionMap& map, int node, bool upgrade);

/// Fills `changes` and `heads_after` of each step by replaying them on
/// `heads` the way Alembic's HeadMaintainer does.
void AssignVersionChanges(const RevisionMap& map, std::vector<std::string> heads,
                          std::vector<PlannedStep>& steps);

/// "upgrade", "downgrade" or "stamp".
const char* StepKindName(PlannedStep::Kind kind);

/// "upgrade a, b -> c" (Alembic's MigrationStep.short_log).
std::string ShortLog(const PlannedStep& step);

}  // namespace retort
