// `retort history`: Alembic's `history` command (list from heads to base).
#include <CLI/CLI.hpp>

#include <iostream>

#include <nlohmann/json.hpp>

#include "retort/cli/commands.h"
#include "retort/cli/project.h"
#include "retort/common/text.h"
#include "retort/output/listing.h"
#include "retort/revision/traversal.h"

namespace retort {
namespace {

struct HistoryOptions {
  std::optional<std::string> rev_range;
  bool verbose = false;
  bool indicate_current = false;
};

int RunHistory(const GlobalOptions& global, const HistoryOptions& o) {
  std::string base, head;
  if (o.rev_range) {
    std::string range = Strip(*o.rev_range);
    std::vector<std::string> parts = Split(range, ":");
    if (parts.size() < 2) {
      throw ProjectError("History range requires [start]:[end], [start]:, or :[end]");
    }
    if (parts.size() > 2) throw ProjectError("History range has more than one ':': '" + range + "'");
    base = parts[0];
    head = parts[1];
  }
  if (o.indicate_current || base == "current" || head == "current") {
    throw UsageError("history -i and 'current' need the database, which this build of retort "
                     "cannot reach yet");
  }
  Project project = LoadProject(global);
  const RevisionMap& map = *project.map;
  const std::string lower = base.empty() ? "base" : base;
  const std::string upper = head.empty() ? "heads" : head;
  RevisionErrorWording wording;
  wording.start = lower;
  wording.end = upper;
  wording.has_start = wording.has_end = true;
  std::vector<int> revs = WithRevisionErrors(wording, [&] { return WalkRevisions(map, lower, upper); });
  if (global.json()) {
    nlohmann::json list = nlohmann::json::array();
    for (int r : revs) list.push_back(RevisionJson(map, r, project.MetadataPath(r)));
    std::cout << nlohmann::json{{"command", "history"}, {"revisions", list}, {"exit_code", 0},
                                {"exit_name", "ok"}}.dump(2)
              << "\n";
    return 0;
  }
  HeadOnlyOptions fmt;
  fmt.include_branches = true;
  fmt.include_doc = true;
  fmt.include_parents = true;
  std::string out;
  for (int r : revs) out += CmdFormat(map, r, o.verbose, fmt, project.MetadataPath(r)) + "\n";
  std::cout << out;
  return 0;
}

}  // namespace

void SetupHistory(CLI::App& app, Invocation& inv) {
  auto opts = std::make_shared<HistoryOptions>();
  CLI::App* cmd = app.add_subcommand("history", "List changeset scripts in chronological order.");
  cmd->add_option("-r,--rev-range", opts->rev_range,
                  "Specify a revision range; format is [start]:[end]");
  cmd->add_flag("-v,--verbose", opts->verbose, "Use more verbose output");
  cmd->add_flag("-i,--indicate-current", opts->indicate_current,
                "Indicate the current revision (reads the database)");
  cmd->callback([&inv, opts] {
    inv.command = "history";
    inv.run = [&inv, opts] { return RunHistory(inv.global, *opts); };
  });
}

}  // namespace retort
