#pragma once
// The isolation probe of SPEC §6: inside the step's transaction, under a
// savepoint that is always rolled back, create two probe tenants and one row
// per tenant-scoped table for each from the fixtures, then check as the app
// role what each tenant context sees and may write.
#include <string>
#include <vector>

#include "retort/config/config.h"
#include "retort/db/database.h"
#include "retort/gate/finding.h"
#include "retort/gate/fixtures.h"
#include "retort/revision/revision_map.h"
#include "retort/script/script.h"

namespace retort {

/// One tenant-scoped table to probe and its fixture (found or not).
struct ProbeTable {
  std::string table;  ///< "schema.name"
  bool has_fixture = false;
  Fixture fixture;
};

/// Runs the probe over `tables` (tenant-scoped, all existing) inside the
/// open step transaction. Never leaves a row, a tenant, a role change or a
/// savepoint behind, passing or failing. Findings (all errors, none
/// waivable): isolation-fixture-missing, isolation-fixture-failed,
/// isolation-app-role-missing, isolation-a-sees-nothing,
/// isolation-a-sees-other, isolation-b-sees-a,
/// isolation-no-context-sees-rows, isolation-cross-tenant-write. Each names
/// the table and the case; revision/file/line are the caller's to fill for
/// all but fixture findings (which point at the fixture).
std::vector<Finding> RunIsolationProbe(Database& db, const TenancyConfig& tenancy,
                                       const std::string& config_file, const std::vector<ProbeTable>& tables);

}  // namespace retort
