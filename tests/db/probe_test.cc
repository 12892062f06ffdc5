// The isolation probe's primitives and the destructive pre-flight counts,
// against a real server.
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "retort/pg/pg_database.h"
#include "support/test_database.h"

namespace retort {
namespace {

using testing::ScratchDatabase;
using testing::TestRole;
using Strings = std::vector<std::string>;

const char kSetting[] = "app.current_tenant_id";

class ProbeTest : public ::testing::Test {
 protected:
  ProbeTest() : app_("retort_probe_app", "NOBYPASSRLS") {
    db_ = std::make_unique<PgDatabase>(scratch_.conninfo(), Config{});
    const std::string app = "\"" + app_.name() + "\"";
    db_->ExecScript(
        "CREATE TABLE tenants (id uuid PRIMARY KEY, name text);"
        "CREATE TABLE docs (id serial PRIMARY KEY, tenant_id uuid NOT NULL "
        "REFERENCES tenants ON DELETE CASCADE, body text);"
        "ALTER TABLE docs ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;"
        "CREATE POLICY iso ON docs TO " + app +
        " USING (tenant_id = current_setting('app.current_tenant_id', "
        "true)::uuid) WITH CHECK (tenant_id = "
        "current_setting('app.current_tenant_id', true)::uuid);"
        // The same policy written to tolerate an empty context.
        "CREATE TABLE notes (tenant_id uuid NOT NULL, body text);"
        "ALTER TABLE notes ENABLE ROW LEVEL SECURITY;"
        "CREATE POLICY iso ON notes TO " + app +
        " USING (tenant_id = NULLIF(current_setting('app.current_tenant_id', "
        "true), '')::uuid);"
        "GRANT SELECT, INSERT, UPDATE, DELETE ON docs, notes TO " + app + ";"
        "GRANT USAGE ON SEQUENCE docs_id_seq TO " + app);
  }

  /// Runs f under a savepoint that is rolled back, returning the
  /// StatementError it threw (sqlstate "" if none).
  template <typename F>
  StatementError Guarded(F f) {
    db_->Savepoint("guard");
    StatementError result("", "", 0);
    try {
      f();
    } catch (const StatementError& e) {
      result = e;
    }
    db_->RollbackToSavepoint("guard");
    db_->ReleaseSavepoint("guard");
    return result;
  }

