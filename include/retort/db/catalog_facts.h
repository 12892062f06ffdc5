#pragma once
// What the catalog says about tables and roles: the plain facts the RLS
// gates (SPEC §6) judge. Read by the Database (pg_catalog.cc); no I/O here,
// so the gates that judge them stay pure.
#include <string>
#include <vector>

namespace retort {

/// A row-level security policy, as the catalog has it.
struct PolicyFacts {
  std::string name;
  std::string command;  ///< "ALL", "SELECT", "INSERT", "UPDATE" or "DELETE"
  bool permissive = true;
  std::vector<std::string> roles;  ///< sorted; "public" for PUBLIC
  std::string using_expr;          ///< pg_get_expr text, "" when absent
  std::string check_expr;          ///< pg_get_expr text, "" when absent
};

/// An index of a table (unique and primary-key constraints included).
struct IndexFacts {
  std::string name;
  std::vector<std::string> columns;  ///< key columns in order; "" for an expression
  bool unique = false;
  bool primary = false;
  std::string predicate;  ///< pg_get_expr of a partial index's WHERE, else ""
  std::string method;     ///< "btree", "gin", ...
  bool valid = true;      ///< false after a failed CREATE INDEX CONCURRENTLY
};

/// A foreign key declared on a table.
struct ForeignKeyFacts {
  std::string name;
  std::vector<std::string> columns;
  std::string ref_schema, ref_table;
  std::vector<std::string> ref_columns;
  std::string on_delete;  ///< "CASCADE", "NO ACTION", "RESTRICT", "SET NULL", "SET DEFAULT"
  bool validated = true;  ///< false while NOT VALID
};

/// What the RLS gates judge about one table.
struct TableFacts {
  std::string schema, name, owner;
  bool partitioned = false;  ///< relkind 'p'
  bool rls_enabled = false, rls_forced = false;
  bool has_tenant_column = false;
  std::string tenant_column_type;  ///< format_type ("uuid"), "" when missing
  bool tenant_column_not_null = false;
  std::vector<PolicyFacts> policies;         ///< by name
  std::vector<IndexFacts> indexes;           ///< by name
  std::vector<ForeignKeyFacts> foreign_keys; ///< by name
  /// Of SELECT, INSERT, UPDATE, DELETE (in that order), those the app role
  /// has on the table (has_table_privilege: membership, PUBLIC and
  /// superuser count); empty when the role does not exist.
  std::vector<std::string> app_role_privileges;
};

/// A role, as the RLS gates need it.
struct RoleFacts {
  std::string name;
  bool exists = false;
  bool superuser = false;
  bool bypassrls = false;
  /// Every role it is a member of, directly or through other roles, sorted.
  std::vector<std::string> member_of;
};

/// What a step's catalog gates read: the tables' facts and the app role's.
struct GateFacts {
  std::vector<TableFacts> tables;
  RoleFacts role;
};

/// Objects a scoped fingerprint (Database::SchemaFingerprintOf) covers.
/// Names are exact (as PostgreSQL stores them); an empty schema matches the
/// name in any of the managed schemas.
struct FingerprintScope {
  struct Name {
    std::string schema, name;
  };
  /// Relations (tables, partitioned tables, views, matviews, foreign tables,
  /// sequences) with everything that hangs off them: columns, attributes,
  /// constraints, indexes, rls flags, policies, triggers, rules, statistics,
  /// grants, and the sequences they own; a table brings its partitions and
  /// inheritance children (at every level) too, since DDL on a parent
  /// reaches them.
  std::vector<Name> relations;
  /// Other objects by name: functions/procedures/aggregates (every
  /// overload), types (enum, domain, range, composite), and schemas (the
  /// schema line itself and its grants, not its contents). A schema is
  /// named {"", "app"} (or {"app", "app"}); it must be one of the managed
  /// schemas.
  std::vector<Name> others;
};

}  // namespace retort
