// The isolation probe (SPEC §6): the seed recipe of "tenant A sees only A's
// rows; B never sees A's; no context sees nothing; A cannot write into B",
// automated against the live schema inside the step's transaction.
#include "retort/exec/isolation_probe.h"

#include <algorithm>

#include "retort/common/text.h"
#include "retort/sql/named_parameter.h"

namespace retort {
namespace {

constexpr const char kProbeSavepoint[] = "retort_isolation_probe";
constexpr const char kCaseSavepoint[] = "retort_isolation_case";

std::string ShortId(const std::string& uuid) { return uuid.substr(0, 8); }

/// Runs `fn` under its own savepoint so that a failing case leaves the
/// probe's transaction usable; returns the server's message on failure.
template <typename F>
bool UnderCaseSavepoint(Database& db, F&& fn, std::string* error) {
  db.Savepoint(kCaseSavepoint);
  try {
    fn();
    db.ReleaseSavepoint(kCaseSavepoint);
    return true;
  } catch (const StatementError& e) {
    if (error != nullptr) {
      *error = e.Summary();
    }
    db.RollbackToSavepoint(kCaseSavepoint);
    db.ReleaseSavepoint(kCaseSavepoint);
    return false;
  }
}

class Probe {
 public:
  Probe(Database& db, const TenancyConfig& tenancy, const std::string& config_file)
      : db_(db), tenancy_(tenancy), config_file_(config_file) {}

  std::vector<Finding> Run(const std::vector<ProbeTable>& tables) {
    std::vector<const ProbeTable*> runnable;
    for (const ProbeTable& t : tables) {
      if (t.has_fixture) {
        runnable.push_back(&t);
      } else {
        Add(t.table, "isolation-fixture-missing",
            "tenant-scoped table " + t.table + " has no isolation fixture, so its isolation cannot be probed",
            "add `isolation: {" + Unqualified(t.table) +
                ": INSERT INTO ... VALUES (:tenant_id, ...)}` to the migration.yaml of the revision that "
                "creates or reshapes it");
      }
    }
    if (runnable.empty()) return std::move(findings_);

    db_.Savepoint(kProbeSavepoint);
    try {
      Probe::RunCases(runnable);
    } catch (...) {
      db_.RollbackToSavepoint(kProbeSavepoint);
      db_.ReleaseSavepoint(kProbeSavepoint);
      throw;
    }
    db_.RollbackToSavepoint(kProbeSavepoint);
    db_.ReleaseSavepoint(kProbeSavepoint);
    return std::move(findings_);
  }

 private:
  static std::string Unqualified(const std::string& table) {
    const size_t dot = table.find('.');
    return dot == std::string::npos ? table : table.substr(dot + 1);
  }

  void Add(const std::string& table, const char* id, std::string message, std::string hint,
           const Fixture* at = nullptr) {
    Finding f{id, Severity::kError, "", "", 0, std::move(message), std::move(hint), table, "", {}};
    if (at != nullptr) {
      f.revision = at->revision;
      f.file = at->file;
      f.line = at->line;
    }
    findings_.push_back(std::move(f));
  }

  /// Seeds as the migration role, with the tenant context set to the tenant
  /// being seeded: a migration role that owns FORCEd tables (and is not a
  /// superuser) is itself subject to their policies.
  bool Insert(const Fixture& fixture, const std::string& tenant, std::string* error) {
    const std::string sql = BindNamedParameter(fixture.sql, "tenant_id", 1);
    return Try([&] { db_.ExecWithTenantIn(tenancy_.context_setting, tenant, sql, tenant); }, error);
  }

  /// Runs one probe case (each Database *In call is a case under its own
  /// savepoint, in one round trip); false with the server's message when it
  /// failed.
  template <typename F>
  static bool Try(F&& fn, std::string* error) {
    try {
      fn();
      return true;
    } catch (const StatementError& e) {
      if (error != nullptr) {
        *error = e.Summary();
      }
      return false;
    }
  }

  void RunCases(const std::vector<const ProbeTable*>& tables) {
    const std::string a = db_.NewUuid();
    const std::string b = db_.NewUuid();
    // As the migration role: the two probe tenants, then one row per table
    // for each of them.
    Fixture tenant_fixture{tenancy_.tenant_fixture, "", config_file_, 0};
    if (Strip(tenant_fixture.sql).empty()) {
      Add(tenancy_.tenants_table, "isolation-fixture-missing",
          "retort.yaml has no tenancy.tenant_fixture, so the probe cannot create its tenants",
          "set tenancy.tenant_fixture: INSERT INTO tenants (id, name) VALUES (:tenant_id, 'retort probe')");
      return;
    }
    for (const std::string& tenant : {a, b}) {
      std::string error;
      if (!Insert(tenant_fixture, tenant, &error)) {
        Add(tenancy_.tenants_table, "isolation-fixture-failed",
            "the tenant fixture failed for probe tenant " + ShortId(tenant) + ": " + error,
            "fix tenancy.tenant_fixture in retort.yaml so it inserts one tenant with id :tenant_id",
            &tenant_fixture);
        return;
      }
    }
    std::vector<const ProbeTable*> seeded;
    for (const ProbeTable* t : tables) {
      bool ok = true;
      for (const std::string& tenant : {a, b}) {
        std::string error;
        if (!Insert(t->fixture, tenant, &error)) {
          Add(t->table, "isolation-fixture-failed",
              "the isolation fixture of " + t->table + " failed for probe tenant " + ShortId(tenant) + ": " +
                  error,
              "fix the fixture so it inserts one row of " + t->table +
                  " for tenant :tenant_id (with any parent rows it needs, e.g. in a WITH query)",
              &t->fixture);
          ok = false;
          break;
        }
      }
      if (ok) seeded.push_back(t);
    }
    if (seeded.empty()) return;

    // As the app role, with the tenant context set the way the app sets it.
    std::string error;
    if (!UnderCaseSavepoint(db_, [&] { db_.SetLocalRole(tenancy_.app_role); }, &error)) {
      db_.ResetRole();  // forget the role remembered before the failed SET ROLE
      Add("", "isolation-app-role-missing",
          "the probe cannot act as app role " + tenancy_.app_role + ": " + error,
          "create the role in a revision (CREATE ROLE " + tenancy_.app_role +
              " NOLOGIN) and make the migration role a member of it (GRANT " + tenancy_.app_role +
              " TO <migration role>)");
      return;
    }
    // SET LOCAL ROLE happened inside a released case savepoint: it stays in
    // force until the probe savepoint is rolled back.
    for (const ProbeTable* t : seeded) ProbeOne(*t, a, b);
    db_.ResetRole();
  }

