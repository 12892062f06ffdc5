// `retort heads`: Alembic's `heads` command.
#include <CLI/CLI.hpp>

#include <iostream>

#include <nlohmann/json.hpp>

#include "retort/cli/commands.h"
#include "retort/cli/project.h"
#include "retort/output/listing.h"

namespace retort {
namespace {

struct HeadsOptions {
  bool verbose = false;
  bool resolve_dependencies = false;
};

int RunHeads(const GlobalOptions& global, const HeadsOptions& o) {
  Project project = LoadProject(global, /*with_sql=*/false);
  const RevisionMap& map = *project.map;
  // Without --resolve-dependencies a head is "nothing has it as down_revision"
  // (so effective heads show); with it, only revisions nothing depends on.
  const std::vector<int>& heads = o.resolve_dependencies ? map.real_heads() : map.heads();
  HeadOnlyOptions fmt;
  fmt.include_branches = true;
  fmt.tree_indicators = false;
  if (global.json()) {
    nlohmann::json list = nlohmann::json::array();
    for (int h : heads) list.push_back(RevisionJson(map, h, project.MetadataPath(h)));
    std::cout << nlohmann::json{{"command", "heads"}, {"heads", list}, {"exit_code", 0},
                                {"exit_name", "ok"}}.dump(2)
              << "\n";
    return 0;
  }
  for (int h : heads) std::cout << CmdFormat(map, h, o.verbose, fmt, project.MetadataPath(h)) << "\n";
  return 0;
}

}  // namespace

void SetupHeads(CLI::App& app, Invocation& inv) {
  auto opts = std::make_shared<HeadsOptions>();
  CLI::App* cmd = app.add_subcommand("heads", "Show current available heads in the script directory.");
  cmd->add_flag("-v,--verbose", opts->verbose, "Use more verbose output");
  cmd->add_flag("--resolve-dependencies", opts->resolve_dependencies,
                "Treat dependency versions as down revisions");
  cmd->callback([&inv, opts] {
    inv.command = "heads";
    inv.run = [&inv, opts] { return RunHeads(inv.global, *opts); };
  });
}

}  // namespace retort
