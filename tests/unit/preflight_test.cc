// The pure parts of the destructive pre-flight: --confirm parsing and
// matching against live counts (the counting itself is tested against a real
// PostgreSQL in tests/db/gates_test.cc).
#include <gtest/gtest.h>

#include "retort/common/error.h"
#include "retort/exec/preflight.h"
#include "retort/sql/named_parameter.h"

namespace retort {
namespace {

DestructiveTarget Target(std::string key, long long rows) {
  DestructiveTarget t;
  t.key = std::move(key);
  t.what = "DROP TABLE";
  t.rows = rows;
  t.file = "versions/a/downgrade.sql";
  t.line = 3;
  return t;
}

TEST(Preflight, ParsesConfirmItems) {
  auto parsed = ParseConfirm("public.users=42, public.users.email=0");
  ASSERT_EQ(parsed.size(), 2u);
  EXPECT_EQ(parsed["public.users"], 42);
  EXPECT_EQ(parsed["public.users.email"], 0);
}

TEST(Preflight, RefusesMalformedConfirm) {
  for (const char* bad : {"public.users", "public.users=", "=3", "t=-1", "t=4x", "t=1,t=1"}) {
    try {
      ParseConfirm(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kUsage) << bad;
    }
  }
}

TEST(Preflight, ConfirmArgumentRoundTrips) {
  std::vector<DestructiveTarget> targets{Target("public.users", 42), Target("public.t.c", 0)};
  const std::string arg = ConfirmArgument(targets);
  EXPECT_EQ(arg, "public.users=42,public.t.c=0");
  EXPECT_TRUE(ConfirmMismatches(targets, ParseConfirm(arg)).empty());
}

TEST(Preflight, MismatchesNameWhatChanged) {
  std::vector<DestructiveTarget> targets{Target("public.users", 42), Target("public.audit", 7)};
  auto m = ConfirmMismatches(targets, ParseConfirm("public.users=41,public.other=3"));
  ASSERT_EQ(m.size(), 3u);
  EXPECT_NE(m[0].find("public.users was confirmed at 41 rows but has 42"), std::string::npos) << m[0];
  EXPECT_NE(m[1].find("public.audit"), std::string::npos) << m[1];
  EXPECT_NE(m[1].find("not confirmed"), std::string::npos) << m[1];
  EXPECT_NE(m[2].find("public.other=3 names nothing"), std::string::npos) << m[2];
}

TEST(Preflight, DescribesZeroRowAndNotYetCreatedTargets) {
  DestructiveTarget t = Target("public.users", 0);
  EXPECT_EQ(DescribeTarget(t), "public.users (DROP TABLE, versions/a/downgrade.sql:3): 0 rows");
  t.exists = false;
  EXPECT_NE(DescribeTarget(t).find("created earlier in this run"), std::string::npos);
}

TEST(NamedParameter, BindsOnlyRealPlaceholders) {
  int n = 0;
  EXPECT_EQ(BindNamedParameter("INSERT INTO t (tenant_id, note) VALUES (:tenant_id, ':tenant_id')", "tenant_id", 1,
                               &n),
            "INSERT INTO t (tenant_id, note) VALUES ($1, ':tenant_id')");
  EXPECT_EQ(n, 1);
  // A cast is not a placeholder, nor is another name, nor a comment.
  EXPECT_EQ(BindNamedParameter("SELECT x::tenant_id, :tenant_idx /* :tenant_id */ , :tenant_id", "tenant_id", 1, &n),
            "SELECT x::tenant_id, :tenant_idx /* :tenant_id */ , $1");
  EXPECT_EQ(n, 1);
  EXPECT_EQ(BindNamedParameter("WITH p AS (INSERT INTO p (t) VALUES (:tenant_id) RETURNING id) "
                               "INSERT INTO c (t, p) SELECT :tenant_id, id FROM p",
                               "tenant_id", 1, &n),
            "WITH p AS (INSERT INTO p (t) VALUES ($1) RETURNING id) INSERT INTO c (t, p) SELECT $1, id FROM p");
  EXPECT_EQ(n, 2);
}

}  // namespace
}  // namespace retort
