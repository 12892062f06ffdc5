// isolation-fixture-missing, statically, and the fixture lookup along the
// graph (nearest revision first, through down_revision and depends_on).
#include "retort/gate/fixtures.h"

#include <gtest/gtest.h>

#include "support/graph_builder.h"

namespace retort {
namespace {

using testing::Rev;

class FixturesTest : public ::testing::Test {
 protected:
  // a0aa <- b0bb <- c0cc
  FixturesTest() : map_({Rev("a0aa"), Rev("b0bb", {"a0aa"}), Rev("c0cc", {"b0bb"})}) {
    for (size_t i = 0; i < map_.size(); ++i) {
      Script s;
      s.revision = map_.node(static_cast<int>(i)).rev;
      s.shown_dir = "versions/" + s.revision.id;
      s.isolation_line = 4;
      s.sql_loaded = true;
      scripts_.push_back(s);
    }
  }
  Script& At(const std::string& id) { return scripts_[static_cast<size_t>(*map_.FindId(id))]; }
  std::vector<Finding> Check(const std::string& id) {
    return CheckFixturesStatically(map_, scripts_, *map_.FindId(id), tenancy_);
  }

  RevisionMap map_;
  std::vector<Script> scripts_;
  TenancyConfig tenancy_;
};

TEST_F(FixturesTest, NewTenantTableWithoutFixtureIsRefusedAtItsLine) {
  At("c0cc").upgrade_sql = "-- notes\nCREATE TABLE notes (id int,\n  tenant_id uuid NOT NULL);\n";
  std::vector<Finding> f = Check("c0cc");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].id, "isolation-fixture-missing");
  EXPECT_EQ(f[0].file, "versions/c0cc/upgrade.sql");
  EXPECT_EQ(f[0].line, 2);
  EXPECT_EQ(f[0].table, "public.notes");
}

TEST_F(FixturesTest, FixtureInTheRevisionOrAnAncestorSatisfiesIt) {
  At("c0cc").upgrade_sql = "CREATE TABLE notes (id int, tenant_id uuid NOT NULL);";
  At("a0aa").isolation["public.notes"] = "INSERT INTO notes VALUES (1, :tenant_id)";
  EXPECT_TRUE(Check("c0cc").empty());
  Fixture fx;
  ASSERT_TRUE(FindFixture(map_, scripts_, {*map_.FindId("c0cc")}, "public.notes", &fx));
  EXPECT_EQ(fx.revision, "a0aa");
  // The nearest one wins.
  At("b0bb").isolation["notes"] = "INSERT INTO notes VALUES (2, :tenant_id)";
  ASSERT_TRUE(FindFixture(map_, scripts_, {*map_.FindId("c0cc")}, "public.notes", &fx));
  EXPECT_EQ(fx.revision, "b0bb");
  EXPECT_EQ(fx.file, "versions/b0bb/migration.yaml");
  EXPECT_EQ(fx.line, 4);
  // A descendant's fixture does not count.
  EXPECT_FALSE(FindFixture(map_, scripts_, {*map_.FindId("a0aa")}, "other", &fx));
}

TEST_F(FixturesTest, AddingTheTenantColumnCountsGlobalAndOtherSchemasDoNot) {
  At("c0cc").upgrade_sql = "ALTER TABLE legacy ADD COLUMN tenant_id uuid;";
  ASSERT_EQ(Check("c0cc").size(), 1u);
  At("c0cc").upgrade_sql = "CREATE TABLE tenants (id uuid, tenant_id uuid);";  // a global table
  EXPECT_TRUE(Check("c0cc").empty());
  At("c0cc").upgrade_sql = "CREATE TABLE reporting.facts (tenant_id uuid);";  // not a managed schema
  EXPECT_TRUE(Check("c0cc").empty());
  At("c0cc").upgrade_sql = "CREATE TABLE facts (owner_id uuid);";  // no tenant column
  EXPECT_TRUE(Check("c0cc").empty());
  At("c0cc").upgrade_sql = "CREATE TABLE broken (";  // sql-syntax reports it
  EXPECT_TRUE(Check("c0cc").empty());
}

}  // namespace
}  // namespace retort
