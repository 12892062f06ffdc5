#include "retort/script/migration_yaml_fast.h"

#include <gtest/gtest.h>

#include "retort/common/error.h"
#include "retort/script/script_directory.h"

namespace retort {
namespace {

// Documents the fast path must either decline or read exactly as the YAML
// parser does. Several are meant to be accepted (checked below), the rest
// probe the edges where a line recogniser could misread YAML.
const char* const kCorpus[] = {
    "revision: a1\ndown_revision: null\n",
    "revision: \"0002e5e23858\"\ndown_revision: \"f1886b5c3b19\"\nmessage: \"change 9623\"\n"
    "create_date: \"2020-02-17 18:48:00\"\n",
    "revision: 8c4e51f0a2b3           # [0-9a-z_]+, at most 32 chars\n"
    "down_revision: 3f1c2a9b7d10      # null (a base), one id, or a list\n"
    "branch_labels: [billing]         # optional\ndepends_on: []\nmessage: add invoices\n"
    "create_date: \"2026-11-26 08:00:00\"\ntransactional: true\n",
    "revision: m1\ndown_revision: [a1, b2]\nmessage: merge\n",
    "revision: m1\ndown_revision: ['a1', \"b2\"]\n",
    "revision: 0123\ndown_revision: ~\nmessage: 2026-11-26 08:00:00\n",
    "revision: a1\ndown_revision: NULL\nmessage:\ncreate_date: Null\n",
    "revision: a1\ndown_revision:\ntransactional: false\n",
    "revision: a1\ndown_revision: null\nmessage: it's fine\n",
    "revision: a1\ndown_revision: null\nmessage: \"a # b\"\n",
    "revision: a1\ndown_revision: null\nmessage: a #b\n",
    "revision: a1\ndown_revision: null\nmessage: a#b\n",
    "revision: a1\ndown_revision: null\nmessage: 'single \"double\" inside'\n",
    "revision: a1\ndown_revision: null\nmessage: \"unicode é ✓\"\n",
    "revision: a1\ndown_revision: null\nmessage: plain é ✓ text\n",
    "revision: a1\ndown_revision: null\nmessage: key: value\n",
    "revision: a1\ndown_revision: null\nmessage: \"esc \\\" aped\"\n",
    "revision: a1\ndown_revision: null\nmessage: 'it''s'\n",
    "revision: a1\ndown_revision: null\nmessage:   two  spaces\n",
    "revision: a1\ndown_revision: null\nmessage: trailing   \n",
    "revision: a1\ndown_revision: null\nmessage: |\n  block\n",
    "revision: a1\ndown_revision: null\nmessage: >-\n  folded\n",
    "revision: a1\ndown_revision: null\nmessage: first\n  continued\n",
    "revision: a1\ndown_revision: null\ntransactional: yes\n",
    "revision: a1\ndown_revision: null\ntransactional: \"false\"\n",
    "revision: a1\ndown_revision: null\nbranch_labels: core\ndepends_on: [x1, core.v2]\n",
    "revision: a1\ndown_revision: null\nbranch_labels:\n  - core\n",
    "revision: a1\ndown_revision:\n  - b1\n  - c1\n",
    "revision: a1\ndown_revision: [b1,]\n",
    "revision: a1\ndown_revision: [b1, [c1]]\n",
    "revision: a1\ndown_revision: {b1: c1}\n",
    "revision: a1\ndown_revision: &x b1\nmessage: *x\n",
    "revision: a1\ndown_revision: !!str b1\n",
    "revision: a1\ndown_revision: b1\nrevision: a2\n",
    "revision: a1\ndown_revision: b1\nunknown: x\n",
    "revision: a1\ndown_revision: a1\n",
    "revision: A1\ndown_revision: null\n",
    "revision: a1\ndown_revision: b-1\n",
    "---\nrevision: a1\ndown_revision: null\n",
    "revision: a1\ndown_revision: null\n---\nrevision: a2\n",
    "revision: a1\r\ndown_revision: null\r\n",
    "\xEF\xBB\xBFrevision: a1\ndown_revision: null\n",
    "revision: a1\ndown_revision: null\nisolation:\n  invoices: \"INSERT INTO invoices (tenant_id) VALUES (:tenant_id)\"\n",
    "revision: a1\ndown_revision: null\nisolation:\n  invoices: INSERT INTO invoices (tenant_id) VALUES (:tenant_id)\n",
    "revision: a1\ndown_revision: null\nisolation:\n  invoices: INSERT INTO t VALUES (:tenant_id, 'x')\n",
    "revision: a1\ndown_revision: null\nisolation:\n  invoices: |\n    INSERT INTO t VALUES (:tenant_id)\n",
    "revision: a1\ndown_revision: null\nisolation:\n",
    "revision: a1\ndown_revision: null\nisolation: {}\n",
    "revision: a1\ndown_revision: null\nisolation:\n  t: \"\"\n",
    "revision: a1\ndown_revision: null\nisolation:\n  t: a\n  t: b\n",
    "revision: a1\ndown_revision: null\n\n# comment\n   \nmessage: after blank lines\n",
    "revision: a1\ndown_revision: null\n  message: indented\n",
    "revision: a1\ndown_revision: null\nmessage: [a, b]\n",
    "revision: a1\ndown_revision: null\nmessage: - dash\n",
    "revision: a1\ndown_revision: null\nmessage: ~tilde\n",
    "revision: a1\ndown_revision: null\nmessage: ? q\n",
    "revision: a1\ndown_revision: null\nmessage: 100%\n",
    "revision: a1\ndown_revision: null\nmessage: a, b\n",
    "revision:a1\ndown_revision: null\n",
    "revision: a1 \ndown_revision: null \n",
    "revision: \"a1\" # quoted with comment\ndown_revision: null\n",
    "revision: a1\ndown_revision: null\ncreate_date: 2026-11-26 08:00:00.123456\n",
    "revision: a1\ndown_revision: null\nmessage: <<\n",
    "revision: a1\ndown_revision: null\nmessage: \"\"\n",
    "revision: a1\ndown_revision: null\nmessage: ''\n",
    "revision: a1\ndown_revision: [\"b1\", 'c1']\ndepends_on: [\"core\"]\n",
};

struct Outcome {
  bool ok = false;
  Script script;
  std::string error;
};

Outcome Slow(const std::string& text) {
  Outcome o;
  try {
    o.script = ParseMigrationYaml("m.yaml", text);
    o.ok = true;
  } catch (const Error& e) {
    o.error = e.what();
  }
  return o;
}

TEST(MigrationYamlFastTest, AgreesWithTheYamlParserOrDeclines) {
  int accepted = 0;
  for (const char* doc : kCorpus) {
    SCOPED_TRACE(doc);
    std::optional<Script> fast = ParseMigrationYamlFast("m.yaml", doc);
    if (!fast) continue;
    ++accepted;
    Outcome slow = Slow(doc);
    ASSERT_TRUE(slow.ok) << "fast path accepted what the YAML parser refuses: " << slow.error;
    const Revision& a = fast->revision;
    const Revision& b = slow.script.revision;
    EXPECT_EQ(b.id, a.id);
    EXPECT_EQ(b.down_revisions, a.down_revisions);
    EXPECT_EQ(b.branch_labels, a.branch_labels);
    EXPECT_EQ(b.depends_on, a.depends_on);
    EXPECT_EQ(b.message, a.message);
    EXPECT_EQ(b.create_date, a.create_date);
    EXPECT_EQ(b.source, a.source);
    EXPECT_EQ(b.line, a.line);
    EXPECT_EQ(b.down_revision_line, a.down_revision_line);
    EXPECT_EQ(b.branch_labels_line, a.branch_labels_line);
    EXPECT_EQ(b.depends_on_line, a.depends_on_line);
    EXPECT_EQ(slow.script.transactional, fast->transactional);
    EXPECT_EQ(slow.script.isolation, fast->isolation);
    EXPECT_EQ(slow.script.isolation_line, fast->isolation_line);
  }
  // The common shapes must take the fast path, or it buys nothing.
  EXPECT_GE(accepted, 20);
}

TEST(MigrationYamlFastTest, ReadsWhatRetortWrites) {
  std::optional<Script> s = ParseMigrationYamlFast(
      "m.yaml",
      "revision: \"8c4e51f0a2b3\"\ndown_revision: [\"3f1c2a9b7d10\", \"0f9e8d7c6b5a\"]\n"
      "branch_labels: [\"billing\"]\nmessage: \"merge: billing & tasks\"\n"
      "create_date: \"2026-11-26 08:00:00\"\ntransactional: true\n");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ("8c4e51f0a2b3", s->revision.id);
  EXPECT_EQ((std::vector<std::string>{"3f1c2a9b7d10", "0f9e8d7c6b5a"}), s->revision.down_revisions);
  EXPECT_EQ("merge: billing & tasks", s->revision.message);
}

}  // namespace
}  // namespace retort
