// Command-line wiring: global options, the subcommand table, and turning
// errors into messages and exit codes (SPEC §4).
#include "retort/cli/app.h"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#include <nlohmann/json.hpp>

#include "retort/cli/commands.h"
#include "retort/common/error.h"
#include "retort/common/version.h"
#include "retort/db/pg_module.h"
#include "retort/sql/library_version.h"

namespace retort {
namespace {

/// Exit status for a bug in retort itself (sysexits' EX_SOFTWARE), outside
/// the table of ExitCode because no user action causes it.
constexpr int kInternalError = 70;

/// "libpq 15.18" for --version, asked of the PostgreSQL module; what is
/// wrong with it when it cannot be loaded (the version is still printed).
std::string LibpqLine() {
  try {
    return "libpq " + LoadPgModule().libpq_version();
  } catch (const Error& e) {
    return std::string("libpq unavailable: ") + e.what();
  }
}

void PrintError(const Invocation& inv, int code, const std::string& message, const std::string& hint) {
  std::cerr << "error: " << message << "\n";
  if (!hint.empty()) std::cerr << "hint: " << hint << "\n";
  if (inv.global.json()) {
    nlohmann::json doc{{"command", inv.command},
                       {"error", {{"message", message}, {"hint", hint}}},
                       {"exit_code", code},
                       {"exit_name", code == kInternalError ? "internal-error"
                                                            : ExitCodeName(static_cast<ExitCode>(code))}};
    std::cout << doc.dump(2) << "\n";
  }
}

}  // namespace

void BuildApp(CLI::App& app, Invocation& inv) {
  app.description(
      "retort: an Alembic-compatible migration runner for PostgreSQL that refuses unsafe "
      "multi-tenant migrations");
  app.set_version_flag("--version", [] {
    return std::string("retort ") + kVersion + "\n" + LibpqLine() + "\nlibpg_query " + PgQueryVersion();
  });
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the command
  app.add_option("-c,--config", inv.global.config,
                 "retort.yaml to use (default: $RETORT_CONFIG, else ./retort.yaml)");
  app.add_option("--url", inv.global.url,
                 "database URL; overrides DATABASE_URL and database_url in retort.yaml");
  app.add_option("--format", inv.global.format, "output format")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_flag("-q,--quiet", inv.global.quiet, "print results only, no progress");
  app.add_flag("--no-color", inv.global.no_color, "never use colors (also NO_COLOR)");

  SetupInit(app, inv);
  SetupRevision(app, inv);
  SetupMerge(app, inv);
  SetupHeads(app, inv);
  SetupBranches(app, inv);
  SetupHistory(app, inv);
  SetupShow(app, inv);
  SetupUpgrade(app, inv);
  SetupDowngrade(app, inv);
  SetupStamp(app, inv);
  SetupCurrent(app, inv);
  SetupVerify(app, inv);
  SetupCheck(app, inv);
  SetupLint(app, inv);
}

int RunCommandLine(int argc, char** argv) {
  CLI::App app;
  Invocation inv;
  BuildApp(app, inv);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    std::cerr << "error: " << e.what() << "\n"
              << "hint: run 'retort --help' (or 'retort COMMAND --help') for usage\n";
    return static_cast<int>(ExitCode::kUsage);
  }
  if (const char* nc = std::getenv("NO_COLOR"); nc != nullptr && *nc != '\0') {
    inv.global.no_color = true;
  }
  try {
    return inv.run();
  } catch (const Error& e) {
    PrintError(inv, static_cast<int>(e.code()), e.what(), e.hint());
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    // Anything else is a bug in retort, not in the user's project.
    PrintError(inv, kInternalError, std::string("internal error: ") + e.what(),
               "please report this with the command line that caused it");
    return kInternalError;
  }
}

}  // namespace retort
