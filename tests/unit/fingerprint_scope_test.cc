// The round trip's scope from the two scripts' parse trees, and the cases
// where only the whole schema will do.
#include "retort/exec/fingerprint_scope.h"

#include <gtest/gtest.h>

namespace retort {
namespace {

std::vector<std::string> Names(const std::vector<FingerprintScope::Name>& names) {
  std::vector<std::string> out;
  for (const auto& n : names) out.push_back(n.schema.empty() ? n.name : n.schema + "." + n.name);
  return out;
}

bool Scope(const std::string& up, const std::string& down, FingerprintScope* scope) {
  return FingerprintScopeOf(AnalyzeSql(up), AnalyzeSql(down), scope);
}

using V = std::vector<std::string>;

TEST(FingerprintScope, NamesTheRelationsAndObjectsOfBothScripts) {
  FingerprintScope s;
  // DROP INDEX names no table: the other script's CREATE INDEX tells it;
  // when neither does, only the whole schema is safe.
  EXPECT_FALSE(Scope("DROP INDEX app.old_idx;", "CREATE TABLE keep (id int);", &s));
  EXPECT_TRUE(Scope("CREATE INDEX notes_t ON app.notes (tenant_id);", "DROP INDEX app.notes_t;", &s));
  EXPECT_EQ(Names(s.relations), V{"app.notes"});
  ASSERT_TRUE(Scope("CREATE TABLE notes (id int, tenant_id uuid);\n"
                    "CREATE INDEX notes_t ON app.notes (tenant_id);\n"
                    "CREATE POLICY p ON notes USING (true);\n"
                    "ALTER TABLE users ADD COLUMN nick text;\n"
                    "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';\n"
                    "CREATE TYPE mood AS ENUM ('ok');\n"
                    "CREATE SCHEMA reports;\n",
                    "DROP POLICY p ON notes; DROP TABLE notes; ALTER TABLE users DROP COLUMN nick;"
                    "DROP FUNCTION f(); DROP TYPE mood; DROP SCHEMA reports; DROP INDEX app.notes_t;",
                    &s));
  EXPECT_EQ(Names(s.relations), (V{"notes", "app.notes", "users"}));
  EXPECT_EQ(Names(s.others), (V{"f", "mood", "reports"}));
}

TEST(FingerprintScope, WholeSchemaWhenAStatementReachesFurtherThanItsNames) {
  FingerprintScope s;
  EXPECT_FALSE(Scope("CREATE TABLE t (id int);", "DROP TABLE t CASCADE;", &s));
  EXPECT_FALSE(Scope("ALTER TABLE t ADD COLUMN c int;", "ALTER TABLE t DROP COLUMN c CASCADE;", &s));
  EXPECT_FALSE(Scope("GRANT SELECT ON ALL TABLES IN SCHEMA public TO app_user;",
                     "REVOKE SELECT ON ALL TABLES IN SCHEMA public FROM app_user;", &s));
  EXPECT_FALSE(Scope("DO $$ BEGIN EXECUTE 'CREATE TABLE t (id int)'; END $$;", "DROP TABLE t;", &s));
  EXPECT_FALSE(Scope("CREATE EXTENSION IF NOT EXISTS pgcrypto;", "DROP EXTENSION pgcrypto;", &s));
  EXPECT_TRUE(Scope("CREATE TABLE t (id int);", "DROP TABLE t;", &s));
  EXPECT_EQ(Names(s.relations), V{"t"});
}

}  // namespace
}  // namespace retort
