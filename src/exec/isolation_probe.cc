// The isolation probe (SPEC §6): the seed recipe of "tenant A sees only A's
// rows; B never sees A's; no context sees nothing; A cannot write into B",
// automated against the live schema inside the step's transaction.
#include "retort/exec/isolation_probe.h"

#include <algorithm>
#include <cstdint>
#include <random>

#include "retort/common/text.h"
#include "retort/sql/named_parameter.h"

namespace retort {
namespace {

constexpr const char kProbeSavepoint[] = "retort_isolation_probe";
constexpr const char kCaseSavepoint[] = "retort_isolation_case";

std::string ShortId(const std::string& uuid) { return uuid.substr(0, 8); }

/// A random (version 4) UUID for a probe tenant, made here rather than
/// asked of the server: one round trip less. It only has to differ from
/// every real tenant id, and the probe's rows never survive.
std::string NewProbeTenantId() {
  static std::mt19937_64 random{std::random_device{}()};
  unsigned char bytes[16];
  for (int i = 0; i < 16; i += 8) {
    const std::uint64_t r = random();
    for (int k = 0; k < 8; ++k) bytes[i + k] = static_cast<unsigned char>(r >> (8 * k));
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 0x0f];
  }
  return out;
}

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
    tenant_fixture_ = Fixture{tenancy_.tenant_fixture, "", config_file_, 0};
    if (Strip(tenant_fixture_.sql).empty()) {
      Add(tenancy_.tenants_table, "isolation-fixture-missing",
          "retort.yaml has no tenancy.tenant_fixture, so the probe cannot create its tenants",
          "set tenancy.tenant_fixture: INSERT INTO tenants (id, name) VALUES (:tenant_id, 'retort probe')");
      return std::move(findings_);
    }
    const std::string a = NewProbeTenantId();
    const std::string b = NewProbeTenantId();
    if (RunBatched(runnable, a, b)) return std::move(findings_);

