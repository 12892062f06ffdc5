#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "retort/config/config.h"
#include "retort/db/database.h"

namespace retort {

namespace pg_detail {
class Connection;
class NoticeCollector;
class Rows;
struct PipelineStatement;
struct PipelineOutcome;
}  // namespace pg_detail

/// Database on a live PostgreSQL server through libpqxx 6.4. Every SQL text
/// retort itself issues lives in its implementation. One connection (the
/// "main connection"), held for the whole run: it also holds the run lock.
class PgDatabase final : public Database {
 public:
  /// connect_timeout used when neither the URL nor PGCONNECT_TIMEOUT sets
  /// one.
  static constexpr int kDefaultConnectTimeoutSeconds = 10;

  /// Connects to `url` (any form ToLibpqConninfo accepts), with
  /// application_name "retort" unless the URL or PGAPPNAME sets one,
  /// client_encoding UTF8 unless the URL sets one, and connect_timeout
  /// kDefaultConnectTimeoutSeconds unless the URL or PGCONNECT_TIMEOUT sets
  /// one. Table names come from
  /// `config` (version_table, version_table_schema, history_table).
  /// Throws Error(kUnreachable, "cannot connect to <target>: <libpq
  /// message>"), the password masked.
  PgDatabase(const std::string& url, const Config& config);
  ~PgDatabase() override;
  PgDatabase(const PgDatabase&) = delete;
  PgDatabase& operator=(const PgDatabase&) = delete;

  std::string Describe() const override { return target_; }
  std::string ServerVersion() override;
  std::string CurrentUser() override;

  bool VersionTableExists() override;
  std::vector<std::string> ReadHeads() override;
  void EnsureVersionTable() override;
  void ApplyVersionChange(const VersionChange& change) override;
  void PurgeVersionTable() override;

  void EnsureHistoryTable() override;
  /// Inside a step the row is queued and sent in one query with the step's
  /// COMMIT (or before any other statement of the step, keeping the order);
  /// should it fail, CommitStep rolls the step back and throws its
  /// StatementError.
  void InsertHistory(const HistoryEntry& entry) override;
  std::vector<HistoryRow> ReadHistory() override;

  void AcquireRunLock(long lock_wait_ms) override;
  void ReleaseRunLock() override;

  void BeginStep(long lock_timeout_ms, long statement_timeout_ms) override;
  void ExecScript(const std::string& sql) override;
  StatementsOutcome ExecStatements(const std::vector<std::string>& statements) override;
  StatementsOutcome ExecStatementsAfterFingerprint(const std::vector<std::string>& statements,
                                                   const std::vector<std::string>& schemas,
                                                   const FingerprintScope& scope,
                                                   std::vector<std::string>* before) override;
  void ExecStatementAutocommit(const std::string& sql) override;
  void Savepoint(const std::string& name) override;
  void RollbackToSavepoint(const std::string& name) override;
  void ReleaseSavepoint(const std::string& name) override;
  void CommitStep() override;
  void RollbackStep() override;
  bool InStep() const override { return in_step_; }

  std::vector<std::string> TakeNotices() override;

  std::vector<std::string> SchemaFingerprint(
      const std::vector<std::string>& schemas) override;
  TryResult TryStatements(const std::vector<std::string>& statements, const std::vector<std::string>& schemas,
                          const FingerprintScope* scope) override;
  std::vector<std::string> SchemaFingerprintOf(
      const std::vector<std::string>& schemas,
      const FingerprintScope& scope) override;
  std::vector<TableFacts> ReadTableFacts(
      const std::vector<std::string>& schemas,
      const std::vector<std::string>& tables,
      const std::string& tenant_column, const std::string& app_role) override;
  RoleFacts ReadRoleFacts(const std::string& role) override;
  GateFacts ReadGateFacts(const std::vector<std::string>& schemas,
                          const std::vector<std::string>& tables,
                          const std::string& tenant_column,
                          const std::string& app_role) override;
  std::string ResolveTable(const std::string& name) override;
  void PrefetchGateFacts(const std::vector<std::string>& schemas, const std::vector<std::string>& tables,
                         const std::string& tenant_column, const std::string& app_role) override;

