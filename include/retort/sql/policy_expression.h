#pragma once
// Reading a row-level security policy's expression (USING or WITH CHECK) as
// PostgreSQL's pg_get_expr prints it, through libpg_query's parse tree: does
// it bind the tenant column to the tenant context, or is it always true?
// Pure: text in, facts out, no database. Used by the catalog gates (SPEC §6).
#include <string>
#include <vector>

namespace retort {

/// What one policy expression says about the tenant.
struct PolicyExpressionFacts {
  bool parsed = false;
  std::string error;  ///< why it was not parsed ("" when parsed)
  /// A top-level AND-conjunct (the whole expression counts as one) is
  /// `<tenant column> = <context>` or `<context> = <tenant column>`, where
  /// the column is bare or qualified (t.tenant_id) and may be under casts,
  /// and <context> is current_setting('<context_setting>'[, true|false]),
  /// possibly pg_catalog-qualified, under casts, inside NULLIF(..., <constant>)
  /// or inside a scalar sub-select `(SELECT current_setting(...))`. The
  /// setting name is compared case-insensitively (PostgreSQL's GUC names
  /// are); the column exactly. An equality under OR or NOT does not count.
  bool binds_tenant = false;
  /// The expression is true for every row (`true`, `1 = 1`, `x OR true`,
  /// `tenant_id = tenant_id`), by the statement analysis' own evaluator.
  bool always_true = false;
  /// Not binding, but a binding equality sits under an OR or a NOT.
  bool bound_only_under_or_not = false;
  /// Not binding: settings that a top-level conjunct compares the tenant
  /// column with instead of the context setting (as written, deduplicated).
  std::vector<std::string> other_settings;
  /// Not binding: columns that a top-level conjunct compares with the
  /// context setting instead of the tenant column (deduplicated).
  std::vector<std::string> other_columns;
};

/// Parses `expression` as `SELECT 1 WHERE <expression>` (never by hand) and
/// reports what it says. Never throws on bad input: parsed is false then.
PolicyExpressionFacts AnalyzePolicyExpression(const std::string& expression, const std::string& tenant_column,
                                              const std::string& context_setting);

}  // namespace retort
