#pragma once
#include <optional>
#include <string>
#include <vector>

#include "retort/config/config.h"
#include "retort/script/script.h"

namespace retort {

/// Why `id` cannot be a revision id, or nullopt. SPEC §2: [0-9a-z_]+ and at
/// most 32 characters, because alembic_version.version_num is VARCHAR(32).
std::optional<std::string> RevisionIdProblem(const std::string& id);

/// Parses one migration.yaml (SPEC §2); pure, `path` is only for messages
/// and Revision::source. Checks each value on its own: the id rule, the
/// characters of the ids in down_revision (none of Alembic's @ - + :,
/// no space or comma), depends_on and branch_labels entries matching
/// [0-9A-Za-z_.]+ (an id, a partial id or a branch label), and no revision
/// naming itself. Whether the ids it names exist is RevisionMap's business.
/// Throws ProjectError "<path>:<line>:<column>: ..." naming the key.
Script ParseMigrationYaml(const std::string& path, const std::string& text);

/// Reads every revision folder of config.version_locations (relative to
/// config.script_location), sorted by folder name (bytewise; ties by
/// location order). Skips hidden entries, __pycache__ and plain files
/// other than a stray *.py / *.sql (an error: likely a misplaced
/// revision). Each folder needs migration.yaml and upgrade.sql; a missing
/// downgrade.sql leaves has_downgrade false for the downgrade-missing gate.
/// The folder is named <id> or <id>_<slug>, and an id is declared once.
/// Script paths are absolute; Revision::source is the path as shown to
/// the user (DisplayPath). Throws ProjectError.
struct LoadOptions {
  /// Also read upgrade.sql and downgrade.sql (listings need only metadata;
  /// ReadScriptSql loads them later).
  bool read_sql = true;
};
std::vector<Script> LoadScriptDirectory(const Config& config, const LoadOptions& options = {});

/// Reads a script's upgrade.sql (required) and downgrade.sql (optional) if
/// not read yet. Throws ProjectError naming the file.
void ReadScriptSql(Script& script);

/// One of a script's SQL files — from memory when already read, else from
/// disk (offline SQL needs only the files of the planned steps). nullopt
/// for a missing downgrade.sql; a missing upgrade.sql is a ProjectError.
std::optional<std::string> ScriptSqlText(const Script& script, bool upgrade);

}  // namespace retort
