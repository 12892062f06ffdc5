#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "retort/config/config.h"
#include "retort/db/database.h"
#include "retort/plan/step.h"
#include "retort/revision/revision_map.h"
#include "retort/script/script.h"

namespace retort {

/// What to run: upgrade/downgrade to a target, or stamp.
struct RunRequest {
  PlannedStep::Kind kind = PlannedStep::Kind::kUpgrade;
  std::string target;                       ///< upgrade/downgrade
  std::vector<std::string> stamp_targets;   ///< stamp
  bool purge = false;                       ///< stamp --purge
};

/// A step that ran, with its wall-clock time.
struct StepOutcome {
  PlannedStep step;
  std::string label;       ///< "upgrade 8c4e51f0a2b3 add invoices"
  long long duration_ms = 0;
  bool transactional = true;
};

struct RunResult {
  std::vector<std::string> heads_before;  ///< after the lock was taken
  std::vector<std::string> heads_after;
  std::vector<StepOutcome> steps;
};

/// A step that failed and was rolled back (exit 1). what() is
/// "<file>:<line>:<column>: <server message>"; the rest is for reports.
class StepFailure : public Error {
 public:
  StepFailure(const std::string& message, std::string hint, std::string revision,
              std::string sqlstate, std::string statement, bool rolled_back)
      : Error(ExitCode::kStepFailed, message, std::move(hint)),
        revision_(std::move(revision)),
        sqlstate_(std::move(sqlstate)),
        statement_(std::move(statement)),
        rolled_back_(rolled_back) {}
  const std::string& revision() const { return revision_; }
  const std::string& sqlstate() const { return sqlstate_; }
  /// First line of the failing statement.
  const std::string& statement() const { return statement_; }
  /// False for a `transactional: false` step: what ran before stays.
  bool rolled_back() const { return rolled_back_; }

 private:
  std::string revision_, sqlstate_, statement_;
  bool rolled_back_;
};

/// Progress callback: called before a step (duration empty) and after it.
using ProgressFn = std::function<void(size_t index, size_t total, const StepOutcome& step,
                                      std::optional<long long> duration_ms)>;

/// Runs planned steps against a database, one transaction per step, under
/// the run lock (SPEC §5). The safety gates of SPEC §6 plug in where the
/// step says "gates".
class Runner {
 public:
  Runner(Database& db, const RevisionMap& map, const std::vector<Script>& scripts,
         const Config& config);

  /// Takes the run lock, reads the heads (so a runner that waited sees what
  /// the previous one applied), plans, runs every step, releases the lock.
  RunResult Run(const RunRequest& request, const ProgressFn& progress);

  /// Read-only: the current heads and the plan from them. No lock, nothing
  /// created.
  std::pair<std::vector<std::string>, std::vector<PlannedStep>> Preview(const RunRequest& request);

  /// The plan for `request` from `heads`; refuses heads this script
  /// directory does not know (the database is ahead of these scripts).
  std::vector<PlannedStep> Plan(const RunRequest& request, const std::vector<std::string>& heads) const;

  /// Runs one step in its own transaction and checks the version table
  /// moved. Public for `verify`, which drives steps one at a time.
  StepOutcome RunStep(const PlannedStep& step);

  /// "upgrade 8c4e51f0a2b3 add invoices".
  std::string Label(const PlannedStep& step) const;

 private:
  void ExecuteScript(const Script& script, bool upgrade, bool transactional);
  const Script& ScriptOf(const std::string& revision) const;

  Database& db_;
  const RevisionMap& map_;
  const std::vector<Script>& scripts_;
  const Config& config_;
};

/// Explains version-table rows this script directory does not have (Alembic
/// issue #691); throws Error(kInvalidProject) when there are any.
void RequireKnownHeads(const RevisionMap& map, const std::vector<std::string>& heads);

}  // namespace retort
