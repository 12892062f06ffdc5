// In-transaction gates of one step (SPEC §5 steps 3-5; §6 catalog gates and
// isolation probe). Reads only the tables the step touched, so the cost of a
// step does not grow with the number of tables already in the database.
#include "retort/exec/step_gates.h"

#include <algorithm>
#include <functional>
#include <iterator>
#include <map>

#include "retort/common/text.h"
#include "retort/config/project_file.h"
#include "retort/exec/isolation_probe.h"
#include "retort/gate/catalog_gates.h"
#include "retort/exec/runner.h"

namespace retort {
namespace {

std::string Written(const SqlObject& o) { return o.schema.empty() ? o.name : o.schema + "." + o.name; }

/// Does a name as written ("t" or "s.t") designate the table "schema.name"?
bool Designates(const std::string& written, const TableFacts& t) {
  return written == t.name || written == t.schema + "." + t.name;
}

/// The tables a step's statements name, each with the line of the first
/// statement that named it, in statement order; a schema-wide statement
/// (GRANT ... ALL TABLES IN SCHEMA) stands for `schema_tables(schema)`.
std::vector<std::pair<std::string, int>> NamedTables(
    const std::vector<AnalyzedStatement>& statements,
    const std::function<std::vector<std::string>(const std::string&)>& schema_tables) {
  std::vector<std::pair<std::string, int>> named;
  for (const AnalyzedStatement& s : statements) {
    auto add = [&](const SqlObject& o) {
      if (o.kind == "schema") {
        for (const std::string& t : schema_tables(o.name)) named.emplace_back(t, s.span.line);
      } else if (o.kind == "table" || o.kind == "foreign table") {
        named.emplace_back(Written(o), s.span.line);
      }
    };
    for (const SqlObject& o : s.creates) add(o);
    for (const SqlObject& o : s.tables_touched) add(o);
  }
  return named;
}

/// NamedTables' names, each once, in order.
std::vector<std::string> UniqueNames(const std::vector<std::pair<std::string, int>>& named) {
  std::vector<std::string> names;
  for (const auto& n : named) {
    if (std::find(names.begin(), names.end(), n.first) == names.end()) names.push_back(n.first);
  }
  return names;
}

/// The object named in a fingerprint line ("index public.users_idx ...").
std::string ObjectOfLine(const std::string& line) {
  std::vector<std::string> parts = Split(line, " ");
  return parts.size() >= 2 ? parts[0] + " " + parts[1] : line;
}

}  // namespace

StepGates::StepGates(Database& db, const RevisionMap& map, const std::vector<Script>& scripts,
                     const Config& config)
    : db_(db), map_(map), scripts_(scripts), config_(config) {}

std::vector<std::string> StepGates::Fingerprint() { return db_.SchemaFingerprint(config_.tenancy.schemas); }

void StepGates::PrefetchTouchedTables(const StepScript& step) {
  // Only when the names do not depend on the script's outcome (a
  // schema-wide statement's tables are read after it ran).
  bool schema_wide = false;
  const std::vector<std::string> names = UniqueNames(NamedTables(*step.statements, [&](const std::string&) {
    schema_wide = true;
    return std::vector<std::string>{};
  }));
  if (schema_wide || names.empty()) return;
  const TenancyConfig& tenancy = config_.tenancy;
  db_.PrefetchGateFacts(tenancy.schemas, names, tenancy.tenant_column, tenancy.app_role);
}

std::vector<Finding> StepGates::CheckTouchedTables(const StepScript& step) {
  const TenancyConfig& tenancy = config_.tenancy;
  // The tables the script names, with the line of the first statement that
  // touched each; a schema-wide statement stands for every table of that
  // schema as it is now.
  const std::vector<std::pair<std::string, int>> named =
      NamedTables(*step.statements, [&](const std::string& schema) { return db_.TablesInSchema(schema); });
  // The first statement that may change a role (CREATE/ALTER/GRANT ROLE,
  // or one we cannot see into): the app role's attributes are judged then,
  // even when the step names no table.
  int role_line = 0;
  for (const AnalyzedStatement& s : *step.statements) {
    for (const auto* list : {&s.creates, &s.alters, &s.drops}) {
      for (const SqlObject& o : *list) {
        if (o.kind == "role" && role_line == 0) role_line = s.span.line;
      }
    }
    if (s.opaque && role_line == 0) role_line = s.span.line;
  }
  if (named.empty() && role_line == 0) return {};
  const std::vector<std::string> names = UniqueNames(named);
  // (No names would mean every table to ReadGateFacts.)
  GateFacts read;
  if (names.empty()) {
    read.role = db_.ReadRoleFacts(tenancy.app_role);
  } else {
    read = db_.ReadGateFacts(tenancy.schemas, names, tenancy.tenant_column, tenancy.app_role);
  }
  const std::vector<TableFacts>& facts = read.tables;
  if (facts.empty() && role_line == 0) return {};
  const RoleFacts& role = read.role;
  const int first_line = role_line > 0 ? role_line : named.front().second;

  const Script& script = *step.script;
  const std::string file = script.ShownSqlPath(step.upgrade);
  auto line_of = [&](const std::string& table) {
    for (const auto& [written, line] : named) {
      for (const TableFacts& t : facts) {
        if (t.schema + "." + t.name == table && Designates(written, t)) return line;
      }
    }
    return named.empty() ? first_line : named.front().second;
  };
  // A policy finding points at the statement that made the policy, when
  // the step made one on that table.
  // The message names the policy ("policy p on public.t ..."): prefer the
  // statement that made that one, else any policy statement on the table.
  auto policy_line = [&](const std::string& table, const std::string& message) {
    int any = 0;
    for (const AnalyzedStatement& s : *step.statements) {
      for (const auto* list : {&s.creates, &s.alters}) {
        for (const SqlObject& o : *list) {
          if (o.kind != "policy") continue;
          SqlObject t{"table", o.schema, o.table, "", ""};
          for (const TableFacts& fact : facts) {
            if (fact.schema + "." + fact.name != table || !Designates(Written(t), fact)) continue;
            if (message.find("policy " + o.name + " on ") != std::string::npos) return s.span.line;
            if (any == 0) any = s.span.line;
          }
        }
      }
    }
    return any;
  };
  std::vector<Finding> findings = CheckCatalog(facts, role, tenancy);
  for (Finding& f : findings) {
    f.revision = script.revision.id;
    f.file = file;
    f.line = f.table.empty() ? first_line : line_of(f.table);
    if (StartsWith(f.id, "policy-") && !f.table.empty()) {
      if (int line = policy_line(f.table, f.message); line > 0) f.line = line;
    }
  }
  ApplyWaivers(findings, config_.waivers);

  // The isolation probe on the tenant-scoped ones, with the newest fixture
  // along the graph from the state the step leaves: the revision itself
  // after an upgrade, its parents after a downgrade.
  std::vector<int> start;
  if (step.upgrade) {
    start.push_back(step.node);
  } else {
    start = map_.node(step.node).all_down;
  }
  std::vector<ProbeTable> probe;
  for (const TableFacts& t : facts) {
    if (!IsTenantScoped(t, tenancy)) continue;
    ProbeTable p;
    p.table = t.schema + "." + t.name;
    p.has_fixture = FindFixture(map_, scripts_, start, p.table, &p.fixture);
    probe.push_back(std::move(p));
  }
  const std::string config_file = config_.config_path.empty() ? "retort.yaml" : DisplayPath(config_.config_path);
  for (Finding& f : RunIsolationProbe(db_, tenancy, config_file, probe)) {
    if (f.file.empty()) {
      f.revision = script.revision.id;
      f.file = file;
      f.line = f.table.empty() ? first_line : line_of(f.table);
    }
    findings.push_back(std::move(f));
  }
  return findings;
}

std::vector<Finding> StepGates::ProveInverse(const StepScript& step, const std::vector<std::string>& before,
                                             const std::function<std::vector<std::string>()>& inverse_fingerprint) {
  const Script& script = *step.script;
  // The inverse is the file that did not run.
  const std::string inverse_file = script.ShownSqlPath(!step.upgrade);
  const char* inverse_name = step.upgrade ? "downgrade" : "upgrade";
  std::vector<Finding> findings;
  std::vector<std::string> after;
  try {
    after = inverse_fingerprint();
  } catch (const StepFailure& e) {
    findings.push_back(Finding{"downgrade-not-inverse", Severity::kError, script.revision.id, inverse_file, 0,
                               std::string("the ") + inverse_name + " fails right after the " +
                                   (step.upgrade ? "upgrade" : "downgrade") + ": " + e.what(),
                               "make " + inverse_file + " the exact inverse of the step it undoes",
                               "", "", {}});
    return findings;
  }
  if (after == before) return findings;

  std::vector<std::string> missing, extra;  // lines are sorted (SchemaFingerprint)
  std::set_difference(before.begin(), before.end(), after.begin(), after.end(), std::back_inserter(missing));
  std::set_difference(after.begin(), after.end(), before.begin(), before.end(), std::back_inserter(extra));
  Finding f{"downgrade-not-inverse", Severity::kError, script.revision.id, inverse_file, 0, "", "", "", "", {}};
  std::vector<std::string> objects;
  for (const std::string& l : extra) {
    f.details.push_back("+ " + l);
    objects.push_back(ObjectOfLine(l));
  }
  for (const std::string& l : missing) {
    f.details.push_back("- " + l);
    objects.push_back(ObjectOfLine(l));
  }
  objects.erase(std::unique(objects.begin(), objects.end()), objects.end());
  if (objects.size() > 3) {
    const size_t more = objects.size() - 3;
    objects.resize(3);
    objects.push_back(std::to_string(more) + " more");
  }
  f.message = std::string("running the ") + inverse_name + " after the " + (step.upgrade ? "upgrade" : "downgrade") +
              " does not restore the schema (" + std::to_string(extra.size()) + " line(s) left over, " +
              std::to_string(missing.size()) + " missing: " + Join(objects, ", ") + ")";
  f.hint = "'+' lines exist after the round trip but not before it, '-' lines the reverse; make " + inverse_file +
           " undo exactly what " + script.ShownSqlPath(step.upgrade) + " does";
  findings.push_back(std::move(f));
  return findings;
}

std::vector<Finding> StepGates::AuditAllTables() {
  const TenancyConfig& tenancy = config_.tenancy;
  const GateFacts read = db_.ReadGateFacts(tenancy.schemas, {}, tenancy.tenant_column, tenancy.app_role);
  const std::vector<TableFacts>& facts = read.tables;
  if (facts.empty()) return {};
  std::vector<Finding> findings = CheckCatalog(facts, read.role, tenancy);
  ApplyWaivers(findings, config_.waivers);
  return findings;
}

}  // namespace retort
