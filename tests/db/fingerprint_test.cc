// PgDatabase::SchemaFingerprint against a real server.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "fingerprint_reference.h"
#include "retort/pg/pg_database.h"
#include "support/test_database.h"

namespace retort {
namespace {

using testing::kReferenceFingerprintSql;
using testing::ScratchDatabase;
using testing::TestRole;

using Lines = std::vector<std::string>;

/// Lines of `a` not in `b` (both sorted).
Lines Minus(const Lines& a, const Lines& b) {
  Lines out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(),
                      std::back_inserter(out));
  return out;
}

std::string Dump(const Lines& lines) {
  std::string out;
  for (const auto& l : lines) out += "  " + l + "\n";
  return out;
}

std::string Replace(std::string text, const std::string& from,
                    const std::string& to) {
  for (size_t p = 0; (p = text.find(from, p)) != std::string::npos;
       p += to.size()) {
    text.replace(p, from.size(), to);
  }
  return text;
}

// Every kind of object, in one order...
const char kSchemaA[] = R"sql(
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN positive AS integer NOT NULL CHECK (VALUE > 0);
CREATE TYPE pair AS (a integer, b text);
CREATE TABLE tenants (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL);
CREATE TABLE items (
  id bigserial PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name text NOT NULL,
  qty positive DEFAULT 1,
  feeling mood,
  code integer GENERATED ALWAYS AS IDENTITY,
  twice integer GENERATED ALWAYS AS (qty * 2) STORED,
  CONSTRAINT items_name_check CHECK (length(name) < 100),
  UNIQUE (tenant_id, name)
);
CREATE INDEX items_tenant_idx ON items (tenant_id, id) WHERE qty > 1;
ALTER TABLE items ENABLE ROW LEVEL SECURITY;
ALTER TABLE items FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON items TO @ROLE@, pg_monitor
  USING (tenant_id = current_setting('app.current_tenant_id', true)::uuid)
  WITH CHECK (tenant_id = current_setting('app.current_tenant_id', true)::uuid);
CREATE POLICY no_sad ON items AS RESTRICTIVE FOR UPDATE USING (feeling <> 'sad');
GRANT SELECT, INSERT ON items TO @ROLE@;
GRANT UPDATE (name) ON items TO @ROLE@;
CREATE SEQUENCE counter AS integer INCREMENT 5 START 10 CYCLE;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.name := trim(NEW.name);
  RETURN NEW;
END $$;
CREATE TRIGGER items_touch BEFORE INSERT OR UPDATE ON items
  FOR EACH ROW EXECUTE FUNCTION touch();
CREATE FUNCTION add(a integer, b integer DEFAULT 1) RETURNS integer
  LANGUAGE sql IMMUTABLE STRICT RETURN a + b;
CREATE PROCEDURE noop() LANGUAGE sql AS $$ SELECT 1 $$;
CREATE VIEW item_names AS SELECT id, name FROM items WHERE qty > 1;
CREATE MATERIALIZED VIEW item_count AS SELECT count(*) AS n FROM items;
CREATE TABLE events (at timestamptz NOT NULL, what text) PARTITION BY RANGE (at);
CREATE TABLE events_2026 PARTITION OF events
  FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
COMMENT ON TABLE items IS 'things';
)sql";

// ...and the same objects in another: columns added later, constraints and
// grants before the objects they could have come with, policies reversed.
const char kSchemaB[] = R"sql(
CREATE SEQUENCE counter AS integer INCREMENT 5 START 10 CYCLE;
CREATE TABLE events (at timestamptz NOT NULL, what text) PARTITION BY RANGE (at);
CREATE TYPE pair AS (a integer, b text);
CREATE DOMAIN positive AS integer NOT NULL CHECK (VALUE > 0);
CREATE TYPE mood AS ENUM ('sad', 'happy');
ALTER TYPE mood ADD VALUE 'ok' BEFORE 'happy';
CREATE PROCEDURE noop() LANGUAGE sql AS $$ SELECT 1 $$;
CREATE TABLE tenants (name text NOT NULL);
ALTER TABLE tenants ADD COLUMN id uuid DEFAULT gen_random_uuid();
ALTER TABLE tenants ADD PRIMARY KEY (id);
CREATE FUNCTION add(a integer, b integer DEFAULT 1) RETURNS integer
  LANGUAGE sql IMMUTABLE STRICT RETURN a + b;
CREATE TABLE items (name text NOT NULL, id bigserial PRIMARY KEY);
ALTER TABLE items ADD COLUMN feeling mood;
ALTER TABLE items ADD COLUMN tenant_id uuid NOT NULL;
ALTER TABLE items ADD COLUMN qty positive DEFAULT 1;
ALTER TABLE items ADD COLUMN twice integer GENERATED ALWAYS AS (qty * 2) STORED;
ALTER TABLE items ADD COLUMN code integer GENERATED ALWAYS AS IDENTITY;
ALTER TABLE items ADD CONSTRAINT items_tenant_id_name_key UNIQUE (tenant_id, name);
ALTER TABLE items ADD CONSTRAINT items_name_check CHECK (length(name) < 100);
ALTER TABLE items ADD CONSTRAINT items_tenant_id_fkey
  FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE;
GRANT UPDATE (name) ON items TO @ROLE@;
GRANT INSERT ON items TO @ROLE@;
GRANT SELECT ON items TO @ROLE@;
CREATE POLICY no_sad ON items AS RESTRICTIVE FOR UPDATE USING (feeling <> 'sad');
CREATE POLICY tenant_isolation ON items TO pg_monitor, @ROLE@
  USING (tenant_id = current_setting('app.current_tenant_id', true)::uuid)
  WITH CHECK (tenant_id = current_setting('app.current_tenant_id', true)::uuid);
