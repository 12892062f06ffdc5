#include "retort/gate/static_gates.h"

#include <gtest/gtest.h>

#include "support/graph_builder.h"

namespace retort {
namespace {

using testing::Rev;

/// Ids of the findings for one revision with the given scripts.
std::vector<std::string> Ids(const std::string& up, const std::optional<std::string>& down,
                             bool transactional = true, bool merge = false) {
  std::vector<Revision> revs = {Rev("a0aa"), Rev("b0bb"), Rev("c0cc", merge ? std::vector<std::string>{"a0aa", "b0bb"}
                                                                             : std::vector<std::string>{"a0aa"})};
  RevisionMap map(revs);
  Script s;
  s.revision = map.node(2).rev;
  s.shown_dir = "versions/c0cc_x";
  s.upgrade_sql = up;
  s.has_downgrade = down.has_value();
  s.downgrade_sql = down.value_or("");
  s.transactional = transactional;
  s.sql_loaded = true;
  std::vector<std::string> ids;
  for (const Finding& f : CheckRevisionStatically(s, map.node(2))) ids.push_back(f.id);
  return ids;
}

using V = std::vector<std::string>;

TEST(StaticGatesTest, RealDowngradePasses) {
  EXPECT_EQ(V{}, Ids("CREATE TABLE t (id int);", "DROP INDEX IF EXISTS i;"));
}

TEST(StaticGatesTest, StubDowngrades) {
  EXPECT_EQ(V{"downgrade-missing"}, Ids("CREATE INDEX i ON t (a);", std::nullopt));
  EXPECT_EQ(V{"downgrade-stub"}, Ids("CREATE INDEX i ON t (a);", "-- TODO\n/* later */\n"));
  EXPECT_EQ(V{"downgrade-stub"}, Ids("CREATE INDEX i ON t (a);", "SELECT 1;"));
  EXPECT_EQ(V{"downgrade-stub"}, Ids("CREATE INDEX i ON t (a);", "DO $$ BEGIN END $$;"));
  EXPECT_EQ(V{"downgrade-stub"}, Ids("CREATE INDEX i ON t (a);", "DO $$ BEGIN RAISE NOTICE 'x'; END $$;"));
}

TEST(StaticGatesTest, EmptyMergeMayHaveEmptyDowngrade) {
  EXPECT_EQ(V{}, Ids("-- merge\n", "-- merge\n", true, /*merge=*/true));
  // ...but not a merge whose upgrade does something.
  EXPECT_EQ(V{"downgrade-stub"}, Ids("CREATE INDEX i ON t (a);", "-- nothing\n", true, true));
}

TEST(StaticGatesTest, WritesWithoutWhere) {
  EXPECT_EQ(V{"delete-without-where"}, Ids("DELETE FROM t;", "SELECT 1; DROP INDEX i;"));
  EXPECT_EQ(V{"delete-without-where"}, Ids("DELETE FROM t WHERE true;", "DROP INDEX i;"));
  EXPECT_EQ(V{"delete-without-where"}, Ids("WITH d AS (DELETE FROM t RETURNING 1) SELECT count(*) FROM d;",
                                           "DROP INDEX i;"));
  EXPECT_EQ(V{"update-without-where"}, Ids("UPDATE t SET a = 1 WHERE 1 = 1;", "DROP INDEX i;"));
  EXPECT_EQ(V{}, Ids("UPDATE t SET a = 1 WHERE id = 3;", "DROP INDEX i;"));
}

TEST(StaticGatesTest, TransactionControlAndConcurrently) {
  EXPECT_EQ((V{"transaction-control", "transaction-control"}),
            Ids("BEGIN; CREATE INDEX i ON t (a); COMMIT;", "DROP INDEX i;"));
  EXPECT_EQ(V{"non-transactional-in-transaction"}, Ids("CREATE INDEX CONCURRENTLY i ON t (a);", "DROP INDEX i;"));
  EXPECT_EQ(V{}, Ids("CREATE INDEX CONCURRENTLY i ON t (a);", "DROP INDEX CONCURRENTLY i;", false));
}

TEST(StaticGatesTest, SyntaxErrorAndDestructive) {
  EXPECT_EQ(V{"sql-syntax"}, Ids("CREATE TABLE (;", "DROP INDEX i;"));
  EXPECT_EQ(V{"destructive"}, Ids("CREATE TABLE t (id int);", "DROP TABLE t;"));
  EXPECT_EQ((V{"destructive", "destructive"}), Ids("TRUNCATE a, b;", "DROP INDEX i;"));
}

TEST(StaticGatesTest, FindingNamesFileAndLine) {
  std::vector<Revision> revs = {Rev("a0aa")};
  RevisionMap map(revs);
  Script s;
  s.revision = map.node(0).rev;
  s.shown_dir = "versions/a0aa_x";
  s.upgrade_sql = "CREATE TABLE t (id int);\n\nDELETE FROM t;\n";
  s.has_downgrade = true;
  s.downgrade_sql = "DROP TABLE t;\n";
  std::vector<Finding> f = CheckRevisionStatically(s, map.node(0));
  ASSERT_EQ(2u, f.size());
  EXPECT_EQ("versions/a0aa_x/upgrade.sql:3: error[delete-without-where]: DELETE on t has no WHERE clause, "
            "so it touches every row of every tenant",
            FormatFinding(f[0]));
  EXPECT_EQ("versions/a0aa_x/downgrade.sql:1: confirm[destructive]: DROP TABLE t removes data", FormatFinding(f[1]));
}

TEST(StaticGatesTest, SeveralHeadsWarn) {
  RevisionMap map({Rev("a0aa"), Rev("b1bb", {"a0aa"}), Rev("b2bb", {"a0aa"})});
  std::vector<Finding> f = CheckGraphStatically(map);
  ASSERT_EQ(1u, f.size());
  EXPECT_EQ("multiple-heads", f[0].id);
  EXPECT_EQ(Severity::kWarning, f[0].severity);
}

}  // namespace
}  // namespace retort
