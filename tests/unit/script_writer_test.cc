#include "retort/script/script_writer.h"

#include <gtest/gtest.h>

#include "support/project_error.h"

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <regex>
#include <string>

#include "retort/common/error.h"
#include "retort/config/config_loader.h"
#include "retort/script/script_directory.h"
#include "support/temp_dir.h"

namespace retort {
namespace {

namespace fs = std::filesystem;
using retort::testing::ReadFile;
using retort::testing::ScopedChdir;
using retort::testing::TempDir;

using retort::testing::ErrorOf;

TEST(SlugifyTest, AlembicRule) {
  EXPECT_EQ("add_invoices_table", Slugify("Add invoices table"));
  EXPECT_EQ("add_invoices", Slugify("add  invoices!!"));
  EXPECT_EQ("caf_au_lait", Slugify("caf\xc3\xa9 au lait"));  // non-ASCII separates words
  EXPECT_EQ("", Slugify(""));
  EXPECT_EQ("", Slugify("!!! ..."));
  EXPECT_EQ("__init___stuff", Slugify("__init__ stuff"));
  EXPECT_EQ("x1_2y", Slugify("x1-2y"));
  // Above 40: cut at 40, back to the last '_', then '_'.
  EXPECT_EQ("create_a_table_for_tenant_scoped_",
            Slugify("create a table for tenant scoped invoices and their lines"));
  EXPECT_EQ("abcdefghij_klmnopqrst_uvwxyzabcd_",
            Slugify("abcdefghij klmnopqrst uvwxyzabcd efghijklmn opq"));
  EXPECT_EQ(std::string(39, 'x') + "_", Slugify(std::string(39, 'x') + " yy"));
  // No '_' in the first 40: Python's rsplit keeps all 40.
  EXPECT_EQ(std::string(40, 'a') + "_", Slugify(std::string(50, 'a')));
  EXPECT_EQ(std::string(40, 'a'), Slugify(std::string(40, 'a')));
}

class ScriptWriterTest : public ::testing::Test {
 protected:
  ScriptWriterTest() : cwd_(dir_.path()) { versions_ = dir_.Mkdir("versions"); }

