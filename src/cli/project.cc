#include "retort/cli/project.h"

#include <filesystem>

#include "retort/common/error.h"
#include "retort/config/config_loader.h"
#include "retort/config/project_file.h"
#include "retort/gate/catalog_gates.h"
#include "retort/script/script_directory.h"

namespace retort {

const std::string& Project::MetadataPath(int node) const {
  // The loader builds it from the normalised absolute version location.
  return script(node).metadata_path;
}

namespace {
bool keep_at_exit = false;
}  // namespace

void KeepProjectsAtExit() { keep_at_exit = true; }

Project::~Project() {
  if (!keep_at_exit) return;
  struct Kept {
    std::vector<std::vector<Script>> scripts;
    std::vector<std::unique_ptr<RevisionMap>> maps;
  };
  static Kept* kept = new Kept;  // never freed, on purpose
  kept->scripts.push_back(std::move(scripts));
  kept->maps.push_back(std::move(map));
}

Project LoadProject(const GlobalOptions& global, bool with_sql) {
  Project project;
  EnvLookup env = ProcessEnv();
  project.config = LoadConfig(FindConfigPath(global.config, env), env);
  // A waiver must name a finding that can be waived: a typo would silently
  // waive nothing, and the downgrade, WHERE and isolation gates never yield.
  for (const Waiver& w : project.config.waivers) {
    if (!IsWaivable(w.rule)) {
      throw ProjectError(DisplayPath(project.config.config_path) + ":" + std::to_string(w.line) +
                             ": waiver rule '" + w.rule + "' is not a catalog finding that can be waived",
                         "waivable: the catalog gate ids of retort.yaml(5) GATES (rls-disabled, "
                         "tenant-index-missing, ...); downgrade, DELETE/UPDATE-without-WHERE and isolation "
                         "findings cannot be waived");
    }
  }
  LoadOptions options;
  options.read_sql = with_sql;
  project.scripts = LoadScriptDirectory(project.config, options);
  // The map refers to the Scripts' revisions instead of copying them: the
  // scripts vector is never resized, and a Project only moves as a whole.
  std::vector<const Revision*> revisions;
  revisions.reserve(project.scripts.size());
  for (const Script& s : project.scripts) revisions.push_back(&s.revision);
  project.map = std::make_unique<RevisionMap>(revisions);
  return project;
}

}  // namespace retort
