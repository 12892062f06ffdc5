// Fuzz target: the script-directory loader. Each input is a migration.yaml:
// (1) the fast line parser and the YAML parser must agree whenever the fast
//     one accepts (ParseMigrationYamlFast promises exactly that);
// (2) the input is written to versions/a1/migration.yaml of a scratch project
//     (with an upgrade.sql) and loaded the way every command loads a project,
//     then built into a revision graph.
// Expected failures are retort::Error (ProjectError, exit 3); anything else
// escaping is a bug (the CLI would report "internal error", exit 70).
#include <sys/stat.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fuzz_support.h"
#include "retort/common/error.h"
#include "retort/config/config.h"
#include "retort/config/project_file.h"
#include "retort/revision/revision_map.h"
#include "retort/script/migration_yaml_fast.h"
#include "retort/script/script_directory.h"

namespace {

bool SameScript(const retort::Script& a, const retort::Script& b) {
  const retort::Revision& x = a.revision;
  const retort::Revision& y = b.revision;
  return x.id == y.id && x.down_revisions == y.down_revisions && x.depends_on == y.depends_on &&
         x.branch_labels == y.branch_labels && x.message == y.message &&
         x.create_date == y.create_date && x.line == y.line &&
         x.down_revision_line == y.down_revision_line && x.depends_on_line == y.depends_on_line &&
         x.branch_labels_line == y.branch_labels_line && a.transactional == b.transactional &&
         a.isolation == b.isolation && a.isolation_line == b.isolation_line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string path = "versions/a1/migration.yaml";

  // (1) fast path vs YAML parser, on what the fast path is given in the
  // loader: a file that passed ReadProjectFile's UTF-8/NUL check (it does
  // not check encoding again; the YAML parser does).
  bool utf8 = true;
  try {
    retort::CheckUtf8Text(path, text);
  } catch (const retort::Error&) {
    utf8 = false;
  }
  std::optional<retort::Script> fast;
  if (utf8) fast = retort::ParseMigrationYamlFast(path, text);
  std::optional<retort::Script> slow;
  try {
    slow = retort::ParseMigrationYaml(path, text);
  } catch (const retort::Error&) {
  }
  if (fast && (!slow || !SameScript(*fast, *slow))) {
    std::fprintf(stderr, "fast migration.yaml parser accepted what the YAML parser %s\n",
                 slow ? "reads differently" : "rejects");
    std::abort();
  }

  // (2) the loader on disk.
  static const std::string root = [] {
    const std::string r = retort::fuzz::ScratchDir() + "/project";
    ::mkdir(r.c_str(), 0700);
    ::mkdir((r + "/versions").c_str(), 0700);
    ::mkdir((r + "/versions/a1").c_str(), 0700);
    retort::fuzz::WriteFile(r + "/versions/a1/upgrade.sql", "SELECT 1;\n");
    return r;
  }();
  retort::fuzz::WriteFile(root + "/versions/a1/migration.yaml", text);
  retort::Config config;
  config.config_path = root + "/retort.yaml";
  config.script_location = root;
  try {
    std::vector<retort::Script> scripts = retort::LoadScriptDirectory(config);
    std::vector<retort::Revision> revisions;
    for (const retort::Script& s : scripts) revisions.push_back(s.revision);
    retort::RevisionMap map(std::move(revisions));
    (void)map.heads();
  } catch (const retort::Error&) {
  }
  return 0;
}
