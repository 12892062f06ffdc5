// PgDatabase::ReadTableFacts / ReadRoleFacts / ResolveTable against a real
// server.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "retort/pg/pg_database.h"
#include "support/test_database.h"

namespace retort {
namespace {

using testing::ScratchDatabase;
using testing::TestRole;
using Strings = std::vector<std::string>;

std::string Replace(std::string text, const std::string& from,
                    const std::string& to) {
  for (size_t p = 0; (p = text.find(from, p)) != std::string::npos;
       p += to.size()) {
    text.replace(p, from.size(), to);
  }
  return text;
}

const char kSchema[] = R"sql(
CREATE TABLE tenants (id uuid PRIMARY KEY);
CREATE TABLE docs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  slug text NOT NULL,
  body text,
  CONSTRAINT docs_slug_key UNIQUE (slug)
);
CREATE INDEX docs_tenant_idx ON docs (tenant_id, id);
CREATE INDEX docs_lower_slug ON docs (lower(slug), tenant_id) WHERE body IS NOT NULL;
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
ALTER TABLE docs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON docs TO @APP@
  USING (tenant_id = current_setting('app.current_tenant_id', true)::uuid)
  WITH CHECK (tenant_id = current_setting('app.current_tenant_id', true)::uuid);
CREATE POLICY readers ON docs AS RESTRICTIVE FOR SELECT TO PUBLIC, @APP@ USING (true);
GRANT SELECT, INSERT, UPDATE ON docs TO @APP@;
CREATE TABLE loose (tenant_id text, note text,
  owner_id uuid REFERENCES tenants ON DELETE SET NULL);
CREATE SCHEMA other;
CREATE TABLE other.docs (x int);
CREATE VIEW docs_view AS SELECT id FROM docs;
)sql";

class CatalogFactsTest : public ::testing::Test {
 protected:
  CatalogFactsTest()
      : app_("retort_facts_app", "NOBYPASSRLS"),
        group_("retort_facts_group"),
        outer_("retort_facts_outer"),
        bypass_("retort_facts_bypass", "BYPASSRLS"),
        super_("retort_facts_super", "SUPERUSER") {
    db_ = std::make_unique<PgDatabase>(scratch_.conninfo(), Config{});
    db_->ExecScript(Replace(kSchema, "@APP@", app_.name()));
  }

  std::vector<TableFacts> Facts(const Strings& tables,
                                const std::string& role = "") {
    return db_->ReadTableFacts({"public"}, tables, "tenant_id",
                               role.empty() ? app_.name() : role);
  }

  TestRole app_, group_, outer_, bypass_, super_;
  ScratchDatabase scratch_;
  std::unique_ptr<PgDatabase> db_;
};

