// Catalog gates (SPEC §6): what the live catalog says about tenant-scoped
// tables and the app role, judged without a database. The facts come from
// pg_catalog (Database::ReadTableFacts / ReadRoleFacts); policy expressions
// are read through libpg_query (AnalyzePolicyExpression).
#include "retort/gate/catalog_gates.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "retort/common/text.h"
#include "retort/sql/policy_expression.h"

namespace retort {
namespace {

bool Contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::string Qualified(const TableFacts& table) { return table.schema + "." + table.name; }

/// "name" or "schema.name" names the table "schema.name".
bool NamesTable(const std::string& name, const std::string& qualified) {
  if (name.empty() || qualified.empty()) return false;
  if (name == qualified) return true;
  const size_t dot = qualified.find('.');
  return dot != std::string::npos && name == qualified.substr(dot + 1);
}

std::string Quoted(const std::string& text) { return "'" + text + "'"; }

Finding MakeFinding(const char* id, Severity severity, const std::string& table, std::string message,
                    std::string hint) {
  Finding f;
  f.id = id;
  f.severity = severity;
  f.table = table;
  f.message = std::move(message);
  f.hint = std::move(hint);
  return f;
}

/// The commands a policy of `command` applies to.
std::vector<std::string> CommandsOf(const std::string& command) {
  if (command == "ALL") return {"SELECT", "INSERT", "UPDATE", "DELETE"};
  return {command};
}

enum class Side { kUsing, kCheck };

/// Of `policy`'s commands, those whose `side` PostgreSQL evaluates: USING
/// filters the rows SELECT, UPDATE and DELETE see; WITH CHECK the rows
/// INSERT and UPDATE write.
std::vector<std::string> CommandsOfSide(const PolicyFacts& policy, Side side) {
  std::vector<std::string> out;
  for (const std::string& c : CommandsOf(policy.command)) {
    const bool uses = side == Side::kUsing ? c != "INSERT" : (c == "INSERT" || c == "UPDATE");
    if (uses) out.push_back(c);
  }
  return out;
}

/// The expression PostgreSQL evaluates for `side`, "" when none: a policy
/// without an explicit WITH CHECK is checked with its USING (rowsecurity.c's
/// QUAL_FOR_WCO; an INSERT policy has no USING, so none). A permissive
/// policy with no expression for a side grants nothing there; a restrictive
/// one restricts nothing.
std::string ExpressionOf(const PolicyFacts& policy, Side side) {
  if (CommandsOfSide(policy, side).empty()) return "";
  if (side == Side::kUsing) return policy.using_expr;
  return policy.check_expr.empty() ? policy.using_expr : policy.check_expr;
}

/// Judges the tables of one CheckCatalog call.
class CatalogJudge {
 public:
  CatalogJudge(const RoleFacts& role, const TenancyConfig& tenancy)
      : role_(role), tenancy_(tenancy), app_(role.name.empty() ? tenancy.app_role : role.name) {}

  void JudgeTable(const TableFacts& table, std::vector<Finding>& out) {
    const bool scoped = IsTenantScoped(table, tenancy_);
    table_ = &table;
    name_ = Qualified(table);
    out_ = &out;
    if (scoped) JudgeRls();
    JudgePolicyWithoutRls();
    if (!scoped) return;
    JudgePolicies();
    JudgeTenantColumn();
    JudgeForeignKey();
    JudgeIndexes();
    JudgeOwner();
  }

  void JudgeRole(bool any_scoped, std::vector<Finding>& out) {
    if (role_.exists && (role_.superuser || role_.bypassrls)) {
      const std::string what = role_.superuser ? "is a superuser" : "has BYPASSRLS";
      out.push_back(MakeFinding("app-role-bypasses-rls", Severity::kError, "",
                                "app role " + app_ + " " + what +
                                    ", so row-level security does not apply to it and it sees every tenant's rows",
                                "ALTER ROLE " + app_ + (role_.superuser ? " NOSUPERUSER" : "") +
                                    (role_.bypassrls ? " NOBYPASSRLS" : "") +
                                    "; the application must connect as an ordinary role"));
    }
    if (!role_.exists && any_scoped) {
      out.push_back(MakeFinding("app-role-missing", Severity::kError, "",
                                "app role " + app_ +
                                    " (tenancy.app_role) does not exist, so the isolation of the "
                                    "tenant-scoped tables cannot be judged or probed as the role the application uses",
                                "create it in a revision (CREATE ROLE " + app_ +
                                    " NOLOGIN, with the grants the application needs) or set tenancy.app_role to the "
                                    "role the application connects as"));
    }
  }

