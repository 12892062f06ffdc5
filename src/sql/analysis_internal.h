#pragma once
// Shared by the statement analysis sources (src/sql only): the libpg_query
// bridge, JSON parse-tree helpers, the expression evaluator, lock levels and
// the PL/pgSQL walk. Not part of the public API.
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "retort/sql/statement_analysis.h"

namespace retort {
namespace sql_internal {

using Json = nlohmann::json;

// --- libpg_query bridge (pg_query_bridge.cc) --------------------------------

/// The outcome of handing text to libpg_query.
struct ParseOutcome {
  bool ok = false;
  bool too_large = false;  ///< not parsed: the statement is beyond what we analyse
  Json tree;               ///< pg_query_parse: {"stmts": [...]}; plpgsql: [{"PLpgSQL_function": ...}]
  std::string error;
  int cursorpos = 0;  ///< 1-based, in characters of the text; 0 when unknown
};

/// pg_query_parse + JSON. Large texts are parsed on a thread with a stack
/// sized to the text, because libpg_query writes its JSON recursively and a
/// long `1+1+...+1` chain otherwise overflows the caller's stack.
ParseOutcome ParseSql(const std::string& text);
/// pg_query_parse_plpgsql on a CREATE FUNCTION ... LANGUAGE plpgsql text.
ParseOutcome ParsePlpgsql(const std::string& function_text);

// --- parse-tree helpers (parse_tree.cc) --------------------------------------
// Never copy a Json subtree: copying recurses, and trees can be deep.

/// `object[key]` or nullptr (also when `object` is not an object).
const Json* Field(const Json& object, const char* key);
/// The string at `object[key]`, "" when absent.
std::string StringField(const Json& object, const char* key);
/// The boolean at `object[key]`; absent means false (libpg_query omits defaults).
bool BoolField(const Json& object, const char* key);
/// The integer at `object[key]`; absent means 0.
long long IntField(const Json& object, const char* key);
/// The single key of a wrapped node ({"RangeVar": {...}} -> "RangeVar"), "" otherwise.
std::string NodeType(const Json& node);
/// The body of a wrapped node, or `node` itself when it is not wrapped.
const Json& NodeBody(const Json& node);
/// The svals of a list of {"String": {"sval": ...}} nodes (other items skipped).
std::vector<std::string> StringList(const Json* list);
/// The name parts of a String, List, TypeName or ObjectWithArgs node.
std::vector<std::string> NameParts(const Json& node);
/// A RangeVar body (wrapped or inlined) as an object of `kind`.
SqlObject ObjectFromRangeVar(const Json& range_var, const std::string& kind);
/// An object from qualified name parts ([schema,] name; a catalog is dropped).
SqlObject ObjectFromName(const std::vector<std::string>& parts, const std::string& kind);
/// "table" for "OBJECT_TABLE", ... (see SqlObject::kind), "other" when unknown.
std::string KindOfObjectType(const std::string& object_type);
/// A TypeName body as written, roughly: "bigint", "varchar(10)", "s.t[]".
std::string TypeNameText(const Json& type_name);

// --- expressions (expression_analysis.cc) -----------------------------------

enum class Truth { kTrue, kFalse, kNull, kUnknown };

/// What a WHERE condition is for every row, when constants decide it.
/// `source` is the text the tree was parsed from (libpg_query 15 omits
/// negative integer constants, which are read back from it).
Truth EvaluateCondition(const Json& expression, const std::string& source);

/// Facts gathered in one iterative walk over a statement's tree.
struct TreeFacts {
  struct Write {
    std::string verb;  ///< "DELETE", "UPDATE", "INSERT", "MERGE"
    const Json* body;
    bool in_cte;
  };
  std::vector<Write> writes;                ///< data-modifying statements, the root included
  std::vector<std::string> unsafe_calls;    ///< functions called that are not known side-effect free
  std::vector<const Json*> read_relations;  ///< RangeVar bodies read (FROM, JOIN, ...)
  std::vector<std::string> cte_names;
  bool row_locking = false;  ///< SELECT ... FOR UPDATE / SHARE
};
/// Walks `root` without recursion. Does not look into what the statement
/// does not run now: view and rule definitions, function bodies, EXPLAIN
/// without ANALYZE.
TreeFacts CollectTreeFacts(const Json& root);
/// True for EXPLAIN (ANALYZE [true]) ..., which runs the statement (an
/// ExplainStmt body).
bool ExplainAnalyzes(const Json& explain);
/// True for a function known to have no side effect (now, count, ...).
bool IsSideEffectFreeFunction(const std::vector<std::string>& name_parts);

// --- locks (lock_levels.cc) --------------------------------------------------

/// The lock one ALTER TABLE subcommand (an AlterTableCmd body) takes on its table.
LockLevel AlterTableCmdLock(const Json& cmd);
/// LOCK TABLE's numeric mode (1..8) as a level.
LockLevel LockLevelOfMode(long long mode);

// --- statements (statement_analysis.cc, plpgsql_analysis.cc) -----------------

/// DO blocks may hold statements that hold DO blocks; beyond this, opaque.
constexpr int kMaxNesting = 4;

/// Raises `out`'s lock to `level` on `target` if stronger than what it has.
void RaiseLock(AnalyzedStatement* out, LockLevel level, const std::string& target);
/// Marks `out` as not fully understood: it changes something and may take
/// any lock.
void MarkOpaque(AnalyzedStatement* out);
/// Adds everything `inner` found to `out` (changes, objects, writes, lock...).
void MergeNested(AnalyzedStatement* out, const AnalyzedStatement& inner, bool in_do_block);

/// "s.t" or "t": how lock targets are written.
std::string Qualified(const SqlObject& object);
/// Appends `object` unless `list` has it already.
void AddUnique(std::vector<SqlObject>* list, const SqlObject& object);
/// The table an object is or belongs to, as a "table".
SqlObject TableOnly(const SqlObject& object);
/// Column `column` of `table`.
SqlObject Column(const SqlObject& table, const std::string& column);
/// A policy, trigger, rule, constraint or index `name` on `table`.
SqlObject Member(const std::string& kind, const std::string& name, const SqlObject& table);

/// What a statement handler reads and fills.
struct Context {
  const std::string& source;  ///< the text the node was parsed from
  int depth;                  ///< DO-block nesting
  const TreeFacts& facts;     ///< the walk over the whole statement
  AnalyzedStatement* out;

