#include "retort/plan/planner.h"

#include <gtest/gtest.h>

#include "retort/common/error.h"
#include "retort/output/offline_sql.h"
#include "support/graph_builder.h"

namespace retort {
namespace {

using testing::Rev;

/// "upgrade a -> b [UPDATE a->b]" per step: order and row changes together.
std::vector<std::string> Describe(const std::vector<PlannedStep>& steps) {
  std::vector<std::string> out;
  for (const PlannedStep& s : steps) {
    std::string d = ShortLog(s) + " [";
    for (size_t i = 0; i < s.changes.size(); ++i) {
      const VersionChange& c = s.changes[i];
      if (i) d += " ";
      switch (c.kind) {
        case VersionChange::Kind::kInsert: d += "INSERT " + c.to; break;
        case VersionChange::Kind::kDelete: d += "DELETE " + c.from; break;
        case VersionChange::Kind::kUpdate: d += "UPDATE " + c.from + "->" + c.to; break;
      }
    }
    out.push_back(d + "]");
  }
  return out;
}

std::string PlanError(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

class LinearTest : public ::testing::Test {
 protected:
  RevisionMap map{{Rev("aaaa"), Rev("bbbb", {"aaaa"}), Rev("cccc", {"bbbb"})}};
};

TEST_F(LinearTest, UpgradeFromBaseInsertsThenUpdates) {
  EXPECT_EQ((std::vector<std::string>{"upgrade  -> aaaa [INSERT aaaa]",
                                      "upgrade aaaa -> bbbb [UPDATE aaaa->bbbb]",
                                      "upgrade bbbb -> cccc [UPDATE bbbb->cccc]"}),
            Describe(PlanUpgrade(map, "head", {})));
}

TEST_F(LinearTest, RelativeTargets) {
  EXPECT_EQ(std::vector<std::string>{"upgrade aaaa -> bbbb [UPDATE aaaa->bbbb]"},
            Describe(PlanUpgrade(map, "+1", {"aaaa"})));
  EXPECT_EQ(std::vector<std::string>{"upgrade  -> aaaa [INSERT aaaa]"}, Describe(PlanUpgrade(map, "+1", {})));
  EXPECT_EQ(std::vector<std::string>{"downgrade cccc -> bbbb [UPDATE cccc->bbbb]"},
            Describe(PlanDowngrade(map, "-1", {"cccc"})));
  EXPECT_EQ((std::vector<std::string>{"downgrade cccc -> bbbb [UPDATE cccc->bbbb]",
                                      "downgrade bbbb -> aaaa [UPDATE bbbb->aaaa]",
                                      "downgrade aaaa ->  [DELETE aaaa]"}),
            Describe(PlanDowngrade(map, "base", {"cccc"})));
  EXPECT_EQ("Relative revision +5 didn't produce 5 migrations",
            PlanError([&] { PlanUpgrade(map, "+5", {"aaaa"}); }));
  EXPECT_EQ("Relative revision -1 didn't produce 1 migrations",
            PlanError([&] { PlanDowngrade(map, "-1", {}); }));
}

TEST_F(LinearTest, InvalidDestinations) {
  // Upgrading to an ancestor of the current head is a no-op, as in Alembic.
  EXPECT_TRUE(PlanUpgrade(map, "aaaa", {"cccc"}).empty());
  EXPECT_EQ("Destination cccc is not a valid downgrade target from current head(s)",
            PlanError([&] { PlanDowngrade(map, "cccc", {"aaaa"}); }));
  EXPECT_EQ("Can't locate revision identified by 'zzzz'", PlanError([&] { PlanUpgrade(map, "zzzz", {}); }));
}

class BranchTest : public ::testing::Test {
 protected:
  // a -> b1 (label feature), a -> b2, merge m of (b1, b2), then n.
  RevisionMap map{{Rev("a0aa"), Rev("b1bb", {"a0aa"}, {}, {"feature"}), Rev("b2bb", {"a0aa"}),
                   Rev("m0mm", {"b1bb", "b2bb"}), Rev("n0nn", {"m0mm"})}};
};

TEST_F(BranchTest, UpgradeAcrossBranchesAndMerge) {
  // Alembic's topological order takes the later-declared branch first (see
  // alembic.md's offline example) and the merge deletes all parents but the last.
  EXPECT_EQ((std::vector<std::string>{"upgrade  -> a0aa [INSERT a0aa]",
                                      "upgrade a0aa -> b2bb [UPDATE a0aa->b2bb]",
                                      "upgrade a0aa -> b1bb [INSERT b1bb]",
                                      "upgrade b1bb, b2bb -> m0mm [DELETE b1bb UPDATE b2bb->m0mm]",
                                      "upgrade m0mm -> n0nn [UPDATE m0mm->n0nn]"}),
            Describe(PlanUpgrade(map, "head", {})));
}

TEST_F(BranchTest, DowngradeUnmergesIntoBothBranches) {
  EXPECT_EQ((std::vector<std::string>{"downgrade n0nn -> m0mm [UPDATE n0nn->m0mm]",
                                      "downgrade m0mm -> b1bb, b2bb [INSERT b1bb UPDATE m0mm->b2bb]"}),
            Describe(PlanDowngrade(map, "b1bb", {"n0nn"})));
  // Walking down through a merge point is ambiguous.
  EXPECT_EQ("Ambiguous walk", PlanError([&] { PlanDowngrade(map, "-2", {"n0nn"}); }));
  EXPECT_EQ((std::vector<std::string>{"downgrade b1bb -> a0aa [DELETE b1bb]",
                                      "downgrade b2bb -> a0aa [UPDATE b2bb->a0aa]"}),
            Describe(PlanDowngrade(map, "a0aa", {"b1bb", "b2bb"})));
}

TEST_F(BranchTest, BranchQualifiedTargets) {
  EXPECT_EQ(std::vector<std::string>{"upgrade a0aa -> b1bb [UPDATE a0aa->b1bb]"},
            Describe(PlanUpgrade(map, "feature@+1", {"a0aa"})));
  EXPECT_EQ(std::vector<std::string>{"downgrade b1bb -> a0aa [DELETE b1bb]"},
            Describe(PlanDowngrade(map, "feature@-1", {"b1bb", "b2bb"})));
}

TEST_F(BranchTest, RefusesRelativeDowngradeFromSeveralHeads) {
  EXPECT_EQ("downgrade -1 from multiple heads (b1bb, b2bb) is ambiguous; name the branch, e.g. "
            "'b1bb@-1'",
            PlanError([&] { PlanDowngrade(map, "-1", {"b1bb", "b2bb"}); }));
}

TEST(MergeOfThreeTest, DeletesTwoUpdatesOne) {
  RevisionMap map({Rev("a0aa"), Rev("b1bb", {"a0aa"}), Rev("b2bb", {"a0aa"}), Rev("b3bb", {"a0aa"}),
                   Rev("m0mm", {"b1bb", "b2bb", "b3bb"})});
  EXPECT_EQ(std::vector<std::string>{"upgrade b1bb, b2bb, b3bb -> m0mm [DELETE b1bb DELETE b2bb UPDATE b3bb->m0mm]"},
            Describe(PlanUpgrade(map, "head", {"b1bb", "b2bb", "b3bb"})));
  EXPECT_EQ(std::vector<std::string>{"downgrade m0mm -> b1bb, b2bb, b3bb [INSERT b1bb INSERT b2bb UPDATE m0mm->b3bb]"},
            Describe(PlanDowngrade(map, "b1bb", {"m0mm"})));
}

TEST(DiamondTest, UpgradeAndDowngradeThroughBothSides) {
  RevisionMap map({Rev("a0aa"), Rev("l0ll", {"a0aa"}), Rev("r0rr", {"a0aa"}), Rev("z0zz", {"l0ll", "r0rr"})});
  EXPECT_EQ((std::vector<std::string>{"upgrade a0aa -> r0rr [UPDATE a0aa->r0rr]",
                                      "upgrade a0aa -> l0ll [INSERT l0ll]",
                                      "upgrade l0ll, r0rr -> z0zz [DELETE l0ll UPDATE r0rr->z0zz]"}),
            Describe(PlanUpgrade(map, "head", {"a0aa"})));
  EXPECT_EQ(4u, PlanDowngrade(map, "base", {"z0zz"}).size());
}

TEST(SeveralBasesTest, RefusesRelativeTargetThatReachesBaseAcrossRoots) {
  RevisionMap map({Rev("a0aa"), Rev("a1aa", {"a0aa"}), Rev("b0bb"), Rev("b1bb", {"b0bb"})});
  EXPECT_EQ((std::vector<std::string>{"upgrade  -> b0bb [INSERT b0bb]",
                                      "upgrade b0bb -> b1bb [UPDATE b0bb->b1bb]",
                                      "upgrade  -> a0aa [INSERT a0aa]",
                                      "upgrade a0aa -> a1aa [UPDATE a0aa->a1aa]"}),
            Describe(PlanUpgrade(map, "heads", {})));
  // Alembic would wind back both roots here (alembic.md "gotchas", 1).
  std::string err = PlanError([&] { PlanDowngrade(map, "a0aa-1", {"a1aa", "b1bb"}); });
  EXPECT_NE(std::string::npos, err.find("resolves to base")) << err;
  EXPECT_NE(std::string::npos, err.find("unrelated roots (a0aa, b0bb)")) << err;
  // Naming the branch is fine.
  EXPECT_EQ((std::vector<std::string>{"downgrade a1aa -> a0aa [UPDATE a1aa->a0aa]",
                                      "downgrade a0aa ->  [DELETE a0aa]"}),
            Describe(PlanDowngrade(map, "a1aa@base", {"a1aa", "b1bb"})));
}

TEST(DependsOnTest, UpgradingDependentBranchPullsInDependency) {
  RevisionMap map({Rev("aaaa1111", {}, {}, {"core"}), Rev("aaaa2222", {"aaaa1111"}),
                   Rev("bbbb1111", {}, {"aaaa1111"}, {"ext"}), Rev("bbbb2222", {"bbbb1111"}, {"aaaa2222"})});
  // alembic.md: `upgrade ext@head` runs core two (after core base), ext base, ext two;
  // one row remains because the dependency is implied.
  std::vector<PlannedStep> steps = PlanUpgrade(map, "ext@head", {});
  EXPECT_EQ((std::vector<std::string>{"upgrade  -> aaaa1111 [INSERT aaaa1111]",
                                      "upgrade aaaa1111 -> aaaa2222 [UPDATE aaaa1111->aaaa2222]",
                                      "upgrade  -> bbbb1111 [INSERT bbbb1111]",
                                      "upgrade bbbb1111 -> bbbb2222 [DELETE bbbb1111 UPDATE aaaa2222->bbbb2222]"}),
            Describe(steps));
  EXPECT_EQ(std::vector<std::string>{"bbbb2222"}, steps.back().heads_after);
}

TEST(StampTest, StampUpDownAndNewBranch) {
  RevisionMap map({Rev("aaaa"), Rev("bbbb", {"aaaa"}), Rev("xxxx")});
  EXPECT_EQ(std::vector<std::string>{"stamp_revision aaaa -> bbbb [UPDATE aaaa->bbbb]"},
            Describe(PlanStamp(map, {"bbbb"}, {"aaaa"})));
  EXPECT_EQ(std::vector<std::string>{"stamp_revision  -> xxxx [INSERT xxxx]"},
            Describe(PlanStamp(map, {"xxxx"}, {"aaaa"})));
  EXPECT_EQ(std::vector<std::string>{"stamp_revision bbbb ->  [DELETE bbbb]"},
            Describe(PlanStamp(map, {"base"}, {"bbbb"})));
}

TEST(OfflineSqlTest, AlembicTransactionPerMigrationFormat) {
  RevisionMap map({Rev("1a2b3c4d5e6f"), Rev("2b3c4d5e6f70", {"1a2b3c4d5e6f"})});
  std::vector<PlannedStep> steps = PlanUpgrade(map, "2b3c", {});
  VersionTableRef table{"retort_version", std::string("meta")};
  std::string sql = RenderOfflineSql(steps, table, {}, [](const PlannedStep& s) {
    return std::vector<std::string>{s.revision == "1a2b3c4d5e6f"
                                        ? "CREATE TABLE account (id serial PRIMARY KEY, name text NOT NULL)"
                                        : "ALTER TABLE account ADD COLUMN tenant_id int"};
  });
  // Verbatim from alembic.md §2.3 (transaction_per_migration=True, schema meta).
  EXPECT_EQ(
      "BEGIN;\n\n"
      "CREATE TABLE meta.retort_version (\n    version_num VARCHAR(32) NOT NULL, \n"
      "    CONSTRAINT retort_version_pkc PRIMARY KEY (version_num)\n);\n\n"
      "-- Running upgrade  -> 1a2b3c4d5e6f\n\n"
      "CREATE TABLE account (id serial PRIMARY KEY, name text NOT NULL);\n\n"
      "INSERT INTO meta.retort_version (version_num) VALUES ('1a2b3c4d5e6f') RETURNING "
      "meta.retort_version.version_num;\n\n"
      "COMMIT;\n\n"
      "BEGIN;\n\n"
      "-- Running upgrade 1a2b3c4d5e6f -> 2b3c4d5e6f70\n\n"
      "ALTER TABLE account ADD COLUMN tenant_id int;\n\n"
      "UPDATE meta.retort_version SET version_num='2b3c4d5e6f70' WHERE "
      "meta.retort_version.version_num = '1a2b3c4d5e6f';\n\n"
      "COMMIT;\n\n",
      sql);
}

}  // namespace
}  // namespace retort
