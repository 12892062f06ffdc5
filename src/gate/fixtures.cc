// Isolation fixtures: the lookup the probe uses, and the static check that
// a new tenant table comes with one (SPEC §6 isolation-fixture-missing).
#include "retort/gate/fixtures.h"

#include <algorithm>
#include <deque>

#include "retort/sql/statement_analysis.h"

namespace retort {
namespace {

bool NamesTable(const std::string& key, const std::string& table) {
  if (key == table) return true;
  const size_t dot = table.find('.');
  const size_t key_dot = key.find('.');
  // "users" names "public.users"; "public.users" names "users" as written.
  if (dot != std::string::npos && key == table.substr(dot + 1)) return true;
  return dot == std::string::npos && key_dot != std::string::npos && key.substr(key_dot + 1) == table;
}

bool Contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace

bool FindFixture(const RevisionMap& map, const std::vector<Script>& scripts, const std::vector<int>& start,
                 const std::string& table, Fixture* out) {
  std::vector<char> seen(map.size(), 0);
  std::deque<int> queue;
  for (int s : start) {
    if (!seen[static_cast<size_t>(s)]) {
      seen[static_cast<size_t>(s)] = 1;
      queue.push_back(s);
    }
  }
  while (!queue.empty()) {
    const int node = queue.front();
    queue.pop_front();
    const Script& script = scripts[static_cast<size_t>(node)];
    for (const auto& [key, sql] : script.isolation) {
      if (NamesTable(key, table)) {
        *out = Fixture{sql, script.revision.id, script.shown_dir + "/migration.yaml", script.isolation_line};
        return true;
      }
    }
    for (int down : map.node(node).all_down) {
      if (!seen[static_cast<size_t>(down)]) {
        seen[static_cast<size_t>(down)] = 1;
        queue.push_back(down);
      }
    }
  }
  return false;
}

std::vector<Finding> CheckFixturesStatically(const RevisionMap& map, const std::vector<Script>& scripts, int node,
                                             const TenancyConfig& tenancy) {
  return CheckFixturesStatically(map, scripts, node, tenancy,
                                 AnalyzeScript(scripts[static_cast<size_t>(node)].upgrade_sql));
}

std::vector<Finding> CheckFixturesStatically(const RevisionMap& map, const std::vector<Script>& scripts, int node,
                                             const TenancyConfig& tenancy, const ScriptAnalysis& upgrade) {
  if (!upgrade.ok()) return {};
  const Script& script = scripts[static_cast<size_t>(node)];
  const std::vector<AnalyzedStatement>& statements = upgrade.statements;
  std::vector<Finding> findings;
  std::vector<std::string> reported;
  for (const AnalyzedStatement& s : statements) {
    for (const SqlObject& o : s.creates) {
      if (o.kind != "column" || o.column != tenancy.tenant_column) continue;
      if (!o.schema.empty() && !Contains(tenancy.schemas, o.schema)) continue;
      const std::string table = o.schema.empty() ? o.name : o.schema + "." + o.name;
      if (Contains(tenancy.global_tables, o.name) || Contains(tenancy.global_tables, table)) continue;
      if (Contains(reported, table)) continue;
      Fixture fixture;
      if (FindFixture(map, scripts, {node}, table, &fixture)) continue;
      reported.push_back(table);
      // Reported as the catalog gates name tables: schema-qualified (an
      // unqualified name lands in the first managed schema on the usual
      // search_path).
      const std::string shown =
          o.schema.empty() && !tenancy.schemas.empty() ? tenancy.schemas.front() + "." + o.name : table;
      findings.push_back(Finding{"isolation-fixture-missing", Severity::kError, script.revision.id,
                                 script.ShownSqlPath(true), s.span.line,
                                 "tenant-scoped table " + shown + " gets its " + tenancy.tenant_column +
                                     " column here, but no revision up to this one has an isolation fixture "
                                     "for it, so its isolation cannot be probed",
                                 "add to " + script.shown_dir + "/migration.yaml:\n  isolation:\n    " + o.name +
                                     ": INSERT INTO " + table + " (" + tenancy.tenant_column +
                                     ", ...) VALUES (:tenant_id, ...)",
                                 shown, "", {}});
    }
  }
  return findings;
}

}  // namespace retort
