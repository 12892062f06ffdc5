// What the catalog reads cost on a database with 2,000 tables. Prints the
// figures (also recorded as test properties); the bounds are loose, for a
// shared machine: they catch per-object round trips, not small regressions.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "retort/pg/pg_database.h"
#include "support/test_database.h"

namespace retort {
namespace {

using testing::ScratchDatabase;

constexpr int kTables = 2000;

/// Each table looks like a tenant-scoped application table: uuid key,
/// tenant FK with its index, a unique constraint, RLS and a policy.
const char kBuild[] = R"sql(
DO $$
BEGIN
  FOR i IN @FROM@..@TO@ LOOP
    EXECUTE format($f$
      CREATE TABLE t%1$s (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants ON DELETE CASCADE,
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, name));
      CREATE INDEX t%1$s_tenant ON t%1$s (tenant_id, created_at);
      ALTER TABLE t%1$s ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
      CREATE POLICY iso ON t%1$s USING
        (tenant_id = current_setting('app.current_tenant_id', true)::uuid);
    $f$, i);
  END LOOP;
END $$;
)sql";

class CatalogCostTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    scratch_ = new ScratchDatabase();
    PgDatabase db(scratch_->conninfo(), Config{});
    db.ExecScript(
        "CREATE TABLE tenants (id uuid PRIMARY KEY DEFAULT gen_random_uuid())");
    // In batches: one transaction's locks must fit the lock table.
    for (int from = 1; from <= kTables; from += 200) {
      std::string sql = kBuild;
      sql.replace(sql.find("@FROM@"), 6, std::to_string(from));
      sql.replace(sql.find("@TO@"), 4, std::to_string(from + 199));
      db.ExecScript(sql);
    }
    db.ExecScript("ANALYZE");
  }
  static void TearDownTestSuite() {
    delete scratch_;
    scratch_ = nullptr;
  }

  template <typename F>
  static double BestMs(int runs, F f) {
    double best = 1e18;
    for (int i = 0; i < runs; ++i) {
      const auto start = std::chrono::steady_clock::now();
      f();
      const std::chrono::duration<double, std::milli> ms =
          std::chrono::steady_clock::now() - start;
      best = std::min(best, ms.count());
    }
    return best;
  }

  static ScratchDatabase* scratch_;
};

ScratchDatabase* CatalogCostTest::scratch_ = nullptr;

TEST_F(CatalogCostTest, FingerprintOfTwoThousandTables) {
  PgDatabase db(scratch_->conninfo(), Config{});
  size_t lines = 0;
  const double outside = BestMs(3, [&] {
    lines = db.SchemaFingerprint({"public"}).size();
  });
  db.BeginStep(0, 0);
  const double inside = BestMs(3, [&] { db.SchemaFingerprint({"public"}); });
  db.RollbackStep();
  std::cout << "[cost] SchemaFingerprint, " << kTables << " tables, " << lines
            << " lines: " << outside << " ms (outside a step), " << inside
            << " ms (inside)\n";
  RecordProperty("fingerprint_ms", std::to_string(outside));
  // Per table: table, rls, 4 columns, 3 constraints, 3 indexes, policy, 2
  // grant lines.
  EXPECT_GE(lines, static_cast<size_t>(kTables) * 14);
  EXPECT_LT(outside, 10000.0);
}

TEST_F(CatalogCostTest, TableFactsForThreeTablesDoNotGrowWithTheDatabase) {
  const std::vector<std::string> three = {"public.t17", "t999", "public.t2000"};
  auto measure = [&](PgDatabase& db) {
    db.BeginStep(0, 0);
    std::vector<TableFacts> facts;
    const double ms = BestMs(5, [&] {
      facts = db.ReadTableFacts({"public"}, three, "tenant_id", "app_user");
    });
    db.RollbackStep();
    EXPECT_EQ(3u, facts.size());
    for (const auto& t : facts) {
      EXPECT_EQ(1u, t.policies.size());
      EXPECT_EQ(3u, t.indexes.size());
      EXPECT_EQ(1u, t.foreign_keys.size());
    }
    return ms;
  };
  PgDatabase big(scratch_->conninfo(), Config{});
  const double big_ms = measure(big);
  // The same three tables alone in a database.
  ScratchDatabase small_scratch;
  PgDatabase small(small_scratch.conninfo(), Config{});
  small.ExecScript(
      "CREATE TABLE tenants (id uuid PRIMARY KEY DEFAULT gen_random_uuid())");
  for (const char* n : {"17", "999", "2000"}) {
    std::string sql = kBuild;
    sql.replace(sql.find("@FROM@"), 6, n);
    sql.replace(sql.find("@TO@"), 4, n);
    small.ExecScript(sql);
  }
  const double small_ms = measure(small);
  std::cout << "[cost] ReadTableFacts, 3 tables: " << big_ms << " ms among "
            << kTables << " tables, " << small_ms << " ms alone\n";
  size_t all = 0;
  const double all_ms = BestMs(1, [&] {
    all = big.ReadTableFacts({"public"}, {}, "tenant_id", "app_user").size();
  });
  std::cout << "[cost] ReadTableFacts, every table (" << all << "): " << all_ms
            << " ms\n";
  RecordProperty("table_facts_ms", std::to_string(big_ms));
  EXPECT_LT(big_ms, 250.0);
}

}  // namespace
}  // namespace retort
