// `retort lint`: every static gate over the whole script directory, no
// database (SPEC §4). Exit 4 when a gate finds an error.
#include <CLI/CLI.hpp>

#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "retort/cli/commands.h"
#include "retort/cli/project.h"
#include "retort/gate/fixtures.h"
#include "retort/gate/static_gates.h"

namespace retort {
namespace {

int RunLint(const GlobalOptions& global) {
  Project project = LoadProject(global);
  const RevisionMap& map = *project.map;
  std::vector<Finding> findings = CheckGraphStatically(map);
  for (size_t i = 0; i < map.size(); ++i) {
    const int node = static_cast<int>(i);
    // Each file parsed once for both checks.
    const Script& script = project.script(node);
    const ScriptAnalysis up = AnalyzeScript(script.upgrade_sql);
    const std::optional<ScriptAnalysis> down =
        script.has_downgrade ? std::optional<ScriptAnalysis>(AnalyzeScript(script.downgrade_sql)) : std::nullopt;
    for (Finding& f : CheckRevisionStatically(script, map.node(node), up, down ? &*down : nullptr)) {
      findings.push_back(std::move(f));
    }
    for (Finding& f : CheckFixturesStatically(map, project.scripts, node, project.config.tenancy, up)) {
      findings.push_back(std::move(f));
    }
  }
  size_t errors = 0, warnings = 0, confirms = 0;
  for (const Finding& f : findings) {
    errors += f.severity == Severity::kError;
    warnings += f.severity == Severity::kWarning;
    confirms += f.severity == Severity::kConfirm;
  }
  const int code = errors > 0 ? static_cast<int>(ExitCode::kRefused) : 0;
  if (global.json()) {
    nlohmann::json list = nlohmann::json::array();
    for (const Finding& f : findings) {
      list.push_back({{"id", f.id}, {"severity", SeverityName(f.severity)}, {"revision", f.revision},
                      {"file", f.file}, {"line", f.line}, {"message", f.message}, {"hint", f.hint}});
    }
    std::cout << nlohmann::json{{"command", "lint"}, {"revisions", map.size()}, {"findings", list},
                                {"errors", errors}, {"warnings", warnings}, {"destructive", confirms},
                                {"exit_code", code}, {"exit_name", ExitCodeName(static_cast<ExitCode>(code))}}
                     .dump(2)
              << "\n";
    return code;
  }
  for (const Finding& f : findings) {
    std::cout << FormatFinding(f) << "\n  hint: " << f.hint << "\n";
  }
  std::cout << "lint: " << map.size() << " revisions, " << errors << (errors == 1 ? " error, " : " errors, ")
            << warnings << (warnings == 1 ? " warning, " : " warnings, ") << confirms
            << " destructive statement" << (confirms == 1 ? "" : "s") << "\n";
  return code;
}

}  // namespace

void SetupLint(CLI::App& app, Invocation& inv) {
  CLI::App* cmd = app.add_subcommand(
      "lint", "Run every static gate over the whole script directory (no database).");
  cmd->callback([&inv] {
    inv.command = "lint";
    inv.run = [&inv] { return RunLint(inv.global); };
  });
}

}  // namespace retort
