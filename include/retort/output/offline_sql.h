#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "retort/plan/step.h"

namespace retort {

/// Where the version table lives.
struct VersionTableRef {
  std::string table = "alembic_version";
  std::optional<std::string> schema;
};

/// "alembic_version" or "meta.retort_version", quoted where PostgreSQL needs it.
std::string QualifiedName(const VersionTableRef& ref);
/// Alembic's CREATE TABLE for the version table (without the trailing ";").
std::string CreateVersionTableSql(const VersionTableRef& ref);
/// Alembic's statement for one row change (without the trailing ";").
std::string VersionChangeSql(const VersionTableRef& ref, const VersionChange& change);

/// Alembic's offline (`--sql`) script with transaction_per_migration: one
/// BEGIN/COMMIT per step, the version table created when a step starts with
/// no heads. `statements` gives the SQL statements a step runs (none for a
/// stamp). Unlike Alembic 1.8, it never drops the version table when the
/// last head goes (Alembic >= 1.19, issue #1822). A step for which
/// `transactional` says false (CREATE INDEX CONCURRENTLY and the like) has
/// its statements before its BEGIN, outside any transaction, as the runner
/// runs them.
std::string RenderOfflineSql(const std::vector<PlannedStep>& steps, const VersionTableRef& table,
                             const std::vector<std::string>& initial_heads,
                             const std::function<std::vector<std::string>(const PlannedStep&)>& statements,
                             const std::function<bool(const PlannedStep&)>& transactional = nullptr);
/// The same script, handed to `write` in pieces of about 64 KB: a long
/// plan's script is megabytes, and holding it whole only costs memory.
void WriteOfflineSql(const std::vector<PlannedStep>& steps, const VersionTableRef& table,
                     const std::vector<std::string>& initial_heads,
                     const std::function<std::vector<std::string>(const PlannedStep&)>& statements,
                     const std::function<bool(const PlannedStep&)>& transactional,
                     const std::function<void(const std::string&)>& write);

}  // namespace retort
