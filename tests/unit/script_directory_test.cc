#include "retort/script/script_directory.h"

#include <gtest/gtest.h>

#include "support/project_error.h"

#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "retort/common/error.h"
#include "support/temp_dir.h"

namespace retort {
namespace {

namespace fs = std::filesystem;
using retort::testing::ScopedChdir;
using retort::testing::TempDir;

using retort::testing::ErrorOf;

std::string ParseError(const std::string& text) {
  return ErrorOf([&] { ParseMigrationYaml("m.yaml", text); });
}

const char kIdHint[] =
    " | a revision id is 1 to 32 of [0-9a-z_]: the version column is VARCHAR(32)";
const char kRequiredHint[] =
    " | migration.yaml needs revision: <id> and down_revision: <parent id, a list of "
    "ids for a merge, or null for a base>";

// ---- ParseMigrationYaml ----------------------------------------------------

TEST(ParseMigrationYamlTest, ReadsEveryKey) {
  Script s = ParseMigrationYaml(
      "versions/8c4e51f0a2b3_add_invoices/migration.yaml",
      "# header comment\n"
      "revision: 8c4e51f0a2b3\n"
      "down_revision: 3f1c2a9b7d10\n"
      "branch_labels: [billing, billing.v2]\n"
      "depends_on: []\n"
      "message: \"add invoices: the # sign, \\\"quotes\\\" and \\u00e9\"\n"
      "create_date: 2026-11-26 08:00:00.123456\n"
      "transactional: false\n"
      "isolation:\n"
      "  invoices: INSERT INTO invoices (tenant_id, number) VALUES (:tenant_id, 'probe-1')\n"
      "  lines: |\n"
      "    INSERT INTO lines (tenant_id) VALUES (:tenant_id)\n");
  const Revision& r = s.revision;
  EXPECT_EQ("8c4e51f0a2b3", r.id);
  EXPECT_EQ((std::vector<std::string>{"3f1c2a9b7d10"}), r.down_revisions);
  EXPECT_EQ((std::vector<std::string>{"billing", "billing.v2"}), r.branch_labels);
  EXPECT_TRUE(r.depends_on.empty());
  EXPECT_EQ("add invoices: the # sign, \"quotes\" and \xc3\xa9", r.message);
  EXPECT_EQ("2026-11-26 08:00:00.123456", r.create_date);
  EXPECT_EQ("versions/8c4e51f0a2b3_add_invoices/migration.yaml", r.source);
  EXPECT_EQ(2, r.line);
  EXPECT_EQ(3, r.down_revision_line);
  EXPECT_EQ(4, r.branch_labels_line);
  EXPECT_EQ(5, r.depends_on_line);
  EXPECT_FALSE(s.transactional);
  EXPECT_EQ(9, s.isolation_line);
  ASSERT_EQ(2u, s.isolation.size());
  EXPECT_EQ("INSERT INTO invoices (tenant_id, number) VALUES (:tenant_id, 'probe-1')",
            s.isolation.at("invoices"));
  EXPECT_EQ("INSERT INTO lines (tenant_id) VALUES (:tenant_id)\n", s.isolation.at("lines"));
}

TEST(ParseMigrationYamlTest, DefaultsOfOptionalKeys) {
  Script s = ParseMigrationYaml("m.yaml", "revision: a1\ndown_revision: null\n");
  EXPECT_EQ("a1", s.revision.id);
  EXPECT_TRUE(s.revision.down_revisions.empty());
  EXPECT_TRUE(s.revision.branch_labels.empty());
  EXPECT_TRUE(s.revision.depends_on.empty());
  EXPECT_EQ("", s.revision.message);
  EXPECT_EQ("", s.revision.create_date);
  EXPECT_TRUE(s.transactional);
  EXPECT_TRUE(s.isolation.empty());
  EXPECT_EQ(0, s.isolation_line);
  EXPECT_EQ(0, s.revision.depends_on_line);
  EXPECT_EQ(0, s.revision.branch_labels_line);
}

TEST(ParseMigrationYamlTest, DownRevisionForms) {
  auto parents = [](const std::string& value) {
    return ParseMigrationYaml("m.yaml", "revision: r\ndown_revision: " + value + "\n")
        .revision.down_revisions;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(V{}, parents("null"));
  EXPECT_EQ(V{}, parents("~"));
  EXPECT_EQ(V{}, parents(""));
  EXPECT_EQ(V{"a1"}, parents("a1"));
  EXPECT_EQ(V{"0123"}, parents("0123"));  // as written, not as a number
  EXPECT_EQ(V{"a1"}, parents("'a1'"));
  EXPECT_EQ(V{"a1"}, parents("[a1]"));
  EXPECT_EQ((V{"a1", "b2"}), parents("[a1, b2]"));
  EXPECT_EQ((V{"a1", "b2"}), parents("\n  - a1\n  - b2"));
}

TEST(ParseMigrationYamlTest, BranchLabelsAndDependsOnForms) {
  Script s = ParseMigrationYaml(
      "m.yaml", "revision: r\ndown_revision: ~\nbranch_labels: core\ndepends_on: ab12\n");
  EXPECT_EQ((std::vector<std::string>{"core"}), s.revision.branch_labels);
  EXPECT_EQ((std::vector<std::string>{"ab12"}), s.revision.depends_on);
  s = ParseMigrationYaml("m.yaml",
                         "revision: r\ndown_revision: ~\ndepends_on: [Core.v1, a1b2]\n"
                         "branch_labels: null\n");
  EXPECT_EQ((std::vector<std::string>{"Core.v1", "a1b2"}), s.revision.depends_on);
  EXPECT_TRUE(s.revision.branch_labels.empty());
  s = ParseMigrationYaml("m.yaml", "revision: r\ndown_revision: ~\ndepends_on: null\n");
  EXPECT_TRUE(s.revision.depends_on.empty());
}

TEST(ParseMigrationYamlTest, MissingKey) {
  EXPECT_EQ(std::string("m.yaml:1:1: missing required key 'revision'") + kRequiredHint,
            ParseError("down_revision: null\n"));
  EXPECT_EQ(std::string("m.yaml:2:1: missing required key 'down_revision'") + kRequiredHint,
            ParseError("# c\nrevision: a1\n"));
  EXPECT_EQ(std::string("m.yaml:1:1: missing required key 'revision'") + kRequiredHint,
            ParseError(""));
}

TEST(ParseMigrationYamlTest, UnknownKey) {
  EXPECT_EQ("m.yaml:2:1: unknown key 'down_revisions' in migration.yaml"
            " | did you mean 'down_revision'?",
            ParseError("revision: a1\ndown_revisions: null\n"));
  EXPECT_EQ("m.yaml:3:1: unknown key 'upgrade' in migration.yaml"
            " | known keys: revision, down_revision, branch_labels, depends_on, message,"
            " create_date, transactional, isolation",
            ParseError("revision: a1\ndown_revision: null\nupgrade: CREATE TABLE t ()\n"));
  EXPECT_EQ("m.yaml:3:1: duplicate key 'revision' in migration.yaml (first at line 1)",
            ParseError("revision: a1\ndown_revision: null\nrevision: a2\n"));
}

TEST(ParseMigrationYamlTest, WrongType) {
  EXPECT_EQ("m.yaml:1:11: revision must be a string, not a list",
            ParseError("revision: [a1]\ndown_revision: null\n"));
  EXPECT_EQ("m.yaml:1:1: revision must be a string, not null",
            ParseError("revision:\ndown_revision: null\n"));
  EXPECT_EQ("m.yaml:2:16: down_revision must be null, a revision id or a list of"
            " revision ids, not a mapping",
            ParseError("revision: a1\ndown_revision: {a: b}\n"));
  EXPECT_EQ("m.yaml:2:17: each item of down_revision must be a string, not a list",
            ParseError("revision: a1\ndown_revision: [[a0]]\n"));
  EXPECT_EQ("m.yaml:3:16: transactional must be true or false, not 'sometimes'",
            ParseError("revision: a1\ndown_revision: ~\ntransactional: sometimes\n"));
  EXPECT_EQ("m.yaml:3:16: transactional must be true or false, not 'false'",
            ParseError("revision: a1\ndown_revision: ~\ntransactional: 'false'\n"));
  EXPECT_EQ("m.yaml:3:10: message must be a string, not a mapping",
            ParseError("revision: a1\ndown_revision: ~\nmessage: {a: b}\n"));
  EXPECT_EQ("m.yaml:3:12: isolation must be a mapping, not a list",
            ParseError("revision: a1\ndown_revision: ~\nisolation: [t]\n"));
  EXPECT_EQ("m.yaml:4:6: the isolation fixture of t must be a string, not a list",
            ParseError("revision: a1\ndown_revision: ~\nisolation:\n  t: [x]\n"));
  EXPECT_EQ("m.yaml:4:3: the isolation fixture of t must be a string, not null",
            ParseError("revision: a1\ndown_revision: ~\nisolation:\n  t:\n"));
  EXPECT_EQ("m.yaml:4:6: the isolation fixture of t is empty"
            " | write the INSERT that creates one row for :tenant_id",
            ParseError("revision: a1\ndown_revision: ~\nisolation:\n  t: ' '\n"));
  EXPECT_EQ("m.yaml:1:1: migration.yaml must be a mapping of keys to values, not a string",
            ParseError("a1\n"));
}

TEST(ParseMigrationYamlTest, RevisionIdRule) {
  EXPECT_EQ(std::string("m.yaml:1:11: revision id 'Abc-1' may contain only lowercase letters,"
                        " digits and '_'") + kIdHint,
            ParseError("revision: Abc-1\ndown_revision: ~\n"));
  EXPECT_EQ(std::string("m.yaml:1:11: revision id 'a b' may contain only lowercase letters,"
                        " digits and '_'") + kIdHint,
            ParseError("revision: a b\ndown_revision: ~\n"));
  EXPECT_EQ(std::string("m.yaml:1:11: revision id is empty") + kIdHint,
            ParseError("revision: ''\ndown_revision: ~\n"));
  const std::string id33(33, 'a');
  EXPECT_EQ(std::string("m.yaml:1:11: revision id '") + id33 +
                "' is 33 characters long; the version column holds at most 32" + kIdHint,
            ParseError("revision: " + id33 + "\ndown_revision: ~\n"));
  EXPECT_EQ(std::string(32, 'a'),
            ParseMigrationYaml("m.yaml", "revision: " + std::string(32, 'a') +
                                             "\ndown_revision: ~\n").revision.id);
  EXPECT_FALSE(RevisionIdProblem("0_a9").has_value());
  EXPECT_EQ("revision id 'ab@' may contain only lowercase letters, digits and '_'",
            RevisionIdProblem("ab@").value());
}

TEST(ParseMigrationYamlTest, IdsInDownRevisionAndDependsOn) {
  const char kListHint[] =
      " | a merge lists its parents as a YAML list: [a1b2c3d4e5f6, 0f9e8d7c6b5a]";
  EXPECT_EQ(std::string("m.yaml:2:16: down_revision 'a1-b2' contains '-', which no"
                        " revision id may") + kListHint,
            ParseError("revision: c3\ndown_revision: a1-b2\n"));
  EXPECT_EQ(std::string("m.yaml:2:21: down_revision 'x@head' contains '@', which no"
                        " revision id may") + kListHint,
            ParseError("revision: c3\ndown_revision: [a1, x@head]\n"));
  EXPECT_EQ(std::string("m.yaml:2:16: down_revision 'a1, b2' contains a space or a comma") +
                kListHint,
            ParseError("revision: c3\ndown_revision: 'a1, b2'\n"));
  EXPECT_EQ(std::string("m.yaml:2:17: down_revision '' is empty") + kListHint,
            ParseError("revision: c3\ndown_revision: ['']\n"));
  EXPECT_EQ("m.yaml:3:13: depends_on entry 'core@head' is not a revision id or a branch label"
            " | revision ids and branch labels are made of [0-9A-Za-z_.]",
            ParseError("revision: c3\ndown_revision: ~\ndepends_on: core@head\n"));
  EXPECT_EQ("m.yaml:3:20: branch_labels entry 'my-branch' is not a revision id or a branch"
            " label | revision ids and branch labels are made of [0-9A-Za-z_.]",
            ParseError("revision: c3\ndown_revision: ~\nbranch_labels: [a, my-branch]\n"));
}

TEST(ParseMigrationYamlTest, SelfReferenceAndRepeats) {
  EXPECT_EQ("m.yaml:2:21: revision 'c3' lists itself in down_revision",
            ParseError("revision: c3\ndown_revision: [a1, c3]\n"));
  EXPECT_EQ("m.yaml:3:13: revision 'c3' lists itself in depends_on",
            ParseError("revision: c3\ndown_revision: a1\ndepends_on: c3\n"));
  EXPECT_EQ("m.yaml:2:21: down_revision lists 'a1' twice",
            ParseError("revision: c3\ndown_revision: [a1, a1]\n"));
  EXPECT_EQ("m.yaml:3:20: branch_labels lists 'x' twice",
            ParseError("revision: c3\ndown_revision: a1\nbranch_labels: [x, x]\n"));
}

TEST(ParseMigrationYamlTest, BadYamlAndDeepNesting) {
  EXPECT_EQ("m.yaml:2:17: invalid YAML: illegal map value",
            ParseError("revision: a1\ndown_revision: a: b\n"));
  EXPECT_EQ("m.yaml:1:1: YAML nesting is too deep | retort's files nest at most three"
            " levels; look for unbalanced [ or { brackets",
            ParseError("revision: " + std::string(10000, '[')));
  std::string laughs = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i < 12; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    laughs += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + prev;
    for (int k = 0; k < 8; ++k) laughs += ", " + prev;
    laughs += "]\n";
  }
  EXPECT_EQ("m.yaml:1:1: unknown key 'a0' in migration.yaml | known keys: revision,"
            " down_revision, branch_labels, depends_on, message, create_date,"
            " transactional, isolation",
            ParseError(laughs));  // 9^12 scalars if aliases were expanded
  EXPECT_EQ("m.yaml:1:11: unterminated quoted string | add the closing '",
            ParseError("revision: 'a1\ndown_revision: null\n"));
  EXPECT_EQ("m.yaml:1:12: file contains a NUL byte"
            " | retort reads only UTF-8 text files; is this a binary or UTF-16 file?",
            ParseError(std::string("revision: a\0\ndown_revision: ~\n", 30)));
  EXPECT_EQ("m.yaml:3:13: invalid UTF-8 (byte 0xe9) | save the file as UTF-8",
            ParseError("revision: a\ndown_revision: ~\nmessage: caf\xe9\n"));
}

TEST(ParseMigrationYamlTest, StrayCommaIsAnErrorNotAHang) {
  // yaml-cpp 0.7's LoadAll loops forever on these (found by fuzz_migration_yaml).
  const std::string hint =
      " | a ',' separates items only inside [ ] or { }; remove it or put the list in brackets";
  EXPECT_EQ("m.yaml:1:1: invalid YAML: unexpected ',' outside [ ] or { }" + hint, ParseError(","));
  EXPECT_EQ("m.yaml:2:1: invalid YAML: unexpected ',' outside [ ] or { }" + hint,
            ParseError("- a\n,"));
  EXPECT_EQ("m.yaml:1:5: invalid YAML: unexpected ',' outside [ ] or { }" + hint,
            ParseError("[1] ,"));
  EXPECT_EQ("m.yaml:1:1: invalid YAML: unexpected ',' outside [ ] or { }" + hint,
            ParseError(",revision: a1\ndown_revision: null\nmessage: m\n\n}\n"));
  EXPECT_EQ("m.yaml:3:1: more than one YAML document | remove the second '---' and what follows it",
            ParseError("revision: a1\n---\nb: 2\n"));
}

// ---- LoadScriptDirectory ---------------------------------------------------

/// A project in a fresh directory that is also the working directory.
class ScriptDirectoryTest : public ::testing::Test {
 protected:
  ScriptDirectoryTest() : cwd_(dir_.path()) {
    config_.config_path = (dir_.path() / "retort.yaml").string();
    config_.script_location = dir_.str();
    dir_.Mkdir("versions");
  }

