// `retort stamp REV...`: set the version table without running any script.
#include <CLI/CLI.hpp>

#include "retort/cli/commands.h"
#include "retort/cli/offline.h"
#include "retort/cli/online.h"
#include "retort/plan/planner.h"

namespace retort {
namespace {

struct StampOptions {
  std::vector<std::string> revisions;
  bool sql = false;
  bool purge = false;
  std::optional<std::string> tag;
};

int RunStamp(const GlobalOptions& global, const StampOptions& o) {
  if (o.sql && o.purge) throw ProjectError("Can't use --purge with --sql mode");
  if (!o.sql) {
    RunRequest request;
    request.kind = PlannedStep::Kind::kStamp;
    request.stamp_targets = o.revisions;
    request.purge = o.purge;
    return RunOnline(global, "stamp", request, OnlineOptions{});
  }
  std::optional<std::string> from;
  std::vector<std::string> destinations;
  for (const std::string& spec : o.revisions) {
    auto [start, dest] = SplitRange(spec);
    if (start) {
      if (from && *from != *start) {
        throw ProjectError("Stamp operation with --sql only supports a single starting revision at a time");
      }
      from = start;
    }
    destinations.push_back(dest);
  }
  Project project = LoadProject(global, /*with_sql=*/false);  // a stamp runs no script
  std::vector<std::string> heads = OfflineStartingHeads(project, from);
  std::vector<PlannedStep> steps = PlanStamp(*project.map, destinations, heads);
  return EmitOfflineSql(project, global, "stamp", steps, heads);
}

}  // namespace

void SetupStamp(CLI::App& app, Invocation& inv) {
  auto opts = std::make_shared<StampOptions>();
  CLI::App* cmd = app.add_subcommand("stamp", "'stamp' the revision table with the given revision; "
                                              "don't run any migrations.");
  cmd->add_option("revisions", opts->revisions, "revision(s) to stamp; FROM:TO with --sql")
      ->required();
  cmd->add_flag("--sql", opts->sql, "Don't emit SQL to database - dump to standard output instead");
  cmd->add_flag("--purge", opts->purge, "Delete all entries in the version table before stamping");
  cmd->add_option("--tag", opts->tag, "Arbitrary 'tag' name (accepted for Alembic compatibility)");
  cmd->callback([&inv, opts] {
    inv.command = "stamp";
    inv.run = [&inv, opts] { return RunStamp(inv.global, *opts); };
  });
}

}  // namespace retort