TEST_F(CatalogFactsTest, TenantScopedTableWithRlsPolicyForeignKeyAndIndexes) {
  const auto facts = Facts({"public.docs"});
  ASSERT_EQ(1u, facts.size());
  const TableFacts& t = facts[0];
  EXPECT_EQ("public", t.schema);
  EXPECT_EQ("docs", t.name);
  EXPECT_EQ(db_->CurrentUser(), t.owner);
  EXPECT_FALSE(t.partitioned);
  EXPECT_TRUE(t.rls_enabled);
  EXPECT_TRUE(t.rls_forced);
  EXPECT_TRUE(t.has_tenant_column);
  EXPECT_EQ("uuid", t.tenant_column_type);
  EXPECT_TRUE(t.tenant_column_not_null);
  EXPECT_EQ((Strings{"SELECT", "INSERT", "UPDATE"}), t.app_role_privileges);

  ASSERT_EQ(2u, t.policies.size());
  const PolicyFacts& readers = t.policies[0];
  EXPECT_EQ("readers", readers.name);
  EXPECT_EQ("SELECT", readers.command);
  EXPECT_FALSE(readers.permissive);
  EXPECT_EQ(Strings{"public"}, readers.roles) << "PUBLIC absorbs the others";
  EXPECT_EQ("true", readers.using_expr);
  EXPECT_EQ("", readers.check_expr);
  const PolicyFacts& iso = t.policies[1];
  EXPECT_EQ("tenant_isolation", iso.name);
  EXPECT_EQ("ALL", iso.command);
  EXPECT_TRUE(iso.permissive);
  EXPECT_EQ(Strings{app_.name()}, iso.roles);
  const std::string bound =
      "(tenant_id = (current_setting('app.current_tenant_id'::text, "
      "true))::uuid)";
  EXPECT_EQ(bound, iso.using_expr);
  EXPECT_EQ(bound, iso.check_expr);

  ASSERT_EQ(4u, t.indexes.size());
  const IndexFacts& lower = t.indexes[0];
  EXPECT_EQ("docs_lower_slug", lower.name);
  EXPECT_EQ((Strings{"", "tenant_id"}), lower.columns);
  EXPECT_FALSE(lower.unique);
  EXPECT_EQ("(body IS NOT NULL)", lower.predicate);
  const IndexFacts& pkey = t.indexes[1];
  EXPECT_EQ("docs_pkey", pkey.name);
  EXPECT_EQ(Strings{"id"}, pkey.columns);
  EXPECT_TRUE(pkey.unique);
  EXPECT_TRUE(pkey.primary);
  const IndexFacts& slug = t.indexes[2];
  EXPECT_EQ("docs_slug_key", slug.name);
  EXPECT_EQ(Strings{"slug"}, slug.columns) << "unique without tenant_id";
  EXPECT_TRUE(slug.unique);
  EXPECT_FALSE(slug.primary);
  const IndexFacts& tenant = t.indexes[3];
  EXPECT_EQ("docs_tenant_idx", tenant.name);
  EXPECT_EQ((Strings{"tenant_id", "id"}), tenant.columns);
  EXPECT_EQ("btree", tenant.method);
  EXPECT_TRUE(tenant.valid);
  EXPECT_EQ("", tenant.predicate);

  ASSERT_EQ(1u, t.foreign_keys.size());
  const ForeignKeyFacts& fk = t.foreign_keys[0];
  EXPECT_EQ("docs_tenant_id_fkey", fk.name);
  EXPECT_EQ(Strings{"tenant_id"}, fk.columns);
  EXPECT_EQ("public", fk.ref_schema);
  EXPECT_EQ("tenants", fk.ref_table);
  EXPECT_EQ(Strings{"id"}, fk.ref_columns);
  EXPECT_EQ("CASCADE", fk.on_delete);
  EXPECT_TRUE(fk.validated);
}

TEST_F(CatalogFactsTest, TableWithoutRlsOrTenantKey) {
  const auto facts = Facts({"loose"});  // unqualified: along the search_path
  ASSERT_EQ(1u, facts.size());
  const TableFacts& t = facts[0];
  EXPECT_EQ("public.loose", t.schema + "." + t.name);
  EXPECT_FALSE(t.rls_enabled);
  EXPECT_FALSE(t.rls_forced);
  EXPECT_TRUE(t.policies.empty());
  EXPECT_TRUE(t.indexes.empty());
  EXPECT_TRUE(t.has_tenant_column);
  EXPECT_EQ("text", t.tenant_column_type);
  EXPECT_FALSE(t.tenant_column_not_null);
  EXPECT_TRUE(t.app_role_privileges.empty());
  ASSERT_EQ(1u, t.foreign_keys.size());
  EXPECT_EQ("SET NULL", t.foreign_keys[0].on_delete);
  EXPECT_EQ(Strings{"owner_id"}, t.foreign_keys[0].columns);

  const auto tenants = Facts({"public.tenants"});
  ASSERT_EQ(1u, tenants.size());
  EXPECT_FALSE(tenants[0].has_tenant_column);
  EXPECT_EQ("", tenants[0].tenant_column_type);
}

