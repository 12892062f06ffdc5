// `retort downgrade TARGET`: revert revisions down to TARGET.
#include <CLI/CLI.hpp>

#include "retort/cli/commands.h"
#include "retort/cli/offline.h"
#include "retort/cli/online.h"
#include "retort/plan/planner.h"

namespace retort {
namespace {

struct DowngradeOptions {
  std::string revision;
  bool sql = false;
  bool dry_run = false;
  std::optional<std::string> tag;
};

int RunDowngrade(const GlobalOptions& global, const DowngradeOptions& o) {
  auto [from, destination] = SplitRange(o.revision);
  if (from && !o.sql) throw ProjectError("Range revision not allowed");
  if (o.sql && !from) throw ProjectError("downgrade with --sql requires <fromrev>:<torev>");
  if (o.sql && o.dry_run) throw UsageError("--sql and --dry-run do not go together");
  if (!o.sql) {
    RunRequest request;
    request.kind = PlannedStep::Kind::kDowngrade;
    request.target = destination;
    return RunOnline(global, "downgrade", request, o.dry_run);
  }
  Project project = LoadProject(global);
  std::vector<std::string> heads = OfflineStartingHeads(project, from);
  std::vector<PlannedStep> steps = PlanDowngrade(*project.map, destination, heads);
  return EmitOfflineSql(project, global, "downgrade", steps, heads);
}

}  // namespace

void SetupDowngrade(CLI::App& app, Invocation& inv) {
  auto opts = std::make_shared<DowngradeOptions>();
  CLI::App* cmd = app.add_subcommand("downgrade", "Revert to a previous version.");
  cmd->add_option("revision", opts->revision,
                  "target: base, a revision id or prefix, -N, branch@-N, rev-N; FROM:TO with --sql")
      ->required();
  cmd->add_flag("--sql", opts->sql, "Don't emit SQL to database - dump to standard output instead");
  cmd->add_flag("--dry-run", opts->dry_run,
                "Read the database and print the plan (steps, statements, row changes); change nothing");
  cmd->add_option("--tag", opts->tag, "Arbitrary 'tag' name (accepted for Alembic compatibility)");
  cmd->callback([&inv, opts] {
    inv.command = "downgrade";
    inv.run = [&inv, opts] { return RunDowngrade(inv.global, *opts); };
  });
}

}  // namespace retort
