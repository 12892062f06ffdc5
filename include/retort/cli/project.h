#pragma once
#include <memory>
#include <string>
#include <vector>

#include "retort/cli/app.h"
#include "retort/config/config.h"
#include "retort/common/error.h"
#include "retort/revision/revision_map.h"
#include "retort/script/script.h"

namespace retort {

/// A loaded script directory: config, revision folders and their graph.
struct Project {
  Config config;
  std::vector<Script> scripts;       ///< in the graph's node order
  std::unique_ptr<RevisionMap> map;

  Project() = default;
  Project(Project&&) = default;
  Project& operator=(Project&&) = default;
  /// Frees everything, unless KeepProjectsAtExit() was called.
  ~Project();

  const Script& script(int node) const { return scripts[static_cast<size_t>(node)]; }
  /// Absolute path of a revision's migration.yaml (the "Path:" of listings).
  const std::string& MetadataPath(int node) const;
};

/// Loads retort.yaml (from -c, RETORT_CONFIG or ./retort.yaml), every
/// revision folder, and validates the graph. Throws ProjectError (exit 3).
/// `with_sql` = false reads only each migration.yaml (for listings, which
/// never look at the SQL: this is most of their cost on large projects).
Project LoadProject(const GlobalOptions& global, bool with_sql = true);

/// From now on a Project's destructor keeps its scripts and graph instead of
/// freeing them: for the command-line entry point, whose process ends right
/// after the command (freeing 10,000 revisions node by node is pure cost;
/// the kernel takes the memory back at exit). They stay reachable through a
/// static list, so leak checkers do not flag them. Tests never call this.
void KeepProjectsAtExit();

/// Runs `fn`; a RevisionError becomes a ProjectError (exit 3) worded the way
/// Alembic's command layer words it (_catch_revision_errors).
template <typename F>
auto WithRevisionErrors(const RevisionErrorWording& wording, F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const RevisionError& e) {
    throw ProjectError(FormatRevisionError(e, wording));
  }
}

}  // namespace retort
