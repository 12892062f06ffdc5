#include "retort/pg/pg_database.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <memory>
#include <pqxx/pqxx>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "retort/common/version.h"
#include "retort/pg/connection_url.h"
#include "retort/db/ephemeral_cluster.h"
#include "retort/db/lock_key.h"
#include "support/test_database.h"

namespace retort {
namespace {

using testing::ScratchDatabase;
using testing::TestServerConninfo;

class PgDatabaseTest : public ::testing::Test {
 protected:
  std::unique_ptr<PgDatabase> Open(const Config& config = Config{}) {
    return std::make_unique<PgDatabase>(scratch_.conninfo(), config);
  }

  /// First column of the first row of a query run on a side connection
  /// ("" for NULL or no row).
  std::string Query(const std::string& sql) {
    pqxx::connection c(scratch_.conninfo());
    pqxx::nontransaction tx(c);
    pqxx::result r = tx.exec(sql);
    if (r.empty() || r[0][0].is_null()) return "";
    return r[0][0].c_str();
  }

  ScratchDatabase scratch_;
};

std::string What(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "<no exception>";
}

// --- version table ----------------------------------------------------------

TEST_F(PgDatabaseTest, ReadHeadsOnMissingTableCreatesNothing) {
  auto db = Open();
  EXPECT_FALSE(db->VersionTableExists());
  EXPECT_TRUE(db->ReadHeads().empty());
  EXPECT_EQ("", Query("SELECT to_regclass('alembic_version')::text"));
}

TEST_F(PgDatabaseTest, VersionTableHasAlembicsExactShape) {
  auto db = Open();
  db->EnsureVersionTable();
  EXPECT_TRUE(db->VersionTableExists());
  EXPECT_EQ("public", Query("SELECT table_schema FROM "
                            "information_schema.tables WHERE table_name = "
                            "'alembic_version'"));
  EXPECT_EQ("version_num|character varying(32)|true",
            Query("SELECT attname || '|' || format_type(atttypid, atttypmod) "
                  "|| '|' || attnotnull FROM pg_attribute WHERE attrelid = "
                  "'alembic_version'::regclass AND attnum > 0 AND NOT "
                  "attisdropped"));
  EXPECT_EQ("1", Query("SELECT count(*) FROM pg_attribute WHERE attrelid = "
                       "'alembic_version'::regclass AND attnum > 0"));
  EXPECT_EQ("alembic_version_pkc|p|PRIMARY KEY (version_num)",
            Query("SELECT conname || '|' || contype::text || '|' || "
                  "pg_get_constraintdef(oid) FROM pg_constraint WHERE "
                  "conrelid = 'alembic_version'::regclass"));
  // Idempotent, and quietly so.
  db->TakeNotices();
  db->EnsureVersionTable();
  EXPECT_TRUE(db->TakeNotices().empty());
  EXPECT_TRUE(db->ReadHeads().empty());
}

TEST_F(PgDatabaseTest, CustomTableAndMissingSchemaAreCreated) {
  Config config;
  config.version_table = "retort_version";
  config.version_table_schema = "meta";
  config.history_table = "audit";
  auto db = Open(config);
  EXPECT_FALSE(db->VersionTableExists());
  EXPECT_TRUE(db->ReadHeads().empty());
  EXPECT_EQ("", Query("SELECT nspname FROM pg_namespace WHERE nspname = "
                      "'meta'"));
  db->EnsureVersionTable();
  db->EnsureHistoryTable();
  EXPECT_EQ("retort_version_pkc|PRIMARY KEY (version_num)",
            Query("SELECT conname || '|' || pg_get_constraintdef(oid) FROM "
                  "pg_constraint WHERE conrelid = "
                  "'meta.retort_version'::regclass"));
  EXPECT_EQ("meta.audit", Query("SELECT 'meta.audit'::regclass::text"));
  EXPECT_EQ("", Query("SELECT to_regclass('public.retort_version')::text"));
  // The default table is not involved.
  EXPECT_EQ("", Query("SELECT to_regclass('alembic_version')::text"));

  // A second runner with the same config finds everything in place.
  auto again = Open(config);
  again->EnsureVersionTable();
  again->EnsureHistoryTable();
}

TEST_F(PgDatabaseTest, VersionChangesFollowAlembic) {
  auto db = Open();
  db->EnsureVersionTable();
  db->BeginStep(5000, 0);
  db->ApplyVersionChange({VersionChange::Kind::kInsert, "", "aaa"});
  db->ApplyVersionChange({VersionChange::Kind::kInsert, "", "bbb"});
  db->CommitStep();
  EXPECT_EQ((std::vector<std::string>{"aaa", "bbb"}), db->ReadHeads());

  db->BeginStep(5000, 0);
  db->ApplyVersionChange({VersionChange::Kind::kUpdate, "aaa", "ccc"});
  db->ApplyVersionChange({VersionChange::Kind::kDelete, "bbb", ""});
  db->CommitStep();
  EXPECT_EQ((std::vector<std::string>{"ccc"}), db->ReadHeads());

  db->BeginStep(5000, 0);
  try {
    db->ApplyVersionChange({VersionChange::Kind::kUpdate, "nope", "ddd"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(ExitCode::kStepFailed, e.code());
    EXPECT_STREQ(
        "Online migration expected to match one row when updating 'nope' to "
        "'ddd' in 'alembic_version'; 0 found",
        e.what());
  }
  try {
    db->ApplyVersionChange({VersionChange::Kind::kDelete, "gone", ""});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(ExitCode::kStepFailed, e.code());
    EXPECT_STREQ(
        "Online migration expected to match one row when deleting 'gone' in "
        "'alembic_version'; 0 found",
        e.what());
  }
  db->RollbackStep();
  EXPECT_EQ((std::vector<std::string>{"ccc"}), db->ReadHeads());

  // Outside a step it is a programming error, not SQL.
  EXPECT_THROW(
      db->ApplyVersionChange({VersionChange::Kind::kInsert, "", "x"}),
      std::logic_error);

  // Ids longer than the column fail like Alembic's (22001).
  db->BeginStep(5000, 0);
  try {
    db->ApplyVersionChange(
        {VersionChange::Kind::kInsert, "", std::string(33, 'a')});
    FAIL();
  } catch (const StatementError& e) {
    EXPECT_EQ("22001", e.sqlstate());
    EXPECT_STREQ("value too long for type character varying(32)", e.what());
  }
  db->RollbackStep();

  db->PurgeVersionTable();
  EXPECT_TRUE(db->ReadHeads().empty());
  EXPECT_TRUE(db->VersionTableExists());  // purge never drops the table
}

TEST_F(PgDatabaseTest, OneRowCheckCountsEveryMatch) {
  // A version table someone made without the primary key can hold
  // duplicates; the check must report how many rows matched.
  Query("CREATE TABLE alembic_version (version_num varchar(32) NOT NULL); "
        "INSERT INTO alembic_version VALUES ('dup'), ('dup')");
  auto db = Open();
  db->EnsureVersionTable();  // exists already: untouched
  db->BeginStep(0, 0);
  EXPECT_EQ(
      "Online migration expected to match one row when updating 'dup' to "
      "'new' in 'alembic_version'; 2 found",
      What([&] {
        db->ApplyVersionChange({VersionChange::Kind::kUpdate, "dup", "new"});
      }));
  db->RollbackStep();
  db->BeginStep(0, 0);
  EXPECT_EQ(
      "Online migration expected to match one row when deleting 'dup' in "
      "'alembic_version'; 2 found",
      What([&] {
        db->ApplyVersionChange({VersionChange::Kind::kDelete, "dup", ""});
      }));
  db->RollbackStep();
}

TEST_F(PgDatabaseTest, EnsureInsideAStepUsesASavepoint) {
  auto db = Open();
  db->BeginStep(0, 0);
  db->EnsureVersionTable();
  db->EnsureHistoryTable();
  db->ApplyVersionChange({VersionChange::Kind::kInsert, "", "r1"});
  db->CommitStep();
  EXPECT_EQ((std::vector<std::string>{"r1"}), db->ReadHeads());
}

TEST_F(PgDatabaseTest, ConcurrentCreatorsBothSucceed) {
  for (int round = 0; round < 4; ++round) {
    Config config;
    config.version_table_schema = "race_" + std::to_string(round);
    auto a = Open(config);
    auto b = Open(config);
    std::string error_a, error_b;
    std::thread ta([&] { error_a = What([&] { a->EnsureVersionTable(); }); });
    std::thread tb([&] { error_b = What([&] { b->EnsureVersionTable(); }); });
    ta.join();
    tb.join();
    EXPECT_EQ("<no exception>", error_a);
    EXPECT_EQ("<no exception>", error_b);
    EXPECT_TRUE(a->VersionTableExists());
  }
}

// --- history ----------------------------------------------------------------

TEST_F(PgDatabaseTest, HistoryRowsRoundTrip) {
  auto db = Open();
  EXPECT_TRUE(db->ReadHistory().empty());
  db->EnsureHistoryTable();
  EXPECT_EQ("id|bigint,revision|character varying(32),direction|text,"
            "checksum|text,db_user|text,client_host|text,started_at|"
            "timestamp with time zone,duration_ms|bigint,retort_version|text",
            Query("SELECT string_agg(attname || '|' || format_type(atttypid, "
                  "atttypmod), ',' ORDER BY attnum) FROM pg_attribute WHERE "
                  "attrelid = 'retort_history'::regclass AND attnum > 0"));
  const auto started = std::chrono::system_clock::time_point(
      std::chrono::milliseconds(1795680000123LL));  // 2026-11-26T08:00:00.123Z
  db->BeginStep(0, 0);
  db->InsertHistory({"3f1c2a9b7d10", PlannedStep::Kind::kUpgrade,
                     std::string(64, 'a'), started, 41});
  db->InsertHistory({"3f1c2a9b7d10", PlannedStep::Kind::kDowngrade, "",
                     started, 7});
  db->InsertHistory({"8c4e51f0a2b3", PlannedStep::Kind::kStamp, "", started,
                     0});
  db->CommitStep();
  std::vector<HistoryRow> rows = db->ReadHistory();
  ASSERT_EQ(3u, rows.size());
  EXPECT_EQ("3f1c2a9b7d10", rows[0].revision);
  EXPECT_EQ("upgrade", rows[0].direction);
  EXPECT_EQ(std::string(64, 'a'), rows[0].checksum);
  EXPECT_EQ(db->CurrentUser(), rows[0].db_user);
  EXPECT_EQ(Query("SELECT COALESCE(host(inet_client_addr()), 'local')"),
            rows[0].client_host);
  EXPECT_EQ("2026-11-26T08:00:00.123Z", rows[0].started_at);
  EXPECT_EQ(41, rows[0].duration_ms);
  EXPECT_EQ(kVersion, rows[0].retort_version);
  EXPECT_LT(rows[0].id, rows[1].id);
  EXPECT_EQ("downgrade", rows[1].direction);
  EXPECT_EQ("", rows[1].checksum);
  EXPECT_EQ("", Query("SELECT checksum FROM retort_history WHERE id = " +
                      std::to_string(rows[1].id)));  // stored as NULL
  EXPECT_EQ("stamp", rows[2].direction);
}

TEST_F(PgDatabaseTest, HistoryDisabledTouchesNothing) {
  Config config;
  config.history_table = std::nullopt;
  auto db = Open(config);
  db->EnsureHistoryTable();
  db->BeginStep(0, 0);
  db->InsertHistory({"r", PlannedStep::Kind::kUpgrade, "", {}, 1});
  db->CommitStep();
  EXPECT_TRUE(db->ReadHistory().empty());
  EXPECT_EQ("0", Query("SELECT count(*) FROM pg_class WHERE relname LIKE "
                       "'retort_history%'"));
}

TEST_F(PgDatabaseTest, HistoryRowsKeepTheirPlaceAmongTheStepsStatements) {
  // The row is sent with COMMIT, unless another statement comes first.
  auto db = Open();
  db->EnsureHistoryTable();
  db->BeginStep(0, 0);
  db->InsertHistory({"r1", PlannedStep::Kind::kUpgrade, "", {}, 1});
  db->ExecScript("CREATE TABLE seen AS SELECT count(*) AS n FROM retort_history");
  db->InsertHistory({"r2", PlannedStep::Kind::kUpgrade, "", {}, 1});
  db->CommitStep();
  EXPECT_EQ("1", Query("SELECT n FROM seen"));
  EXPECT_EQ("r1,r2", Query("SELECT string_agg(revision, ',' ORDER BY id) FROM retort_history"));
  // A rolled-back step leaves no row.
  db->BeginStep(0, 0);
  db->InsertHistory({"r3", PlannedStep::Kind::kUpgrade, "", {}, 1});
  db->RollbackStep();
  EXPECT_EQ("2", Query("SELECT count(*) FROM retort_history"));
}

TEST_F(PgDatabaseTest, AFailingHistoryRowRollsTheStepBack) {
  auto db = Open();
  db->EnsureVersionTable();
  db->EnsureHistoryTable();
  Query("DROP TABLE retort_history");  // by someone else, after it was seen
  db->BeginStep(0, 0);
  db->ExecScript("CREATE TABLE made_in_step (id int)");
  db->ApplyVersionChange({VersionChange::Kind::kInsert, "", "r1"});
  db->InsertHistory({"r1", PlannedStep::Kind::kUpgrade, "", {}, 1});
  try {
    db->CommitStep();
    FAIL();
  } catch (const StatementError& e) {
    EXPECT_EQ("42P01", e.sqlstate());
  }
  EXPECT_FALSE(db->InStep());
  EXPECT_EQ("", Query("SELECT to_regclass('made_in_step')::text"));
  EXPECT_TRUE(db->ReadHeads().empty());
  // The session is usable and looks the table up again.
  db->EnsureHistoryTable();
  EXPECT_EQ("retort_history", Query("SELECT to_regclass('retort_history')::text"));
}

TEST_F(PgDatabaseTest, ReadHeadsAfterTheVersionTableWasDroppedElsewhere) {
  auto db = Open();
  db->EnsureVersionTable();
  db->BeginStep(0, 0);
  db->ApplyVersionChange({VersionChange::Kind::kInsert, "", "r1"});
  db->CommitStep();
  EXPECT_EQ((std::vector<std::string>{"r1"}), db->ReadHeads());
  Query("DROP TABLE alembic_version");
  EXPECT_TRUE(db->ReadHeads().empty());
  EXPECT_FALSE(db->VersionTableExists());
  db->EnsureVersionTable();
  EXPECT_TRUE(db->VersionTableExists());
  EXPECT_TRUE(db->ReadHeads().empty());
  // A version table created inside a step that rolls back is forgotten.
  Query("DROP TABLE alembic_version");
  db->BeginStep(0, 0);
  db->EnsureVersionTable();
  db->RollbackStep();
  EXPECT_TRUE(db->ReadHeads().empty());
  EXPECT_FALSE(db->VersionTableExists());
}

// --- steps ------------------------------------------------------------------

TEST_F(PgDatabaseTest, StepSetsLocalTimeoutsOnly) {
  auto db = Open();
  db->BeginStep(1234, 5678);
  db->ExecScript(
      "CREATE TABLE seen AS SELECT current_setting('lock_timeout') AS lt, "
      "current_setting('statement_timeout') AS st");
  db->CommitStep();
  EXPECT_EQ("1234ms|5678ms", Query("SELECT lt || '|' || st FROM seen"));
  db->BeginStep(0, 0);
  db->ExecScript("CREATE TABLE after_step AS SELECT "
                 "current_setting('lock_timeout') AS lt");
  db->CommitStep();
  EXPECT_EQ("0", Query("SELECT lt FROM after_step"));
}

TEST_F(PgDatabaseTest, FailingStatementReportsSqlstatePositionAndMessage) {
  auto db = Open();
  db->BeginStep(0, 0);
  const std::string script =
      "CREATE TABLE created_then_rolled_back (id int);\n"
      "-- d\xc3\xa9j\xc3\xa0 vu: two multibyte characters before the error\n"
      "SELECT * FROM missing_table;\n";
  try {
    db->ExecScript(script);
    FAIL();
  } catch (const StatementError& e) {
    EXPECT_EQ(ExitCode::kStepFailed, e.code());
    EXPECT_EQ("42P01", e.sqlstate());
    EXPECT_STREQ("relation \"missing_table\" does not exist", e.what());
    // 1-based, in characters: the byte offset minus the two extra bytes.
    const int byte_offset = static_cast<int>(script.find("missing_table"));
    EXPECT_EQ(byte_offset + 1 - 2, e.position());
  }
  db->RollbackStep();
  EXPECT_FALSE(db->InStep());
  // A step rolled back leaves nothing.
  EXPECT_EQ("", Query("SELECT to_regclass('created_then_rolled_back')::text"));

  db->BeginStep(0, 0);
  try {
    db->ExecScript("SELECT 1;\nSELEC 2;");
    FAIL();
  } catch (const StatementError& e) {
    EXPECT_EQ("42601", e.sqlstate());
    EXPECT_STREQ("syntax error at or near \"SELEC\"", e.what());
    EXPECT_EQ(11, e.position());
  }
  db->RollbackStep();

  db->BeginStep(0, 0);
  try {
    db->ExecScript(
        "DO $$ BEGIN RAISE EXCEPTION 'boom %', 42 USING DETAIL = 'the "
        "detail', HINT = 'the hint'; END $$");
    FAIL();
  } catch (const StatementError& e) {
    EXPECT_EQ("P0001", e.sqlstate());
    EXPECT_STREQ("boom 42", e.what());
    EXPECT_EQ(0, e.position());
    EXPECT_EQ("the detail", e.detail());
    EXPECT_EQ("the hint", e.hint());
    EXPECT_NE(std::string::npos, e.context().find("PL/pgSQL function"));
  }
  db->RollbackStep();
}

TEST_F(PgDatabaseTest, ExecStatementsStopsAtTheFirstFailureAndSaysWhich) {
  auto db = Open();
  db->BeginStep(0, 0);
  StatementsOutcome ran = db->ExecStatements(
      {"CREATE TABLE piped (id int)", "INSERT INTO piped VALUES (1), (2)", "SELECT count(*) FROM piped"});
  EXPECT_FALSE(ran.failed.has_value());
  // Position is relative to the failing statement's own text; the
  // statements after it do not run.
  ran = db->ExecStatements({"INSERT INTO piped VALUES (3)", "SELECT nope FROM piped", "CREATE TABLE after_failure ()"});
  ASSERT_TRUE(ran.failed.has_value());
  EXPECT_EQ(1u, *ran.failed);
  ASSERT_TRUE(ran.error.has_value());
  EXPECT_EQ("42703", ran.error->sqlstate());
  EXPECT_EQ(8, ran.error->position());
  db->RollbackStep();
  EXPECT_EQ("", Query("SELECT to_regclass('piped')::text"));
  EXPECT_EQ("", Query("SELECT to_regclass('after_failure')::text"));

  // Batches larger than one round trip's worth run in order; the failure's
  // index counts across batches.
  std::vector<std::string> many;
  const std::string padding(4000, ' ');
  for (int i = 0; i < 200; ++i) many.push_back("INSERT INTO big VALUES (" + std::to_string(i) + ")" + padding);
  many.insert(many.begin(), "CREATE TABLE big (id int PRIMARY KEY)");
  many.push_back("INSERT INTO big VALUES (7)");
  db->BeginStep(0, 0);
  ran = db->ExecStatements(many);
  ASSERT_TRUE(ran.failed.has_value());
  EXPECT_EQ(many.size() - 1, *ran.failed);
  EXPECT_EQ("23505", ran.error->sqlstate());
  db->RollbackStep();

  db->BeginStep(0, 0);
  ran = db->ExecStatements(std::vector<std::string>(many.begin(), many.end() - 1));
  EXPECT_FALSE(ran.failed.has_value());
  db->CommitStep();
  EXPECT_EQ("200", Query("SELECT count(*) FROM big"));
}

TEST_F(PgDatabaseTest, TheHeadsReadWithCommitAreTheCommittedOnes) {
  auto db = Open();
  db->EnsureVersionTable();
  db->BeginStep(0, 0);
  db->ApplyVersionChange(VersionChange{VersionChange::Kind::kInsert, "", "r1"});
  db->CommitStep();
  EXPECT_EQ((std::vector<std::string>{"r1"}), db->ReadHeads());
  // Read once: a later ReadHeads asks the server again.
  Query("INSERT INTO alembic_version VALUES ('r0')");
  EXPECT_EQ((std::vector<std::string>{"r0", "r1"}), db->ReadHeads());
}

TEST_F(PgDatabaseTest, CommitOfAFailedTransactionIsAnError) {
  auto db = Open();
  db->BeginStep(0, 0);
  EXPECT_THROW(db->ExecScript("SELECT 1/0"), StatementError);
  try {
    db->CommitStep();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(ExitCode::kStepFailed, e.code());
    EXPECT_STREQ("the step's transaction had failed, so COMMIT rolled it back",
                 e.what());
  }
  EXPECT_FALSE(db->InStep());
  db->BeginStep(0, 0);  // the connection is usable again
  db->CommitStep();
}

TEST_F(PgDatabaseTest, SavepointsAreIssuedByHand) {
  auto db = Open();
  db->BeginStep(0, 0);
  db->ExecScript("CREATE TABLE t (id int PRIMARY KEY)");
  db->Savepoint("isolation probe");
  db->ExecScript("INSERT INTO t VALUES (1)");
  db->RollbackToSavepoint("isolation probe");
  db->ReleaseSavepoint("isolation probe");
  db->Savepoint("round_trip");
  db->ExecScript("INSERT INTO t VALUES (2)");
  EXPECT_THROW(db->ExecScript("INSERT INTO t VALUES (2)"), StatementError);
  db->RollbackToSavepoint("round_trip");  // the transaction lives on
  db->ExecScript("INSERT INTO t VALUES (3)");
  db->ReleaseSavepoint("round_trip");
  db->CommitStep();
  EXPECT_EQ("3", Query("SELECT string_agg(id::text, ',') FROM t"));
}

TEST_F(PgDatabaseTest, AutocommitStatementRunsConcurrently) {
  auto db = Open();
  db->ExecStatementAutocommit("CREATE TABLE big (id int, tenant_id int)");
  db->ExecStatementAutocommit(
      "CREATE INDEX CONCURRENTLY big_tenant_idx ON big (tenant_id)");
  EXPECT_EQ("big_tenant_idx",
            Query("SELECT to_regclass('big_tenant_idx')::text"));
  db->BeginStep(0, 0);
  EXPECT_THROW(db->ExecStatementAutocommit("SELECT 1"), std::logic_error);
  try {
    db->ExecScript("CREATE INDEX CONCURRENTLY big_id_idx ON big (id)");
    FAIL();
  } catch (const StatementError& e) {
    EXPECT_EQ("25001", e.sqlstate());
  }
  db->RollbackStep();
}

TEST_F(PgDatabaseTest, CopyInScriptsFailsInsteadOfHanging) {
  auto db = Open();
  db->ExecScript("");  // an empty script is fine
  db->ExecScript("CREATE TABLE c (v int); COPY c TO STDOUT; SELECT 1");
  db->BeginStep(0, 0);
  try {
    db->ExecScript("COPY c FROM STDIN; SELECT 1");
    FAIL();
  } catch (const StatementError& e) {
    EXPECT_EQ("57014", e.sqlstate());
    EXPECT_STREQ(
        "COPY from stdin failed: COPY FROM STDIN is not supported in retort "
        "scripts",
        e.what());
  }
  db->RollbackStep();
  db->BeginStep(0, 0);  // the connection is in a clean state
  db->CommitStep();
}

TEST_F(PgDatabaseTest, NoticesAreCollected) {
  auto db = Open();
  db->ExecScript(
      "DO $$ BEGIN RAISE NOTICE 'hello %', 1; RAISE WARNING 'careful'; END "
      "$$; DROP TABLE IF EXISTS never_there");
  EXPECT_EQ((std::vector<std::string>{
                "NOTICE:  hello 1", "WARNING:  careful",
                "NOTICE:  table \"never_there\" does not exist, skipping"}),
            db->TakeNotices());
  EXPECT_TRUE(db->TakeNotices().empty());
}

TEST_F(PgDatabaseTest, RollbackWithoutTransactionIsQuiet) {
  auto db = Open();
  db->RollbackStep();
  EXPECT_TRUE(db->TakeNotices().empty());
}

TEST_F(PgDatabaseTest, DescribesTheTargetAndNamesItself) {
  auto db = Open();
  EXPECT_EQ(DescribeTarget(scratch_.conninfo()), db->Describe());
  EXPECT_NE(std::string::npos, db->Describe().find("/" + scratch_.name()));
  EXPECT_FALSE(db->ServerVersion().empty());
  db->ExecScript("CREATE TABLE app AS SELECT current_setting("
                 "'application_name') AS n, current_setting("
                 "'client_encoding') AS e");
  EXPECT_EQ("retort|UTF8", Query("SELECT n || '|' || e FROM app"));
  // The user's own application_name wins.
  PgDatabase named(scratch_.conninfo() + " application_name=deployer",
                   Config{});
  named.ExecScript("CREATE TABLE app2 AS SELECT current_setting("
                   "'application_name') AS n");
  EXPECT_EQ("deployer", Query("SELECT n FROM app2"));
}

// --- run lock ---------------------------------------------------------------

TEST_F(PgDatabaseTest, RunLockTimesOutNamingTheHolder) {
  auto holder = Open();
  holder->AcquireRunLock(1000);
  holder->AcquireRunLock(1000);  // held already: no-op
  EXPECT_EQ(RunLockKey("public", "alembic_version"), holder->run_lock_key());
  EXPECT_EQ("0", Query("SELECT current_setting('lock_timeout')"));

  auto waiter = Open();
  const auto start = std::chrono::steady_clock::now();
  try {
    waiter->AcquireRunLock(400);
    FAIL() << "took a held lock";
  } catch (const Error& e) {
    const auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_GE(waited, std::chrono::milliseconds(400));
    EXPECT_LT(waited, std::chrono::milliseconds(3000));
    EXPECT_EQ(ExitCode::kUnreachable, e.code());
    const std::string msg = e.what();
    const std::string want =
        "could not take the run lock on public.alembic_version within 400 "
        "ms: held by pid " +
        std::to_string(holder->BackendPid()) +
        " (application_name 'retort') since ";
    EXPECT_EQ(want, msg.substr(0, want.size())) << msg;
    EXPECT_EQ(" UTC", msg.substr(msg.size() - 4)) << msg;
  }
  // The wait changed no session setting of the waiter.
  waiter->ExecScript("CREATE TABLE lt AS SELECT "
                     "current_setting('lock_timeout') AS v");
  EXPECT_EQ("0", Query("SELECT v FROM lt"));

  holder->ReleaseRunLock();
  holder->ReleaseRunLock();  // no-op
  waiter->AcquireRunLock(1000);
  waiter->ReleaseRunLock();
}

TEST_F(PgDatabaseTest, RunLockWaitsForARelease) {
  auto holder = Open();
  holder->AcquireRunLock(1000);
  auto waiter = Open();
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    holder->ReleaseRunLock();
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_NO_THROW(waiter->AcquireRunLock(5000));
  release.join();
  EXPECT_GE(std::chrono::steady_clock::now() - start,
            std::chrono::milliseconds(250));
}

TEST_F(PgDatabaseTest, RunLockKeyFollowsSchemaAndTable) {
  Config config;
  config.version_table = "retort_version";
  config.version_table_schema = "meta";
  auto a = Open(config);
  a->AcquireRunLock(1000);
  EXPECT_EQ(RunLockKey("meta", "retort_version"), a->run_lock_key());
  // Another table does not wait for it.
  auto b = Open();
  b->AcquireRunLock(100);
}

// --- connection failures ----------------------------------------------------

int UnusedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

TEST(PgDatabaseConnectTest, BadUrlIsUnreachableWithoutPassword) {
  try {
    PgDatabase db("postgresql://app:Sup3r-Secret@127.0.0.1/db?bogus=1",
                  Config{});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(ExitCode::kUnreachable, e.code());
    EXPECT_EQ(std::string::npos, std::string(e.what()).find("Sup3r-Secret"))
        << e.what();
  }
}

TEST(PgDatabaseConnectTest, ServerDownIsUnreachableWithoutPassword) {
  const std::string port = std::to_string(UnusedPort());
  try {
    PgDatabase db("postgresql+psycopg2://app:Sup3r-Secret@127.0.0.1:" + port +
                      "/appdb?connect_timeout=5",
                  Config{});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(ExitCode::kUnreachable, e.code());
    const std::string msg = e.what();
    EXPECT_EQ(0u, msg.find("cannot connect to app@127.0.0.1:" + port +
                           "/appdb: connection to server at \"127.0.0.1\", "
                           "port " + port + " failed: Connection refused"))
        << msg;
    EXPECT_EQ(std::string::npos, msg.find("Sup3r-Secret")) << msg;
  }
}

TEST(PgDatabaseConnectTest, WrongPasswordIsUnreachableAndMasked) {
  // The shared test server may trust everyone; this one demands passwords
  // over TCP, so the password path is really exercised.
  EphemeralClusterOptions options;
  options.superuser_password = "Admin-Pw-4242";
  EphemeralCluster cluster(options);
  {
    PgDatabase admin(cluster.SocketConninfo(), Config{});
    admin.ExecStatementAutocommit(
        "CREATE ROLE deployer LOGIN PASSWORD 'Right-Pw-1717'");
  }
  const std::string base =
      "postgresql://deployer:%s@127.0.0.1:" + std::to_string(cluster.port()) +
      "/postgres";
  auto url = [&](const std::string& pw) {
    std::string u = base;
    return u.replace(u.find("%s"), 2, pw);
  };
  PgDatabase right(url("Right-Pw-1717"), Config{});
  EXPECT_EQ("deployer", right.CurrentUser());
  for (const std::string& wrong :
       {std::string("Wrong-Pw-9191"), std::string("deployer")}) {
    try {
      PgDatabase db(url(wrong), Config{});
      FAIL() << "connected with a wrong password";
    } catch (const Error& e) {
      EXPECT_EQ(ExitCode::kUnreachable, e.code());
      const std::string msg = e.what();
      EXPECT_NE(std::string::npos,
                msg.find("password authentication failed for user"))
          << msg;
      if (wrong != "deployer") {
        EXPECT_EQ(std::string::npos, msg.find(wrong)) << msg;
      } else {
        // Even a password equal to the user name is masked wherever the
        // text would show it.
        EXPECT_EQ(std::string::npos, msg.find("deployer")) << msg;
      }
    }
  }
  // Keyword form with a quoted wrong password.
  try {
    PgDatabase db("host=127.0.0.1 port=" + std::to_string(cluster.port()) +
                      " user=deployer dbname=postgres password='Wr ong'",
                  Config{});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string::npos, std::string(e.what()).find("Wr ong"));
  }
}

TEST(PgDatabaseConnectTest, LostConnectionIsReportedNotHidden) {
  ScratchDatabase scratch;
  PgDatabase db(scratch.conninfo(), Config{});
  db.AcquireRunLock(1000);
  {
    PgDatabase killer(scratch.conninfo(), Config{});
    killer.ExecScript("SELECT pg_terminate_backend(" +
                      std::to_string(db.BackendPid()) + ")");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // No silent reconnect: that would have dropped the advisory lock.
  try {
    db.ReadHeads();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(ExitCode::kUnreachable, e.code());
  }
  try {
    db.BeginStep(0, 0);  // sent with the step's first statement
    db.ExecScript("SELECT 1");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(ExitCode::kUnreachable, e.code());
    EXPECT_EQ(0u, std::string(e.what()).find("lost the connection to "))
        << e.what();
  }
  db.RollbackStep();  // never throws
}

}  // namespace
}  // namespace retort
