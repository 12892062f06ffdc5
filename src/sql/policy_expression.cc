// Policy expressions: parse what pg_get_expr printed as the WHERE of
// `SELECT 1 WHERE ...` and read the tree: the tenant binding among the
// top-level AND-conjuncts, and the evaluator's verdict on "always true".
#include "retort/sql/policy_expression.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "analysis_internal.h"

namespace retort {
namespace {

using sql_internal::Field;
using sql_internal::Json;
using sql_internal::NodeBody;
using sql_internal::NodeType;
using sql_internal::StringField;
using sql_internal::StringList;

// Casts, NULLIF and sub-selects nest this deep at most before we give up.
constexpr int kMaxUnwrap = 32;
constexpr const char kPrefix[] = "SELECT 1 WHERE ";

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// `name` or `pg_catalog.name`.
bool IsCatalogName(const Json* names, const std::string& name) {
  std::vector<std::string> parts = StringList(names);
  if (parts.size() == 1) return parts[0] == name;
  return parts.size() == 2 && parts[0] == "pg_catalog" && parts[1] == name;
}

/// The node under any number of casts (`x::text::uuid`), or nullptr.
const Json* StripCasts(const Json* node) {
  for (int i = 0; node != nullptr && i < kMaxUnwrap && NodeType(*node) == "TypeCast"; ++i) {
    node = Field(NodeBody(*node), "arg");
  }
  return node;
}

bool IsConstant(const Json* node) {
  node = StripCasts(node);
  return node != nullptr && NodeType(*node) == "A_Const";
}

/// current_setting('<name>') or current_setting('<name>', <boolean constant>):
/// the setting's name.
bool SettingCall(const Json& node, std::string* setting) {
  if (NodeType(node) != "FuncCall") return false;
  const Json& call = NodeBody(node);
  if (!IsCatalogName(Field(call, "funcname"), "current_setting")) return false;
  for (const char* key :
       {"agg_order", "agg_filter", "over", "agg_within_group", "agg_star", "agg_distinct", "func_variadic"}) {
    if (Field(call, key) != nullptr) return false;
  }
  const Json* args = Field(call, "args");
  if (args == nullptr || !args->is_array() || args->empty() || args->size() > 2) return false;
  const Json* name = StripCasts(&(*args)[0]);
  if (name == nullptr || NodeType(*name) != "A_Const") return false;
  const Json* sval = Field(NodeBody(*name), "sval");
  if (sval == nullptr) return false;
  if (args->size() == 2) {
    const Json* missing_ok = StripCasts(&(*args)[1]);
    if (missing_ok == nullptr || NodeType(*missing_ok) != "A_Const" ||
        Field(NodeBody(*missing_ok), "boolval") == nullptr) {
      return false;
    }
  }
  *setting = StringField(*sval, "sval");
  return true;
}

/// The value of a setting, possibly under casts, in NULLIF(<it>, <constant>)
/// or in a scalar sub-select `(SELECT <it>)`: the setting's name.
bool SettingValue(const Json& node, std::string* setting, int depth = 0) {
  if (depth > kMaxUnwrap) return false;
  const Json* value = StripCasts(&node);
  if (value == nullptr) return false;
  if (SettingCall(*value, setting)) return true;
  const std::string type = NodeType(*value);
  const Json& body = NodeBody(*value);
  if (type == "A_Expr" && StringField(body, "kind") == "AEXPR_NULLIF") {
    const Json* first = Field(body, "lexpr");
    return first != nullptr && IsConstant(Field(body, "rexpr")) && SettingValue(*first, setting, depth + 1);
  }
  if (type == "SubLink" && StringField(body, "subLinkType") == "EXPR_SUBLINK") {
    const Json* select = Field(body, "subselect");
    if (select == nullptr || NodeType(*select) != "SelectStmt") return false;
    const Json& stmt = NodeBody(*select);
    for (auto it = stmt.begin(); it != stmt.end(); ++it) {
      // Only a target list: no FROM, WHERE, LIMIT, set operation...
      if (it.key() == "targetList") continue;
      if (it.key() == "limitOption" && it.value() == "LIMIT_OPTION_DEFAULT") continue;
      if (it.key() == "op" && it.value() == "SETOP_NONE") continue;
      return false;
    }
    const Json* targets = Field(stmt, "targetList");
    if (targets == nullptr || !targets->is_array() || targets->size() != 1) return false;
    const Json* target = Field((*targets)[0], "ResTarget");
    const Json* target_value = target != nullptr ? Field(*target, "val") : nullptr;
    return target_value != nullptr && SettingValue(*target_value, setting, depth + 1);
  }
  return false;
}

/// A column reference, possibly qualified and under casts: its name.
bool ColumnValue(const Json& node, std::string* column) {
  const Json* value = StripCasts(&node);
  if (value == nullptr || NodeType(*value) != "ColumnRef") return false;
  const Json* fields = Field(NodeBody(*value), "fields");
  std::vector<std::string> parts = StringList(fields);
  if (parts.empty() || fields == nullptr || parts.size() != fields->size()) return false;  // t.* and the like
  *column = parts.back();
  return true;
}

struct Equality {
  enum Kind { kNone, kBinds, kOtherSetting, kOtherColumn } kind = kNone;
  std::string name;  ///< the other setting or the other column
};

/// What an `a = b` node compares, against the tenant column and setting.
Equality ClassifyEquality(const Json& node, const std::string& tenant_column, const std::string& context_setting) {
  Equality result;
  if (NodeType(node) != "A_Expr") return result;
  const Json& expr = NodeBody(node);
  if (StringField(expr, "kind") != "AEXPR_OP" || !IsCatalogName(Field(expr, "name"), "=")) return result;
  const Json* left = Field(expr, "lexpr");
  const Json* right = Field(expr, "rexpr");
  if (left == nullptr || right == nullptr) return result;
  std::string column, setting;
  const bool column_left = ColumnValue(*left, &column) && SettingValue(*right, &setting);
  if (!column_left && !(ColumnValue(*right, &column) && SettingValue(*left, &setting))) return result;
  const bool right_setting = Lower(setting) == Lower(context_setting);
  if (column == tenant_column && right_setting) {
    result.kind = Equality::kBinds;
  } else if (column == tenant_column) {
    result.kind = Equality::kOtherSetting;
    result.name = setting;
  } else if (right_setting) {
    result.kind = Equality::kOtherColumn;
    result.name = column;
  }
  return result;
}

void AddOnce(std::vector<std::string>* list, const std::string& value) {
  if (std::find(list->begin(), list->end(), value) == list->end()) list->push_back(value);
}

/// The WHERE of `SELECT 1 WHERE <expression>`, or nullptr (with `error`)
/// when the text is anything more than one expression.
const Json* WhereOfProbe(const Json& tree, std::string* error) {
  const Json* stmts = Field(tree, "stmts");
  if (stmts == nullptr || !stmts->is_array() || stmts->size() != 1) {
    *error = "not a single expression";
    return nullptr;
  }
  const Json* stmt = Field((*stmts)[0], "stmt");
  if (stmt == nullptr || NodeType(*stmt) != "SelectStmt") {
    *error = "not a single expression";
    return nullptr;
  }
  const Json& select = NodeBody(*stmt);
  for (auto it = select.begin(); it != select.end(); ++it) {
    const std::string& key = it.key();
    if (key != "targetList" && key != "whereClause" && key != "limitOption" && key != "op") {
      *error = "not a single expression (the text adds " + key + ")";
      return nullptr;
    }
  }
  const Json* where = Field(select, "whereClause");
  if (where == nullptr) *error = "not a single expression";
  return where;
}

}  // namespace

PolicyExpressionFacts AnalyzePolicyExpression(const std::string& expression, const std::string& tenant_column,
                                              const std::string& context_setting) {
  PolicyExpressionFacts facts;
  if (expression.find_first_not_of(" \t\r\n") == std::string::npos) {
    facts.error = "empty expression";
    return facts;
  }
  if (expression.find('\0') != std::string::npos) {
    facts.error = "the expression contains a NUL byte";
    return facts;
  }
  const std::string source = kPrefix + expression;
  sql_internal::ParseOutcome parsed = sql_internal::ParseSql(source);
  if (!parsed.ok) {
    facts.error = parsed.error.empty() ? "cannot be parsed" : parsed.error;
    return facts;
  }
  const Json* where = WhereOfProbe(parsed.tree, &facts.error);
  if (where == nullptr) return facts;
  facts.parsed = true;
  facts.always_true = sql_internal::EvaluateCondition(*where, source) == sql_internal::Truth::kTrue;

  // The top-level conjuncts: AND nests (a AND b) AND c as pg_get_expr prints it.
  std::vector<const Json*> pending = {where};
  std::vector<const Json*> conjuncts;
  while (!pending.empty()) {
    const Json* node = pending.back();
    pending.pop_back();
    const Json* args = Field(NodeBody(*node), "args");
    if (NodeType(*node) == "BoolExpr" && StringField(NodeBody(*node), "boolop") == "AND_EXPR" && args != nullptr &&
        args->is_array()) {
      for (auto it = args->rbegin(); it != args->rend(); ++it) pending.push_back(&*it);
    } else {
      conjuncts.push_back(node);
    }
  }
  for (const Json* conjunct : conjuncts) {
    Equality e = ClassifyEquality(*conjunct, tenant_column, context_setting);
    if (e.kind == Equality::kBinds) facts.binds_tenant = true;
    if (e.kind == Equality::kOtherSetting) AddOnce(&facts.other_settings, e.name);
    if (e.kind == Equality::kOtherColumn) AddOnce(&facts.other_columns, e.name);
  }
  if (facts.binds_tenant) {
    facts.other_settings.clear();
    facts.other_columns.clear();
    return facts;
  }
  // A binding equality anywhere else (under OR, NOT, CASE, ...) does not
  // bind, but says what the author meant.
  pending = {where};
  while (!pending.empty() && !facts.bound_only_under_or_not) {
    const Json* node = pending.back();
    pending.pop_back();
    if (ClassifyEquality(*node, tenant_column, context_setting).kind == Equality::kBinds) {
      facts.bound_only_under_or_not = true;
    }
    if (node->is_object() || node->is_array()) {
      for (const Json& child : *node) {
        if (child.is_structured()) pending.push_back(&child);
      }
    }
  }
  return facts;
}

}  // namespace retort