 private:
  void Add(const char* id, std::string message, std::string hint, Severity severity = Severity::kError) {
    out_->push_back(MakeFinding(id, severity, name_, std::move(message), std::move(hint)));
  }

  std::string Column() const { return tenancy_.tenant_column; }
  std::string Binding() const {
    return Column() + " = current_setting(" + Quoted(tenancy_.context_setting) + ", true)::uuid";
  }

  bool AppliesToApp(const PolicyFacts& policy) const {
    for (const std::string& r : policy.roles) {
      if (r == "public" || r == app_ || Contains(role_.member_of, r)) return true;
    }
    return false;
  }

  const PolicyExpressionFacts& Analyze(const std::string& expression) {
    auto it = cache_.find(expression);
    if (it == cache_.end()) {
      it = cache_.emplace(expression, AnalyzePolicyExpression(expression, Column(), tenancy_.context_setting)).first;
    }
    return it->second;
  }

  // --- rls-disabled, rls-not-forced, rls-no-policy, policy-without-rls ---------

  void JudgeRls() {
    const TableFacts& t = *table_;
    if (!t.rls_enabled) {
      Add("rls-disabled",
          "row-level security is disabled on " + name_ + ", so " + app_ + " reads and writes every tenant's rows",
          "ALTER TABLE " + name_ + " ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY; and give it a policy " +
              "USING (" + Binding() + ") WITH CHECK (the same)");
      return;
    }
    if (!t.rls_forced) {
      Add("rls-not-forced",
          "row-level security on " + name_ + " is not forced, so its owner " + t.owner +
              " (and every member of that role) bypasses the policies",
          "ALTER TABLE " + name_ + " FORCE ROW LEVEL SECURITY");
    }
    bool any_applies = false, any_permissive = false;
    for (const PolicyFacts& p : t.policies) {
      if (!AppliesToApp(p)) continue;
      any_applies = true;
      any_permissive = any_permissive || p.permissive;
    }
    if (any_permissive) return;
    std::string why = t.policies.empty() ? name_ + " has row-level security enabled but no policy"
                      : !any_applies     ? "none of the policies of " + name_ + " applies to " + app_
                                         : "only restrictive policies of " + name_ + " apply to " + app_ +
                                           ", and PostgreSQL needs a permissive one to grant any row";
    Add("rls-no-policy", why + ", so " + app_ + " sees no row and can write none: the application breaks on this table",
        "CREATE POLICY tenant_isolation ON " + name_ + " TO " + app_ + " USING (" + Binding() + ") WITH CHECK (" +
            Binding() + ")");
  }

  void JudgePolicyWithoutRls() {
    const TableFacts& t = *table_;
    if (t.rls_enabled || t.policies.empty()) return;
    std::vector<std::string> names;
    for (const PolicyFacts& p : t.policies) names.push_back(p.name);
    Add("policy-without-rls",
        name_ + " has " + (names.size() == 1 ? "policy " : "policies ") + Join(names, ", ") +
            " but row-level security is disabled, so " + (names.size() == 1 ? "it does" : "they do") + " nothing",
        "ALTER TABLE " + name_ + " ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY; or drop the policies");
  }

  // --- policy-not-tenant-bound, policy-always-true -----------------------------

  /// Does an applicable restrictive policy bind `side` for every one of
  /// `commands`? (Restrictive policies are ANDed with the permissive ones.)
  bool CoveredByRestrictive(Side side, const std::vector<std::string>& commands) {
    for (const std::string& c : commands) {
      bool covered = false;
      for (const PolicyFacts& r : table_->policies) {
        if (r.permissive || !AppliesToApp(r)) continue;
        if (r.command != "ALL" && r.command != c) continue;
        const std::string expression = ExpressionOf(r, side);
        if (!expression.empty() && Analyze(expression).binds_tenant) {
          covered = true;
          break;
        }
      }
      if (!covered) return false;
    }
    return true;
  }

