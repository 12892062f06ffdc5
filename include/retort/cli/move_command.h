#pragma once
#include "retort/cli/app.h"
#include "retort/plan/step.h"

namespace retort {

/// Declares `upgrade` or `downgrade`: one TARGET (FROM:TO with --sql),
/// --sql for the offline script, --dry-run for the read-only preview, and
/// --tag; without --sql it runs against the database.
void SetupMoveCommand(CLI::App& app, Invocation& inv, PlannedStep::Kind kind, const char* description,
                      const char* target_help);

}  // namespace retort