  std::vector<std::string> Visible(const std::string& table, const std::string& context, bool* ok,
                                   std::string* error) {
    std::vector<std::string> seen;
    *ok = Try([&] { seen = db_.VisibleTenantsIn(tenancy_.context_setting, context, table, tenancy_.tenant_column); },
              error);
    return seen;
  }

  void ProbeOne(const ProbeTable& t, const std::string& a, const std::string& b) {
    const std::string& setting = tenancy_.context_setting;
    bool ok = false;
    std::string error;
    // Context A: at least one row, every row A's.
    std::vector<std::string> seen = Visible(t.table, a, &ok, &error);
    if (!ok) {
      Add(t.table, "isolation-a-sees-nothing",
          "with " + setting + " = tenant A, the app role cannot read " + t.table + ": " + error,
          "GRANT SELECT (and the other privileges the app needs) ON " + t.table + " TO " + tenancy_.app_role);
    } else if (std::find(seen.begin(), seen.end(), a) == seen.end()) {
      Add(t.table, "isolation-a-sees-nothing",
          "with " + setting + " = tenant A, the app role sees none of A's rows in " + t.table,
          "the policy must let a tenant see its own rows: USING (" + tenancy_.tenant_column +
              " = current_setting('" + setting + "', true)::uuid)");
    }
    if (ok) {
      std::vector<std::string> others;
      for (const std::string& s : seen) {
        if (s != a) others.push_back(s == b ? "tenant B" : (s.empty() ? "NULL" : ShortId(s)));
      }
      if (!others.empty()) {
        Add(t.table, "isolation-a-sees-other",
            "with " + setting + " = tenant A, the app role also sees rows of " + Join(others, ", ") + " in " +
                t.table,
            "bind every permissive policy's USING to the tenant context; FORCE ROW LEVEL SECURITY if the "
            "app role owns the table");
      }
    }
    // Context B: none of A's rows.
    seen = Visible(t.table, b, &ok, &error);
    if (ok && std::find(seen.begin(), seen.end(), a) != seen.end()) {
      Add(t.table, "isolation-b-sees-a",
          "with " + setting + " = tenant B, the app role sees tenant A's rows in " + t.table,
          "bind every permissive policy's USING to the tenant context");
    }
    // No context (what a pooled connection holds between requests): nothing
    // is seen, or the query fails (fail closed).
    seen = Visible(t.table, "", &ok, &error);
    if (ok && !seen.empty()) {
      Add(t.table, "isolation-no-context-sees-rows",
          "with no tenant context, the app role sees " + std::to_string(seen.size()) + " tenant(s)' rows in " +
              t.table,
          "compare with current_setting('" + setting +
              "', true) so that an unset context matches no row");
    }
    // Context A writing into B: moving A's row to B, and inserting B's row.
    long long moved = 0;
    bool update_ok =
        Try([&] { moved = db_.MoveTenantRowsIn(setting, a, t.table, tenancy_.tenant_column, a, b); }, nullptr);
    if (update_ok && moved > 0) {
      Add(t.table, "isolation-cross-tenant-write",
          "with " + setting + " = tenant A, the app role moved " + std::to_string(moved) + " row(s) of " +
              t.table + " to tenant B",
          "give the policy a WITH CHECK (" + tenancy_.tenant_column + " = current_setting('" + setting +
              "', true)::uuid)");
    }
    const std::string insert = BindNamedParameter(t.fixture.sql, "tenant_id", 1);
    bool inserted = Try([&] { db_.ExecWithTenantIn(setting, a, insert, b); }, nullptr);
    if (inserted) {
      Add(t.table, "isolation-cross-tenant-write",
          "with " + setting + " = tenant A, the app role inserted a row of tenant B into " + t.table,
          "give the policy a WITH CHECK (" + tenancy_.tenant_column + " = current_setting('" + setting +
              "', true)::uuid)");
    }
  }

  Database& db_;
  const TenancyConfig& tenancy_;
  const std::string& config_file_;
  std::vector<Finding> findings_;
};

}  // namespace

std::vector<Finding> RunIsolationProbe(Database& db, const TenancyConfig& tenancy, const std::string& config_file,
                                       const std::vector<ProbeTable>& tables) {
  return Probe(db, tenancy, config_file).Run(tables);
}

}  // namespace retort
