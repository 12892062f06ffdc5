// `retort check`: compare a live database with the scripts: revisions the
// scripts do not have (the database is ahead), applied revisions whose files
// changed since they were applied (edited history), and every catalog gate on
// every table of the managed schemas (SPEC §4).
#include <CLI/CLI.hpp>

#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "retort/cli/commands.h"
#include "retort/cli/connect.h"
#include "retort/cli/finding_report.h"
#include "retort/cli/project.h"
#include "retort/common/text.h"
#include "retort/exec/step_gates.h"
#include "retort/gate/finding.h"
#include "retort/script/checksum.h"

namespace retort {
namespace {

Finding CheckFinding(const char* id, const std::string& revision, const std::string& file, std::string message,
                     std::string hint) {
  return Finding{id, Severity::kError, revision, file, 0, std::move(message), std::move(hint), "", "", {}};
}

int RunCheck(const GlobalOptions& global) {
  Project project = LoadProject(global);
  const RevisionMap& map = *project.map;
  std::unique_ptr<Database> db = ConnectDatabase(global, project.config);
  std::vector<std::string> rows = db->ReadHeads();
  std::vector<Finding> findings;
  std::vector<int> known;
  for (const std::string& r : rows) {
    if (std::optional<int> n = map.FindId(r)) {
      known.push_back(*n);
    } else {
      findings.push_back(CheckFinding("database-ahead", r, "",
                          "the database is at revision " + r +
                              ", which this script directory does not have: the database is ahead of "
                              "these scripts",
                          "it was migrated by a newer checkout (or another branch); deploy that "
                          "checkout or run its 'retort downgrade' to a revision both share"));
    }
  }
  // The last upgrade recorded for each revision is what was applied.
  std::map<std::string, std::string> applied_checksum;
  for (const HistoryRow& h : db->ReadHistory()) {
    if (h.direction == "upgrade") applied_checksum[h.revision] = h.checksum;
    if (h.direction == "downgrade") applied_checksum.erase(h.revision);
  }
  size_t unrecorded = 0;
  std::vector<int> applied = map.Ancestors(known, true);
  for (int node : applied) {
    const Script& s = project.script(node);
    auto it = applied_checksum.find(s.revision.id);
    if (it == applied_checksum.end() || it->second.empty()) {
      ++unrecorded;  // applied by Alembic, or stamped: nothing to compare
      continue;
    }
    if (it->second != RevisionChecksum(s)) {
      findings.push_back(CheckFinding("edited-history", s.revision.id, s.shown_dir,
                          "revision " + s.revision.id + " was applied, but its files changed since "
                              "(SHA-256 differs from the one recorded when it ran)",
                          "restore the files as they were applied, and put the change in a new "
                          "revision instead"));
    }
  }
  // Every catalog gate on every table of the managed schemas (waivers
  // applied): the live schema, whoever changed it.
  std::vector<Finding> catalog = StepGates(*db, map, project.scripts, project.config).AuditAllTables();
  findings.insert(findings.end(), catalog.begin(), catalog.end());
  const bool failed = HasBlocking(findings);
  if (global.json()) {
    nlohmann::json list = FindingsJson(findings);
    std::cout << nlohmann::json{{"command", "check"},
                                {"database", db->Describe()},
                                {"version_table_rows", rows},
                                {"applied_revisions", applied.size()},
                                {"without_checksum", unrecorded},
                                {"findings", list},
                                {"exit_code", failed ? 6 : 0},
                                {"exit_name", failed ? "check-failed" : "ok"}}
                     .dump(2)
              << "\n";
    return failed ? static_cast<int>(ExitCode::kCheckFailed) : 0;
  }
  PrintFindings(std::cout, findings);
  std::cout << "check: " << applied.size() << " applied revisions, " << unrecorded
            << " without a recorded checksum, " << findings.size()
            << (findings.size() == 1 ? " finding" : " findings") << "\n";
  return failed ? static_cast<int>(ExitCode::kCheckFailed) : 0;
}

}  // namespace

void SetupCheck(CLI::App& app, Invocation& inv) {
  CLI::App* cmd = app.add_subcommand(
      "check",
      "Compare the database with the scripts (unknown revisions, edited history) and run every catalog gate "
      "on the live schema.");
  cmd->callback([&inv] {
    inv.command = "check";
    inv.run = [&inv] { return RunCheck(inv.global); };
  });
}

}  // namespace retort
