// Statement analysis (src/sql/statement_analysis.cc and friends): what each
// statement changes, locks, drops and writes, read from libpg_query's tree.
#include <gtest/gtest.h>

#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include "retort/sql/statement_analysis.h"

namespace retort {

void PrintTo(const SqlObject& o, std::ostream* os) {
  *os << "{" << o.kind << " '" << o.schema << "' '" << o.name << "' col='" << o.column << "' table='"
      << o.table << "'}";
}

namespace {

SqlObject Obj(std::string kind, std::string schema, std::string name, std::string column = "",
              std::string table = "") {
  return SqlObject{std::move(kind), std::move(schema), std::move(name), std::move(column), std::move(table)};
}

SqlObject Table(std::string schema, std::string name) {
  return Obj("table", std::move(schema), std::move(name));
}

AnalyzedStatement One(const std::string& sql) {
  std::vector<AnalyzedStatement> all = AnalyzeSql(sql);
  EXPECT_EQ(all.size(), 1u) << sql;
  return all.empty() ? AnalyzedStatement{} : all[0];
}

// --- the downgrade-stub gate: what changes nothing -----------------------------

TEST(SqlAnalysisStub, OnlyCommentsHaveNoStatement) {
  std::vector<AnalyzedStatement> all = AnalyzeSql("-- nothing to undo\n/* really */\n");
  EXPECT_TRUE(all.empty());
  EXPECT_FALSE(ChangesSomething(all));
}

TEST(SqlAnalysisStub, StubsChangeNothing) {
  const char* stubs[] = {
      "SELECT 1",
      "SELECT 1; SELECT 2;",
      "DO $$ BEGIN END $$",
      "DO $$ BEGIN RAISE NOTICE 'nothing to undo'; END $$;",
      "DO $$ BEGIN NULL; END $$",
      "DO $$ BEGIN RAISE EXCEPTION 'irreversible migration'; END $$",
      "DO $$ BEGIN RAISE INFO 'a'; RAISE LOG 'b'; RAISE DEBUG 'c'; RAISE WARNING 'd'; END $$",
      "DO $do$ DECLARE n int := 1; BEGIN n := n + 1; IF n > 1 THEN RAISE NOTICE 'n=%', n; "
      "ELSE PERFORM 1; END IF; END $do$",
      "DO LANGUAGE plpgsql $$ BEGIN PERFORM now(); END $$",
      "SELECT now(), pg_sleep(0), version(), current_setting('search_path')",
      "SELECT count(*) FROM pg_class WHERE relname = 'x'",
      "SHOW search_path",
      "EXPLAIN SELECT * FROM t",
      "EXPLAIN DELETE FROM t",
      "SET lock_timeout = '1s'; RESET lock_timeout",
      "VALUES (1), (2)",
      "LOCK TABLE t IN SHARE MODE",
  };
  for (const char* sql : stubs) {
    std::vector<AnalyzedStatement> all = AnalyzeSql(sql);
    EXPECT_FALSE(ChangesSomething(all)) << sql;
    for (const AnalyzedStatement& s : all) {
      EXPECT_FALSE(s.opaque) << sql;
      EXPECT_TRUE(s.unbounded_writes.empty()) << sql;
    }
  }
}

TEST(SqlAnalysisStub, RealDowngradesChangeSomething) {
  const char* real[] = {
      "DROP INDEX i",
      "DROP POLICY p ON t",
      "ALTER TABLE t DROP COLUMN c",
      "DO $$ BEGIN EXECUTE 'DROP TABLE t'; END $$",
      "DO $$ BEGIN DELETE FROM t WHERE id = 1; END $$",
      "DO $$ BEGIN RAISE NOTICE '%', my_cleanup(); END $$",
      "DO $$ DECLARE n int; BEGIN n := nextval('s'); END $$",
      "DO LANGUAGE plpython3u $$ plpy.execute('drop table t') $$",
      "DO $$ BEGIN undeclared_variable := 1; END $$",  // does not parse: assume the worst
      "SELECT my_func()",
      "SELECT set_config('app.tenant', 'x', false)",
      "SELECT nextval('s')",
      "SELECT pg_advisory_lock(1)",
      "SELECT myschema.now()",
      "SELECT 1 INTO t",
      "CREATE TABLE t2 AS SELECT 1",
      "EXPLAIN ANALYZE DELETE FROM t WHERE id = 1",
      "WITH d AS (DELETE FROM t WHERE id = 1 RETURNING id) SELECT count(*) FROM d",
      "SELECT 1; DROP TABLE t;",
      "CALL do_things()",
      "COMMENT ON TABLE t IS 'x'",
      "GRANT SELECT ON t TO app",
  };
  for (const char* sql : real) EXPECT_TRUE(ChangesSomething(AnalyzeSql(sql))) << sql;
}

TEST(SqlAnalysisStub, PlpgsqlExpressionsAreNotStatements) {
  // A variable named like a statement keyword is read as an expression.
  AnalyzedStatement s =
      One("DO $$ DECLARE commit boolean := true; BEGIN IF commit THEN RAISE NOTICE 'x'; END IF; END $$");
  EXPECT_FALSE(s.transaction_control);
  EXPECT_FALSE(s.changes_something);
  EXPECT_FALSE(s.opaque);
}

TEST(SqlAnalysisStub, OpaqueWhenWeCannotLookInside) {
  AnalyzedStatement dynamic = One("DO $$ BEGIN EXECUTE format('DROP TABLE %I', 't'); END $$");
  EXPECT_EQ(dynamic.node_type, "DoStmt");
  EXPECT_TRUE(dynamic.opaque);
  EXPECT_EQ(dynamic.lock, LockLevel::kAccessExclusive);
  EXPECT_EQ(dynamic.lock_target, "");
  EXPECT_TRUE(One("DO LANGUAGE plperl 'return 1'").opaque);
  AnalyzedStatement call = One("CALL p()");
  EXPECT_TRUE(call.opaque);
  EXPECT_EQ(call.lock, LockLevel::kAccessExclusive);
  EXPECT_TRUE(One("EXECUTE prepared_thing").opaque);
  EXPECT_FALSE(One("DO $$ BEGIN RAISE NOTICE 'x'; END $$").opaque);
}

// --- DELETE / UPDATE touching every row -----------------------------------------

TEST(SqlAnalysisWrites, DeleteWithoutWhere) {
  AnalyzedStatement s = One("DELETE FROM t");
  EXPECT_EQ(s.node_type, "DeleteStmt");
  EXPECT_TRUE(s.changes_something);
  ASSERT_EQ(s.unbounded_writes.size(), 1u);
  EXPECT_EQ(s.unbounded_writes[0].verb, "DELETE");
  EXPECT_EQ(s.unbounded_writes[0].table, Table("", "t"));
  EXPECT_FALSE(s.unbounded_writes[0].in_cte);
  EXPECT_FALSE(s.unbounded_writes[0].in_do_block);
  EXPECT_FALSE(s.unbounded_writes[0].trivially_true_where);
  EXPECT_EQ(s.lock, LockLevel::kRowExclusive);
  EXPECT_EQ(s.lock_target, "t");
}

TEST(SqlAnalysisWrites, UpdateWithoutWhere) {
  AnalyzedStatement s = One("UPDATE app.users SET active = false");
  ASSERT_EQ(s.unbounded_writes.size(), 1u);
  EXPECT_EQ(s.unbounded_writes[0].verb, "UPDATE");
  EXPECT_EQ(s.unbounded_writes[0].table, Table("app", "users"));
  EXPECT_FALSE(s.unbounded_writes[0].trivially_true_where);
}

TEST(SqlAnalysisWrites, TriviallyTrueWhere) {
  const char* conditions[] = {
      "true",
      "TRUE",
      "1=1",
      "1 = 1",
      "'a' = 'a'",
      "x = x",
      "t.x = t.x",
      "TRUE OR x > 2",
      "x > 2 OR true",
      "NOT false",
      "1 <> 2",
      "2 > 1",
      "1.5 = 1.5",
      "-1 = -1",
      "0 = 0",
      "'1' = 1",
      "'t'::boolean",
      "'yes'",
      "1::bool",
      "NULL IS NULL",
      "1 IS NOT NULL",
      "true IS TRUE",
      "(1 = 1) AND ('b' <> 'c')",
      "x IS NOT DISTINCT FROM x",
      "NULL IS NOT DISTINCT FROM NULL",
      "NOT (1 = 2)",
      "1::int = 1",
      "x >= x",
  };
  for (const char* condition : conditions) {
    for (const std::string verb : {"DELETE FROM t", "UPDATE t SET a = 1"}) {
      std::string sql = verb + " WHERE " + condition;
      AnalyzedStatement s = One(sql);
      ASSERT_EQ(s.unbounded_writes.size(), 1u) << sql;
      EXPECT_TRUE(s.unbounded_writes[0].trivially_true_where) << sql;
    }
  }
}

TEST(SqlAnalysisWrites, RealWhereIsNotFlagged) {
  const char* conditions[] = {
      "id = 1",
      "1 = 2",
      "-1 = 0",
      "0 = -1",
      "x = y",
      "NULL = NULL",
      "false AND x",
      "'a' = 'b'",
      "x IS NULL",
      "x <> x",
      "1 = 1 AND id = 3",
      "now() > created_at",
      "false",
      "NULL",
      "x",
      "NOT true",
      "x IN (1, 2)",
      "EXISTS (SELECT 1 FROM u WHERE u.id = t.id)",
      "'a' < 'b'",
      "tenant_id = current_setting('app.tenant')::uuid",
      "CURRENT OF c",
  };
  for (const char* condition : conditions) {
    std::string sql = std::string("DELETE FROM t WHERE ") + condition;
    AnalyzedStatement s = One(sql);
    EXPECT_TRUE(s.unbounded_writes.empty()) << sql;
    EXPECT_TRUE(s.changes_something) << sql;
  }
}

TEST(SqlAnalysisWrites, DeleteInCte) {
  AnalyzedStatement s = One("WITH d AS (DELETE FROM audit RETURNING *) SELECT count(*) FROM d");
  EXPECT_EQ(s.node_type, "SelectStmt");
  EXPECT_TRUE(s.changes_something);
  ASSERT_EQ(s.unbounded_writes.size(), 1u);
  EXPECT_EQ(s.unbounded_writes[0].table, Table("", "audit"));
  EXPECT_TRUE(s.unbounded_writes[0].in_cte);
  // The CTE name is not a table: the lock is the DELETE's.
  EXPECT_EQ(s.lock, LockLevel::kRowExclusive);
  EXPECT_EQ(s.lock_target, "audit");
}

TEST(SqlAnalysisWrites, NestedWritesAnywhere) {
  AnalyzedStatement insert =
      One("WITH u AS (UPDATE t SET a = 1 WHERE 1 = 1 RETURNING *) INSERT INTO log SELECT * FROM u");
  ASSERT_EQ(insert.unbounded_writes.size(), 1u);
  EXPECT_EQ(insert.unbounded_writes[0].verb, "UPDATE");
  EXPECT_TRUE(insert.unbounded_writes[0].in_cte);
  EXPECT_TRUE(insert.unbounded_writes[0].trivially_true_where);

  AnalyzedStatement explain = One("EXPLAIN (ANALYZE) DELETE FROM t");
  EXPECT_EQ(explain.node_type, "ExplainStmt");
  EXPECT_EQ(explain.unbounded_writes.size(), 1u);
  EXPECT_TRUE(explain.changes_something);
  EXPECT_TRUE(One("EXPLAIN DELETE FROM t").unbounded_writes.empty());
  EXPECT_TRUE(One("EXPLAIN (ANALYZE false) DELETE FROM t").unbounded_writes.empty());
  EXPECT_TRUE(One("EXPLAIN (ANALYZE 0) DELETE FROM t").unbounded_writes.empty());
  EXPECT_EQ(One("EXPLAIN (ANALYZE on, COSTS off) DELETE FROM t").unbounded_writes.size(), 1u);

  AnalyzedStatement prepared = One("PREPARE wipe AS DELETE FROM t");
  EXPECT_EQ(prepared.unbounded_writes.size(), 1u);

  AnalyzedStatement in_do = One("DO $$ BEGIN DELETE FROM t; UPDATE u SET a = 1 WHERE true; END $$");
  ASSERT_EQ(in_do.unbounded_writes.size(), 2u);
  EXPECT_EQ(in_do.unbounded_writes[0].table, Table("", "t"));
  EXPECT_TRUE(in_do.unbounded_writes[0].in_do_block);
  EXPECT_EQ(in_do.unbounded_writes[1].table, Table("", "u"));
  EXPECT_TRUE(in_do.unbounded_writes[1].trivially_true_where);
  EXPECT_FALSE(in_do.opaque);
  EXPECT_EQ(in_do.lock, LockLevel::kRowExclusive);

  AnalyzedStatement loop =
      One("DO $$ DECLARE r record; BEGIN FOR r IN DELETE FROM t RETURNING * LOOP "
          "RAISE NOTICE '%', r; END LOOP; END $$");
  ASSERT_EQ(loop.unbounded_writes.size(), 1u);
  EXPECT_TRUE(loop.unbounded_writes[0].in_do_block);

  // libpg_query cannot parse bodies with bound cursors: the block is opaque.
  AnalyzedStatement cursor =
      One("DO $$ DECLARE c CURSOR FOR DELETE FROM t RETURNING *; BEGIN OPEN c; END $$");
  EXPECT_TRUE(cursor.opaque);
  EXPECT_TRUE(cursor.changes_something);

  // A rule's action is stored, not run.
  EXPECT_TRUE(One("CREATE RULE r AS ON INSERT TO t DO ALSO DELETE FROM u").unbounded_writes.empty());
}

// --- transactions and autocommit -------------------------------------------------

TEST(SqlAnalysisTransactions, TransactionControl) {
  const char* control[] = {"BEGIN",
                           "START TRANSACTION",
                           "COMMIT",
                           "END",
                           "ROLLBACK",
                           "ABORT",
                           "SAVEPOINT a",
                           "RELEASE a",
                           "ROLLBACK TO a",
                           "PREPARE TRANSACTION 'x'",
                           "COMMIT PREPARED 'x'",
                           "DO $$ BEGIN COMMIT; END $$"};
  for (const char* sql : control) {
    AnalyzedStatement s = One(sql);
    EXPECT_TRUE(s.transaction_control) << sql;
    EXPECT_FALSE(s.changes_something) << sql;
  }
  EXPECT_FALSE(One("SELECT 1").transaction_control);
  EXPECT_FALSE(One("DROP TABLE t").transaction_control);
}

TEST(SqlAnalysisTransactions, NeedsAutocommit) {
  const char* outside[] = {"CREATE INDEX CONCURRENTLY i ON t (a)",
                           "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a)",
                           "DROP INDEX CONCURRENTLY i",
                           "REINDEX INDEX CONCURRENTLY i",
                           "REINDEX DATABASE d",
                           "VACUUM t",
                           "VACUUM",
                           "CREATE DATABASE d",
                           "DROP DATABASE d",
                           "CREATE TABLESPACE x LOCATION '/x'",
                           "DROP TABLESPACE x",
                           "ALTER SYSTEM SET work_mem = '64MB'",
                           "ALTER TABLE t DETACH PARTITION p CONCURRENTLY",
                           "CLUSTER"};
  for (const char* sql : outside) EXPECT_TRUE(One(sql).needs_autocommit) << sql;
  const char* inside[] = {"CREATE INDEX i ON t (a)", "DROP INDEX i",
                          "REINDEX TABLE t",         "ANALYZE t",
                          "CREATE TABLE t (id int)", "ALTER TYPE mood ADD VALUE 'meh'",
                          "CLUSTER t USING i"};
  for (const char* sql : inside) EXPECT_FALSE(One(sql).needs_autocommit) << sql;
  AnalyzedStatement enum_value = One("ALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh' AFTER 'ok'");
  EXPECT_TRUE(enum_value.enum_value_added);
  EXPECT_EQ(enum_value.alters, (std::vector<SqlObject>{Obj("type", "", "mood")}));
  EXPECT_FALSE(One("ALTER TYPE mood RENAME VALUE 'meh' TO 'fine'").enum_value_added);
}

TEST(SqlAnalysisTransactions, CreateIndexConcurrently) {
  AnalyzedStatement s = One("CREATE INDEX CONCURRENTLY docs_tenant ON app.docs (tenant_id)");
  EXPECT_TRUE(s.needs_autocommit);
  EXPECT_EQ(s.lock, LockLevel::kShareUpdateExclusive);
  EXPECT_EQ(s.lock_target, "app.docs");
  EXPECT_EQ(s.creates, (std::vector<SqlObject>{Obj("index", "app", "docs_tenant", "", "docs")}));
  EXPECT_EQ(s.tables_touched, (std::vector<SqlObject>{Table("app", "docs")}));
}

// --- destructive statements ------------------------------------------------------

std::vector<std::pair<std::string, SqlObject>> Ops(const AnalyzedStatement& s) {
  std::vector<std::pair<std::string, SqlObject>> ops;
  for (const DestructiveOp& op : s.destructive) ops.emplace_back(op.what, op.target);
  return ops;
}

TEST(SqlAnalysisDestructive, Drops) {
  AnalyzedStatement tables = One("DROP TABLE IF EXISTS app.users, logs CASCADE");
  EXPECT_EQ(Ops(tables), (std::vector<std::pair<std::string, SqlObject>>{
                             {"DROP TABLE", Table("app", "users")}, {"DROP TABLE", Table("", "logs")}}));
  EXPECT_EQ(tables.drops, (std::vector<SqlObject>{Table("app", "users"), Table("", "logs")}));
  EXPECT_TRUE(tables.tables_touched.empty());
  EXPECT_EQ(tables.lock, LockLevel::kAccessExclusive);
  EXPECT_EQ(tables.lock_target, "app.users");

  EXPECT_EQ(Ops(One("DROP SCHEMA s CASCADE")),
            (std::vector<std::pair<std::string, SqlObject>>{{"DROP SCHEMA", Obj("schema", "", "s")}}));
  EXPECT_EQ(Ops(One("DROP TYPE a.e, b")),
            (std::vector<std::pair<std::string, SqlObject>>{{"DROP TYPE", Obj("type", "a", "e")},
                                                            {"DROP TYPE", Obj("type", "", "b")}}));
  EXPECT_EQ(Ops(One("DROP MATERIALIZED VIEW mv")),
            (std::vector<std::pair<std::string, SqlObject>>{
                {"DROP MATERIALIZED VIEW", Obj("materialized view", "", "mv")}}));
  EXPECT_EQ(Ops(One("DROP DOMAIN d")),
            (std::vector<std::pair<std::string, SqlObject>>{{"DROP DOMAIN", Obj("domain", "", "d")}}));
  EXPECT_EQ(Ops(One("DROP SEQUENCE s.q")),
            (std::vector<std::pair<std::string, SqlObject>>{{"DROP SEQUENCE", Obj("sequence", "s", "q")}}));
  // No data lives in these.
  for (const char* sql : {"DROP VIEW v", "DROP INDEX i", "DROP FUNCTION f(int)", "DROP POLICY p ON t",
                          "DROP TRIGGER tr ON t", "DROP ROLE r", "DROP EXTENSION x"}) {
    EXPECT_TRUE(One(sql).destructive.empty()) << sql;
  }
}

TEST(SqlAnalysisDestructive, ColumnsAndTruncate) {
  AnalyzedStatement drop = One("ALTER TABLE app.t DROP COLUMN IF EXISTS c, DROP COLUMN d");
  EXPECT_EQ(Ops(drop), (std::vector<std::pair<std::string, SqlObject>>{
                           {"DROP COLUMN", Obj("column", "app", "t", "c")},
                           {"DROP COLUMN", Obj("column", "app", "t", "d")}}));
  EXPECT_EQ(drop.drops,
            (std::vector<SqlObject>{Obj("column", "app", "t", "c"), Obj("column", "app", "t", "d")}));
  EXPECT_EQ(drop.tables_touched, (std::vector<SqlObject>{Table("app", "t")}));

  AnalyzedStatement truncate = One("TRUNCATE a, s.b");
  EXPECT_EQ(Ops(truncate), (std::vector<std::pair<std::string, SqlObject>>{{"TRUNCATE", Table("", "a")},
                                                                           {"TRUNCATE", Table("s", "b")}}));
  EXPECT_EQ(truncate.lock, LockLevel::kAccessExclusive);
  EXPECT_TRUE(truncate.tables_touched.empty());
}

TEST(SqlAnalysisDestructive, AlterColumnType) {
  AnalyzedStatement s =
      One("ALTER TABLE t ALTER COLUMN a TYPE bigint, ALTER COLUMN b SET DATA TYPE varchar(10), "
          "ALTER COLUMN c TYPE numeric(10,2) USING c::numeric, ALTER COLUMN d TYPE text[]");
  ASSERT_EQ(s.destructive.size(), 4u);
  EXPECT_EQ(s.destructive[0].what, "ALTER COLUMN TYPE");
  EXPECT_EQ(s.destructive[0].target, Obj("column", "", "t", "a"));
  EXPECT_EQ(s.destructive[0].detail, "bigint");
  EXPECT_EQ(s.destructive[1].detail, "varchar(10)");
  EXPECT_EQ(s.destructive[2].detail, "numeric(10,2)");
  EXPECT_EQ(s.destructive[3].detail, "text[]");
  EXPECT_EQ(s.lock, LockLevel::kAccessExclusive);
}

// --- locks -----------------------------------------------------------------------

TEST(SqlAnalysisLocks, Names) {
  EXPECT_STREQ(LockLevelName(LockLevel::kNone), "NONE");
  EXPECT_STREQ(LockLevelName(LockLevel::kAccessShare), "ACCESS SHARE");
  EXPECT_STREQ(LockLevelName(LockLevel::kRowExclusive), "ROW EXCLUSIVE");
  EXPECT_STREQ(LockLevelName(LockLevel::kShareUpdateExclusive), "SHARE UPDATE EXCLUSIVE");
  EXPECT_STREQ(LockLevelName(LockLevel::kShareRowExclusive), "SHARE ROW EXCLUSIVE");
  EXPECT_STREQ(LockLevelName(LockLevel::kAccessExclusive), "ACCESS EXCLUSIVE");
}

TEST(SqlAnalysisLocks, RepresentativeStatements) {
  struct Case {
    const char* sql;
    LockLevel lock;
    const char* target;
  };
  const Case cases[] = {
      {"SELECT 1", LockLevel::kNone, ""},
      {"CREATE TABLE t (id int)", LockLevel::kNone, ""},
      {"SELECT * FROM s.t JOIN u ON u.id = t.id", LockLevel::kAccessShare, "s.t"},
      {"SELECT * FROM t FOR UPDATE", LockLevel::kRowShare, "t"},
      {"INSERT INTO t VALUES (1)", LockLevel::kRowExclusive, "t"},
      {"INSERT INTO t SELECT * FROM u", LockLevel::kRowExclusive, "t"},
      {"UPDATE t SET a = 1 WHERE id = 2", LockLevel::kRowExclusive, "t"},
      {"DELETE FROM t WHERE id = 2", LockLevel::kRowExclusive, "t"},
      {"ALTER TABLE t VALIDATE CONSTRAINT k", LockLevel::kShareUpdateExclusive, "t"},
      {"ALTER TABLE t SET (fillfactor = 70)", LockLevel::kShareUpdateExclusive, "t"},
      {"ALTER TABLE t ALTER COLUMN a SET STATISTICS 100", LockLevel::kShareUpdateExclusive, "t"},
      {"CREATE INDEX CONCURRENTLY i ON t (a)", LockLevel::kShareUpdateExclusive, "t"},
      {"DROP INDEX CONCURRENTLY s.i", LockLevel::kShareUpdateExclusive, "s.i"},
      {"ALTER INDEX i RENAME TO j", LockLevel::kShareUpdateExclusive, "i"},
      {"VACUUM t", LockLevel::kShareUpdateExclusive, "t"},
      {"CREATE INDEX i ON s.t (a)", LockLevel::kShare, "s.t"},
      {"LOCK TABLE t IN SHARE MODE", LockLevel::kShare, "t"},
      {"ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (u_id) REFERENCES u (id) NOT VALID",
       LockLevel::kShareRowExclusive, "t"},
      {"ALTER TABLE t DISABLE TRIGGER ALL", LockLevel::kShareRowExclusive, "t"},
      {"CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()",
       LockLevel::kShareRowExclusive, "t"},
      {"CREATE TABLE c (id int, p_id int REFERENCES parent (id))", LockLevel::kShareRowExclusive, "parent"},
      {"ALTER SEQUENCE s RESTART", LockLevel::kShareRowExclusive, "s"},
      {"REFRESH MATERIALIZED VIEW CONCURRENTLY mv", LockLevel::kExclusive, "mv"},
      {"ALTER TABLE t ADD COLUMN c int", LockLevel::kAccessExclusive, "t"},
      {"ALTER TABLE t ENABLE ROW LEVEL SECURITY", LockLevel::kAccessExclusive, "t"},
      {"ALTER TABLE t FORCE ROW LEVEL SECURITY", LockLevel::kAccessExclusive, "t"},
      {"ALTER TABLE t ALTER COLUMN a SET NOT NULL", LockLevel::kAccessExclusive, "t"},
      {"ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0)", LockLevel::kAccessExclusive, "t"},
      {"ALTER TABLE t VALIDATE CONSTRAINT k, ADD COLUMN c int", LockLevel::kAccessExclusive, "t"},
      {"ALTER TABLE p ATTACH PARTITION c FOR VALUES IN (1)", LockLevel::kAccessExclusive, "c"},
      {"ALTER TABLE t RENAME TO u", LockLevel::kAccessExclusive, "t"},
      {"ALTER TABLE t RENAME COLUMN a TO b", LockLevel::kAccessExclusive, "t"},
      {"CREATE POLICY p ON app.docs USING (true)", LockLevel::kAccessExclusive, "app.docs"},
      {"ALTER POLICY p ON t USING (false)", LockLevel::kAccessExclusive, "t"},
      {"DROP POLICY p ON t", LockLevel::kAccessExclusive, "t"},
      {"DROP TABLE t", LockLevel::kAccessExclusive, "t"},
      {"TRUNCATE t", LockLevel::kAccessExclusive, "t"},
      {"DROP INDEX i", LockLevel::kAccessExclusive, "i"},
      {"VACUUM FULL t", LockLevel::kAccessExclusive, "t"},
      {"REFRESH MATERIALIZED VIEW mv", LockLevel::kAccessExclusive, "mv"},
      {"CLUSTER t USING i", LockLevel::kAccessExclusive, "t"},
      {"LOCK t", LockLevel::kAccessExclusive, "t"},
      {"DROP SCHEMA s CASCADE", LockLevel::kAccessExclusive, ""},
      {"SECURITY LABEL ON TABLE t IS 'x'", LockLevel::kNone, ""},
  };
  for (const Case& c : cases) {
    AnalyzedStatement s = One(c.sql);
    EXPECT_EQ(LockLevelName(s.lock), std::string(LockLevelName(c.lock))) << c.sql;
    EXPECT_EQ(s.lock_target, c.target) << c.sql;
  }
}

// --- what the catalog gates look at -------------------------------------------------

TEST(SqlAnalysisObjects, TablesTouched) {
  struct Case {
    const char* sql;
    std::vector<SqlObject> touched;
  };
  const Case cases[] = {
      {"CREATE TABLE app.invoices (id uuid PRIMARY KEY, tenant_id uuid NOT NULL)",
       {Table("app", "invoices")}},
      {"ALTER TABLE app.docs ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY", {Table("app", "docs")}},
      {"CREATE POLICY tenant_isolation ON app.docs FOR SELECT TO app_user "
       "USING (tenant = current_setting('app.tenant'))",
       {Table("app", "docs")}},
      {"CREATE INDEX ON t (a)", {Table("", "t")}},
      {"GRANT SELECT, INSERT ON s.t, u TO app", {Table("s", "t"), Table("", "u")}},
      {"REVOKE ALL ON ALL TABLES IN SCHEMA s FROM app", {Obj("schema", "", "s")}},
      {"GRANT USAGE ON SCHEMA s TO app", {}},
      {"CREATE TRIGGER tr AFTER UPDATE ON t FOR EACH ROW EXECUTE FUNCTION f()", {Table("", "t")}},
      {"DROP TRIGGER tr ON s.t", {Table("s", "t")}},
      {"ALTER TABLE t RENAME COLUMN a TO b", {Table("", "t")}},
      {"CREATE TABLE p1 PARTITION OF p FOR VALUES IN (1)", {Table("", "p1"), Table("", "p")}},
      {"SELECT * INTO s.copy FROM t", {Table("s", "copy")}},
      {"CREATE TABLE t2 AS SELECT * FROM t", {Table("", "t2")}},
      {"CREATE SCHEMA s CREATE TABLE t (id int)", {Table("s", "t")}},
      {"DROP TABLE t", {}},
      {"INSERT INTO t VALUES (1)", {}},
      {"CREATE VIEW v AS SELECT * FROM t", {}},
      {"ALTER INDEX i SET (fillfactor = 50)", {}},
  };
  for (const Case& c : cases) EXPECT_EQ(One(c.sql).tables_touched, c.touched) << c.sql;
}

TEST(SqlAnalysisObjects, CreatesAltersDrops) {
  AnalyzedStatement policy = One("CREATE POLICY p ON app.docs USING (true)");
  EXPECT_EQ(policy.creates, (std::vector<SqlObject>{Obj("policy", "app", "p", "", "docs")}));
  EXPECT_EQ(One("DROP POLICY IF EXISTS p ON app.docs").drops,
            (std::vector<SqlObject>{Obj("policy", "app", "p", "", "docs")}));
  EXPECT_EQ(One("ALTER POLICY p ON t TO app").alters,
            (std::vector<SqlObject>{Obj("policy", "", "p", "", "t")}));

  AnalyzedStatement alter =
      One("ALTER TABLE t ADD COLUMN c int, ADD CONSTRAINT k UNIQUE (c), DROP CONSTRAINT old_k, "
          "ALTER COLUMN d SET NOT NULL");
  EXPECT_EQ(alter.creates,
            (std::vector<SqlObject>{Obj("column", "", "t", "c"), Obj("constraint", "", "k", "", "t")}));
  EXPECT_EQ(alter.drops, (std::vector<SqlObject>{Obj("constraint", "", "old_k", "", "t")}));
  EXPECT_EQ(alter.alters, (std::vector<SqlObject>{Table("", "t"), Obj("column", "", "t", "d")}));

  EXPECT_EQ(One("DROP INDEX s.i").drops, (std::vector<SqlObject>{Obj("index", "s", "i")}));
  EXPECT_EQ(One("CREATE TYPE mood AS ENUM ('ok')").creates,
            (std::vector<SqlObject>{Obj("type", "", "mood")}));
  EXPECT_EQ(One("CREATE FUNCTION s.f() RETURNS int LANGUAGE sql AS 'SELECT 1'").creates,
            (std::vector<SqlObject>{Obj("function", "s", "f")}));
  EXPECT_EQ(One("CREATE EXTENSION IF NOT EXISTS pgcrypto").creates,
            (std::vector<SqlObject>{Obj("extension", "", "pgcrypto")}));
  EXPECT_EQ(One("CREATE ROLE app_user NOLOGIN").creates,
            (std::vector<SqlObject>{Obj("role", "", "app_user")}));
  EXPECT_EQ(One("CREATE SCHEMA app").creates, (std::vector<SqlObject>{Obj("schema", "", "app")}));
  EXPECT_EQ(One("CREATE VIEW s.v AS SELECT 1").creates, (std::vector<SqlObject>{Obj("view", "s", "v")}));
  EXPECT_EQ(One("DROP FUNCTION f(int), s.g").drops,
            (std::vector<SqlObject>{Obj("function", "", "f"), Obj("function", "s", "g")}));
}

TEST(SqlAnalysisObjects, QualifiedName) {
  EXPECT_EQ(QualifiedName(Table("app", "t")), "app.t");
  EXPECT_EQ(QualifiedName(Table("", "t")), "t");
  EXPECT_EQ(QualifiedName(Obj("column", "app", "t", "c")), "app.t.c");
  EXPECT_EQ(QualifiedName(Obj("policy", "app", "p", "", "docs")), "p on app.docs");
  EXPECT_EQ(QualifiedName(Obj("index", "app", "i", "", "docs")), "app.i");
  EXPECT_EQ(QualifiedName(Obj("index", "app", "", "", "docs")), "(unnamed) on app.docs");
}

// --- positions and errors ------------------------------------------------------------

TEST(SqlAnalysisPositions, MultibyteTextBeforeAStatement) {
  std::vector<AnalyzedStatement> all =
      AnalyzeSql("-- déjà vu\nSELECT 'héllo';\n  SELECT 'wörld'; /* ünïcode */ DELETE FROM t");
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].span.line, 2);
  EXPECT_EQ(all[0].span.column, 1);
  EXPECT_EQ(all[1].span.line, 3);
  EXPECT_EQ(all[1].span.column, 3);
  EXPECT_EQ(all[2].span.text, "DELETE FROM t");
  EXPECT_EQ(all[2].span.line, 3);
  EXPECT_EQ(all[2].span.column, 33);
  EXPECT_EQ(all[2].unbounded_writes.size(), 1u);
}

