#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "retort/common/error.h"
#include "retort/db/catalog_facts.h"
#include "retort/plan/step.h"

namespace retort {

/// A statement the server rejected (exit 1: a step failed). what() is the
/// server's primary message ("relation \"x\" does not exist": no "ERROR:  "
/// prefix, no trailing newline); hint() is the server's HINT, if any.
class StatementError : public Error {
 public:
  StatementError(std::string sqlstate, const std::string& message,
                 int position, std::string detail = {},
                 std::string server_hint = {}, std::string context = {})
      : Error(ExitCode::kStepFailed, message, std::move(server_hint)),
        sqlstate_(std::move(sqlstate)),
        position_(position),
        detail_(std::move(detail)),
        context_(std::move(context)) {}

  /// Five-character SQLSTATE ("42P01"); "" if the server sent none.
  const std::string& sqlstate() const { return sqlstate_; }
  /// 1-based position, counted in characters, of the error in the text that
  /// was executed (the whole script for ExecScript); 0 if none was given.
  int position() const { return position_; }
  /// The server's DETAIL line ("" if none).
  const std::string& detail() const { return detail_; }
  /// The server's CONTEXT (e.g. "PL/pgSQL function f() line 3 at RAISE").
  const std::string& context() const { return context_; }
  /// "<message> (SQLSTATE <code>)", or the message alone without a code.
  std::string Summary() const {
    return std::string(what()) + (sqlstate_.empty() ? "" : " (SQLSTATE " + sqlstate_ + ")");
  }

 private:
  std::string sqlstate_;
  int position_;
  std::string detail_;
  std::string context_;
};

/// One row to append to the history table.
struct HistoryEntry {
  std::string revision;
  PlannedStep::Kind direction = PlannedStep::Kind::kUpgrade;
  /// SHA-256 hex of the revision's three files ("" stores NULL).
  std::string checksum;
  std::chrono::system_clock::time_point started_at;
  std::int64_t duration_ms = 0;
};

/// One row read back from the history table.
struct HistoryRow {
  std::int64_t id = 0;
  std::string revision;
  std::string direction;  ///< "upgrade", "downgrade" or "stamp"
  std::string checksum;   ///< "" when NULL
  std::string db_user;
  std::string client_host;  ///< inet_client_addr(), or "local" (socket)
  std::string started_at;   ///< UTC, "2026-11-26T08:00:00.123Z"
  std::int64_t duration_ms = 0;
  std::string retort_version;
};

/// One statement of a batched isolation probe (Database::RunProbeBatch),
/// run with the tenant context set to `context` first.
struct ProbeAction {
  enum class Kind {
    kExec,            ///< `sql` with $1 bound to tenant_id (ExecWithTenant)
    kVisibleTenants,  ///< VisibleTenants(table, tenant_column)
    kMoveTenantRows,  ///< MoveTenantRows(table, tenant_column, tenant_id, to_tenant)
  };
  Kind kind = Kind::kExec;
  std::string context;
  std::string sql;
  std::string tenant_id;
  std::string table, tenant_column, to_tenant;
};

/// What one probe action gave.
struct ProbeActionResult {
  bool ok = false;
  std::string error;                 ///< StatementError::Summary() when !ok
  std::vector<std::string> tenants;  ///< kVisibleTenants: sorted, NULL as ""
  long long affected = 0;            ///< kMoveTenantRows: rows updated
};

/// What a batched probe gave: whether every seed (and the role switch) took,
/// and, when they did, one result per case.
struct ProbeBatchResult {
  bool setup_ok = false;
  std::vector<ProbeActionResult> cases;
};

/// What Database::ExecStatements gave: the statement that failed and its
/// error; neither when every statement ran.
struct StatementsOutcome {
  std::optional<size_t> failed;
  std::optional<StatementError> error;
};

/// What Database::TryStatements gave: the statement that failed and its
/// error, or the fingerprint after all of them.
struct TryResult {
  std::optional<size_t> failed;
  std::optional<StatementError> error;
  std::vector<std::string> fingerprint;
};

/// The database seam: everything retort asks of a PostgreSQL server, one
/// method per need. PgDatabase is the real one; tests may fake it.
/// Errors: Error(kUnreachable) when the connection is lost or the run lock
/// is not acquired in time; StatementError for SQL the server rejects;
/// Error(kStepFailed) when the version table does not hold what a change
/// expects.
class Database {
 public:
  virtual ~Database() = default;

  /// "user@host:port/dbname", for messages. Never contains a password.
  virtual std::string Describe() const = 0;
  /// `SHOW server_version` ("15.18 (Debian 15.18-1.pgdg120+1)").
  virtual std::string ServerVersion() = 0;
  /// `current_user`.
  virtual std::string CurrentUser() = 0;

