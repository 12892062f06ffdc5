// The step loop of SPEC §5: lock, read heads, plan, then one transaction per
// step with the version-table change and a history row, verified after
// COMMIT.
#include "retort/exec/runner.h"

#include <algorithm>
#include <chrono>

#include "retort/common/text.h"
#include "retort/exec/fingerprint_scope.h"
#include "retort/exec/step_gates.h"
#include "retort/gate/catalog_gates.h"
#include "retort/gate/fixtures.h"
#include "retort/gate/static_gates.h"
#include "retort/output/listing.h"
#include "retort/plan/planner.h"
#include "retort/script/checksum.h"
#include "retort/script/script_directory.h"

namespace retort {
namespace {

using Clock = std::chrono::steady_clock;

long long MillisSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

/// COPY needs the simple protocol: such a script cannot be pipelined.
bool HasCopy(const std::vector<AnalyzedStatement>& statements) {
  return std::any_of(statements.begin(), statements.end(),
                     [](const AnalyzedStatement& s) { return s.node_type == "CopyStmt"; });
}

}  // namespace

void RequireKnownHeads(const RevisionMap& map, const std::vector<std::string>& heads) {
  std::vector<std::string> unknown;
  for (const std::string& h : heads) {
    if (!map.FindId(h)) unknown.push_back(h);
  }
  if (unknown.empty()) return;
  throw ProjectError(
      "the database is at revision " + Join(unknown, ", ") +
          ", which this script directory does not have: the database is ahead of these scripts",
      "it was migrated by a newer checkout (or another branch). Deploy that checkout, or run its "
      "'retort downgrade' to a revision both share; 'retort stamp' only if you know the schema "
      "matches");
}

Runner::Runner(Database& db, const RevisionMap& map, std::vector<Script>& scripts, const Config& config,
               GateOptions gates)
    : db_(db), map_(map), scripts_(scripts), config_(config), gates_(std::move(gates)) {}

const Script& Runner::ScriptOf(const std::string& revision) const {
  return scripts_[static_cast<size_t>(*map_.FindId(revision))];
}

Script& Runner::LoadedScript(const std::string& revision) {
  Script& script = scripts_[static_cast<size_t>(*map_.FindId(revision))];
  ReadScriptSql(script);
  return script;
}

const ScriptAnalysis& Runner::Analysis(const std::string& revision, bool upgrade) {
  const auto key = std::make_pair(*map_.FindId(revision), upgrade);
  auto it = analyses_.find(key);
  if (it != analyses_.end()) return it->second;
  const Script& script = LoadedScript(revision);
  ScriptAnalysis analysis;  // no downgrade.sql: no statements
  if (upgrade || script.has_downgrade) analysis = AnalyzeScript(upgrade ? script.upgrade_sql : script.downgrade_sql);
  return analyses_.emplace(key, std::move(analysis)).first->second;
}

const std::vector<AnalyzedStatement>& Runner::Statements(const std::string& revision, bool upgrade) {
  const ScriptAnalysis& analysis = Analysis(revision, upgrade);
  if (const auto& e = analysis.syntax_error) {
    throw ProjectError(ScriptOf(revision).ShownSqlPath(upgrade) + ":" + std::to_string(e->line()) + ":" +
                       std::to_string(e->column()) + ": syntax error in revision " + revision + ": " + e->what());
  }
  return analysis.statements;
}

std::vector<Finding> Runner::CheckStatically(const std::vector<PlannedStep>& steps) {
  std::vector<Finding> findings;
  for (const PlannedStep& step : steps) {
    if (step.kind == PlannedStep::Kind::kStamp) continue;
    const bool upgrade = step.kind == PlannedStep::Kind::kUpgrade;
    const Script& script = LoadedScript(step.revision);
    const std::string running = script.ShownSqlPath(upgrade);
    const RevisionNode& node = map_.node(*map_.FindId(step.revision));
    const ScriptAnalysis* down = script.has_downgrade ? &Analysis(step.revision, false) : nullptr;
    for (Finding& f : CheckRevisionStatically(script, node, Analysis(step.revision, true), down)) {
      // A destructive statement matters in the file that runs; the other
      // file's are the inverse's business (its own pre-flight).
      if (f.severity == Severity::kConfirm && f.file != running) continue;
      findings.push_back(std::move(f));
    }
    if (upgrade) {
      for (Finding& f : CheckFixturesStatically(map_, scripts_, *map_.FindId(step.revision), config_.tenancy,
                                                Analysis(step.revision, true))) {
        findings.push_back(std::move(f));
      }
    }
  }
  ApplyWaivers(findings, config_.waivers);
  return findings;
}

std::vector<DestructiveTarget> Runner::Preflight(const std::vector<PlannedStep>& steps) {
  std::vector<PendingDestructive> ops;
  for (const PlannedStep& step : steps) {
    if (step.kind == PlannedStep::Kind::kStamp) continue;
    const bool upgrade = step.kind == PlannedStep::Kind::kUpgrade;
    const Script& script = LoadedScript(step.revision);
    for (const AnalyzedStatement& s : Statements(step.revision, upgrade)) {
      for (const DestructiveOp& op : s.destructive) {
        ops.push_back(PendingDestructive{op, step.revision, script.ShownSqlPath(upgrade), s.span.line,
                                         FirstLine(s.span.text)});
      }
    }
  }
  if (ops.empty()) return {};
  const std::string schema = config_.tenancy.schemas.empty() ? "public" : config_.tenancy.schemas.front();
  return CountDestructiveTargets(db_, ops, schema);
}

std::string Runner::Label(const PlannedStep& step) const {
  switch (step.kind) {
    case PlannedStep::Kind::kUpgrade:
      return "upgrade " + step.revision + " " + Doc(ScriptOf(step.revision).revision);
    case PlannedStep::Kind::kDowngrade:
      return "downgrade " + step.revision + " " + Doc(ScriptOf(step.revision).revision);
    case PlannedStep::Kind::kStamp:
      return "stamp " + Join(step.from_no_deps, ", ") + " -> " + Join(step.to_no_deps, ", ");
  }
  return "";
}

std::vector<PlannedStep> Runner::Plan(const RunRequest& request,
                                      const std::vector<std::string>& heads) const {
  if (!(request.kind == PlannedStep::Kind::kStamp && request.purge)) RequireKnownHeads(map_, heads);
  switch (request.kind) {
    case PlannedStep::Kind::kUpgrade: return PlanUpgrade(map_, request.target, heads);
    case PlannedStep::Kind::kDowngrade: return PlanDowngrade(map_, request.target, heads);
    case PlannedStep::Kind::kStamp:
      return PlanStamp(map_, request.stamp_targets,
                       request.purge ? std::vector<std::string>{} : heads);
  }
  return {};
}

RunPreview Runner::Preview(const RunRequest& request) {
  RunPreview preview;
  preview.heads = db_.ReadHeads();
  preview.steps = Plan(request, preview.heads);
  if (gates_.enabled) {
    preview.findings = CheckStatically(preview.steps);
    // A script that does not parse is a finding already; counting needs
    // every script parsed.
    if (!HasBlocking(preview.findings)) preview.destructive = Preflight(preview.steps);
  }
  return preview;
}

RunResult Runner::Run(const RunRequest& request, const ProgressFn& progress) {
  struct LockGuard {
    Database& db;
    ~LockGuard() { db.ReleaseRunLock(); }
  };
  db_.AcquireRunLock(config_.lock_wait_ms);
  LockGuard guard{db_};

  RunResult result;
  result.heads_before = db_.ReadHeads();
  std::vector<PlannedStep> steps = Plan(request, result.heads_before);
  if (gates_.enabled && !steps.empty()) {
    // Before anything runs: the static gates over every pending step, then
    // the destructive pre-flight with live counts (SPEC §6).
    std::vector<Finding> findings = CheckStatically(steps);
    if (HasBlocking(findings)) {
      throw GateRefusal("refused before anything ran: the pending steps fail the static gates", findings,
                        "nothing was applied; fix the findings above (retort lint shows them without a "
                        "database)");
    }
    result.static_findings = std::move(findings);
    result.destructive = Preflight(steps);
    if (!result.destructive.empty()) {
      if (!gates_.confirm) {
        throw GateRefusal("refused before anything ran: destructive statements need confirmation", {},
                          "review a dry run and pass its --confirm argument");
      }
      try {
        gates_.confirm(result.destructive);
      } catch (const GateRefusal& e) {
        // The refusal carries the destructive findings it is about.
        std::vector<Finding> destructive;
        for (const Finding& f : result.static_findings) {
          if (f.severity == Severity::kConfirm) destructive.push_back(f);
        }
        throw GateRefusal(e.what(), destructive, e.hint());
      }
    }
  }
  // Like Alembic, upgrade/downgrade/stamp create the version table when the
  // database has no heads; `current` never does.
  if (result.heads_before.empty() || request.purge) db_.EnsureVersionTable();
  db_.EnsureHistoryTable();
  if (request.purge) {
    db_.BeginStep(config_.lock_timeout_ms, config_.statement_timeout_ms);
    db_.PurgeVersionTable();
    db_.CommitStep();
  }
  for (size_t i = 0; i < steps.size(); ++i) {
    StepOutcome pending{steps[i], Label(steps[i]), 0, true, {}, false};
    if (progress) progress(i, steps.size(), pending, std::nullopt);
    StepOutcome done = RunStep(steps[i]);
    if (progress) progress(i, steps.size(), done, done.duration_ms);
    result.steps.push_back(std::move(done));
  }
  result.heads_after = db_.ReadHeads();
  if (gates_.enabled && !result.steps.empty()) {
    result.audit = StepGates(db_, map_, scripts_, config_).AuditAllTables();
  }
  return result;
}

void Runner::RequireFile(const Script& script, bool upgrade) const {
  if (!upgrade && !script.has_downgrade) {
    throw ProjectError(script.shown_dir + ": revision " + script.revision.id + " has no downgrade.sql",
                       "write downgrade.sql: the exact inverse of upgrade.sql");
  }
}

StepFailure Runner::FailureAt(const Script& script, bool upgrade, const StatementSpan& span,
                              const StatementError& e, bool transactional) const {
  const std::string& sql = upgrade ? script.upgrade_sql : script.downgrade_sql;
  size_t at = span.begin;
  if (e.position() > 0) at += ByteOffsetOfCharPosition(span.text, e.position());
  auto [line, column] = LineColumnOfByte(sql, at);
  std::string hint = "statement: " + FirstLine(span.text);
  if (!e.detail().empty()) hint += "\ndetail: " + e.detail();
  if (!e.hint().empty()) hint += "\nserver hint: " + e.hint();
  if (!transactional) {
    hint += "\nthis revision is transactional: false, so the statements before this one "
            "stay applied and the version table was not moved";
  }
  return StepFailure(script.ShownSqlPath(upgrade) + ":" + std::to_string(line) + ":" + std::to_string(column) +
                         ": " + e.Summary(),
                     hint, script.revision.id, e.sqlstate(), FirstLine(span.text), transactional);
}

void Runner::ExecuteScript(const Script& script, bool upgrade, bool transactional, const FingerprintScope* scope,
                           std::vector<std::string>* before) {
  // Statement by statement, so a failure names its own statement and line
  // even when the server gives no position; in a transaction pipelined (one
  // round trip for the script and the "before" fingerprint), unless a COPY
  // needs the simple protocol.
  RequireFile(script, upgrade);
  const std::vector<AnalyzedStatement>& statements = Statements(script.revision.id, upgrade);
  if (transactional && !HasCopy(statements)) {
    std::vector<std::string> texts;
    texts.reserve(statements.size());
    for (const AnalyzedStatement& s : statements) texts.push_back(s.span.text);
    StatementsOutcome ran = scope != nullptr
                                ? db_.ExecStatementsAfterFingerprint(texts, config_.tenancy.schemas, *scope, before)
                                : db_.ExecStatements(texts);
    if (ran.failed) throw FailureAt(script, upgrade, statements.at(*ran.failed).span, *ran.error, transactional);
    return;
  }
  if (scope != nullptr) *before = db_.SchemaFingerprintOf(config_.tenancy.schemas, *scope);
  for (const AnalyzedStatement& s : statements) {
    try {
      if (transactional) {
        db_.ExecScript(s.span.text);
      } else {
        db_.ExecStatementAutocommit(s.span.text);
      }
    } catch (const StatementError& e) {
      throw FailureAt(script, upgrade, s.span, e, transactional);
    }
  }
}

StepOutcome Runner::RunStep(const PlannedStep& step) {
  const Clock::time_point start = Clock::now();
  const auto started_at = std::chrono::system_clock::now();
  StepOutcome outcome{step, Label(step), 0, true, {}, false};
  const Script* script = step.kind == PlannedStep::Kind::kStamp ? nullptr : &LoadedScript(step.revision);
  const bool upgrade = step.kind == PlannedStep::Kind::kUpgrade;
  outcome.transactional = script == nullptr || script->transactional;
  const bool gated = gates_.enabled && script != nullptr;
  StepGates gates(db_, map_, scripts_, config_);
  StepScript where;
  if (gated) {
    where = StepScript{script, upgrade, *map_.FindId(step.revision), &Statements(step.revision, upgrade)};
  }

  if (script != nullptr && !script->transactional) {
    // CONCURRENTLY and the like cannot run in a transaction block: the
    // statements run one by one first; the gates and the bookkeeping follow
    // in one transaction. Such a step cannot be proved by a round trip.
    fingerprint_known_ = false;
    ExecuteScript(*script, upgrade, false);
  }
  // The round trip compares the objects both scripts name (cheap, whatever
  // the size of the schema) or, when the scripts cannot be scoped, the whole
  // managed schema (then the "before" is the previous step's "after").
  const bool round_trip = gated && script->transactional;
  FingerprintScope scope;
  const bool scoped = round_trip && FingerprintScopeOf(Statements(step.revision, true),
                                                       Statements(step.revision, false), &scope);
  auto fingerprint = [&] {
    return scoped ? db_.SchemaFingerprintOf(config_.tenancy.schemas, scope) : gates.Fingerprint();
  };
  db_.BeginStep(config_.lock_timeout_ms, config_.statement_timeout_ms);
  try {
    // A scoped "before" is read in the script's round trip (ExecuteScript).
    std::vector<std::string> before;
    if (round_trip && !scoped) {
      if (!fingerprint_known_) {
        fingerprint_ = gates.Fingerprint();
        fingerprint_known_ = true;
      }
      before = fingerprint_;
    }
    if (script != nullptr && script->transactional) {
      if (gated) gates.PrefetchTouchedTables(where);
      ExecuteScript(*script, upgrade, true, round_trip && scoped ? &scope : nullptr, &before);
    }
    if (gated) {
      // SPEC §5 steps 3-5: catalog gates and isolation probe on what the
      // step touched, then the round trip through the inverse script.
      std::vector<Finding> findings = gates.CheckTouchedTables(where);
      std::vector<std::string> after;
      if (round_trip) {
        if (!scoped) after = gates.Fingerprint();
        // The inverse and the fingerprint after it, under a savepoint, in
        // one round trip; statement by statement when the inverse holds a
        // COPY, which libpq cannot pipeline.
        // The inverse's statements as the scope and the static gates already
        // parsed them (their spans are the splitter's).
        RequireFile(*script, !upgrade);
        const std::vector<AnalyzedStatement>& inverse = Statements(step.revision, !upgrade);
        const bool copies = HasCopy(inverse);
        auto inverse_fingerprint = [&] {
          if (copies) {
            db_.Savepoint("retort_round_trip");
            try {
              ExecuteScript(*script, !upgrade, true);
              std::vector<std::string> lines = fingerprint();
              db_.RollbackToSavepoint("retort_round_trip");
              db_.ReleaseSavepoint("retort_round_trip");
              return lines;
            } catch (...) {
              db_.RollbackToSavepoint("retort_round_trip");
              db_.ReleaseSavepoint("retort_round_trip");
              throw;
            }
          }
          std::vector<std::string> texts;
          texts.reserve(inverse.size());
          for (const AnalyzedStatement& s : inverse) texts.push_back(s.span.text);
          TryResult tried = db_.TryStatements(texts, config_.tenancy.schemas, scoped ? &scope : nullptr);
          if (tried.failed) throw FailureAt(*script, !upgrade, inverse.at(*tried.failed).span, *tried.error, true);
          return std::move(tried.fingerprint);
        };
        for (Finding& f : gates.ProveInverse(where, before, inverse_fingerprint)) {
          findings.push_back(std::move(f));
        }
      }
      if (HasBlocking(findings)) {
        throw GateRefusal("refused " + outcome.label + ": it fails the gates, so it was rolled back", findings,
                          script->transactional
                              ? "the step was rolled back; steps before it stay applied"
                              : "this revision is transactional: false: its statements stay applied, the "
                                "version table was not moved");
      }
      outcome.findings = std::move(findings);
      outcome.inverse_proved = round_trip;
      if (round_trip && !scoped) {
        fingerprint_ = std::move(after);
      } else if (round_trip) {
        fingerprint_known_ = false;  // the whole-schema text is not known after a scoped step
      }
    }
    for (const VersionChange& change : step.changes) db_.ApplyVersionChange(change);
    HistoryEntry entry;
    entry.revision = script != nullptr ? step.revision
                                       : (step.to_no_deps.empty() ? step.from_no_deps.front()
                                                                  : step.to_no_deps.front());
    entry.direction = step.kind;
    entry.checksum = script != nullptr ? RevisionChecksum(*script) : std::string();
    entry.started_at = started_at;
    entry.duration_ms = MillisSince(start);
    db_.InsertHistory(entry);
    db_.CommitStep();
  } catch (...) {
    fingerprint_known_ = false;
    db_.RollbackStep();
    throw;
  }
  // Confirm the version table really moved (Alembic's silent no-op pitfall).
  std::vector<std::string> heads = db_.ReadHeads();
  if (heads != step.heads_after) {
    fingerprint_known_ = false;
    throw Error(ExitCode::kStepFailed,
                "after " + outcome.label + " the version table holds [" + Join(heads, ", ") +
                    "], expected [" + Join(step.heads_after, ", ") + "]",
                "another tool changed the version table during the run, or the COMMIT did not "
                "persist; inspect the table before running again");
  }
  outcome.duration_ms = MillisSince(start);
  return outcome;
}

}  // namespace retort