TEST(SqlAnalysisPositions, SyntaxErrorIsPositionedInTheScript) {
  try {
    AnalyzeSql("SELECT 1;\n-- ü\nSELECT 'é' FROMM t;");
    FAIL() << "no error";
  } catch (const SqlSyntaxError& e) {
    EXPECT_STREQ(e.what(), "syntax error at or near \"t\"");
    EXPECT_EQ(e.line(), 3);
    EXPECT_EQ(e.column(), 18);
  }
}

// --- scale and pathological input ---------------------------------------------------------

TEST(SqlAnalysisScale, TenThousandStatements) {
  std::string sql;
  for (int i = 0; i < 2000; ++i) {
    std::string n = std::to_string(i);
    sql += "CREATE TABLE app.t" + n +
           " (id uuid PRIMARY KEY, tenant_id uuid NOT NULL REFERENCES tenants (id));\n";
    sql += "CREATE INDEX t" + n + "_tenant ON app.t" + n + " (tenant_id);\n";
    sql += "ALTER TABLE app.t" + n + " ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;\n";
    sql += "CREATE POLICY p ON app.t" + n + " USING (tenant_id = current_setting('app.tenant')::uuid);\n";
    sql += "UPDATE app.t" + n + " SET id = id WHERE tenant_id = 'é'; -- ünïcode\n";
  }
  auto start = std::chrono::steady_clock::now();
  std::vector<AnalyzedStatement> all = AnalyzeSql(sql);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(all.size(), 10000u);
  EXPECT_EQ(all.back().span.line, 10000);
  EXPECT_EQ(all.back().node_type, "UpdateStmt");
  EXPECT_EQ(all[9998].tables_touched, (std::vector<SqlObject>{Table("app", "t1999")}));
  std::printf("[ timing ] 10,000 statements (%zu bytes) analysed in %.3f s\n", sql.size(), seconds);
  // Well under a second at -O2; the bound is loose for sanitizer and debug builds.
  EXPECT_LT(seconds, 10.0);
}

