#include "retort/config/config_loader.h"

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <utility>
#include <vector>

#include "retort/common/error.h"
#include "retort/config/project_file.h"
#include "retort/config/yaml_document.h"

namespace retort {
namespace {

namespace fs = std::filesystem;
using Entry = YamlDocument::Entry;

const std::vector<std::string> kTopKeys = {
    "database_url",  "version_locations", "version_table",
    "version_table_schema", "history_table", "lock_wait",
    "lock_timeout",  "statement_timeout", "tenancy",
    "waivers"};
const std::vector<std::string> kTenancyKeys = {
    "tenants_table", "tenant_column", "context_setting", "app_role",
    "schemas",       "global_tables", "tenant_fixture"};
const std::vector<std::string> kWaiverKeys = {"rule", "table", "reason"};

const char kDollarHint[] = "a literal $ is written $$";

bool IsNameStart(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

/// Expands ${NAME} and $$ in `value`; any other $ stays as written. With
/// `env` null it only checks the syntax. `where` and `key` make the errors.
std::string ExpandVariables(const std::string& value, const EnvLookup* env,
                            const std::string& where, const std::string& key) {
  std::string out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '$' || i + 1 == value.size()) {
      out += value[i];
      continue;
    }
    if (value[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    if (value[i + 1] != '{') {
      out += '$';
      continue;
    }
    std::size_t close = value.find('}', i + 2);
    std::string name =
        close == std::string::npos ? "" : value.substr(i + 2, close - i - 2);
    bool valid = !name.empty() && IsNameStart(name[0]);
    for (char c : name) valid = valid && IsNameChar(c);
    if (!valid) {
      std::string shown = close == std::string::npos
                              ? value.substr(i)
                              : value.substr(i, close - i + 1);
      throw ProjectError(where + ": " + key + ": malformed variable reference '" +
                             shown + "'",
                         std::string("write ${NAME} with letters, digits and _; ") +
                             kDollarHint);
    }
    if (env != nullptr) {
      std::optional<std::string> found = (*env)(name);
      if (!found) {
        throw ProjectError(where + ": " + key + ": environment variable " + name +
                               " is not set",
                           "set " + name + " or write the value itself; " +
                               kDollarHint);
      }
      out += *found;
    } else {
      out += value.substr(i, close - i + 1);
    }
    i = close;
  }
  return out;
}

/// Reads the entries of one retort.yaml with the values expanded.
class ConfigReader {
 public:
  ConfigReader(const YamlDocument& doc, const EnvLookup& env)
      : doc_(doc), env_(env) {}

  std::string String(const Entry& entry, const std::string& name) const {
    return ExpandVariables(doc_.String(entry, name), &env_, doc_.Where(entry),
                           name);
  }

  /// A string that names something (a table, a role): never empty.
  std::string Name(const Entry& entry, const std::string& name) const {
    std::string value = String(entry, name);
    if (value.empty()) {
      throw ProjectError(doc_.Where(entry) + ": " + name + " must not be empty");
    }
    return value;
  }

  std::optional<std::string> NullableName(const Entry& entry,
                                          const std::string& name) const {
    if (entry.value.IsNull()) return std::nullopt;
    return Name(entry, name);
  }

  std::vector<std::string> Names(const Entry& entry,
                                 const std::string& name) const {
    std::vector<std::string> values;
    for (const YamlDocument::Item& item : doc_.StringList(entry, name)) {
      values.push_back(ExpandVariables(item.text, &env_, item.where, name));
      if (values.back().empty()) {
        throw ProjectError(item.where + ": " + name +
                           " must not contain an empty name");
      }
    }
    return values;
  }

  long Duration(const Entry& entry, const std::string& name) const {
    if (!entry.value.IsScalar()) {
      throw ProjectError(doc_.Where(entry) + ": " + name +
                         " must be a duration such as 60s, not " +
                         YamlDocument::KindOf(entry.value));
    }
    std::string text = String(entry, name);
    std::optional<long> ms = ParseDuration(text);
    if (!ms) {
      throw ProjectError(
          doc_.Where(entry) + ": " + name + ": invalid duration '" + text + "'",
          "write a whole number with a unit: 250ms, 5s, 2m or 1h (a bare "
          "number is seconds; 0 means no limit)");
    }
    return *ms;
  }

  void Tenancy(const Entry& tenancy, TenancyConfig& out) const {
    std::vector<Entry> entries = doc_.MapEntries(tenancy.value, "tenancy");
    doc_.CheckKnownKeys(entries, kTenancyKeys, "tenancy");
    for (const Entry& e : entries) {
      const std::string name = "tenancy." + e.key;
      if (e.key == "tenants_table") {
        out.tenants_table = Name(e, name);
      } else if (e.key == "tenant_column") {
        out.tenant_column = Name(e, name);
      } else if (e.key == "context_setting") {
        out.context_setting = Name(e, name);
      } else if (e.key == "app_role") {
        out.app_role = Name(e, name);
      } else if (e.key == "schemas") {
        out.schemas = Names(e, name);
        if (out.schemas.empty()) {
          throw ProjectError(doc_.Where(e) + ": " + name +
                             " must name at least one schema");
        }
      } else if (e.key == "global_tables") {
        out.global_tables = Names(e, name);
      } else if (e.key == "tenant_fixture") {
        out.tenant_fixture = e.value.IsNull() ? "" : String(e, name);
      }
    }
  }

  std::vector<Waiver> Waivers(const Entry& waivers) const {
    std::vector<Waiver> out;
    if (waivers.value.IsNull()) return out;
    if (!waivers.value.IsSequence()) {
      throw ProjectError(doc_.Where(waivers) + ": waivers must be a list, not " +
                         YamlDocument::KindOf(waivers.value));
    }
    for (const YAML::Node& item : waivers.value) {
      if (!item.IsMap()) {
        throw ProjectError(doc_.Where(item) +
                           ": each waiver must be a mapping {rule, table, "
                           "reason}, not " + YamlDocument::KindOf(item));
      }
      std::vector<Entry> entries = doc_.MapEntries(item, "waiver");
      doc_.CheckKnownKeys(entries, kWaiverKeys, "waiver");
      Waiver waiver;
      waiver.line = doc_.Line(item);
      bool has_rule = false;
      for (const Entry& e : entries) {
        if (e.key == "rule") {
          waiver.rule = Name(e, "waiver rule");
          has_rule = true;
        } else if (e.key == "table") {
          waiver.table = e.value.IsNull() ? "" : String(e, "waiver table");
        } else if (e.key == "reason") {
          waiver.reason = e.value.IsNull() ? "" : String(e, "waiver reason");
        }
      }
      if (!has_rule) {
        throw ProjectError(doc_.Where(item) + ": waiver has no rule",
                           "name the finding it waives: rule: <finding id>");
      }
      if (waiver.reason.find_first_not_of(" \t\r\n") == std::string::npos) {
        throw ProjectError(
            doc_.Where(item) + ": waiver for rule '" + waiver.rule +
                "' has no reason",
            "a waiver is a reviewed exception: say why in reason: \"...\"");
      }
      out.push_back(std::move(waiver));
    }
    return out;
  }

 private:
  const YamlDocument& doc_;
  const EnvLookup& env_;
};

}  // namespace

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

std::string FindConfigPath(const std::optional<std::string>& flag,
                           const EnvLookup& env) {
  if (flag) return *flag;
  std::optional<std::string> from_env = env("RETORT_CONFIG");
  if (from_env && !from_env->empty()) return *from_env;
  return "retort.yaml";
}

Config LoadConfig(const std::string& path, const EnvLookup& env) {
  const std::string shown = DisplayPath(path);
  YamlDocument doc(shown, ReadProjectFile(path, shown, "config"));
  Config config;
  std::error_code ec;
  fs::path absolute = fs::absolute(fs::path(path), ec).lexically_normal();
  config.config_path = absolute.string();
  config.script_location = absolute.parent_path().string();

  const YAML::Node& root = doc.root();
  if (root.IsDefined() && !root.IsNull() && !root.IsMap()) {
    throw ProjectError(doc.Where(root) +
                       ": the config must be a mapping of keys to values, not " +
                       YamlDocument::KindOf(root));
  }
  std::vector<Entry> entries = doc.MapEntries(root, "the config");
  for (const Entry& e : entries) {
    // A tenancy key at the top level is a likely slip of indentation.
    for (const std::string& key : kTenancyKeys) {
      if (e.key == key) {
        throw ProjectError(
            doc.Where(e.key_node) + ": unknown key '" + e.key + "' in the config",
            "'" + e.key + "' belongs under tenancy: (indent it)");
      }
    }
  }
  doc.CheckKnownKeys(entries, kTopKeys, "the config");

  ConfigReader reader(doc, env);
  for (const Entry& e : entries) {
    if (e.key == "database_url") {
      if (e.value.IsNull()) {
        config.database_url.reset();
        continue;
      }
      std::string url = doc.String(e, "database_url");
      ExpandVariables(url, nullptr, doc.Where(e), "database_url");  // syntax only
      config.database_url = url;
      config.database_url_line = doc.Line(e.value);
      config.database_url_column = doc.Column(e.value);
    } else if (e.key == "version_locations") {
      config.version_locations = reader.Names(e, "version_locations");
      if (config.version_locations.empty()) {
        throw ProjectError(doc.Where(e) +
                           ": version_locations must name at least one folder");
      }
    } else if (e.key == "version_table") {
      config.version_table = reader.Name(e, "version_table");
    } else if (e.key == "version_table_schema") {
      config.version_table_schema = reader.NullableName(e, "version_table_schema");
    } else if (e.key == "history_table") {
      config.history_table = reader.NullableName(e, "history_table");
    } else if (e.key == "lock_wait") {
      config.lock_wait_ms = reader.Duration(e, "lock_wait");
    } else if (e.key == "lock_timeout") {
      config.lock_timeout_ms = reader.Duration(e, "lock_timeout");
    } else if (e.key == "statement_timeout") {
      config.statement_timeout_ms = reader.Duration(e, "statement_timeout");
    } else if (e.key == "tenancy") {
      reader.Tenancy(e, config.tenancy);
    } else if (e.key == "waivers") {
      config.waivers = reader.Waivers(e);
    }
  }
  return config;
}

std::string ExpandDatabaseUrl(const Config& config, const EnvLookup& env) {
  // A Config made without a file (config_path "") has no place to point at.
  const std::string shown =
      config.config_path.empty() ? "" : DisplayPath(config.config_path);
  if (!config.database_url) {
    throw ProjectError((shown.empty() ? "" : shown + ": ") + "database_url is not set",
                       "set database_url in " + (shown.empty() ? "retort.yaml" : shown) +
                           ", or pass --url or set DATABASE_URL");
  }
  std::string where = shown.empty() ? "retort.yaml" : shown;
  if (config.database_url_line > 0) {
    where += ":" + std::to_string(config.database_url_line) + ":" +
             std::to_string(config.database_url_column);
  }
  return ExpandVariables(*config.database_url, &env, where, "database_url");
}

std::optional<long> ParseDuration(const std::string& text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    ++digits;
  }
  // More than 12 digits cannot be a valid timeout; the cap avoids overflow.
  if (digits == 0 || digits > 12) return std::nullopt;
  long long value = std::stoll(text.substr(0, digits));
  std::string unit = text.substr(digits);
  long long factor = 0;
  if (unit.empty() || unit == "s") {
    factor = 1000;
  } else if (unit == "ms") {
    factor = 1;
  } else if (unit == "m") {
    factor = 60 * 1000;
  } else if (unit == "h") {
    factor = 60 * 60 * 1000;
  } else {
    return std::nullopt;
  }
  long long ms = value * factor;
  if (ms > INT_MAX) return std::nullopt;
  return static_cast<long>(ms);
}

std::string DefaultConfigText() {
  return R"(# retort.yaml: the project configuration of retort (see retort.yaml(5)).
# ${VAR} expands from the environment, and a missing variable is an error;
# write $$ for a literal dollar sign.

# libpq URI or keyword string; --url and DATABASE_URL override it.
database_url: ${DATABASE_URL}
# Folders holding the revision folders, relative to this file.
version_locations: [versions]
# Alembic's version table: keep these names if Alembic managed the database.
version_table: alembic_version
version_table_schema: null          # null: the default schema; created if missing
history_table: retort_history       # retort's audit table, one row per step; null turns it off
# Durations: 250ms, 5s, 2m, 1h; a bare number is seconds; 0 means no limit.
lock_wait: 60s                      # how long to wait for another runner's lock
lock_timeout: 5s                    # SET LOCAL lock_timeout for each step
statement_timeout: 0                # SET LOCAL statement_timeout for each step

tenancy:
  tenants_table: tenants
  tenant_column: tenant_id
  context_setting: app.current_tenant_id
  app_role: app_user                # role the application connects as; isolation probes run as it
  schemas: [public]
  global_tables: [tenants]          # tables that are not tenant-scoped
  tenant_fixture: INSERT INTO tenants (id, name) VALUES (:tenant_id, 'retort probe')

# Reviewed exceptions to catalog gates, shown in every report. Each needs a reason:
#   - {rule: tenant-index-missing, table: audit_events, reason: "append-only, read by time"}
waivers: []
)";
}

}  // namespace retort