TEST_F(CatalogFactsTest, NamesSelectExactlyTheTablesAskedFor) {
  // Missing names, views and duplicates; other.docs is not public.docs.
  auto facts = Facts({"public.nope", "docs_view", "other.docs", "docs",
                      "public.docs", "nope.docs"});
  ASSERT_EQ(2u, facts.size());
  EXPECT_EQ("other", facts[0].schema);
  EXPECT_FALSE(facts[0].has_tenant_column);
  EXPECT_EQ("public", facts[1].schema);
  EXPECT_EQ("docs", facts[1].name);
  // No names: every table of the schemas but retort's own.
  db_->EnsureVersionTable();
  db_->EnsureHistoryTable();
  facts = Facts({});
  Strings names;
  for (const auto& t : facts) names.push_back(t.schema + "." + t.name);
  EXPECT_EQ((Strings{"public.docs", "public.loose", "public.tenants"}), names);
  facts = db_->ReadTableFacts({"public", "other"}, {}, "tenant_id", "");
  EXPECT_EQ(4u, facts.size());
  EXPECT_TRUE(facts[0].app_role_privileges.empty()) << "no such role";
}

TEST_F(CatalogFactsTest, FactsSeeTheStepsUncommittedChanges) {
  db_->BeginStep(0, 0);
  db_->ExecScript(
      "ALTER TABLE loose ENABLE ROW LEVEL SECURITY;"
      "CREATE INDEX loose_tenant ON loose (tenant_id);"
      "CREATE TABLE fresh (tenant_id uuid NOT NULL)");
  auto facts = Facts({"loose", "fresh"});
  ASSERT_EQ(2u, facts.size());
  EXPECT_EQ("fresh", facts[0].name);
  EXPECT_TRUE(facts[1].rls_enabled);
  ASSERT_EQ(1u, facts[1].indexes.size());
  db_->RollbackStep();
  EXPECT_TRUE(Facts({"fresh"}).empty());
}

TEST_F(CatalogFactsTest, PartitionsHaveTheirOwnForeignKeysOnce) {
  db_->ExecScript(
      "CREATE TABLE ptenants (id int PRIMARY KEY) PARTITION BY RANGE (id);"
      "CREATE TABLE ptenants_1 PARTITION OF ptenants FOR VALUES FROM (0) TO (10);"
      "CREATE TABLE ptenants_2 PARTITION OF ptenants FOR VALUES FROM (10) TO (20);"
      "CREATE TABLE events (tenant_id int NOT NULL REFERENCES ptenants "
      "ON DELETE CASCADE, at date) PARTITION BY RANGE (at);"
      "CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM "
      "('2026-01-01') TO ('2027-01-01');");
  const auto facts = Facts({"events", "events_2026"});
  ASSERT_EQ(2u, facts.size());
  EXPECT_TRUE(facts[0].partitioned);
  EXPECT_FALSE(facts[1].partitioned);
  for (const auto& t : facts) {
    ASSERT_EQ(1u, t.foreign_keys.size()) << t.name;
    EXPECT_EQ("ptenants", t.foreign_keys[0].ref_table) << t.name;
    EXPECT_EQ("CASCADE", t.foreign_keys[0].on_delete);
  }
}

