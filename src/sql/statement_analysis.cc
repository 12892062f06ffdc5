// Statement analysis: one handler per parse-tree node type (queries, data
// and maintenance here, schema statements in ddl_analysis.cc), plus one walk
// per statement that finds every data-modifying statement nested anywhere
// (CTEs, EXPLAIN ANALYZE, PREPARE, COPY (...)).
#include "retort/sql/statement_analysis.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "analysis_internal.h"

namespace retort {
namespace sql_internal {
namespace {

// Reads take ACCESS SHARE (ROW SHARE under FOR UPDATE/SHARE) on each table
// named in FROM/JOIN/USING, except CTE names.
void ApplyReads(Context& ctx) {
  const TreeFacts& facts = ctx.facts;
  for (const Json* range_var : facts.read_relations) {
    SqlObject table = ObjectFromRangeVar(*range_var, "table");
    if (table.schema.empty() &&
        std::find(facts.cte_names.begin(), facts.cte_names.end(), table.name) != facts.cte_names.end()) {
      continue;
    }
    ctx.Lock(facts.row_locking ? LockLevel::kRowShare : LockLevel::kAccessShare, table);
  }
}

// Every DELETE/UPDATE/INSERT/MERGE found anywhere in the statement.
void ApplyWrites(Context& ctx) {
  for (const TreeFacts::Write& write : ctx.facts.writes) {
    const Json* relation = Field(*write.body, "relation");
    static const Json kNoRelation = Json::object();
    SqlObject table = ObjectFromRangeVar(relation != nullptr ? *relation : kNoRelation, "table");
    ctx.out->changes_something = true;
    ctx.Lock(LockLevel::kRowExclusive, table);
    if (write.verb != "DELETE" && write.verb != "UPDATE") continue;
    const Json* where = Field(*write.body, "whereClause");
    bool trivially_true = where != nullptr && EvaluateCondition(*where, ctx.source) == Truth::kTrue;
    if (where == nullptr || trivially_true) {
      UnboundedWrite unbounded;
      unbounded.verb = write.verb;
      unbounded.table = table;
      unbounded.in_cte = write.in_cte;
      unbounded.trivially_true_where = trivially_true;
      ctx.out->unbounded_writes.push_back(unbounded);
    }
  }
}

// --- queries and data ---------------------------------------------------------

void HandleSelect(const Json& body, Context& ctx) {
  if (const Json* into = Field(body, "intoClause")) {  // SELECT ... INTO t
    const Json* rel = Field(*into, "rel");
    if (rel != nullptr) {
      SqlObject table = ObjectFromRangeVar(*rel, "table");
      ctx.out->creates.push_back(table);
      ctx.Touch(table);
    }
    ctx.out->changes_something = true;
  } else {
    ctx.out->changes_something = !ctx.facts.writes.empty() || !ctx.facts.unsafe_calls.empty();
  }
  ApplyReads(ctx);
}

void HandleWrite(const Json&, Context& ctx) {
  ctx.out->changes_something = true;
  ApplyReads(ctx);
}

void HandleCreateTableAs(const Json& body, Context& ctx) {
  const Json* into = Field(body, "into");
  const Json* rel = into != nullptr ? Field(*into, "rel") : nullptr;
  if (rel != nullptr) {
    bool matview = StringField(body, "objtype") == "OBJECT_MATVIEW";
    SqlObject object = ObjectFromRangeVar(*rel, matview ? "materialized view" : "table");
    ctx.out->creates.push_back(object);
    if (!matview) ctx.Touch(object);
  }
  ApplyReads(ctx);
}

void HandleDeclareCursor(const Json&, Context& ctx) {
  ctx.out->changes_something = !ctx.facts.writes.empty() || !ctx.facts.unsafe_calls.empty();
  ApplyReads(ctx);
}

void HandleCopy(const Json& body, Context& ctx) {
  const Json* relation = Field(body, "relation");
  bool from = BoolField(body, "is_from");
  if (relation != nullptr) {
    ctx.Lock(from ? LockLevel::kRowExclusive : LockLevel::kAccessShare,
             ObjectFromRangeVar(*relation, "table"));
  }
  ctx.out->changes_something = from || !ctx.facts.writes.empty() || !ctx.facts.unsafe_calls.empty();
  ApplyReads(ctx);
}

void HandleNoChange(const Json&, Context& ctx) {
  // PREPARE, SET, SHOW, ...; a write nested in a PREPARE still counts (ApplyWrites).
  ctx.out->changes_something = false;
}

// A node type this analysis does not know.
void HandleOpaque(const Json& body, Context& ctx) {
  MarkOpaque(ctx.out);
  if (const Json* relation = Field(body, "relation")) {
    ctx.Lock(LockLevel::kAccessExclusive, ObjectFromRangeVar(*relation, "table"));
  }
}

// EXECUTE of a prepared statement, CALL of a procedure: code we cannot see
// runs now, and may do and lock anything.
void HandleUnseenCode(const Json&, Context& ctx) {
  MarkOpaque(ctx.out);
  RaiseLock(ctx.out, LockLevel::kAccessExclusive, "");
}

// --- maintenance, locks, transactions ----------------------------------------------

bool HasOption(const Json& body, const char* list_key, const std::string& name) {
  const Json* options = Field(body, list_key);
  if (options == nullptr || !options->is_array()) return false;
  for (const Json& option : *options) {
    if (StringField(NodeBody(option), "defname") == name) return true;
  }
  return false;
}

void HandleVacuum(const Json& body, Context& ctx) {
  // VACUUM and ANALYZE change statistics and free space, not what the schema
  // or the data are.
  ctx.out->changes_something = false;
  bool vacuum = BoolField(body, "is_vacuumcmd");
  if (vacuum) ctx.out->needs_autocommit = true;
  LockLevel level = vacuum && HasOption(body, "options", "full") ? LockLevel::kAccessExclusive
                                                                 : LockLevel::kShareUpdateExclusive;
  const Json* rels = Field(body, "rels");
  if (rels == nullptr || !rels->is_array()) {
    RaiseLock(ctx.out, level, "");
    return;
  }
  for (const Json& rel : *rels) {
    if (const Json* relation = Field(NodeBody(rel), "relation")) {
      ctx.Lock(level, ObjectFromRangeVar(*relation, "table"));
    }
  }
}

void HandleReindex(const Json& body, Context& ctx) {
  const std::string kind = StringField(body, "kind");
  bool concurrent = HasOption(body, "params", "concurrently");
  bool whole =
      kind == "REINDEX_OBJECT_SCHEMA" || kind == "REINDEX_OBJECT_DATABASE" || kind == "REINDEX_OBJECT_SYSTEM";
  if (concurrent || whole) ctx.out->needs_autocommit = true;
  // Without CONCURRENTLY each index is rebuilt under ACCESS EXCLUSIVE (the
  // table itself under SHARE), which blocks reads that use the index.
  LockLevel level = concurrent ? LockLevel::kShareUpdateExclusive : LockLevel::kAccessExclusive;
  if (const Json* relation = Field(body, "relation")) {
    ctx.Lock(level, ObjectFromRangeVar(*relation, kind == "REINDEX_OBJECT_INDEX" ? "index" : "table"));
  } else {
    RaiseLock(ctx.out, level, "");
  }
}

void HandleCluster(const Json& body, Context& ctx) {
  if (const Json* relation = Field(body, "relation")) {
    ctx.Lock(LockLevel::kAccessExclusive, ObjectFromRangeVar(*relation, "table"));
  } else {
    ctx.out->needs_autocommit = true;  // CLUSTER of every clustered table
    RaiseLock(ctx.out, LockLevel::kAccessExclusive, "");
  }
}

void HandleRefreshMatView(const Json& body, Context& ctx) {
  if (const Json* relation = Field(body, "relation")) {
    ctx.Lock(BoolField(body, "concurrent") ? LockLevel::kExclusive : LockLevel::kAccessExclusive,
             ObjectFromRangeVar(*relation, "materialized view"));
  }
}

void HandleLock(const Json& body, Context& ctx) {
  ctx.out->changes_something = false;
  LockLevel level = LockLevelOfMode(IntField(body, "mode"));
  const Json* relations = Field(body, "relations");
  if (relations == nullptr || !relations->is_array()) return;
  for (const Json& relation : *relations) ctx.Lock(level, ObjectFromRangeVar(relation, "table"));
}

void HandleTransaction(const Json&, Context& ctx) {
  ctx.out->transaction_control = true;
  ctx.out->changes_something = false;
}

void HandleExplain(const Json& body, Context& ctx) {
  const Json* query = Field(body, "query");
  if (query == nullptr) return;
  AnalyzedStatement inner;
  AnalyzeNode(*query, ctx.source, ctx.depth, &inner);
  if (ExplainAnalyzes(body)) {
    // EXPLAIN ANALYZE runs the statement.
    MergeNested(ctx.out, inner, false);
    ctx.out->changes_something = inner.changes_something;
    return;
  }
  // Plain EXPLAIN plans the statement (taking its locks) but does not run it.
  ctx.out->changes_something = false;
  RaiseLock(ctx.out, inner.lock, inner.lock_target);
}

const HandlerMap& Handlers() {
  static const HandlerMap kHandlers = [] {
    HandlerMap handlers = {
        {"SelectStmt", HandleSelect},
        {"InsertStmt", HandleWrite},
        {"UpdateStmt", HandleWrite},
        {"DeleteStmt", HandleWrite},
        {"MergeStmt", HandleWrite},
        {"CreateTableAsStmt", HandleCreateTableAs},
        {"DeclareCursorStmt", HandleDeclareCursor},
        {"CopyStmt", HandleCopy},
        {"VacuumStmt", HandleVacuum},
        {"ReindexStmt", HandleReindex},
        {"ClusterStmt", HandleCluster},
        {"RefreshMatViewStmt", HandleRefreshMatView},
        {"LockStmt", HandleLock},
        {"TransactionStmt", HandleTransaction},
        {"VariableSetStmt", HandleNoChange},
        {"VariableShowStmt", HandleNoChange},
        {"ConstraintsSetStmt", HandleNoChange},
        {"DiscardStmt", HandleNoChange},
        {"CheckPointStmt", HandleNoChange},
        {"ListenStmt", HandleNoChange},
        {"UnlistenStmt", HandleNoChange},
        {"DeallocateStmt", HandleNoChange},
        {"PrepareStmt", HandleNoChange},
        {"ClosePortalStmt", HandleNoChange},
        {"FetchStmt", HandleNoChange},
        {"ExecuteStmt", HandleUnseenCode},
        {"CallStmt", HandleUnseenCode},
    };
    AddDdlHandlers(&handlers);
    return handlers;
  }();
  return kHandlers;
}

}  // namespace

std::string Qualified(const SqlObject& object) {
  return object.schema.empty() ? object.name : object.schema + "." + object.name;
}

void AddUnique(std::vector<SqlObject>* list, const SqlObject& object) {
  if (std::find(list->begin(), list->end(), object) == list->end()) list->push_back(object);
}

SqlObject TableOnly(const SqlObject& object) {
  SqlObject table;
  table.kind = "table";
  table.schema = object.schema;
  table.name = object.kind == "table" || object.kind == "column" ? object.name : object.table;
  return table;
}

SqlObject Column(const SqlObject& table, const std::string& column) {
  SqlObject object;
  object.kind = "column";
  object.schema = table.schema;
  object.name = table.name;
  object.column = column;
  return object;
}

SqlObject Member(const std::string& kind, const std::string& name, const SqlObject& table) {
  SqlObject object;
  object.kind = kind;
  object.schema = table.schema;
  object.name = name;
  object.table = table.name;
  return object;
}

void RaiseLock(AnalyzedStatement* out, LockLevel level, const std::string& target) {
  if (level > out->lock) {
    out->lock = level;
    out->lock_target = target;
  } else if (level == out->lock && level != LockLevel::kNone && out->lock_target.empty()) {
    out->lock_target = target;  // prefer a named table at the same strength
  }
}

void MarkOpaque(AnalyzedStatement* out) {
  out->opaque = true;
  out->changes_something = true;
}

void MergeNested(AnalyzedStatement* out, const AnalyzedStatement& inner, bool in_do_block) {
  out->changes_something = out->changes_something || inner.changes_something;
  out->transaction_control = out->transaction_control || inner.transaction_control;
  out->needs_autocommit = out->needs_autocommit || inner.needs_autocommit;
  out->enum_value_added = out->enum_value_added || inner.enum_value_added;
  out->opaque = out->opaque || inner.opaque;
  out->cascades = out->cascades || inner.cascades;
  auto append = [](std::vector<SqlObject>* to, const std::vector<SqlObject>& from) {
    to->insert(to->end(), from.begin(), from.end());
  };
  append(&out->creates, inner.creates);
  append(&out->alters, inner.alters);
  append(&out->drops, inner.drops);
  for (const SqlObject& table : inner.tables_touched) AddUnique(&out->tables_touched, table);
  out->destructive.insert(out->destructive.end(), inner.destructive.begin(), inner.destructive.end());
  for (UnboundedWrite write : inner.unbounded_writes) {
    write.in_do_block = write.in_do_block || in_do_block;
    out->unbounded_writes.push_back(write);
  }
  RaiseLock(out, inner.lock, inner.lock_target);
}

void AnalyzeNode(const Json& node, const std::string& source, int depth, AnalyzedStatement* out) {
  const std::string type = NodeType(node);
  if (out->node_type.empty()) out->node_type = type;
  const Json& body = NodeBody(node);
  if (type == "DoStmt") {
    AnalyzeDoBlock(body, depth, out);
    return;
  }
  TreeFacts facts = type == "ExplainStmt" ? TreeFacts{} : CollectTreeFacts(node);
  Context ctx{source, depth, facts, out};
  if (type == "ExplainStmt") {
    HandleExplain(body, ctx);
    return;
  }
  auto handler = Handlers().find(type);
  if (handler != Handlers().end()) {
    handler->second(body, ctx);
  } else {
    HandleOpaque(body, ctx);
  }
  ApplyWrites(ctx);
}

bool AnalyzeNestedText(const std::string& text, int depth, AnalyzedStatement* out) {
  if (depth > kMaxNesting) {
    MarkOpaque(out);
    RaiseLock(out, LockLevel::kAccessExclusive, "");
    return false;
  }
  ParseOutcome parsed = ParseSql(text);
  const Json* stmts = parsed.ok ? Field(parsed.tree, "stmts") : nullptr;
  if (stmts == nullptr || !stmts->is_array()) {
    MarkOpaque(out);
    RaiseLock(out, LockLevel::kAccessExclusive, "");
    return false;
  }
  for (const Json& stmt : *stmts) {
    const Json* node = Field(stmt, "stmt");
    if (node == nullptr) continue;
    AnalyzedStatement inner;
    AnalyzeNode(*node, text, depth + 1, &inner);
    MergeNested(out, inner, true);
  }
  return true;
}

}  // namespace sql_internal

std::vector<AnalyzedStatement> AnalyzeSql(const std::string& sql) {
  using sql_internal::Field;
  std::vector<StatementSpan> spans = SplitStatements(sql);
  std::vector<AnalyzedStatement> result;
  result.reserve(spans.size());
  for (StatementSpan& span : spans) {
    AnalyzedStatement statement;
    statement.span = std::move(span);
    sql_internal::ParseOutcome parsed = sql_internal::ParseSql(statement.span.text);
    if (parsed.too_large) {
      sql_internal::MarkOpaque(&statement);
      sql_internal::RaiseLock(&statement, LockLevel::kAccessExclusive, "");
      result.push_back(std::move(statement));
      continue;
    }
    if (!parsed.ok) {
      // The splitter parsed the whole script already; this is a safety net.
      size_t byte = statement.span.begin;
      if (parsed.cursorpos > 0) byte += ByteOffsetOfCharPosition(statement.span.text, parsed.cursorpos);
      auto [line, column] = LineColumnOfByte(sql, byte);
      throw SqlSyntaxError(parsed.error, line, column);
    }
    const sql_internal::Json* stmts = Field(parsed.tree, "stmts");
    bool first = true;
    if (stmts != nullptr && stmts->is_array()) {
      for (const sql_internal::Json& stmt : *stmts) {
        const sql_internal::Json* node = Field(stmt, "stmt");
        if (node == nullptr) continue;
        if (first) {
          sql_internal::AnalyzeNode(*node, statement.span.text, 0, &statement);
          first = false;
        } else {
          AnalyzedStatement more;
          sql_internal::AnalyzeNode(*node, statement.span.text, 0, &more);
          sql_internal::MergeNested(&statement, more, false);
        }
      }
    }
    result.push_back(std::move(statement));
  }
  return result;
}

ScriptAnalysis AnalyzeScript(const std::string& sql) {
  ScriptAnalysis analysis;
  try {
    analysis.statements = AnalyzeSql(sql);
  } catch (const SqlSyntaxError& e) {
    analysis.syntax_error = e;
  }
  return analysis;
}

bool ChangesSomething(const std::vector<AnalyzedStatement>& statements) {
  return std::any_of(statements.begin(), statements.end(),
                     [](const AnalyzedStatement& s) { return s.changes_something; });
}

}  // namespace retort
