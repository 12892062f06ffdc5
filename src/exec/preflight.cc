// Destructive pre-flight (SPEC §6): count what each DROP/TRUNCATE/lossy
// ALTER would remove and make a person (or a reviewed --confirm) agree.
#include "retort/exec/preflight.h"

#include <cerrno>
#include <cstdlib>

#include "retort/common/text.h"

namespace retort {
namespace {

std::string Qualify(const SqlObject& o, const std::string& default_schema) {
  return (o.schema.empty() ? default_schema : o.schema) + "." + o.name;
}

bool IsRelation(const std::string& kind) {
  return kind == "table" || kind == "materialized view" || kind == "foreign table";
}

}  // namespace

std::vector<DestructiveTarget> CountDestructiveTargets(Database& db, const std::vector<PendingDestructive>& ops,
                                                       const std::string& default_schema) {
  std::vector<DestructiveTarget> out;
  std::map<std::string, size_t> seen;
  auto add = [&](DestructiveTarget t) {
    if (seen.emplace(t.key, out.size()).second) out.push_back(std::move(t));
  };
  for (const PendingDestructive& p : ops) {
    DestructiveTarget base;
    base.what = p.op.what;
    base.revision = p.revision;
    base.file = p.file;
    base.line = p.line;
    base.statement = p.statement;
    const SqlObject& target = p.op.target;
    if (target.kind == "schema") {
      std::vector<std::string> tables = db.TablesInSchema(target.name);
      if (tables.empty()) {
        DestructiveTarget t = base;
        t.key = target.name;
        t.counted = false;
        add(t);
      }
      for (const std::string& table : tables) {
        DestructiveTarget t = base;
        t.key = table;
        t.rows = db.CountRows(table);
        add(t);
      }
      continue;
    }
    const bool column = target.kind == "column";
    if (column || IsRelation(target.kind)) {
      const std::string written = target.schema.empty() ? target.name : target.schema + "." + target.name;
      std::string table = db.ResolveTable(written);
      DestructiveTarget t = base;
      if (table.empty()) {
        t.exists = false;
        table = Qualify(target, default_schema);
      }
      t.key = column ? table + "." + target.column : table;
      if (t.exists) t.rows = column ? db.CountNonNull(table, target.column) : db.CountRows(table);
      add(t);
      continue;
    }
    DestructiveTarget t = base;  // a type, domain, sequence, database, DROP OWNED ...
    t.key = target.name.empty() ? p.op.what : Qualify(target, default_schema);
    t.counted = false;
    add(t);
  }
  return out;
}

std::string ConfirmArgument(const std::vector<DestructiveTarget>& targets) {
  std::vector<std::string> items;
  for (const DestructiveTarget& t : targets) items.push_back(t.key + "=" + std::to_string(t.rows));
  return Join(items, ",");
}

std::map<std::string, long long> ParseConfirm(const std::string& text) {
  std::map<std::string, long long> out;
  for (const std::string& raw : Split(text, ",")) {
    const std::string item = Strip(raw);
    if (item.empty()) continue;
    const size_t eq = item.rfind('=');
    const std::string key = eq == std::string::npos ? "" : Strip(item.substr(0, eq));
    const std::string count = eq == std::string::npos ? "" : Strip(item.substr(eq + 1));
    char* end = nullptr;
    errno = 0;
    const long long n = count.empty() ? -1 : std::strtoll(count.c_str(), &end, 10);
    if (key.empty() || count.empty() || errno != 0 || *end != '\0' || n < 0) {
      throw UsageError("--confirm: '" + item + "' is not TABLE=COUNT",
                       "copy the argument a dry run prints: retort upgrade <target> --dry-run");
    }
    if (!out.emplace(key, n).second) throw UsageError("--confirm names " + key + " twice");
  }
  return out;
}

std::vector<std::string> ConfirmMismatches(const std::vector<DestructiveTarget>& targets,
                                           const std::map<std::string, long long>& confirmed) {
  std::vector<std::string> out;
  std::map<std::string, bool> known;
  for (const DestructiveTarget& t : targets) {
    known[t.key] = true;
    auto it = confirmed.find(t.key);
    if (it == confirmed.end()) {
      out.push_back(t.key + " (" + t.what + ", " + std::to_string(t.rows) + " rows) is not confirmed");
    } else if (it->second != t.rows) {
      out.push_back(t.key + " was confirmed at " + std::to_string(it->second) + " rows but has " +
                    std::to_string(t.rows) + " now");
    }
  }
  for (const auto& [key, n] : confirmed) {
    if (!known.count(key)) out.push_back(key + "=" + std::to_string(n) + " names nothing this run removes");
  }
  return out;
}

std::string DescribeTarget(const DestructiveTarget& t) {
  std::string rows = !t.counted ? "no rows to count"
                     : !t.exists ? "0 rows (created earlier in this run)"
                                 : std::to_string(t.rows) + (t.rows == 1 ? " row" : " rows");
  std::string where = t.file + (t.line > 0 ? ":" + std::to_string(t.line) : "");
  return t.key + " (" + t.what + ", " + where + "): " + rows;
}

}  // namespace retort
