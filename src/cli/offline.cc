// Offline mode (`--sql`): the plan rendered as one SQL script, no database.
#include "retort/cli/offline.h"

#include <exception>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "retort/common/text.h"
#include "retort/output/offline_sql.h"
#include "retort/plan/planner.h"
#include "retort/script/script_directory.h"
#include "retort/sql/statement_splitter.h"

namespace retort {
namespace {

const char* ChangeName(VersionChange::Kind k) {
  switch (k) {
    case VersionChange::Kind::kInsert: return "insert";
    case VersionChange::Kind::kDelete: return "delete";
    case VersionChange::Kind::kUpdate: return "update";
  }
  return "";
}

/// The statements of the script a step runs, each as the server would see
/// it; a script of only comments has none.
std::vector<std::string> StepStatements(const Project& project, const PlannedStep& step) {
  if (step.kind == PlannedStep::Kind::kStamp) return {};
  const Script& s = project.script(*project.map->FindId(step.revision));
  const bool up = step.kind == PlannedStep::Kind::kUpgrade;
  std::optional<std::string> sql = ScriptSqlText(s, up);
  if (!sql) {
    throw ProjectError(s.shown_dir + ": revision " + step.revision + " has no downgrade.sql",
                       "write downgrade.sql: the exact inverse of upgrade.sql");
  }
  try {
    std::vector<std::string> out;
    for (const StatementSpan& span : SplitStatements(*sql)) out.push_back(span.text);
    return out;
  } catch (const SqlSyntaxError& e) {
    throw ProjectError(s.ShownSqlPath(up) + ":" + std::to_string(e.line()) + ":" + std::to_string(e.column()) +
                       ": " + e.what());
  }
}

}  // namespace

std::pair<std::optional<std::string>, std::string> SplitRange(const std::string& spec) {
  size_t colon = spec.find(':');
  if (colon == std::string::npos) return {std::nullopt, spec};
  if (spec.find(':', colon + 1) != std::string::npos) {
    throw ProjectError("Range '" + spec + "' has more than one ':'; write FROM:TO");
  }
  return {spec.substr(0, colon), spec.substr(colon + 1)};
}

std::vector<std::string> OfflineStartingHeads(const Project& project,
                                              const std::optional<std::string>& from) {
  if (!from || *from == "base" || from->empty()) return {};
  RevRef r = WithRevisionErrors({}, [&] { return project.map->GetRevision(*from); });
  if (r < 0) throw ProjectError("Can't locate revision identified by '" + *from + "'");
  return {project.map->id(r)};
}

int EmitOfflineSql(const Project& project, const GlobalOptions& global, const std::string& command,
                   const std::vector<PlannedStep>& steps,
                   const std::vector<std::string>& initial_heads) {
  VersionTableRef table{project.config.version_table, project.config.version_table_schema};
  // Reading and splitting each step's script is most of the work on long
  // plans; do it on two threads, then render in plan order. The first
  // failing step (in plan order) reports, as a sequential run would.
  std::vector<std::vector<std::string>> statements(steps.size());
  std::vector<std::exception_ptr> errors(steps.size());
  auto split_range = [&](size_t first, size_t stride) {
    for (size_t i = first; i < steps.size(); i += stride) {
      try {
        statements[i] = StepStatements(project, steps[i]);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  };
  if (steps.size() >= 256) {
    std::thread helper(split_range, 1, 2);
    split_range(0, 2);
    helper.join();
  } else {
    split_range(0, 1);
  }
  for (const std::exception_ptr& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  auto step_statements = [&](const PlannedStep& step) {
    return std::move(statements[static_cast<size_t>(&step - steps.data())]);
  };
  auto transactional = [&](const PlannedStep& step) {
    return step.kind == PlannedStep::Kind::kStamp ||
           project.script(*project.map->FindId(step.revision)).transactional;
  };
  if (!global.json()) {
    WriteOfflineSql(steps, table, initial_heads, step_statements, transactional,
                    [](const std::string& piece) { std::cout << piece; });
    return 0;
  }
  std::string sql = RenderOfflineSql(steps, table, initial_heads, step_statements, transactional);
  nlohmann::json plan = nlohmann::json::array();
  for (const PlannedStep& step : steps) {
    nlohmann::json changes = nlohmann::json::array();
    for (const VersionChange& c : step.changes) {
      changes.push_back({{"kind", ChangeName(c.kind)},
                         {"from", c.from},
                         {"to", c.to},
                         {"sql", VersionChangeSql(table, c)}});
    }
    plan.push_back({{"kind", StepKindName(step.kind)},
                    {"revision", step.revision},
                    {"from", step.from_no_deps},
                    {"to", step.to_no_deps},
                    {"log", ShortLog(step)},
                    {"statements", StepStatements(project, step)},
                    {"version_changes", changes},
                    {"heads_after", step.heads_after}});
  }
  std::cout << nlohmann::json{{"command", command}, {"mode", "offline"},
                              {"starting_heads", initial_heads}, {"steps", plan},
                              {"sql", sql}, {"exit_code", 0}, {"exit_name", "ok"}}
                   .dump(2)
            << "\n";
  return 0;
}

}  // namespace retort
