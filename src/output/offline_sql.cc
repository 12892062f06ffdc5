#include "retort/output/offline_sql.h"

#include <cctype>

#include "retort/plan/planner.h"

namespace retort {
namespace {

/// Quotes an identifier unless it is a plain lower-case one.
std::string QuoteIdent(const std::string& name) {
  bool plain = !name.empty() && (std::islower(static_cast<unsigned char>(name[0])) || name[0] == '_');
  for (char c : name) {
    plain = plain && (std::islower(static_cast<unsigned char>(c)) ||
                      std::isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '$');
  }
  if (plain) return name;
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string QualifiedName(const VersionTableRef& ref) {
  return ref.schema ? QuoteIdent(*ref.schema) + "." + QuoteIdent(ref.table) : QuoteIdent(ref.table);
}

std::string CreateVersionTableSql(const VersionTableRef& ref) {
  return "CREATE TABLE " + QualifiedName(ref) +
         " (\n    version_num VARCHAR(32) NOT NULL, \n    CONSTRAINT " + QuoteIdent(ref.table + "_pkc") +
         " PRIMARY KEY (version_num)\n)";
}

std::string VersionChangeSql(const VersionTableRef& ref, const VersionChange& change) {
  const std::string t = QualifiedName(ref);
  switch (change.kind) {
    case VersionChange::Kind::kInsert:
      return "INSERT INTO " + t + " (version_num) VALUES ('" + change.to + "') RETURNING " + t +
             ".version_num";
    case VersionChange::Kind::kDelete:
      return "DELETE FROM " + t + " WHERE " + t + ".version_num = '" + change.from + "'";
    case VersionChange::Kind::kUpdate:
      return "UPDATE " + t + " SET version_num='" + change.to + "' WHERE " + t + ".version_num = '" +
             change.from + "'";
  }
  return "";
}

void WriteOfflineSql(const std::vector<PlannedStep>& steps, const VersionTableRef& table,
                     const std::vector<std::string>& initial_heads,
                     const std::function<std::vector<std::string>(const PlannedStep&)>& statements,
                     const std::function<bool(const PlannedStep&)>& transactional,
                     const std::function<void(const std::string&)>& write) {
  constexpr size_t kFlushAt = 64 * 1024;
  std::string out;
  out.reserve(kFlushAt + 4096);
  auto add_statements = [&](const PlannedStep& step) {
    for (const std::string& s : statements(step)) {
      out += s;
      out += ";\n\n";
    }
  };
  bool no_heads = initial_heads.empty();
  for (const PlannedStep& step : steps) {
    const bool in_transaction = !transactional || transactional(step);
    if (!in_transaction) {
      out += "-- Running " + ShortLog(step) + " (transactional: false: outside a transaction)\n\n";
      add_statements(step);
    }
    out += "BEGIN;\n\n";
    if (no_heads) out += CreateVersionTableSql(table) + ";\n\n";
    if (in_transaction) {
      out += "-- Running " + ShortLog(step) + "\n\n";
      add_statements(step);
    }
    for (const VersionChange& c : step.changes) out += VersionChangeSql(table, c) + ";\n\n";
    out += "COMMIT;\n\n";
    no_heads = step.heads_after.empty();
    if (out.size() >= kFlushAt) {
      write(out);
      out.clear();
    }
  }
  if (!out.empty()) write(out);
}

std::string RenderOfflineSql(const std::vector<PlannedStep>& steps, const VersionTableRef& table,
                             const std::vector<std::string>& initial_heads,
                             const std::function<std::vector<std::string>(const PlannedStep&)>& statements,
                             const std::function<bool(const PlannedStep&)>& transactional) {
  std::string sql;
  WriteOfflineSql(steps, table, initial_heads, statements, transactional,
                  [&](const std::string& piece) { sql += piece; });
  return sql;
}

}  // namespace retort