    // A seed or the role switch failed: again one by one, to say which.
    db_.Savepoint(kProbeSavepoint);
    try {
      Probe::RunCases(runnable, a, b);
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

  /// The probe in one round trip; false (and nothing found) when a seed or
  /// the role switch failed.
  bool RunBatched(const std::vector<const ProbeTable*>& tables, const std::string& a, const std::string& b) {
    const std::string& column = tenancy_.tenant_column;
    auto exec = [](const std::string& context, const std::string& sql, const std::string& tenant) {
      ProbeAction x;
      x.context = context;
      x.sql = BindNamedParameter(sql, "tenant_id", 1);
      x.tenant_id = tenant;
      return x;
    };
    auto visible = [&](const std::string& context, const std::string& table) {
      ProbeAction x;
      x.kind = ProbeAction::Kind::kVisibleTenants;
      x.context = context;
      x.table = table;
      x.tenant_column = column;
      return x;
    };
    // Seeds grouped by tenant (each tenant's rows in table order), so the
    // context changes once.
    std::vector<ProbeAction> seeds;
    for (const std::string* tenant : {&a, &b}) {
      seeds.push_back(exec(*tenant, tenant_fixture_.sql, *tenant));
      for (const ProbeTable* t : tables) seeds.push_back(exec(*tenant, t->fixture.sql, *tenant));
    }
    std::vector<ProbeAction> cases;
    for (const ProbeTable* t : tables) {
      cases.push_back(visible(a, t->table));
      cases.push_back(visible(b, t->table));
      cases.push_back(visible("", t->table));
      ProbeAction move;
      move.kind = ProbeAction::Kind::kMoveTenantRows;
      move.context = a;
      move.table = t->table;
      move.tenant_column = column;
      move.tenant_id = a;
      move.to_tenant = b;
      cases.push_back(std::move(move));
      cases.push_back(exec(a, t->fixture.sql, b));
    }
    ProbeBatchResult r = db_.RunProbeBatch(tenancy_.context_setting, seeds, tenancy_.app_role, cases);
    if (!r.setup_ok) return false;
    for (size_t i = 0; i < tables.size(); ++i) {
      const ProbeActionResult* c = &r.cases[i * 5];
      Judge(*tables[i], a, b, CaseResults{c[0], c[1], c[2], c[3], c[4]});
    }
    return true;
  }

  void RunCases(const std::vector<const ProbeTable*>& tables, const std::string& a, const std::string& b) {
    // As the migration role: the two probe tenants, then one row per table
    // for each of them.
    const Fixture& tenant_fixture = tenant_fixture_;
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

  ProbeActionResult Visible(const std::string& table, const std::string& context) {
    ProbeActionResult r;
    r.ok = Try([&] { r.tenants = db_.VisibleTenantsIn(tenancy_.context_setting, context, table,
                                                      tenancy_.tenant_column); },
               &r.error);
    return r;
  }

  /// The five cases of one table, one by one.
  void ProbeOne(const ProbeTable& t, const std::string& a, const std::string& b) {
    const std::string& setting = tenancy_.context_setting;
    CaseResults r{Visible(t.table, a), Visible(t.table, b), Visible(t.table, ""), {}, {}};
    r.move.ok = Try([&] { r.move.affected = db_.MoveTenantRowsIn(setting, a, t.table, tenancy_.tenant_column, a, b); },
                    &r.move.error);
    const std::string insert = BindNamedParameter(t.fixture.sql, "tenant_id", 1);
    r.insert.ok = Try([&] { db_.ExecWithTenantIn(setting, a, insert, b); }, &r.insert.error);
    Judge(t, a, b, r);
  }

  /// What the five cases of one table gave.
  struct CaseResults {
    ProbeActionResult a, b, none;  ///< what each context sees
    ProbeActionResult move;        ///< context A moving A's rows to B
    ProbeActionResult insert;      ///< context A inserting B's row
  };

  void Judge(const ProbeTable& t, const std::string& a, const std::string& b, const CaseResults& r) {
    const std::string& setting = tenancy_.context_setting;
    // Context A: at least one row, every row A's.
    const std::vector<std::string>& seen = r.a.tenants;
    if (!r.a.ok) {
      Add(t.table, "isolation-a-sees-nothing",
          "with " + setting + " = tenant A, the app role cannot read " + t.table + ": " + r.a.error,
          "GRANT SELECT (and the other privileges the app needs) ON " + t.table + " TO " + tenancy_.app_role);
    } else if (std::find(seen.begin(), seen.end(), a) == seen.end()) {
      Add(t.table, "isolation-a-sees-nothing",
          "with " + setting + " = tenant A, the app role sees none of A's rows in " + t.table,
          "the policy must let a tenant see its own rows: USING (" + tenancy_.tenant_column +
              " = current_setting('" + setting + "', true)::uuid)");
    }
    if (r.a.ok) {
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
    if (r.b.ok && std::find(r.b.tenants.begin(), r.b.tenants.end(), a) != r.b.tenants.end()) {
      Add(t.table, "isolation-b-sees-a",
          "with " + setting + " = tenant B, the app role sees tenant A's rows in " + t.table,
          "bind every permissive policy's USING to the tenant context");
    }
    // No context (what a pooled connection holds between requests): nothing
    // is seen, or the query fails (fail closed).
    if (r.none.ok && !r.none.tenants.empty()) {
      Add(t.table, "isolation-no-context-sees-rows",
          "with no tenant context, the app role sees " + std::to_string(r.none.tenants.size()) +
              " tenant(s)' rows in " +
              t.table,
          "compare with current_setting('" + setting +
              "', true) so that an unset context matches no row");
    }
    // Context A writing into B: moving A's row to B, and inserting B's row.
    if (r.move.ok && r.move.affected > 0) {
      Add(t.table, "isolation-cross-tenant-write",
          "with " + setting + " = tenant A, the app role moved " + std::to_string(r.move.affected) +
              " row(s) of " +
              t.table + " to tenant B",
          "give the policy a WITH CHECK (" + tenancy_.tenant_column + " = current_setting('" + setting +
              "', true)::uuid)");
    }
    if (r.insert.ok) {
      Add(t.table, "isolation-cross-tenant-write",
          "with " + setting + " = tenant A, the app role inserted a row of tenant B into " + t.table,
          "give the policy a WITH CHECK (" + tenancy_.tenant_column + " = current_setting('" + setting +
              "', true)::uuid)");
    }
  }

  Database& db_;
  const TenancyConfig& tenancy_;
  const std::string& config_file_;
  Fixture tenant_fixture_;
  std::vector<Finding> findings_;
};

}  // namespace

std::vector<Finding> RunIsolationProbe(Database& db, const TenancyConfig& tenancy, const std::string& config_file,
                                       const std::vector<ProbeTable>& tables) {
  return Probe(db, tenancy, config_file).Run(tables);
}

}  // namespace retort
