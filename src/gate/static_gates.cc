// Static gates: what can be refused from the files alone, before anything
// runs (SPEC §6). The facts come from libpg_query's parse tree (AnalyzeScript).
#include "retort/gate/static_gates.h"

#include "retort/common/text.h"
#include "retort/sql/statement_analysis.h"

namespace retort {
namespace {

struct ScriptFile {
  const Script& script;
  bool upgrade;
  std::string path() const { return script.ShownSqlPath(upgrade); }
};

Finding Make(const ScriptFile& f, int line, const char* id, Severity severity, std::string message,
             std::string hint) {
  return Finding{id, severity, f.script.revision.id, f.path(), line, std::move(message), std::move(hint), "", "", {}};
}

/// A file's syntax error as its only finding; false when there is one.
bool Parsed(const ScriptFile& f, const ScriptAnalysis& analysis, std::vector<Finding>& findings) {
  if (analysis.ok()) return true;
  const SqlSyntaxError& e = *analysis.syntax_error;
  findings.push_back(Make(f, e.line(), "sql-syntax", Severity::kError,
                          std::string("syntax error: ") + e.what() + " (column " + std::to_string(e.column()) + ")",
                          "fix the statement; PostgreSQL would reject it the same way"));
  return false;
}

void CheckStatements(const ScriptFile& f, const std::vector<AnalyzedStatement>& statements,
                     std::vector<Finding>& findings) {
  for (const AnalyzedStatement& s : statements) {
    const int line = s.span.line;
    for (const UnboundedWrite& w : s.unbounded_writes) {
      const bool del = w.verb == "DELETE";
      std::string where = w.trivially_true_where ? "a WHERE clause that is always true" : "no WHERE clause";
      std::string context = w.in_cte ? " (inside a WITH query)" : w.in_do_block ? " (inside a DO block)" : "";
      findings.push_back(Make(f, line, del ? "delete-without-where" : "update-without-where", Severity::kError,
                              w.verb + " on " + QualifiedName(w.table) + " has " + where + context +
                                  ", so it touches every row of every tenant",
                              "narrow it with a WHERE that selects the rows the migration means"));
    }
    if (s.transaction_control) {
      findings.push_back(Make(f, line, "transaction-control", Severity::kError,
                              "the script controls transactions itself (" + s.node_type + ")",
                              "remove BEGIN/COMMIT/ROLLBACK/SAVEPOINT: retort runs each step in its own "
                              "transaction; use transactional: false for statements that cannot run "
                              "in one"));
    }
    if (s.needs_autocommit && f.script.transactional) {
      findings.push_back(Make(f, line, "non-transactional-in-transaction", Severity::kError,
                              "this statement cannot run inside a transaction block, but the revision "
                              "is transactional",
                              "put it in a revision of its own with transactional: false in "
                              "migration.yaml"));
    }
    for (const DestructiveOp& d : s.destructive) {
      std::string target = QualifiedName(d.target);
      findings.push_back(Make(f, line, "destructive", Severity::kConfirm,
                              d.what + " " + target + (d.detail.empty() ? "" : " (" + d.detail + ")") +
                                  " removes data",
                              "retort counts its rows before anything runs and applies it only when confirmed (typed "
                              "on a terminal, or --confirm TABLE=COUNT from a reviewed dry run)"));
    }
  }
}

}  // namespace

std::vector<Finding> CheckRevisionStatically(const Script& script, const RevisionNode& node) {
  const ScriptAnalysis up = AnalyzeScript(script.upgrade_sql);
  if (!script.has_downgrade) return CheckRevisionStatically(script, node, up, nullptr);
  const ScriptAnalysis down = AnalyzeScript(script.downgrade_sql);
  return CheckRevisionStatically(script, node, up, &down);
}

std::vector<Finding> CheckRevisionStatically(const Script& script, const RevisionNode& node,
                                             const ScriptAnalysis& up_analysis, const ScriptAnalysis* down_analysis) {
  std::vector<Finding> findings;
  ScriptFile up{script, true};
  ScriptFile down{script, false};
  const bool up_ok = Parsed(up, up_analysis, findings);
  const std::vector<AnalyzedStatement>& up_statements = up_analysis.statements;
  if (up_ok) CheckStatements(up, up_statements, findings);

  if (!script.has_downgrade) {
    findings.push_back(Make(down, 0, "downgrade-missing", Severity::kError,
                            "revision " + script.revision.id + " has no downgrade.sql",
                            "write downgrade.sql: the exact inverse of upgrade.sql; retort applies "
                            "nothing it cannot undo"));
    return findings;
  }
  if (!Parsed(down, *down_analysis, findings)) return findings;
  const std::vector<AnalyzedStatement>& down_statements = down_analysis->statements;
  CheckStatements(down, down_statements, findings);
  // A merge whose upgrade does nothing is the one revision allowed a
  // downgrade that does nothing too.
  const bool empty_merge = node.is_merge_point() && up_ok && !ChangesSomething(up_statements);
  if (!ChangesSomething(down_statements) && !empty_merge) {
    findings.push_back(Make(down, down_statements.empty() ? 0 : down_statements.front().span.line,
                            "downgrade-stub", Severity::kError,
                            "the downgrade changes nothing (only comments, SELECTs, empty DO blocks or "
                            "notices)",
                            "write the exact inverse of upgrade.sql; retort applies nothing it cannot "
                            "undo"));
  }
  return findings;
}

std::vector<Finding> CheckGraphStatically(const RevisionMap& map) {
  std::vector<Finding> findings;
  if (map.heads().size() > 1) {
    std::vector<std::string> ids;
    for (int h : map.heads()) ids.push_back(map.id(h));
    findings.push_back(Finding{"multiple-heads", Severity::kWarning, "", "", 0,
                               "the script directory has " + std::to_string(ids.size()) +
                                   " heads (" + Join(ids, ", ") + "), so 'upgrade head' is ambiguous",
                               "merge them: retort merge -m \"merge heads\" heads", "", "", {}});
  }
  return findings;
}

}  // namespace retort
