#include "retort/pg/pg_database.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <pqxx/pqxx>
#include <stdexcept>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "retort/common/version.h"
#include "retort/pg/connection_url.h"
#include "retort/db/lock_key.h"
#include "pg_internal.h"

// libpqxx 6.4 is the connection owner and runs the queries that bind
// parameters and read rows. Scripts, transaction control and DDL go through
// libpq on the same connection (PgDatabase::Raw), because libpqxx 6.4 throws
// away the error result: it keeps neither the statement position (except for
// 42601) nor the primary message, detail, hint or context, and the runner
// must report "file:line:column: message". The libpq handle comes from our
// own connection policy, the extension point libpqxx provides for that.
// Savepoints are issued by hand: pqxx::subtransaction in 6.4.5 skips its
// SAVEPOINT before exec_params (upstream #512).

namespace retort {
namespace pg_detail {

/// connect_direct that remembers the PGconn it opens.
class HandlePolicy final : public pqxx::connect_direct {
 public:
  explicit HandlePolicy(const std::string& options)
      : pqxx::connect_direct(options) {}
  handle do_startconnect(handle orig) override {
    handle_ = pqxx::connect_direct::do_startconnect(orig);
    return handle_;
  }
  handle do_disconnect(handle orig) noexcept override {
    handle_ = nullptr;
    return pqxx::connect_direct::do_disconnect(orig);
  }
  PGconn* raw() const { return handle_; }

 private:
  handle handle_ = nullptr;
};

/// pqxx::connection with access to the libpq handle. Built like libpqxx's
/// own basic_connection_base: the base only stores a reference to the
/// policy, which is constructed before init() connects.
class Connection final : public pqxx::connection_base {
 public:
  explicit Connection(const std::string& options)
      : pqxx::connection_base(policy_), policy_(options) {
    init();
  }
  ~Connection() noexcept { close(); }
  PGconn* raw() const { return policy_.raw(); }

 private:
  HandlePolicy policy_;
};

/// Collects server notices (libpqxx 6.4 drops them without a handler).
class NoticeCollector final : public pqxx::errorhandler {
 public:
  explicit NoticeCollector(pqxx::connection_base& conn)
      : pqxx::errorhandler(conn) {}
  bool operator()(const char msg[]) noexcept override {
    try {
      std::string text = msg;
      while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
        text.pop_back();
      }
      messages.push_back(std::move(text));
    } catch (...) {
    }
    return false;
  }
  std::vector<std::string> messages;
};

}  // namespace pg_detail

namespace {

using pg_detail::Quote;
using pg_detail::ResultPtr;

struct ConninfoFree {
  void operator()(PQconninfoOption* o) const { PQconninfoFree(o); }
};

/// libpq's multi-line messages on one line: "a\n\tb\n" -> "a; b".
std::string OneLine(const std::string& text) {
  std::string out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    size_t b = line.find_first_not_of(" \t\r");
    size_t e = line.find_last_not_of(" \t\r");
    if (b != std::string::npos) {
      if (!out.empty()) out += "; ";
      out += line.substr(b, e - b + 1);
    }
    start = end + 1;
  }
  return out;
}

/// "ERROR:  msg\nLINE 1: ..." -> "msg".
std::string PrimaryMessage(const std::string& what) {
  std::string line = what.substr(0, what.find('\n'));
  for (const char* prefix : {"ERROR:  ", "FATAL:  ", "PANIC:  "}) {
    const std::string p = prefix;
    if (line.compare(0, p.size(), p) == 0) return line.substr(p.size());
  }
  return line;
}

bool HasKeyword(const std::string& conninfo, const char* keyword) {
  char* err = nullptr;
  std::unique_ptr<PQconninfoOption, ConninfoFree> options(
      PQconninfoParse(conninfo.c_str(), &err));
  if (err != nullptr) PQfreemem(err);
  if (!options) return false;
  for (const PQconninfoOption* o = options.get(); o->keyword; ++o) {
    if (std::string(o->keyword) == keyword) return o->val != nullptr;
  }
  return false;
}

const char* DirectionName(PlannedStep::Kind kind) {
  switch (kind) {
    case PlannedStep::Kind::kUpgrade: return "upgrade";
    case PlannedStep::Kind::kDowngrade: return "downgrade";
    case PlannedStep::Kind::kStamp: return "stamp";
  }
  return "upgrade";
}

bool IsCreationRace(const std::string& sqlstate) {
  // duplicate_table, duplicate_schema, and unique_violation on the catalogs
  // (pg_type / pg_namespace names) when two sessions create at once.
  return sqlstate == "42P07" || sqlstate == "42P06" || sqlstate == "23505";
}

}  // namespace

