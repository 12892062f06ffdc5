// Helpers shared by the PgDatabase implementation files (src/pg only).
#pragma once
#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "retort/db/database.h"

namespace retort {
namespace pg_detail {

struct ResultClear {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultClear>;

/// The rows of one successful query, every value in text format.
class Rows {
 public:
  explicit Rows(ResultPtr result) : result_(std::move(result)) {}
  int size() const { return PQntuples(result_.get()); }
  bool empty() const { return size() == 0; }
  bool IsNull(int row, int col) const {
    return PQgetisnull(result_.get(), row, col) != 0;
  }
  /// The value as text; "" for NULL.
  std::string Text(int row, int col) const {
    return std::string(PQgetvalue(result_.get(), row, col),
                       PQgetlength(result_.get(), row, col));
  }
  bool Bool(int row, int col) const {
    return PQgetvalue(result_.get(), row, col)[0] == 't';
  }
  long long Int(int row, int col) const;
  /// A one-dimensional array value ({a,"b c",NULL}); NULL elements as "".
  std::vector<std::string> Array(int row, int col) const;
  /// Rows an INSERT/UPDATE/DELETE touched (PQcmdTuples), 0 if none given.
  long long Affected() const;
  /// The command status tag ("COMMIT", or "ROLLBACK" for a COMMIT of a
  /// failed transaction).
  std::string Status() const { return PQcmdStatus(result_.get()); }

 private:
  ResultPtr result_;
};

/// One statement of a pipeline (PgDatabase::RunPipeline).
struct PipelineStatement {
  PipelineStatement(std::string sql_text, std::vector<std::string> values = {}, std::string name = "",
                    bool sync = false)
      : sql(std::move(sql_text)), params(std::move(values)), prepared_as(std::move(name)), sync_after(sync) {}
  std::string sql;  ///< one statement, $n bound to params
  std::vector<std::string> params;
  /// When set, sent as this named prepared statement (parsed once per
  /// connection, planned once when the server keeps a generic plan).
  std::string prepared_as;
  /// Ends a segment: the server skips the rest of a segment after an
  /// error, and starts the next one afresh (a Sync message).
  bool sync_after = false;
};

/// What became of one pipelined statement: rows, an error, or skipped
/// because an earlier statement of its segment failed.
struct PipelineOutcome {
  std::optional<Rows> rows;
  std::optional<StatementError> error;
  bool ok() const { return rows.has_value(); }
};

/// "identifier" with embedded quotes doubled.
std::string Quote(const std::string& identifier);
/// Splits "schema.table" at the first '.'; {"", name} when there is none.
std::pair<std::string, std::string> SplitQualified(const std::string& name);
/// "schema.table" -> "\"schema\".\"table\""; "table" -> "\"table\"".
std::string QuoteQualified(const std::string& name);
/// A text[] literal ({"a","b"}) for binding a list as one parameter.
std::string ArrayLiteral(const std::vector<std::string>& items);
/// Parses a one-dimensional array in PostgreSQL's text output format.
std::vector<std::string> ParseArray(const std::string& text);
/// The StatementError a failed result describes, every text masked with
/// `password`.
StatementError ErrorFromResult(const PGresult* result,
                               const std::string& password);

}  // namespace pg_detail
}  // namespace retort
