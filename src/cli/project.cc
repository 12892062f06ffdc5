#include "retort/cli/project.h"

#include <filesystem>

#include "retort/common/error.h"
#include "retort/config/config_loader.h"
#include "retort/script/script_directory.h"

namespace retort {

std::string Project::MetadataPath(int node) const {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::absolute(script(node).metadata_path, ec);
  return ec ? script(node).metadata_path : p.lexically_normal().string();
}

Project LoadProject(const GlobalOptions& global) {
  Project project;
  EnvLookup env = ProcessEnv();
  project.config = LoadConfig(FindConfigPath(global.config, env), env);
  project.scripts = LoadScriptDirectory(project.config);
  std::vector<Revision> revisions;
  revisions.reserve(project.scripts.size());
  for (const Script& s : project.scripts) revisions.push_back(s.revision);
  project.map = std::make_unique<RevisionMap>(std::move(revisions));
  return project;
}

}  // namespace retort