PgDatabase::PgDatabase(const std::string& url, const Config& config)
    : password_(PasswordOf(url)),
      version_table_(config.version_table),
      schema_(config.version_table_schema),
      history_table_(config.history_table) {
  // Masked too: a password may equal the user name.
  target_ = Mask(DescribeTarget(url));
  std::string conninfo = ToLibpqConninfo(url);
  // fallback_application_name yields to application_name and PGAPPNAME.
  if (!HasKeyword(conninfo, "fallback_application_name")) {
    conninfo += " fallback_application_name=retort";
  }
  // Scripts are UTF-8 files, and error positions are counted in characters
  // of the client encoding.
  if (!HasKeyword(conninfo, "client_encoding")) {
    conninfo += " client_encoding=UTF8";
  }
  // libpq waits forever by default for a host that does not answer; an
  // unreachable server must fail in seconds (exit 5). The URL's
  // connect_timeout or PGCONNECT_TIMEOUT wins.
  if (!HasKeyword(conninfo, "connect_timeout") &&
      std::getenv("PGCONNECT_TIMEOUT") == nullptr) {
    conninfo += " connect_timeout=" + std::to_string(kDefaultConnectTimeoutSeconds);
  }
  try {
    conn_ = std::make_unique<pg_detail::Connection>(conninfo);
  } catch (const std::exception& e) {
    // Masked as a whole: a password may equal the user name in target_.
    throw Error(ExitCode::kUnreachable,
                Mask("cannot connect to " + target_ + ": " + OneLine(e.what())));
  }
  // A silent reconnect would drop the session's advisory lock and any open
  // transaction; a lost connection must surface as an error instead.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  conn_->inhibit_reactivation(true);
#pragma GCC diagnostic pop
  notices_ = std::make_unique<pg_detail::NoticeCollector>(*conn_);
}

PgDatabase::~PgDatabase() {
  // Closing the session releases the advisory lock and rolls back an open
  // transaction on the server; nothing to send.
  notices_.reset();
  conn_.reset();
}

std::string PgDatabase::Mask(const std::string& text) const {
  return MaskPassword(text, password_);
}

[[noreturn]] void PgDatabase::Rethrow(const std::string& context) {
  try {
    throw;
  } catch (const Error&) {
    throw;
  } catch (const pqxx::broken_connection& e) {
    throw Error(ExitCode::kUnreachable,
                Mask("lost the connection to " + target_ + " while " + context +
                     ": " + OneLine(e.what())));
  } catch (const pqxx::sql_error& e) {
    int position = 0;
    if (const auto* s = dynamic_cast<const pqxx::syntax_error*>(&e)) {
      position = std::max(0, s->error_position);
    }
    throw StatementError(e.sqlstate(), Mask(PrimaryMessage(e.what())),
                         position);
  } catch (const pqxx::failure& e) {
    // in_doubt_error and the like: the server's state is unknown.
    throw Error(ExitCode::kUnreachable,
                Mask("database error on " + target_ + " while " + context +
                     ": " + OneLine(e.what())));
  }
  // Anything else (usage errors, bad_alloc) is a bug, not a database state:
  // it propagates unchanged.
}

std::string PgDatabase::Raw(const std::string& sql) {
  FlushHistory();
  return Send(sql);
}

void PgDatabase::FlushHistory() {
  // Another query follows: what was read ahead may be out of date.
  heads_after_commit_.reset();
  facts_read_.reset();
  std::string sql;
  for (const std::string& s : pending_begin_) sql += s + ";\n";
  pending_begin_.clear();
  for (const std::string& s : pending_history_) sql += s + ";\n";
  pending_history_.clear();
  if (!sql.empty()) Send(sql);
}

std::string PgDatabase::Send(const std::string& sql) {
  PGconn* c = conn_->raw();
  if (c == nullptr || PQstatus(c) != CONNECTION_OK ||
      PQsendQuery(c, sql.c_str()) == 0) {
    throw Error(ExitCode::kUnreachable,
                Mask("lost the connection to " + target_ + ": " +
                     OneLine(c != nullptr ? PQerrorMessage(c)
                                          : "not connected")));
  }
  std::unique_ptr<StatementError> error;
  std::string status;
  while (PGresult* raw_result = PQgetResult(c)) {
    ResultPtr r(raw_result);
    switch (PQresultStatus(r.get())) {
      case PGRES_FATAL_ERROR:
      case PGRES_NONFATAL_ERROR:
        if (!error) {
          error = std::make_unique<StatementError>(
              pg_detail::ErrorFromResult(r.get(), password_));
        }
        break;
      case PGRES_COPY_IN:
        // Nothing to feed: end the copy with an error so the script fails
        // cleanly instead of hanging.
        PQputCopyEnd(c, "COPY FROM STDIN is not supported in retort scripts");
        break;
      case PGRES_COPY_OUT: {
        char* buf = nullptr;
        while (PQgetCopyData(c, &buf, 0) > 0) PQfreemem(buf);
        break;
      }
      default:
        status = PQcmdStatus(r.get());
        break;
    }
  }
  if (PQstatus(c) != CONNECTION_OK) {
    throw Error(ExitCode::kUnreachable,
                Mask("lost the connection to " + target_ + ": " +
                     OneLine(PQerrorMessage(c))));
  }
  if (error) throw *error;
  return status;
}