ALTER TABLE items FORCE ROW LEVEL SECURITY;
ALTER TABLE items ENABLE ROW LEVEL SECURITY;
CREATE TABLE events_2026 PARTITION OF events
  FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE MATERIALIZED VIEW item_count AS SELECT count(*) AS n FROM items;
CREATE VIEW item_names AS SELECT id, name FROM items WHERE qty > 1;
CREATE INDEX items_tenant_idx ON items (tenant_id, id) WHERE qty > 1;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.name := trim(NEW.name);
  RETURN NEW;
END $$;
CREATE TRIGGER items_touch BEFORE INSERT OR UPDATE ON items
  FOR EACH ROW EXECUTE FUNCTION touch();
)sql";

class FingerprintTest : public ::testing::Test {
 protected:
  FingerprintTest() : role_("retort_fp_app"), db_(Open(scratch_)) {}

  static std::unique_ptr<PgDatabase> Open(const ScratchDatabase& s) {
    return std::make_unique<PgDatabase>(s.conninfo(), Config{});
  }
  std::string WithRole(const char* sql) const {
    return Replace(sql, "@ROLE@", "\"" + role_.name() + "\"");
  }
  Lines Fingerprint() { return db_->SchemaFingerprint({"public"}); }

  /// Lines removed and added by `change`, run in a step that is rolled back.
  std::pair<Lines, Lines> Diff(const std::string& change) {
    const Lines before = Fingerprint();
    db_->BeginStep(0, 0);
    db_->ExecScript(change);
    const Lines after = Fingerprint();
    db_->RollbackStep();
    EXPECT_EQ(before, Fingerprint()) << "the rollback restores everything";
    return {Minus(before, after), Minus(after, before)};
  }

  TestRole role_;
  ScratchDatabase scratch_;
  std::unique_ptr<PgDatabase> db_;
};

TEST_F(FingerprintTest, EqualSchemasBuiltInDifferentOrdersGiveEqualText) {
  ScratchDatabase other;
  auto db_b = Open(other);
  db_->ExecScript(WithRole(kSchemaA));
  db_b->ExecScript(WithRole(kSchemaB));
  const Lines a = Fingerprint();
  const Lines b = db_b->SchemaFingerprint({"public"});
  EXPECT_EQ(a, b) << "only in A:\n"
                  << Dump(Minus(a, b)) << "only in B:\n"
                  << Dump(Minus(b, a));
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  // Every kind is there, OID-free, one object per line.
  const std::string role = role_.name();  // quote_ident leaves it bare
  const std::string me = db_->CurrentUser();
  for (const std::string& expected : {
           std::string("column public.items.qty public.positive DEFAULT 1"),
           std::string("column public.items.code integer NOT NULL GENERATED "
                       "ALWAYS AS IDENTITY"),
           std::string("column public.items.twice integer GENERATED ALWAYS "
                       "AS (((qty)::integer * 2)) STORED"),
           std::string("column public.items.id bigint NOT NULL DEFAULT "
                       "nextval('public.items_id_seq'::regclass)"),
           std::string("constraint public.items.items_tenant_id_fkey FOREIGN "
                       "KEY (tenant_id) REFERENCES public.tenants(id) ON "
                       "DELETE CASCADE"),
           std::string("constraint public.positive.positive_check CHECK "
                       "((VALUE > 0))"),
           std::string("index public.items_tenant_idx CREATE INDEX "
                       "items_tenant_idx ON public.items USING btree "
                       "(tenant_id, id) WHERE ((qty)::integer > 1)"),
           std::string("rls public.items enabled forced"),
           std::string("rls public.tenants disabled not-forced"),
           std::string("policy public.items.no_sad AS RESTRICTIVE FOR UPDATE "
                       "TO PUBLIC USING ((feeling <> 'sad'::public.mood))"),
           "policy public.items.tenant_isolation AS PERMISSIVE FOR ALL TO "
           "pg_monitor, " + role + " USING ((tenant_id = (current_setting("
           "'app.current_tenant_id'::text, true))::uuid)) WITH CHECK "
           "((tenant_id = (current_setting('app.current_tenant_id'::text, "
           "true))::uuid))",
           "grant public.items " + role + " INSERT,SELECT",
           "grant public.items.name " + role + " UPDATE",
           "sequence public.counter owner=" + me + " AS integer "
                       "INCREMENT 5 MINVALUE 1 MAXVALUE 2147483647 START 10 "
                       "CACHE 1 CYCLE",
           std::string("sequence public.items_id_seq owner=" + me + " AS bigint "
                       "INCREMENT 1 MINVALUE 1 MAXVALUE 9223372036854775807 "
                       "START 1 CACHE 1 NO CYCLE OWNED BY public.items.id"),
           std::string("type public.mood ENUM ('sad', 'ok', 'happy')"),
           std::string("type public.positive DOMAIN integer NOT NULL"),
           std::string("type public.pair COMPOSITE"),
           std::string("attribute public.pair.b text position=2"),
           std::string("partitioned-table public.events owner=" + me + " "
                       "PARTITION BY RANGE (at)"),
           std::string("table public.events_2026 owner=" + me + " PARTITION OF "
                       "public.events FOR VALUES FROM ('2026-01-01 "
                       "00:00:00+00') TO ('2027-01-01 00:00:00+00')"),
           std::string("trigger public.items.items_touch CREATE TRIGGER "
                       "items_touch BEFORE INSERT OR UPDATE ON public.items "
                       "FOR EACH ROW EXECUTE FUNCTION public.touch()"),
           std::string("rls public.events disabled not-forced"),
       }) {
    EXPECT_NE(a.end(), std::find(a.begin(), a.end(), expected))
        << "missing: " << expected << "\nin:\n"
        << Dump(a);
  }
  auto starts = [&](const std::string& prefix) {
    return std::count_if(a.begin(), a.end(), [&](const std::string& l) {
      return l.compare(0, prefix.size(), prefix) == 0;
    });
  };
  EXPECT_EQ(1, starts("view public.item_names owner=" + me + " AS  SELECT"));
  EXPECT_EQ(1, starts("matview public.item_count owner=" + me + " AS  SELECT"));
  EXPECT_EQ(1, starts("function public.touch() RETURNS trigger LANGUAGE "
                      "plpgsql VOLATILE COST 100 owner=" + me + " body-sha256="));
  EXPECT_EQ(1, starts("function public.add(a integer, b integer) RETURNS "
                      "integer ARGUMENTS (a integer, b integer DEFAULT 1) "
                      "LANGUAGE sql IMMUTABLE STRICT COST 100"));
  EXPECT_EQ(1, starts("procedure public.noop() LANGUAGE sql VOLATILE"));
  EXPECT_EQ(1, starts("grant public.touch() PUBLIC EXECUTE"));
  for (const auto& line : a) {
    EXPECT_EQ(std::string::npos, line.find('\n')) << line;
  }
}

