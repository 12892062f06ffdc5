// PgDatabase: the isolation probe's primitives and the destructive
// pre-flight counts (row data, where pg_catalog.cc reads the catalog).
#include <algorithm>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "pg_internal.h"
#include "retort/pg/pg_database.h"

namespace retort {
namespace {

using pg_detail::Quote;
using pg_detail::QuoteQualified;
using pg_detail::Rows;

// The relation a name designates ($1 schema or "", $2 name), as ResolveTable.
constexpr const char kRelationOidSql[] = R"sql(
CASE WHEN $1::text = '' THEN pg_catalog.to_regclass(pg_catalog.quote_ident($2))::oid
     ELSE (SELECT c2.oid FROM pg_catalog.pg_class c2
           JOIN pg_catalog.pg_namespace n2 ON n2.oid = c2.relnamespace
           WHERE n2.nspname = $1 AND c2.relname = $2) END
)sql";

// The probe's statements, each written once for the one-by-one primitives
// and for the batched probe.
pg_detail::PipelineStatement VisibleTenantsStatement(const std::string& table, const std::string& tenant_column) {
  return {"SELECT DISTINCT " + Quote(tenant_column) + "::text FROM " + QuoteQualified(table)};
}

pg_detail::PipelineStatement MoveTenantRowsStatement(const std::string& table, const std::string& tenant_column,
                                                     const std::string& from_tenant, const std::string& to_tenant) {
  const std::string column = Quote(tenant_column);
  return {"UPDATE " + QuoteQualified(table) + " SET " + column + " = $2 WHERE " + column + " = $1",
          {from_tenant, to_tenant}};
}

// A statement without "$1" runs with no parameter.
pg_detail::PipelineStatement WithTenantStatement(const std::string& sql, const std::string& tenant_id) {
  return {sql, sql.find("$1") == std::string::npos ? std::vector<std::string>{}
                                                    : std::vector<std::string>{tenant_id}};
}

// VisibleTenants' rows: sorted, NULL as "".
std::vector<std::string> SortedTenants(const Rows& r) {
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(r.size()));
  for (int i = 0; i < r.size(); ++i) out.push_back(r.Text(i, 0));
  std::sort(out.begin(), out.end());
  return out;
}

// The statement of a probe action and its parameters.
pg_detail::PipelineStatement ActionStatement(const ProbeAction& a) {
  switch (a.kind) {
    case ProbeAction::Kind::kVisibleTenants:
      return VisibleTenantsStatement(a.table, a.tenant_column);
    case ProbeAction::Kind::kMoveTenantRows:
      return MoveTenantRowsStatement(a.table, a.tenant_column, a.tenant_id, a.to_tenant);
    case ProbeAction::Kind::kExec:
      break;
  }
  return WithTenantStatement(a.sql, a.tenant_id);
}

// Prepared: the probe sets the context before every seed and case.
pg_detail::PipelineStatement ContextStatement(const std::string& setting, const std::string& context) {
  return {"SELECT pg_catalog.set_config($1, $2, true)", {setting, context}, "retort_probe_context"};
}

}  // namespace