  TestRole app_;
  ScratchDatabase scratch_;
  std::unique_ptr<PgDatabase> db_;
};

TEST_F(ProbeTest, TheSeedRecipeAndEverythingRollsBack) {
  const std::string me = db_->CurrentUser();
  db_->BeginStep(0, 0);
  db_->Savepoint("probe");
  const std::string a = "aaaaaaaa-1111-4111-8111-111111111111";
  const std::string b = "bbbbbbbb-2222-4222-8222-222222222222";
  for (const std::string& t : {a, b}) {
    db_->ExecWithTenant(
        "INSERT INTO tenants (id, name) VALUES ($1, 'retort probe')", t);
    db_->ExecWithTenant(
        "INSERT INTO docs (tenant_id, body) VALUES ($1::uuid, 'x')", t);
    db_->ExecWithTenant("INSERT INTO notes VALUES ($1::uuid, 'x')", t);
  }
  // A statement without $1 runs too.
  db_->ExecWithTenant("UPDATE docs SET body = 'y'", a);
  Strings both = {a, b};
  std::sort(both.begin(), both.end());
  EXPECT_EQ(both, db_->VisibleTenants("docs", "tenant_id"))
      << "the migration role (a superuser here) sees every row";

  // No context ever set in this session: current_setting(..., true) is
  // NULL, and the policy lets nothing through.
  db_->SetLocalRole(app_.name());
  EXPECT_EQ(Strings{}, db_->VisibleTenants("public.docs", "tenant_id"));

  db_->SetTenantContext(kSetting, a);
  EXPECT_EQ(Strings{a}, db_->VisibleTenants("public.docs", "tenant_id"));
  db_->SetTenantContext(kSetting, b);
  EXPECT_EQ(Strings{b}, db_->VisibleTenants("docs", "tenant_id"));
  EXPECT_EQ(Strings{b}, db_->VisibleTenants("notes", "tenant_id"));

  // Cleared context, as an app leaves it between requests: '' is not a
  // uuid, so the cast in the policy fails: closed, by an error. NULLIF in
  // the policy makes it closed by showing nothing.
  db_->SetTenantContext(kSetting, "");
  const StatementError cleared =
      Guarded([&] { db_->VisibleTenants("docs", "tenant_id"); });
  EXPECT_EQ("22P02", cleared.sqlstate());
  EXPECT_STREQ("invalid input syntax for type uuid: \"\"", cleared.what());
  EXPECT_EQ(Strings{}, db_->VisibleTenants("notes", "tenant_id"));
  // The savepoint kept the role and the context.
  EXPECT_EQ(Strings{}, db_->VisibleTenants("notes", "tenant_id"));

  // Moving a row to another tenant: refused by WITH CHECK...
  db_->SetTenantContext(kSetting, a);
  const StatementError moved =
      Guarded([&] { db_->MoveTenantRows("docs", "tenant_id", a, b); });
  EXPECT_EQ("42501", moved.sqlstate());
  EXPECT_STREQ("new row violates row-level security policy for table \"docs\"",
               moved.what());
  // ...and inserting one for another tenant too.
  const StatementError inserted = Guarded([&] {
    db_->ExecWithTenant(
        "INSERT INTO docs (tenant_id, body) VALUES ($1::uuid, 'z')", b);
  });
  EXPECT_EQ("42501", inserted.sqlstate());
  // Rows of another tenant are not even found.
  EXPECT_EQ(0, db_->MoveTenantRows("docs", "tenant_id", b, a));
  // Within the tenant, an update goes through.
  EXPECT_EQ(1, db_->MoveTenantRows("docs", "tenant_id", a, a));
  // notes has no WITH CHECK: USING applies to new rows too.
  EXPECT_EQ("42501", Guarded([&] {
                       db_->MoveTenantRows("notes", "tenant_id", a, b);
                     }).sqlstate());

  db_->ResetRole();
  EXPECT_EQ(me, db_->CurrentUser());
  EXPECT_EQ(2u, db_->VisibleTenants("docs", "tenant_id").size());

  db_->RollbackToSavepoint("probe");
  EXPECT_EQ(0, db_->CountRows("docs"));
  EXPECT_EQ(0, db_->CountRows("tenants"));
  EXPECT_EQ(0, db_->CountRows("notes"));
  db_->ReleaseSavepoint("probe");
  db_->CommitStep();
  EXPECT_EQ(0, db_->CountRows("public.tenants"));
  EXPECT_EQ(me, db_->CurrentUser());
}

TEST_F(ProbeTest, RoleAndContextEndWithTheSavepointOrTheStep) {
  const std::string me = db_->CurrentUser();
  db_->BeginStep(0, 0);
  db_->Savepoint("probe");
  db_->SetLocalRole(app_.name());
  db_->SetTenantContext(kSetting, "11111111-1111-1111-1111-111111111111");
  EXPECT_EQ(app_.name(), db_->CurrentUser());
  db_->RollbackToSavepoint("probe");
  EXPECT_EQ(me, db_->CurrentUser());
  db_->ResetRole();  // harmless after the rollback
  EXPECT_EQ(me, db_->CurrentUser());
  db_->ResetRole();  // and without a SetLocalRole
  db_->SetLocalRole(app_.name());
  db_->CommitStep();
  EXPECT_EQ(me, db_->CurrentUser()) << "SET LOCAL ends with the transaction";
  // The context too: but once set in a session, the setting exists and
  // reads '' rather than NULL, which the uuid cast of the policy refuses.
  db_->BeginStep(0, 0);
  db_->SetLocalRole(app_.name());
  EXPECT_EQ("22P02", Guarded([&] {
                       db_->VisibleTenants("docs", "tenant_id");
                     }).sqlstate());
  EXPECT_EQ(Strings{}, db_->VisibleTenants("notes", "tenant_id"));
  db_->RollbackStep();
  // Outside a step they are refused rather than silently ineffective.
  EXPECT_THROW(db_->SetLocalRole(app_.name()), std::logic_error);
  EXPECT_THROW(db_->SetTenantContext(kSetting, "x"), std::logic_error);
  EXPECT_THROW(db_->ExecWithTenant("SELECT 1", "x"), std::logic_error);
  EXPECT_THROW(db_->MoveTenantRows("docs", "tenant_id", "a", "b"),
               std::logic_error);
}

TEST_F(ProbeTest, ExecWithTenantReportsTheServersError) {
  db_->BeginStep(0, 0);
  const StatementError two = Guarded([&] {
    db_->ExecWithTenant("SELECT $1::text; SELECT 2", "a");
  });
  EXPECT_EQ("42601", two.sqlstate()) << two.what();
  const StatementError fk = Guarded([&] {
    db_->ExecWithTenant("INSERT INTO docs (tenant_id) VALUES ($1)",
                        "22222222-2222-2222-2222-222222222222");
  });
  EXPECT_EQ("23503", fk.sqlstate());
  EXPECT_NE(std::string::npos, fk.detail().find("is not present in table"))
      << fk.detail();
  const StatementError missing =
      Guarded([&] { db_->VisibleTenants("nope", "tenant_id"); });
  EXPECT_EQ("42P01", missing.sqlstate());
  db_->RollbackStep();
}

// --- destructive pre-flight counts -------------------------------------------

TEST_F(ProbeTest, CountsOutsideAndInsideAStep) {
  db_->ExecScript(
      "CREATE SCHEMA arch;"
      "CREATE TABLE arch.logs (id int, msg varchar(20), gone text);"
      "INSERT INTO arch.logs VALUES (1, 'a', NULL), (2, NULL, NULL), "
      "(3, 'c', 'x');"
      "CREATE TABLE arch.events (at date, n numeric(10,2)) PARTITION BY "
      "RANGE (at);"
      "CREATE TABLE arch.events_2026 PARTITION OF arch.events FOR VALUES "
      "FROM ('2026-01-01') TO ('2027-01-01');"
      "INSERT INTO arch.events VALUES ('2026-05-01', 1);"
      "CREATE TABLE public.events_2027 PARTITION OF arch.events FOR VALUES "
      "FROM ('2027-01-01') TO ('2028-01-01');"
      "CREATE VIEW arch.v AS SELECT 1 AS one;"
      "CREATE TABLE \"Odd \"\"Name\" (a int)");
  EXPECT_EQ(3, db_->CountRows("arch.logs"));
  EXPECT_EQ(2, db_->CountNonNull("arch.logs", "msg"));
  EXPECT_EQ(1, db_->CountNonNull("arch.logs", "gone"));
  EXPECT_EQ(1, db_->CountRows("arch.events"));
  EXPECT_EQ(0, db_->CountRows("Odd \"Name"));
  EXPECT_EQ(0, db_->CountRows("tenants")) << "resolved along the search_path";
  EXPECT_EQ("character varying(20)", db_->ColumnType("arch.logs", "msg"));
  EXPECT_EQ("numeric(10,2)", db_->ColumnType("arch.events", "n"));
  EXPECT_EQ("uuid", db_->ColumnType("docs", "tenant_id"));
  EXPECT_EQ("", db_->ColumnType("arch.logs", "nope"));
  EXPECT_EQ("", db_->ColumnType("arch.nope", "msg"));
  EXPECT_EQ("", db_->ColumnType("logs", "msg")) << "arch is not on the path";
  EXPECT_EQ((Strings{"arch.events", "arch.logs"}), db_->TablesInSchema("arch"))
      << "no views, no partitions of a parent in the same schema";
  EXPECT_EQ((Strings{"public.Odd \"Name", "public.docs", "public.events_2027",
                     "public.notes", "public.tenants"}),
            db_->TablesInSchema("public"));
  EXPECT_EQ(Strings{}, db_->TablesInSchema("nope"));
  try {
    db_->CountRows("arch.nope");
    FAIL();
  } catch (const StatementError& e) {
    EXPECT_EQ("42P01", e.sqlstate());
  }
  try {
    db_->CountNonNull("arch.logs", "nope");
    FAIL();
  } catch (const StatementError& e) {
    EXPECT_EQ("42703", e.sqlstate());
  }
  // Nothing was left open: a step begins and sees the same counts, and its
  // own changes.
  EXPECT_FALSE(db_->InStep());
  db_->BeginStep(0, 0);
  EXPECT_EQ(3, db_->CountRows("arch.logs"));
  db_->ExecScript("DELETE FROM arch.logs WHERE id = 1");
  EXPECT_EQ(2, db_->CountRows("arch.logs"));
  db_->RollbackStep();
  EXPECT_EQ(3, db_->CountRows("arch.logs"));
}

}  // namespace
}  // namespace retort
