#pragma once
// What each statement of a migration script does, read from PostgreSQL's own
// parse tree (libpg_query): the facts the static gates (SPEC §6) and the
// runner need. Pure: text in, values out, no database.
#include <optional>
#include <string>
#include <vector>

#include "retort/sql/statement_splitter.h"

namespace retort {

/// A database object named by a statement, as written (names are not
/// resolved: an unqualified name keeps schema "" and the caller resolves it
/// against the search path).
struct SqlObject {
  /// "table", "index", "schema", "type", "domain", "view", "materialized
  /// view", "sequence", "function", "policy", "trigger", "rule",
  /// "constraint", "role", "extension", "column", "database", "tablespace",
  /// "foreign table" or "other".
  std::string kind;
  std::string schema;  ///< "" when the statement did not qualify the name
  std::string name;    ///< the object's name; for kind "column", its table's name
  std::string column;  ///< kind "column" only: the column's name
  /// For a policy, trigger, rule, constraint or index: the name of its table
  /// when the statement names it ("" for DROP INDEX); `schema` is then the
  /// table's schema, which is also the index's.
  std::string table;

  bool operator==(const SqlObject& o) const {
    return kind == o.kind && schema == o.schema && name == o.name && column == o.column && table == o.table;
  }
};

/// "s.t", "t", "s.t.c" for a column, "p on s.t" for a policy; for messages.
std::string QualifiedName(const SqlObject& object);

/// PostgreSQL's table lock modes, weakest first; the numbers are PostgreSQL's
/// own (LOCK TABLE's modes 1..8), kNone is 0.
enum class LockLevel {
  kNone = 0,
  kAccessShare,
  kRowShare,
  kRowExclusive,
  kShareUpdateExclusive,
  kShare,
  kShareRowExclusive,
  kExclusive,
  kAccessExclusive,
};

/// "ACCESS EXCLUSIVE", "ROW EXCLUSIVE", ..., "NONE".
const char* LockLevelName(LockLevel level);

/// A statement that removes data or a place where data lives.
struct DestructiveOp {
  /// "DROP TABLE", "DROP SCHEMA", "DROP TYPE", "DROP DOMAIN", "DROP SEQUENCE",
  /// "DROP MATERIALIZED VIEW", "DROP DATABASE", "DROP OWNED", "DROP COLUMN",
  /// "DROP ATTRIBUTE", "TRUNCATE", "ALTER COLUMN TYPE".
  std::string what;
  SqlObject target;    ///< a "column" for DROP/ALTER COLUMN; name "" for DROP OWNED
  std::string detail;  ///< ALTER COLUMN TYPE: the new type as written ("bigint", "varchar(10)")
};

/// A DELETE or UPDATE that touches every row: no WHERE, or a WHERE that is
/// true whatever the row (see AnalyzeSql for the rule). MERGE is not judged.
struct UnboundedWrite {
  std::string verb;  ///< "DELETE" or "UPDATE"
  SqlObject table;
  bool in_cte = false;                ///< inside WITH ... AS ( ... )
  bool in_do_block = false;           ///< a statement of a DO block's body
  bool trivially_true_where = false;  ///< false: there is no WHERE at all
};

/// The facts about one statement.
struct AnalyzedStatement {
  StatementSpan span;
  std::string node_type;  ///< libpg_query's node name: "CreateStmt", "AlterTableStmt", ...
  /// False for statements that leave schema and data as they were: SELECT
  /// without side effects, SHOW, SET/RESET, LOCK, VACUUM/ANALYZE, EXPLAIN
  /// (not ANALYZE), transaction control, a DO block doing nothing.
  bool changes_something = true;
  bool transaction_control = false;  ///< BEGIN/COMMIT/ROLLBACK/SAVEPOINT/... (also inside DO)
  /// Cannot run inside a transaction block: CREATE/DROP INDEX CONCURRENTLY,
  /// REINDEX CONCURRENTLY / DATABASE / SYSTEM, VACUUM, CREATE/DROP DATABASE,
  /// CREATE/DROP TABLESPACE, ALTER SYSTEM, DETACH PARTITION CONCURRENTLY,
  /// CLUSTER of the whole database.
  bool needs_autocommit = false;
  /// ALTER TYPE ... ADD VALUE: runs in a transaction since PostgreSQL 12, but
  /// the new value cannot be used before the transaction commits.
  bool enum_value_added = false;
  /// Part of the statement could not be seen into (dynamic EXECUTE, a DO
  /// block in another language or that does not parse, CALL, a node type the
  /// analysis does not know, a statement too large to analyse): the
  /// conservative defaults apply.
  bool opaque = false;
  /// DROP ... CASCADE (also ALTER TABLE ... DROP ... CASCADE): it may remove
  /// objects the statement does not name.
  bool cascades = false;
  std::vector<SqlObject> creates, alters, drops;
  /// Every table whose shape, RLS flags, policies, triggers, indexes,
  /// constraints or grants the statement changes (the catalog gates check
  /// these). A "schema" entry stands for every table of that schema (GRANT
  /// ... ON ALL TABLES IN SCHEMA). Dropped tables are not listed.
  std::vector<SqlObject> tables_touched;
  std::vector<DestructiveOp> destructive;
  std::vector<UnboundedWrite> unbounded_writes;
  /// The strongest table lock the statement takes, and on what ("s.t" as
  /// written; the index for DROP INDEX / REINDEX INDEX, whose table the text
  /// does not name; "" when unknown, e.g. DROP SCHEMA ... CASCADE).
  LockLevel lock = LockLevel::kNone;
  std::string lock_target;
};

/// Splits and analyses a script, one AnalyzedStatement per statement in
/// order (a script of only comments has none).
///
/// A SELECT (or VALUES, or an expression in a DO block) changes nothing when
/// it writes nothing (no INTO, no data-modifying WITH) and every function it
/// calls is on a short allow-list of functions without side effects (now,
/// version, pg_sleep, count, coalesce, ...); any other call (nextval,
/// set_config, pg_advisory_lock, a user function) counts as a change, since
/// we cannot know.
///
/// A WHERE is trivially true when a small evaluator over constants proves it
/// true for every row: constant true, 1 = 1, 'a' = 'a', 1 <> 2, NOT false,
/// TRUE OR <anything>, x = x (the same column on both sides; true but for
/// NULL), NULL IS NULL, casts of constants.
///
/// DO blocks in PL/pgSQL are parsed; their SQL statements are analysed like
/// top-level ones and merged into the DO statement (unbounded writes get
/// in_do_block). A body of only RAISE (any level), NULL, PERFORM/assignments
/// of side-effect-free expressions and control flow around them changes
/// nothing.
///
/// Throws SqlSyntaxError (line/column in the whole script).
std::vector<AnalyzedStatement> AnalyzeSql(const std::string& sql);

/// One script's analysis, or the syntax error that stopped it: made once
/// per run and shared by the static gates, the fixture check and the runner
/// (parsing is most of the client's work per step).
struct ScriptAnalysis {
  std::vector<AnalyzedStatement> statements;
  std::optional<SqlSyntaxError> syntax_error;
  bool ok() const { return !syntax_error; }
};

/// AnalyzeSql, with a syntax error kept rather than thrown.
ScriptAnalysis AnalyzeScript(const std::string& sql);

/// True when at least one statement changes something (the downgrade-stub
/// gate: a downgrade with none is a stub).
bool ChangesSomething(const std::vector<AnalyzedStatement>& statements);

}  // namespace retort