pg_detail::Rows PgDatabase::Query(const std::string& sql,
                                  const std::vector<std::string>& params) {
  FlushHistory();
  PGconn* c = conn_->raw();
  auto lost = [&] {
    return Error(ExitCode::kUnreachable,
                 Mask("lost the connection to " + target_ + ": " +
                      OneLine(c != nullptr ? PQerrorMessage(c)
                                           : "not connected")));
  };
  if (c == nullptr || PQconsumeInput(c) == 0 || PQstatus(c) != CONNECTION_OK) {
    throw lost();
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const std::string& p : params) values.push_back(p.c_str());
  ResultPtr r(PQexecParams(c, sql.c_str(), static_cast<int>(values.size()),
                           nullptr, values.data(), nullptr, nullptr, 0));
  if (PQstatus(c) != CONNECTION_OK || !r) throw lost();
  switch (PQresultStatus(r.get())) {
    case PGRES_TUPLES_OK:
    case PGRES_COMMAND_OK:
      return pg_detail::Rows(std::move(r));
    default:
      throw pg_detail::ErrorFromResult(r.get(), password_);
  }
}

std::vector<pg_detail::PipelineOutcome> PgDatabase::RunPipeline(
    const std::vector<pg_detail::PipelineStatement>& batch) {
  // A step's BEGIN not sent yet goes at the head of the pipeline: the same
  // round trip.
  std::vector<pg_detail::PipelineStatement> statements;
  const size_t begin = pending_begin_.size();
  if (begin > 0) {
    for (const std::string& s : pending_begin_) statements.emplace_back(s);
    pending_begin_.clear();
    statements.insert(statements.end(), batch.begin(), batch.end());
  }
  std::vector<pg_detail::PipelineOutcome> out = RunPipelineNow(begin > 0 ? statements : batch);
  for (size_t i = 0; i < begin; ++i) {
    if (out[i].error) throw *out[i].error;  // the step could not begin
  }
  out.erase(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(begin));
  return out;
}

std::vector<pg_detail::PipelineOutcome> PgDatabase::RunPipelineNow(
    const std::vector<pg_detail::PipelineStatement>& statements) {
  FlushHistory();
  PGconn* c = conn_->raw();
  auto lost = [&] {
    return Error(ExitCode::kUnreachable,
                 Mask("lost the connection to " + target_ + ": " +
                      OneLine(c != nullptr ? PQerrorMessage(c) : "not connected")));
  };
  if (c == nullptr || PQconsumeInput(c) == 0 || PQstatus(c) != CONNECTION_OK) throw lost();
  if (prepared_stale_) {
    // Callers retry after the transaction is usable again (rolled back to
    // their savepoint), so this read cannot fail for that reason.
    prepared_stale_ = false;
    const pg_detail::Rows left = Query("SELECT name FROM pg_catalog.pg_prepared_statements");
    prepared_.clear();
    for (int i = 0; i < left.size(); ++i) prepared_.push_back(left.Text(i, 0));
  }
  // Statements to prepare are prepared first, each once per connection
  // (parameter types come from the casts in their text).
  for (const pg_detail::PipelineStatement& s : statements) {
    if (s.prepared_as.empty() ||
        std::find(prepared_.begin(), prepared_.end(), s.prepared_as) != prepared_.end()) {
      continue;
    }
    ResultPtr p(PQprepare(c, s.prepared_as.c_str(), s.sql.c_str(), 0, nullptr));
    if (PQstatus(c) != CONNECTION_OK || !p) throw lost();
    if (PQresultStatus(p.get()) != PGRES_COMMAND_OK) throw pg_detail::ErrorFromResult(p.get(), password_);
    prepared_.push_back(s.prepared_as);
  }
  if (PQenterPipelineMode(c) != 1) throw lost();
  // Whatever happens, leave pipeline mode with every result read, so that
  // the connection is usable for the next query.
  struct Exit {
    PGconn* c;
    ~Exit() {
      for (;;) {
        PGresult* r = PQgetResult(c);
        if (r == nullptr) {
          if (PQexitPipelineMode(c) == 1 || PQstatus(c) != CONNECTION_OK) break;
          continue;
        }
        PQclear(r);
      }
    }
  };
  std::vector<pg_detail::PipelineOutcome> out(statements.size());
  {
    Exit exit{c};
    for (size_t i = 0; i < statements.size(); ++i) {
      const pg_detail::PipelineStatement& s = statements[i];
      std::vector<const char*> values;
      values.reserve(s.params.size());
      for (const std::string& p : s.params) values.push_back(p.c_str());
      const int n = static_cast<int>(values.size());
      const int sent = s.prepared_as.empty()
                           ? PQsendQueryParams(c, s.sql.c_str(), n, nullptr, values.data(), nullptr, nullptr, 0)
                           : PQsendQueryPrepared(c, s.prepared_as.c_str(), n, values.data(), nullptr, nullptr, 0);
      if (sent != 1) throw lost();
      if (s.sync_after || i + 1 == statements.size()) {
        if (PQpipelineSync(c) != 1) throw lost();
      }
    }
    for (size_t i = 0; i < statements.size(); ++i) {
      ResultPtr r(PQgetResult(c));
      if (!r) throw lost();
      const ExecStatusType status = PQresultStatus(r.get());
      if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK || status == PGRES_EMPTY_QUERY) {
        out[i].rows.emplace(std::move(r));
      } else if (status != PGRES_PIPELINE_ABORTED) {
        out[i].error = pg_detail::ErrorFromResult(r.get(), password_);
        // invalid_sql_statement_name: a script ran DEALLOCATE (perhaps ALL):
        // find out which are left before the next pipeline prepares any.
        if (out[i].error->sqlstate() == "26000" && !statements[i].prepared_as.empty()) prepared_stale_ = true;
      }
      // Each statement's results end with a null.
      while (PGresult* extra = PQgetResult(c)) PQclear(extra);
      if (statements[i].sync_after || i + 1 == statements.size()) {
        ResultPtr sync(PQgetResult(c));
        if (!sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) {
          if (PQstatus(c) != CONNECTION_OK) throw lost();
        }
      }
    }
  }
  return out;
}

