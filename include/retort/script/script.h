#pragma once
#include <map>
#include <string>

#include "retort/revision/revision.h"

namespace retort {

/// A revision folder on disk: versions/<rev>_<slug>/ with migration.yaml,
/// upgrade.sql and downgrade.sql.
struct Script {
  Revision revision;
  std::string dir;              ///< absolute path of the revision folder
  std::string shown_dir;        ///< the folder as messages show it (DisplayPath)
  std::string metadata_path;    ///< .../migration.yaml
  std::string upgrade_sql;      ///< file contents (UTF-8 checked)
  std::string downgrade_sql;
  bool has_downgrade = false;   ///< downgrade.sql exists
  bool sql_loaded = false;      ///< the two .sql files have been read (ReadScriptSql)
  bool transactional = true;
  /// Fixtures: table name -> INSERT statement taking :tenant_id.
  std::map<std::string, std::string> isolation;
  int isolation_line = 0;       ///< line of the "isolation:" key (1-based), 0 if absent

  /// .../upgrade.sql and .../downgrade.sql (which may be missing). Spelled
  /// out when needed: most commands never open them.
  std::string UpgradePath() const { return dir + "/upgrade.sql"; }
  std::string DowngradePath() const { return dir + "/downgrade.sql"; }

  /// upgrade.sql or downgrade.sql as messages show it.
  std::string ShownSqlPath(bool upgrade) const {
    return shown_dir + (upgrade ? "/upgrade.sql" : "/downgrade.sql");
  }
};

}  // namespace retort
