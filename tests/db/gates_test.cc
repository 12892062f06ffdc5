// The in-step gates against a real server: the isolation probe (passes on a
// correct table, names the failing case on a broken one, and never leaves a
// probe tenant, row, role change or savepoint behind) and the destructive
// pre-flight's live counts.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "retort/pg/pg_database.h"
#include "retort/exec/isolation_probe.h"
#include "retort/exec/preflight.h"
#include "support/test_database.h"

namespace retort {
namespace {

using testing::ScratchDatabase;
using testing::TestRole;

std::vector<std::string> Ids(const std::vector<Finding>& findings) {
  std::vector<std::string> ids;
  for (const Finding& f : findings) ids.push_back(f.id);
  return ids;
}

class GatesDbTest : public ::testing::Test {
 protected:
  GatesDbTest() : app_("retort_gates_app", "NOLOGIN NOBYPASSRLS") {
    tenancy_.app_role = app_.name();
    tenancy_.tenant_fixture = "INSERT INTO tenants (id, name) VALUES (:tenant_id, 'retort probe')";
    db_ = std::make_unique<PgDatabase>(scratch_.conninfo(), Config{});
    db_->ExecScript(
        "CREATE TABLE tenants (id uuid PRIMARY KEY, name text NOT NULL);"
        "INSERT INTO tenants VALUES ('11111111-1111-1111-1111-111111111111', 'real');"
        "CREATE TABLE docs (id serial PRIMARY KEY, tenant_id uuid NOT NULL REFERENCES tenants ON DELETE "
        "CASCADE, body text);"
        "ALTER TABLE docs ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;"
        "GRANT SELECT, INSERT, UPDATE, DELETE ON docs TO \"" + app_.name() + "\";"
        "GRANT USAGE ON SEQUENCE docs_id_seq TO \"" + app_.name() + "\";");
  }

  void Policy(const std::string& body) {
    db_->ExecScript("CREATE POLICY iso ON docs " + body);
  }

  std::vector<Finding> Probe() {
    ProbeTable t{"public.docs", true,
                 Fixture{"INSERT INTO docs (tenant_id, body) VALUES (:tenant_id, 'probe')", "r1",
                         "versions/r1/migration.yaml", 5}};
    db_->BeginStep(0, 0);
    std::vector<Finding> findings = RunIsolationProbe(*db_, tenancy_, "retort.yaml", {t});
    // Nothing of the probe survives, even inside the step: one tenant, no doc,
    // the migration role back, no savepoint left (RELEASE of a probe
    // savepoint must fail).
    EXPECT_EQ(db_->CountRows("tenants"), 1);
    EXPECT_EQ(db_->CountRows("docs"), 0);
    EXPECT_NE(db_->CurrentUser(), app_.name());
    EXPECT_THROW(db_->ReleaseSavepoint("retort_isolation_probe"), StatementError);
    db_->RollbackStep();
    return findings;
  }