  // --- version table (alembic_version) ------------------------------------

  /// Does the configured version table exist (resolved like Alembic: in
  /// version_table_schema, else along the search_path)?
  virtual bool VersionTableExists() = 0;
  /// The rows of the version table, sorted; empty when the table is
  /// missing. Never creates anything.
  virtual std::vector<std::string> ReadHeads() = 0;
  /// Creates the version table (and its schema, when version_table_schema
  /// names a missing one) with Alembic's exact DDL. Idempotent; a concurrent
  /// creator winning the race is not an error. Inside a step it works under
  /// a savepoint; outside, in its own transaction.
  virtual void EnsureVersionTable() = 0;
  /// Applies one row change inside the current step transaction (required),
  /// with Alembic's semantics: UPDATE and DELETE must touch exactly one row,
  /// else Error(kStepFailed, "Online migration expected to match one row
  /// when updating '<from>' to '<to>' in '<table>'; <n> found").
  virtual void ApplyVersionChange(const VersionChange& change) = 0;
  /// Deletes every row (stamp --purge). Never drops the table.
  virtual void PurgeVersionTable() = 0;

  // --- history table (retort_history; disabled when history_table is null)

  /// Creates the history table (next to the version table) if missing.
  /// No-op when history is disabled. Same transaction rules as
  /// EnsureVersionTable.
  virtual void EnsureHistoryTable() = 0;
  /// Appends a row (db_user = current_user, client_host =
  /// inet_client_addr() or 'local', retort_version = this build). No-op when
  /// history is disabled. Call it inside the step transaction.
  virtual void InsertHistory(const HistoryEntry& entry) = 0;
  /// All rows by id; empty when disabled or the table is missing.
  virtual std::vector<HistoryRow> ReadHistory() = 0;

  // --- run lock -------------------------------------------------------------

  /// Takes the session-level advisory lock on RunLockKey(schema, table),
  /// waiting at most lock_wait_ms (0: no limit). On timeout
  /// Error(kUnreachable) naming the holder's pid, application_name and
  /// since when. No session setting (lock_timeout) is changed.
  virtual void AcquireRunLock(long lock_wait_ms) = 0;
  /// Releases it (no-op when not held).
  virtual void ReleaseRunLock() = 0;

  // --- step transactions ----------------------------------------------------

  /// BEGIN; SET LOCAL lock_timeout / statement_timeout (ms; 0 = none),
  /// sent with the step's first query (one round trip less per step): a
  /// lost connection shows there, not here.
  virtual void BeginStep(long lock_timeout_ms, long statement_timeout_ms) = 0;
  /// Runs a whole script text as one simple-protocol query (several
  /// statements allowed). Throws StatementError whose position() is
  /// relative to `sql`.
  virtual void ExecScript(const std::string& sql) = 0;
  /// Runs each statement (one per string, no COPY) in the step's
  /// transaction, in order, pipelined: a round trip per batch of texts
  /// rather than per statement. Stops at the first that fails (the
  /// transaction is then aborted) and says which; its position() is
  /// relative to that statement's text.
  virtual StatementsOutcome ExecStatements(const std::vector<std::string>& statements) = 0;
  /// SchemaFingerprintOf(schemas, scope) into `*before`, then
  /// ExecStatements(statements), in the same round trip (a step's "before"
  /// and its script). The fingerprint is read whatever the statements do.
  virtual StatementsOutcome ExecStatementsAfterFingerprint(const std::vector<std::string>& statements,
                                                           const std::vector<std::string>& schemas,
                                                           const FingerprintScope& scope,
                                                           std::vector<std::string>* before) = 0;
  /// Runs one statement outside any transaction (transactional: false
  /// revisions: CREATE INDEX CONCURRENTLY...). Not allowed inside a step.
  virtual void ExecStatementAutocommit(const std::string& sql) = 0;
  /// SAVEPOINT / ROLLBACK TO SAVEPOINT / RELEASE SAVEPOINT <name> (quoted).
  virtual void Savepoint(const std::string& name) = 0;
  virtual void RollbackToSavepoint(const std::string& name) = 0;
  virtual void ReleaseSavepoint(const std::string& name) = 0;
  /// COMMIT. If the transaction had failed (the server turns COMMIT into
  /// ROLLBACK) this throws Error(kStepFailed).
  virtual void CommitStep() = 0;
  /// ROLLBACK. Never throws: a lost connection rolls back by itself.
  virtual void RollbackStep() = 0;
  /// Is a step transaction open?
  virtual bool InStep() const = 0;