std::vector<pg_detail::Rows> PgDatabase::Pipeline(const std::vector<pg_detail::PipelineStatement>& statements) {
  std::vector<pg_detail::PipelineOutcome> outcomes = RunPipeline(statements);
  std::vector<pg_detail::Rows> out;
  out.reserve(outcomes.size());
  for (pg_detail::PipelineOutcome& o : outcomes) {
    if (o.error) throw *o.error;
    if (!o.rows) break;  // skipped after an error of an earlier segment (reported above)
    out.push_back(std::move(*o.rows));
  }
  return out;
}

pg_detail::Connection& PgDatabase::Session() {
  // libpqxx 6.4 leaks the PGresult of the query that discovers a dead
  // connection (make_result() asks for the client encoding, which throws,
  // before it owns the result). Reading what the server already sent (its
  // FATAL "terminating connection..." and the end of the stream) finds most
  // deaths without a query; only a connection that dies during the query
  // itself still costs that one small leak.
  FlushHistory();
  PGconn* c = conn_->raw();
  if (c == nullptr || PQconsumeInput(c) == 0 || PQstatus(c) != CONNECTION_OK) {
    throw Error(ExitCode::kUnreachable,
                Mask("lost the connection to " + target_ + ": " +
                     OneLine(c != nullptr ? PQerrorMessage(c)
                                          : "not connected")));
  }
  return *conn_;
}

std::string PgDatabase::Qualified(const std::string& table) const {
  return schema_ ? Quote(*schema_) + "." + Quote(table) : Quote(table);
}

std::string PgDatabase::ServerVersion() {
  try {
    pqxx::nontransaction tx(Session());
    return tx.exec1("SHOW server_version")[0].c_str();
  } catch (...) {
    Rethrow("reading the server version");
  }
}

std::string PgDatabase::CurrentUser() {
  try {
    pqxx::nontransaction tx(Session());
    return tx.exec1("SELECT current_user")[0].c_str();
  } catch (...) {
    Rethrow("reading current_user");
  }
}

int PgDatabase::BackendPid() const { return conn_->backendpid(); }

bool PgDatabase::TableExists(const std::string& table) {
  try {
    pqxx::nontransaction tx(Session());
    // Resolved like Alembic's has_table: the schema, else the search_path.
    const bool exists = tx.exec_params1("SELECT to_regclass($1) IS NOT NULL",
                                        Qualified(table))[0]
                            .as<bool>();
    if (exists) NoteExists(table);
    return exists;
  } catch (...) {
    Rethrow("looking for table " + table);
  }
}

void PgDatabase::NoteExists(const std::string& table) {
  if (table == version_table_) version_seen_ = true;
  if (history_table_ && table == *history_table_) history_seen_ = true;
}

bool PgDatabase::VersionTableExists() { return TableExists(version_table_); }

std::vector<std::string> PgDatabase::ReadHeads() {
  if (heads_after_commit_) {
    std::vector<std::string> heads = std::move(*heads_after_commit_);
    heads_after_commit_.reset();
    return heads;
  }
  const std::string select = "SELECT version_num FROM " + Qualified(version_table_);
  std::vector<std::string> heads;
  PGconn* c = conn_->raw();
  if (version_seen_ && !in_step_ && pending_history_.empty() && pending_begin_.empty() && c != nullptr &&
      PQtransactionStatus(c) == PQTRANS_IDLE) {
    // The table was seen in this session and retort never drops it: read it
    // without the to_regclass() look-up first (one round trip, not two).
    // Should someone else have dropped it since, the failed SELECT outside a
    // transaction harms nothing and means "no table", as the look-up would.
    // Inside a transaction a failed statement would abort it: look first.
    try {
      const pg_detail::Rows rows = Query(select);
      for (int i = 0; i < rows.size(); ++i) heads.push_back(rows.Text(i, 0));
    } catch (const StatementError& e) {
      if (e.sqlstate() != "42P01" && e.sqlstate() != "3F000") throw;
      version_seen_ = false;
      return {};
    }
  } else {
    if (!VersionTableExists()) return {};
    try {
      pqxx::nontransaction tx(Session());
      for (const auto& row : tx.exec(select)) heads.emplace_back(row[0].c_str());
    } catch (...) {
      Rethrow("reading " + version_table_);
    }
  }
  // Sorted here, not by the server, so the order does not depend on the
  // database's collation.
  std::sort(heads.begin(), heads.end());
  return heads;
}