  void ExecWithTenant(const std::string& sql,
                      const std::string& tenant_id) override;
  void SetLocalRole(const std::string& role) override;
  void ResetRole() override;
  void SetTenantContext(const std::string& setting,
                        const std::string& value) override;
  std::vector<std::string> VisibleTenants(
      const std::string& table, const std::string& tenant_column) override;
  long long MoveTenantRows(const std::string& table,
                           const std::string& tenant_column,
                           const std::string& from_tenant,
                           const std::string& to_tenant) override;
  std::vector<std::string> VisibleTenantsIn(const std::string& setting, const std::string& context,
                                            const std::string& table,
                                            const std::string& tenant_column) override;
  long long MoveTenantRowsIn(const std::string& setting, const std::string& context, const std::string& table,
                             const std::string& tenant_column, const std::string& from_tenant,
                             const std::string& to_tenant) override;
  void ExecWithTenantIn(const std::string& setting, const std::string& context, const std::string& sql,
                        const std::string& tenant_id) override;
  ProbeBatchResult RunProbeBatch(const std::string& setting, const std::vector<ProbeAction>& seeds,
                                 const std::string& role, const std::vector<ProbeAction>& cases) override;

  long long CountRows(const std::string& table) override;
  long long CountNonNull(const std::string& table,
                         const std::string& column) override;
  std::string ColumnType(const std::string& table,
                         const std::string& column) override;
  std::vector<std::string> TablesInSchema(const std::string& schema) override;

  /// The server process id of the main connection (pg_backend_pid()).
  int BackendPid() const;
  /// The advisory-lock key this database uses (valid after the first
  /// AcquireRunLock; the schema part is resolved then).
  std::int64_t run_lock_key() const { return lock_key_; }

 private:
  /// Runs SQL through libpq directly (see the .cc for why); returns the
  /// command status of the last result. Throws StatementError.
  std::string Raw(const std::string& sql);
  /// Raw without sending the pending history rows first.
  std::string Send(const std::string& sql);
  /// Sends the step's BEGIN and the history rows InsertHistory queued for
  /// the step's COMMIT, when not sent yet; every query path calls it first,
  /// so statements keep their order.
  void FlushHistory();
  /// Remembers that retort's version or history table exists.
  void NoteExists(const std::string& table);
  /// Runs one statement with text parameters through libpq (extended
  /// protocol: one statement only). Throws StatementError, or
  /// Error(kUnreachable) when the connection is gone.
  pg_detail::Rows Query(const std::string& sql,
                        const std::vector<std::string>& params = {});
  /// Sends every statement in one pipeline (one round trip; a Sync after
  /// each segment) and returns what became of each, in order. Throws only
  /// Error(kUnreachable) when the connection is lost (and StatementError if
  /// preparing a statement fails).
  std::vector<pg_detail::PipelineOutcome> RunPipeline(
      const std::vector<pg_detail::PipelineStatement>& statements);
  /// RunPipeline without the pending BEGIN.
  std::vector<pg_detail::PipelineOutcome> RunPipelineNow(
      const std::vector<pg_detail::PipelineStatement>& statements);
  /// RunPipeline that returns the rows of every statement in order and
  /// throws the first statement's error (the ones after it are skipped by
  /// the server).
  std::vector<pg_detail::Rows> Pipeline(const std::vector<pg_detail::PipelineStatement>& statements);
  /// A probe case: SAVEPOINT, set_config, `sql`, RELEASE in one pipeline;
  /// on an error, ROLLBACK TO the savepoint and rethrow. Returns the
  /// statement's result.
  pg_detail::Rows ProbeCase(const std::string& setting, const std::string& context, const std::string& sql,
                            const std::vector<std::string>& params);
  /// A fingerprint query: `head` followed by the shared body, prepared as
  /// `name`, its parameters after the schemas ($2...), and `settings`
  /// (", pg_catalog.set_config(...)" for the planner).
  struct FingerprintQuery {
    const char* name;  ///< of the prepared statement; one per head and body
    const char* head;
    std::vector<std::string> params;
    const char* settings;
    bool relations_only;  ///< the body without types, functions, extensions
  };
  static FingerprintQuery FullFingerprintQuery();
  static FingerprintQuery ScopedFingerprintQuery(const FingerprintScope& scope);
  /// The statements that read a fingerprint inside an open transaction or
  /// savepoint, under SchemaFingerprint's session settings (set locally:
  /// the caller rolls them back); the last one's rows are the lines.
  std::vector<pg_detail::PipelineStatement> FingerprintRead(const std::vector<std::string>& schemas,
                                                            const FingerprintQuery& query);
  /// Sorted one-line definitions of a fingerprint read's rows.
  static std::vector<std::string> FingerprintLines(const pg_detail::Rows& rows);
  /// A fingerprint under SchemaFingerprint's transaction rules, in one
  /// round trip.
  std::vector<std::string> RunFingerprint(const std::vector<std::string>& schemas, const FingerprintQuery& query);
  /// RunFingerprint's statements inside a step: under a savepoint, rolled
  /// back after the read (which restores the settings). `*read` is the
  /// index of the read among them.
  std::vector<pg_detail::PipelineStatement> FingerprintUnderSavepoint(const std::vector<std::string>& schemas,
                                                                      const FingerprintQuery& query, size_t* read);
  /// ExecStatements with `prefix` sent first in the first batch's segment.
  StatementsOutcome ExecStatementsWith(std::vector<pg_detail::PipelineStatement> prefix,
                                       const std::vector<std::string>& statements,
                                       std::vector<pg_detail::PipelineOutcome>* prefix_out);
  /// What ReadFacts reads: its arguments.
  struct FactsRequest {
    std::vector<std::string> schemas, tables;
    std::string tenant_column, app_role;
    bool with_role = false;
    bool operator==(const FactsRequest& o) const {
      return schemas == o.schemas && tables == o.tables && tenant_column == o.tenant_column &&
             app_role == o.app_role && with_role == o.with_role;
    }
  };
  /// ReadFacts' statements (under a savepoint inside a step).
  std::vector<pg_detail::PipelineStatement> FactsQueries(const FactsRequest& request);
  /// The facts from FactsQueries' outcomes, all successful.
  GateFacts FactsOf(const FactsRequest& request, std::vector<pg_detail::PipelineOutcome>& outcomes);
  /// After FactsQueries failed past its savepoint inside a step: back to
  /// it, so the step is usable again.
  void AbandonFactsRead();
  /// The table facts (and the role's, when with_role) in one pipeline.
  GateFacts ReadFacts(const std::vector<std::string>& schemas,
                      const std::vector<std::string>& tables,
                      const std::string& tenant_column,
                      const std::string& app_role, bool with_role);
  static RoleFacts RoleFactsOf(const std::string& role, const pg_detail::Rows& r);
  /// {oid,...} of retort's own tables that exist (version, history), as
  /// resolved with the session's search_path.
  std::string OwnTableOids();
  /// server_version_num (150020), read once.
  int ServerVersionNum();
  /// The libpqxx connection, after checking it is still alive.
  pg_detail::Connection& Session();
  /// Quoted "schema"."table" (or "table") for a configured table name.
  std::string Qualified(const std::string& table) const;
  bool TableExists(const std::string& table);
  /// Runs create() once the schema exists, in a transaction or savepoint,
  /// tolerating a concurrent creator; done() tells whether it is there.
  template <typename Create, typename Done>
  void EnsureTable(Create create, Done done);
  [[noreturn]] void Rethrow(const std::string& context);
  std::string Mask(const std::string& text) const;

