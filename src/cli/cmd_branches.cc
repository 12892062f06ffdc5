// `retort branches`: Alembic's `branches` command.
#include <CLI/CLI.hpp>

#include <iostream>

#include <nlohmann/json.hpp>

#include "retort/cli/commands.h"
#include "retort/cli/project.h"
#include "retort/output/listing.h"
#include "retort/revision/traversal.h"

namespace retort {
namespace {

int RunBranches(const GlobalOptions& global, bool verbose) {
  Project project = LoadProject(global, /*with_sql=*/false);
  const RevisionMap& map = *project.map;
  RevisionErrorWording wording;
  wording.start = "base";
  wording.end = "heads";
  wording.has_start = wording.has_end = true;
  std::vector<int> revs = WithRevisionErrors(wording, [&] { return WalkRevisions(map, RevArg::Str("base"), RevArg::Str("heads")); });
  nlohmann::json list = nlohmann::json::array();
  for (int r : revs) {
    const RevisionNode& n = map.node(r);
    if (!n.is_branch_point()) continue;
    if (global.json()) {
      nlohmann::json children = nlohmann::json::array();
      for (int c : n.nextrev) children.push_back(RevisionJson(map, c, project.MetadataPath(c)));
      nlohmann::json bp = RevisionJson(map, r, project.MetadataPath(r));
      bp["branches"] = children;
      list.push_back(bp);
      continue;
    }
    HeadOnlyOptions self;
    self.include_branches = true;
    HeadOnlyOptions child;
    child.include_branches = true;
    child.include_doc = verbose;
    std::cout << CmdFormat(map, r, verbose, self, project.MetadataPath(r)) << "\n";
    for (size_t i = 0; i < n.nextrev.size(); ++i) {
      if (i) std::cout << "\n";
      std::cout << std::string(n.rev.id.size(), ' ') << " -> " << HeadOnly(map, n.nextrev[i], child);
    }
    std::cout << "\n\n";
  }
  if (global.json()) {
    std::cout << nlohmann::json{{"command", "branches"}, {"branchpoints", list}, {"exit_code", 0},
                                {"exit_name", "ok"}}.dump(2)
              << "\n";
  }
  return 0;
}

}  // namespace

void SetupBranches(CLI::App& app, Invocation& inv) {
  auto verbose = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("branches", "Show current branch points.");
  cmd->add_flag("-v,--verbose", *verbose, "Use more verbose output");
  cmd->callback([&inv, verbose] {
    inv.command = "branches";
    inv.run = [&inv, verbose] { return RunBranches(inv.global, *verbose); };
  });
}

}  // namespace retort