template <typename Create, typename Done>
void PgDatabase::EnsureTable(Create create, Done done) {
  for (int attempt = 1;; ++attempt) {
    if (done()) return;
    const bool nested = in_step_;
    Raw(nested ? "SAVEPOINT retort_ensure_table" : "BEGIN");
    try {
      if (schema_) {
        bool schema_exists;
        try {
          pqxx::nontransaction tx(Session());
          schema_exists =
              tx.exec_params1(
                    "SELECT count(*) FROM pg_catalog.pg_namespace "
                    "WHERE nspname = $1",
                    *schema_)[0]
                  .as<int>() > 0;
        } catch (...) {
          Rethrow("looking for schema " + *schema_);
        }
        // Alembic does not create the schema (its #659); retort does.
        if (!schema_exists) Raw("CREATE SCHEMA " + Quote(*schema_));
      }
      create();
      Raw(nested ? "RELEASE SAVEPOINT retort_ensure_table" : "COMMIT");
      return;
    } catch (const StatementError& e) {
      try {
        Raw(nested ? "ROLLBACK TO SAVEPOINT retort_ensure_table; "
                     "RELEASE SAVEPOINT retort_ensure_table"
                   : "ROLLBACK");
      } catch (...) {
      }
      // Someone else created it between our look and our CREATE: look again.
      if (!IsCreationRace(e.sqlstate()) || attempt >= 3) throw;
    } catch (...) {
      try {
        Raw(nested ? "ROLLBACK TO SAVEPOINT retort_ensure_table; "
                     "RELEASE SAVEPOINT retort_ensure_table"
                   : "ROLLBACK");
      } catch (...) {
      }
      throw;
    }
  }
}

void PgDatabase::EnsureVersionTable() {
  // Alembic's DDL (alembic/ddl/impl.py version_table_impl), byte for byte
  // apart from always-quoted identifiers. A table seen in this session needs
  // no look-up (retort never drops it; a rollback forgets what was seen).
  EnsureTable(
      [this] {
        Raw("CREATE TABLE " + Qualified(version_table_) +
            " (\n    version_num VARCHAR(32) NOT NULL, \n    CONSTRAINT " +
            Quote(version_table_ + "_pkc") +
            " PRIMARY KEY (version_num)\n)");
      },
      [this] { return version_seen_ || VersionTableExists(); });
  version_seen_ = true;
}

void PgDatabase::ApplyVersionChange(const VersionChange& change) {
  if (!in_step_) {
    throw std::logic_error("ApplyVersionChange needs an open step transaction");
  }
  const std::string table = Qualified(version_table_);
  pqxx::result::size_type found = 0;
  try {
    pqxx::nontransaction tx(Session());
    switch (change.kind) {
      case VersionChange::Kind::kInsert:
        tx.exec_params0("INSERT INTO " + table + " (version_num) VALUES ($1)",
                        change.to);
        return;
      case VersionChange::Kind::kUpdate:
        found = tx.exec_params0("UPDATE " + table +
                                    " SET version_num = $1 WHERE " + table +
                                    ".version_num = $2",
                                change.to, change.from)
                    .affected_rows();
        break;
      case VersionChange::Kind::kDelete:
        found = tx.exec_params0("DELETE FROM " + table + " WHERE " + table +
                                    ".version_num = $1",
                                change.from)
                    .affected_rows();
        break;
    }
  } catch (...) {
    Rethrow("updating " + version_table_);
  }
  if (found == 1) return;
  // Alembic's wording (runtime/migration.py HeadMaintainer), table name
  // without schema, as Alembic prints it.
  const std::string n = std::to_string(found);
  if (change.kind == VersionChange::Kind::kUpdate) {
    throw Error(ExitCode::kStepFailed,
                "Online migration expected to match one row when updating '" +
                    change.from + "' to '" + change.to + "' in '" +
                    version_table_ + "'; " + n + " found");
  }
  throw Error(ExitCode::kStepFailed,
              "Online migration expected to match one row when deleting '" +
                  change.from + "' in '" + version_table_ + "'; " + n +
                  " found");
}

void PgDatabase::PurgeVersionTable() {
  if (!VersionTableExists()) return;
  Raw("DELETE FROM " + Qualified(version_table_));
}

void PgDatabase::EnsureHistoryTable() {
  if (!history_table_) return;
  const std::string& name = *history_table_;
  EnsureTable(
      [this, &name] {
        Raw("CREATE TABLE " + Qualified(name) +
            " (\n"
            "    id bigserial PRIMARY KEY,\n"
            "    revision varchar(32) NOT NULL,\n"
            "    direction text NOT NULL CONSTRAINT " +
            Quote(name + "_direction_check") +
            " CHECK (direction IN ('upgrade', 'downgrade', 'stamp')),\n"
            "    checksum text,\n"
            "    db_user text NOT NULL,\n"
            "    client_host text NOT NULL,\n"
            "    started_at timestamptz NOT NULL,\n"
            "    duration_ms bigint NOT NULL,\n"
            "    retort_version text NOT NULL\n"
            ")");
      },
      [this, &name] { return history_seen_ || TableExists(name); });
  history_seen_ = true;
}