  std::string target_;
  std::string password_;
  std::string version_table_;
  std::optional<std::string> schema_;
  std::optional<std::string> history_table_;
  std::unique_ptr<pg_detail::Connection> conn_;
  std::unique_ptr<pg_detail::NoticeCollector> notices_;
  bool in_step_ = false;
  /// The version / history table was seen in this session (retort never
  /// drops them): no to_regclass() look-up before reading it or ensuring it.
  bool version_seen_ = false;
  bool history_seen_ = false;
  /// INSERTs of InsertHistory not sent yet (they go with COMMIT), one
  /// statement each.
  std::vector<std::string> pending_history_;
  /// The version table's rows as CommitStep read them right after COMMIT,
  /// in the same round trip: the next ReadHeads returns them, unless any
  /// other query was sent in between.
  std::optional<std::vector<std::string>> heads_after_commit_;
  /// PrefetchGateFacts' request, read at the end of the next
  /// ExecStatements round trip, and what that read gave (ReadFacts returns
  /// it for the same request, unless any other query was sent in between).
  std::optional<FactsRequest> facts_wanted_;
  std::optional<std::pair<FactsRequest, GateFacts>> facts_read_;
  /// BeginStep's statements not sent yet (they go with the step's first
  /// query; FlushHistory sends them before any other).
  std::vector<std::string> pending_begin_;
  bool lock_held_ = false;
  std::int64_t lock_key_ = 0;
  std::string lock_schema_;
  int server_version_num_ = 0;
  /// Names of the statements prepared on this connection (RunPipeline).
  std::vector<std::string> prepared_;
  /// A pipelined prepared statement was found missing (DEALLOCATE): the
  /// next RunPipeline reads which ones still exist first.
  bool prepared_stale_ = false;
  /// The role before the step's first SetLocalRole ("none": the session's).
  std::optional<std::string> role_before_probe_;
  void RequireStep(const char* what) const;
};

}  // namespace retort
