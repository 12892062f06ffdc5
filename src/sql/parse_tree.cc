// Reading libpg_query's JSON parse tree (v15 shape rules: defaults omitted,
// enums as strings, concrete struct fields inlined, list items wrapped).
#include <map>
#include <string>
#include <vector>

#include "analysis_internal.h"

namespace retort {
namespace sql_internal {

const Json* Field(const Json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::string StringField(const Json& object, const char* key) {
  const Json* value = Field(object, key);
  return value != nullptr && value->is_string() ? value->get<std::string>() : std::string();
}

bool BoolField(const Json& object, const char* key) {
  const Json* value = Field(object, key);
  return value != nullptr && value->is_boolean() && value->get<bool>();
}

long long IntField(const Json& object, const char* key) {
  const Json* value = Field(object, key);
  return value != nullptr && value->is_number_integer() ? value->get<long long>() : 0;
}

std::string NodeType(const Json& node) {
  if (!node.is_object() || node.size() != 1) return "";
  auto it = node.begin();
  return it.value().is_object() ? it.key() : std::string();
}

const Json& NodeBody(const Json& node) {
  if (!NodeType(node).empty()) return node.begin().value();
  return node;
}

std::vector<std::string> StringList(const Json* list) {
  std::vector<std::string> out;
  if (list == nullptr || !list->is_array()) return out;
  for (const Json& item : *list) {
    const Json* string_node = Field(item, "String");
    if (string_node != nullptr) out.push_back(StringField(*string_node, "sval"));
  }
  return out;
}

std::vector<std::string> NameParts(const Json& node) {
  std::string type = NodeType(node);
  const Json& body = NodeBody(node);
  if (type == "String") return {StringField(body, "sval")};
  if (type == "List") return StringList(Field(body, "items"));
  if (type == "TypeName") return StringList(Field(body, "names"));
  if (type == "ObjectWithArgs") return StringList(Field(body, "objname"));
  if (type == "RangeVar") {
    std::vector<std::string> parts;
    if (!StringField(body, "schemaname").empty()) parts.push_back(StringField(body, "schemaname"));
    parts.push_back(StringField(body, "relname"));
    return parts;
  }
  return {};
}

SqlObject ObjectFromRangeVar(const Json& range_var, const std::string& kind) {
  const Json& body = NodeBody(range_var);
  SqlObject object;
  object.kind = kind;
  object.schema = StringField(body, "schemaname");
  object.name = StringField(body, "relname");
  return object;
}

SqlObject ObjectFromName(const std::vector<std::string>& parts, const std::string& kind) {
  SqlObject object;
  object.kind = kind;
  if (!parts.empty()) object.name = parts.back();
  if (parts.size() >= 2) object.schema = parts[parts.size() - 2];
  return object;
}

std::string KindOfObjectType(const std::string& object_type) {
  static const std::map<std::string, std::string> kKinds = {
      {"OBJECT_TABLE", "table"},
      {"OBJECT_INDEX", "index"},
      {"OBJECT_SCHEMA", "schema"},
      {"OBJECT_TYPE", "type"},
      {"OBJECT_DOMAIN", "domain"},
      {"OBJECT_VIEW", "view"},
      {"OBJECT_MATVIEW", "materialized view"},
      {"OBJECT_SEQUENCE", "sequence"},
      {"OBJECT_FUNCTION", "function"},
      {"OBJECT_PROCEDURE", "function"},
      {"OBJECT_ROUTINE", "function"},
      {"OBJECT_AGGREGATE", "function"},
      {"OBJECT_POLICY", "policy"},
      {"OBJECT_TRIGGER", "trigger"},
      {"OBJECT_RULE", "rule"},
      {"OBJECT_TABCONSTRAINT", "constraint"},
      {"OBJECT_DOMCONSTRAINT", "constraint"},
      {"OBJECT_ROLE", "role"},
      {"OBJECT_EXTENSION", "extension"},
      {"OBJECT_COLUMN", "column"},
      {"OBJECT_DATABASE", "database"},
      {"OBJECT_TABLESPACE", "tablespace"},
      {"OBJECT_FOREIGN_TABLE", "foreign table"},
  };
  auto it = kKinds.find(object_type);
  return it == kKinds.end() ? "other" : it->second;
}

std::string TypeNameText(const Json& type_name) {
  // The grammar turns SQL-standard spellings into catalog names
  // (bigint -> pg_catalog.int8); give the common ones back their SQL name.
  static const std::map<std::string, std::string> kSqlNames = {
      {"int2", "smallint"},           {"int4", "integer"}, {"int8", "bigint"}, {"float4", "real"},
      {"float8", "double precision"}, {"bool", "boolean"}, {"bpchar", "char"},
  };
  const Json& body = NodeBody(type_name);
  std::vector<std::string> names = StringList(Field(body, "names"));
  if (names.size() == 2 && names[0] == "pg_catalog") {
    names.erase(names.begin());
    auto it = kSqlNames.find(names[0]);
    if (it != kSqlNames.end()) names[0] = it->second;
  }
  std::string text;
  for (const std::string& part : names) text += (text.empty() ? "" : ".") + part;
  if (const Json* typmods = Field(body, "typmods"); typmods != nullptr && typmods->is_array()) {
    std::string mods;
    for (const Json& mod : *typmods) {
      const Json* constant = Field(mod, "A_Const");
      const Json* ival = constant != nullptr ? Field(*constant, "ival") : nullptr;
      mods += (mods.empty() ? "" : ",") +
              (ival != nullptr ? std::to_string(IntField(*ival, "ival")) : std::string("?"));
    }
    if (!mods.empty()) text += "(" + mods + ")";
  }
  if (const Json* bounds = Field(body, "arrayBounds"); bounds != nullptr && bounds->is_array()) {
    for (size_t i = 0; i < bounds->size(); ++i) text += "[]";
  }
  return text;
}

}  // namespace sql_internal

std::string QualifiedName(const SqlObject& object) {
  auto qualify = [&](const std::string& name) {
    return object.schema.empty() ? name : object.schema + "." + name;
  };
  if (object.kind == "column") return qualify(object.name) + "." + object.column;
  // An index lives in its table's schema under its own name; CREATE INDEX
  // may leave the name to the server.
  if (object.kind == "index" && !object.name.empty()) return qualify(object.name);
  if (!object.table.empty()) {
    return (object.name.empty() ? "(unnamed)" : object.name) + " on " + qualify(object.table);
  }
  return qualify(object.name);
}

}  // namespace retort