void PgDatabase::InsertHistory(const HistoryEntry& entry) {
  if (!history_table_) return;
  const long long started_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(
          entry.started_at.time_since_epoch())
          .count();
  PGconn* c = conn_->raw();
  auto literal = [&](const std::string& value) {
    char* quoted = c != nullptr ? PQescapeLiteral(c, value.data(), value.size())
                                : nullptr;
    if (quoted == nullptr) {
      throw Error(ExitCode::kUnreachable,
                  Mask("lost the connection to " + target_ + ": " +
                       OneLine(c != nullptr ? PQerrorMessage(c) : "not connected")));
    }
    std::string out = quoted;
    PQfreemem(quoted);
    return out;
  };
  // Literals rather than bound parameters: the row may travel in a
  // simple-protocol query with whatever is sent next (FlushHistory). It
  // normally goes in the same round trip as the step's COMMIT (CommitStep);
  // any other statement sent before then sends it first, so the order of
  // statements is unchanged.
  std::string sql =
      "INSERT INTO " + Qualified(*history_table_) +
      " (revision, direction, checksum, db_user, client_host, started_at, "
      "duration_ms, retort_version) VALUES (" +
      literal(entry.revision) + ", " + literal(DirectionName(entry.direction)) +
      ", " + (entry.checksum.empty() ? std::string("NULL") : literal(entry.checksum)) +
      ", current_user, COALESCE(host(inet_client_addr()), 'local'), "
      "to_timestamp(" + std::to_string(started_ms) +
      "::double precision / 1000), " +
      std::to_string(static_cast<long long>(entry.duration_ms)) + ", " +
      literal(kVersion) + ")";
  if (!in_step_) {
    Raw(sql);  // outside a step: on its own, as before
    return;
  }
  pending_history_.push_back(std::move(sql));
}

std::vector<HistoryRow> PgDatabase::ReadHistory() {
  std::vector<HistoryRow> rows;
  if (!history_table_ || !TableExists(*history_table_)) return rows;
  try {
    pqxx::nontransaction tx(Session());
    for (const auto& r : tx.exec(
             "SELECT id, revision, direction, COALESCE(checksum, ''), "
             "db_user, client_host, "
             "to_char(started_at AT TIME ZONE 'UTC', "
             "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
             "duration_ms, retort_version FROM " +
             Qualified(*history_table_) + " ORDER BY id")) {
      HistoryRow row;
      row.id = r[0].as<long long>();
      row.revision = r[1].c_str();
      row.direction = r[2].c_str();
      row.checksum = r[3].c_str();
      row.db_user = r[4].c_str();
      row.client_host = r[5].c_str();
      row.started_at = r[6].c_str();
      row.duration_ms = r[7].as<long long>();
      row.retort_version = r[8].c_str();
      rows.push_back(std::move(row));
    }
  } catch (...) {
    Rethrow("reading " + *history_table_);
  }
  return rows;
}

void PgDatabase::AcquireRunLock(long lock_wait_ms) {
  if (lock_held_) return;
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(lock_wait_ms);
  try {
    pqxx::nontransaction tx(Session());
    // One round trip: where an unqualified version table lives (and would be
    // created), and whether retort's tables exist already (a table seen once
    // is not looked up again: retort never drops them; one still missing is
    // looked up again later, since a concurrent run may create it).
    const pqxx::row facts = tx.exec_params1(
        "SELECT current_schema(), to_regclass($1) IS NOT NULL, "
        "to_regclass($2) IS NOT NULL",
        Qualified(version_table_),
        Qualified(history_table_ ? *history_table_ : version_table_));
    if (schema_) {
      lock_schema_ = *schema_;
    } else {
      lock_schema_ = facts[0].is_null() ? "" : facts[0].c_str();
    }
    if (facts[1].as<bool>()) version_seen_ = true;
    if (history_table_ && facts[2].as<bool>()) history_seen_ = true;
    lock_key_ = RunLockKey(lock_schema_, version_table_);
    // Polling pg_try_advisory_lock instead of lock_timeout +
    // pg_advisory_lock: no session setting to restore afterwards, so
    // nothing can leak into the steps.
    auto pause = std::chrono::milliseconds(10);
    while (true) {
      if (tx.exec_params1("SELECT pg_try_advisory_lock($1)", lock_key_)[0]
              .as<bool>()) {
        lock_held_ = true;
        return;
      }
      const auto now = Clock::now();
      if (lock_wait_ms > 0 && now >= deadline) break;
      auto sleep = pause;
      if (lock_wait_ms > 0) {
        sleep = std::min<std::chrono::milliseconds>(
            pause, std::chrono::duration_cast<std::chrono::milliseconds>(
                       deadline - now) +
                       std::chrono::milliseconds(1));
      }
      std::this_thread::sleep_for(sleep);
      pause = std::min(pause * 2, std::chrono::milliseconds(200));
    }
  } catch (...) {
    Rethrow("taking the run lock");
  }
  std::string holder = "another session";
  try {
    pqxx::nontransaction tx(Session());
    // A bigint advisory key shows in pg_locks as classid (high 32 bits),
    // objid (low 32 bits), objsubid 1. "since" is the holder's session
    // start: PostgreSQL does not record when a lock was granted, and a
    // retort run takes its lock right after connecting.
    const pqxx::result r = tx.exec_params(
        "SELECT l.pid, COALESCE(a.application_name, ''), "
        "COALESCE(to_char(a.backend_start AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD HH24:MI:SS') || ' UTC', 'an unknown time') "
        "FROM pg_catalog.pg_locks l "
        "LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted "
        "AND l.database = (SELECT oid FROM pg_catalog.pg_database "
        "WHERE datname = current_database()) "
        "AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid "
        "AND l.objsubid = 1 LIMIT 1",
        static_cast<long long>(LockKeyClassId(lock_key_)),
        static_cast<long long>(LockKeyObjId(lock_key_)));
    if (!r.empty()) {
      holder = "pid " + std::string(r[0][0].c_str()) + " (application_name '" +
               r[0][1].c_str() + "') since " + r[0][2].c_str();
    }
  } catch (...) {
    // The timeout is the error to report; the holder is a courtesy.
  }
  const std::string table =
      (lock_schema_.empty() ? "" : lock_schema_ + ".") + version_table_;
  throw Error(ExitCode::kUnreachable,
              "could not take the run lock on " + table + " within " +
                  std::to_string(lock_wait_ms) + " ms: held by " + holder,
              "another retort run is working on this database; wait for it "
              "or raise lock_wait");
}