ProbeBatchResult PgDatabase::RunProbeBatch(const std::string& setting, const std::vector<ProbeAction>& seeds,
                                           const std::string& role, const std::vector<ProbeAction>& cases) {
  RequireStep("RunProbeBatch");
  // Segments (a Sync after each): an error skips only the rest of its
  // segment, and a later segment's ROLLBACK TO SAVEPOINT recovers the
  // transaction, so one round trip holds the whole probe.
  std::vector<pg_detail::PipelineStatement> batch;
  batch.push_back({"SAVEPOINT retort_isolation_probe"});
  const std::string* context = nullptr;  // the seeds' context so far
  for (const ProbeAction& seed : seeds) {
    if (context == nullptr || *context != seed.context) batch.push_back(ContextStatement(setting, seed.context));
    context = &seed.context;
    batch.push_back(ActionStatement(seed));
  }
  batch.push_back({"SET LOCAL ROLE " + Quote(role)});
  // The context most cases use is set before the case savepoint: rolling
  // back to it restores that context, so those cases need no statement of
  // their own.
  std::map<std::string, int> uses;
  for (const ProbeAction& c : cases) ++uses[c.context];
  const std::string* common = nullptr;
  int most = 0;
  for (const auto& [value, n] : uses) {
    if (n > most) {
      most = n;
      common = &value;
    }
  }
  if (common != nullptr && (context == nullptr || *context != *common)) {
    batch.push_back(ContextStatement(setting, *common));
  }
  batch.push_back({"SAVEPOINT retort_probe_case"});
  batch.back().sync_after = true;
  const size_t setup_end = batch.size();
  // Each case in its own segment, from the state the savepoint holds: a
  // ROLLBACK TO SAVEPOINT keeps the savepoint, so it both ends the case
  // before (whether that failed or not) and starts the next.
  std::vector<size_t> at;  // each case's statement in the batch
  for (size_t k = 0; k < cases.size(); ++k) {
    if (k > 0) batch.push_back({"ROLLBACK TO SAVEPOINT retort_probe_case"});
    if (common == nullptr || cases[k].context != *common) batch.push_back(ContextStatement(setting, cases[k].context));
    at.push_back(batch.size());
    batch.push_back(ActionStatement(cases[k]));
    batch.back().sync_after = true;
  }
  // Gone with everything nested in it: the case savepoint, the role, the
  // seeds.
  batch.push_back({"ROLLBACK TO SAVEPOINT retort_isolation_probe"});
  batch.push_back({"RELEASE SAVEPOINT retort_isolation_probe"});
  std::vector<pg_detail::PipelineOutcome> outcomes;
  for (int attempt = 0;; ++attempt) {
    outcomes = RunPipeline(batch);
    // The probe's savepoint must be gone whatever happened, and the step
    // usable: if the last segment did not run, recover the usual way.
    if (!outcomes.back().ok()) {
      if (!outcomes.front().ok()) throw *outcomes.front().error;  // the step transaction had failed
      Raw("ROLLBACK TO SAVEPOINT retort_isolation_probe; RELEASE SAVEPOINT retort_isolation_probe");
    }
    // A script ran DEALLOCATE: the context statement vanished, RunPipeline
    // forgot it, and the probe runs again with it prepared afresh.
    const bool vanished = std::any_of(outcomes.begin(), outcomes.end(), [](const pg_detail::PipelineOutcome& o) {
      return o.error && o.error->sqlstate() == "26000";
    });
    if (!vanished || attempt > 0) break;
  }
  ProbeBatchResult result;
  result.setup_ok = true;
  for (size_t i = 0; i < setup_end; ++i) result.setup_ok = result.setup_ok && outcomes[i].ok();
  if (!result.setup_ok) return result;
  for (size_t k = 0; k < cases.size(); ++k) {
    ProbeActionResult r;
    const pg_detail::PipelineOutcome& o = outcomes[at[k]];
    r.ok = o.ok();
    if (o.error) r.error = o.error->Summary();
    if (o.rows && cases[k].kind == ProbeAction::Kind::kVisibleTenants) r.tenants = SortedTenants(*o.rows);
    if (o.rows) r.affected = o.rows->Affected();
    result.cases.push_back(std::move(r));
  }
  return result;
}

pg_detail::Rows PgDatabase::ProbeCase(const std::string& setting, const std::string& context,
                                      const std::string& sql, const std::vector<std::string>& params) {
  RequireStep("a probe case");
  try {
    std::vector<pg_detail::Rows> r =
        Pipeline(std::vector<pg_detail::PipelineStatement>{
                  {"SAVEPOINT retort_probe_case", {}},
                  ContextStatement(setting, context),
                  {sql, params},
                  {"RELEASE SAVEPOINT retort_probe_case", {}}});
    return std::move(r.at(2));
  } catch (const StatementError&) {
    Raw("ROLLBACK TO SAVEPOINT retort_probe_case; RELEASE SAVEPOINT retort_probe_case");
    throw;
  }
}

void PgDatabase::RequireStep(const char* what) const {
  if (!in_step_) {
    throw std::logic_error(std::string(what) +
                           " needs an open step transaction");
  }
}

void PgDatabase::ExecWithTenant(const std::string& sql,
                                const std::string& tenant_id) {
  RequireStep("ExecWithTenant");
  const pg_detail::PipelineStatement s = WithTenantStatement(sql, tenant_id);
  Query(s.sql, s.params);
}

