// Expressions: a small evaluator over constants (is this WHERE true for every
// row?), the side-effect-free function allow-list, and the one iterative walk
// that finds writes, calls and reads anywhere in a statement.
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "analysis_internal.h"

namespace retort {
namespace sql_internal {
namespace {

// Deeper conditions are not worth proving: the evaluator answers "unknown".
constexpr int kMaxEvalDepth = 64;

struct Value {
  enum Kind { kUnknown, kNull, kBool, kNumber, kText, kColumn } kind = kUnknown;
  bool boolean = false;
  double number = 0;
  std::string text;  ///< kText: the string; kColumn: the dotted column reference
};

Value Unknown() { return Value{}; }
Value Null() {
  Value v;
  v.kind = Value::kNull;
  return v;
}
Value Bool(bool b) {
  Value v;
  v.kind = Value::kBool;
  v.boolean = b;
  return v;
}
Value Number(double n) {
  Value v;
  v.kind = Value::kNumber;
  v.number = n;
  return v;
}
Value Text(std::string s) {
  Value v;
  v.kind = Value::kText;
  v.text = std::move(s);
  return v;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// PostgreSQL's boolean input: t, true, y, yes, on, 1 and their negations.
Truth ParseBoolText(const std::string& raw) {
  std::string s = Lower(raw);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t start = 0;
  while (start < s.size() && std::isspace(static_cast<unsigned char>(s[start]))) ++start;
  s = s.substr(start);
  if (s == "t" || s == "true" || s == "y" || s == "yes" || s == "on" || s == "1") return Truth::kTrue;
  if (s == "f" || s == "false" || s == "n" || s == "no" || s == "off" || s == "0") return Truth::kFalse;
  return Truth::kUnknown;
}

bool ParseNumber(const std::string& s, double* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  *out = std::strtod(s.c_str(), &end);
  while (end != nullptr && *end != '\0' && std::isspace(static_cast<unsigned char>(*end))) ++end;
  return end != nullptr && *end == '\0';
}

Truth ToTruth(const Value& v) {
  switch (v.kind) {
    case Value::kBool:
      return v.boolean ? Truth::kTrue : Truth::kFalse;
    case Value::kNull:
      return Truth::kNull;
    case Value::kText:
      return ParseBoolText(v.text);  // an untyped literal coerced to boolean
    default:
      return Truth::kUnknown;
  }
}

Value FromTruth(Truth t) {
  switch (t) {
    case Truth::kTrue:
      return Bool(true);
    case Truth::kFalse:
      return Bool(false);
    case Truth::kNull:
      return Null();
    default:
      return Unknown();
  }
}

// libpg_query 15 writes a negative (or zero) integer constant as {"ival":{}};
// read it back from the source text at the constant's location.
Value IntegerAt(const std::string& source, long long location) {
  if (location < 0 || static_cast<size_t>(location) >= source.size()) return Unknown();
  size_t i = static_cast<size_t>(location);
  bool negative = false;
  if (source[i] == '-') {
    negative = true;
    ++i;
    while (i < source.size() && std::isspace(static_cast<unsigned char>(source[i]))) ++i;
  }
  size_t digits_start = i;
  double value = 0;
  while (i < source.size() && std::isdigit(static_cast<unsigned char>(source[i]))) {
    value = value * 10 + (source[i] - '0');
    ++i;
  }
  if (i == digits_start) return Unknown();
  if (i < source.size() &&
      (std::isalnum(static_cast<unsigned char>(source[i])) || source[i] == '.' || source[i] == '_')) {
    return Unknown();
  }
  return Number(negative ? -value : value);
}

Value ConstantValue(const Json& c, const std::string& source) {
  if (BoolField(c, "isnull")) return Null();
  if (const Json* b = Field(c, "boolval")) return Bool(BoolField(*b, "boolval"));
  if (const Json* i = Field(c, "ival")) {
    if (Field(*i, "ival") != nullptr) return Number(static_cast<double>(IntField(*i, "ival")));
    return IntegerAt(source, IntField(c, "location"));
  }
  if (const Json* f = Field(c, "fval")) {
    double n;
    return ParseNumber(StringField(*f, "fval"), &n) ? Number(n) : Unknown();
  }
  if (const Json* s = Field(c, "sval")) return Text(StringField(*s, "sval"));
  return Unknown();
}

std::string LastName(const Json* names) {
  std::vector<std::string> parts = StringList(names);
  return parts.empty() ? std::string() : Lower(parts.back());
}

Value CastValue(const Value& v, const Json& type_name) {
  static const std::set<std::string> kNumeric = {"int2",    "int4",   "int8",   "smallint",
                                                 "integer", "int",    "bigint", "numeric",
                                                 "decimal", "float4", "float8", "real"};
  static const std::set<std::string> kText = {"text", "varchar", "bpchar", "char", "name"};
  std::string type = LastName(Field(type_name, "names"));
  if (v.kind == Value::kNull) return Null();
  if (type == "bool" || type == "boolean") {
    if (v.kind == Value::kBool) return v;
    if (v.kind == Value::kText) return FromTruth(ParseBoolText(v.text));
    if (v.kind == Value::kNumber && v.number == static_cast<long long>(v.number)) return Bool(v.number != 0);
    return Unknown();
  }
  if (kNumeric.count(type) != 0) {
    if (v.kind == Value::kNumber) return v;
    double n;
    if (v.kind == Value::kText && ParseNumber(v.text, &n)) return Number(n);
    return Unknown();
  }
  if (kText.count(type) != 0 && v.kind == Value::kText) return v;
  return Unknown();
}

// -1: a < b, 0: equal, 1: a > b; false when the two cannot be compared here.
bool Compare(const Value& a, const Value& b, bool ordering, int* result) {
  auto sign = [](double d) { return d < 0 ? -1 : (d > 0 ? 1 : 0); };
  if (a.kind == Value::kNumber && b.kind == Value::kNumber) {
    *result = sign(a.number - b.number);
    return true;
  }
  if (a.kind == Value::kNumber || b.kind == Value::kNumber) {
    // An untyped literal beside a number is read as a number ('1' = 1).
    const Value& text = a.kind == Value::kText ? a : b;
    double n;
    if (text.kind != Value::kText || !ParseNumber(text.text, &n)) return false;
    *result = a.kind == Value::kNumber ? sign(a.number - n) : sign(n - b.number);
    return true;
  }
  if (ordering) return false;  // text order depends on the collation
  if (a.kind == Value::kText && b.kind == Value::kText) {
    *result = a.text == b.text ? 0 : 1;
    return true;
  }
  if (a.kind == Value::kBool || b.kind == Value::kBool) {
    Truth ta = ToTruth(a), tb = ToTruth(b);
    if (ta == Truth::kUnknown || tb == Truth::kUnknown) return false;
    *result = ta == tb ? 0 : 1;
    return true;
  }
  return false;
}

Value Evaluate(const Json& node, const std::string& source, int depth);

Value EvaluateComparison(const Json& expr, const std::string& source, int depth) {
  std::string kind = StringField(expr, "kind");
  std::vector<std::string> name = StringList(Field(expr, "name"));
  if (name.size() != 1 || Field(expr, "lexpr") == nullptr || Field(expr, "rexpr") == nullptr) {
    return Unknown();
  }
  const std::string& op = name[0];
  Value left = Evaluate(*Field(expr, "lexpr"), source, depth + 1);
  Value right = Evaluate(*Field(expr, "rexpr"), source, depth + 1);
  bool distinct_test = kind == "AEXPR_DISTINCT" || kind == "AEXPR_NOT_DISTINCT";
  if (!distinct_test && kind != "AEXPR_OP") return Unknown();
  if (left.kind == Value::kColumn && right.kind == Value::kColumn && left.text == right.text) {
    // The same column on both sides: true for every row (but NULLs, which
    // a migration author writing x = x did not mean to keep either).
    if (kind == "AEXPR_NOT_DISTINCT") return Bool(true);
    if (kind == "AEXPR_DISTINCT") return Bool(false);
    if (op == "=" || op == "<=" || op == ">=") return Bool(true);
    if (op == "<>" || op == "<" || op == ">") return Bool(false);
    return Unknown();
  }
  if (distinct_test) {
    if (op != "=") return Unknown();
    bool left_null = left.kind == Value::kNull, right_null = right.kind == Value::kNull;
    bool same;
    if (left_null || right_null) {
      if ((!left_null && left.kind == Value::kUnknown) || (!right_null && right.kind == Value::kUnknown) ||
          left.kind == Value::kColumn || right.kind == Value::kColumn) {
        return Unknown();
      }
      same = left_null && right_null;
    } else {
      int c;
      if (!Compare(left, right, false, &c)) return Unknown();
      same = c == 0;
    }
    return Bool(kind == "AEXPR_NOT_DISTINCT" ? same : !same);
  }
  bool ordering = op == "<" || op == ">" || op == "<=" || op == ">=";
  if (!ordering && op != "=" && op != "<>") return Unknown();
  if (left.kind == Value::kNull || right.kind == Value::kNull) {
    return Null();  // NULL compared with anything is NULL
  }
  int c;
  if (!Compare(left, right, ordering, &c)) return Unknown();
  if (op == "=") return Bool(c == 0);
  if (op == "<>") return Bool(c != 0);
  if (op == "<") return Bool(c < 0);
  if (op == ">") return Bool(c > 0);
  if (op == "<=") return Bool(c <= 0);
  return Bool(c >= 0);
}

Value EvaluateBoolExpr(const Json& expr, const std::string& source, int depth) {
  std::string op = StringField(expr, "boolop");
  const Json* args = Field(expr, "args");
  if (args == nullptr || !args->is_array() || args->empty()) return Unknown();
  std::vector<Truth> truths;
  for (const Json& arg : *args) truths.push_back(ToTruth(Evaluate(arg, source, depth + 1)));
  auto any = [&](Truth t) { return std::find(truths.begin(), truths.end(), t) != truths.end(); };
  if (op == "NOT_EXPR") {
    switch (truths[0]) {
      case Truth::kTrue:
        return Bool(false);
      case Truth::kFalse:
        return Bool(true);
      case Truth::kNull:
        return Null();
      default:
        return Unknown();
    }
  }
  if (op == "AND_EXPR") {
    if (any(Truth::kFalse)) return Bool(false);
    if (any(Truth::kUnknown)) return Unknown();
    return any(Truth::kNull) ? Null() : Bool(true);
  }
  if (op == "OR_EXPR") {
    if (any(Truth::kTrue)) return Bool(true);
    if (any(Truth::kUnknown)) return Unknown();
    return any(Truth::kNull) ? Null() : Bool(false);
  }
  return Unknown();
}

Value Evaluate(const Json& node, const std::string& source, int depth) {
  if (depth > kMaxEvalDepth) return Unknown();
  std::string type = NodeType(node);
  const Json& body = NodeBody(node);
  if (type == "A_Const") return ConstantValue(body, source);
  if (type == "TypeCast") {
    const Json* arg = Field(body, "arg");
    const Json* type_name = Field(body, "typeName");
    if (arg == nullptr || type_name == nullptr) return Unknown();
    return CastValue(Evaluate(*arg, source, depth + 1), *type_name);
  }
  if (type == "A_Expr") return EvaluateComparison(body, source, depth);
  if (type == "BoolExpr") return EvaluateBoolExpr(body, source, depth);
  if (type == "ColumnRef") {
    std::vector<std::string> fields = StringList(Field(body, "fields"));
    if (fields.empty()) return Unknown();  // a.* and the like
    Value v;
    v.kind = Value::kColumn;
    for (const std::string& f : fields) v.text += "." + f;
    return v;
  }
  if (type == "NullTest") {
    const Json* arg = Field(body, "arg");
    if (arg == nullptr) return Unknown();
    Value v = Evaluate(*arg, source, depth + 1);
    if (v.kind == Value::kUnknown || v.kind == Value::kColumn) return Unknown();
    bool is_null = v.kind == Value::kNull;
    return Bool(StringField(body, "nulltesttype") == "IS_NULL" ? is_null : !is_null);
  }
  if (type == "BooleanTest") {
    const Json* arg = Field(body, "arg");
    if (arg == nullptr) return Unknown();
    Truth t = ToTruth(Evaluate(*arg, source, depth + 1));
    if (t == Truth::kUnknown) return Unknown();
    std::string test = StringField(body, "booltesttype");
    if (test == "IS_TRUE") return Bool(t == Truth::kTrue);
    if (test == "IS_NOT_TRUE") return Bool(t != Truth::kTrue);
    if (test == "IS_FALSE") return Bool(t == Truth::kFalse);
    if (test == "IS_NOT_FALSE") return Bool(t != Truth::kFalse);
    if (test == "IS_UNKNOWN") return Bool(t == Truth::kNull);
    if (test == "IS_NOT_UNKNOWN") return Bool(t != Truth::kNull);
  }
  return Unknown();
}

long long LocationOf(const Json& body) { return IntField(body, "location"); }

}  // namespace

Truth EvaluateCondition(const Json& expression, const std::string& source) {
  return ToTruth(Evaluate(expression, source, 0));
}

bool IsSideEffectFreeFunction(const std::vector<std::string>& name_parts) {
  // Reads and pure computations only. Anything else (nextval, setval,
  // set_config, pg_advisory_lock, dblink, a user function) may change state.
  static const std::set<std::string> kPure = {
      // time and session facts
      "now",
      "clock_timestamp",
      "statement_timestamp",
      "transaction_timestamp",
      "timeofday",
      "version",
      "current_setting",
      "current_database",
      "current_schema",
      "current_schemas",
      "pg_backend_pid",
      "pg_postmaster_start_time",
      "pg_sleep",
      "pg_sleep_for",
      "pg_sleep_until",
      "pg_typeof",
      "to_regclass",
      "to_regtype",
      "to_regproc",
      "format_type",
      "obj_description",
      "col_description",
      "has_table_privilege",
      "has_schema_privilege",
      "has_column_privilege",
      "has_function_privilege",
      "pg_has_role",
      "pg_relation_size",
      "pg_total_relation_size",
      "pg_table_size",
      "pg_indexes_size",
      "pg_size_pretty",
      "pg_get_indexdef",
      "pg_get_constraintdef",
      "pg_get_viewdef",
      "pg_get_functiondef",
      // aggregates and window functions
      "count",
      "sum",
      "min",
      "max",
      "avg",
      "array_agg",
      "string_agg",
      "bool_and",
      "bool_or",
      "every",
      "json_agg",
      "jsonb_agg",
      "row_number",
      "rank",
      "dense_rank",
      // text, numbers, dates, json, arrays
      "lower",
      "upper",
      "length",
      "char_length",
      "character_length",
      "octet_length",
      "concat",
      "concat_ws",
      "format",
      "substr",
      "substring",
      "btrim",
      "ltrim",
      "rtrim",
      "replace",
      "left",
      "right",
      "repeat",
      "strpos",
      "position",
      "split_part",
      "md5",
      "quote_ident",
      "quote_literal",
      "quote_nullable",
      "abs",
      "round",
      "ceil",
      "ceiling",
      "floor",
      "trunc",
      "mod",
      "power",
      "sqrt",
      "random",
      "gen_random_uuid",
      "to_char",
      "to_date",
      "to_timestamp",
      "to_number",
      "date_trunc",
      "date_part",
      "extract",
      "age",
      "make_date",
      "make_interval",
      "timezone",
      "overlaps",
      "overlay",
      "similar_to_escape",
      "like_escape",
      "normalize",
      "to_json",
      "to_jsonb",
      "json_build_object",
      "jsonb_build_object",
      "json_build_array",
      "jsonb_build_array",
      "array_length",
      "cardinality",
      "unnest",
      "generate_series",
  };
  if (name_parts.empty() || name_parts.size() > 2) return false;
  if (name_parts.size() == 2 && name_parts[0] != "pg_catalog") return false;
  return kPure.count(name_parts.back()) != 0;
}

bool ExplainAnalyzes(const Json& explain) {
  const Json* options = Field(explain, "options");
  if (options == nullptr || !options->is_array()) return false;
  for (const Json& option : *options) {
    const Json& def = NodeBody(option);
    if (StringField(def, "defname") != "analyze") continue;
    const Json* arg = Field(def, "arg");
    if (arg == nullptr) return true;  // EXPLAIN (ANALYZE) / EXPLAIN ANALYZE
    std::vector<std::string> words = NameParts(*arg);
    if (!words.empty()) return ParseBoolText(words[0]) != Truth::kFalse;
    const Json* boolean = Field(*arg, "Boolean");
    if (boolean != nullptr) return BoolField(*boolean, "boolval");
    const Json* integer = Field(*arg, "Integer");
    if (integer != nullptr) return IntField(*integer, "ival") != 0;
    return true;
  }
  return false;
}

TreeFacts CollectTreeFacts(const Json& root) {
  TreeFacts facts;
  struct Item {
    const Json* node;
    bool in_cte;
  };
  std::vector<Item> stack{{&root, false}};
  while (!stack.empty()) {
    Item item = stack.back();
    stack.pop_back();
    const Json& node = *item.node;
    if (node.is_array()) {
      for (const Json& element : node) {
        if (element.is_structured()) stack.push_back({&element, item.in_cte});
      }
      continue;
    }
    if (!node.is_object()) continue;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string& key = it.key();
      const Json& value = it.value();
      if (key == "lockingClause") facts.row_locking = true;
      if (!value.is_structured()) continue;
      bool in_cte = item.in_cte;
      // Definitions that are stored, not run now.
      if (key == "RuleStmt" || key == "ViewStmt" || key == "CreateFunctionStmt" || key == "DoStmt" ||
          key == "CreateTrigStmt" || key == "CreatePolicyStmt" || key == "AlterPolicyStmt") {
        continue;
      }
      if (key == "ExplainStmt" && !ExplainAnalyzes(value)) continue;
      if (key == "DeleteStmt") facts.writes.push_back({"DELETE", &value, in_cte});
      if (key == "UpdateStmt") facts.writes.push_back({"UPDATE", &value, in_cte});
      if (key == "InsertStmt") facts.writes.push_back({"INSERT", &value, in_cte});
      if (key == "MergeStmt") facts.writes.push_back({"MERGE", &value, in_cte});
      if (key == "FuncCall") {
        std::vector<std::string> name = StringList(Field(value, "funcname"));
        if (!IsSideEffectFreeFunction(name)) {
          std::string dotted;
          for (const std::string& part : name) dotted += (dotted.empty() ? "" : ".") + part;
          facts.unsafe_calls.push_back(dotted);
        }
      }
      if (key == "RangeVar") facts.read_relations.push_back(&value);
      if (key == "CommonTableExpr") {
        facts.cte_names.push_back(StringField(value, "ctename"));
        in_cte = true;
      }
      stack.push_back({&value, in_cte});
    }
  }
  // The stack visits in no useful order; report in source order.
  std::stable_sort(facts.writes.begin(), facts.writes.end(), [](const auto& a, const auto& b) {
    const Json* ra = Field(*a.body, "relation");
    const Json* rb = Field(*b.body, "relation");
    return (ra ? LocationOf(*ra) : 0) < (rb ? LocationOf(*rb) : 0);
  });
  std::stable_sort(facts.read_relations.begin(), facts.read_relations.end(),
                   [](const Json* a, const Json* b) { return LocationOf(*a) < LocationOf(*b); });
  return facts;
}

}  // namespace sql_internal
}  // namespace retort
