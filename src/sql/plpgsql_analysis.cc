// DO blocks: the body is PL/pgSQL that runs now, so its SQL statements are
// analysed like top-level ones and its expressions are judged like SELECTs.
// A body that only raises messages, assigns variables and branches changes
// nothing: the downgrade-stub gate must see through `DO $$ BEGIN RAISE
// NOTICE 'nothing to undo'; END $$`.
#include <string>
#include <vector>

#include "analysis_internal.h"

namespace retort {
namespace sql_internal {
namespace {

// How the PLpgSQL_expr texts under a PL/pgSQL statement are to be read.
enum class Text {
  kExpression,  ///< "x > 1", "now()": read as SELECT <text>
  kStatement,   ///< "SELECT 1", "DELETE FROM t RETURNING *": read as is
};

// Statements that only steer control, talk to the client or read; what
// they evaluate is judged through their PLpgSQL_expr children. Those marked
// kStatement carry whole queries (PERFORM's is "SELECT ...").
bool NeutralStatement(const std::string& type, Text* texts) {
  static const char* const kExpressions[] = {
      "PLpgSQL_stmt_block",   "PLpgSQL_stmt_if",          "PLpgSQL_stmt_case",      "PLpgSQL_stmt_loop",
      "PLpgSQL_stmt_while",   "PLpgSQL_stmt_fori",        "PLpgSQL_stmt_foreach_a", "PLpgSQL_stmt_exit",
      "PLpgSQL_stmt_return",  "PLpgSQL_stmt_return_next", "PLpgSQL_stmt_raise",     "PLpgSQL_stmt_assert",
      "PLpgSQL_stmt_getdiag", "PLpgSQL_stmt_fetch",       "PLpgSQL_stmt_close"};
  static const char* const kStatements[] = {"PLpgSQL_stmt_perform", "PLpgSQL_stmt_fors", "PLpgSQL_stmt_forc",
                                            "PLpgSQL_stmt_return_query", "PLpgSQL_stmt_open"};
  for (const char* neutral : kExpressions) {
    if (type == neutral) {
      *texts = Text::kExpression;
      return true;
    }
  }
  for (const char* neutral : kStatements) {
    if (type == neutral) {
      *texts = Text::kStatement;
      return true;
    }
  }
  return false;
}

std::string ExpressionText(const Json* expr_node) {
  if (expr_node == nullptr) return "";
  const Json* expr = Field(*expr_node, "PLpgSQL_expr");
  return expr != nullptr ? StringField(*expr, "query") : "";
}

// "x := f(1)" / "x = f(1)" -> "f(1)": the target is a local variable.
std::string AssignedValue(const std::string& assignment) {
  size_t at = assignment.find(":=");
  if (at != std::string::npos) return assignment.substr(at + 2);
  at = assignment.find('=');
  return at == std::string::npos ? assignment : assignment.substr(at + 1);
}

void Unknowable(AnalyzedStatement* out) {
  MarkOpaque(out);
  RaiseLock(out, LockLevel::kAccessExclusive, "");
}

void Judge(const std::string& text, Text kind, int depth, AnalyzedStatement* out) {
  AnalyzeNestedText(kind == Text::kExpression ? "SELECT " + text : text, depth, out);
}

void WalkFunction(const Json& root, int depth, AnalyzedStatement* out) {
  struct Item {
    const Json* node;
    Text texts;  ///< set by the nearest enclosing PL/pgSQL statement
  };
  std::vector<Item> stack{{&root, Text::kExpression}};
  while (!stack.empty()) {
    Item item = stack.back();
    stack.pop_back();
    const Json& node = *item.node;
    if (node.is_array()) {
      // Reversed, so that statements pop (and are reported) in body order.
      for (auto element = node.rbegin(); element != node.rend(); ++element) {
        if (element->is_structured()) stack.push_back({&*element, item.texts});
      }
      continue;
    }
    if (!node.is_object()) continue;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string& key = it.key();
      const Json& value = it.value();
      Text texts = item.texts;
      if (key == "PLpgSQL_expr") {
        Judge(StringField(value, "query"), texts, depth, out);
        continue;
      }
      if (key == "dynquery") {  // OPEN ... FOR EXECUTE, RETURN QUERY EXECUTE
        Unknowable(out);
        continue;
      }
      if (key == "cursor_explicit_expr") texts = Text::kStatement;  // DECLARE c CURSOR FOR ...
      if (key.rfind("PLpgSQL_stmt_", 0) != 0) {
        if (value.is_structured()) stack.push_back({&value, texts});
        continue;
      }
      if (key == "PLpgSQL_stmt_execsql") {
        Judge(ExpressionText(Field(value, "sqlstmt")), Text::kStatement, depth, out);
      } else if (key == "PLpgSQL_stmt_assign") {
        Judge(AssignedValue(ExpressionText(Field(value, "expr"))), Text::kExpression, depth, out);
      } else if (key == "PLpgSQL_stmt_call") {
        Judge(ExpressionText(Field(value, "expr")), Text::kStatement, depth, out);  // CALL: opaque
      } else if (key == "PLpgSQL_stmt_commit" || key == "PLpgSQL_stmt_rollback") {
        out->transaction_control = true;
      } else if (NeutralStatement(key, &texts)) {
        stack.push_back({&value, texts});
      } else {
        // EXECUTE of a string, FOR ... IN EXECUTE, and anything newer.
        Unknowable(out);
        stack.push_back({&value, Text::kExpression});
      }
    }
  }
}

}  // namespace

void AnalyzeDoBlock(const Json& do_stmt, int depth, AnalyzedStatement* out) {
  std::string body, language = "plpgsql";
  bool has_body = false;
  if (const Json* args = Field(do_stmt, "args"); args != nullptr && args->is_array()) {
    for (const Json& arg : *args) {
      const Json& def = NodeBody(arg);
      std::vector<std::string> value =
          Field(def, "arg") ? NameParts(*Field(def, "arg")) : std::vector<std::string>{};
      std::string text = value.empty() ? "" : value[0];
      if (StringField(def, "defname") == "as") {
        body = text;
        has_body = true;
      }
      if (StringField(def, "defname") == "language") language = text;
    }
  }
  if (!has_body || language != "plpgsql") {  // another language: we cannot look inside
    Unknowable(out);
    return;
  }
  if (depth > kMaxNesting) {
    Unknowable(out);
    return;
  }
  // libpg_query parses PL/pgSQL only as a function definition.
  std::string tag = "$retort_do$";
  for (int n = 0; body.find(tag) != std::string::npos; ++n) tag = "$retort_do" + std::to_string(n) + "$";
  ParseOutcome parsed =
      ParsePlpgsql("CREATE FUNCTION retort_do() RETURNS void AS " + tag + body + tag + " LANGUAGE plpgsql");
  if (!parsed.ok) {
    Unknowable(out);
    return;
  }
  out->changes_something = false;
  WalkFunction(parsed.tree, depth, out);
}

}  // namespace sql_internal
}  // namespace retort
