// `retort revision` and `retort merge`: create a revision folder on top of
// the chosen head(s) (Alembic's ScriptDirectory.generate_revision).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "retort/cli/commands.h"
#include "retort/cli/project.h"
#include "retort/common/random_id.h"
#include "retort/script/script_directory.h"
#include "retort/script/script_writer.h"

namespace retort {
namespace {

namespace fs = std::filesystem;

struct RevisionOptions {
  std::optional<std::string> message;
  std::vector<std::string> heads;  ///< --head, or merge's positional revisions
  bool splice = false;
  std::vector<std::string> branch_labels;
  std::vector<std::string> depends_on;
  std::optional<std::string> rev_id;
  std::optional<std::string> version_path;
};

std::string VersionsDir(const Project& project, const std::optional<std::string>& requested,
                        const std::vector<int>& heads) {
  std::vector<fs::path> locations;
  for (const std::string& l : project.config.version_locations) {
    locations.push_back((fs::path(project.config.script_location) / l).lexically_normal());
  }
  if (!requested) {
    if (locations.size() == 1) return locations.front().string();
    for (int h : heads) return fs::path(project.script(h).dir).parent_path().string();
    throw ProjectError("Multiple version locations present, please specify --version-path");
  }
  fs::path want = fs::absolute(*requested).lexically_normal();
  for (const fs::path& l : locations) {
    if (l == want) return l.string();
  }
  throw ProjectError("Path " + *requested + " is not represented in current version locations");
}

int Generate(const GlobalOptions& global, const RevisionOptions& o, bool merge) {
  Project project = LoadProject(global);
  const RevisionMap& map = *project.map;
  const std::string id = o.rev_id.value_or(NewRevisionId());
  if (std::optional<std::string> problem = RevisionIdProblem(id)) throw ProjectError(*problem);
  if (map.FindId(id)) throw ProjectError("Revision " + id + " is present more than once");

  RevisionErrorWording wording;
  wording.multiple_heads =
      "Multiple heads are present; please specify the head revision on which the new revision "
      "should be based, or perform a merge.";
  std::vector<std::string> head_args = o.heads.empty() ? std::vector<std::string>{"head"} : o.heads;
  std::vector<RevRef> heads = WithRevisionErrors(wording, [&] { return map.GetRevisions(head_args); });
  std::vector<int> head_nodes;
  for (RevRef h : heads) {
    if (h == kBaseMark) throw ProjectError("A new revision cannot be based on a walk below base");
    if (h >= 0) {
      if (std::find(head_nodes.begin(), head_nodes.end(), h) != head_nodes.end()) {
        throw ProjectError("Duplicate head revisions specified");
      }
      head_nodes.push_back(h);
    }
  }
  if (!o.splice) {
    for (int h : head_nodes) {
      if (!map.node(h).is_head()) {
        throw ProjectError("Revision " + map.id(h) +
                           " is not a head revision; please specify --splice to create a new "
                           "branch from this revision");
      }
    }
  }
  Revision rev;
  rev.id = id;
  for (int h : head_nodes) rev.down_revisions.push_back(map.id(h));
  for (const std::string& dep : o.depends_on) {
    // Branch labels stay labels; partial ids are written out in full.
    RevRef r = WithRevisionErrors({}, [&] { return map.GetRevision(dep); });
    if (r < 0) throw ProjectError("Can't locate revision identified by '" + dep + "'");
    rev.depends_on.push_back(map.node(r).HasLabel(dep) ? dep : map.id(r));
  }
  for (const std::string& label : o.branch_labels) {
    if (std::optional<int> owner = map.LookupKey(label)) {
      throw ProjectError("Branch name '" + label + "' in revision " + id +
                         " already used by revision " + map.id(*owner));
    }
  }
  rev.branch_labels = o.branch_labels;
  rev.message = o.message.value_or("empty message");
  rev.create_date = NowCreateDate();
  std::string dir = WriteRevisionFolder(VersionsDir(project, o.version_path, head_nodes), rev,
                                        merge && rev.down_revisions.size() > 1);
  std::cout << "  Generating " << dir << " ...  done\n";
  return 0;
}

void AddCommonOptions(CLI::App* cmd, RevisionOptions& o) {
  cmd->add_option("-m,--message", o.message, "Message string to use with 'revision'");
  cmd->add_option("--branch-label", o.branch_labels,
                  "Specify a branch label to apply to the new revision");
  cmd->add_option("--rev-id", o.rev_id,
                  "Specify a hardcoded revision id instead of generating one");
}

}  // namespace

void SetupRevision(CLI::App& app, Invocation& inv) {
  auto opts = std::make_shared<RevisionOptions>();
  CLI::App* cmd = app.add_subcommand("revision", "Create a new revision folder.");
  AddCommonOptions(cmd, *opts);
  cmd->add_option("--head", opts->heads,
                  "Specify head revision or <branchname>@head to base new revision on");
  cmd->add_flag("--splice", opts->splice, "Allow a non-head revision as the 'head' to splice onto");
  cmd->add_option("--depends-on", opts->depends_on,
                  "Specify one or more revision identifiers which this revision should depend on");
  cmd->add_option("--version-path", opts->version_path,
                  "Specify specific path from config for version file");
  cmd->callback([&inv, opts] {
    inv.command = "revision";
    inv.run = [&inv, opts] { return Generate(inv.global, *opts, false); };
  });
}

void SetupMerge(CLI::App& app, Invocation& inv) {
  auto opts = std::make_shared<RevisionOptions>();
  CLI::App* cmd = app.add_subcommand("merge", "Merge two revisions together. Creates a new revision folder.");
  cmd->add_option("revisions", opts->heads, "one or more revisions, or 'heads' for all heads")->required();
  AddCommonOptions(cmd, *opts);
  cmd->callback([&inv, opts] {
    inv.command = "merge";
    inv.run = [&inv, opts] { return Generate(inv.global, *opts, true); };
  });
}

}  // namespace retort