  /// Server notices and warnings received since the last call, oldest first,
  /// as libpq formats them without the trailing newline
  /// ("NOTICE:  table \"t\" does not exist, skipping").
  virtual std::vector<std::string> TakeNotices() = 0;

  // --- schema fingerprint (SPEC §5) ----------------------------------------

  /// Canonical, sorted (byte order), OID-free text of the managed schemas,
  /// one object per line, "<kind> <qualified name> <definition>", names
  /// quoted only where SQL needs it ("column public.users.email text NOT
  /// NULL"): two equal schemas give equal text, and a diff of the lines says
  /// what differs. Kinds: schema, table, partitioned-table, view, matview,
  /// foreign-table, sequence, rls, column, attribute, constraint, index,
  /// policy, trigger, rule, statistics, function, procedure, aggregate,
  /// type, extension, grant. Objects of extensions, and retort's own
  /// version and history tables (with their indexes, constraints and
  /// sequences), are left out. Read with search_path = pg_catalog, so every
  /// name in a definition is schema-qualified whatever the session's
  /// search_path; newlines inside definitions appear as "\n". Inside a step
  /// it works under a savepoint it rolls back (the step's state is
  /// untouched); outside, in a read-only transaction. Its query is prepared
  /// once per connection and planned once (a generic plan), so a call costs
  /// its execution only; the cost grows with the managed schemas' objects
  /// (each definition is deparsed): use SchemaFingerprintOf when only some
  /// objects can have changed.
  virtual std::vector<std::string> SchemaFingerprint(
      const std::vector<std::string>& schemas) = 0;
  /// SchemaFingerprint restricted to `scope`, in exactly the same line
  /// format (a line of the scoped fingerprint is a line of the full one);
  /// objects of the scope that do not exist give no line. Extensions are
  /// never in a scope. Same transaction rules as SchemaFingerprint. Cost
  /// independent of the number of objects outside the scope (index look-ups
  /// by name, a plan prepared once per connection).
  virtual std::vector<std::string> SchemaFingerprintOf(
      const std::vector<std::string>& schemas,
      const FingerprintScope& scope) = 0;

  /// The round trip's trial, in one round trip (libpq pipeline), inside
  /// the step: SAVEPOINT; `statements` in order (each one statement); the
  /// fingerprint of `schemas` (SchemaFingerprintOf `*scope`, or
  /// SchemaFingerprint when scope is null); ROLLBACK TO the savepoint, so
  /// the step is left exactly as it was. A statement's error is returned
  /// (with its index), not thrown. No COPY (libpq cannot pipeline one).
  virtual TryResult TryStatements(const std::vector<std::string>& statements,
                                  const std::vector<std::string>& schemas, const FingerprintScope* scope) = 0;

  // --- catalog facts for the RLS gates (SPEC §6) ----------------------------

  /// Facts for the named tables ("schema.table", split at the first '.';
  /// an unqualified name is resolved along the search_path), or, when
  /// `tables` is empty, for every ordinary and partitioned table of
  /// `schemas` except retort's own version and history tables. Names that
  /// are missing or not tables are left out; each table appears once; the
  /// result is sorted by schema, then name. A fixed handful of queries
  /// whatever the number of tables, each filtered to the requested ones, sent
  /// in one pipeline (one round trip).
  /// Works inside a step (sees its uncommitted DDL) or outside one.
  virtual std::vector<TableFacts> ReadTableFacts(
      const std::vector<std::string>& schemas,
      const std::vector<std::string>& tables,
      const std::string& tenant_column, const std::string& app_role) = 0;
  /// The role's attributes and memberships; exists=false when there is none.
  virtual RoleFacts ReadRoleFacts(const std::string& role) = 0;
  /// ReadTableFacts and ReadRoleFacts(app_role) together, in one round trip.
  virtual GateFacts ReadGateFacts(const std::vector<std::string>& schemas,
                                  const std::vector<std::string>& tables,
                                  const std::string& tenant_column,
                                  const std::string& app_role) = 0;
  /// Inside a step: ReadGateFacts(schemas, tables, tenant_column, app_role)
  /// is read at the end of the next ExecStatements* round trip, right after
  /// its statements (when they all ran); the ReadGateFacts with the same
  /// arguments that follows returns that read without a round trip of its
  /// own. Any other query sent in between drops it (it is read again).
  virtual void PrefetchGateFacts(const std::vector<std::string>& schemas, const std::vector<std::string>& tables,
                                 const std::string& tenant_column, const std::string& app_role) = 0;
  /// Resolves a relation name the way the server would: an unqualified
  /// name along the search_path ("users" -> "public.users"), a qualified
  /// one ("app.users") as is if it exists. "" when there is none. Names
  /// are exact (no case folding, no quotes).
  virtual std::string ResolveTable(const std::string& name) = 0;

