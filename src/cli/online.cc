// Online upgrade/downgrade/stamp: the runner with progress and a report.
#include "retort/cli/online.h"

#include <unistd.h>

#include <chrono>
#include <iostream>

#include <nlohmann/json.hpp>

#include "retort/cli/connect.h"
#include "retort/cli/project.h"
#include "retort/common/text.h"
#include "retort/output/offline_sql.h"
#include "retort/plan/planner.h"
#include "retort/sql/statement_splitter.h"

namespace retort {
namespace {

nlohmann::json StepJson(const Project& project, const PlannedStep& step, bool with_statements) {
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
    const Script& s = project.script(*project.map->FindId(step.revision));
    const bool up = step.kind == PlannedStep::Kind::kUpgrade;
    nlohmann::json stmts = nlohmann::json::array();
    const std::string& sql = up ? s.upgrade_sql : s.downgrade_sql;
    try {
      for (const StatementSpan& span : SplitStatements(sql)) {
        stmts.push_back({{"line", span.line}, {"sql", span.text}});
      }
    } catch (const SqlSyntaxError& e) {
      throw ProjectError(s.ShownSqlPath(up) + ":" + std::to_string(e.line()) +
                         ":" + std::to_string(e.column()) + ": " + e.what());
    }
    j["file"] = s.ShownSqlPath(up);
    j["transactional"] = s.transactional;
    j["statements"] = stmts;
  }
  return j;
}

void PrintPreview(const Project& project, Runner& runner, const std::string& database,
                  const std::vector<std::string>& heads, const std::vector<PlannedStep>& steps) {
  std::cout << "Database: " << database << "\n"
            << "Current heads: " << (heads.empty() ? "(none)" : Join(heads, ", ")) << "\n"
            << "Plan: " << steps.size() << (steps.size() == 1 ? " step" : " steps") << "\n";
  for (size_t i = 0; i < steps.size(); ++i) {
    nlohmann::json j = StepJson(project, steps[i], true);
    std::cout << "[" << i + 1 << "/" << steps.size() << "] " << runner.Label(steps[i]) << "\n";
    if (j.contains("statements")) {
      if (!j["transactional"].get<bool>()) {
        std::cout << "    (transactional: false: runs outside a transaction and cannot be rolled back)\n";
      }
      for (const auto& s : j["statements"]) {
        std::string first = Strip(s["sql"].get<std::string>());
        size_t nl = first.find('\n');
        if (nl != std::string::npos) first = first.substr(0, nl) + " …";
        std::cout << "    " << j["file"].get<std::string>() << ":" << s["line"].get<int>() << ": " << first
                  << "\n";
      }
    }
    for (const auto& c : j["version_changes"]) std::cout << "    " << c.get<std::string>() << "\n";
  }
  std::cout << "Dry run: nothing was changed.\n";
}

}  // namespace

int RunOnline(const GlobalOptions& global, const std::string& command, const RunRequest& request,
              bool dry_run) {
  Project project = LoadProject(global);
  std::unique_ptr<Database> db = ConnectDatabase(global, project.config);
  Runner runner(*db, *project.map, project.scripts, project.config);

  if (dry_run) {
    auto [heads, steps] = runner.Preview(request);
    if (!global.json()) {
      PrintPreview(project, runner, db->Describe(), heads, steps);
      return 0;
    }
    nlohmann::json plan = nlohmann::json::array();
    for (const PlannedStep& s : steps) {
      nlohmann::json j = StepJson(project, s, true);
      j["label"] = runner.Label(s);
      plan.push_back(j);
    }
    std::cout << nlohmann::json{{"command", command}, {"mode", "dry-run"}, {"database", db->Describe()},
                                {"heads", heads}, {"plan", plan}, {"exit_code", 0}, {"exit_name", "ok"}}
                     .dump(2)
              << "\n";
    return 0;
  }

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
    }
  };
  const auto start = std::chrono::steady_clock::now();
  nlohmann::json done = nlohmann::json::array();
  RunResult result;
  try {
    result = runner.Run(request, [&](size_t i, size_t n, const StepOutcome& s, std::optional<long long> ms) {
      progress(i, n, s, ms);
      if (ms) {
        nlohmann::json j = StepJson(project, s.step, false);
        j["label"] = s.label;
        j["duration_ms"] = *ms;
        done.push_back(j);
      }
    });
  } catch (const Error& e) {
    if (progress_on && tty) std::cerr << " failed\n";
    if (global.json()) {
      nlohmann::json doc{{"command", command},
                         {"database", db->Describe()},
                         {"steps", done},
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
  if (global.json()) {
    std::cout << nlohmann::json{{"command", command},      {"database", db->Describe()},
                                {"heads_before", result.heads_before}, {"heads_after", result.heads_after},
                                {"steps", done},          {"duration_ms", total},
                                {"exit_code", 0},          {"exit_name", "ok"}}
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
