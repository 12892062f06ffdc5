// Helpers shared by the PgDatabase implementation files (src/pg only).
#pragma once
#include <libpq-fe.h>

#include <memory>
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

 private:
  ResultPtr result_;
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
