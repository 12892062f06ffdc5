// Schema statements: what CREATE / ALTER / DROP / GRANT / COMMENT create,
// change, drop and lock, and which tables the catalog gates must look at.
#include <string>
#include <unordered_map>
#include <vector>

#include "analysis_internal.h"

namespace retort {
namespace sql_internal {
namespace {

// --- tables, columns, constraints -----------------------------------------------

// FOREIGN KEY ... REFERENCES u takes SHARE ROW EXCLUSIVE on u as well.
void LockReferencedTable(const Json& constraint_node, Context& ctx) {
  const Json& constraint = NodeBody(constraint_node);
  if (StringField(constraint, "contype") != "CONSTR_FOREIGN") return;
  if (const Json* pktable = Field(constraint, "pktable")) {
    ctx.Lock(LockLevel::kShareRowExclusive, ObjectFromRangeVar(*pktable, "table"));
  }
}

void LockReferencedTables(const Json* constraints, Context& ctx) {
  if (constraints == nullptr || !constraints->is_array()) return;
  for (const Json& constraint : *constraints) LockReferencedTable(constraint, ctx);
}

void CreateTable(const Json& body, const std::string& kind, Context& ctx) {
  const Json* relation = Field(body, "relation");
  if (relation == nullptr) return;
  SqlObject table = ObjectFromRangeVar(*relation, kind);
  ctx.out->creates.push_back(table);
  if (kind == "table") ctx.Touch(table);
  if (const Json* elements = Field(body, "tableElts"); elements != nullptr && elements->is_array()) {
    for (const Json& element : *elements) {
      std::string type = NodeType(element);
      if (type == "ColumnDef") {
        ctx.out->creates.push_back(Column(table, StringField(NodeBody(element), "colname")));
        LockReferencedTables(Field(NodeBody(element), "constraints"), ctx);
      }
      if (type == "Constraint") LockReferencedTable(element, ctx);
    }
  }
  // PARTITION OF takes ACCESS EXCLUSIVE on the parent; INHERITS takes
  // SHARE UPDATE EXCLUSIVE on each parent.
  if (const Json* parents = Field(body, "inhRelations"); parents != nullptr && parents->is_array()) {
    bool partition = Field(body, "partbound") != nullptr;
    for (const Json& parent : *parents) {
      SqlObject parent_table = ObjectFromRangeVar(parent, "table");
      ctx.Lock(partition ? LockLevel::kAccessExclusive : LockLevel::kShareUpdateExclusive, parent_table);
      if (partition) ctx.Touch(parent_table);
    }
  }
}

void HandleCreateTable(const Json& body, Context& ctx) { CreateTable(body, "table", ctx); }

void HandleCreateForeignTable(const Json& body, Context& ctx) {
  if (const Json* base = Field(body, "base")) CreateTable(*base, "foreign table", ctx);
}

// ALTER TABLE subcommands that name a column in `name`.
bool IsColumnCommand(const std::string& subtype) {
  static const char* const kColumnCommands[] = {"AT_SetNotNull",
                                                "AT_DropNotNull",
                                                "AT_ColumnDefault",
                                                "AT_SetStatistics",
                                                "AT_SetOptions",
                                                "AT_ResetOptions",
                                                "AT_SetStorage",
                                                "AT_SetCompression",
                                                "AT_AddIdentity",
                                                "AT_SetIdentity",
                                                "AT_DropIdentity",
                                                "AT_DropExpression",
                                                "AT_AlterColumnGenericOptions"};
  for (const char* command : kColumnCommands) {
    if (subtype == command) return true;
  }
  return false;
}

void HandleAlterTable(const Json& body, Context& ctx) {
  const Json* relation = Field(body, "relation");
  if (relation == nullptr) return;
  std::string kind = KindOfObjectType(StringField(body, "objtype"));
  if (kind == "other") kind = "table";
  SqlObject target = ObjectFromRangeVar(*relation, kind);
  bool is_table = kind == "table";
  ctx.out->alters.push_back(target);
  if (is_table) ctx.Touch(target);
  const Json* cmds = Field(body, "cmds");
  if (cmds == nullptr || !cmds->is_array()) return;
  for (const Json& node : *cmds) {
    const Json& cmd = NodeBody(node);
    const std::string subtype = StringField(cmd, "subtype");
    if (StringField(cmd, "behavior") == "DROP_CASCADE") ctx.out->cascades = true;
    const std::string name = StringField(cmd, "name");
    const Json* def = Field(cmd, "def");
    LockLevel lock = AlterTableCmdLock(cmd);
    ctx.Lock(lock, target);
    if (subtype == "AT_AddColumn" && def != nullptr) {
      const Json& column_def = NodeBody(*def);
      ctx.out->creates.push_back(Column(target, StringField(column_def, "colname")));
      LockReferencedTables(Field(column_def, "constraints"), ctx);
    } else if (subtype == "AT_DropColumn") {
      SqlObject column = Column(target, name);
      ctx.out->drops.push_back(column);
      ctx.Destroy(kind == "type" ? "DROP ATTRIBUTE" : "DROP COLUMN", column);
    } else if (subtype == "AT_AlterColumnType") {
      SqlObject column = Column(target, name);
      ctx.out->alters.push_back(column);
      const Json* type_name = def != nullptr ? Field(NodeBody(*def), "typeName") : nullptr;
      ctx.Destroy("ALTER COLUMN TYPE", column, type_name != nullptr ? TypeNameText(*type_name) : "");
    } else if (subtype == "AT_AddConstraint" && def != nullptr) {
      const Json& constraint = NodeBody(*def);
      ctx.out->creates.push_back(Member("constraint", StringField(constraint, "conname"), target));
      LockReferencedTable(*def, ctx);
    } else if (subtype == "AT_DropConstraint") {
      ctx.out->drops.push_back(Member("constraint", name, target));
    } else if (subtype == "AT_AlterConstraint" || subtype == "AT_ValidateConstraint") {
      std::string constraint = name;
      if (def != nullptr && constraint.empty()) constraint = StringField(NodeBody(*def), "conname");
      ctx.out->alters.push_back(Member("constraint", constraint, target));
    } else if (subtype == "AT_AttachPartition" || subtype == "AT_DetachPartition") {
      const Json* partition = def != nullptr ? Field(NodeBody(*def), "name") : nullptr;
      if (partition != nullptr) {
        SqlObject part = ObjectFromRangeVar(*partition, "table");
        // The partition itself: ACCESS EXCLUSIVE to attach, as the parent to detach.
        ctx.Lock(subtype == "AT_AttachPartition" ? LockLevel::kAccessExclusive : lock, part);
        ctx.Touch(part);
      }
      if (subtype == "AT_DetachPartition" && def != nullptr && BoolField(NodeBody(*def), "concurrent")) {
        ctx.out->needs_autocommit = true;
      }
    } else if (IsColumnCommand(subtype) && !name.empty()) {
      ctx.out->alters.push_back(Column(target, name));
    }
  }
}

void HandleRename(const Json& body, Context& ctx) {
  const std::string rename_type = StringField(body, "renameType");
  const Json* relation = Field(body, "relation");
  const std::string subname = StringField(body, "subname");
  std::string kind = KindOfObjectType(rename_type);
  if (relation != nullptr) {
    std::string relation_kind = kind;
    if (kind == "column" || kind == "constraint" || kind == "policy" || kind == "trigger" || kind == "rule") {
      relation_kind = KindOfObjectType(StringField(body, "relationType"));
      if (relation_kind == "other") relation_kind = "table";  // libpg_query leaves it unset for some
    }
    SqlObject rel = ObjectFromRangeVar(*relation, relation_kind);
    SqlObject object = rel;
    if (kind == "column") object = Column(rel, subname);
    if (kind == "constraint" || kind == "policy" || kind == "trigger" || kind == "rule") {
      object = Member(kind, subname, rel);
    }
    ctx.out->alters.push_back(object);
    if (relation_kind == "table") ctx.Touch(rel);
    // ALTER INDEX ... RENAME takes SHARE UPDATE EXCLUSIVE; every other
    // relation rename ACCESS EXCLUSIVE.
    ctx.Lock(kind == "index" ? LockLevel::kShareUpdateExclusive : LockLevel::kAccessExclusive, rel);
    return;
  }
  const Json* object = Field(body, "object");
  if (object != nullptr) {
    ctx.out->alters.push_back(ObjectFromName(NameParts(*object), kind));
  } else {
    ctx.out->alters.push_back(ObjectFromName({subname}, kind));  // schema, role, database
  }
}

void HandleAlterObjectSchema(const Json& body, Context& ctx) {
  std::string kind = KindOfObjectType(StringField(body, "objectType"));
  if (const Json* relation = Field(body, "relation")) {
    SqlObject rel = ObjectFromRangeVar(*relation, kind);
    ctx.out->alters.push_back(rel);
    if (kind == "table") ctx.Touch(rel);
    ctx.Lock(LockLevel::kAccessExclusive, rel);
  } else if (const Json* object = Field(body, "object")) {
    ctx.out->alters.push_back(ObjectFromName(NameParts(*object), kind));
  }
}

// --- DROP and TRUNCATE --------------------------------------------------------

void HandleDrop(const Json& body, Context& ctx) {
  const std::string kind = KindOfObjectType(StringField(body, "removeType"));
  const bool cascade = StringField(body, "behavior") == "DROP_CASCADE";
  const bool concurrent = BoolField(body, "concurrent");
  static const std::unordered_map<std::string, std::string> kDestructive = {
      {"table", "DROP TABLE"},       {"schema", "DROP SCHEMA"},
      {"type", "DROP TYPE"},         {"domain", "DROP DOMAIN"},
      {"sequence", "DROP SEQUENCE"}, {"materialized view", "DROP MATERIALIZED VIEW"},
  };
  const Json* objects = Field(body, "objects");
  if (objects == nullptr || !objects->is_array()) return;
  for (const Json& node : *objects) {
    std::vector<std::string> parts = NameParts(node);
    SqlObject object;
    if (kind == "policy" || kind == "trigger" || kind == "rule") {
      // [schema,] table, name
      std::string name = parts.empty() ? "" : parts.back();
      if (!parts.empty()) parts.pop_back();
      SqlObject table = ObjectFromName(parts, "table");
      object = Member(kind, name, table);
      ctx.Touch(table);
      ctx.Lock(LockLevel::kAccessExclusive, table);
    } else {
      object = ObjectFromName(parts, kind);
    }
    ctx.out->drops.push_back(object);
    auto destructive = kDestructive.find(kind);
    if (destructive != kDestructive.end()) ctx.Destroy(destructive->second, object);
    if (kind == "table" || kind == "view" || kind == "materialized view" || kind == "sequence" ||
        kind == "foreign table") {
      ctx.Lock(LockLevel::kAccessExclusive, object);
    } else if (kind == "index") {
      ctx.Lock(concurrent ? LockLevel::kShareUpdateExclusive : LockLevel::kAccessExclusive, object);
    }
  }
  if (concurrent) ctx.out->needs_autocommit = true;
  // CASCADE can drop tables we cannot name (columns of a dropped type, the
  // tables of a dropped schema).
  if (cascade) {
    RaiseLock(ctx.out, LockLevel::kAccessExclusive, "");
    ctx.out->cascades = true;
  }
}

void HandleTruncate(const Json& body, Context& ctx) {
  const Json* relations = Field(body, "relations");
  if (relations == nullptr || !relations->is_array()) return;
  for (const Json& relation : *relations) {
    SqlObject table = ObjectFromRangeVar(relation, "table");
    ctx.Destroy("TRUNCATE", table);
    ctx.Lock(LockLevel::kAccessExclusive, table);
  }
}

// --- indexes, policies, triggers, rules, grants ----------------------------------

void HandleIndex(const Json& body, Context& ctx) {
  const Json* relation = Field(body, "relation");
  if (relation == nullptr) return;
  SqlObject table = ObjectFromRangeVar(*relation, "table");
  ctx.out->creates.push_back(Member("index", StringField(body, "idxname"), table));
  ctx.Touch(table);
  bool concurrent = BoolField(body, "concurrent");
  ctx.Lock(concurrent ? LockLevel::kShareUpdateExclusive : LockLevel::kShare, table);
  if (concurrent) ctx.out->needs_autocommit = true;
}

void PolicyStatement(const Json& body, bool create, Context& ctx) {
  const Json* relation = Field(body, "table");
  if (relation == nullptr) return;
  SqlObject table = ObjectFromRangeVar(*relation, "table");
  SqlObject policy = Member("policy", StringField(body, "policy_name"), table);
  (create ? ctx.out->creates : ctx.out->alters).push_back(policy);
  ctx.Touch(table);
  ctx.Lock(LockLevel::kAccessExclusive, table);  // policy.c locks the table so
}

void HandleCreatePolicy(const Json& body, Context& ctx) { PolicyStatement(body, true, ctx); }
void HandleAlterPolicy(const Json& body, Context& ctx) { PolicyStatement(body, false, ctx); }

void HandleCreateTrigger(const Json& body, Context& ctx) {
  const Json* relation = Field(body, "relation");
  if (relation == nullptr) return;
  SqlObject table = ObjectFromRangeVar(*relation, "table");
  ctx.out->creates.push_back(Member("trigger", StringField(body, "trigname"), table));
  ctx.Touch(table);
  ctx.Lock(LockLevel::kShareRowExclusive, table);
}

void HandleRule(const Json& body, Context& ctx) {
  const Json* relation = Field(body, "relation");
  if (relation == nullptr) return;
  SqlObject table = ObjectFromRangeVar(*relation, "table");
  ctx.out->creates.push_back(Member("rule", StringField(body, "rulename"), table));
  ctx.Touch(table);
  ctx.Lock(LockLevel::kAccessExclusive, table);
}

void HandleGrant(const Json& body, Context& ctx) {
  // GRANT/REVOKE update the catalog row without locking the table.
  const std::string kind = KindOfObjectType(StringField(body, "objtype"));
  const Json* objects = Field(body, "objects");
  if (objects == nullptr || !objects->is_array()) return;
  bool all_in_schema = StringField(body, "targtype") == "ACL_TARGET_ALL_IN_SCHEMA";
  for (const Json& node : *objects) {
    if (all_in_schema) {
      SqlObject schema = ObjectFromName(NameParts(node), "schema");
      ctx.out->alters.push_back(schema);
      if (kind == "table") AddUnique(&ctx.out->tables_touched, schema);
      continue;
    }
    SqlObject object = ObjectFromName(NameParts(node), kind);
    ctx.out->alters.push_back(object);
    if (kind == "table") ctx.Touch(object);
  }
}

void HandleComment(const Json& body, Context& ctx) {
  // COMMENT ON takes SHARE UPDATE EXCLUSIVE on a commented relation.
  const std::string kind = KindOfObjectType(StringField(body, "objtype"));
  const Json* object = Field(body, "object");
  if (object == nullptr) return;
  std::vector<std::string> parts = NameParts(*object);
  SqlObject target;
  if (kind == "column" && !parts.empty()) {
    std::string column = parts.back();
    parts.pop_back();
    target = Column(ObjectFromName(parts, "table"), column);
  } else {
    target = ObjectFromName(parts, kind);
  }
  ctx.out->alters.push_back(target);
  if (kind == "table" || kind == "column" || kind == "view" || kind == "materialized view" ||
      kind == "index" || kind == "sequence") {
    RaiseLock(ctx.out, LockLevel::kShareUpdateExclusive, Qualified(target));
  }
}

// --- schemas, types, sequences, functions, roles, databases ----------------------

void HandleCreateSchema(const Json& body, Context& ctx) {
  const std::string schema = StringField(body, "schemaname");
  ctx.out->creates.push_back(ObjectFromName({schema}, "schema"));
  // CREATE SCHEMA s CREATE TABLE t ...: the elements live in s.
  const Json* elements = Field(body, "schemaElts");
  if (elements == nullptr || !elements->is_array()) return;
  for (const Json& element : *elements) {
    AnalyzedStatement inner;
    AnalyzeNode(element, ctx.source, ctx.depth, &inner);
    for (auto* list : {&inner.creates, &inner.alters, &inner.tables_touched}) {
      for (SqlObject& object : *list) {
        if (object.schema.empty() && object.kind != "role") object.schema = schema;
      }
    }
    MergeNested(ctx.out, inner, false);
  }
}

void HandleCreateType(const Json& body, Context& ctx) {
  if (const Json* type_name = Field(body, "typeName")) {  // CREATE TYPE AS ENUM / RANGE
    ctx.out->creates.push_back(ObjectFromName(StringList(type_name), "type"));
  } else if (const Json* typevar = Field(body, "typevar")) {  // composite
    ctx.out->creates.push_back(ObjectFromRangeVar(*typevar, "type"));
  }
}

void HandleCreateDomain(const Json& body, Context& ctx) {
  ctx.out->creates.push_back(ObjectFromName(StringList(Field(body, "domainname")), "domain"));
}

void HandleDefine(const Json& body, Context& ctx) {  // CREATE AGGREGATE / OPERATOR / base TYPE ...
  ctx.out->creates.push_back(
      ObjectFromName(StringList(Field(body, "defnames")), KindOfObjectType(StringField(body, "kind"))));
}

void HandleAlterEnum(const Json& body, Context& ctx) {
  ctx.out->alters.push_back(ObjectFromName(StringList(Field(body, "typeName")), "type"));
  if (StringField(body, "oldVal").empty() && !StringField(body, "newVal").empty()) {
    ctx.out->enum_value_added = true;
  }
}

void HandleAlterDomain(const Json& body, Context& ctx) {
  ctx.out->alters.push_back(ObjectFromName(StringList(Field(body, "typeName")), "domain"));
}

void HandleCreateSequence(const Json& body, Context& ctx) {
  if (const Json* sequence = Field(body, "sequence")) {
    ctx.out->creates.push_back(ObjectFromRangeVar(*sequence, "sequence"));
  }
}

void HandleAlterSequence(const Json& body, Context& ctx) {
  if (const Json* sequence = Field(body, "sequence")) {
    SqlObject object = ObjectFromRangeVar(*sequence, "sequence");
    ctx.out->alters.push_back(object);
    ctx.Lock(LockLevel::kShareRowExclusive, object);
  }
}

void HandleCreateFunction(const Json& body, Context& ctx) {
  ctx.out->creates.push_back(ObjectFromName(StringList(Field(body, "funcname")), "function"));
}

void HandleAlterFunction(const Json& body, Context& ctx) {
  if (const Json* func = Field(body, "func")) {
    ctx.out->alters.push_back(ObjectFromName(StringList(Field(*func, "objname")), "function"));
  }
}

void HandleCreateExtension(const Json& body, Context& ctx) {
  ctx.out->creates.push_back(ObjectFromName({StringField(body, "extname")}, "extension"));
}

void HandleAlterExtension(const Json& body, Context& ctx) {
  ctx.out->alters.push_back(ObjectFromName({StringField(body, "extname")}, "extension"));
}

void HandleCreateRole(const Json& body, Context& ctx) {
  ctx.out->creates.push_back(ObjectFromName({StringField(body, "role")}, "role"));
}

void HandleAlterRole(const Json& body, Context& ctx) {
  if (const Json* role = Field(body, "role")) {
    ctx.out->alters.push_back(ObjectFromName({StringField(NodeBody(*role), "rolename")}, "role"));
  }
}

void HandleDropRole(const Json& body, Context& ctx) {
  const Json* roles = Field(body, "roles");
  if (roles == nullptr || !roles->is_array()) return;
  for (const Json& role : *roles) {
    ctx.out->drops.push_back(ObjectFromName({StringField(NodeBody(role), "rolename")}, "role"));
  }
}

void HandleDropOwned(const Json& body, Context& ctx) {
  // Drops whatever the roles own, tables included: destructive, targets unknown.
  const Json* roles = Field(body, "roles");
  if (roles != nullptr && roles->is_array()) {
    for (const Json& role : *roles) {
      ctx.Destroy("DROP OWNED", ObjectFromName({StringField(NodeBody(role), "rolename")}, "role"));
    }
  }
  RaiseLock(ctx.out, LockLevel::kAccessExclusive, "");
}

void HandleCreateDatabase(const Json& body, Context& ctx) {
  ctx.out->creates.push_back(ObjectFromName({StringField(body, "dbname")}, "database"));
  ctx.out->needs_autocommit = true;
}

void HandleDropDatabase(const Json& body, Context& ctx) {
  SqlObject database = ObjectFromName({StringField(body, "dbname")}, "database");
  ctx.out->drops.push_back(database);
  ctx.Destroy("DROP DATABASE", database);
  ctx.out->needs_autocommit = true;
}

void HandleAlterDatabase(const Json& body, Context& ctx) {
  ctx.out->alters.push_back(ObjectFromName({StringField(body, "dbname")}, "database"));
}

void HandleCreateTablespace(const Json& body, Context& ctx) {
  ctx.out->creates.push_back(ObjectFromName({StringField(body, "tablespacename")}, "tablespace"));
  ctx.out->needs_autocommit = true;
}

void HandleDropTablespace(const Json& body, Context& ctx) {
  ctx.out->drops.push_back(ObjectFromName({StringField(body, "tablespacename")}, "tablespace"));
  ctx.out->needs_autocommit = true;
}

void HandleAlterSystem(const Json&, Context& ctx) { ctx.out->needs_autocommit = true; }

void HandleCreateView(const Json& body, Context& ctx) {
  if (const Json* view = Field(body, "view")) ctx.out->creates.push_back(ObjectFromRangeVar(*view, "view"));
}

void HandleAlterOwner(const Json& body, Context& ctx) {
  if (const Json* object = Field(body, "object")) {
    ctx.out->alters.push_back(
        ObjectFromName(NameParts(*object), KindOfObjectType(StringField(body, "objectType"))));
  }
}

void HandleNothingToName(const Json&, Context&) {}

}  // namespace

void AddDdlHandlers(HandlerMap* handlers) {
  handlers->insert({
      {"CreateStmt", HandleCreateTable},
      {"CreateForeignTableStmt", HandleCreateForeignTable},
      {"AlterTableStmt", HandleAlterTable},
      {"RenameStmt", HandleRename},
      {"AlterObjectSchemaStmt", HandleAlterObjectSchema},
      {"DropStmt", HandleDrop},
      {"TruncateStmt", HandleTruncate},
      {"IndexStmt", HandleIndex},
      {"CreatePolicyStmt", HandleCreatePolicy},
      {"AlterPolicyStmt", HandleAlterPolicy},
      {"CreateTrigStmt", HandleCreateTrigger},
      {"RuleStmt", HandleRule},
      {"GrantStmt", HandleGrant},
      {"CommentStmt", HandleComment},
      {"ViewStmt", HandleCreateView},
      {"CreateSchemaStmt", HandleCreateSchema},
      {"CreateEnumStmt", HandleCreateType},
      {"CreateRangeStmt", HandleCreateType},
      {"CompositeTypeStmt", HandleCreateType},
      {"CreateDomainStmt", HandleCreateDomain},
      {"DefineStmt", HandleDefine},
      {"AlterEnumStmt", HandleAlterEnum},
      {"AlterDomainStmt", HandleAlterDomain},
      {"CreateSeqStmt", HandleCreateSequence},
      {"AlterSeqStmt", HandleAlterSequence},
      {"CreateFunctionStmt", HandleCreateFunction},
      {"AlterFunctionStmt", HandleAlterFunction},
      {"CreateExtensionStmt", HandleCreateExtension},
      {"AlterExtensionStmt", HandleAlterExtension},
      {"AlterExtensionContentsStmt", HandleAlterExtension},
      {"CreateRoleStmt", HandleCreateRole},
      {"AlterRoleStmt", HandleAlterRole},
      {"AlterRoleSetStmt", HandleAlterRole},
      {"DropRoleStmt", HandleDropRole},
      {"GrantRoleStmt", HandleNothingToName},
      {"AlterDefaultPrivilegesStmt", HandleNothingToName},
      {"AlterOwnerStmt", HandleAlterOwner},
      {"DropOwnedStmt", HandleDropOwned},
      {"CreatedbStmt", HandleCreateDatabase},
      {"DropdbStmt", HandleDropDatabase},
      {"AlterDatabaseStmt", HandleAlterDatabase},
      {"AlterDatabaseSetStmt", HandleAlterDatabase},
      {"CreateTableSpaceStmt", HandleCreateTablespace},
      {"DropTableSpaceStmt", HandleDropTablespace},
      {"AlterSystemStmt", HandleAlterSystem},
  });
}

}  // namespace sql_internal
}  // namespace retort
