#include "retort/sql/policy_expression.h"

#include <gtest/gtest.h>

namespace retort {
namespace {

using V = std::vector<std::string>;

PolicyExpressionFacts Read(const std::string& expression) {
  return AnalyzePolicyExpression(expression, "tenant_id", "app.current_tenant_id");
}

// pg_get_expr's text of USING (tenant_id = current_setting('app.current_tenant_id', true)::uuid),
// as PostgreSQL 15 prints it.
const char kBound[] = "(tenant_id = (current_setting('app.current_tenant_id'::text, true))::uuid)";

TEST(PolicyExpressionTest, TheUsualBindingBinds) {
  PolicyExpressionFacts f = Read(kBound);
  EXPECT_TRUE(f.parsed) << f.error;
  EXPECT_TRUE(f.binds_tenant);
  EXPECT_FALSE(f.always_true);
  EXPECT_FALSE(f.bound_only_under_or_not);
  EXPECT_EQ(V{}, f.other_settings);
  EXPECT_EQ(V{}, f.other_columns);
}

TEST(PolicyExpressionTest, BindingForms) {
  // Either side, one-argument form, casts on the column, qualified column and function.
  EXPECT_TRUE(Read("((current_setting('app.current_tenant_id'::text, true))::uuid = tenant_id)").binds_tenant);
  EXPECT_TRUE(Read("(tenant_id = (current_setting('app.current_tenant_id'::text))::uuid)").binds_tenant);
  EXPECT_TRUE(Read("((tenant_id)::text = current_setting('app.current_tenant_id'::text, true))").binds_tenant);
  EXPECT_TRUE(Read("(docs.tenant_id = (current_setting('app.current_tenant_id'))::uuid)").binds_tenant);
  EXPECT_TRUE(Read("(public.docs.tenant_id = current_setting('app.current_tenant_id', false)::uuid)").binds_tenant);
  EXPECT_TRUE(Read("(tenant_id = (pg_catalog.current_setting('app.current_tenant_id', true))::uuid)").binds_tenant);
  EXPECT_TRUE(Read("(tenant_id OPERATOR(pg_catalog.=) current_setting('app.current_tenant_id')::uuid)").binds_tenant);
  // GUC names are case-insensitive.
  EXPECT_TRUE(Read("(tenant_id = current_setting('App.Current_Tenant_Id', true)::uuid)").binds_tenant);
  // NULLIF(..., '') and the cached scalar sub-select, as pg_get_expr prints them.
  EXPECT_TRUE(Read("(tenant_id = (NULLIF(current_setting('app.current_tenant_id'::text, true), ''::text))::uuid)")
                  .binds_tenant);
  EXPECT_TRUE(Read("(tenant_id = (( SELECT current_setting('app.current_tenant_id'::text) AS current_setting))::uuid)")
                  .binds_tenant);
}

TEST(PolicyExpressionTest, TopLevelConjunctsBind) {
  PolicyExpressionFacts f = Read(std::string("((deleted_at IS NULL) AND ") + kBound + ")");
  EXPECT_TRUE(f.binds_tenant);
  EXPECT_TRUE(Read(std::string("((a > 0) AND ((b < 1) AND ") + kBound + "))").binds_tenant);
}

TEST(PolicyExpressionTest, OrAndNotDoNotBind) {
  PolicyExpressionFacts f = Read(std::string("(") + kBound + " OR (owner = CURRENT_USER))");
  EXPECT_TRUE(f.parsed);
  EXPECT_FALSE(f.binds_tenant);
  EXPECT_TRUE(f.bound_only_under_or_not);
  EXPECT_FALSE(f.always_true);

  f = Read(std::string("(NOT ") + kBound + ")");
  EXPECT_FALSE(f.binds_tenant);
  EXPECT_TRUE(f.bound_only_under_or_not);

  f = Read(std::string("((") + kBound + " AND (x > 0)) OR false)");
  EXPECT_TRUE(f.parsed) << f.error;
  EXPECT_FALSE(f.binds_tenant);
  EXPECT_TRUE(f.bound_only_under_or_not);
}

TEST(PolicyExpressionTest, WrongColumn) {
  PolicyExpressionFacts f = Read("(owner_id = (current_setting('app.current_tenant_id'::text, true))::uuid)");
  EXPECT_TRUE(f.parsed);
  EXPECT_FALSE(f.binds_tenant);
  EXPECT_EQ(V{"owner_id"}, f.other_columns);
  EXPECT_EQ(V{}, f.other_settings);
}

TEST(PolicyExpressionTest, DifferentSetting) {
  PolicyExpressionFacts f = Read("(tenant_id = (current_setting('app.tenant'::text, true))::uuid)");
  EXPECT_FALSE(f.binds_tenant);
  EXPECT_EQ(V{"app.tenant"}, f.other_settings);
  EXPECT_EQ(V{}, f.other_columns);
}

TEST(PolicyExpressionTest, NotEqualityOrNotTheSetting) {
  for (const char* text : {
           "(tenant_id <> (current_setting('app.current_tenant_id'::text, true))::uuid)",
           "(tenant_id IS NOT DISTINCT FROM (current_setting('app.current_tenant_id'::text, true))::uuid)",
           "(tenant_id = ANY (ARRAY[(current_setting('app.current_tenant_id'::text))::uuid]))",
           "(tenant_id = COALESCE((current_setting('app.current_tenant_id'::text, true))::uuid, tenant_id))",
           "(tenant_id = (current_setting(name))::uuid)",
           "(tenant_id = (( SELECT current_setting('app.current_tenant_id'::text) FROM t LIMIT 1))::uuid)",
           "(tenant_id = tenant_from_session())",
           "(owner = CURRENT_USER)",
       }) {
    PolicyExpressionFacts f = Read(text);
    EXPECT_TRUE(f.parsed) << text << ": " << f.error;
    EXPECT_FALSE(f.binds_tenant) << text;
  }
}

TEST(PolicyExpressionTest, AlwaysTrue) {
  for (const char* text : {"true", "(1 = 1)", "(tenant_id = tenant_id)", "('a'::text = 'a'::text)",
                           "((tenant_id = (current_setting('app.current_tenant_id'::text, true))::uuid) OR true)"}) {
    PolicyExpressionFacts f = Read(text);
    EXPECT_TRUE(f.parsed) << text;
    EXPECT_TRUE(f.always_true) << text;
    EXPECT_FALSE(f.binds_tenant) << text;
  }
  EXPECT_FALSE(Read(kBound).always_true);
  EXPECT_FALSE(Read("false").always_true);
  // A binding conjunct beside a true one still binds (and is not always true).
  PolicyExpressionFacts f = Read(std::string("(") + kBound + " AND true)");
  EXPECT_TRUE(f.binds_tenant);
  EXPECT_FALSE(f.always_true);
}

TEST(PolicyExpressionTest, UnreadableTextIsReportedNotThrown) {
  for (const char* text : {"", "   ", "(tenant_id = ", "true; DROP TABLE t", "true GROUP BY 1", "true ORDER BY 1",
                           "true UNION SELECT 2"}) {
    PolicyExpressionFacts f = Read(text);
    EXPECT_FALSE(f.parsed) << text;
    EXPECT_FALSE(f.error.empty()) << text;
    EXPECT_FALSE(f.binds_tenant) << text;
    EXPECT_FALSE(f.always_true) << text;
  }
  EXPECT_FALSE(Read(std::string("true\0 OR x", 10)).parsed);
}

TEST(PolicyExpressionTest, OtherTenantColumnAndSetting) {
  PolicyExpressionFacts f =
      AnalyzePolicyExpression("(org = (current_setting('acme.org'::text, true))::uuid)", "org", "acme.org");
  EXPECT_TRUE(f.binds_tenant);
  // Identifiers are compared as the catalog has them: pg_get_expr quotes mixed case.
  f = AnalyzePolicyExpression("(\"OrgId\" = (current_setting('acme.org'::text, true))::uuid)", "OrgId", "acme.org");
  EXPECT_TRUE(f.binds_tenant);
  f = AnalyzePolicyExpression("(orgid = (current_setting('acme.org'::text, true))::uuid)", "OrgId", "acme.org");
  EXPECT_FALSE(f.binds_tenant);
  EXPECT_EQ(V{"orgid"}, f.other_columns);
}

}  // namespace
}  // namespace retort
