// `retort current`: the revision(s) the database is at. Never creates the
// version table.
#include <CLI/CLI.hpp>

#include <iostream>

#include <nlohmann/json.hpp>

#include "retort/cli/commands.h"
#include "retort/cli/connect.h"
#include "retort/cli/project.h"
#include "retort/exec/runner.h"
#include "retort/output/listing.h"

namespace retort {
namespace {

struct CurrentOptions {
  bool verbose = false;
  bool check_heads = false;
};

int RunCurrent(const GlobalOptions& global, const CurrentOptions& o) {
  Project project = LoadProject(global, /*with_sql=*/false);
  const RevisionMap& map = *project.map;
  std::unique_ptr<Database> db = ConnectDatabase(global, project.config);
  std::vector<std::string> rows = db->ReadHeads();
  try {
    RequireKnownHeads(map, rows);
  } catch (const Error& e) {
    throw Error(ExitCode::kCheckFailed, e.what(), e.hint());
  }
  std::vector<int> current = WithRevisionErrors({}, [&] { return map.GetAllCurrent(rows); });
  // On all heads: every head of the scripts is implied by the rows.
  std::vector<int> row_nodes;
  for (const std::string& r : rows) row_nodes.push_back(*map.FindId(r));
  std::vector<char> implied = map.AncestorMask(row_nodes, true);
  std::vector<std::string> missing;
  for (int h : map.heads()) {
    if (!implied[h]) missing.push_back(map.id(h));
  }
  if (global.json()) {
    nlohmann::json list = nlohmann::json::array();
    for (int c : current) list.push_back(RevisionJson(map, c, project.MetadataPath(c)));
    const bool failed = o.check_heads && !missing.empty();
    std::cout << nlohmann::json{{"command", "current"},
                                {"database", db->Describe()},
                                {"version_table_rows", rows},
                                {"current", list},
                                {"at_all_heads", missing.empty()},
                                {"heads_not_applied", missing},
                                {"exit_code", failed ? 6 : 0},
                                {"exit_name", failed ? "check-failed" : "ok"}}
                     .dump(2)
              << "\n";
    return failed ? static_cast<int>(ExitCode::kCheckFailed) : 0;
  }
  if (o.verbose) std::cout << "Current revision(s) for " << db->Describe() << ":\n";
  for (int c : current) {
    std::cout << CmdFormat(map, c, o.verbose, HeadOnlyOptions{}, project.MetadataPath(c)) << "\n";
  }
  if (o.check_heads && !missing.empty()) {
    throw Error(ExitCode::kCheckFailed, "Database is not on all head revisions",
                "not applied: " + [&] {
                  std::string s;
                  for (size_t i = 0; i < missing.size(); ++i) s += (i ? ", " : "") + missing[i];
                  return s;
                }());
  }
  return 0;
}

}  // namespace

void SetupCurrent(CLI::App& app, Invocation& inv) {
  auto opts = std::make_shared<CurrentOptions>();
  CLI::App* cmd = app.add_subcommand("current", "Display the current revision for a database.");
  cmd->add_flag("-v,--verbose", opts->verbose, "Use more verbose output");
  cmd->add_flag("--check-heads", opts->check_heads,
                "Exit 6 unless the database is on all head revisions");
  cmd->callback([&inv, opts] {
    inv.command = "current";
    inv.run = [&inv, opts] { return RunCurrent(inv.global, *opts); };
  });
}

}  // namespace retort
