#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "retort/config/config.h"
#include "retort/db/database.h"

namespace retort {

namespace pg_detail {
class Connection;
class NoticeCollector;
class Rows;
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
  std::vector<std::string> SchemaFingerprintOf(
      const std::vector<std::string>& schemas,
      const FingerprintScope& scope) override;
  std::vector<TableFacts> ReadTableFacts(
      const std::vector<std::string>& schemas,
      const std::vector<std::string>& tables,
      const std::string& tenant_column, const std::string& app_role) override;
  RoleFacts ReadRoleFacts(const std::string& role) override;
  std::string ResolveTable(const std::string& name) override;

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
  std::string NewUuid() override;
  std::vector<std::string> VisibleTenantsIn(const std::string& setting, const std::string& context,
                                            const std::string& table,
                                            const std::string& tenant_column) override;
  long long MoveTenantRowsIn(const std::string& setting, const std::string& context, const std::string& table,
                             const std::string& tenant_column, const std::string& from_tenant,
                             const std::string& to_tenant) override;
  void ExecWithTenantIn(const std::string& setting, const std::string& context, const std::string& sql,
                        const std::string& tenant_id) override;

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
  /// Sends the history rows InsertHistory queued for the step's COMMIT;
  /// every query path calls it first, so statements keep their order.
  void FlushHistory();
  /// Remembers that retort's version or history table exists.
  void NoteExists(const std::string& table);
  /// Runs one statement with text parameters through libpq (extended
  /// protocol: one statement only). Throws StatementError, or
  /// Error(kUnreachable) when the connection is gone.
  pg_detail::Rows Query(const std::string& sql,
                        const std::vector<std::string>& params = {});
  /// Query through a named prepared statement: `sql` is parsed (PQprepare)
  /// the first time `name` is used on this connection, and only bound and
  /// executed afterwards. Prepared statements outlive transactions; should
  /// one have vanished (DEALLOCATE in a script) the error is StatementError
  /// 26000 and the name is forgotten, so the next call prepares it again.
  /// Sends every statement ($n parameters bound) in one pipeline and
  /// returns the results in order; throws the first statement's error (the
  /// ones after it are skipped by the server). Error(kUnreachable) when the
  /// connection is lost.
  std::vector<pg_detail::Rows> Pipeline(
      const std::vector<std::pair<std::string, std::vector<std::string>>>& statements);
  /// A probe case: SAVEPOINT, set_config, `sql`, RELEASE in one pipeline;
  /// on an error, ROLLBACK TO the savepoint and rethrow. Returns the
  /// statement's result.
  pg_detail::Rows ProbeCase(const std::string& setting, const std::string& context, const std::string& sql,
                            const std::vector<std::string>& params);
  pg_detail::Rows QueryPrepared(const std::string& name,
                                const std::string& sql,
                                const std::vector<std::string>& params);
  /// The fingerprint query, `head` followed by the shared body (prepared as
  /// `name`), bound to the schemas ($1) and `params` ($2...), under
  /// SchemaFingerprint's transaction rules and session settings plus
  /// `settings` ("; SET LOCAL ..." for the planner), in three round trips.
  /// Sorted lines.
  std::vector<std::string> RunFingerprint(
      const char* name, const std::string& head,
      const std::vector<std::string>& schemas,
      const std::vector<std::string>& params, const char* settings);
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
  /// INSERTs of InsertHistory not sent yet (they go with COMMIT).
  std::string pending_history_;
  bool lock_held_ = false;
  std::int64_t lock_key_ = 0;
  std::string lock_schema_;
  int server_version_num_ = 0;
  /// Names of the statements prepared on this connection (QueryPrepared).
  std::vector<std::string> prepared_;
  /// The role before the step's first SetLocalRole ("none": the session's).
  std::optional<std::string> role_before_probe_;
  void RequireStep(const char* what) const;
};

}  // namespace retort
