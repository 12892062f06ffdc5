// `retort verify [--ephemeral]`: prove the whole revision chain on a scratch
// database: base -> heads one step at a time, the stairway (each step down,
// up and down again), then heads -> base through the planner.
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <chrono>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "retort/cli/commands.h"
#include "retort/cli/connect.h"
#include "retort/cli/finding_report.h"
#include "retort/cli/project.h"
#include "retort/common/text.h"
#include "retort/db/ephemeral_cluster.h"
#include "retort/db/pg_module.h"
#include "retort/db/temporary_database.h"
#include "retort/exec/runner.h"
#include "retort/plan/planner.h"

namespace retort {
namespace {

struct VerifyOptions {
  bool ephemeral = false;
};

class VerifyRun {
 public:
  // Every gate runs as in a real upgrade, but the scratch database needs no
  // destructive confirmation (SPEC §6).
  VerifyRun(const GlobalOptions& global, Project& project, Database& db)
      : global_(global),
        project_(project),
        db_(db),
        runner_(db, *project.map, project.scripts, project.config,
                GateOptions{true, [](const std::vector<DestructiveTarget>&) {}}) {}

  /// Runs one step, reports it, and checks the version table is where the
  /// plan says it must be.
  void Step(const std::string& phase, PlannedStep step) {
    std::vector<PlannedStep> one{std::move(step)};
    AssignVersionChanges(*project_.map, heads_, one);
    StepOutcome done = runner_.RunStep(one.front());
    heads_ = one.front().heads_after;
    ++steps_;
    if (!global_.quiet) std::cerr << "[" << phase << "] " << done.label << " … " << done.duration_ms << " ms\n";
    log_.push_back({{"phase", phase}, {"label", done.label}, {"duration_ms", done.duration_ms}});
  }

  void Plan(const std::string& phase, const std::vector<PlannedStep>& steps) {
    for (const PlannedStep& s : steps) Step(phase, s);
  }

  int Execute() {
    const RevisionMap& map = *project_.map;
    // The static gates over every revision (both scripts) before anything runs.
    std::vector<Finding> findings = runner_.CheckStatically(PlanUpgrade(map, "heads", {}));
    if (HasBlocking(findings)) {
      throw GateRefusal("refused before anything ran: the scripts fail the static gates", findings,
                        "fix the findings above (retort lint shows them without a database)");
    }
    db_.EnsureVersionTable();
    db_.EnsureHistoryTable();
    // 1. base -> heads, one step at a time.
    std::vector<PlannedStep> up = PlanUpgrade(map, "heads", {});
    Plan("up", up);
    const std::vector<std::string> top = heads_;
    // 2. The stairway: from the top, each step down, up again, and down.
    for (auto it = up.rbegin(); it != up.rend(); ++it) {
      int node = *map.FindId(it->revision);
      Step("stairway", MakeRevisionStep(map, node, false));
      Step("stairway", MakeRevisionStep(map, node, true));
      Step("stairway", MakeRevisionStep(map, node, false));
    }
    if (!heads_.empty()) {
      throw Error(ExitCode::kStepFailed, "after the stairway the version table holds " + Join(heads_, ", ") +
                                             "; expected it empty");
    }
    // 3. Up again, then heads -> base as the planner orders it.
    Plan("up", PlanUpgrade(map, "heads", {}));
    if (heads_ != top) throw Error(ExitCode::kStepFailed, "second upgrade reached different heads");
    Plan("down", PlanDowngrade(map, "base", heads_));
    if (!heads_.empty() || !db_.ReadHeads().empty()) {
      throw Error(ExitCode::kStepFailed, "downgrade base left rows in the version table");
    }
    return 0;
  }

  size_t steps() const { return steps_; }
  const nlohmann::json& log() const { return log_; }

 private:
  const GlobalOptions& global_;
  Project& project_;
  Database& db_;
  Runner runner_;
  std::vector<std::string> heads_;
  size_t steps_ = 0;
  nlohmann::json log_ = nlohmann::json::array();
};

int RunVerify(const GlobalOptions& global, const VerifyOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  Project project = LoadProject(global);
  const PgModule& pg = LoadPgModule();  // before starting a cluster it could not talk to
  std::unique_ptr<EphemeralCluster> cluster;
  std::string server;
  if (o.ephemeral) {
    cluster = std::make_unique<EphemeralCluster>();
    server = cluster->Conninfo();
    if (!global.quiet) {
      std::cerr << "started a throwaway PostgreSQL from " << cluster->bin_dir() << " on port "
                << cluster->port() << "\n";
    }
  } else {
    server = ResolveDatabaseUrl(global, project.config);
  }
  std::string summary;
  nlohmann::json log;
  size_t steps = 0;
  {
    std::unique_ptr<TemporaryDatabase> scratch = pg.create_disposable(server, "retort_verify");
    std::unique_ptr<Database> db = pg.connect(scratch->url(), project.config);
    VerifyRun run(global, project, *db);
    try {
      run.Execute();
    } catch (const GateRefusal& e) {
      PrintFindings(std::cerr, e.findings());
      if (global.json()) {
        std::cout << nlohmann::json{{"command", "verify"},
                                    {"ephemeral", o.ephemeral},
                                    {"steps", run.log()},
                                    {"findings", FindingsJson(e.findings())},
                                    {"error", {{"message", e.what()}, {"hint", e.hint()}}},
                                    {"exit_code", static_cast<int>(e.code())},
                                    {"exit_name", ExitCodeName(e.code())}}
                         .dump(2)
                  << "\n";
        std::cerr << "error: " << e.what() << "\n";
        return static_cast<int>(e.code());
      }
      throw;
    }
    steps = run.steps();
    log = run.log();
  }
  if (cluster) cluster->Stop();
  const long long ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - start)
                           .count();
  if (global.json()) {
    std::cout << nlohmann::json{{"command", "verify"}, {"ephemeral", o.ephemeral},
                                {"revisions", project.map->size()}, {"steps", log},
                                {"duration_ms", ms}, {"exit_code", 0}, {"exit_name", "ok"}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << "verify: " << project.map->size() << " revisions proved: base -> heads, the stairway "
              << "(each step down, up, down) and heads -> base; " << steps << " steps in " << ms << " ms"
              << (o.ephemeral ? "; throwaway cluster removed" : "; scratch database dropped") << "\n";
  }
  return 0;
}

}  // namespace

void SetupVerify(CLI::App& app, Invocation& inv) {
  auto opts = std::make_shared<VerifyOptions>();
  CLI::App* cmd = app.add_subcommand(
      "verify", "Prove every revision on a scratch database: up, the stairway, and down.");
  cmd->add_flag("--ephemeral", opts->ephemeral,
                "Start a throwaway PostgreSQL from the local binaries, and remove it afterwards");
  cmd->callback([&inv, opts] {
    inv.command = "verify";
    inv.run = [&inv, opts] { return RunVerify(inv.global, *opts); };
  });
}

}  // namespace retort
