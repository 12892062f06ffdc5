#include "retort/config/config_loader.h"

#include <gtest/gtest.h>

#include "support/project_error.h"

#include <map>
#include <string>

#include "retort/common/error.h"
#include "support/temp_dir.h"

namespace retort {
namespace {

using retort::testing::ScopedChdir;
using retort::testing::TempDir;

using retort::testing::ErrorOf;

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

/// Each test runs in a fresh directory holding its retort.yaml, so that
/// messages show the path as "retort.yaml".
class ConfigLoaderTest : public ::testing::Test {
 protected:
  ConfigLoaderTest() : cwd_(dir_.path()) {}

  Config Load(const std::string& yaml, std::map<std::string, std::string> env = {}) {
    dir_.Write("retort.yaml", yaml);
    return LoadConfig("retort.yaml", FakeEnv(std::move(env)));
  }
  std::string LoadError(const std::string& yaml,
                        std::map<std::string, std::string> env = {}) {
    return ErrorOf([&] { Load(yaml, std::move(env)); });
  }

  TempDir dir_;
  ScopedChdir cwd_;
};

TEST_F(ConfigLoaderTest, ReadsEveryKey) {
  Config c = Load(
      "database_url: postgresql://u@${HOST}/db\n"
      "version_locations: [versions, \"${EXTRA}/more\"]\n"
      "version_table: my_version\n"
      "version_table_schema: meta\n"
      "history_table: null\n"
      "lock_wait: 2m\n"
      "lock_timeout: 250ms\n"
      "statement_timeout: 1h\n"
      "tenancy:\n"
      "  tenants_table: orgs\n"
      "  tenant_column: org_id\n"
      "  context_setting: app.org\n"
      "  app_role: web\n"
      "  schemas:\n"
      "  - app\n"
      "  - ${SCHEMA}\n"
      "  global_tables: orgs\n"
      "  tenant_fixture: INSERT INTO orgs (id) VALUES (:tenant_id)\n"
      "waivers:\n"
      "  - {rule: tenant-index-missing, table: audit_events, reason: \"append-only, read by time\"}\n"
      "  - rule: unique-without-tenant\n"
      "    reason: global codes cost $$5\n",
      {{"EXTRA", "extra"}, {"SCHEMA", "billing"}});
  EXPECT_EQ((dir_.path() / "retort.yaml").string(), c.config_path);
  EXPECT_EQ(dir_.str(), c.script_location);
  EXPECT_EQ("postgresql://u@${HOST}/db", c.database_url.value());
  EXPECT_EQ(1, c.database_url_line);
  EXPECT_EQ(15, c.database_url_column);
  EXPECT_EQ((std::vector<std::string>{"versions", "extra/more"}), c.version_locations);
  EXPECT_EQ("my_version", c.version_table);
  EXPECT_EQ("meta", c.version_table_schema.value());
  EXPECT_FALSE(c.history_table.has_value());
  EXPECT_EQ(120000, c.lock_wait_ms);
  EXPECT_EQ(250, c.lock_timeout_ms);
  EXPECT_EQ(3600000, c.statement_timeout_ms);
  EXPECT_EQ("orgs", c.tenancy.tenants_table);
  EXPECT_EQ("org_id", c.tenancy.tenant_column);
  EXPECT_EQ("app.org", c.tenancy.context_setting);
  EXPECT_EQ("web", c.tenancy.app_role);
  EXPECT_EQ((std::vector<std::string>{"app", "billing"}), c.tenancy.schemas);
  EXPECT_EQ((std::vector<std::string>{"orgs"}), c.tenancy.global_tables);
  EXPECT_EQ("INSERT INTO orgs (id) VALUES (:tenant_id)", c.tenancy.tenant_fixture);
  ASSERT_EQ(2u, c.waivers.size());
  EXPECT_EQ("tenant-index-missing", c.waivers[0].rule);
  EXPECT_EQ("audit_events", c.waivers[0].table);
  EXPECT_EQ("append-only, read by time", c.waivers[0].reason);
  EXPECT_EQ(20, c.waivers[0].line);
  EXPECT_EQ("unique-without-tenant", c.waivers[1].rule);
  EXPECT_EQ("", c.waivers[1].table);
  EXPECT_EQ("global codes cost $5", c.waivers[1].reason);
  EXPECT_EQ(21, c.waivers[1].line);
}

TEST_F(ConfigLoaderTest, EmptyFileGivesDefaults) {
  Config c = Load("# nothing yet\n");
  Config defaults;
  EXPECT_FALSE(c.database_url.has_value());
  EXPECT_EQ(defaults.version_locations, c.version_locations);
  EXPECT_EQ(defaults.version_table, c.version_table);
  EXPECT_EQ(defaults.history_table, c.history_table);
  EXPECT_EQ(60000, c.lock_wait_ms);
  EXPECT_EQ(5000, c.lock_timeout_ms);
  EXPECT_EQ(0, c.statement_timeout_ms);
}

TEST_F(ConfigLoaderTest, DefaultConfigTextLoadsWithoutDatabaseUrlSet) {
  Config c = Load(DefaultConfigText());
  Config defaults;
  EXPECT_EQ("${DATABASE_URL}", c.database_url.value());
  EXPECT_EQ(defaults.version_locations, c.version_locations);
  EXPECT_EQ(defaults.version_table, c.version_table);
  EXPECT_FALSE(c.version_table_schema.has_value());
  EXPECT_EQ(defaults.history_table, c.history_table);
  EXPECT_EQ(defaults.lock_wait_ms, c.lock_wait_ms);
  EXPECT_EQ(defaults.lock_timeout_ms, c.lock_timeout_ms);
  EXPECT_EQ(defaults.statement_timeout_ms, c.statement_timeout_ms);
  EXPECT_EQ(defaults.tenancy.tenants_table, c.tenancy.tenants_table);
  EXPECT_EQ(defaults.tenancy.tenant_column, c.tenancy.tenant_column);
  EXPECT_EQ(defaults.tenancy.context_setting, c.tenancy.context_setting);
  EXPECT_EQ(defaults.tenancy.app_role, c.tenancy.app_role);
  EXPECT_EQ(defaults.tenancy.schemas, c.tenancy.schemas);
  EXPECT_EQ(defaults.tenancy.global_tables, c.tenancy.global_tables);
  EXPECT_EQ("INSERT INTO tenants (id, name) VALUES (:tenant_id, 'retort probe')",
            c.tenancy.tenant_fixture);
  EXPECT_TRUE(c.waivers.empty());
  EXPECT_EQ("postgresql://localhost/app",
            ExpandDatabaseUrl(c, FakeEnv({{"DATABASE_URL", "postgresql://localhost/app"}})));
}

TEST_F(ConfigLoaderTest, ExpandDatabaseUrl) {
  Config c = Load("lock_wait: 1s\ndatabase_url: postgresql://${USER}:pa$$$$word@h/${DB}\n");
  EXPECT_EQ("postgresql://alice:pa$$word@h/shop",
            ExpandDatabaseUrl(c, FakeEnv({{"USER", "alice"}, {"DB", "shop"}})));
  EXPECT_EQ(
      "retort.yaml:2:15: database_url: environment variable DB is not set"
      " | set DB or write the value itself; a literal $ is written $$",
      ErrorOf([&] { ExpandDatabaseUrl(c, FakeEnv({{"USER", "alice"}})); }));
  Config none = Load("version_table: v\n");
  EXPECT_EQ(
      "retort.yaml: database_url is not set"
      " | set database_url in retort.yaml, or pass --url or set DATABASE_URL",
      ErrorOf([&] { ExpandDatabaseUrl(none, FakeEnv({})); }));
  EXPECT_EQ("database_url is not set"
            " | set database_url in retort.yaml, or pass --url or set DATABASE_URL",
            ErrorOf([&] { ExpandDatabaseUrl(Config{}, FakeEnv({})); }));
}

TEST_F(ConfigLoaderTest, MissingVariableIsAnErrorNeverEmpty) {
  EXPECT_EQ(
      "retort.yaml:2:16: history_table: environment variable PREFIX is not set"
      " | set PREFIX or write the value itself; a literal $ is written $$",
      LoadError("version_table: v\nhistory_table: ${PREFIX}_history\n"));
  EXPECT_EQ(
      "retort.yaml:3:5: tenancy.schemas: environment variable S is not set"
      " | set S or write the value itself; a literal $ is written $$",
      LoadError("tenancy:\n  schemas:\n  - ${S}\n"));
  // An empty value is a value.
  EXPECT_EQ("_history", Load("history_table: ${PREFIX}_history\n", {{"PREFIX", ""}})
                            .history_table.value());
}

TEST_F(ConfigLoaderTest, MalformedVariable) {
  EXPECT_EQ(
      "retort.yaml:1:16: version_table: malformed variable reference '${1X}'"
      " | write ${NAME} with letters, digits and _; a literal $ is written $$",
      LoadError("version_table: ${1X}\n"));
  EXPECT_EQ(
      "retort.yaml:1:15: database_url: malformed variable reference '${DATABASE_URL'"
      " | write ${NAME} with letters, digits and _; a literal $ is written $$",
      LoadError("database_url: ${DATABASE_URL\n"));
  // A $ not followed by { or $ stays as written.
  EXPECT_EQ("a$b$", Load("version_table: a$b$\n").version_table);
}

TEST_F(ConfigLoaderTest, MissingFile) {
  EXPECT_EQ("nope.yaml: cannot read config: No such file or directory",
            ErrorOf([] { LoadConfig("nope.yaml", FakeEnv({})); }));
  EXPECT_EQ("sub/retort.yaml: cannot read config: No such file or directory",
            ErrorOf([] { LoadConfig("./sub/../sub/retort.yaml", FakeEnv({})); }));
  dir_.Mkdir("adir");
  EXPECT_EQ("adir: cannot read config: Is a directory",
            ErrorOf([] { LoadConfig("adir", FakeEnv({})); }));
}

TEST_F(ConfigLoaderTest, PathOutsideTheWorkingDirectoryIsShownAbsolute) {
  TempDir other;
  std::string path = other.Write("retort.yaml", "lock_wait: soon\n");
  EXPECT_EQ(path +
                ":1:12: lock_wait: invalid duration 'soon' | write a whole number with "
                "a unit: 250ms, 5s, 2m or 1h (a bare number is seconds; 0 means no limit)",
            ErrorOf([&] { LoadConfig(path, FakeEnv({})); }));
}

TEST_F(ConfigLoaderTest, BadYaml) {
  EXPECT_EQ("retort.yaml:2:24: invalid YAML: illegal map value",
            LoadError("version_table: v\nversion_table_schema: a: b\n"));
  EXPECT_EQ("retort.yaml:2:1: invalid YAML: end of map flow not found",
            LoadError("tenancy: {a: b\n"));
  EXPECT_EQ("retort.yaml:3:1: more than one YAML document"
            " | remove the second '---' and what follows it",
            LoadError("version_table: v\n---\nversion_table: w\n"));
  EXPECT_EQ("retort.yaml:1:1: the config must be a mapping of keys to values, not a list",
            LoadError("- a\n- b\n"));
}

TEST_F(ConfigLoaderTest, UnterminatedQuoteIsRefused) {
  // yaml-cpp 0.7 would take the rest of the file as the string.
  EXPECT_EQ("retort.yaml:1:16: unterminated quoted string | add the closing \"",
            LoadError("version_table: \"alembic_version\nlock_wait: 5s\n"));
}

TEST_F(ConfigLoaderTest, DeepNestingIsAnErrorNotACrash) {
  std::string deep = "tenancy: " + std::string(10000, '[') + std::string(10000, ']') + "\n";
  EXPECT_EQ("retort.yaml:1:20010: YAML nesting is too deep"
            " | retort's files nest at most three levels; look for unbalanced [ or { brackets",
            LoadError(deep));
}

TEST_F(ConfigLoaderTest, UnknownKey) {
  EXPECT_EQ("retort.yaml:2:1: unknown key 'lock_timout' in the config"
            " | did you mean 'lock_timeout'?",
            LoadError("lock_wait: 1s\nlock_timout: 5s\n"));
  EXPECT_EQ("retort.yaml:1:1: unknown key 'verison_table' in the config"
            " | did you mean 'version_table'?",
            LoadError("verison_table: v\n"));
  EXPECT_EQ("retort.yaml:1:1: unknown key 'script_location' in the config"
            " | known keys: database_url, version_locations, version_table,"
            " version_table_schema, history_table, lock_wait, lock_timeout,"
            " statement_timeout, tenancy, waivers",
            LoadError("script_location: .\n"));
  EXPECT_EQ("retort.yaml:2:3: unknown key 'app_rol' in tenancy | did you mean 'app_role'?",
            LoadError("tenancy:\n  app_rol: web\n"));
  EXPECT_EQ("retort.yaml:1:1: unknown key 'app_role' in the config"
            " | 'app_role' belongs under tenancy: (indent it)",
            LoadError("app_role: web\n"));
  EXPECT_EQ("retort.yaml:2:26: unknown key 'raeson' in waiver | did you mean 'reason'?",
            LoadError("waivers:\n  - {rule: rls-disabled, raeson: x}\n"));
  EXPECT_EQ("retort.yaml:2:26: unknown key 'because' in waiver | known keys: rule, table, reason",
            LoadError("waivers:\n  - {rule: rls-disabled, because: x}\n"));
}

TEST_F(ConfigLoaderTest, DuplicateKey) {
  EXPECT_EQ("retort.yaml:3:1: duplicate key 'lock_wait' in the config (first at line 1)",
            LoadError("lock_wait: 1s\nversion_table: v\nlock_wait: 2s\n"));
}

TEST_F(ConfigLoaderTest, WrongType) {
  EXPECT_EQ("retort.yaml:1:12: lock_wait must be a duration such as 60s, not a list",
            LoadError("lock_wait: [1]\n"));
  EXPECT_EQ("retort.yaml:1:16: version_table must be a string, not a mapping",
            LoadError("version_table: {a: 1}\n"));
  EXPECT_EQ("retort.yaml:1:1: version_table must be a string, not null",
            LoadError("version_table:\nlock_wait: 1s\n"));
  EXPECT_EQ("retort.yaml:1:20: version_locations must be a string or a list of strings,"
            " not a mapping",
            LoadError("version_locations: {a: b}\n"));
  EXPECT_EQ("retort.yaml:1:21: each item of version_locations must be a string, not a list",
            LoadError("version_locations: [[a]]\n"));
  EXPECT_EQ("retort.yaml:1:20: version_locations must name at least one folder",
            LoadError("version_locations: []\n"));
  EXPECT_EQ("retort.yaml:1:10: tenancy must be a mapping, not a list",
            LoadError("tenancy: [a]\n"));
  EXPECT_EQ("retort.yaml:2:13: tenancy.app_role must not be empty",
            LoadError("tenancy:\n  app_role: ''\n"));
  EXPECT_EQ("retort.yaml:1:10: waivers must be a list, not a mapping",
            LoadError("waivers: {rule: x}\n"));
  EXPECT_EQ("retort.yaml:1:11: each waiver must be a mapping {rule, table, reason}, not a string",
            LoadError("waivers: [rls-disabled]\n"));
  EXPECT_EQ("retort.yaml:1:16: version_table contains a NUL character",
            LoadError("version_table: \"a\\0b\"\n"));
}

TEST_F(ConfigLoaderTest, BadDuration) {
  EXPECT_EQ("retort.yaml:2:15: lock_timeout: invalid duration '5 minutes'"
            " | write a whole number with a unit: 250ms, 5s, 2m or 1h (a bare number is"
            " seconds; 0 means no limit)",
            LoadError("lock_wait: 1s\nlock_timeout: 5 minutes\n"));
  EXPECT_EQ("retort.yaml:1:20: statement_timeout: invalid duration '-1'"
            " | write a whole number with a unit: 250ms, 5s, 2m or 1h (a bare number is"
            " seconds; 0 means no limit)",
            LoadError("statement_timeout: -1\n"));
  EXPECT_EQ(30000, Load("lock_wait: 30\n").lock_wait_ms);
  EXPECT_EQ(7000, Load("lock_wait: ${W}\n", {{"W", "7s"}}).lock_wait_ms);
}

TEST(ParseDurationTest, Units) {
  EXPECT_EQ(60000, ParseDuration("60s").value());
  EXPECT_EQ(5000, ParseDuration("5s").value());
  EXPECT_EQ(250, ParseDuration("250ms").value());
  EXPECT_EQ(120000, ParseDuration("2m").value());
  EXPECT_EQ(3600000, ParseDuration("1h").value());
  EXPECT_EQ(0, ParseDuration("0").value());
  EXPECT_EQ(0, ParseDuration("0s").value());
  EXPECT_EQ(12000, ParseDuration("12").value());
  for (const char* bad : {"", "s", "1.5s", "5 s", "-5s", "+5s", "5sec", "5S", "1d",
                          "ms", "2147484s", "9999999999999", "0x10", "5s "}) {
    EXPECT_FALSE(ParseDuration(bad).has_value()) << bad;
  }
  EXPECT_EQ(2147483000, ParseDuration("2147483s").value());
}

TEST_F(ConfigLoaderTest, WaiverWithoutReason) {
  EXPECT_EQ("retort.yaml:3:5: waiver for rule 'rls-disabled' has no reason"
            " | a waiver is a reviewed exception: say why in reason: \"...\"",
            LoadError("waivers:\n  - {rule: tenant-fk-missing, reason: ok}\n"
                      "  - {rule: rls-disabled, table: t}\n"));
  EXPECT_EQ("retort.yaml:2:5: waiver for rule 'rls-disabled' has no reason"
            " | a waiver is a reviewed exception: say why in reason: \"...\"",
            LoadError("waivers:\n  - rule: rls-disabled\n    reason: '  '\n"));
  EXPECT_EQ("retort.yaml:2:5: waiver has no rule"
            " | name the finding it waives: rule: <finding id>",
            LoadError("waivers:\n  - reason: because\n"));
}

TEST_F(ConfigLoaderTest, NonUtf8AndNul) {
  EXPECT_EQ("retort.yaml:2:17: invalid UTF-8 (byte 0xff) | save the file as UTF-8",
            LoadError("lock_wait: 1s\nversion_table: \xc3\xa9\xff\n"));
  EXPECT_EQ("retort.yaml:1:16: invalid UTF-8 (byte 0xc0) | save the file as UTF-8",
            LoadError("version_table: \xc0\xaf\n"));  // overlong '/'
  EXPECT_EQ("retort.yaml:1:16: invalid UTF-8 (byte 0xed) | save the file as UTF-8",
            LoadError("version_table: \xed\xa0\x80\n"));  // a surrogate
  EXPECT_EQ("retort.yaml:1:2: file contains a NUL byte"
            " | retort reads only UTF-8 text files; is this a binary or UTF-16 file?",
            LoadError(std::string("\xef\xbb\xbfv\0e", 5)));
}

TEST_F(ConfigLoaderTest, ColumnsCountCharactersNotBytes) {
  // "\xc3\xa9" (e acute) is two bytes; yaml-cpp counts bytes, messages characters.
  EXPECT_EQ("retort.yaml:1:21: invalid YAML: end of map not found",
            LoadError("version_table: \"\xc3\xa9\xc3\xa9\" x\n"));
  EXPECT_EQ("retort.yaml:1:29: waiver reason must be a string, not a list",
            LoadError("waivers: [{rule: \xc3\xa9, reason: [x]}]\n"));
}

TEST_F(ConfigLoaderTest, OversizedFile) {
  std::string big = "version_table: v\n# " + std::string(16 << 20, 'x') + "\n";
  EXPECT_EQ("retort.yaml: file is larger than 16 MiB | retort reads migration and config"
            " files whole; split the migration or load bulk data another way",
            LoadError(big));
}

TEST(FindConfigPathTest, FlagThenEnvironmentThenDefault) {
  EXPECT_EQ("a.yaml", FindConfigPath(std::string("a.yaml"),
                                     FakeEnv({{"RETORT_CONFIG", "b.yaml"}})));
  EXPECT_EQ("b.yaml", FindConfigPath(std::nullopt, FakeEnv({{"RETORT_CONFIG", "b.yaml"}})));
  EXPECT_EQ("retort.yaml", FindConfigPath(std::nullopt, FakeEnv({{"RETORT_CONFIG", ""}})));
  EXPECT_EQ("retort.yaml", FindConfigPath(std::nullopt, FakeEnv({})));
}

TEST(ProcessEnvTest, ReadsTheEnvironment) {
  setenv("RETORT_TEST_VARIABLE", "x y", 1);
  unsetenv("RETORT_TEST_UNSET_VARIABLE");
  EnvLookup env = ProcessEnv();
  EXPECT_EQ("x y", env("RETORT_TEST_VARIABLE").value());
  EXPECT_FALSE(env("RETORT_TEST_UNSET_VARIABLE").has_value());
}

}  // namespace
}  // namespace retort
