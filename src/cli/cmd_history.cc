// `retort history`: Alembic's `history` command (list from heads to base).
#include <CLI/CLI.hpp>

#include <iostream>

#include <nlohmann/json.hpp>

#include <algorithm>

#include "retort/cli/commands.h"
#include "retort/cli/connect.h"
#include "retort/exec/runner.h"
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
  Project project = LoadProject(global, /*with_sql=*/false);
  const RevisionMap& map = *project.map;
  // -i and "current" in the range read the version table (never create it).
  std::vector<std::string> rows;
  const bool uses_database = o.indicate_current || base == "current" || head == "current";
  if (uses_database) {
    rows = ConnectDatabase(global, project.config)->ReadHeads();
    RequireKnownHeads(map, rows);
  }
  auto end_arg = [&](const std::string& given, const char* fallback) {
    if (given == "current" && !rows.empty()) return RevArg::Tuple(rows);
    return RevArg::Str(given.empty() || given == "current" ? fallback : given);
  };
  const RevArg lower = end_arg(base, "base");
  const RevArg upper = end_arg(head, "heads");
  RevisionErrorWording wording;
  wording.start = lower.Display();
  wording.end = upper.Display();
  wording.has_start = wording.has_end = true;
  std::vector<int> revs = WithRevisionErrors(wording, [&] { return WalkRevisions(map, lower, upper); });
  auto is_current = [&](int r) {
    return o.indicate_current && std::find(rows.begin(), rows.end(), map.id(r)) != rows.end();
  };
  if (global.json()) {
    nlohmann::json list = nlohmann::json::array();
    for (int r : revs) {
      nlohmann::json j = RevisionJson(map, r, project.MetadataPath(r));
      if (uses_database) j["is_current"] = std::find(rows.begin(), rows.end(), map.id(r)) != rows.end();
      list.push_back(j);
    }
    std::cout << nlohmann::json{{"command", "history"}, {"revisions", list}, {"exit_code", 0},
                                {"exit_name", "ok"}}.dump(2)
              << "\n";
    return 0;
  }
  HeadOnlyOptions fmt;
  fmt.include_branches = true;
  fmt.include_doc = true;
  fmt.include_parents = true;
  // Written out in pieces: on a large graph the whole listing is megabytes
  // (every line carries the labels of its branch), and one string holding it
  // was grown by copying, each size faulting in fresh pages.
  constexpr size_t kFlushAt = 64 * 1024;
  std::string out;
  out.reserve(kFlushAt + 4096);
  for (int r : revs) {
    out += CmdFormat(map, r, o.verbose, fmt, project.MetadataPath(r), is_current(r));
    out += '\n';
    if (out.size() >= kFlushAt) {
      std::cout << out;
      out.clear();
    }
  }
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
