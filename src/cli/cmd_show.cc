// `retort show REV`: Alembic's `show` command.
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

int RunShow(const GlobalOptions& global, const std::string& rev) {
  Project project = LoadProject(global, /*with_sql=*/false);
  const RevisionMap& map = *project.map;
  std::vector<RevRef> revs;
  if (rev == "current") {
    // The rows of the version table (read only).
    std::vector<std::string> rows = ConnectDatabase(global, project.config)->ReadHeads();
    RequireKnownHeads(map, rows);
    revs = WithRevisionErrors({}, [&] { return map.GetRevisions(rows); });
  } else {
    revs = WithRevisionErrors({}, [&] { return map.GetRevisions(std::optional<std::string>(rev)); });
  }
  nlohmann::json list = nlohmann::json::array();
  std::string out;
  for (RevRef r : revs) {
    if (r < 0) throw ProjectError("Can't locate revision identified by '" + rev + "'");
    if (global.json()) {
      list.push_back(RevisionJson(map, r, project.MetadataPath(r)));
    } else {
      out += LogEntry(map, r, project.MetadataPath(r)) + "\n";
    }
  }
  if (global.json()) {
    std::cout << nlohmann::json{{"command", "show"}, {"revisions", list}, {"exit_code", 0},
                                {"exit_name", "ok"}}.dump(2)
              << "\n";
  } else {
    std::cout << out;
  }
  return 0;
}

}  // namespace

void SetupShow(CLI::App& app, Invocation& inv) {
  auto rev = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("show", "Show the revision(s) denoted by the given symbol.");
  cmd->add_option("rev", *rev, "revision identifier, symbol (head, heads, base, current) or branch@head")
      ->required();
  cmd->callback([&inv, rev] {
    inv.command = "show";
    inv.run = [&inv, rev] { return RunShow(inv.global, *rev); };
  });
}

}  // namespace retort