void PgDatabase::SetLocalRole(const std::string& role) {
  RequireStep("SetLocalRole");
  if (!role_before_probe_) {
    Rows r = Query("SELECT pg_catalog.current_setting('role')");
    role_before_probe_ = r.Text(0, 0);
  }
  Raw("SET LOCAL ROLE " + Quote(role));
}

void PgDatabase::ResetRole() {
  RequireStep("ResetRole");
  if (!role_before_probe_) return;
  const std::string before = *role_before_probe_;
  Raw(before == "none" ? std::string("SET LOCAL ROLE NONE")
                       : "SET LOCAL ROLE " + Quote(before));
  role_before_probe_.reset();
}

void PgDatabase::SetTenantContext(const std::string& setting,
                                  const std::string& value) {
  RequireStep("SetTenantContext");
  const pg_detail::PipelineStatement s = ContextStatement(setting, value);
  Query(s.sql, s.params);
}

std::vector<std::string> PgDatabase::VisibleTenants(
    const std::string& table, const std::string& tenant_column) {
  const pg_detail::PipelineStatement s = VisibleTenantsStatement(table, tenant_column);
  return SortedTenants(Query(s.sql, s.params));
}

long long PgDatabase::MoveTenantRows(const std::string& table,
                                     const std::string& tenant_column,
                                     const std::string& from_tenant,
                                     const std::string& to_tenant) {
  RequireStep("MoveTenantRows");
  const pg_detail::PipelineStatement s = MoveTenantRowsStatement(table, tenant_column, from_tenant, to_tenant);
  return Query(s.sql, s.params).Affected();
}

std::vector<std::string> PgDatabase::VisibleTenantsIn(const std::string& setting, const std::string& context,
                                                      const std::string& table,
                                                      const std::string& tenant_column) {
  const pg_detail::PipelineStatement s = VisibleTenantsStatement(table, tenant_column);
  return SortedTenants(ProbeCase(setting, context, s.sql, s.params));
}

long long PgDatabase::MoveTenantRowsIn(const std::string& setting, const std::string& context,
                                       const std::string& table, const std::string& tenant_column,
                                       const std::string& from_tenant, const std::string& to_tenant) {
  const pg_detail::PipelineStatement s = MoveTenantRowsStatement(table, tenant_column, from_tenant, to_tenant);
  return ProbeCase(setting, context, s.sql, s.params).Affected();
}

void PgDatabase::ExecWithTenantIn(const std::string& setting, const std::string& context, const std::string& sql,
                                  const std::string& tenant_id) {
  const pg_detail::PipelineStatement s = WithTenantStatement(sql, tenant_id);
  ProbeCase(setting, context, s.sql, s.params);
}

long long PgDatabase::CountRows(const std::string& table) {
  return Query("SELECT count(*) FROM " + QuoteQualified(table)).Int(0, 0);
}

long long PgDatabase::CountNonNull(const std::string& table,
                                   const std::string& column) {
  return Query("SELECT count(*) FROM " + QuoteQualified(table) + " WHERE " +
               Quote(column) + " IS NOT NULL")
      .Int(0, 0);
}

std::string PgDatabase::ColumnType(const std::string& table,
                                   const std::string& column) {
  const auto parts = pg_detail::SplitQualified(table);
  if (parts.second.empty()) return "";
  Rows r = Query(
      std::string("SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) "
                  "FROM pg_catalog.pg_attribute a WHERE a.attrelid = ") +
          kRelationOidSql +
          " AND a.attname = $3 AND a.attnum > 0 AND NOT a.attisdropped",
      {parts.first, parts.second, column});
  return r.empty() ? "" : r.Text(0, 0);
}

std::vector<std::string> PgDatabase::TablesInSchema(const std::string& schema) {
  Rows r = Query(R"sql(
SELECT c.relname FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
  AND NOT (c.relispartition AND EXISTS (
    SELECT 1 FROM pg_catalog.pg_inherits i
    JOIN pg_catalog.pg_class p ON p.oid = i.inhparent
    WHERE i.inhrelid = c.oid AND p.relnamespace = c.relnamespace))
)sql",
                 {schema});
  std::vector<std::string> out;
  for (int i = 0; i < r.size(); ++i) out.push_back(schema + "." + r.Text(i, 0));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace retort
