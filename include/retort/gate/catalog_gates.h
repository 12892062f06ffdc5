#pragma once
// The catalog gates of SPEC §6: judge the live catalog's facts about
// tenant-scoped tables and the app role. Pure: facts in, findings out; the
// caller reads the facts (Database::ReadTableFacts / ReadRoleFacts) and
// fills in where each finding applies (revision, file, line).
#include <string>
#include <vector>

#include "retort/config/config.h"
#include "retort/db/catalog_facts.h"
#include "retort/gate/finding.h"

namespace retort {

/// A table in a managed schema that has the tenant column and is not one of
/// tenancy.global_tables (matched by "name" or "schema.name").
bool IsTenantScoped(const TableFacts& table, const TenancyConfig& tenancy);

/// Every catalog finding for `tables` (all of them are judged; tables that
/// are not tenant-scoped only for policy-without-rls) and for the app role:
/// rls-disabled, rls-not-forced, rls-no-policy, policy-without-rls,
/// policy-not-tenant-bound, policy-always-true, tenant-column-type,
/// tenant-column-nullable, tenant-fk-missing, tenant-index-missing,
/// unique-without-tenant (warning), app-role-bypasses-rls, app-role-missing.
/// Each finding has `table` set ("schema.name"; "" for a role-wide one),
/// severity error (warning for unique-without-tenant), a one-sentence
/// message and a hint; revision/file/line are left empty. Order: by table as
/// given, then by the order of the ids above; role-wide findings last.
std::vector<Finding> CheckCatalog(const std::vector<TableFacts>& tables, const RoleFacts& app_role,
                                  const TenancyConfig& tenancy);

/// Can a waiver in retort.yaml turn this finding id into a warning? Not the
/// downgrade, WHERE, isolation or syntax findings (SPEC §6).
bool IsWaivable(const std::string& finding_id);

/// Applies waivers: a waivable error finding matched by a waiver (same rule;
/// table empty or equal to the finding's table by "name" or "schema.name")
/// becomes a warning with waived_because = the reason. Others unchanged.
void ApplyWaivers(std::vector<Finding>& findings, const std::vector<Waiver>& waivers);

}  // namespace retort
