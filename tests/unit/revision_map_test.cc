#include "retort/revision/revision_map.h"

#include <gtest/gtest.h>

#include "retort/common/error.h"
#include "support/graph_builder.h"

namespace retort {
namespace {

using testing::Rev;

std::vector<std::string> Names(const RevisionMap& m, const std::vector<int>& nodes) {
  std::vector<std::string> out;
  for (int n : nodes) out.push_back(n >= 0 ? m.id(n) : (n == kNoRev ? "None" : "base"));
  return out;
}

std::string ErrorOf(std::vector<Revision> revs) {
  try {
    RevisionMap m(std::move(revs));
  } catch (const Error& e) {
    EXPECT_EQ(ExitCode::kInvalidProject, e.code());
    return e.what();
  }
  return "no error";
}

TEST(RevisionMapTest, LinearHeadsAndBases) {
  RevisionMap m({Rev("aaaa1"), Rev("bbbb2", {"aaaa1"}), Rev("cccc3", {"bbbb2"})});
  EXPECT_EQ(std::vector<std::string>{"cccc3"}, Names(m, m.heads()));
  EXPECT_EQ(std::vector<std::string>{"aaaa1"}, Names(m, m.bases()));
  EXPECT_FALSE(m.node(1).is_branch_point());
}

TEST(RevisionMapTest, BranchPointAndMergePoint) {
  RevisionMap m({Rev("a1aa"), Rev("b1bb", {"a1aa"}), Rev("b2bb", {"a1aa"}),
                 Rev("m1mm", {"b1bb", "b2bb"})});
  EXPECT_TRUE(m.node(0).is_branch_point());
  EXPECT_TRUE(m.node(3).is_merge_point());
  EXPECT_EQ(std::vector<std::string>{"m1mm"}, Names(m, m.heads()));
  EXPECT_EQ((std::vector<std::string>{"b1bb", "b2bb"}), Names(m, m.node(0).nextrev));
}

TEST(RevisionMapTest, DependsOnMakesEffectiveHead) {
  // core: aaaa1111 -> aaaa2222; ext: bbbb1111 depends on aaaa1111,
  // bbbb2222 depends on aaaa2222 (the alembic.md example).
  RevisionMap m({Rev("aaaa1111", {}, {}, {"core"}), Rev("aaaa2222", {"aaaa1111"}),
                 Rev("bbbb1111", {}, {"aaaa1111"}, {"ext"}), Rev("bbbb2222", {"bbbb1111"}, {"aaaa2222"})});
  EXPECT_EQ((std::vector<std::string>{"aaaa2222", "bbbb2222"}), Names(m, m.heads()));
  EXPECT_EQ(std::vector<std::string>{"bbbb2222"}, Names(m, m.real_heads()));
  EXPECT_TRUE(m.node(1).is_head());
  EXPECT_FALSE(m.node(1).is_real_head());
  // bbbb2222's dependency on aaaa2222 is not implied by an ancestor, so it stays.
  EXPECT_EQ(std::vector<std::string>{"aaaa2222"}, Names(m, m.node(3).normalized_deps));
  // Labels: core covers the core line, ext the ext line.
  EXPECT_TRUE(m.node(1).HasLabel("core"));
  EXPECT_TRUE(m.node(3).HasLabel("ext"));
  EXPECT_FALSE(m.node(3).HasLabel("core"));
}

TEST(RevisionMapTest, DependencyImpliedByAncestorIsNormalizedAway) {
  RevisionMap m({Rev("aaaa1111"), Rev("aaaa2222", {"aaaa1111"}), Rev("cccc1111", {}, {"aaaa1111"}),
                 Rev("cccc2222", {"cccc1111"}, {"aaaa1111"})});
  EXPECT_TRUE(m.node(3).normalized_deps.empty());
  EXPECT_EQ(std::vector<std::string>{"cccc1111"}, Names(m, m.node(3).normalized_down));
}

TEST(RevisionMapTest, BranchLabelPropagatesAlongUnbranchedLine) {
  RevisionMap m({Rev("a1aa"), Rev("b1bb", {"a1aa"}), Rev("c1cc", {"b1bb"}, {}, {"feature"}),
                 Rev("d1dd", {"c1cc"})});
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(m.node(i).HasLabel("feature")) << i;
}

TEST(RevisionMapTest, BranchLabelStopsAtBranchPoint) {
  RevisionMap m({Rev("a1aa"), Rev("b1bb", {"a1aa"}, {}, {"left"}), Rev("b2bb", {"a1aa"})});
  EXPECT_TRUE(m.node(1).HasLabel("left"));
  EXPECT_FALSE(m.node(0).HasLabel("left"));
  EXPECT_FALSE(m.node(2).HasLabel("left"));
}

TEST(RevisionMapTest, RejectsUnknownDownRevision) {
  EXPECT_EQ("revision b1bb: down_revision names 'zzzz', which is not a revision in this script directory",
            ErrorOf({Rev("a1aa"), Rev("b1bb", {"zzzz"})}));
}

TEST(RevisionMapTest, ErrorsNameFileAndLine) {
  Revision bad = Rev("b1bb", {"zzzz"});
  bad.source = "versions/b1bb_x/migration.yaml";
  bad.line = 1;
  bad.down_revision_line = 2;
  EXPECT_EQ("versions/b1bb_x/migration.yaml:2: down_revision names 'zzzz', which is not a revision in "
            "this script directory",
            ErrorOf({Rev("a1aa"), bad}));
}

TEST(RevisionMapTest, RejectsDuplicateId) {
  EXPECT_EQ("revision a1aa: revision id 'a1aa' is already used by another revision",
            ErrorOf({Rev("a1aa"), Rev("a1aa")}));
}

TEST(RevisionMapTest, RejectsUnknownDependsOn) {
  EXPECT_EQ("revision b1bb: depends_on names 'nope', which is neither a revision id nor a branch label",
            ErrorOf({Rev("a1aa"), Rev("b1bb", {"a1aa"}, {"nope"})}));
}

TEST(RevisionMapTest, RejectsBranchLabelUsedTwice) {
  EXPECT_EQ("revision b1bb: Branch name 'x' in revision b1bb already used by revision a1aa",
            ErrorOf({Rev("a1aa", {}, {}, {"x"}), Rev("b1bb", {"a1aa"}, {}, {"x"})}));
  EXPECT_EQ("revision b1bb: Branch name 'a1aa' in revision b1bb already used by revision a1aa",
            ErrorOf({Rev("a1aa"), Rev("b1bb", {"a1aa"}, {}, {"a1aa"})}));
}

TEST(RevisionMapTest, RejectsCycles) {
  EXPECT_EQ("revision a1aa: Cycle is detected in revisions (a1aa, b1bb, c1cc)",
            ErrorOf({Rev("a1aa", {"c1cc"}), Rev("b1bb", {"a1aa"}), Rev("c1cc", {"b1bb"})}));
  EXPECT_EQ("revision b1bb: Cycle is detected in revisions (b1bb, c1cc)",
            ErrorOf({Rev("a1aa"), Rev("b1bb", {"a1aa", "c1cc"}), Rev("c1cc", {"b1bb"}),
                     Rev("d1dd", {"a1aa"})}));
  EXPECT_EQ("revision a1aa: Self-loop is detected in revisions (a1aa)", ErrorOf({Rev("a1aa", {"a1aa"})}));
  EXPECT_EQ("revision a1aa: Dependency cycle is detected in revisions (a1aa, b1bb)",
            ErrorOf({Rev("a1aa", {}, {"b1bb"}), Rev("b1bb", {"a1aa"})}));
}

TEST(RevisionMapResolveTest, SymbolsPartialIdsAndLabels) {
  RevisionMap m({Rev("1a2b3c4d5e6f"), Rev("2b3c4d5e6f70", {"1a2b3c4d5e6f"}),
                 Rev("3c4d5e6f7081", {"2b3c4d5e6f70"}, {}, {"feature"}),
                 Rev("4d5e6f708192", {"2b3c4d5e6f70"})});
  EXPECT_EQ((std::vector<std::string>{"3c4d5e6f7081", "4d5e6f708192"}),
            Names(m, m.GetRevisions(std::optional<std::string>("heads"))));
  EXPECT_EQ(std::vector<std::string>{"3c4d5e6f7081"},
            Names(m, m.GetRevisions(std::optional<std::string>("feature@head"))));
  EXPECT_EQ(std::vector<std::string>{"2b3c4d5e6f70"},
            Names(m, m.GetRevisions(std::optional<std::string>("2b3c"))));
  EXPECT_TRUE(m.GetRevisions(std::optional<std::string>("base")).empty());
  EXPECT_EQ(std::vector<std::string>{"3c4d5e6f7081"},
            Names(m, m.GetRevisions(std::optional<std::string>("feature"))));
  try {
    m.GetRevision(std::string("head"));
    FAIL();
  } catch (const RevisionError& e) {
    EXPECT_EQ(RevisionError::Kind::kMultipleHeads, e.kind());
    EXPECT_EQ("Multiple head revisions are present for given argument 'head'; please specify a "
              "specific target revision, '<branchname>@head' to narrow to a specific head, or "
              "'heads' for all heads",
              FormatRevisionError(e));
  }
  try {
    m.GetRevision(std::string("zzzz"));
    FAIL();
  } catch (const RevisionError& e) {
    EXPECT_EQ("Can't locate revision identified by 'zzzz'", FormatRevisionError(e));
  }
  // Any prefix of an id longer than 3 characters matches (Alembic only
  // mentions "four characters" when nothing matches).
  EXPECT_EQ("2b3c4d5e6f70", m.id(m.GetRevision(std::string("2b"))));
  try {
    m.GetRevision(std::string("zz"));
    FAIL();
  } catch (const RevisionError& e) {
    EXPECT_EQ("No such revision or branch 'zz'; please ensure at least four characters are present "
              "for partial revision identifier matches",
              std::string(e.what()));
  }
}

TEST(RevisionMapResolveTest, WalkDownFromHeadsAndAmbiguousWalk) {
  RevisionMap m({Rev("a1aa"), Rev("b1bb", {"a1aa"}), Rev("c1cc", {"b1bb"})});
  EXPECT_EQ(std::vector<std::string>{"b1bb"}, Names(m, m.GetRevisions(std::optional<std::string>("-1"))));
  EXPECT_EQ(std::vector<std::string>{"base"}, Names(m, m.GetRevisions(std::optional<std::string>("-3"))));
  EXPECT_EQ(std::vector<std::string>{"None"}, Names(m, m.GetRevisions(std::optional<std::string>("-4"))));
  RevisionMap b({Rev("a1aa"), Rev("b1bb", {"a1aa"}), Rev("b2bb", {"a1aa"})});
  EXPECT_THROW(b.Walk(0, 1), RevisionError);  // two children: "Ambiguous walk"
}

}  // namespace
}  // namespace retort