  TempDir dir_;
  ScopedChdir cwd_;
  std::string versions_;
};

TEST_F(ScriptWriterTest, WritesANormalRevision) {
  Revision rev;
  rev.id = "8c4e51f0a2b3";
  rev.down_revisions = {"3f1c2a9b7d10"};
  rev.message = "Add invoices";
  rev.create_date = "2026-11-26 08:00:00.083186";
  std::string folder = WriteRevisionFolder(versions_, rev, false);
  EXPECT_EQ(versions_ + "/8c4e51f0a2b3_add_invoices", folder);
  EXPECT_EQ(
      "revision: \"8c4e51f0a2b3\"\n"
      "down_revision: \"3f1c2a9b7d10\"\n"
      "message: \"Add invoices\"\n"
      "create_date: \"2026-11-26 08:00:00.083186\"\n"
      "transactional: true\n",
      ReadFile(folder + "/migration.yaml"));
  EXPECT_EQ("-- Add invoices: write the forward SQL here.\n",
            ReadFile(folder + "/upgrade.sql"));
  EXPECT_EQ("-- retort refuses to apply revision 8c4e51f0a2b3 until this file holds the"
            " real inverse of upgrade.sql.\n",
            ReadFile(folder + "/downgrade.sql"));

  Config config;
  config.script_location = dir_.str();
  std::vector<Script> scripts = LoadScriptDirectory(config);
  ASSERT_EQ(1u, scripts.size());
  EXPECT_EQ("8c4e51f0a2b3", scripts[0].revision.id);
  EXPECT_EQ(rev.down_revisions, scripts[0].revision.down_revisions);
  EXPECT_EQ(rev.message, scripts[0].revision.message);
  EXPECT_EQ(rev.create_date, scripts[0].revision.create_date);
  EXPECT_TRUE(scripts[0].transactional);
  EXPECT_TRUE(scripts[0].has_downgrade);
}

TEST_F(ScriptWriterTest, BaseRevisionWithLabelsAndDependencies) {
  Revision rev;
  rev.id = "a1";
  rev.branch_labels = {"core", "core.v2"};
  rev.depends_on = {"b2", "Ext"};
  rev.message = "";
  std::string folder = WriteRevisionFolder(versions_, rev, false);
  EXPECT_EQ(versions_ + "/a1", folder);  // empty slug: the id alone
  EXPECT_EQ(
      "revision: \"a1\"\n"
      "down_revision: null\n"
      "branch_labels: [\"core\", \"core.v2\"]\n"
      "depends_on: [\"b2\", \"Ext\"]\n"
      "message: \"\"\n"
      "create_date: \"\"\n"
      "transactional: true\n",
      ReadFile(folder + "/migration.yaml"));
  EXPECT_EQ("-- Write the forward SQL here.\n", ReadFile(folder + "/upgrade.sql"));
  Script back = ParseMigrationYaml("m.yaml", ReadFile(folder + "/migration.yaml"));
  EXPECT_TRUE(back.revision.down_revisions.empty());
  EXPECT_EQ(rev.branch_labels, back.revision.branch_labels);
  EXPECT_EQ(rev.depends_on, back.revision.depends_on);
}

TEST_F(ScriptWriterTest, WritesAMerge) {
  Revision rev;
  rev.id = "8b9c0d1e2f30";
  rev.down_revisions = {"6f708192a3b4", "7a8192a3b4c5"};
  rev.message = "merge heads";
  rev.create_date = "2026-11-26 07:13:12.083186";
  std::string folder = WriteRevisionFolder(versions_, rev, true);
  EXPECT_EQ(versions_ + "/8b9c0d1e2f30_merge_heads", folder);
  EXPECT_EQ(
      "revision: \"8b9c0d1e2f30\"\n"
      "down_revision: [\"6f708192a3b4\", \"7a8192a3b4c5\"]\n"
      "message: \"merge heads\"\n"
      "create_date: \"2026-11-26 07:13:12.083186\"\n"
      "transactional: true\n",
      ReadFile(folder + "/migration.yaml"));
  EXPECT_EQ("-- Merge revision: a merge has nothing to do.\n", ReadFile(folder + "/upgrade.sql"));
  EXPECT_EQ("-- Merge revision: a merge has nothing to do.\n",
            ReadFile(folder + "/downgrade.sql"));
  Script back = ParseMigrationYaml("m.yaml", ReadFile(folder + "/migration.yaml"));
  EXPECT_EQ(rev.down_revisions, back.revision.down_revisions);
}

TEST_F(ScriptWriterTest, MessagesRoundTrip) {
  const std::vector<std::string> messages = {
      "it's \"quoted\"",
      "key: value # not a comment",
      "line one\nline two\r\nthree\ttabbed",
      "unicode: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x99\x82",
      "back\\slash \\n not a newline",
      "control \x01\x1f\x7f bytes",
      "yaml line breaks: NEL\xc2\x85 LS\xe2\x80\xa8 PS\xe2\x80\xa9",
      "null",
      "~",
      "true",
      "  leading and trailing spaces  ",
      "- [flow] {map} *alias &anchor !tag %directive @at `tick` |pipe >fold",
      "---",
      "...",
      "$$ ${DATABASE_URL}",
  };
  int n = 0;
  for (const std::string& message : messages) {
    Revision rev;
    rev.id = "r" + std::to_string(n++);
    rev.message = message;
    rev.create_date = "2026-11-26 08:00:00";
    std::string folder = WriteRevisionFolder(versions_, rev, false);
    Script back = ParseMigrationYaml("m.yaml", ReadFile(folder + "/migration.yaml"));
    EXPECT_EQ(message, back.revision.message);
    EXPECT_EQ(rev.create_date, back.revision.create_date);
    // The message never escapes its SQL comment.
    std::string upgrade = ReadFile(folder + "/upgrade.sql");
    EXPECT_EQ(upgrade.find('\n'), upgrade.size() - 1) << upgrade;
    EXPECT_EQ(0u, upgrade.find("-- ")) << upgrade;
  }
  EXPECT_EQ("-- line one line two  three tabbed: write the forward SQL here.\n",
            ReadFile(versions_ + "/r2_line_one_line_two_three_tabbed/upgrade.sql"));
}

TEST_F(ScriptWriterTest, Refusals) {
  Revision rev;
  rev.id = "a1";
  rev.message = "first";
  WriteRevisionFolder(versions_, rev, false);
  EXPECT_EQ("versions/a1_first already exists | choose another --rev-id, or remove the folder",
            ErrorOf([&] { WriteRevisionFolder(versions_, rev, false); }));

  rev.id = "Bad-Id";
  EXPECT_EQ("revision id 'Bad-Id' may contain only lowercase letters, digits and '_'"
            " | a revision id is 1 to 32 of [0-9a-z_]: the version column is VARCHAR(32)",
            ErrorOf([&] { WriteRevisionFolder(versions_, rev, false); }));
  rev.id = std::string(33, 'a');
  EXPECT_EQ("revision id '" + rev.id +
                "' is 33 characters long; the version column holds at most 32"
                " | a revision id is 1 to 32 of [0-9a-z_]: the version column is VARCHAR(32)",
            ErrorOf([&] { WriteRevisionFolder(versions_, rev, false); }));

  rev.id = "b2";
  rev.branch_labels = {"my-branch"};
  EXPECT_EQ("versions/b2_first/migration.yaml:3:17: branch_labels entry 'my-branch' is not"
            " a revision id or a branch label | revision ids and branch labels are made"
            " of [0-9A-Za-z_.]",
            ErrorOf([&] { WriteRevisionFolder(versions_, rev, false); }));
  EXPECT_FALSE(fs::exists(versions_ + "/b2_first"));  // nothing half-written

  rev.branch_labels.clear();
  rev.message = "caf\xe9";
  EXPECT_EQ("message:1:4: invalid UTF-8 (byte 0xe9) | save the file as UTF-8",
            ErrorOf([&] { WriteRevisionFolder(versions_, rev, false); }));

  rev.message = "x";
  EXPECT_EQ("nowhere: version location does not exist",
            ErrorOf([&] { WriteRevisionFolder(dir_.str() + "/nowhere", rev, false); }));
}

TEST_F(ScriptWriterTest, InitCreatesTheScriptDirectory) {
  InitScriptDirectory("proj/migrations");
  EXPECT_EQ(DefaultConfigText(), ReadFile("proj/migrations/retort.yaml"));
  EXPECT_TRUE(fs::is_directory("proj/migrations/versions"));
  EXPECT_TRUE(fs::is_empty("proj/migrations/versions"));

  // The new project loads: config first, then its (empty) script directory.
  Config config = LoadConfig("proj/migrations/retort.yaml", [](const std::string&) {
    return std::optional<std::string>();
  });
  EXPECT_TRUE(LoadScriptDirectory(config).empty());

  EXPECT_EQ("Directory proj/migrations already exists and is not empty",
            ErrorOf([] { InitScriptDirectory("proj/migrations"); }));
  dir_.Mkdir("empty");
  InitScriptDirectory("empty");
  EXPECT_TRUE(fs::exists("empty/retort.yaml"));
  dir_.Write("afile", "x");
  EXPECT_EQ("Directory afile already exists and is not a directory",
            ErrorOf([] { InitScriptDirectory("afile"); }));
}

TEST(CreateDateTest, PythonFormat) {
  EXPECT_TRUE(std::regex_match(NowCreateDate(),
                               std::regex(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?)")))
      << NowCreateDate();
  const char* old_tz = std::getenv("TZ");
  std::string saved = old_tz ? old_tz : "";
  setenv("TZ", "UTC", 1);
  tzset();
  using std::chrono::microseconds;
  using std::chrono::seconds;
  std::chrono::system_clock::time_point t{seconds(1795680792)};  // 2026-11-26 08:13:12 UTC
  EXPECT_EQ("2026-11-26 08:13:12.083186", FormatCreateDate(t + microseconds(83186)));
  EXPECT_EQ("2026-11-26 08:13:12.000005", FormatCreateDate(t + microseconds(5)));
  // Python's str(datetime) leaves out a zero fraction.
  EXPECT_EQ("2026-11-26 08:13:12", FormatCreateDate(t));
  if (old_tz) {
    setenv("TZ", saved.c_str(), 1);
  } else {
    unsetenv("TZ");
  }
  tzset();
}

}  // namespace
}  // namespace retort