TEST_F(CatalogFactsTest, AppRoleThatIsSuperuserBypassesRlsOrOwnsATable) {
  RoleFacts app = db_->ReadRoleFacts(app_.name());
  EXPECT_EQ(app_.name(), app.name);
  EXPECT_TRUE(app.exists);
  EXPECT_FALSE(app.superuser);
  EXPECT_FALSE(app.bypassrls);
  EXPECT_TRUE(app.member_of.empty());

  RoleFacts bypass = db_->ReadRoleFacts(bypass_.name());
  EXPECT_TRUE(bypass.bypassrls);
  EXPECT_FALSE(bypass.superuser);
  RoleFacts super = db_->ReadRoleFacts(super_.name());
  EXPECT_TRUE(super.superuser);
  // The attribute is only what the catalog says: a superuser bypasses row
  // security whatever rolbypassrls holds.
  EXPECT_FALSE(super.bypassrls) << "CREATE ROLE ... SUPERUSER";
  RoleFacts none = db_->ReadRoleFacts("retort_no_such_role");
  EXPECT_FALSE(none.exists);
  EXPECT_FALSE(none.superuser);

  // Membership, direct and through another role.
  db_->ExecScript("GRANT " + group_.name() + " TO " + app_.name() + "; GRANT " +
                  outer_.name() + " TO " + group_.name());
  app = db_->ReadRoleFacts(app_.name());
  Strings expected = {group_.name(), outer_.name()};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(expected, app.member_of);

  // Ownership shows as the owner; a superuser has every privilege.
  db_->ExecScript("ALTER TABLE loose OWNER TO " + group_.name());
  auto facts = Facts({"loose"});
  ASSERT_EQ(1u, facts.size());
  EXPECT_EQ(group_.name(), facts[0].owner);
  EXPECT_EQ((Strings{"SELECT", "INSERT", "UPDATE", "DELETE"}),
            facts[0].app_role_privileges)
      << "the owner's privileges come through membership";
  facts = Facts({"loose"}, super_.name());
  EXPECT_EQ(4u, facts[0].app_role_privileges.size());
  db_->ExecScript("REVOKE " + group_.name() + " FROM " + app_.name() +
                  "; REVOKE " + outer_.name() + " FROM " + group_.name() +
                  "; ALTER TABLE loose OWNER TO CURRENT_USER");
}

TEST_F(CatalogFactsTest, GateFactsAreTableAndRoleFactsInOneReadThatSurvivesDeallocate) {
  auto same = [](const std::vector<TableFacts>& x, const std::vector<TableFacts>& y) {
    ASSERT_EQ(x.size(), y.size());
    for (size_t i = 0; i < x.size(); ++i) {
      EXPECT_EQ(x[i].schema + "." + x[i].name, y[i].schema + "." + y[i].name);
      EXPECT_EQ(x[i].policies.size(), y[i].policies.size());
      EXPECT_EQ(x[i].indexes.size(), y[i].indexes.size());
      EXPECT_EQ(x[i].foreign_keys.size(), y[i].foreign_keys.size());
      EXPECT_EQ(x[i].app_role_privileges, y[i].app_role_privileges);
    }
  };
  GateFacts g = db_->ReadGateFacts({"public"}, {"docs", "loose"}, "tenant_id", app_.name());
  same(g.tables, Facts({"docs", "loose"}));
  ASSERT_EQ(2u, g.tables.size());
  EXPECT_EQ(2u, g.tables[0].policies.size());
  EXPECT_TRUE(g.role.exists);
  EXPECT_EQ(g.role.name, app_.name());
  // Every table of the schemas when no name is given.
  same(db_->ReadGateFacts({"public", "other"}, {}, "tenant_id", app_.name()).tables,
       db_->ReadTableFacts({"public", "other"}, {}, "tenant_id", app_.name()));
  // A script that drops every prepared statement inside a step: the facts
  // are prepared again and the step is not harmed.
  db_->BeginStep(0, 0);
  db_->ExecScript("CREATE TABLE in_step (tenant_id uuid NOT NULL); DEALLOCATE ALL");
  g = db_->ReadGateFacts({"public"}, {"in_step", "docs"}, "tenant_id", app_.name());
  ASSERT_EQ(2u, g.tables.size());
  EXPECT_EQ("in_step", g.tables[1].name);
  db_->ExecScript("DEALLOCATE ALL");
  EXPECT_FALSE(db_->SchemaFingerprintOf({"public"}, FingerprintScope{{{"", "in_step"}}, {}}).empty());
  db_->CommitStep();
  EXPECT_EQ("public.in_step", db_->ResolveTable("in_step")) << "the step committed";
}

