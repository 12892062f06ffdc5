#pragma once
// One Setup function per command; each lives in src/cli/cmd_<name>.cc,
// binds its options and sets Invocation::run when its subcommand is parsed.
#include "retort/cli/app.h"

namespace retort {

void SetupInit(CLI::App& app, Invocation& inv);
void SetupRevision(CLI::App& app, Invocation& inv);
void SetupMerge(CLI::App& app, Invocation& inv);
void SetupHeads(CLI::App& app, Invocation& inv);
void SetupBranches(CLI::App& app, Invocation& inv);
void SetupHistory(CLI::App& app, Invocation& inv);
void SetupShow(CLI::App& app, Invocation& inv);
void SetupUpgrade(CLI::App& app, Invocation& inv);
void SetupDowngrade(CLI::App& app, Invocation& inv);
void SetupStamp(CLI::App& app, Invocation& inv);
void SetupCurrent(CLI::App& app, Invocation& inv);
void SetupVerify(CLI::App& app, Invocation& inv);
void SetupCheck(CLI::App& app, Invocation& inv);
void SetupLint(CLI::App& app, Invocation& inv);

}  // namespace retort