  TestRole app_;
  ScratchDatabase scratch_;
  std::unique_ptr<PgDatabase> db_;
  TenancyConfig tenancy_;
};

TEST_F(GatesDbTest, ProbePassesOnABoundPolicy) {
  Policy("USING (tenant_id = current_setting('app.current_tenant_id', true)::uuid) "
         "WITH CHECK (tenant_id = current_setting('app.current_tenant_id', true)::uuid)");
  EXPECT_TRUE(Probe().empty());
}

TEST_F(GatesDbTest, ProbeCatchesAlwaysTrue) {
  Policy("USING (true)");
  std::vector<std::string> ids = Ids(Probe());
  EXPECT_EQ(ids, (std::vector<std::string>{"isolation-a-sees-other", "isolation-b-sees-a",
                                            "isolation-no-context-sees-rows", "isolation-cross-tenant-write",
                                            "isolation-cross-tenant-write"}));
}

TEST_F(GatesDbTest, ProbeCatchesAWithCheckThatLetsAWriteB) {
  Policy("USING (tenant_id = current_setting('app.current_tenant_id', true)::uuid) WITH CHECK (true)");
  // Moving A's row to B is refused by PostgreSQL itself (an UPDATE's new row
  // must also pass the SELECT USING); inserting B's row is not.
  std::vector<Finding> findings = Probe();
  ASSERT_EQ(Ids(findings), (std::vector<std::string>{"isolation-cross-tenant-write"}));
  EXPECT_EQ(findings[0].table, "public.docs");
  EXPECT_NE(findings[0].message.find("inserted a row of tenant B"), std::string::npos) << findings[0].message;
}

TEST_F(GatesDbTest, ProbeReportsAMissingGrantAndAMissingFixture) {
  Policy("USING (tenant_id = current_setting('app.current_tenant_id', true)::uuid)");
  db_->ExecScript("REVOKE SELECT ON docs FROM \"" + app_.name() + "\"");
  EXPECT_EQ(Ids(Probe()).front(), "isolation-a-sees-nothing");

  db_->BeginStep(0, 0);
  std::vector<Finding> f = RunIsolationProbe(*db_, tenancy_, "retort.yaml", {ProbeTable{"public.docs", false, {}}});
  db_->RollbackStep();
  ASSERT_EQ(Ids(f), std::vector<std::string>{"isolation-fixture-missing"});
}

TEST_F(GatesDbTest, ProbeReportsABrokenFixtureAtItsFile) {
  Policy("USING (tenant_id = current_setting('app.current_tenant_id', true)::uuid)");
  ProbeTable t{"public.docs", true, Fixture{"INSERT INTO docs (tenant_id, nope) VALUES (:tenant_id, 1)", "r1",
                                            "versions/r1/migration.yaml", 7}};
  db_->BeginStep(0, 0);
  std::vector<Finding> f = RunIsolationProbe(*db_, tenancy_, "retort.yaml", {t});
  EXPECT_EQ(db_->CountRows("tenants"), 1);
  db_->RollbackStep();
  ASSERT_EQ(Ids(f), std::vector<std::string>{"isolation-fixture-failed"});
  EXPECT_EQ(f[0].file, "versions/r1/migration.yaml");
  EXPECT_EQ(f[0].line, 7);
  EXPECT_NE(f[0].message.find("42703"), std::string::npos) << f[0].message;
}

TEST_F(GatesDbTest, ProbeReportsAnAppRoleItCannotBecome) {
  Policy("USING (tenant_id = current_setting('app.current_tenant_id', true)::uuid)");
  tenancy_.app_role = "retort_no_such_role";
  std::vector<Finding> f = Probe();
  ASSERT_EQ(Ids(f), std::vector<std::string>{"isolation-app-role-missing"});
}

TEST_F(GatesDbTest, ProbeBatchGivesEachCaseItsOwnResultInOneRoundTrip) {
  Policy("USING (tenant_id = current_setting('app.current_tenant_id', true)::uuid) "
         "WITH CHECK (tenant_id = current_setting('app.current_tenant_id', true)::uuid)");
  const std::string a = "aaaaaaaa-0000-4000-8000-000000000001";
  const std::string b = "bbbbbbbb-0000-4000-8000-000000000002";
  const std::string setting = "app.current_tenant_id";
  auto exec = [&](const std::string& context, const std::string& sql, const std::string& tenant) {
    ProbeAction x;
    x.context = context;
    x.sql = sql;
    x.tenant_id = tenant;
    return x;
  };
  auto visible = [&](const std::string& context) {
    ProbeAction x;
    x.kind = ProbeAction::Kind::kVisibleTenants;
    x.context = context;
    x.table = "public.docs";
    x.tenant_column = "tenant_id";
    return x;
  };
  const char* tenant = "INSERT INTO tenants (id, name) VALUES ($1, 'probe')";
  const char* doc = "INSERT INTO docs (tenant_id, body) VALUES ($1, 'probe')";
  std::vector<ProbeAction> seeds = {exec(a, tenant, a), exec(b, tenant, b), exec(a, doc, a), exec(b, doc, b)};
  ProbeAction move;
  move.kind = ProbeAction::Kind::kMoveTenantRows;
  move.context = a;
  move.table = "public.docs";
  move.tenant_column = "tenant_id";
  move.tenant_id = a;
  move.to_tenant = a;  // A's rows to A: allowed, and rolled back after the case
  std::vector<ProbeAction> cases = {visible(a), visible(b), exec(a, doc, b), move, visible(a)};

  db_->BeginStep(0, 0);
  ProbeBatchResult r = db_->RunProbeBatch(setting, seeds, app_.name(), cases);
  ASSERT_TRUE(r.setup_ok);
  ASSERT_EQ(r.cases.size(), 5u);
  EXPECT_TRUE(r.cases[0].ok);
  EXPECT_EQ(r.cases[0].tenants, std::vector<std::string>{a});
  EXPECT_EQ(r.cases[1].tenants, std::vector<std::string>{b});
  EXPECT_FALSE(r.cases[2].ok) << "WITH CHECK refuses B's row in context A";
  EXPECT_NE(r.cases[2].error.find("42501"), std::string::npos) << r.cases[2].error;
  EXPECT_TRUE(r.cases[3].ok) << r.cases[3].error;
  EXPECT_EQ(r.cases[3].affected, 1);
  EXPECT_EQ(r.cases[4].tenants, std::vector<std::string>{a}) << "a failed case leaves the next one usable";
  // Nothing of the probe is left, and the step goes on as the migration role.
  EXPECT_EQ(db_->CountRows("tenants"), 1);
  EXPECT_EQ(db_->CountRows("docs"), 0);
  EXPECT_NE(db_->CurrentUser(), app_.name());
  EXPECT_THROW(db_->ReleaseSavepoint("retort_isolation_probe"), StatementError);
  db_->RollbackStep();

  // A script's DEALLOCATE ALL takes the probe's prepared statement: the
  // same results, nothing left.
  db_->BeginStep(0, 0);
  db_->ExecScript("DEALLOCATE ALL");
  ProbeBatchResult again = db_->RunProbeBatch(setting, seeds, app_.name(), cases);
  ASSERT_TRUE(again.setup_ok);
  ASSERT_EQ(again.cases.size(), 5u);
  EXPECT_EQ(again.cases[0].tenants, std::vector<std::string>{a});
  EXPECT_EQ(again.cases[1].tenants, std::vector<std::string>{b});
  EXPECT_FALSE(again.cases[2].ok);
  EXPECT_EQ(again.cases[3].affected, 1);
  EXPECT_EQ(again.cases[4].tenants, std::vector<std::string>{a});
  EXPECT_EQ(db_->CountRows("docs"), 0);
  db_->RollbackStep();

  // A failing seed: no case result, nothing left, the step still usable.
  db_->BeginStep(0, 0);
  seeds.push_back(exec(a, "INSERT INTO docs (tenant_id, nope) VALUES ($1, 1)", a));
  r = db_->RunProbeBatch(setting, seeds, app_.name(), cases);
  EXPECT_FALSE(r.setup_ok);
  EXPECT_TRUE(r.cases.empty());
  EXPECT_EQ(db_->CountRows("tenants"), 1);
  EXPECT_EQ(db_->CountRows("docs"), 0);
  seeds.pop_back();
  // An app role that does not exist fails the set-up the same way.
  r = db_->RunProbeBatch(setting, seeds, "retort_no_such_role", cases);
  EXPECT_FALSE(r.setup_ok);
  EXPECT_EQ(db_->CountRows("tenants"), 1);
  db_->CommitStep();
}

TEST_F(GatesDbTest, PreflightCountsLiveRowsOfEachTarget) {
  db_->ExecScript(
      "INSERT INTO docs (tenant_id, body) SELECT '11111111-1111-1111-1111-111111111111', "
      "CASE WHEN g % 2 = 0 THEN 'x' END FROM generate_series(1, 5) g;"
      "CREATE SCHEMA arch; CREATE TABLE arch.a (x int); CREATE TABLE arch.b (x int);"
      "INSERT INTO arch.a VALUES (1), (2);");
  auto op = [](const char* what, SqlObject target) {
    return PendingDestructive{DestructiveOp{what, std::move(target), ""}, "r9", "versions/r9/downgrade.sql", 3,
                              "DROP ..."};
  };
  std::vector<DestructiveTarget> t = CountDestructiveTargets(
      *db_,
      {op("DROP COLUMN", SqlObject{"column", "", "docs", "body", ""}), op("DROP TABLE", SqlObject{"table", "", "docs", "", ""}),
       op("DROP TABLE", SqlObject{"table", "public", "docs", "", ""}),  // the same target again: listed once
       op("DROP SCHEMA", SqlObject{"schema", "", "arch", "", ""}),
       op("DROP TABLE", SqlObject{"table", "", "later", "", ""})},
      "public");
  ASSERT_EQ(t.size(), 5u);
  EXPECT_EQ(t[0].key, "public.docs.body");
  EXPECT_EQ(t[0].rows, 2);
  EXPECT_EQ(t[1].key, "public.docs");
  EXPECT_EQ(t[1].rows, 5);
  EXPECT_EQ(t[2].key, "arch.a");
  EXPECT_EQ(t[2].rows, 2);
  EXPECT_EQ(t[3].key, "arch.b");
  EXPECT_EQ(t[3].rows, 0);
  EXPECT_EQ(t[4].key, "public.later");
  EXPECT_FALSE(t[4].exists);
  EXPECT_EQ(ConfirmArgument(t), "public.docs.body=2,public.docs=5,arch.a=2,arch.b=0,public.later=0");
}

}  // namespace
}  // namespace retort