TEST_F(CatalogFactsTest, PrefetchedFactsAreReadAfterTheStatementsAndDroppedByAnyOtherQuery) {
  const Strings names = {"fresh", "docs"};
  db_->BeginStep(0, 0);
  db_->PrefetchGateFacts({"public"}, names, "tenant_id", app_.name());
  StatementsOutcome ran = db_->ExecStatements({"CREATE TABLE fresh (tenant_id uuid NOT NULL)"});
  ASSERT_FALSE(ran.failed.has_value());
  // Read right after the statements: the new table is there, as a direct
  // read sees it.
  GateFacts g = db_->ReadGateFacts({"public"}, names, "tenant_id", app_.name());
  ASSERT_EQ(2u, g.tables.size());
  EXPECT_EQ("fresh", g.tables[1].name);
  EXPECT_FALSE(g.tables[1].rls_enabled);
  EXPECT_TRUE(g.role.exists);
  // A query sent after the read-ahead drops it: the next read is fresh.
  db_->PrefetchGateFacts({"public"}, names, "tenant_id", app_.name());
  ran = db_->ExecStatements({"ALTER TABLE fresh ADD COLUMN note text"});
  ASSERT_FALSE(ran.failed.has_value());
  db_->ExecScript("ALTER TABLE fresh ENABLE ROW LEVEL SECURITY");
  g = db_->ReadGateFacts({"public"}, names, "tenant_id", app_.name());
  ASSERT_EQ(2u, g.tables.size());
  EXPECT_TRUE(g.tables[1].rls_enabled);
  // Other arguments are a read of their own.
  db_->PrefetchGateFacts({"public"}, {"fresh"}, "tenant_id", app_.name());
  ran = db_->ExecStatements({"ALTER TABLE fresh FORCE ROW LEVEL SECURITY"});
  ASSERT_FALSE(ran.failed.has_value());
  EXPECT_EQ(2u, db_->ReadGateFacts({"public"}, names, "tenant_id", app_.name()).tables.size());
  // A script that drops the prepared statements: the read-ahead fails, the
  // step stays usable, and the read that follows prepares them again.
  db_->PrefetchGateFacts({"public"}, names, "tenant_id", app_.name());
  ran = db_->ExecStatements({"DEALLOCATE ALL", "ALTER TABLE fresh NO FORCE ROW LEVEL SECURITY"});
  ASSERT_FALSE(ran.failed.has_value());
  g = db_->ReadGateFacts({"public"}, names, "tenant_id", app_.name());
  ASSERT_EQ(2u, g.tables.size());
  EXPECT_FALSE(g.tables[1].rls_forced);
  // A failed statement: nothing is kept, the step has failed.
  db_->PrefetchGateFacts({"public"}, names, "tenant_id", app_.name());
  ran = db_->ExecStatements({"SELECT nope FROM fresh"});
  ASSERT_TRUE(ran.failed.has_value());
  db_->RollbackStep();
  EXPECT_EQ(1u, db_->ReadGateFacts({"public"}, names, "tenant_id", app_.name()).tables.size());
}

TEST_F(CatalogFactsTest, ResolvesNamesAlongTheSearchPath) {
  EXPECT_EQ("public.docs", db_->ResolveTable("docs"));
  EXPECT_EQ("other.docs", db_->ResolveTable("other.docs"));
  EXPECT_EQ("public.docs_view", db_->ResolveTable("docs_view"));
  EXPECT_EQ("", db_->ResolveTable("nope"));
  EXPECT_EQ("", db_->ResolveTable("nope.docs"));
  EXPECT_EQ("", db_->ResolveTable("DOCS")) << "no case folding";
  EXPECT_EQ("", db_->ResolveTable(""));
  db_->ExecScript("CREATE TABLE \"Mixed Case\" (a int)");
  EXPECT_EQ("public.Mixed Case", db_->ResolveTable("Mixed Case"));
  db_->ExecScript("SET search_path = other, public");
  EXPECT_EQ("other.docs", db_->ResolveTable("docs"));
  EXPECT_EQ("public.loose", db_->ResolveTable("loose"));
  auto facts = Facts({"docs"});
  ASSERT_EQ(1u, facts.size());
  EXPECT_EQ("other", facts[0].schema);
  // pg_catalog comes first unless the search_path names it.
  EXPECT_EQ("pg_catalog.pg_class", db_->ResolveTable("pg_class"));
}

}  // namespace
}  // namespace retort
