// The step loop of SPEC §5: lock, read heads, plan, then one transaction per
// step with the version-table change and a history row, verified after
// COMMIT.
#include "retort/exec/runner.h"

#include <algorithm>
#include <chrono>

#include "retort/common/text.h"
#include "retort/output/listing.h"
#include "retort/plan/planner.h"
#include "retort/script/checksum.h"
#include "retort/sql/statement_splitter.h"

namespace retort {
namespace {

using Clock = std::chrono::steady_clock;

long long MillisSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

std::string FirstLine(const std::string& text) {
  std::string s = Strip(text);
  size_t nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl) + " …";
}

/// The statements of a script, or a syntax error as a step failure at its
/// file:line:column (the server would reject it the same way).
std::vector<StatementSpan> Statements(const std::string& sql, const std::string& path,
                                      const std::string& revision) {
  try {
    return SplitStatements(sql);
  } catch (const SqlSyntaxError& e) {
    throw ProjectError(path + ":" + std::to_string(e.line()) + ":" + std::to_string(e.column()) +
                       ": syntax error in revision " + revision + ": " + e.what());
  }
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

Runner::Runner(Database& db, const RevisionMap& map, const std::vector<Script>& scripts,
               const Config& config)
    : db_(db), map_(map), scripts_(scripts), config_(config) {}

const Script& Runner::ScriptOf(const std::string& revision) const {
  return scripts_[static_cast<size_t>(*map_.FindId(revision))];
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

std::pair<std::vector<std::string>, std::vector<PlannedStep>> Runner::Preview(
    const RunRequest& request) {
  std::vector<std::string> heads = db_.ReadHeads();
  return {heads, Plan(request, heads)};
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
    StepOutcome pending{steps[i], Label(steps[i]), 0, true};
    if (progress) progress(i, steps.size(), pending, std::nullopt);
    StepOutcome done = RunStep(steps[i]);
    if (progress) progress(i, steps.size(), done, done.duration_ms);
    result.steps.push_back(std::move(done));
  }
  result.heads_after = db_.ReadHeads();
  return result;
}

void Runner::ExecuteScript(const Script& script, bool upgrade, bool transactional) {
  const std::string& sql = upgrade ? script.upgrade_sql : script.downgrade_sql;
  const std::string path = script.ShownSqlPath(upgrade);
  if (!upgrade && !script.has_downgrade) {
    throw ProjectError(script.shown_dir + ": revision " + script.revision.id + " has no downgrade.sql",
                       "write downgrade.sql: the exact inverse of upgrade.sql");
  }
  // Statement by statement, so a failure names its own statement and line
  // even when the server gives no position.
  for (const StatementSpan& span : Statements(sql, path, script.revision.id)) {
    try {
      if (transactional) {
        db_.ExecScript(span.text);
      } else {
        db_.ExecStatementAutocommit(span.text);
      }
    } catch (const StatementError& e) {
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
      throw StepFailure(path + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " +
                            e.what() + (e.sqlstate().empty() ? "" : " (SQLSTATE " + e.sqlstate() + ")"),
                        hint, script.revision.id, e.sqlstate(), FirstLine(span.text), transactional);
    }
  }
}

StepOutcome Runner::RunStep(const PlannedStep& step) {
  const Clock::time_point start = Clock::now();
  const auto started_at = std::chrono::system_clock::now();
  StepOutcome outcome{step, Label(step), 0, true};
  const Script* script = step.kind == PlannedStep::Kind::kStamp ? nullptr : &ScriptOf(step.revision);
  const bool upgrade = step.kind == PlannedStep::Kind::kUpgrade;
  outcome.transactional = script == nullptr || script->transactional;

  if (script != nullptr && !script->transactional) {
    // CONCURRENTLY and the like cannot run in a transaction block: the
    // statements run one by one first; only the bookkeeping is atomic.
    ExecuteScript(*script, upgrade, false);
  }
  db_.BeginStep(config_.lock_timeout_ms, config_.statement_timeout_ms);
  try {
    if (script != nullptr && script->transactional) ExecuteScript(*script, upgrade, true);
    // gates: the catalog checks, isolation probe and round trip of SPEC §5
    // steps 3-5 run here, inside the step's transaction.
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
    db_.RollbackStep();
    throw;
  }
  // Confirm the version table really moved (Alembic's silent no-op pitfall).
  std::vector<std::string> heads = db_.ReadHeads();
  if (heads != step.heads_after) {
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
