#include "retort/gate/catalog_gates.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace retort {
namespace {

using V = std::vector<std::string>;

const char kBound[] = "(tenant_id = (current_setting('app.current_tenant_id'::text, true))::uuid)";

PolicyFacts Policy(const std::string& name, const std::string& command, const std::string& using_expr,
                   const std::string& check_expr, std::vector<std::string> roles = {"app_user"},
                   bool permissive = true) {
  PolicyFacts p;
  p.name = name;
  p.command = command;
  p.permissive = permissive;
  p.roles = std::move(roles);
  p.using_expr = using_expr;
  p.check_expr = check_expr;
  return p;
}

/// The example's users table, as the catalog reads it: right in every way.
TableFacts GoodUsers() {
  TableFacts t;
  t.schema = "public";
  t.name = "users";
  t.owner = "migrator";
  t.rls_enabled = true;
  t.rls_forced = true;
  t.has_tenant_column = true;
  t.tenant_column_type = "uuid";
  t.tenant_column_not_null = true;
  t.policies = {Policy("tenant_isolation", "ALL", kBound, kBound)};
  IndexFacts pkey;
  pkey.name = "users_pkey";
  pkey.columns = {"id"};
  pkey.unique = true;
  pkey.primary = true;
  pkey.method = "btree";
  IndexFacts by_tenant;
  by_tenant.name = "users_tenant_id_created_at_idx";
  by_tenant.columns = {"tenant_id", "created_at"};
  by_tenant.method = "btree";
  IndexFacts email;
  email.name = "users_tenant_id_email_key";
  email.columns = {"tenant_id", "email"};
  email.unique = true;
  email.method = "btree";
  t.indexes = {by_tenant, email, pkey};
  ForeignKeyFacts fk;
  fk.name = "users_tenant_id_fkey";
  fk.columns = {"tenant_id"};
  fk.ref_schema = "public";
  fk.ref_table = "tenants";
  fk.ref_columns = {"id"};
  fk.on_delete = "CASCADE";
  t.foreign_keys = {fk};
  t.app_role_privileges = {"SELECT", "INSERT", "UPDATE", "DELETE"};
  return t;
}

TableFacts Tenants() {
  TableFacts t;
  t.schema = "public";
  t.name = "tenants";
  t.owner = "migrator";
  return t;
}

RoleFacts AppUser() {
  RoleFacts r;
  r.name = "app_user";
  r.exists = true;
  r.member_of = {"app_readers"};
  return r;
}

std::vector<Finding> Check(const std::vector<TableFacts>& tables, const RoleFacts& role = AppUser(),
                           const TenancyConfig& tenancy = TenancyConfig()) {
  return CheckCatalog(tables, role, tenancy);
}

V Ids(const std::vector<Finding>& findings) {
  V ids;
  for (const Finding& f : findings) ids.push_back(f.id);
  return ids;
}

V Ids(const TableFacts& table, const RoleFacts& role = AppUser()) { return Ids(Check({table}, role)); }

/// The only finding for `table`, which must have the id `id`.
Finding Only(const TableFacts& table, const std::string& id, const RoleFacts& role = AppUser()) {
  std::vector<Finding> findings = Check({table}, role);
  EXPECT_EQ(V{id}, Ids(findings));
  return findings.empty() ? Finding{} : findings.front();
}

bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(CatalogGatesTest, GoodTableHasNoFinding) {
  std::vector<Finding> findings = Check({Tenants(), GoodUsers()});
  EXPECT_EQ(V{}, Ids(findings));
  for (const Finding& f : findings) ADD_FAILURE() << f.id << ": " << f.message;
}

TEST(CatalogGatesTest, TenantScoped) {
  TenancyConfig tenancy;
  EXPECT_TRUE(IsTenantScoped(GoodUsers(), tenancy));
  TableFacts t = GoodUsers();
  t.has_tenant_column = false;
  EXPECT_FALSE(IsTenantScoped(t, tenancy));
  t = GoodUsers();
  t.schema = "audit";  // not a managed schema
  EXPECT_FALSE(IsTenantScoped(t, tenancy));
  tenancy.global_tables = {"tenants", "users"};
  EXPECT_FALSE(IsTenantScoped(GoodUsers(), tenancy));
  tenancy.global_tables = {"public.users"};
  EXPECT_FALSE(IsTenantScoped(GoodUsers(), tenancy));
  tenancy.global_tables = {"other.users"};
  EXPECT_TRUE(IsTenantScoped(GoodUsers(), tenancy));
}

TEST(CatalogGatesTest, NotTenantScopedTablesAreOnlyJudgedForPolicyWithoutRls) {
  // A global table with no RLS, no FK, no index, a nullable text column: fine.
  TableFacts t = Tenants();
  t.has_tenant_column = false;
  EXPECT_EQ(V{}, Ids(t));
  t.policies = {Policy("p", "SELECT", "true", "")};
  Finding f = Only(t, "policy-without-rls");
  EXPECT_EQ("public.tenants", f.table);
  EXPECT_TRUE(Has(f.message, "public.tenants")) << f.message;
  EXPECT_TRUE(Has(f.message, "policy p")) << f.message;
}

TEST(CatalogGatesTest, RlsDisabled) {
  TableFacts t = GoodUsers();
  t.rls_enabled = false;
  t.rls_forced = false;
  t.policies.clear();
  Finding f = Only(t, "rls-disabled");
  EXPECT_EQ(Severity::kError, f.severity);
  EXPECT_EQ("public.users", f.table);
  EXPECT_TRUE(Has(f.message, "public.users")) << f.message;
  EXPECT_TRUE(f.revision.empty() && f.file.empty() && f.line == 0);
  EXPECT_FALSE(f.hint.empty());
  // With its policies still there, they do nothing either.
  t.policies = GoodUsers().policies;
  EXPECT_EQ((V{"rls-disabled", "policy-without-rls"}), Ids(t));
}

TEST(CatalogGatesTest, RlsNotForced) {
  TableFacts t = GoodUsers();
  t.rls_forced = false;
  Finding f = Only(t, "rls-not-forced");
  EXPECT_TRUE(Has(f.message, "public.users")) << f.message;
  EXPECT_TRUE(Has(f.message, "migrator")) << f.message;
}

TEST(CatalogGatesTest, RlsNoPolicy) {
  TableFacts t = GoodUsers();
  t.policies.clear();
  Finding f = Only(t, "rls-no-policy");
  EXPECT_TRUE(Has(f.message, "public.users")) << f.message;
  EXPECT_TRUE(Has(f.message, "breaks")) << f.message;
  // Policies for other roles only, or restrictive ones only, grant app_user nothing either.
  t.policies = {Policy("admins", "ALL", "true", "", {"admin"})};
  f = Only(t, "rls-no-policy");
  EXPECT_TRUE(Has(f.message, "none of the policies")) << f.message;
  t.policies = {Policy("r", "ALL", kBound, "", {"app_user"}, /*permissive=*/false)};
  f = Only(t, "rls-no-policy");
  EXPECT_TRUE(Has(f.message, "only restrictive")) << f.message;
}

TEST(CatalogGatesTest, PolicyAppliesThroughPublicAndMembership) {
  for (const char* role : {"public", "app_user", "app_readers"}) {
    TableFacts t = GoodUsers();
    t.policies = {Policy("loose", "SELECT", "(owner = CURRENT_USER)", "", {role})};
    EXPECT_EQ(V{"policy-not-tenant-bound"}, Ids(t)) << role;
  }
  // A loose policy for another role is not app_user's concern.
  TableFacts t = GoodUsers();
  t.policies.push_back(Policy("support", "SELECT", "true", "", {"support"}));
  EXPECT_EQ(V{}, Ids(t));
}

TEST(CatalogGatesTest, PolicyOnTheWrongColumn) {
  TableFacts t = GoodUsers();
  const char wrong[] = "(owner_id = (current_setting('app.current_tenant_id'::text, true))::uuid)";
  t.policies = {Policy("tenant_isolation", "ALL", wrong, "")};
  Finding f = Only(t, "policy-not-tenant-bound");
  EXPECT_EQ("public.users", f.table);
  EXPECT_TRUE(Has(f.message, "policy tenant_isolation on public.users")) << f.message;
  EXPECT_TRUE(Has(f.message, "USING (which PostgreSQL also applies as WITH CHECK)")) << f.message;
  EXPECT_TRUE(Has(f.message, "owner_id, not tenant_id")) << f.message;
}

TEST(CatalogGatesTest, PolicyWithADifferentSetting) {
  TableFacts t = GoodUsers();
  const char other[] = "(tenant_id = (current_setting('app.tenant'::text, true))::uuid)";
  t.policies = {Policy("tenant_isolation", "ALL", other, other)};
  Finding f = Only(t, "policy-not-tenant-bound");
  EXPECT_TRUE(Has(f.message, "policy tenant_isolation")) << f.message;
  EXPECT_TRUE(Has(f.message, "its USING")) << f.message;
  EXPECT_TRUE(Has(f.message, "its WITH CHECK")) << f.message;
  EXPECT_TRUE(Has(f.message, "current_setting('app.tenant') instead of current_setting('app.current_tenant_id')"))
      << f.message;
}

TEST(CatalogGatesTest, UsingBoundButWithCheckTrue) {
  TableFacts t = GoodUsers();
  t.policies = {Policy("tenant_isolation", "ALL", kBound, "true")};
  Finding f = Only(t, "policy-always-true");
  EXPECT_TRUE(Has(f.message, "policy tenant_isolation on public.users")) << f.message;
  EXPECT_TRUE(Has(f.message, "WITH CHECK")) << f.message;
  EXPECT_FALSE(Has(f.message, "USING")) << f.message;
}

TEST(CatalogGatesTest, WithCheckUnboundAlone) {
  TableFacts t = GoodUsers();
  t.policies = {Policy("tenant_isolation", "ALL", kBound, "(owner = CURRENT_USER)")};
  Finding f = Only(t, "policy-not-tenant-bound");
  EXPECT_TRUE(Has(f.message, "its WITH CHECK does not compare tenant_id")) << f.message;
  EXPECT_FALSE(Has(f.message, "its USING")) << f.message;
}

TEST(CatalogGatesTest, AlwaysTrueIsReportedInsteadOfNotBound) {
  TableFacts t = GoodUsers();
  t.policies = {Policy("open", "ALL", "true", "")};
  Finding f = Only(t, "policy-always-true");
  EXPECT_TRUE(Has(f.message, "policy open on public.users")) << f.message;
  EXPECT_TRUE(Has(f.message, "USING (which PostgreSQL also applies as WITH CHECK)")) << f.message;
  t.policies = {Policy("open", "SELECT", "(1 = 1)", "")};
  f = Only(t, "policy-always-true");
  EXPECT_TRUE(Has(f.message, "its USING")) << f.message;
}

TEST(CatalogGatesTest, OredBindingIsNotBound) {
  TableFacts t = GoodUsers();
  const std::string ored = std::string("(") + kBound + " OR (is_public = true))";
  t.policies = {Policy("tenant_isolation", "ALL", ored, ored)};
  Finding f = Only(t, "policy-not-tenant-bound");
  EXPECT_TRUE(Has(f.message, "only under OR")) << f.message;
}

TEST(CatalogGatesTest, AnotherPermissivePolicyIsOredIn) {
  // PostgreSQL ORs permissive policies: one loose one opens the table.
  TableFacts t = GoodUsers();
  t.policies.push_back(Policy("by_owner", "SELECT", "(owner = CURRENT_USER)", ""));
  Finding f = Only(t, "policy-not-tenant-bound");
  EXPECT_TRUE(Has(f.message, "policy by_owner")) << f.message;
}

TEST(CatalogGatesTest, RestrictivePolicyCoversALoosePermissiveOne) {
  TableFacts t = GoodUsers();
  t.policies = {Policy("grant_all", "ALL", "true", ""),
                Policy("tenant_only", "ALL", kBound, "", {"public"}, /*permissive=*/false)};
  EXPECT_EQ(V{}, Ids(t));
  t.policies = {Policy("by_owner", "ALL", "(owner = CURRENT_USER)", "(owner = CURRENT_USER)"),
                Policy("tenant_only", "ALL", kBound, kBound, {"app_user"}, false)};
  EXPECT_EQ(V{}, Ids(t));
  // A restrictive policy covers only the side and commands it binds.
  t.policies = {Policy("grant_all", "ALL", "true", "true"),
                Policy("tenant_read", "SELECT", kBound, "", {"app_user"}, false)};
  Finding f = Only(t, "policy-always-true");
  EXPECT_TRUE(Has(f.message, "policy grant_all")) << f.message;
  // ...and only when it applies to the app role.
  t.policies = {Policy("grant_all", "ALL", "(owner = CURRENT_USER)", ""),
                Policy("tenant_only", "ALL", kBound, "", {"admin"}, false)};
  EXPECT_EQ(V{"policy-not-tenant-bound"}, Ids(t));
}

TEST(CatalogGatesTest, PolicySidesFollowTheCommand) {
  TableFacts t = GoodUsers();
  // An INSERT policy without WITH CHECK grants no insert at all (PostgreSQL
  // fails closed), so there is nothing loose to report.
  t.policies = {GoodUsers().policies[0], Policy("ins", "INSERT", "", "")};
  EXPECT_EQ(V{}, Ids(t));
  // An INSERT policy's check is judged.
  t.policies = {GoodUsers().policies[0], Policy("ins", "INSERT", "", "(owner = CURRENT_USER)")};
  Finding f = Only(t, "policy-not-tenant-bound");
  EXPECT_TRUE(Has(f.message, "policy ins")) << f.message;
  EXPECT_TRUE(Has(f.message, "its WITH CHECK")) << f.message;
  // An UPDATE policy reuses USING as its check.
  t.policies = {GoodUsers().policies[0], Policy("upd", "UPDATE", kBound, "")};
  EXPECT_EQ(V{}, Ids(t));
  // SELECT and DELETE policies have no check.
  t.policies = {GoodUsers().policies[0], Policy("sel", "SELECT", kBound, ""), Policy("del", "DELETE", kBound, "")};
  EXPECT_EQ(V{}, Ids(t));
}

TEST(CatalogGatesTest, UnreadablePolicyIsNotBound) {
  TableFacts t = GoodUsers();
  t.policies = {Policy("odd", "SELECT", "(tenant_id = ", "")};
  Finding f = Only(t, "policy-not-tenant-bound");
  EXPECT_TRUE(Has(f.message, "cannot be read")) << f.message;
}

TEST(CatalogGatesTest, TenantColumnTypeAndNullable) {
  TableFacts t = GoodUsers();
  t.tenant_column_type = "text";
  Finding f = Only(t, "tenant-column-type");
  EXPECT_TRUE(Has(f.message, "tenant_id of public.users is text, not uuid")) << f.message;
  t = GoodUsers();
  t.tenant_column_not_null = false;
  f = Only(t, "tenant-column-nullable");
  EXPECT_TRUE(Has(f.message, "tenant_id of public.users allows NULL")) << f.message;
}

TEST(CatalogGatesTest, TenantForeignKey) {
  TableFacts t = GoodUsers();
  t.foreign_keys.clear();
  Finding f = Only(t, "tenant-fk-missing");
  EXPECT_TRUE(Has(f.message, "public.users has no foreign key from tenant_id to tenants")) << f.message;

  t = GoodUsers();
  t.foreign_keys[0].on_delete = "NO ACTION";
  f = Only(t, "tenant-fk-missing");
  EXPECT_TRUE(Has(f.message, "foreign key users_tenant_id_fkey")) << f.message;
  EXPECT_TRUE(Has(f.message, "ON DELETE NO ACTION, not CASCADE")) << f.message;

  // To another table, from another column, or composite: not the tenant key.
  t = GoodUsers();
  t.foreign_keys[0].ref_table = "accounts";
  EXPECT_EQ(V{"tenant-fk-missing"}, Ids(t));
  t = GoodUsers();
  t.foreign_keys[0].columns = {"tenant_id", "org_id"};
  EXPECT_EQ(V{"tenant-fk-missing"}, Ids(t));
  t = GoodUsers();
  t.foreign_keys[0].ref_schema = "elsewhere";  // not a managed schema
  EXPECT_EQ(V{"tenant-fk-missing"}, Ids(t));
}

TEST(CatalogGatesTest, TenantsTableMayBeQualified) {
  TenancyConfig tenancy;
  tenancy.schemas = {"public", "app"};
  tenancy.tenants_table = "app.tenants";
  TableFacts t = GoodUsers();
  EXPECT_EQ(V{"tenant-fk-missing"}, Ids(Check({t}, AppUser(), tenancy)));
  t.foreign_keys[0].ref_schema = "app";
  EXPECT_EQ(V{}, Ids(Check({t}, AppUser(), tenancy)));
  // Unqualified, any managed schema matches.
  tenancy.tenants_table = "tenants";
  EXPECT_EQ(V{}, Ids(Check({t}, AppUser(), tenancy)));
}

TEST(CatalogGatesTest, TenantIndex) {
  TableFacts t = GoodUsers();
  t.indexes.erase(t.indexes.begin(), t.indexes.begin() + 2);  // keep only the primary key
  Finding f = Only(t, "tenant-index-missing");
  EXPECT_TRUE(Has(f.message, "public.users has no valid index led by tenant_id")) << f.message;

  // Led by another column: no.
  t = GoodUsers();
  t.indexes[0].columns = {"created_at", "tenant_id"};
  t.indexes[1].columns = {"email", "tenant_id"};
  EXPECT_EQ(V{"tenant-index-missing"}, Ids(t));
  // Invalid (a failed CREATE INDEX CONCURRENTLY): no, and said so.
  t = GoodUsers();
  t.indexes.erase(t.indexes.begin() + 1);
  t.indexes[0].valid = false;
  f = Only(t, "tenant-index-missing");
  EXPECT_TRUE(Has(f.message, "INVALID")) << f.message;
  // Partial: no.
  t = GoodUsers();
  t.indexes.erase(t.indexes.begin() + 1);
  t.indexes[0].predicate = "(deleted_at IS NULL)";
  f = Only(t, "tenant-index-missing");
  EXPECT_TRUE(Has(f.message, "partial")) << f.message;
  // A unique index led by the tenant column serves too.
  t = GoodUsers();
  t.indexes.erase(t.indexes.begin());
  EXPECT_EQ(V{}, Ids(t));
}

TEST(CatalogGatesTest, UniqueWithoutTenant) {
  TableFacts t = GoodUsers();
  IndexFacts email;
  email.name = "users_email_key";
  email.columns = {"email"};
  email.unique = true;
  t.indexes.push_back(email);
  Finding f = Only(t, "unique-without-tenant");
  EXPECT_EQ(Severity::kWarning, f.severity);
  EXPECT_TRUE(Has(f.message, "unique index users_email_key on public.users (email)")) << f.message;
  // The primary key is not judged; an expression column reads as such.
  t = GoodUsers();
  IndexFacts lower;
  lower.name = "users_lower_email";
  lower.columns = {""};
  lower.unique = true;
  t.indexes.push_back(lower);
  f = Only(t, "unique-without-tenant");
  EXPECT_TRUE(Has(f.message, "(expression)")) << f.message;
}

TEST(CatalogGatesTest, AppRoleSuperuserOrBypassRls) {
  RoleFacts role = AppUser();
  role.superuser = true;
  std::vector<Finding> findings = Check({GoodUsers()}, role);
  ASSERT_EQ(V{"app-role-bypasses-rls"}, Ids(findings));
  EXPECT_EQ("", findings[0].table);
  EXPECT_TRUE(Has(findings[0].message, "app_user is a superuser")) << findings[0].message;

  role = AppUser();
  role.bypassrls = true;
  findings = Check({GoodUsers()}, role);
  ASSERT_EQ(V{"app-role-bypasses-rls"}, Ids(findings));
  EXPECT_TRUE(Has(findings[0].message, "BYPASSRLS")) << findings[0].message;
}

TEST(CatalogGatesTest, AppRoleOwnsTheTable) {
  TableFacts t = GoodUsers();
  t.owner = "app_user";
  Finding f = Only(t, "app-role-bypasses-rls");
  EXPECT_EQ("public.users", f.table);
  EXPECT_TRUE(Has(f.message, "app_user owns public.users")) << f.message;

  t.owner = "app_readers";  // app_user is a member of the owner
  f = Only(t, "app-role-bypasses-rls");
  EXPECT_TRUE(Has(f.message, "app_user is a member of app_readers, which owns public.users")) << f.message;

  // Not forced: the owner bypasses the policies (both findings).
  t.owner = "app_user";
  t.rls_forced = false;
  EXPECT_EQ((V{"rls-not-forced", "app-role-bypasses-rls"}), Ids(t));
}

TEST(CatalogGatesTest, AppRoleMissing) {
  RoleFacts role;
  role.name = "app_user";
  std::vector<Finding> findings = Check({Tenants(), GoodUsers()}, role);
  ASSERT_EQ(V{"app-role-missing"}, Ids(findings));
  EXPECT_EQ("", findings[0].table);
  EXPECT_TRUE(Has(findings[0].message, "app_user")) << findings[0].message;
  // No tenant-scoped table yet: nothing to protect.
  EXPECT_EQ(V{}, Ids(Check({Tenants()}, role)));
}

TEST(CatalogGatesTest, OrderIsByTableThenIdThenRoleWide) {
  TableFacts a = GoodUsers();
  a.name = "a";
  a.rls_enabled = false;
  a.rls_forced = false;
  a.tenant_column_not_null = false;
  TableFacts b = GoodUsers();
  b.name = "b";
  b.foreign_keys.clear();
  b.policies = {Policy("open", "ALL", "true", ""), Policy("wrong", "SELECT", "(owner = CURRENT_USER)", "")};
  RoleFacts role = AppUser();
  role.bypassrls = true;
  std::vector<Finding> findings = Check({a, b}, role);
  EXPECT_EQ((V{"rls-disabled", "policy-without-rls", "tenant-column-nullable", "policy-not-tenant-bound",
               "policy-always-true", "tenant-fk-missing", "app-role-bypasses-rls"}),
            Ids(findings));
  ASSERT_EQ(7u, findings.size());
  EXPECT_EQ("public.a", findings[0].table);
  EXPECT_EQ("public.b", findings[3].table);
  EXPECT_TRUE(Has(findings[3].message, "policy wrong")) << findings[3].message;
  EXPECT_TRUE(Has(findings[4].message, "policy open")) << findings[4].message;
  EXPECT_EQ("", findings[6].table);
}

TEST(CatalogGatesTest, EveryCatalogIdIsWaivableButTheUnwaivableOnesAreNot) {
  for (const char* id :
       {"rls-disabled", "rls-not-forced", "rls-no-policy", "policy-without-rls", "policy-not-tenant-bound",
        "policy-always-true", "tenant-column-type", "tenant-column-nullable", "tenant-fk-missing",
        "tenant-index-missing", "unique-without-tenant", "app-role-bypasses-rls"}) {
    EXPECT_TRUE(IsWaivable(id)) << id;
  }
  for (const char* id : {"downgrade-missing", "downgrade-stub", "downgrade-not-inverse", "isolation-b-sees-a",
                         "isolation-fixture-missing", "delete-without-where", "update-without-where", "sql-syntax",
                         "transaction-control", "non-transactional-in-transaction", "app-role-missing", "destructive",
                         "no-such-gate", ""}) {
    EXPECT_FALSE(IsWaivable(id)) << id;
  }
}

Finding Found(const std::string& id, const std::string& table, Severity severity = Severity::kError) {
  Finding f;
  f.id = id;
  f.table = table;
  f.severity = severity;
  f.message = "m";
  return f;
}

TEST(CatalogGatesTest, WaiversByNameBySchemaNameAndForAllTables) {
  std::vector<Finding> findings = {
      Found("tenant-index-missing", "public.audit_events"),
      Found("tenant-index-missing", "public.logs"),
      Found("tenant-index-missing", "public.other"),
      Found("rls-not-forced", "public.logs"),
      Found("app-role-bypasses-rls", ""),
      Found("unique-without-tenant", "public.logs", Severity::kWarning),
  };
  std::vector<Waiver> waivers = {
      {"tenant-index-missing", "audit_events", "append-only, read by time", 3},
      {"tenant-index-missing", "public.logs", "tiny", 4},
      {"rls-not-forced", "", "owner is the migration role only", 5},
      {"app-role-bypasses-rls", "public.logs", "scoped to a table: not the role-wide finding", 6},
      {"unique-without-tenant", "logs", "global sequence", 7},
  };
  ApplyWaivers(findings, waivers);
  EXPECT_EQ(Severity::kWarning, findings[0].severity);
  EXPECT_EQ("append-only, read by time", findings[0].waived_because);
  EXPECT_EQ(Severity::kWarning, findings[1].severity);
  EXPECT_EQ("tiny", findings[1].waived_because);
  EXPECT_EQ(Severity::kError, findings[2].severity);  // no waiver names it
  EXPECT_EQ("", findings[2].waived_because);
  EXPECT_EQ(Severity::kWarning, findings[3].severity);  // table "" waives every table
  EXPECT_EQ("owner is the migration role only", findings[3].waived_because);
  EXPECT_EQ(Severity::kError, findings[4].severity);  // role-wide: only a waiver for every table matches
  EXPECT_EQ(Severity::kWarning, findings[5].severity);
  EXPECT_EQ("global sequence", findings[5].waived_because);

  std::vector<Finding> role_wide = {Found("app-role-bypasses-rls", "")};
  ApplyWaivers(role_wide, {{"app-role-bypasses-rls", "", "staging only", 1}});
  EXPECT_EQ(Severity::kWarning, role_wide[0].severity);
  EXPECT_EQ("staging only", role_wide[0].waived_because);
}

TEST(CatalogGatesTest, UnwaivableFindingsAreUntouched) {
  std::vector<Finding> findings = {Found("isolation-b-sees-a", "public.users"), Found("app-role-missing", ""),
                                   Found("delete-without-where", ""), Found("downgrade-stub", ""),
                                   Found("sql-syntax", "")};
  std::vector<Waiver> waivers;
  for (const Finding& f : findings) waivers.push_back({f.id, "", "please", 1});
  ApplyWaivers(findings, waivers);
  for (const Finding& f : findings) {
    EXPECT_EQ(Severity::kError, f.severity) << f.id;
    EXPECT_EQ("", f.waived_because) << f.id;
  }
}

TEST(CatalogGatesTest, WaiversApplyToCheckCatalogOutput) {
  TableFacts t = GoodUsers();
  t.indexes.erase(t.indexes.begin(), t.indexes.begin() + 2);
  std::vector<Finding> findings = Check({t});
  ApplyWaivers(findings, {{"tenant-index-missing", "users", "small table", 1}});
  ASSERT_EQ(V{"tenant-index-missing"}, Ids(findings));
  EXPECT_EQ(Severity::kWarning, findings[0].severity);
  EXPECT_EQ("small table", findings[0].waived_because);
}

TEST(CatalogGatesTest, EveryCatalogAndProbeIdIsDocumentedInTheYamlPage) {
  std::ifstream in(std::string(RETORT_SOURCE_DIR) + "/man/retort.yaml.5");
  ASSERT_TRUE(in) << "cannot read man/retort.yaml.5";
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string page = buffer.str();
  for (size_t p = 0; (p = page.find("\\-", p)) != std::string::npos;) page.replace(p, 2, "-");
  const size_t gates = page.find("\n.SH GATES\n");
  ASSERT_NE(std::string::npos, gates) << "man/retort.yaml.5 has no GATES section";
  const std::string section = page.substr(gates, page.find("\n.SH ", gates + 1) - gates);
  for (const char* id : {"rls-disabled",
                         "rls-not-forced",
                         "rls-no-policy",
                         "policy-without-rls",
                         "policy-not-tenant-bound",
                         "policy-always-true",
                         "tenant-column-type",
                         "tenant-column-nullable",
                         "tenant-fk-missing",
                         "tenant-index-missing",
                         "unique-without-tenant",
                         "app-role-bypasses-rls",
                         "app-role-missing",
                         "isolation-fixture-missing",
                         "isolation-fixture-failed",
                         "isolation-app-role-missing",
                         "isolation-a-sees-nothing",
                         "isolation-a-sees-other",
                         "isolation-b-sees-a",
                         "isolation-no-context-sees-rows",
                         "isolation-cross-tenant-write",
                         "downgrade-not-inverse"}) {
    EXPECT_NE(std::string::npos, section.find("\n.TP\n.B " + std::string(id) + "\n"))
        << id << " has no .TP entry in the GATES section of man/retort.yaml.5";
  }
}

}  // namespace
}  // namespace retort
