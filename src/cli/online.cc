// Online upgrade/downgrade/stamp: the runner with its gates, progress and a
// report; the dry run; the destructive confirmation (TTY or --confirm).
#include "retort/cli/online.h"

#include <unistd.h>

#include <chrono>
#include <iostream>

#include <nlohmann/json.hpp>

#include "retort/cli/connect.h"
#include "retort/cli/finding_report.h"
#include "retort/cli/project.h"
#include "retort/common/text.h"
#include "retort/output/offline_sql.h"
#include "retort/plan/planner.h"

namespace retort {
namespace {

nlohmann::json StepJson(const Project& project, Runner& runner, const PlannedStep& step, bool with_statements) {
  VersionTableRef table{project.config.version_table, project.config.version_table_schema};
  nlohmann::json changes = nlohmann::json::array();
  for (const VersionChange& c : step.changes) changes.push_back(VersionChangeSql(table, c));
  nlohmann::json j{{"kind", StepKindName(step.kind)},
                   {"revision", step.revision},
                   {"from", step.from_no_deps},
                   {"to", step.to_no_deps},
                   {"version_changes", changes},
                   {"heads_after", step.heads_after}};
  if (with_statements && step.kind != PlannedStep::Kind::kStamp) {
    const bool up = step.kind == PlannedStep::Kind::kUpgrade;
    nlohmann::json stmts = nlohmann::json::array();
    try {
      for (const AnalyzedStatement& s : runner.Statements(step.revision, up)) {
        stmts.push_back({{"line", s.span.line},
                         {"sql", s.span.text},
                         {"lock", LockLevelName(s.lock)},
                         {"lock_target", s.lock_target}});
      }
    } catch (const Error& e) {
      j["syntax_error"] = e.what();  // also a sql-syntax finding of the dry run
    }
    const Script& s = project.script(*project.map->FindId(step.revision));
    j["file"] = s.ShownSqlPath(up);
    j["transactional"] = s.transactional;
    j["statements"] = stmts;
  }
  return j;
}

void PrintPreview(const Project& project, Runner& runner, const std::string& database, const RunPreview& p) {
  std::cout << "Database: " << database << "\n"
            << "Current heads: " << (p.heads.empty() ? "(none)" : Join(p.heads, ", ")) << "\n"
            << "Plan: " << p.steps.size() << (p.steps.size() == 1 ? " step" : " steps") << "\n";
  for (size_t i = 0; i < p.steps.size(); ++i) {
    nlohmann::json j = StepJson(project, runner, p.steps[i], true);
    std::cout << "[" << i + 1 << "/" << p.steps.size() << "] " << runner.Label(p.steps[i]) << "\n";
    if (j.contains("statements")) {
      if (!j["transactional"].get<bool>()) {
        std::cout << "    (transactional: false: runs outside a transaction and cannot be rolled back)\n";
      }
      for (const auto& s : j["statements"]) {
        std::string lock = s["lock"].get<std::string>();
        std::string target = s["lock_target"].get<std::string>();
        std::cout << "    " << j["file"].get<std::string>() << ":" << s["line"].get<int>() << ": "
                  << FirstLine(s["sql"].get<std::string>());
        if (lock != "NONE") std::cout << "  [" << lock << (target.empty() ? "" : " on " + target) << "]";
        std::cout << "\n";
      }
    }
    for (const auto& c : j["version_changes"]) std::cout << "    " << c.get<std::string>() << "\n";
  }
  if (!p.findings.empty()) {
    std::cout << "Findings:\n";
    PrintFindings(std::cout, p.findings);
  }
  if (!p.destructive.empty()) PrintPreflight(std::cout, p.destructive);
  std::cout << (HasBlocking(p.findings) ? "Dry run: the gates would refuse this run (exit 4); nothing was changed.\n"
                                        : "Dry run: nothing was changed.\n");
}

int Preview(const GlobalOptions& global, const std::string& command, const Project& project, Runner& runner,
            Database& db, const RunRequest& request, const OnlineOptions& options) {
  RunPreview p = runner.Preview(request);
  // With --confirm, the dry run also checks it as the run would (a pipeline
  // can test a reviewed argument before deploying).
  std::vector<std::string> mismatches;
  if (options.confirm) mismatches = ConfirmMismatches(p.destructive, ParseConfirm(*options.confirm));
  const int code = HasBlocking(p.findings) || !mismatches.empty() ? static_cast<int>(ExitCode::kRefused) : 0;
  if (!global.json()) {
    PrintPreview(project, runner, db.Describe(), p);
    if (!mismatches.empty()) {
      std::cout << "The run would be refused: --confirm does not match the live row counts (" << Join(mismatches, "; ")
                << ").\n";
    }
    return code;
  }
  nlohmann::json plan = nlohmann::json::array();
  for (const PlannedStep& s : p.steps) {
    nlohmann::json j = StepJson(project, runner, s, true);
    j["label"] = runner.Label(s);
    plan.push_back(j);
  }
  std::cout << nlohmann::json{{"command", command},
                              {"mode", "dry-run"},
                              {"database", db.Describe()},
                              {"heads", p.heads},
                              {"plan", plan},
                              {"findings", FindingsJson(p.findings)},
                              {"destructive", DestructiveJson(p.destructive)},
                              {"confirm", p.destructive.empty() ? "" : ConfirmArgument(p.destructive)},
                              {"confirm_mismatches", mismatches},
                              {"exit_code", code},
                              {"exit_name", ExitCodeName(static_cast<ExitCode>(code))}}
                   .dump(2)
            << "\n";
  return code;
}

/// The destructive confirmation: a reviewed --confirm must match the live
/// counts; without one, a person types "yes" on a terminal; otherwise the
/// run is refused with the argument that would match.
GateOptions::Confirm MakeConfirm(const GlobalOptions& global, const OnlineOptions& options) {
  std::optional<std::map<std::string, long long>> confirmed;
  if (options.confirm) confirmed = ParseConfirm(*options.confirm);
  return [&global, confirmed](const std::vector<DestructiveTarget>& targets) {
    if (!global.quiet || !confirmed) PrintPreflight(std::cerr, targets);
    if (confirmed) {
      std::vector<std::string> mismatches = ConfirmMismatches(targets, *confirmed);
      if (mismatches.empty()) return;
      throw GateRefusal("refused before anything ran: --confirm does not match the live row counts (" +
                            Join(mismatches, "; ") + ")",
                        {},
                        "the data changed since the review; review a new dry run, then pass --confirm " +
                            ConfirmArgument(targets));
    }
    if (!global.json() && isatty(STDIN_FILENO) && isatty(STDERR_FILENO)) {
      std::cerr << "Type 'yes' to run these destructive statements: " << std::flush;
      std::string answer;
      std::getline(std::cin, answer);
      if (Strip(answer) == "yes") return;
      throw GateRefusal("refused before anything ran: the destructive statements were not confirmed", {});
    }
    throw GateRefusal("refused before anything ran: destructive statements need confirmation", {},
                      "review them (retort <command> <target> --dry-run), then pass --confirm " +
                          ConfirmArgument(targets));
  };
}

}  // namespace

int RunOnline(const GlobalOptions& global, const std::string& command, const RunRequest& request,
              const OnlineOptions& options) {
  GateOptions gates;
  gates.enabled = request.kind != PlannedStep::Kind::kStamp;
  gates.confirm = MakeConfirm(global, options);  // parses --confirm before connecting
  // The SQL of the steps to run is read once they are planned: a no-op run
  // reads no SQL file.
  Project project = LoadProject(global, /*with_sql=*/false);
  std::unique_ptr<Database> db = ConnectDatabase(global, project.config);
  Runner runner(*db, *project.map, project.scripts, project.config, gates);

  if (options.dry_run) return Preview(global, command, project, runner, *db, request, options);

  const bool progress_on = !global.quiet;
  const bool tty = isatty(STDERR_FILENO) != 0;
  ProgressFn progress = [&](size_t i, size_t n, const StepOutcome& step, std::optional<long long> ms) {
    if (!progress_on) return;
    // On a terminal the line opens before the step and closes after it;
    // in a log (pipeline) one complete line per step.
    const std::string head = "[" + std::to_string(i + 1) + "/" + std::to_string(n) + "] " + step.label + " …";
    if (!ms) {
      if (tty) std::cerr << head << std::flush;
    } else {
      std::cerr << (tty ? std::string() : head) << " " << *ms << " ms\n";
      if (!global.json()) PrintFindings(std::cerr, step.findings);
    }
  };
  const auto start = std::chrono::steady_clock::now();
  nlohmann::json done = nlohmann::json::array();
  RunResult result;
  bool step_open = false;
  std::string open_head;  // the progress line of the step that is running
  try {
    result = runner.Run(request, [&](size_t i, size_t n, const StepOutcome& s, std::optional<long long> ms) {
      step_open = !ms;
      open_head = "[" + std::to_string(i + 1) + "/" + std::to_string(n) + "] " + s.label + " …";
      progress(i, n, s, ms);
      if (ms) {
        nlohmann::json j = StepJson(project, runner, s.step, false);
        j["label"] = s.label;
        j["duration_ms"] = *ms;
        j["transactional"] = s.transactional;
        j["inverse_proved"] = s.inverse_proved;
        j["findings"] = FindingsJson(s.findings);
        done.push_back(j);
      }
    });
  } catch (const Error& e) {
    const auto* refusal = dynamic_cast<const GateRefusal*>(&e);
    if (progress_on && step_open) {
      std::cerr << (tty ? std::string() : open_head) << (refusal != nullptr ? " refused\n" : " failed\n");
    }
    if (refusal != nullptr) PrintFindings(std::cerr, refusal->findings());
    if (global.json()) {
      nlohmann::json doc{{"command", command},
                         {"database", db->Describe()},
                         {"steps", done},
                         {"findings", FindingsJson(refusal != nullptr ? refusal->findings() : std::vector<Finding>{})},
                         {"error", {{"message", e.what()}, {"hint", e.hint()}}},
                         {"exit_code", static_cast<int>(e.code())},
                         {"exit_name", ExitCodeName(e.code())}};
      if (const auto* f = dynamic_cast<const StepFailure*>(&e)) {
        doc["error"]["revision"] = f->revision();
        doc["error"]["sqlstate"] = f->sqlstate();
        doc["error"]["statement"] = f->statement();
        doc["error"]["rolled_back"] = f->rolled_back();
      }
      std::cout << doc.dump(2) << "\n";
      std::cerr << "error: " << e.what() << "\n";
      if (!e.hint().empty()) std::cerr << "hint: " << e.hint() << "\n";
      return static_cast<int>(e.code());
    }
    throw;
  }
  const long long total = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - start)
                              .count();
  if (!global.json()) {
    // Destructive statements were listed by the pre-flight; the rest are
    // the warnings a person should still read.
    std::vector<Finding> warnings;
    for (const Finding& f : result.static_findings) {
      if (f.severity != Severity::kConfirm) warnings.push_back(f);
    }
    PrintFindings(std::cerr, warnings);
    if (!result.audit.empty()) {
      std::cerr << "Audit of every table in the managed schemas after the run (" << result.audit.size()
                << " finding" << (result.audit.size() == 1 ? "" : "s") << "; run 'retort check' to gate on them):\n";
      PrintFindings(std::cerr, result.audit);
    }
  }
  if (global.json()) {
    std::cout << nlohmann::json{{"command", command},
                                {"database", db->Describe()},
                                {"heads_before", result.heads_before},
                                {"heads_after", result.heads_after},
                                {"steps", done},
                                {"findings", FindingsJson(result.static_findings)},
                                {"destructive", DestructiveJson(result.destructive)},
                                {"audit", FindingsJson(result.audit)},
                                {"duration_ms", total},
                                {"exit_code", 0},
                                {"exit_name", "ok"}}
                     .dump(2)
              << "\n";
  } else if (!global.quiet) {
    std::cout << (result.steps.empty() ? "Nothing to do" : StepKindName(request.kind) + std::string(" complete: ") +
                                                               std::to_string(result.steps.size()) +
                                                               (result.steps.size() == 1 ? " step" : " steps"))
              << " in " << total << " ms; version table: "
              << (result.heads_after.empty() ? "(empty)" : Join(result.heads_after, ", ")) << "\n";
  }
  return 0;
}

}  // namespace retort