  std::string Describe(const PolicyExpressionFacts& f) const {
    const std::string setting = "current_setting(" + Quoted(tenancy_.context_setting) + ")";
    if (!f.parsed) return "cannot be read (" + f.error + ")";
    if (f.bound_only_under_or_not) {
      return "compares " + Column() + " with " + setting +
             " only under OR, NOT or inside another expression, so rows of other tenants can pass";
    }
    if (!f.other_settings.empty()) {
      std::vector<std::string> quoted;
      for (const std::string& s : f.other_settings) quoted.push_back(Quoted(s));
      return "compares " + Column() + " with current_setting(" + Join(quoted, "), current_setting(") + ") instead of " +
             setting;
    }
    if (!f.other_columns.empty()) {
      return "compares " + Join(f.other_columns, ", ") + ", not " + Column() + ", with " + setting;
    }
    return "does not compare " + Column() + " with " + setting + " in a top-level AND";
  }

  void JudgePolicies() {
    std::vector<Finding> always_true;
    for (const PolicyFacts& p : table_->policies) {
      if (!p.permissive || !AppliesToApp(p)) continue;
      struct Verdict {
        bool judged = false, bad = false, always_true = false;
        const PolicyExpressionFacts* facts = nullptr;
      };
      Verdict using_side, check_side;
      for (Side side : {Side::kUsing, Side::kCheck}) {
        Verdict& v = side == Side::kUsing ? using_side : check_side;
        const std::string expression = ExpressionOf(p, side);
        if (expression.empty()) continue;  // grants nothing on this side
        v.judged = true;
        v.facts = &Analyze(expression);
        if (v.facts->binds_tenant || CoveredByRestrictive(side, CommandsOfSide(p, side))) continue;
        v.bad = true;
        v.always_true = v.facts->always_true;
      }
      // WITH CHECK reuses USING when the policy has none of its own.
      const bool reused = check_side.judged && p.check_expr.empty();
      const std::string subject = "policy " + p.name + " on " + name_;
      if (using_side.always_true || check_side.always_true) {
        std::string where, effect;
        if (using_side.always_true && check_side.always_true) {
          where = reused ? "USING (which PostgreSQL also applies as WITH CHECK)" : "USING and its WITH CHECK";
          effect = app_ + " reads and writes every tenant's rows";
        } else if (using_side.always_true) {
          where = "USING";
          effect = app_ + " reads and changes every tenant's rows";
        } else {
          where = "WITH CHECK";
          effect = app_ + " can write rows for any tenant";
        }
        always_true.push_back(
            MakeFinding("policy-always-true", Severity::kError, name_,
                        subject + " is always true in its " + where + ", so " + effect,
                        "make it " + Binding() + ", or bind the tenant in a RESTRICTIVE policy for the same commands"));
        continue;
      }
      if (!using_side.bad && !check_side.bad) continue;
      std::string what;
      if (using_side.bad && check_side.bad && reused) {
        what = "its USING (which PostgreSQL also applies as WITH CHECK) " + Describe(*using_side.facts);
      } else {
        std::vector<std::string> parts;
        if (using_side.bad) parts.push_back("its USING " + Describe(*using_side.facts));
        if (check_side.bad) parts.push_back("its WITH CHECK " + Describe(*check_side.facts));
        what = Join(parts, ", and ");
      }
      Add("policy-not-tenant-bound", subject + " does not bind the tenant for " + app_ + ": " + what,
          "write USING (" + Binding() + ") WITH CHECK (" + Binding() +
              ") as a top-level AND, or add a RESTRICTIVE policy that does");
    }
    out_->insert(out_->end(), always_true.begin(), always_true.end());
  }

  // --- tenant-column-type, tenant-column-nullable ------------------------------

