// The round trip's scope: read from the parse trees of both scripts; when in
// doubt, the whole schema.
#include "retort/exec/fingerprint_scope.h"

#include <algorithm>

namespace retort {
namespace {

using Name = FingerprintScope::Name;

void AddOnce(std::vector<Name>& list, const std::string& schema, const std::string& name) {
  for (const Name& n : list) {
    if (n.schema == schema && n.name == name) return;
  }
  list.push_back(Name{schema, name});
}

/// Index name -> its table, from the CREATE INDEX statements of both
/// scripts: a DROP INDEX names only the index.
using IndexTables = std::vector<std::pair<std::string, SqlObject>>;

/// Adds what one object brings into the scope; false when it cannot be
/// scoped.
bool Add(const SqlObject& o, const IndexTables& indexes, FingerprintScope* scope) {
  const std::string& k = o.kind;
  if (k == "table" || k == "view" || k == "materialized view" || k == "sequence" || k == "foreign table" ||
      k == "column") {
    AddOnce(scope->relations, o.schema, o.name);  // a column's `name` is its table
    return true;
  }
  if (k == "policy" || k == "trigger" || k == "rule" || k == "constraint" || k == "index") {
    if (o.table.empty()) {
      // DROP INDEX i: its table is known only when the other script creates it.
      for (const auto& [name, created] : indexes) {
        if (name == o.name && (o.schema.empty() || created.schema.empty() || o.schema == created.schema)) {
          AddOnce(scope->relations, created.schema, created.table);
          return true;
        }
      }
      return false;
    }
    AddOnce(scope->relations, o.schema, o.table);
    return true;
  }
  if (k == "function" || k == "type" || k == "domain") {
    AddOnce(scope->others, o.schema, o.name);
    return true;
  }
  if (k == "schema") {
    AddOnce(scope->others, "", o.name);
    return true;
  }
  // Roles, databases and tablespaces have no line of their own (a grant to a
  // role shows on its object); extensions and the unknown cannot be scoped.
  return k == "role" || k == "database" || k == "tablespace";
}

bool AddStatements(const std::vector<AnalyzedStatement>& statements, const IndexTables& indexes,
                   FingerprintScope* scope) {
  for (const AnalyzedStatement& s : statements) {
    if (s.opaque || s.cascades) return false;
    // GRANT ... ON ALL TABLES IN SCHEMA touches tables no statement names.
    for (const SqlObject& o : s.tables_touched) {
      if (o.kind == "schema") return false;
    }
    for (const auto* list : {&s.creates, &s.alters, &s.drops, &s.tables_touched}) {
      for (const SqlObject& o : *list) {
        if (!Add(o, indexes, scope)) return false;
      }
    }
  }
  return true;
}

}  // namespace

bool FingerprintScopeOf(const std::vector<AnalyzedStatement>& upgrade,
                        const std::vector<AnalyzedStatement>& downgrade, FingerprintScope* scope) {
  *scope = FingerprintScope{};
  IndexTables indexes;
  for (const auto* script : {&upgrade, &downgrade}) {
    for (const AnalyzedStatement& s : *script) {
      for (const SqlObject& o : s.creates) {
        if (o.kind == "index" && !o.table.empty()) indexes.emplace_back(o.name, o);
      }
    }
  }
  return AddStatements(upgrade, indexes, scope) && AddStatements(downgrade, indexes, scope);
}

}  // namespace retort
