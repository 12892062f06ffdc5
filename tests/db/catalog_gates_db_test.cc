// The catalog gates on facts read from a real server: what PostgreSQL's
// pg_get_expr prints for the policies, and what the catalog says about
// owners, keys and indexes, judged end to end.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "retort/pg/pg_database.h"
#include "retort/gate/catalog_gates.h"
#include "support/test_database.h"

namespace retort {
namespace {

using testing::ScratchDatabase;
using testing::TestRole;
using Strings = std::vector<std::string>;

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  for (size_t p = 0; (p = text.find(from, p)) != std::string::npos; p += to.size()) text.replace(p, from.size(), to);
  return text;
}

// The example's users table: everything right.
const char kGood[] = R"sql(
CREATE TABLE tenants (id uuid PRIMARY KEY, name text NOT NULL);
CREATE TABLE users (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  email text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, email)
);
CREATE INDEX users_tenant_created ON users (tenant_id, created_at);
ALTER TABLE users ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON users TO @APP@
  USING (tenant_id = current_setting('app.current_tenant_id', true)::uuid)
  WITH CHECK (tenant_id = current_setting('app.current_tenant_id', true)::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON users TO @APP@;
)sql";

class CatalogGatesDbTest : public ::testing::Test {
 protected:
  CatalogGatesDbTest() : app_("retort_gates_app", "NOBYPASSRLS"), owner_("retort_gates_owner") {
    db_ = std::make_unique<PgDatabase>(scratch_.conninfo(), Config{});
    tenancy_.app_role = app_.name();
    Exec(kGood);
  }

  void Exec(const std::string& sql) {
    db_->ExecScript(Replace(Replace(sql, "@APP@", app_.name()), "@OWNER@", owner_.name()));
  }

  std::vector<Finding> Check() {
    std::vector<TableFacts> facts =
        db_->ReadTableFacts(tenancy_.schemas, {}, tenancy_.tenant_column, tenancy_.app_role);
    return CheckCatalog(facts, db_->ReadRoleFacts(tenancy_.app_role), tenancy_);
  }

  Strings Ids() {
    Strings ids;
    for (const Finding& f : Check()) ids.push_back(f.id + " " + f.table);
    return ids;
  }

  TestRole app_, owner_;
  ScratchDatabase scratch_;
  std::unique_ptr<PgDatabase> db_;
  TenancyConfig tenancy_;
};

TEST_F(CatalogGatesDbTest, TheExampleHasNoFinding) {
  for (const Finding& f : Check()) ADD_FAILURE() << f.id << ": " << f.message;
}

TEST_F(CatalogGatesDbTest, PolicyFormsAsPostgresPrintsThem) {
  // Written in other ways; pg_get_expr prints them back with casts and parentheses.
  Exec(R"sql(
DROP POLICY tenant_isolation ON users;
CREATE POLICY r ON users FOR SELECT TO PUBLIC
  USING (current_setting('app.current_tenant_id')::uuid = users.tenant_id AND email <> '');
CREATE POLICY w ON users FOR INSERT TO @APP@
  WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid));
CREATE POLICY u ON users FOR UPDATE TO @APP@
  USING (tenant_id = current_setting('app.current_tenant_id', true)::uuid);
CREATE POLICY d ON users FOR DELETE TO @APP@
  USING (tenant_id::text = current_setting('app.current_tenant_id', true));
)sql");
  EXPECT_EQ(Strings{}, Ids());
}

TEST_F(CatalogGatesDbTest, LoosePoliciesAndTheirRestrictiveCover) {
  Exec(R"sql(
CREATE POLICY shared ON users FOR SELECT TO @APP@ USING (email LIKE '%@example.com' OR tenant_id = current_setting('app.current_tenant_id', true)::uuid);
CREATE POLICY anything ON users FOR INSERT TO @APP@ WITH CHECK (1 = 1);
CREATE POLICY other_setting ON users FOR UPDATE TO @APP@ USING (tenant_id = current_setting('app.tenant', true)::uuid);
)sql");
  EXPECT_EQ((Strings{"policy-not-tenant-bound public.users", "policy-not-tenant-bound public.users",
                     "policy-always-true public.users"}),
            Ids());
  // A restrictive policy for every command binds both sides: all covered.
  Exec(R"sql(
CREATE POLICY tenant_only ON users AS RESTRICTIVE TO PUBLIC
  USING (tenant_id = current_setting('app.current_tenant_id', true)::uuid);
)sql");
  EXPECT_EQ(Strings{}, Ids());
}

TEST_F(CatalogGatesDbTest, EverythingWrongAtOnce) {
  Exec(R"sql(
CREATE TABLE notes (tenant_id text, body text, CONSTRAINT notes_body_key UNIQUE (body));
CREATE TABLE audit (tenant_id uuid NOT NULL REFERENCES tenants ON DELETE RESTRICT);
CREATE INDEX audit_tenant ON audit (tenant_id) WHERE tenant_id IS NOT NULL;
ALTER TABLE audit ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit OWNER TO @OWNER@;
GRANT @OWNER@ TO @APP@;
CREATE TABLE countries (code text PRIMARY KEY);
CREATE POLICY everyone ON countries USING (true);
)sql");
  EXPECT_EQ(
      (Strings{"rls-not-forced public.audit", "rls-no-policy public.audit", "tenant-fk-missing public.audit",
               "tenant-index-missing public.audit", "app-role-bypasses-rls public.audit",
               "policy-without-rls public.countries", "rls-disabled public.notes", "tenant-column-type public.notes",
               "tenant-column-nullable public.notes", "tenant-fk-missing public.notes",
               "tenant-index-missing public.notes", "unique-without-tenant public.notes"}),
      Ids());
  // Waived by name: a warning with the reason; the rest unchanged.
  std::vector<Finding> findings = Check();
  ApplyWaivers(findings, {{"tenant-index-missing", "audit", "append-only, read by time", 1}});
  for (const Finding& f : findings) {
    const bool waived = f.id == "tenant-index-missing" && f.table == "public.audit";
    EXPECT_EQ(waived ? "append-only, read by time" : "", f.waived_because) << f.id << " " << f.table;
    if (waived) {
      EXPECT_EQ(Severity::kWarning, f.severity);
    }
  }
}

TEST_F(CatalogGatesDbTest, AppRoleAttributes) {
  Exec("ALTER ROLE @APP@ BYPASSRLS");
  EXPECT_EQ(Strings{"app-role-bypasses-rls "}, Ids());
  Exec("ALTER ROLE @APP@ NOBYPASSRLS SUPERUSER");
  std::vector<Finding> findings = Check();
  ASSERT_EQ(1u, findings.size());
  EXPECT_NE(std::string::npos, findings[0].message.find("is a superuser")) << findings[0].message;
  Exec("ALTER ROLE @APP@ NOSUPERUSER");
  EXPECT_EQ(Strings{}, Ids());
  // Policies name the role that does not exist; none applies to this name.
  tenancy_.app_role = "retort_gates_no_such_role";
  EXPECT_EQ((Strings{"rls-no-policy public.users", "app-role-missing "}), Ids());
}

}  // namespace
}  // namespace retort
