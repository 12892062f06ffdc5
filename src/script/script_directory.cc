#include "retort/script/script_directory.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <system_error>
#include <utility>

#include "retort/common/error.h"
#include "retort/config/project_file.h"
#include "retort/config/yaml_document.h"

namespace retort {
namespace {

namespace fs = std::filesystem;
using Entry = YamlDocument::Entry;

/// alembic_version.version_num is VARCHAR(32).
constexpr std::size_t kMaxRevisionIdLength = 32;

const std::vector<std::string> kMigrationKeys = {
    "revision",    "down_revision", "branch_labels", "depends_on",
    "message",     "create_date",   "transactional", "isolation"};

const char kIdHint[] =
    "a revision id is 1 to 32 of [0-9a-z_]: the version column is "
    "VARCHAR(32)";

bool IsLabelChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
         (c >= 'A' && c <= 'Z') || c == '_' || c == '.';
}

/// Why `ref`, an entry of down_revision, cannot name a revision, or "".
std::string ParentProblem(const std::string& ref) {
  if (ref.empty()) return "is empty";
  // Alembic's _revision_illegal_chars, and ':' which its FROM:TO syntax uses.
  for (char c : std::string("@-+:")) {
    if (ref.find(c) != std::string::npos) {
      return std::string("contains '") + c + "', which no revision id may";
    }
  }
  if (ref.find_first_of(" \t\r\n,") != std::string::npos) {
    return "contains a space or a comma";
  }
  return "";
}

/// Where a string value of an entry came from, for the checks below.
struct Value {
  std::string text;
  std::string where;
};

/// What ParseMigration knows beyond the Script, for the loader's messages.
struct ParseExtras {
  std::string revision_where;  ///< "<path>:<line>:<column>" of the id
};

/// The ids of down_revision: null, one id, or a list (a merge).
std::vector<Value> Parents(const YamlDocument& doc, const Entry& entry) {
  std::vector<Value> values;
  if (entry.value.IsNull()) return values;
  if (!entry.value.IsScalar() && !entry.value.IsSequence()) {
    throw ProjectError(doc.Where(entry) +
                       ": down_revision must be null, a revision id or a list "
                       "of revision ids, not " +
                       YamlDocument::KindOf(entry.value));
  }
  for (const YamlDocument::Item& item : doc.StringList(entry, "down_revision")) {
    values.push_back(Value{item.text, item.where});
  }
  return values;
}

Script ParseMigration(const std::string& path, const std::string& text,
                      ParseExtras* extras) {
  YamlDocument doc(path, text);
  const YAML::Node& root = doc.root();
  if (root.IsDefined() && !root.IsNull() && !root.IsMap()) {
    throw ProjectError(doc.Where(root) +
                       ": migration.yaml must be a mapping of keys to values, "
                       "not " +
                       YamlDocument::KindOf(root));
  }
  std::vector<Entry> entries = doc.MapEntries(root, "migration.yaml");
  doc.CheckKnownKeys(entries, kMigrationKeys, "migration.yaml");

  Script script;
  script.metadata_path = path;
  Revision& rev = script.revision;
  rev.source = path;

  const Entry* revision = nullptr;
  const Entry* down_revision = nullptr;
  for (const Entry& e : entries) {
    if (e.key == "revision") revision = &e;
    if (e.key == "down_revision") down_revision = &e;
  }
  const std::string start =
      root.IsDefined() && !root.IsNull() ? doc.Where(root) : path + ":1:1";
  const char kRequiredHint[] =
      "migration.yaml needs revision: <id> and down_revision: <parent id, a "
      "list of ids for a merge, or null for a base>";
  if (revision == nullptr) {
    throw ProjectError(start + ": missing required key 'revision'", kRequiredHint);
  }
  if (down_revision == nullptr) {
    throw ProjectError(start + ": missing required key 'down_revision'",
                       kRequiredHint);
  }

  rev.id = doc.String(*revision, "revision");
  rev.line = doc.Line(revision->key_node);
  const std::string id_where = doc.Where(*revision);
  if (std::optional<std::string> problem = RevisionIdProblem(rev.id)) {
    throw ProjectError(id_where + ": " + *problem, kIdHint);
  }
  if (extras != nullptr) extras->revision_where = id_where;

  /// Rejects one name given twice in `key`, and with `self` the revision
  /// naming itself.
  auto check_refs = [&](const std::vector<Value>& values, const std::string& key,
                        bool self) {
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (self && values[i].text == rev.id) {
        throw ProjectError(values[i].where + ": revision '" + rev.id +
                           "' lists itself in " + key);
      }
      for (std::size_t j = 0; j < i; ++j) {
        if (values[j].text == values[i].text) {
          throw ProjectError(values[i].where + ": " + key + " lists '" +
                             values[i].text + "' twice");
        }
      }
    }
  };
  /// Items of an optional string-or-list key whose entries are labels.
  auto labels = [&](const Entry& e, const std::string& key) {
    std::vector<Value> values;
    for (const YamlDocument::Item& item : doc.StringList(e, key)) {
      bool valid = !item.text.empty();
      for (char c : item.text) valid = valid && IsLabelChar(c);
      if (!valid) {
        throw ProjectError(item.where + ": " + key + " entry '" + item.text +
                               "' is not a revision id or a branch label",
                           "revision ids and branch labels are made of "
                           "[0-9A-Za-z_.]");
      }
      values.push_back(Value{item.text, item.where});
    }
    return values;
  };

