// `retort upgrade TARGET`: apply revisions up to TARGET.
#include "retort/cli/commands.h"
#include "retort/cli/move_command.h"

namespace retort {

void SetupUpgrade(CLI::App& app, Invocation& inv) {
  SetupMoveCommand(app, inv, PlannedStep::Kind::kUpgrade, "Upgrade to a later version.",
                   "target: head, heads, a revision id or prefix, branch@head, +N, rev+N; "
                   "FROM:TO with --sql");
}

}  // namespace retort