TEST_F(FingerprintTest, DifferentFunctionBodiesDiffer) {
  db_->ExecScript(
      "CREATE FUNCTION f() RETURNS int LANGUAGE sql RETURN 1;"
      "CREATE FUNCTION g() RETURNS int LANGUAGE sql AS 'SELECT 1'");
  auto d = Diff("CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql "
                "RETURN 2");
  ASSERT_EQ(1u, d.first.size()) << Dump(d.first);
  ASSERT_EQ(1u, d.second.size()) << Dump(d.second);
  EXPECT_EQ(0u, d.second[0].find("function public.f() RETURNS integer"));
  d = Diff("CREATE OR REPLACE FUNCTION g() RETURNS int LANGUAGE sql AS "
           "'SELECT 2'");
  ASSERT_EQ(1u, d.second.size()) << Dump(d.second);
  EXPECT_EQ(0u, d.second[0].find("function public.g() RETURNS integer"));
  d = Diff("ALTER FUNCTION g() SECURITY DEFINER SET search_path = pg_catalog");
  ASSERT_EQ(1u, d.second.size()) << Dump(d.second);
  EXPECT_NE(std::string::npos, d.second[0].find(" SECURITY DEFINER "))
      << d.second[0];
  EXPECT_NE(std::string::npos, d.second[0].find(" SET search_path=pg_catalog"))
      << d.second[0];
}