  for (const Entry& e : entries) {
    if (e.key == "down_revision") {
      std::vector<Value> parents = Parents(doc, e);
      for (const Value& parent : parents) {
        std::string problem = ParentProblem(parent.text);
        if (!problem.empty()) {
          throw ProjectError(
              parent.where + ": down_revision '" + parent.text + "' " + problem,
              "a merge lists its parents as a YAML list: [a1b2c3d4e5f6, "
              "0f9e8d7c6b5a]");
        }
      }
      check_refs(parents, "down_revision", true);
      for (const Value& parent : parents) rev.down_revisions.push_back(parent.text);
      rev.down_revision_line = doc.Line(e.key_node);
    } else if (e.key == "branch_labels") {
      std::vector<Value> values = labels(e, "branch_labels");
      check_refs(values, "branch_labels", false);
      for (const Value& v : values) rev.branch_labels.push_back(v.text);
      rev.branch_labels_line = doc.Line(e.key_node);
    } else if (e.key == "depends_on") {
      std::vector<Value> values = labels(e, "depends_on");
      check_refs(values, "depends_on", true);
      for (const Value& v : values) rev.depends_on.push_back(v.text);
      rev.depends_on_line = doc.Line(e.key_node);
    } else if (e.key == "message") {
      rev.message = e.value.IsNull() ? "" : doc.String(e, "message");
    } else if (e.key == "create_date") {
      rev.create_date = e.value.IsNull() ? "" : doc.String(e, "create_date");
    } else if (e.key == "transactional") {
      script.transactional = doc.Bool(e, "transactional");
    } else if (e.key == "isolation") {
      script.isolation_line = doc.Line(e.key_node);
      for (const Entry& fixture : doc.MapEntries(e.value, "isolation")) {
        const std::string name = "the isolation fixture of " + fixture.key;
        std::string sql = doc.String(fixture, name);
        if (fixture.key.empty() || sql.find_first_not_of(" \t\r\n") == std::string::npos) {
          throw ProjectError(doc.Where(fixture) + ": " + name + " is empty",
                             "write the INSERT that creates one row for "
                             ":tenant_id");
        }
        script.isolation.emplace(fixture.key, std::move(sql));
      }
    }
  }
  return script;
}

/// The status of `path` following symlinks; throws on anything but "it
/// does not exist" (a symlink loop gives ELOOP here instead of a hang).
fs::file_status StatusOf(const fs::path& path) {
  std::error_code ec;
  fs::file_status status = fs::status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    throw ProjectError(DisplayPath(path.string()) + ": cannot read: " + ec.message());
  }
  return status;
}

/// Reads a file of a revision folder; nullopt if it does not exist.
std::optional<std::string> ReadRevisionFile(const fs::path& path) {
  fs::file_status status = StatusOf(path);
  if (!fs::exists(status)) return std::nullopt;
  const std::string shown = DisplayPath(path.string());
  if (!fs::is_regular_file(status)) {
    throw ProjectError(shown + ": not a regular file");
  }
  return ReadProjectFile(path.string(), shown, "file");
}

/// One folder found in a version location.
struct Folder {
  std::string name;
  fs::path path;
  std::size_t location;
};

const char kFolderHint[] =
    "a revision is a folder <id>_<slug>/ holding migration.yaml, upgrade.sql "
    "and downgrade.sql";

