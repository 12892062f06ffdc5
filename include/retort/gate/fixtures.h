#pragma once
// Isolation fixtures (migration.yaml `isolation:`): which one applies to a
// table, and the static gate for a tenant table created without one.
#include <string>
#include <vector>

#include "retort/config/config.h"
#include "retort/gate/finding.h"
#include "retort/revision/revision_map.h"
#include "retort/script/script.h"
#include "retort/sql/statement_analysis.h"

namespace retort {

/// The fixture for one table: the INSERT with `:tenant_id` and where it was
/// declared (for messages).
struct Fixture {
  std::string sql;
  std::string revision;  ///< "" for tenancy.tenant_fixture (retort.yaml)
  std::string file;      ///< migration.yaml or retort.yaml as shown
  int line = 0;
};

/// The newest fixture for `table` ("schema.name" or "name") along the
/// graph: the nearest revision, walking down from `start` (breadth first
/// over down_revision and depends_on), whose `isolation:` names the table by
/// "name" or "schema.name". False when none does.
bool FindFixture(const RevisionMap& map, const std::vector<Script>& scripts, const std::vector<int>& start,
                 const std::string& table, Fixture* out);

/// isolation-fixture-missing, statically: the upgrade of revision `node`
/// creates a table with the tenant column, or adds the tenant column to a
/// table (in a managed schema, not a global table), and no fixture for that
/// table exists in this revision or its ancestors. The script's SQL must be
/// loaded; a script that does not parse gives nothing here (sql-syntax
/// reports it).
std::vector<Finding> CheckFixturesStatically(const RevisionMap& map, const std::vector<Script>& scripts, int node,
                                             const TenancyConfig& tenancy);
/// The same from the upgrade's analysis, made once per run.
std::vector<Finding> CheckFixturesStatically(const RevisionMap& map, const std::vector<Script>& scripts, int node,
                                             const TenancyConfig& tenancy, const ScriptAnalysis& upgrade);

}  // namespace retort