  void JudgeTenantColumn() {
    const TableFacts& t = *table_;
    if (t.tenant_column_type != "uuid") {
      Add("tenant-column-type",
          Column() + " of " + name_ + " is " +
              (t.tenant_column_type.empty() ? std::string("of an unknown type") : t.tenant_column_type) +
              ", not uuid, so it cannot match the tenants' ids and current_setting(" +
              Quoted(tenancy_.context_setting) + ")::uuid exactly",
          "ALTER TABLE " + name_ + " ALTER COLUMN " + Column() + " TYPE uuid USING " + Column() + "::uuid");
    }
    if (!t.tenant_column_not_null) {
      Add("tenant-column-nullable",
          Column() + " of " + name_ + " allows NULL, so a row may belong to no tenant and no policy ever shows it",
          "backfill it, then ALTER TABLE " + name_ + " ALTER COLUMN " + Column() + " SET NOT NULL");
    }
  }

  // --- tenant-fk-missing ---------------------------------------------------------

  bool ReferencesTenants(const ForeignKeyFacts& fk) const {
    const std::string& wanted = tenancy_.tenants_table;
    const size_t dot = wanted.find('.');
    if (dot == std::string::npos) {
      return fk.ref_table == wanted && Contains(tenancy_.schemas, fk.ref_schema);
    }
    return fk.ref_schema == wanted.substr(0, dot) && fk.ref_table == wanted.substr(dot + 1);
  }

  void JudgeForeignKey() {
    const ForeignKeyFacts* without_cascade = nullptr;
    for (const ForeignKeyFacts& fk : table_->foreign_keys) {
      if (fk.columns != std::vector<std::string>{Column()} || !ReferencesTenants(fk)) continue;
      if (fk.on_delete == "CASCADE") return;
      if (without_cascade == nullptr) without_cascade = &fk;
    }
    const std::string target = tenancy_.tenants_table;
    if (without_cascade != nullptr) {
      const std::string& action = without_cascade->on_delete;
      const std::string effect = action == "SET NULL" || action == "SET DEFAULT"
                                     ? "deleting a tenant leaves its rows here without their tenant (or fails)"
                                     : "deleting a tenant fails while it has rows here";
      Add("tenant-fk-missing",
          "foreign key " + without_cascade->name + " from " + name_ + "." + Column() + " to " + target +
              " is ON DELETE " + without_cascade->on_delete + ", not CASCADE, so " + effect,
          "ALTER TABLE " + name_ + " DROP CONSTRAINT " + without_cascade->name + ", ADD FOREIGN KEY (" + Column() +
              ") REFERENCES " + target + " ON DELETE CASCADE");
      return;
    }
    Add("tenant-fk-missing",
        name_ + " has no foreign key from " + Column() + " to " + target +
            ", so its rows may name tenants that do not exist and outlive the tenant they belong to",
        "ALTER TABLE " + name_ + " ADD FOREIGN KEY (" + Column() + ") REFERENCES " + target + " ON DELETE CASCADE");
  }

  // --- tenant-index-missing, unique-without-tenant -------------------------------

  void JudgeIndexes() {
    const IndexFacts* invalid = nullptr;
    const IndexFacts* partial = nullptr;
    bool led = false;
    for (const IndexFacts& x : table_->indexes) {
      if (x.columns.empty() || x.columns.front() != Column()) continue;
      if (!x.valid) {
        if (invalid == nullptr) invalid = &x;
      } else if (!x.predicate.empty()) {
        if (partial == nullptr) partial = &x;
      } else {
        led = true;
      }
    }
    if (!led) {
      std::string aside;
      if (invalid != nullptr) {
        aside = " (index " + invalid->name + " is INVALID, left by a failed CREATE INDEX CONCURRENTLY)";
      } else if (partial != nullptr) {
        aside = " (index " + partial->name + " is partial)";
      }
      Add("tenant-index-missing",
          name_ + " has no valid index led by " + Column() + aside +
              ", so every tenant's query and the cascade from a deleted tenant scan the whole table",
          "CREATE INDEX CONCURRENTLY ON " + name_ + " (" + Column() +
              ", ...) in a transactional: false revision; PostgreSQL does not index foreign key columns");
    }
    for (const IndexFacts& x : table_->indexes) {
      if (!x.unique || x.primary || Contains(x.columns, Column())) continue;
      std::vector<std::string> shown;
      for (const std::string& c : x.columns) shown.push_back(c.empty() ? "(expression)" : c);
      Add("unique-without-tenant",
          "unique index " + x.name + " on " + name_ + " (" + Join(shown, ", ") + ") does not include " + Column() +
              ", so its uniqueness spans tenants: one tenant's value blocks another's and reveals that it exists",
          "make it unique on (" + Column() + ", " + Join(shown, ", ") +
              ") unless the value must be unique "
              "across all tenants",
          Severity::kWarning);
    }
  }

