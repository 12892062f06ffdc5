// `retort downgrade TARGET`: revert revisions down to TARGET.
#include "retort/cli/commands.h"
#include "retort/cli/move_command.h"

namespace retort {

void SetupDowngrade(CLI::App& app, Invocation& inv) {
  SetupMoveCommand(app, inv, PlannedStep::Kind::kDowngrade, "Revert to a previous version.",
                   "target: base, a revision id or prefix, -N, branch@-N, rev-N; FROM:TO with --sql");
}

}  // namespace retort