  /// Writes a complete revision folder.
  void AddRevision(const std::string& folder, const std::string& id,
                   const std::string& down = "null", const std::string& location = "versions",
                   bool with_downgrade = true) {
    const std::string base = location + "/" + folder + "/";
    dir_.Write(base + "migration.yaml",
               "revision: " + id + "\ndown_revision: " + down + "\nmessage: m " + id + "\n");
    dir_.Write(base + "upgrade.sql", "CREATE TABLE t_" + id + " ();\n");
    if (with_downgrade) dir_.Write(base + "downgrade.sql", "DROP TABLE t_" + id + ";\n");
  }

  std::string LoadError() {
    return ErrorOf([&] { LoadScriptDirectory(config_); });
  }

  TempDir dir_;
  ScopedChdir cwd_;
  Config config_;
};

TEST_F(ScriptDirectoryTest, ReadsFoldersInLexicalOrder) {
  AddRevision("b_second", "b", "a_");
  AddRevision("a__first", "a_", "a1");
  AddRevision("a1", "a1", "null", "versions", /*with_downgrade=*/false);
  dir_.Write("versions/README.md", "not a revision\n");
  dir_.Write("versions/.DS_Store", "x");
  dir_.Mkdir("versions/.hidden_folder");
  dir_.Mkdir("versions/__pycache__");
  std::vector<Script> scripts = LoadScriptDirectory(config_);
  ASSERT_EQ(3u, scripts.size());
  // '1' (0x31) sorts before '_' (0x5f).
  EXPECT_EQ("a1", scripts[0].revision.id);
  EXPECT_EQ("a_", scripts[1].revision.id);
  EXPECT_EQ("b", scripts[2].revision.id);

  const Script& b = scripts[2];
  EXPECT_EQ((dir_.path() / "versions/b_second").string(), b.dir);
  EXPECT_EQ((dir_.path() / "versions/b_second/migration.yaml").string(), b.metadata_path);
  EXPECT_EQ((dir_.path() / "versions/b_second/upgrade.sql").string(), b.UpgradePath());
  EXPECT_EQ((dir_.path() / "versions/b_second/downgrade.sql").string(), b.DowngradePath());
  EXPECT_EQ("versions/b_second/migration.yaml", b.revision.source);
  EXPECT_EQ("CREATE TABLE t_b ();\n", b.upgrade_sql);
  EXPECT_EQ("DROP TABLE t_b;\n", b.downgrade_sql);
  EXPECT_TRUE(b.has_downgrade);
  EXPECT_EQ((std::vector<std::string>{"a_"}), b.revision.down_revisions);
  EXPECT_EQ("m b", b.revision.message);

  EXPECT_FALSE(scripts[0].has_downgrade);
  // The path says where the file belongs; has_downgrade says it is missing.
  EXPECT_EQ((dir_.path() / "versions/a1/downgrade.sql").string(), scripts[0].DowngradePath());
  EXPECT_EQ("", scripts[0].downgrade_sql);
}

TEST_F(ScriptDirectoryTest, SeveralLocationsAreMergedByFolderName) {
  config_.version_locations = {"versions", "extra/more"};
  AddRevision("c3", "c3", "b2");
  AddRevision("a1", "a1");
  AddRevision("b2_x", "b2", "a1", "extra/more");
  std::vector<Script> scripts = LoadScriptDirectory(config_);
  ASSERT_EQ(3u, scripts.size());
  EXPECT_EQ("a1", scripts[0].revision.id);
  EXPECT_EQ("b2", scripts[1].revision.id);
  EXPECT_EQ("extra/more/b2_x/migration.yaml", scripts[1].revision.source);
  EXPECT_EQ("c3", scripts[2].revision.id);
}

TEST_F(ScriptDirectoryTest, EmptyLocationGivesNoScripts) {
  EXPECT_TRUE(LoadScriptDirectory(config_).empty());
}

TEST_F(ScriptDirectoryTest, MissingVersionLocation) {
  config_.version_locations = {"versions", "other"};
  EXPECT_EQ("other: version location does not exist"
            " | create it, or fix version_locations in retort.yaml",
            LoadError());
  config_.version_locations = {"README"};
  dir_.Write("README", "x");
  EXPECT_EQ("README: version location is not a folder"
            " | create it, or fix version_locations in retort.yaml",
            LoadError());
}

TEST_F(ScriptDirectoryTest, StrayRevisionFiles) {
  AddRevision("a1", "a1");
  dir_.Write("versions/3f1c2a9b7d10_create_tenants.py", "revision = '3f1c2a9b7d10'\n");
  EXPECT_EQ("versions/3f1c2a9b7d10_create_tenants.py: a .py file directly in a version"
            " location | a revision is a folder <id>_<slug>/ holding migration.yaml,"
            " upgrade.sql and downgrade.sql; move it into one (retort does not run"
            " Alembic's .py revisions)",
            LoadError());
  fs::remove(dir_.path() / "versions/3f1c2a9b7d10_create_tenants.py");
  dir_.Write("versions/upgrade.sql", "SELECT 1;\n");
  EXPECT_EQ("versions/upgrade.sql: a .sql file directly in a version location"
            " | a revision is a folder <id>_<slug>/ holding migration.yaml, upgrade.sql"
            " and downgrade.sql; move it into one (retort does not run Alembic's .py"
            " revisions)",
            LoadError());
}

TEST_F(ScriptDirectoryTest, MissingFiles) {
  dir_.Write("versions/a1_x/upgrade.sql", "SELECT 1;\n");
  EXPECT_EQ("versions/a1_x/migration.yaml: file not found | a revision is a folder"
            " <id>_<slug>/ holding migration.yaml, upgrade.sql and downgrade.sql"
            " (downgrade.sql may come later)",
            LoadError());
  dir_.Write("versions/a1_x/migration.yaml", "revision: a1\ndown_revision: null\n");
  fs::remove(dir_.path() / "versions/a1_x/upgrade.sql");
  EXPECT_EQ("versions/a1_x/upgrade.sql: file not found | a revision is a folder"
            " <id>_<slug>/ holding migration.yaml, upgrade.sql and downgrade.sql"
            " (downgrade.sql may come later)",
            LoadError());
  dir_.Mkdir("versions/a1_x/upgrade.sql");
  EXPECT_EQ("versions/a1_x/upgrade.sql: cannot read file: Is a directory", LoadError());
}

TEST_F(ScriptDirectoryTest, FolderNameMustStartWithTheId) {
  AddRevision("a1x_create", "a1");
  EXPECT_EQ("versions/a1x_create/migration.yaml:1:11: revision 'a1' does not match its"
            " folder name 'a1x_create' | rename the folder to a1 or a1_<slug>: the folder"
            " name starts with the id",
            LoadError());
}

TEST_F(ScriptDirectoryTest, DuplicateId) {
  AddRevision("a1", "a1");
  AddRevision("a1_again", "a1");
  EXPECT_EQ("versions/a1_again/migration.yaml:1:11: duplicate revision id 'a1' (also"
            " declared at versions/a1/migration.yaml:1:11) | give one of them a new id,"
            " and its folder the same name",
            LoadError());
}

TEST_F(ScriptDirectoryTest, ErrorsInsideMigrationYamlNameTheFile) {
  dir_.Write("versions/a1/migration.yaml", "revision: a1\n");
  dir_.Write("versions/a1/upgrade.sql", "SELECT 1;\n");
  EXPECT_EQ(std::string("versions/a1/migration.yaml:1:1: missing required key"
                        " 'down_revision'") + kRequiredHint,
            LoadError());
}

TEST_F(ScriptDirectoryTest, NonUtf8AndNulInSql) {
  AddRevision("a1", "a1");
  dir_.Write("versions/a1/upgrade.sql", "CREATE TABLE t ();\n-- caf\xc3\xa9 \xff\n");
  EXPECT_EQ("versions/a1/upgrade.sql:2:9: invalid UTF-8 (byte 0xff) | save the file as UTF-8",
            LoadError());
  dir_.Write("versions/a1/upgrade.sql", "SELECT 1;\n");
  dir_.Write("versions/a1/downgrade.sql", std::string("SELECT\0 1;\n", 11));
  EXPECT_EQ("versions/a1/downgrade.sql:1:7: file contains a NUL byte"
            " | retort reads only UTF-8 text files; is this a binary or UTF-16 file?",
            LoadError());
}

TEST_F(ScriptDirectoryTest, OversizedFile) {
  AddRevision("a1", "a1");
  dir_.Write("versions/a1/upgrade.sql", std::string((16 << 20) + 1, ' '));
  EXPECT_EQ("versions/a1/upgrade.sql: file is larger than 16 MiB | retort reads migration"
            " and config files whole; split the migration or load bulk data another way",
            LoadError());
}

TEST_F(ScriptDirectoryTest, SymlinkLoopsAreErrorsNotHangs) {
  AddRevision("a1", "a1");
  fs::create_symlink("loop", dir_.path() / "versions/loop");
  EXPECT_EQ("versions/loop: cannot read: Too many levels of symbolic links", LoadError());
  fs::remove(dir_.path() / "versions/loop");
  // A folder linking to its parent is read one level deep only.
  fs::create_directory_symlink("..", dir_.path() / "versions/a1/up");
  fs::remove(dir_.path() / "versions/a1/upgrade.sql");
  fs::create_symlink("upgrade.sql", dir_.path() / "versions/a1/upgrade.sql");
  EXPECT_EQ("versions/a1/upgrade.sql: cannot read file: Too many levels of symbolic links",
            LoadError());
  fs::remove(dir_.path() / "versions/a1/upgrade.sql");
  dir_.Write("versions/a1/upgrade.sql", "SELECT 1;\n");
  fs::create_symlink("nowhere", dir_.path() / "versions/dangling");
  EXPECT_EQ("versions/dangling: cannot read: broken symbolic link", LoadError());
  fs::remove(dir_.path() / "versions/dangling");
  fs::create_directory_symlink(dir_.path() / "versions/a1", dir_.path() / "versions/a1_link");
  EXPECT_EQ("versions/a1_link/migration.yaml:1:11: duplicate revision id 'a1' (also"
            " declared at versions/a1/migration.yaml:1:11) | give one of them a new id,"
            " and its folder the same name",
            LoadError());
}

TEST_F(ScriptDirectoryTest, SpecialFilesAreErrorsNotHangs) {
  // A FIFO in place of a file: opening it for reading would wait for a
  // writer forever.
  AddRevision("a1", "a1");
  fs::remove(dir_.path() / "versions/a1/migration.yaml");
  ASSERT_EQ(0, ::mkfifo((dir_.path() / "versions/a1/migration.yaml").c_str(), 0600));
  EXPECT_EQ("versions/a1/migration.yaml: not a regular file", LoadError());
  fs::remove(dir_.path() / "versions/a1/migration.yaml");
  AddRevision("a1", "a1");
  fs::remove(dir_.path() / "versions/a1/upgrade.sql");
  ASSERT_EQ(0, ::mkfifo((dir_.path() / "versions/a1/upgrade.sql").c_str(), 0600));
  EXPECT_EQ("versions/a1/upgrade.sql: not a regular file", LoadError());
  fs::remove(dir_.path() / "versions/a1/upgrade.sql");
  fs::create_symlink("/dev/zero", dir_.path() / "versions/a1/upgrade.sql");
  EXPECT_EQ("versions/a1/upgrade.sql: not a regular file", LoadError());
  // A version location that is a symbolic link to itself.
  config_.version_locations = {"loop"};
  fs::create_symlink("loop", dir_.path() / "loop");
  EXPECT_EQ("loop: cannot read: Too many levels of symbolic links", LoadError());
}

TEST_F(ScriptDirectoryTest, BinaryMigrationYamlIsAClearError) {
  AddRevision("a1", "a1");
  dir_.Write("versions/a1/migration.yaml", std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16));
  EXPECT_EQ("versions/a1/migration.yaml:1:1: invalid UTF-8 (byte 0x89) | save the file as UTF-8",
            LoadError());
  dir_.Write("versions/a1/migration.yaml", std::string("r\0e\0v\0", 6));  // UTF-16LE
  EXPECT_EQ("versions/a1/migration.yaml:1:2: file contains a NUL byte"
            " | retort reads only UTF-8 text files; is this a binary or UTF-16 file?",
            LoadError());
}

TEST_F(ScriptDirectoryTest, LargeFilesBelowTheLimitLoad) {
  // An 8 MiB message (fast path) and a block-scalar message (YAML parser),
  // and a 10,000-statement upgrade.sql, read whole.
  AddRevision("a1", "a1");
  AddRevision("b2", "b2", "a1");
  const std::string big(8 << 20, 'x');
  dir_.Write("versions/a1/migration.yaml", "revision: a1\ndown_revision: null\nmessage: " + big + "\n");
  std::string block = "revision: b2\ndown_revision: a1\nmessage: |\n";
  for (int i = 0; i < 20000; ++i) block += "  line " + std::to_string(i) + " of a long message\n";
  dir_.Write("versions/b2/migration.yaml", block);
  std::string sql;
  for (int i = 0; i < 10000; ++i) sql += "INSERT INTO t VALUES (" + std::to_string(i) + ");\n";
  dir_.Write("versions/b2/upgrade.sql", sql);
  std::vector<Script> scripts = LoadScriptDirectory(config_);
  ASSERT_EQ(2u, scripts.size());
  EXPECT_EQ(big, scripts[0].revision.message);
  EXPECT_EQ(0u, scripts[1].revision.message.rfind("line 0 of a long message\nline 1 ", 0));
  EXPECT_EQ(sql, scripts[1].upgrade_sql);
}

}  // namespace
}  // namespace retort