  // --- app-role-bypasses-rls (per table) ----------------------------------------

  void JudgeOwner() {
    if (!role_.exists) return;
    const std::string& owner = table_->owner;
    const bool owns = owner == app_;
    if (!owns && !Contains(role_.member_of, owner)) return;
    const std::string who =
        owns ? app_ + " owns " + name_ : app_ + " is a member of " + owner + ", which owns " + name_;
    const std::string effect = table_->rls_forced
                                   ? ", and an owner can turn off FORCE ROW LEVEL SECURITY and drop the policies"
                                   : ", and an owner bypasses row-level security unless it is forced";
    Add("app-role-bypasses-rls", who + effect,
        (owns ? "ALTER TABLE " + name_ + " OWNER TO <the migration role>"
              : "REVOKE " + owner + " FROM " + app_ + ", or ALTER TABLE " + name_ + " OWNER TO <the migration role>") +
            "; GRANT " + app_ + " only the privileges it needs (SELECT, INSERT, UPDATE, DELETE)");
  }

  const RoleFacts& role_;
  const TenancyConfig& tenancy_;
  const std::string app_;
  const TableFacts* table_ = nullptr;
  std::string name_;
  std::vector<Finding>* out_ = nullptr;
  /// Expressions analysed so far (tables often share their policy text).
  std::map<std::string, PolicyExpressionFacts> cache_;
};

/// The catalog findings a waiver may turn into warnings.
const std::set<std::string>& WaivableIds() {
  static const std::set<std::string> kIds = {
      "rls-disabled",         "rls-not-forced",          "rls-no-policy",
      "policy-without-rls",   "policy-not-tenant-bound", "policy-always-true",
      "tenant-column-type",   "tenant-column-nullable",  "tenant-fk-missing",
      "tenant-index-missing", "unique-without-tenant",   "app-role-bypasses-rls",
  };
  return kIds;
}

}  // namespace

bool IsTenantScoped(const TableFacts& table, const TenancyConfig& tenancy) {
  if (!table.has_tenant_column || !Contains(tenancy.schemas, table.schema)) return false;
  const std::string qualified = Qualified(table);
  for (const std::string& global : tenancy.global_tables) {
    if (NamesTable(global, qualified)) return false;
  }
  return true;
}

std::vector<Finding> CheckCatalog(const std::vector<TableFacts>& tables, const RoleFacts& app_role,
                                  const TenancyConfig& tenancy) {
  std::vector<Finding> findings;
  CatalogJudge judge(app_role, tenancy);
  bool any_scoped = false;
  for (const TableFacts& table : tables) {
    any_scoped = any_scoped || IsTenantScoped(table, tenancy);
    judge.JudgeTable(table, findings);
  }
  judge.JudgeRole(any_scoped, findings);
  return findings;
}

bool IsWaivable(const std::string& finding_id) { return WaivableIds().count(finding_id) != 0; }

void ApplyWaivers(std::vector<Finding>& findings, const std::vector<Waiver>& waivers) {
  for (Finding& f : findings) {
    if (!IsWaivable(f.id) || f.severity == Severity::kConfirm || !f.waived_because.empty()) continue;
    for (const Waiver& w : waivers) {
      if (w.rule != f.id) continue;
      if (!w.table.empty() && !NamesTable(w.table, f.table)) continue;
      f.severity = Severity::kWarning;
      f.waived_because = w.reason;
      break;
    }
  }
}

}  // namespace retort