TEST(SqlAnalysisScale, DeeplyNestedExpressionsDoNotCrash) {
  // A left-associative chain nests one tree level per term; libpg_query
  // writes its JSON recursively, so this needs the large-stack parse.
  std::string chain = "1";
  for (int i = 0; i < 100000; ++i) chain += "+1";
  AnalyzedStatement sum = One("SELECT " + chain);
  EXPECT_EQ(sum.node_type, "SelectStmt");
  EXPECT_FALSE(sum.changes_something);
  std::string short_chain = "1";
  for (int i = 0; i < 20000; ++i) short_chain += "+1";
  AnalyzedStatement del = One("DELETE FROM t WHERE " + short_chain + " = 0");
  EXPECT_TRUE(del.unbounded_writes.empty());  // too deep to prove true: not flagged

  std::string nots;
  for (int i = 0; i < 2000; ++i) nots += "NOT ";
  AnalyzedStatement negations = One("DELETE FROM t WHERE " + nots + "true");
  EXPECT_EQ(negations.node_type, "DeleteStmt");

  std::string arrays;
  for (int i = 0; i < 3000; ++i) arrays += "ARRAY[";
  arrays += "1";
  for (int i = 0; i < 3000; ++i) arrays += "]";
  EXPECT_FALSE(One("SELECT " + arrays).changes_something);

  std::string parens(3000, '(');
  parens += "my_func()" + std::string(3000, ')');
  EXPECT_TRUE(One("SELECT " + parens).changes_something);
}

}  // namespace
}  // namespace retort

namespace retort {
namespace {

TEST(SqlAnalysisCascade, DropCascadeIsMarked) {
  EXPECT_TRUE(AnalyzeSql("DROP TABLE t CASCADE").front().cascades);
  EXPECT_TRUE(AnalyzeSql("ALTER TABLE t DROP COLUMN c CASCADE").front().cascades);
  EXPECT_TRUE(AnalyzeSql("DO $$ BEGIN DROP SCHEMA s CASCADE; END $$").front().cascades);
  EXPECT_FALSE(AnalyzeSql("DROP TABLE t").front().cascades);
  EXPECT_FALSE(AnalyzeSql("ALTER TABLE t DROP COLUMN c").front().cascades);
}

}  // namespace
}  // namespace retort
