// What upgrade and downgrade share: their arguments and the split between the
// offline script (--sql FROM:TO), the dry run and the online run.
#include "retort/cli/move_command.h"

#include <CLI/CLI.hpp>

#include <memory>

#include "retort/cli/offline.h"
#include "retort/cli/online.h"
#include "retort/plan/planner.h"

namespace retort {
namespace {

struct MoveOptions {
  std::string revision;
  bool sql = false;
  bool dry_run = false;
  std::optional<std::string> tag;  ///< accepted for Alembic compatibility
  std::optional<std::string> confirm;
};

int RunMove(const GlobalOptions& global, PlannedStep::Kind kind, const MoveOptions& o) {
  const bool upgrade = kind == PlannedStep::Kind::kUpgrade;
  const char* name = StepKindName(kind);
  auto [from, destination] = SplitRange(o.revision);
  if (from && !o.sql) throw ProjectError("Range revision not allowed");
  if (!upgrade && o.sql && !from) throw ProjectError("downgrade with --sql requires <fromrev>:<torev>");
  if (o.sql && o.dry_run) throw UsageError("--sql and --dry-run do not go together");
  if (o.sql && o.confirm) throw UsageError("--confirm applies to an online run, not to --sql");
  if (!o.sql) {
    RunRequest request;
    request.kind = kind;
    request.target = destination;
    return RunOnline(global, name, request, OnlineOptions{o.dry_run, o.confirm});
  }
  // Offline SQL reads only the script files of the planned steps.
  Project project = LoadProject(global, /*with_sql=*/false);
  std::vector<std::string> heads = OfflineStartingHeads(project, from);
  std::vector<PlannedStep> steps = upgrade ? PlanUpgrade(*project.map, destination, heads)
                                           : PlanDowngrade(*project.map, destination, heads);
  return EmitOfflineSql(project, global, name, steps, heads);
}

}  // namespace

void SetupMoveCommand(CLI::App& app, Invocation& inv, PlannedStep::Kind kind, const char* description,
                      const char* target_help) {
  auto opts = std::make_shared<MoveOptions>();
  CLI::App* cmd = app.add_subcommand(StepKindName(kind), description);
  cmd->add_option("revision", opts->revision, target_help)->required();
  cmd->add_flag("--sql", opts->sql, "Don't emit SQL to database - dump to standard output instead");
  cmd->add_flag("--dry-run", opts->dry_run,
                "Read the database and print the plan (steps, statements, row changes); change nothing");
  cmd->add_option("--confirm", opts->confirm,
                  "Confirm the destructive statements: TABLE=COUNT[,...] exactly as a dry run prints it; "
                  "refused unless the counts match the live database");
  cmd->add_option("--tag", opts->tag, "Arbitrary 'tag' name (accepted for Alembic compatibility)");
  cmd->callback([&inv, opts, kind] {
    inv.command = StepKindName(kind);
    inv.run = [&inv, opts, kind] { return RunMove(inv.global, kind, *opts); };
  });
}

}  // namespace retort