TEST_F(FingerprintTest, EachChangeChangesExactlyTheExpectedLines) {
  db_->ExecScript(
      "CREATE TABLE items (id int PRIMARY KEY, tenant_id uuid, name text, "
      "qty int NOT NULL DEFAULT 1);"
      "CREATE POLICY p ON items USING (tenant_id IS NOT NULL)");
  const std::string role = role_.name();
  struct Case {
    std::string change;
    Lines removed, added;
  };
  const std::vector<Case> cases = {
      {"ALTER TABLE items ADD COLUMN note text", {},
       {"column public.items.note text"}},
      {"ALTER TABLE items ALTER COLUMN qty SET DEFAULT 2",
       {"column public.items.qty integer NOT NULL DEFAULT 1"},
       {"column public.items.qty integer NOT NULL DEFAULT 2"}},
      {"ALTER TABLE items ALTER COLUMN name SET NOT NULL",
       {"column public.items.name text"},
       {"column public.items.name text NOT NULL"}},
      {"ALTER TABLE items ALTER COLUMN qty TYPE bigint",
       {"column public.items.qty integer NOT NULL DEFAULT 1"},
       {"column public.items.qty bigint NOT NULL DEFAULT 1"}},
      {"CREATE INDEX items_tenant_idx ON items (tenant_id)", {},
       {"index public.items_tenant_idx CREATE INDEX items_tenant_idx ON "
        "public.items USING btree (tenant_id)"}},
      {"DROP POLICY p ON items",
       {"policy public.items.p AS PERMISSIVE FOR ALL TO PUBLIC USING "
        "((tenant_id IS NOT NULL))"},
       {}},
      {"ALTER POLICY p ON items USING (tenant_id = "
       "current_setting('app.tenant', true)::uuid)",
       {"policy public.items.p AS PERMISSIVE FOR ALL TO PUBLIC USING "
        "((tenant_id IS NOT NULL))"},
       {"policy public.items.p AS PERMISSIVE FOR ALL TO PUBLIC USING "
        "((tenant_id = (current_setting('app.tenant'::text, true))::uuid))"}},
      {"ALTER TABLE items ENABLE ROW LEVEL SECURITY",
       {"rls public.items disabled not-forced"},
       {"rls public.items enabled not-forced"}},
      {"ALTER TABLE items FORCE ROW LEVEL SECURITY",
       {"rls public.items disabled not-forced"},
       {"rls public.items disabled forced"}},
      {"GRANT SELECT, UPDATE ON items TO " + role, {},
       {"grant public.items " + role + " SELECT,UPDATE"}},
      {"ALTER TABLE items ADD CONSTRAINT qty_positive CHECK (qty > 0)", {},
       {"constraint public.items.qty_positive CHECK ((qty > 0))"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.change);
    const auto d = Diff(c.change);
    EXPECT_EQ(c.removed, d.first) << Dump(d.first);
    EXPECT_EQ(c.added, d.second) << Dump(d.second);
  }
}

TEST_F(FingerprintTest, NoOidsLeakAndRetortsOwnTablesAreLeftOut) {
  const std::string create =
      "CREATE TABLE parent (id serial PRIMARY KEY);"
      "CREATE TABLE child (id bigint GENERATED BY DEFAULT AS IDENTITY, "
      "parent_id int REFERENCES parent, body text DEFAULT 'x'::text);"
      "CREATE INDEX ON child (parent_id);"
      "ALTER TABLE child ENABLE ROW LEVEL SECURITY;"
      "CREATE POLICY p ON child USING (parent_id > 0);"
      "CREATE VIEW v AS SELECT c.id, p.id AS pid FROM child c JOIN parent p "
      "ON p.id = c.parent_id;"
      "CREATE FUNCTION child_count() RETURNS bigint LANGUAGE sql STABLE AS "
      "'SELECT count(*) FROM public.child'";
  db_->ExecScript(create);
  const Lines first = Fingerprint();
  db_->ExecScript(
      "DROP VIEW v; DROP FUNCTION child_count(); DROP TABLE child, parent;");
  // Other objects take the old OIDs' places in between.
  db_->ExecScript("CREATE TABLE filler (a int); CREATE TABLE filler2 (b int)");
  db_->ExecScript(create);
  db_->ExecScript("DROP TABLE filler, filler2");
  EXPECT_EQ(first, Fingerprint()) << Dump(Minus(first, Fingerprint()));

  db_->EnsureVersionTable();
  db_->EnsureHistoryTable();
  const Lines with_own = Fingerprint();
  EXPECT_EQ(first, with_own) << Dump(Minus(with_own, first));
}

TEST_F(FingerprintTest, IndexLinesAreExactlyPgGetIndexdef) {
  db_->ExecScript(R"sql(
    CREATE TABLE ix (a int, b text, c varchar(10), d int[], "Weird Col" int,
                     e text COLLATE "C", f tsvector, g int);
    CREATE INDEX ix1 ON ix (a) INCLUDE (b, "Weird Col");
    CREATE UNIQUE INDEX ix2 ON ix (a, b) NULLS NOT DISTINCT
      WHERE a > 5 AND b <> 'x';
    CREATE INDEX ix3 ON ix (c);
    CREATE INDEX ix4 ON ix USING gin (d);
    CREATE INDEX ix5 ON ix (lower(b));
    CREATE INDEX ix6 ON ix (a DESC);
    CREATE INDEX ix7 ON ix (b COLLATE "C");
    CREATE INDEX ix8 ON ix (e);
    CREATE INDEX ix9 ON ix USING gin (f);
    CREATE INDEX ix10 ON ix (a) WITH (fillfactor = 70);
    CREATE INDEX "Ix 11" ON ix USING hash ("Weird Col");
    CREATE INDEX ix12 ON ix (b text_pattern_ops);
    CREATE INDEX ix13 ON ix USING brin (g);
    CREATE INDEX ix14 ON ix (a, b, g);
    CREATE TABLE px (a int, b int) PARTITION BY LIST (a);
    CREATE TABLE px1 PARTITION OF px FOR VALUES IN (1);
    CREATE INDEX px_b ON px (b);
  )sql");
  Lines expected;
  {
    pqxx::connection c(scratch_.conninfo());
    pqxx::work tx(c);
    tx.exec0("SET LOCAL search_path = pg_catalog");
    for (const auto& row : tx.exec(
             "SELECT 'index public.' || quote_ident(c.relname) || ' ' || "
             "pg_get_indexdef(c.oid) FROM pg_class c WHERE c.relkind IN "
             "('i', 'I') AND c.relnamespace = 'public'::regnamespace")) {
      expected.push_back(row[0].c_str());
    }
  }
  ASSERT_EQ(16u, expected.size());
  std::sort(expected.begin(), expected.end());
  Lines got;
  for (const auto& line : Fingerprint()) {
    if (line.compare(0, 6, "index ") == 0) got.push_back(line);
  }
  EXPECT_EQ(expected, got);
}

TEST_F(FingerprintTest, ExtensionsAreOneLineWithoutTheirObjects) {
  db_->ExecScript("CREATE TABLE t (a int)");
  const Lines before = Fingerprint();
  try {
    db_->ExecScript("CREATE EXTENSION citext");
  } catch (const StatementError& e) {
    GTEST_SKIP() << "citext is not installed on the test server: " << e.what();
  }
  const Lines added = Minus(Fingerprint(), before);
  ASSERT_EQ(1u, added.size()) << Dump(added);
  EXPECT_EQ(0u, added[0].find("extension citext VERSION '")) << added[0];
  EXPECT_NE(std::string::npos, added[0].find("' SCHEMA public")) << added[0];
  // A column of an extension's type is the table's, and shows.
  const auto d = Diff("ALTER TABLE t ADD COLUMN b public.citext");
  EXPECT_EQ(Lines{"column public.t.b public.citext"}, d.second);
}

TEST_F(FingerprintTest, StepStateAndSearchPathAreLeftAlone) {
  db_->ExecScript("CREATE SCHEMA app; CREATE TABLE app.t (a int)");
  db_->BeginStep(0, 0);
  db_->ExecScript("SET LOCAL search_path = app, public; CREATE TABLE u (b int)");
  const Lines in_step = db_->SchemaFingerprint({"app"});
  EXPECT_NE(in_step.end(), std::find(in_step.begin(), in_step.end(),
                                     "column app.u.b integer"))
      << Dump(in_step);
  EXPECT_TRUE(db_->InStep());
  db_->ExecScript("CREATE TABLE search_path_check (c int)");
  db_->CommitStep();
  EXPECT_NE(Lines{}, db_->SchemaFingerprint({"app"}));
  const Lines app = db_->SchemaFingerprint({"app"});
  EXPECT_NE(app.end(), std::find(app.begin(), app.end(),
                                 "column app.search_path_check.c integer"))
      << "SET LOCAL search_path survived the fingerprint:\n"
      << Dump(app);
  // Outside a step nothing stays open.
  db_->BeginStep(0, 0);
  db_->RollbackStep();
  // Session settings that change how constants print change nothing.
  db_->ExecScript(
      "CREATE TABLE tz (at timestamptz DEFAULT '2026-01-01 00:00+00', "
      "d date DEFAULT '2026-03-04', i interval DEFAULT '1 day')");
  const Lines plain = db_->SchemaFingerprint({"public"});
  db_->ExecScript(
      "SET TimeZone = 'Asia/Tokyo'; SET DateStyle = 'German, DMY'; "
      "SET IntervalStyle = 'iso_8601'; SET search_path = app");
  EXPECT_EQ(plain, db_->SchemaFingerprint({"public"}));
  EXPECT_NE(plain.end(),
            std::find(plain.begin(), plain.end(),
                      "column public.tz.at timestamp with time zone DEFAULT "
                      "'2026-01-01 00:00:00+00'::timestamp with time zone"))
      << Dump(plain);
  // A schema that does not exist gives no lines.
  EXPECT_EQ(Lines{}, db_->SchemaFingerprint({"nope"}));
}

TEST_F(FingerprintTest, TryStatementsGivesTheFingerprintAfterThemAndLeavesTheStepAlone) {
  db_->ExecScript("CREATE TABLE kept (a int)");
  const FingerprintScope scope{{{"", "kept"}, {"", "made"}}, {}};
  const Lines base = db_->SchemaFingerprintOf({"public"}, scope);
  db_->BeginStep(0, 0);
  db_->ExecScript("CREATE TABLE made (b int); ALTER TABLE kept ADD COLUMN c text");
  const Lines upgraded = db_->SchemaFingerprintOf({"public"}, scope);
  // The inverse: the fingerprint after it is the one before the upgrade.
  TryResult r = db_->TryStatements({"DROP TABLE made", "ALTER TABLE kept DROP COLUMN c"}, {"public"}, &scope);
  EXPECT_FALSE(r.failed.has_value());
  EXPECT_EQ(base, r.fingerprint);
  EXPECT_EQ(upgraded, db_->SchemaFingerprintOf({"public"}, scope)) << "rolled back";
  // The whole schema when there is no scope.
  r = db_->TryStatements({"DROP TABLE made"}, {"public"}, nullptr);
  Lines without_made;
  for (const std::string& l : db_->SchemaFingerprint({"public"})) {
    if (l.find("public.made") == std::string::npos) without_made.push_back(l);
  }
  EXPECT_EQ(without_made, r.fingerprint);
  // A failing statement: its index and error; the ones before it undone too.
  r = db_->TryStatements({"DROP TABLE made", "ALTER TABLE kept DROP COLUMN nope", "DROP TABLE kept"}, {"public"},
                         &scope);
  ASSERT_TRUE(r.failed.has_value());
  EXPECT_EQ(1u, *r.failed);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ("42703", r.error->sqlstate());
  EXPECT_TRUE(r.fingerprint.empty());
  EXPECT_EQ(upgraded, db_->SchemaFingerprintOf({"public"}, scope));
  // Settings the fingerprint makes do not outlive it.
  db_->ExecScript("SET LOCAL search_path = public");
  r = db_->TryStatements({}, {"public"}, &scope);
  EXPECT_EQ(upgraded, r.fingerprint);
  db_->ExecScript("CREATE TABLE after_try (d int)");  // resolved along public, not pg_catalog
  db_->CommitStep();
  EXPECT_EQ("public.after_try", db_->ResolveTable("after_try"));
}

TEST_F(FingerprintTest, ExecStatementsAfterFingerprintReadsBeforeTheStatementsAndRunsThemOnce) {
  db_->ExecScript("CREATE TABLE kept (a int)");
  const FingerprintScope scope{{{"", "kept"}, {"", "made"}}, {}};
  const Lines base = db_->SchemaFingerprintOf({"public"}, scope);
  db_->BeginStep(0, 0);
  Lines before;
  StatementsOutcome ran = db_->ExecStatementsAfterFingerprint(
      {"CREATE TABLE made (b int)", "ALTER TABLE kept ADD COLUMN c text", "INSERT INTO made VALUES (1)"}, {"public"},
      scope, &before);
  EXPECT_FALSE(ran.failed.has_value());
  EXPECT_EQ(base, before);
  EXPECT_NE(base, db_->SchemaFingerprintOf({"public"}, scope));
  // The fingerprint's settings ended before the statements ran: an
  // unqualified name still resolves along the session's search_path.
  ran = db_->ExecStatementsAfterFingerprint({"CREATE TABLE resolved (d int)"}, {"public"}, scope, &before);
  EXPECT_FALSE(ran.failed.has_value());
  EXPECT_EQ("public.resolved", db_->ResolveTable("resolved"));
  // A statement that fails: still the fingerprint, and its index.
  before.clear();
  ran = db_->ExecStatementsAfterFingerprint({"SELECT nope FROM made"}, {"public"}, scope, &before);
  ASSERT_TRUE(ran.failed.has_value());
  EXPECT_EQ(0u, *ran.failed);
  EXPECT_FALSE(before.empty());
  db_->RollbackStep();

  // After a DEALLOCATE ALL the read fails, skipping the statements; it is
  // read again on its own and the statements run once.
  db_->BeginStep(0, 0);
  db_->ExecScript("DEALLOCATE ALL");
  before.clear();
  ran = db_->ExecStatementsAfterFingerprint({"CREATE TABLE made (b int)", "INSERT INTO made VALUES (1)"}, {"public"},
                                            scope, &before);
  EXPECT_FALSE(ran.failed.has_value());
  EXPECT_EQ(base, before);
  db_->CommitStep();
  pqxx::connection side(scratch_.conninfo());
  pqxx::nontransaction tx(side);
  EXPECT_EQ(1, tx.exec1("SELECT count(*) FROM made")[0].as<int>());
}

TEST_F(FingerprintTest, WorksOnAFailedStepOnlyAfterRollback) {
  db_->BeginStep(0, 0);
  EXPECT_THROW(db_->ExecScript("SELECT 1/0"), StatementError);
  EXPECT_THROW(db_->SchemaFingerprint({"public"}), StatementError);
  db_->RollbackStep();
  EXPECT_NO_THROW(db_->SchemaFingerprint({"public"}));
}

/// The fingerprint by the reference query (fingerprint_reference.h), run
/// through libpqxx on a connection of its own: the text SchemaFingerprint
/// gave before its query was restructured and prepared.
Lines ReferenceFingerprint(const std::string& conninfo,
                           const std::string& schemas_literal) {
  pqxx::connection c(conninfo);
  pqxx::work tx(c);
  std::string sql = kReferenceFingerprintSql;
  const std::string sqlbody =
      c.server_version() >= 140000
          ? "|| E'\\n' || COALESCE(pg_get_function_sqlbody(f.oid), '')"
          : "";
  sql.replace(sql.find("@SQLBODY@"), 9, sqlbody);
  tx.exec0(
      "SET LOCAL jit = off; SET LOCAL search_path = pg_catalog; "
      "SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; "
      "SET LOCAL IntervalStyle = 'postgres'; SET LOCAL extra_float_digits = 1; "
      "SET LOCAL bytea_output = 'hex'");
  Lines out;
  for (const auto& row : tx.exec_params(sql, schemas_literal, "{}")) {
    std::string line;
    for (char ch : std::string(row[0].c_str())) {
      if (ch == '\n') {
        line += "\\n";
      } else if (ch == '\r') {
        line += "\\r";
      } else if (ch == '\\') {
        line += "\\\\";
      } else {
        line += ch;
      }
    }
    out.push_back(line);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A second managed schema, objects outside any scope, overloads.
const char kMore[] = R"sql(
CREATE SCHEMA app;
CREATE TABLE app.items (x int PRIMARY KEY, label text DEFAULT 'l');
CREATE FUNCTION add(a text, b text) RETURNS text LANGUAGE sql IMMUTABLE
  RETURN a || b;
CREATE FUNCTION app.add(a numeric) RETURNS numeric LANGUAGE sql RETURN a;
CREATE AGGREGATE total(integer) (SFUNC = int4pl, STYPE = integer, INITCOND = '0');
CREATE TYPE span AS RANGE (subtype = integer);
CREATE RULE items_no_delete AS ON DELETE TO items WHERE old.qty > 100
  DO INSTEAD NOTHING;
CREATE STATISTICS items_stats ON tenant_id, name FROM items;
CREATE TABLE notes (id serial PRIMARY KEY, body text CHECK (body <> ''));
CREATE SEQUENCE loose;
ALTER SEQUENCE loose OWNED BY notes.body;
GRANT USAGE ON SCHEMA app TO @ROLE@;
GRANT USAGE ON SEQUENCE items_id_seq TO @ROLE@;
GRANT SELECT ON item_names TO @ROLE@;
CREATE TABLE events_2027 PARTITION OF events
  FOR VALUES FROM ('2027-01-01') TO ('2028-01-01') PARTITION BY LIST (what);
CREATE TABLE events_2027_a PARTITION OF events_2027 FOR VALUES IN ('a');
CREATE INDEX events_at_idx ON events (at);
CREATE TABLE notes_archive (archived_at timestamptz) INHERITS (notes);
)sql";

/// What a scope names, as the full fingerprint's lines show it: does `line`
/// belong to one of the relations (with their owned sequences and indexes,
/// listed by the test) or other objects, given qualified names?
bool InScope(const std::string& line, const std::vector<std::string>& objects,
             const std::vector<std::string>& indexes,
             const std::vector<std::string>& schemas) {
  const size_t sp = line.find(' ');
  const std::string kind = line.substr(0, sp);
  const std::string rest = line.substr(sp + 1);
  const std::string name = rest.substr(0, rest.find(' '));
  if (kind == "schema" || (kind == "grant" && name.find('.') == std::string::npos)) {
    return std::find(schemas.begin(), schemas.end(), name) != schemas.end();
  }
  if (kind == "index") {
    return std::find(indexes.begin(), indexes.end(), name) != indexes.end();
  }
  for (const std::string& o : objects) {
    if (name == o || name.compare(0, o.size() + 1, o + ".") == 0 ||
        name.compare(0, o.size() + 1, o + "(") == 0) {
      return true;
    }
  }
  return false;
}

Lines Filter(const Lines& lines, const std::vector<std::string>& objects,
             const std::vector<std::string>& indexes,
             const std::vector<std::string>& schemas) {
  Lines out;
  for (const auto& l : lines) {
    if (InScope(l, objects, indexes, schemas)) out.push_back(l);
  }
  return out;
}

TEST_F(FingerprintTest, TextIsByteIdenticalToTheReferenceQuery) {
  db_->ExecScript(WithRole(kSchemaA));
  db_->ExecScript(WithRole(kMore));
  const Lines reference = ReferenceFingerprint(scratch_.conninfo(), "{public,app}");
  ASSERT_GT(reference.size(), 80u);
  // Outside a step, inside one, and again (the prepared statement and its
  // cached plan serve the later calls).
  EXPECT_EQ(reference, db_->SchemaFingerprint({"public", "app"}))
      << "only in the reference:\n"
      << Dump(Minus(reference, db_->SchemaFingerprint({"public", "app"})))
      << "only in SchemaFingerprint:\n"
      << Dump(Minus(db_->SchemaFingerprint({"public", "app"}), reference));
  db_->BeginStep(0, 0);
  EXPECT_EQ(reference, db_->SchemaFingerprint({"public", "app"}));
  EXPECT_EQ(reference, db_->SchemaFingerprint({"public", "app"}));
  db_->RollbackStep();
  EXPECT_EQ(ReferenceFingerprint(scratch_.conninfo(), "{public}"),
            db_->SchemaFingerprint({"public"}));
}

TEST_F(FingerprintTest, ScopedIsTheFullOneFilteredToTheScope) {
  db_->ExecScript(WithRole(kSchemaA));
  db_->ExecScript(WithRole(kMore));
  const std::vector<std::string> managed = {"public", "app"};
  const Lines full = db_->SchemaFingerprint(managed);
  ASSERT_EQ(ReferenceFingerprint(scratch_.conninfo(), "{public,app}"), full);

  FingerprintScope scope;
  scope.relations = {{"", "items"}, {"public", "item_names"}};
  scope.others = {{"", "add"}, {"public", "mood"}, {"", "positive"},
                  {"", "public"}, {"app", "span"}};
  const Lines scoped = db_->SchemaFingerprintOf(managed, scope);
  // {"", "items"} is public.items and app.items; app.span does not exist
  // (span is in public).
  const Lines expected = Filter(
      full,
      {"public.items", "app.items", "public.items_id_seq", "public.items_code_seq",
       "public.item_names", "public.items_stats", "public.add", "app.add",
       "public.mood", "public.positive"},
      {"public.items_pkey", "public.items_tenant_id_name_key",
       "public.items_tenant_idx", "app.items_pkey"},
      {"public"});
  EXPECT_EQ(expected, scoped) << "only expected:\n"
                              << Dump(Minus(expected, scoped))
                              << "only scoped:\n"
                              << Dump(Minus(scoped, expected));
  EXPECT_TRUE(std::is_sorted(scoped.begin(), scoped.end()));
  // Every kind that hangs off a table is there.
  auto count = [&](const std::string& prefix) {
    return std::count_if(scoped.begin(), scoped.end(), [&](const std::string& l) {
      return l.compare(0, prefix.size(), prefix) == 0;
    });
  };
  EXPECT_EQ(1, count("table public.items "));
  EXPECT_EQ(1, count("table app.items "));
  EXPECT_EQ(1, count("rls public.items "));
  EXPECT_EQ(7, count("column public.items."));
  EXPECT_EQ(2, count("policy public.items."));
  EXPECT_EQ(1, count("trigger public.items.items_touch "));
  EXPECT_EQ(1, count("rule public.items.items_no_delete "));
  EXPECT_EQ(1, count("statistics public.items_stats "));
  EXPECT_EQ(2, count("sequence public.items_"));  // serial and identity
  EXPECT_EQ(2, count("grant public.items_id_seq "));  // owner, role
  EXPECT_EQ(2, count("grant public.item_names "));
  EXPECT_EQ(1, count("grant public.items.name "));
  EXPECT_EQ(1, count("view public.item_names "));
  EXPECT_EQ(2, count("function public.add("));
  EXPECT_EQ(1, count("function app.add("));
  EXPECT_EQ(1, count("type public.mood "));
  EXPECT_EQ(1, count("type public.positive "));
  EXPECT_EQ(1, count("constraint public.positive.positive_check "));
  EXPECT_EQ(1, count("schema public "));
  EXPECT_EQ(0, count("schema app "));
  EXPECT_EQ(0, count("type public.span "));
  EXPECT_EQ(0, count("table public.tenants "));
  EXPECT_EQ(0, count("sequence public.counter "));

  // A qualified name picks one schema; a schema, aggregate, range, owned
  // sequence and its table; partitions (two levels) and an inheritance
  // child come with their parents.
  scope.relations = {{"app", "items"}, {"public", "notes"}, {"", "events"}};
  scope.others = {{"", "total"}, {"", "span"}, {"app", "app"}};
  const Lines second = db_->SchemaFingerprintOf(managed, scope);
  const Lines expected2 = Filter(
      full,
      {"app.items", "public.notes", "public.notes_id_seq", "public.loose",
       "public.total", "public.span", "public.notes_archive", "public.events",
       "public.events_2026", "public.events_2027", "public.events_2027_a"},
      {"app.items_pkey", "public.notes_pkey", "public.events_at_idx",
       "public.events_2026_at_idx", "public.events_2027_at_idx",
       "public.events_2027_a_at_idx"},
      {"app"});
  EXPECT_EQ(expected2, second) << "only expected:\n"
                               << Dump(Minus(expected2, second))
                               << "only scoped:\n"
                               << Dump(Minus(second, expected2));
  EXPECT_NE(second.end(), std::find(second.begin(), second.end(),
                                    "schema app owner=" + db_->CurrentUser()));
  for (const char* partition_index :
       {"index public.events_2027_a_at_idx ", "index public.events_2026_at_idx "}) {
    EXPECT_EQ(1, std::count_if(second.begin(), second.end(), [&](const std::string& l) {
                return l.rfind(partition_index, 0) == 0;
              })) << partition_index << "\n" << Dump(second);
  }
  EXPECT_NE(second.end(),
            std::find(second.begin(), second.end(),
                      "column public.notes_archive.archived_at timestamp with time zone"))
      << Dump(second);

  // Relations alone (what most steps name) go through a shorter query, with
  // no type, function, extension or schema part: the same lines.
  scope.relations = {{"", "items"}, {"public", "item_names"}, {"app", "items"}};
  scope.others.clear();
  const Lines relations_only = db_->SchemaFingerprintOf(managed, scope);
  const Lines expected3 = Filter(
      full,
      {"public.items", "app.items", "public.items_id_seq", "public.items_code_seq",
       "public.item_names", "public.items_stats"},
      {"public.items_pkey", "public.items_tenant_id_name_key", "public.items_tenant_idx",
       "app.items_pkey"},
      {});
  EXPECT_EQ(expected3, relations_only) << "only expected:\n"
                                       << Dump(Minus(expected3, relations_only))
                                       << "only scoped:\n"
                                       << Dump(Minus(relations_only, expected3));
  EXPECT_GT(std::count_if(relations_only.begin(), relations_only.end(),
                          [](const std::string& l) { return l.rfind("grant ", 0) == 0; }),
            3)
      << Dump(relations_only);
  // Both variants in one step, each after the other's settings.
  db_->BeginStep(0, 0);
  EXPECT_EQ(relations_only, db_->SchemaFingerprintOf(managed, scope));
  EXPECT_EQ(second, db_->SchemaFingerprintOf(managed, FingerprintScope{{{"app", "items"}, {"public", "notes"},
                                                                        {"", "events"}},
                                                                       {{"", "total"}, {"", "span"}, {"app", "app"}}}));
  EXPECT_EQ(relations_only, db_->SchemaFingerprintOf(managed, scope));
  db_->RollbackStep();
}

TEST_F(FingerprintTest, ScopedIgnoresWhatIsOutsideTheScopeAndMissingNames) {
  db_->ExecScript(WithRole(kSchemaA));
  FingerprintScope scope;
  scope.relations = {{"", "items"}, {"public", "later"}};
  scope.others = {{"", "add"}, {"", "mood"}};
  const Lines before = db_->SchemaFingerprintOf({"public"}, scope);
  ASSERT_FALSE(before.empty());
  EXPECT_EQ(0, std::count_if(before.begin(), before.end(), [](const std::string& l) {
              return l.find("later") != std::string::npos;
            }));
  db_->BeginStep(0, 0);
  db_->ExecScript(WithRole(R"sql(
    ALTER TABLE tenants ADD COLUMN note text;
    CREATE TABLE other (id uuid REFERENCES tenants (id) ON DELETE CASCADE);
    CREATE INDEX other_idx ON other (id);
    CREATE FUNCTION addition(int) RETURNS int LANGUAGE sql RETURN 1;
    CREATE TYPE moods AS ENUM ('x');
    GRANT SELECT ON tenants TO @ROLE@;
    DROP MATERIALIZED VIEW item_count;
    ALTER SEQUENCE counter INCREMENT 7;
    CREATE SCHEMA elsewhere;
    CREATE TABLE elsewhere.items (a int);
  )sql"));
  EXPECT_EQ(before, db_->SchemaFingerprintOf({"public"}, scope));
  // Inside the scope: a column, and a new overload, and the table named
  // before it existed.
  db_->ExecScript(
      "ALTER TABLE items ADD COLUMN extra int;"
      "CREATE FUNCTION add(x bigint) RETURNS bigint LANGUAGE sql RETURN x;"
      "CREATE TABLE later (a serial)");
  const Lines after = db_->SchemaFingerprintOf({"public"}, scope);
  db_->RollbackStep();
  const Lines added = Minus(after, before);
  EXPECT_EQ(Lines{}, Minus(before, after)) << Dump(Minus(before, after));
  auto has = [&](const std::string& prefix) {
    return std::any_of(added.begin(), added.end(), [&](const std::string& l) {
      return l.compare(0, prefix.size(), prefix) == 0;
    });
  };
  EXPECT_TRUE(has("column public.items.extra integer")) << Dump(added);
  EXPECT_TRUE(has("function public.add(x bigint)")) << Dump(added);
  EXPECT_TRUE(has("table public.later ")) << Dump(added);
  EXPECT_TRUE(has("sequence public.later_a_seq ")) << Dump(added);
  EXPECT_EQ(before, db_->SchemaFingerprintOf({"public"}, scope));

  // Names that do not exist, or live outside the managed schemas, give no
  // line; neither does an empty scope.
  FingerprintScope missing;
  missing.relations = {{"public", "nope"}, {"elsewhere", "items"},
                       {"pg_catalog", "pg_class"}, {"", ""}};
  missing.others = {{"", "nope"}, {"", "app"}, {"", "pg_catalog"},
                    {"pg_catalog", "now"}, {"", "elsewhere"}};
  EXPECT_EQ(Lines{}, db_->SchemaFingerprintOf({"public"}, missing));
  EXPECT_EQ(Lines{}, db_->SchemaFingerprintOf({"public"}, FingerprintScope{}));
  EXPECT_EQ(Lines{}, db_->SchemaFingerprintOf({"nope"}, scope));
}

TEST_F(FingerprintTest, PreparedStatementsSurviveDeallocateAndFailedSteps) {
  db_->ExecScript("CREATE TABLE t (a int)");
  FingerprintScope scope;
  scope.relations = {{"", "t"}};
  const Lines full = Fingerprint();
  const Lines scoped = db_->SchemaFingerprintOf({"public"}, scope);
  db_->BeginStep(0, 0);
  db_->ExecScript("DEALLOCATE ALL");
  EXPECT_EQ(full, Fingerprint());
  db_->ExecScript("DEALLOCATE ALL");
  EXPECT_EQ(scoped, db_->SchemaFingerprintOf({"public"}, scope));
  db_->RollbackStep();
  db_->BeginStep(0, 0);
  EXPECT_THROW(db_->ExecScript("SELECT 1/0"), StatementError);
  EXPECT_THROW(db_->SchemaFingerprintOf({"public"}, scope), StatementError);
  db_->RollbackStep();
  EXPECT_EQ(scoped, db_->SchemaFingerprintOf({"public"}, scope));
  EXPECT_EQ(full, Fingerprint());
  // No planner or other setting outlives a call, in a step or outside one.
  db_->ExecScript(
      "CREATE TEMP TABLE settings_before AS SELECT name, setting FROM "
      "pg_settings WHERE name IN ('enable_seqscan', 'plan_cache_mode', 'jit', "
      "'search_path', 'TimeZone', 'DateStyle', 'extra_float_digits')");
  const char* check = R"sql(
    DO $$ BEGIN
      IF EXISTS (SELECT 1 FROM settings_before b
                 WHERE current_setting(b.name) IS DISTINCT FROM b.setting)
         OR COALESCE(current_setting('retort.fingerprint_own', true), '') <> ''
      THEN RAISE EXCEPTION 'a fingerprint setting leaked';
      END IF;
    END $$)sql";
  db_->BeginStep(0, 0);
  db_->SchemaFingerprintOf({"public"}, scope);
  db_->SchemaFingerprint({"public"});
  EXPECT_NO_THROW(db_->ExecScript(check));
  db_->RollbackStep();
  db_->SchemaFingerprintOf({"public"}, scope);
  EXPECT_NO_THROW(db_->ExecScript(check));
}

}  // namespace
}  // namespace retort