  // --- isolation probe primitives (SPEC §6) ---------------------------------
  // All inside the current step transaction (std::logic_error otherwise but
  // for VisibleTenants); the caller wraps them in
  // Savepoint / RollbackToSavepoint. Table names as for ReadTableFacts
  // ("schema.table" or resolved along the search_path); column names exact.

  /// Runs one statement with $1 bound to `tenant_id` (a text parameter whose
  /// type the server infers; cast in SQL as needed, "$1::uuid"). A statement
  /// without "$1" runs with no parameter. Several statements are an error
  /// (42601). Throws StatementError.
  virtual void ExecWithTenant(const std::string& sql,
                              const std::string& tenant_id) = 0;
  /// SET LOCAL ROLE "<role>". The first call of a step remembers the role
  /// in force before it.
  virtual void SetLocalRole(const std::string& role) = 0;
  /// Back to the role in force before the first SetLocalRole (SET LOCAL, so
  /// nothing outlives the step); a no-op when there was none.
  virtual void ResetRole() = 0;
  /// set_config(setting, value, true), both bound; "" is what an app leaves
  /// between requests (current_setting(setting, true) then gives '', while
  /// a setting never set in the session gives NULL).
  virtual void SetTenantContext(const std::string& setting,
                                const std::string& value) = 0;
  /// SELECT DISTINCT "<column>"::text FROM <table>, as the current role sees
  /// it (row security applies); sorted; a NULL value comes back as "".
  virtual std::vector<std::string> VisibleTenants(
      const std::string& table, const std::string& tenant_column) = 0;
  /// UPDATE <table> SET "<col>" = $2 WHERE "<col>" = $1; the rows updated,
  /// or StatementError (42501 "new row violates row-level security policy
  /// for table ..." when a WITH CHECK refuses the new tenant).
  virtual long long MoveTenantRows(const std::string& table,
                                   const std::string& tenant_column,
                                   const std::string& from_tenant,
                                   const std::string& to_tenant) = 0;

  // One probe case each, in one round trip (libpq pipeline): SAVEPOINT;
  // set_config(setting, context, true) with both bound; the statement;
  // RELEASE. On an error the savepoint is rolled back (the step stays usable,
  // the context as it was) and the StatementError thrown. Inside a step only.

  /// VisibleTenants with the tenant context set to `context` first.
  virtual std::vector<std::string> VisibleTenantsIn(const std::string& setting, const std::string& context,
                                                    const std::string& table,
                                                    const std::string& tenant_column) = 0;
  /// MoveTenantRows with the tenant context set to `context` first.
  virtual long long MoveTenantRowsIn(const std::string& setting, const std::string& context,
                                     const std::string& table, const std::string& tenant_column,
                                     const std::string& from_tenant, const std::string& to_tenant) = 0;
  /// ExecWithTenant with the tenant context set to `context` first.
  virtual void ExecWithTenantIn(const std::string& setting, const std::string& context, const std::string& sql,
                                const std::string& tenant_id) = 0;

  /// The whole probe in one round trip (libpq pipeline), inside the step:
  /// under a savepoint, the `seeds` in order as the current role (kept for
  /// the cases), then SET LOCAL ROLE `role`, then each case under its own
  /// savepoint that is rolled back after it (no case sees another's
  /// writes), then the first savepoint is rolled back: no row, role or
  /// setting of the probe survives. When a seed or the role switch fails,
  /// setup_ok is false and no case result is given (the caller finds out
  /// which, one by one).
  virtual ProbeBatchResult RunProbeBatch(const std::string& setting, const std::vector<ProbeAction>& seeds,
                                         const std::string& role, const std::vector<ProbeAction>& cases) = 0;

  // --- destructive pre-flight counts (SPEC §6) ------------------------------
  // Read-only plain queries: usable inside a step (they see its changes) or
  // with no transaction open (nothing is left open).

  /// SELECT count(*) FROM <table>. StatementError (42P01) when missing.
  virtual long long CountRows(const std::string& table) = 0;
  /// SELECT count(*) FROM <table> WHERE "<column>" IS NOT NULL.
  virtual long long CountNonNull(const std::string& table,
                                 const std::string& column) = 0;
  /// format_type of the column ("character varying(20)"); "" when the table
  /// or the column is missing.
  virtual std::string ColumnType(const std::string& table,
                                 const std::string& column) = 0;
  /// The ordinary and partitioned tables of a schema, "schema.table",
  /// sorted; a partition whose parent is in the same schema is left out
  /// (the parent's count(*) includes its rows).
  virtual std::vector<std::string> TablesInSchema(const std::string& schema) = 0;
};

}  // namespace retort
