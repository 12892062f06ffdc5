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
///
/// Policies count when they apply to the app role (roles hold "public", the
/// role, or a role it is a member of). A permissive policy's USING is judged
/// for ALL/SELECT/UPDATE/DELETE, its WITH CHECK for ALL/INSERT/UPDATE (an
/// ALL/UPDATE policy without one is checked with its USING); a side with no
/// expression grants nothing and is not judged. A side that does not bind
/// (AnalyzePolicyExpression) or is always true is accepted when, for every
/// command it serves, an applicable restrictive policy (ALL or that command)
/// binds the same side. One finding per policy: policy-always-true when a
/// side is always true, else policy-not-tenant-bound. rls-no-policy: RLS
/// enabled and no permissive policy applies to the app role.
std::vector<Finding> CheckCatalog(const std::vector<TableFacts>& tables, const RoleFacts& app_role,
                                  const TenancyConfig& tenancy);

/// Can a waiver in retort.yaml turn this finding id into a warning? True
/// only for the catalog ids above except app-role-missing; false for every
/// other id (downgrade-*, isolation-*, delete/update-without-where,
/// sql-syntax, transaction-control, non-transactional-in-transaction,
/// destructive, unknown ids) (SPEC §6).
bool IsWaivable(const std::string& finding_id);

/// Applies waivers: a waivable finding (error or warning) matched by a
/// waiver (same rule; waiver table empty, or equal to the finding's table
/// "schema.name" or to its "name" part) becomes a warning with
/// waived_because = the reason of the first matching waiver. A role-wide
/// finding (table "") is matched only by a waiver with an empty table.
/// Others, and findings already waived, unchanged.
void ApplyWaivers(std::vector<Finding>& findings, const std::vector<Waiver>& waivers);

}  // namespace retort
