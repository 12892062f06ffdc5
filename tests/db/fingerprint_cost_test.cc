// What a schema fingerprint costs as the database grows: the full one
// (SchemaFingerprint) and a scoped one (SchemaFingerprintOf, what the round
// trip of a step needs) at 0, 200 and 2,000 extra tables, each with an
// index, a foreign key, forced RLS and a policy. Prints the figures (also
// recorded as test properties) and asserts only what does not depend on the
// machine: the texts. The old query (fingerprint_reference.h: parsed and
// planned at every call) is timed alongside for comparison.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "fingerprint_reference.h"
#include "retort/pg/pg_database.h"
#include "support/test_database.h"

namespace retort {
namespace {

using testing::ScratchDatabase;

/// The application's own objects, which the scope names.
const char kApp[] = R"sql(
CREATE TABLE tenants (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE items (
  id bigserial PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name text NOT NULL,
  feeling mood,
  UNIQUE (tenant_id, name));
CREATE INDEX items_tenant_idx ON items (tenant_id, id);
ALTER TABLE items ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY iso ON items
  USING (tenant_id = current_setting('app.current_tenant_id', true)::uuid);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.name := trim(NEW.name); RETURN NEW; END $$;
CREATE TRIGGER items_touch BEFORE INSERT OR UPDATE ON items
  FOR EACH ROW EXECUTE FUNCTION touch();
)sql";

const char kExtra[] = R"sql(
DO $$
BEGIN
  FOR i IN @FROM@..@TO@ LOOP
    EXECUTE format($f$
      CREATE TABLE x%1$s (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants ON DELETE CASCADE,
        name text NOT NULL);
      CREATE INDEX x%1$s_tenant ON x%1$s (tenant_id);
      ALTER TABLE x%1$s ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
      CREATE POLICY iso ON x%1$s USING
        (tenant_id = current_setting('app.current_tenant_id', true)::uuid);
    $f$, i);
  END LOOP;
END $$;
)sql";

template <typename F>
double BestMs(int runs, F f) {
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

std::string Fixed(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", ms);
  return buf;
}

/// The old way: the reference query parsed and planned at every call.
double ReferenceMs(const std::string& conninfo, int runs, size_t* lines) {
  pqxx::connection c(conninfo);
  std::string sql = testing::kReferenceFingerprintSql;
  sql.replace(sql.find("@SQLBODY@"), 9,
              c.server_version() >= 140000
                  ? "|| E'\\n' || COALESCE(pg_get_function_sqlbody(f.oid), '')"
                  : "");
  return BestMs(runs, [&] {
    pqxx::work tx(c);
    tx.exec0(
        "SET LOCAL jit = off; SET LOCAL search_path = pg_catalog; "
        "SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; "
        "SET LOCAL IntervalStyle = 'postgres'; "
        "SET LOCAL extra_float_digits = 1; SET LOCAL bytea_output = 'hex'");
    *lines = tx.exec_params(sql, "{public}", "{}").size();
    tx.abort();
  });
}

TEST(FingerprintCostTest, ScopedCostDoesNotGrowWithTheDatabase) {
  ScratchDatabase scratch;
  PgDatabase setup(scratch.conninfo(), Config{});
  setup.ExecScript(kApp);

  // What a step that creates items would name.
  FingerprintScope scope;
  scope.relations = {{"", "items"}};
  scope.others = {{"", "touch"}, {"", "mood"}};
  // The same with tenants, which every extra table references: its scan of
  // internal triggers and dependencies grows with those references (they
  // hang off tenants), not with the tables themselves.
  FingerprintScope with_tenants = scope;
  with_tenants.relations.push_back({"public", "tenants"});

  std::vector<std::string> scoped_at_zero;
  int built = 0;
  for (int extra : {0, 200, 2000}) {
    // In batches: one transaction's locks must fit the lock table.
    for (; built < extra; built += 200) {
      std::string sql = kExtra;
      sql.replace(sql.find("@FROM@"), 6, std::to_string(built + 1));
      sql.replace(sql.find("@TO@"), 4, std::to_string(built + 200));
      setup.ExecScript(sql);
    }
    setup.ExecScript("ANALYZE");

    // A fresh connection: the first call prepares and plans.
    PgDatabase db(scratch.conninfo(), Config{});
    db.BeginStep(0, 0);
    std::vector<std::string> full, scoped;
    const double full_first = BestMs(1, [&] { full = db.SchemaFingerprint({"public"}); });
    const double scoped_first =
        BestMs(1, [&] { scoped = db.SchemaFingerprintOf({"public"}, scope); });
    const double full_ms = BestMs(5, [&] { db.SchemaFingerprint({"public"}); });
    const double scoped_ms =
        BestMs(9, [&] { db.SchemaFingerprintOf({"public"}, scope); });
    size_t tenants_lines = 0;
    const double tenants_ms = BestMs(9, [&] {
      tenants_lines = db.SchemaFingerprintOf({"public"}, with_tenants).size();
    });
    db.RollbackStep();
    const double outside_ms = BestMs(3, [&] { db.SchemaFingerprint({"public"}); });
    size_t reference_lines = 0;
    const double reference_ms =
        ReferenceMs(scratch.conninfo(), 3, &reference_lines);

    std::cout << "[cost] " << extra << " extra tables: full " << full.size()
              << " lines " << Fixed(full_ms) << " ms in a step ("
              << Fixed(full_first) << " first call, " << Fixed(outside_ms)
              << " outside a step; old query " << Fixed(reference_ms)
              << " ms); scoped " << scoped.size() << " lines "
              << Fixed(scoped_ms) << " ms (" << Fixed(scoped_first)
              << " first call); scoped with tenants " << tenants_lines
              << " lines " << Fixed(tenants_ms) << " ms\n";
    const std::string at = std::to_string(extra);
    ::testing::Test::RecordProperty("full_ms_" + at, Fixed(full_ms));
    ::testing::Test::RecordProperty("scoped_ms_" + at, Fixed(scoped_ms));

    EXPECT_EQ(reference_lines, full.size());
    EXPECT_GE(full.size(), static_cast<size_t>(extra) * 9);
    if (extra == 0) {
      scoped_at_zero = scoped;
      EXPECT_GT(scoped.size(), 15u);
      EXPECT_GT(tenants_lines, scoped.size());
    } else {
      EXPECT_EQ(scoped_at_zero, scoped) << "the scope's text does not change";
    }
  }
}

}  // namespace
}  // namespace retort