void ListLocation(const Config& config, std::size_t index,
                  std::vector<Folder>& folders) {
  fs::path dir = (fs::path(config.script_location) / config.version_locations[index])
                     .lexically_normal();
  const std::string shown = DisplayPath(dir.string());
  const std::string fix =
      config.config_path.empty()
          ? std::string("create it")
          : "create it, or fix version_locations in " + DisplayPath(config.config_path);
  fs::file_status status = StatusOf(dir);
  if (!fs::exists(status)) {
    throw ProjectError(shown + ": version location does not exist", fix);
  }
  if (!fs::is_directory(status)) {
    throw ProjectError(shown + ": version location is not a folder", fix);
  }
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const fs::path path = it->path();
    const std::string name = path.filename().string();
    // Alembic projects carry __pycache__ next to their revisions.
    if (name.empty() || name[0] == '.' || name == "__pycache__") continue;
    fs::file_status entry_status = StatusOf(path);
    if (fs::is_directory(entry_status)) {
      folders.push_back(Folder{name, path, index});
    } else if (fs::is_regular_file(entry_status)) {
      const std::string ext = path.extension().string();
      if (ext == ".py" || ext == ".sql") {
        throw ProjectError(DisplayPath(path.string()) +
                               ": a " + ext + " file directly in a version location",
                           std::string(kFolderHint) +
                               "; move it into one (retort does not run "
                               "Alembic's .py revisions)");
      }
    } else if (!fs::exists(entry_status)) {
      throw ProjectError(DisplayPath(path.string()) +
                         ": cannot read: broken symbolic link");
    }
  }
  if (ec) {
    throw ProjectError(shown + ": cannot read version location: " + ec.message());
  }
}

/// Loads one revision folder; `where` receives "<path>:<line>:<column>" of
/// its id, for the duplicate-id message.
Script LoadFolder(const Folder& folder, std::string& where) {
  const fs::path meta = folder.path / "migration.yaml";
  const fs::path up = folder.path / "upgrade.sql";
  const fs::path down = folder.path / "downgrade.sql";
  auto missing = [](const fs::path& path) {
    return ProjectError(DisplayPath(path.string()) + ": file not found",
                        std::string(kFolderHint) +
                            " (downgrade.sql may come later)");
  };
  std::optional<std::string> meta_text = ReadRevisionFile(meta);
  if (!meta_text) throw missing(meta);
  ParseExtras extras;
  Script script = ParseMigration(DisplayPath(meta.string()), *meta_text, &extras);
  const std::string& id = script.revision.id;
  if (folder.name != id && folder.name.rfind(id + "_", 0) != 0) {
    throw ProjectError(extras.revision_where + ": revision '" + id +
                           "' does not match its folder name '" + folder.name + "'",
                       "rename the folder to " + id + " or " + id +
                           "_<slug>: the folder name starts with the id");
  }
  where = extras.revision_where;
  std::optional<std::string> up_text = ReadRevisionFile(up);
  if (!up_text) throw missing(up);
  std::optional<std::string> down_text = ReadRevisionFile(down);

  script.dir = folder.path.string();
  script.metadata_path = meta.string();
  script.upgrade_path = up.string();
  script.upgrade_sql = std::move(*up_text);
  script.has_downgrade = down_text.has_value();
  if (down_text) {
    script.downgrade_path = down.string();
    script.downgrade_sql = std::move(*down_text);
  }
  return script;
}

}  // namespace

std::optional<std::string> RevisionIdProblem(const std::string& id) {
  if (id.empty()) return std::string("revision id is empty");
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '_')) {
      return "revision id '" + id +
             "' may contain only lowercase letters, digits and '_'";
    }
  }
  if (id.size() > kMaxRevisionIdLength) {
    return "revision id '" + id + "' is " + std::to_string(id.size()) +
           " characters long; the version column holds at most 32";
  }
  return std::nullopt;
}

Script ParseMigrationYaml(const std::string& path, const std::string& text) {
  return ParseMigration(path, text, nullptr);
}

std::vector<Script> LoadScriptDirectory(const Config& config) {
  std::vector<Folder> folders;
  for (std::size_t i = 0; i < config.version_locations.size(); ++i) {
    ListLocation(config, i, folders);
  }
  std::stable_sort(folders.begin(), folders.end(),
                   [](const Folder& a, const Folder& b) {
                     // std::string compares bytewise (char_traits<char>::compare
                     // is memcmp-like, unsigned), independent of the locale.
                     if (a.name != b.name) return a.name < b.name;
                     return a.location < b.location;
                   });
  std::vector<Script> scripts;
  std::map<std::string, std::string> where_by_id;
  for (const Folder& folder : folders) {
    std::string where;
    Script script = LoadFolder(folder, where);
    auto [it, inserted] = where_by_id.emplace(script.revision.id, where);
    if (!inserted) {
      throw ProjectError(where + ": duplicate revision id '" + script.revision.id +
                             "' (also declared at " + it->second + ")",
                         "give one of them a new id, and its folder the same name");
    }
    scripts.push_back(std::move(script));
  }
  return scripts;
}

}  // namespace retort
