// PgDatabase: the isolation probe's primitives and the destructive
// pre-flight counts (row data, where pg_catalog.cc reads the catalog).
#include <algorithm>
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

}  // namespace

void PgDatabase::RequireStep(const char* what) const {
  if (!in_step_) {
    throw std::logic_error(std::string(what) +
                           " needs an open step transaction");
  }
}

void PgDatabase::ExecWithTenant(const std::string& sql,
                                const std::string& tenant_id) {
  RequireStep("ExecWithTenant");
  if (sql.find("$1") == std::string::npos) {
    Query(sql);
  } else {
    Query(sql, {tenant_id});
  }
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
  Query("SELECT pg_catalog.set_config($1, $2, true)", {setting, value});
}

std::vector<std::string> PgDatabase::VisibleTenants(
    const std::string& table, const std::string& tenant_column) {
  Rows r = Query("SELECT DISTINCT " + Quote(tenant_column) + "::text FROM " +
                 QuoteQualified(table));
  std::vector<std::string> out;
  out.reserve(r.size());
  for (int i = 0; i < r.size(); ++i) out.push_back(r.Text(i, 0));
  std::sort(out.begin(), out.end());
  return out;
}

long long PgDatabase::MoveTenantRows(const std::string& table,
                                     const std::string& tenant_column,
                                     const std::string& from_tenant,
                                     const std::string& to_tenant) {
  RequireStep("MoveTenantRows");
  const std::string column = Quote(tenant_column);
  return Query("UPDATE " + QuoteQualified(table) + " SET " + column +
                   " = $2 WHERE " + column + " = $1",
               {from_tenant, to_tenant})
      .Affected();
}

std::vector<std::string> PgDatabase::VisibleTenantsIn(const std::string& setting, const std::string& context,
                                                      const std::string& table,
                                                      const std::string& tenant_column) {
  Rows r = ProbeCase(setting, context,
                     "SELECT DISTINCT " + Quote(tenant_column) + "::text FROM " + QuoteQualified(table), {});
  std::vector<std::string> out;
  out.reserve(r.size());
  for (int i = 0; i < r.size(); ++i) out.push_back(r.Text(i, 0));
  std::sort(out.begin(), out.end());
  return out;
}

long long PgDatabase::MoveTenantRowsIn(const std::string& setting, const std::string& context,
                                       const std::string& table, const std::string& tenant_column,
                                       const std::string& from_tenant, const std::string& to_tenant) {
  const std::string column = Quote(tenant_column);
  return ProbeCase(setting, context,
                   "UPDATE " + QuoteQualified(table) + " SET " + column + " = $2 WHERE " + column + " = $1",
                   {from_tenant, to_tenant})
      .Affected();
}

void PgDatabase::ExecWithTenantIn(const std::string& setting, const std::string& context, const std::string& sql,
                                  const std::string& tenant_id) {
  ProbeCase(setting, context, sql,
            sql.find("$1") == std::string::npos ? std::vector<std::string>{} : std::vector<std::string>{tenant_id});
}

std::string PgDatabase::NewUuid() {
  // gen_random_uuid() is built in from PostgreSQL 13 (pgcrypto before).
  Rows r = Query(ServerVersionNum() >= 130000
                     ? "SELECT pg_catalog.gen_random_uuid()::text"
                     : "SELECT pg_catalog.md5(pg_catalog.random()::text || "
                       "pg_catalog.clock_timestamp()::text)::uuid::text");
  return r.Text(0, 0);
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