  void Touch(const SqlObject& table) { AddUnique(&out->tables_touched, TableOnly(table)); }
  void Lock(LockLevel level, const SqlObject& object) { RaiseLock(out, level, Qualified(object)); }
  void Destroy(const std::string& what, const SqlObject& target, std::string detail = "") {
    out->destructive.push_back(DestructiveOp{what, target, std::move(detail)});
  }
};

/// Fills `ctx.out` from one node type's body.
using Handler = void (*)(const Json& body, Context& ctx);
using HandlerMap = std::unordered_map<std::string, Handler>;
/// Adds the handlers of schema statements (ddl_analysis.cc): CREATE/ALTER/
/// DROP of tables, columns, indexes, policies, types, roles, ...
void AddDdlHandlers(HandlerMap* handlers);

/// Analyses one parsed statement node ({"CreateStmt": {...}}) into `out`
/// (whose changes_something starts true). `source` is the parsed text.
void AnalyzeNode(const Json& node, const std::string& source, int depth, AnalyzedStatement* out);
/// Parses and analyses statement text met inside a DO body and merges what
/// it finds into `out`; unparseable text makes `out` opaque. Returns false on
/// parse failure.
bool AnalyzeNestedText(const std::string& text, int depth, AnalyzedStatement* out);
/// Analyses a DoStmt body into `out`.
void AnalyzeDoBlock(const Json& do_stmt, int depth, AnalyzedStatement* out);

}  // namespace sql_internal
}  // namespace retort