void PgDatabase::ReleaseRunLock() {
  if (!lock_held_) return;
  lock_held_ = false;
  try {
    pqxx::nontransaction tx(Session());
    tx.exec_params1("SELECT pg_advisory_unlock($1)", lock_key_);
  } catch (const pqxx::broken_connection&) {
    // The session is gone, and its lock with it.
  } catch (...) {
    Rethrow("releasing the run lock");
  }
}

void PgDatabase::BeginStep(long lock_timeout_ms, long statement_timeout_ms) {
  if (in_step_) throw std::logic_error("BeginStep inside an open step");
  in_step_ = true;
  facts_wanted_.reset();
  role_before_probe_.reset();
  try {
    // Not sent yet: it goes with the step's first query (as the head of a
    // simple query, or of a pipeline), which saves a round trip. Should
    // anything fail after BEGIN, RollbackStep sees the open transaction and
    // ends it.
    pending_begin_ = {"BEGIN", "SET LOCAL lock_timeout = " + std::to_string(std::max(0L, lock_timeout_ms)),
                      "SET LOCAL statement_timeout = " + std::to_string(std::max(0L, statement_timeout_ms))};
  } catch (...) {
    RollbackStep();
    throw;
  }
}

void PgDatabase::ExecScript(const std::string& sql) { Raw(sql); }

StatementsOutcome PgDatabase::ExecStatements(const std::vector<std::string>& statements) {
  return ExecStatementsWith({}, statements, nullptr);
}

StatementsOutcome PgDatabase::ExecStatementsWith(std::vector<pg_detail::PipelineStatement> prefix,
                                                 const std::vector<std::string>& statements,
                                                 std::vector<pg_detail::PipelineOutcome>* prefix_out) {
  RequireStep("ExecStatements");
  // Batches of up to this many bytes of SQL: memory stays bounded for a
  // huge script, and a batch of DDL is far more than a round trip's worth.
  constexpr size_t kBatchBytes = 256 * 1024;
  StatementsOutcome result;
  size_t next = 0;
  bool first_batch = true;
  while (first_batch || next < statements.size()) {
    const size_t first = next;
    std::vector<pg_detail::PipelineStatement> batch;
    if (first_batch) batch = std::move(prefix);
    const size_t skip = batch.size();
    size_t bytes = 0;
    while (next < statements.size() && (batch.size() == skip || bytes + statements[next].size() <= kBatchBytes)) {
      bytes += statements[next].size();
      batch.emplace_back(statements[next++]);
    }
    if (batch.empty()) break;
    // One segment: after a failure the server skips the rest. Facts asked
    // for ahead (PrefetchGateFacts) follow the last statement, in a segment
    // of their own.
    std::optional<FactsRequest> facts;
    size_t facts_at = batch.size();
    if (next == statements.size() && facts_wanted_) {
      facts = std::move(facts_wanted_);
      facts_wanted_.reset();
      batch.back().sync_after = true;
      for (pg_detail::PipelineStatement& q : FactsQueries(*facts)) batch.push_back(std::move(q));
    }
    std::vector<pg_detail::PipelineOutcome> out = RunPipeline(batch);
    std::vector<pg_detail::PipelineOutcome> facts_out(std::make_move_iterator(out.begin() + static_cast<std::ptrdiff_t>(facts_at)),
                                                      std::make_move_iterator(out.end()));
    out.resize(facts_at);
    if (first_batch && prefix_out != nullptr) {
      prefix_out->assign(std::make_move_iterator(out.begin()),
                         std::make_move_iterator(out.begin() + static_cast<std::ptrdiff_t>(skip)));
      // A failed prefix skipped the statements: the caller decides.
      for (size_t k = 0; k < skip; ++k) {
        if (!(*prefix_out)[k].ok()) return result;
      }
    }
    first_batch = false;
    for (size_t k = skip; k < out.size(); ++k) {
      if (out[k].error) {
        result.failed = first + (k - skip);
        result.error = std::move(out[k].error);
        return result;
      }
    }
    if (facts) {
      const bool read = std::all_of(facts_out.begin(), facts_out.end(),
                                    [](const pg_detail::PipelineOutcome& o) { return o.ok(); });
      if (read) {
        GateFacts got = FactsOf(*facts, facts_out);
        facts_read_.emplace(std::move(*facts), std::move(got));
      } else if (facts_out.front().ok()) {
        // The read failed after its savepoint: leave the step usable; the
        // ReadGateFacts that follows reads again (and prepares again).
        AbandonFactsRead();
      }
    }
  }
  return result;
}

