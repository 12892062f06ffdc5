#pragma once
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "retort/config/config.h"
#include "retort/db/database.h"
#include "retort/exec/preflight.h"
#include "retort/gate/finding.h"
#include "retort/plan/step.h"
#include "retort/revision/revision_map.h"
#include "retort/script/script.h"
#include "retort/sql/statement_analysis.h"

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
  /// The in-step gates' warnings (waived findings, unique-without-tenant);
  /// a step with an error finding is refused, not an outcome.
  std::vector<Finding> findings;
  /// The round trip ran and restored the schema (false for stamps and
  /// transactional: false steps, which cannot be proved by one).
  bool inverse_proved = false;
};

struct RunResult {
  std::vector<std::string> heads_before;  ///< after the lock was taken
  std::vector<std::string> heads_after;
  std::vector<StepOutcome> steps;
  /// Static findings over the pending steps that did not block (warnings).
  std::vector<Finding> static_findings;
  /// The destructive pre-flight: what was confirmed.
  std::vector<DestructiveTarget> destructive;
  /// Catalog gates over every table of the managed schemas after the run
  /// (tables no step touched included): reported, they do not undo steps.
  std::vector<Finding> audit;
};

/// What a run would do, read-only (the dry run).
struct RunPreview {
  std::vector<std::string> heads;
  std::vector<PlannedStep> steps;
  std::vector<Finding> findings;               ///< static gates over the pending steps
  std::vector<DestructiveTarget> destructive;  ///< with live row counts
};

/// How much gating a run does.
struct GateOptions {
  /// Static gates, the destructive pre-flight and the in-step gates (catalog,
  /// isolation probe, round trip). Off only for stamps, which run no SQL.
  bool enabled = true;
  /// Asked when the pre-flight found destructive statements: returns to go
  /// on, throws GateRefusal to stop. Unset: refused (exit 4). `verify`
  /// (scratch database) sets one that accepts.
  using Confirm = std::function<void(const std::vector<DestructiveTarget>&)>;
  Confirm confirm;
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
  /// `scripts` may hold metadata only: the SQL of the steps to run is read
  /// when they are planned (a no-op run reads no SQL file).
  Runner(Database& db, const RevisionMap& map, std::vector<Script>& scripts, const Config& config,
         GateOptions gates = {});

  /// Takes the run lock, reads the heads (so a runner that waited sees what
  /// the previous one applied), plans, runs every step, releases the lock.
  RunResult Run(const RunRequest& request, const ProgressFn& progress);

  /// Read-only: the current heads, the plan from them, the static findings
  /// and the destructive targets with live counts. No lock, nothing created.
  RunPreview Preview(const RunRequest& request);

  /// The analysed statements of a revision's upgrade.sql or downgrade.sql
  /// (read and parsed once). Throws ProjectError on a syntax error.
  const std::vector<AnalyzedStatement>& Statements(const std::string& revision, bool upgrade);
  /// The analysis behind Statements, a syntax error kept (the static gates
  /// report it as a finding).
  const ScriptAnalysis& Analysis(const std::string& revision, bool upgrade);

  /// The plan for `request` from `heads`; refuses heads this script
  /// directory does not know (the database is ahead of these scripts).
  std::vector<PlannedStep> Plan(const RunRequest& request, const std::vector<std::string>& heads) const;

  /// Runs one step in its own transaction, with the in-step gates, and
  /// checks the version table moved. Public for `verify`, which drives steps
  /// one at a time. A gate error rolls the step back: GateRefusal (exit 4).
  StepOutcome RunStep(const PlannedStep& step);

  /// Static gates over the revisions of `steps` (both files of each; the
  /// destructive findings only of the file that runs). Waivers applied.
  std::vector<Finding> CheckStatically(const std::vector<PlannedStep>& steps);

  /// The destructive statements of the files `steps` run, counted live.
  std::vector<DestructiveTarget> Preflight(const std::vector<PlannedStep>& steps);

  /// "upgrade 8c4e51f0a2b3 add invoices".
  std::string Label(const PlannedStep& step) const;

 private:
  /// Runs one of a script's files in the step (or, not transactional,
  /// outside any transaction). With `scope`, first reads the fingerprint of
  /// that scope into `*before`, in the same round trip when it can.
  void ExecuteScript(const Script& script, bool upgrade, bool transactional, const FingerprintScope* scope = nullptr,
                     std::vector<std::string>* before = nullptr);
  /// ProjectError when the file to run is a downgrade the revision lacks.
  void RequireFile(const Script& script, bool upgrade) const;
  /// The step failure of a statement the server rejected, at its
  /// file:line:column.
  StepFailure FailureAt(const Script& script, bool upgrade, const StatementSpan& span, const StatementError& e,
                        bool transactional) const;
  const Script& ScriptOf(const std::string& revision) const;
  Script& LoadedScript(const std::string& revision);

  Database& db_;
  const RevisionMap& map_;
  std::vector<Script>& scripts_;
  const Config& config_;
  GateOptions gates_;
  /// Parsed scripts by (node, upgrade?): each file parsed once per run.
  std::map<std::pair<int, bool>, ScriptAnalysis> analyses_;
  /// The fingerprint of the schema as the last committed step left it (the
  /// next step's "before"); empty when unknown.
  std::vector<std::string> fingerprint_;
  bool fingerprint_known_ = false;
};

/// Explains version-table rows this script directory does not have (Alembic
/// issue #691); throws Error(kInvalidProject) when there are any.
void RequireKnownHeads(const RevisionMap& map, const std::vector<std::string>& heads);

}  // namespace retort