void PgDatabase::ExecStatementAutocommit(const std::string& sql) {
  if (in_step_) {
    throw std::logic_error(
        "ExecStatementAutocommit inside a step transaction");
  }
  Raw(sql);
}

void PgDatabase::Savepoint(const std::string& name) {
  Raw("SAVEPOINT " + Quote(name));
}

void PgDatabase::RollbackToSavepoint(const std::string& name) {
  Raw("ROLLBACK TO SAVEPOINT " + Quote(name));
  // A table created after the savepoint is gone again: look it up next time.
  version_seen_ = history_seen_ = false;
}

void PgDatabase::ReleaseSavepoint(const std::string& name) {
  Raw("RELEASE SAVEPOINT " + Quote(name));
}

void PgDatabase::CommitStep() {
  if (!in_step_) throw std::logic_error("CommitStep without an open step");
  // Whatever COMMIT answers, the transaction is over.
  in_step_ = false;
  facts_wanted_.reset();
  role_before_probe_.reset();
  // One round trip (a pipeline): the pending history rows (InsertHistory)
  // and COMMIT in one segment, so a failed row skips the COMMIT; then, in a
  // segment of its own, the version table read back (ReadHeads returns it).
  // In a transaction that has already failed the rows are dropped, so that
  // COMMIT reports the failure as before.
  PGconn* c = conn_->raw();
  if (c != nullptr && PQtransactionStatus(c) == PQTRANS_INERROR) pending_history_.clear();
  std::vector<pg_detail::PipelineStatement> batch;
  for (std::string& s : pending_history_) batch.emplace_back(std::move(s));
  pending_history_.clear();
  const bool with_history = !batch.empty();
  batch.emplace_back("COMMIT", std::vector<std::string>{}, "", true);
  const size_t commit = batch.size() - 1;
  // No look-up first: should the table be missing, this read fails on its
  // own and the next ReadHeads asks again.
  batch.emplace_back("SELECT version_num FROM " + Qualified(version_table_));
  std::vector<pg_detail::PipelineOutcome> out;
  try {
    out = RunPipeline(batch);
  } catch (...) {
    RollbackStep();  // BEGIN itself failed (a step that had sent nothing)
    throw;
  }
  for (size_t i = 0; i < commit; ++i) {
    if (out[i].error) {
      // A history row failed, so COMMIT was skipped: roll back here, since
      // the transaction is over whatever CommitStep answers.
      if (with_history) RollbackStep();
      throw *out[i].error;
    }
  }
  if (out[commit].error) throw *out[commit].error;
  if (out[commit].rows && out[commit].rows->Status() == "ROLLBACK") {
    throw Error(ExitCode::kStepFailed,
                "the step's transaction had failed, so COMMIT rolled it back");
  }
  if (out.back().rows) {
    std::vector<std::string> heads;
    for (int i = 0; i < out.back().rows->size(); ++i) heads.push_back(out.back().rows->Text(i, 0));
    std::sort(heads.begin(), heads.end());
    heads_after_commit_ = std::move(heads);
  }
}

void PgDatabase::RollbackStep() {
  in_step_ = false;
  facts_wanted_.reset();
  facts_read_.reset();
  role_before_probe_.reset();
  pending_begin_.clear();
  pending_history_.clear();
  // Tables created in the step (EnsureVersionTable inside it) are gone.
  version_seen_ = history_seen_ = false;
  PGconn* c = conn_ ? conn_->raw() : nullptr;
  // Ask the connection, not our flag: send ROLLBACK only when a transaction
  // is open, which keeps "there is no transaction in progress" warnings out
  // of the notices.
  if (c == nullptr || PQstatus(c) != CONNECTION_OK ||
      PQtransactionStatus(c) == PQTRANS_IDLE) {
    return;
  }
  try {
    Raw("ROLLBACK");
  } catch (...) {
  }
}

std::vector<std::string> PgDatabase::TakeNotices() {
  std::vector<std::string> out;
  out.swap(notices_->messages);
  return out;
}

}  // namespace retort
