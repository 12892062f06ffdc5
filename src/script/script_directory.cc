#include "retort/script/script_directory.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>

#include "retort/common/error.h"
#include "retort/config/project_file.h"
#include "retort/config/yaml_document.h"
#include "retort/script/migration_yaml_fast.h"

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

/// `a` followed by `b` in one allocation (operator+ copies `a`, then
/// reallocates to append: two per path, several paths per revision).
std::string Concat(std::string_view a, std::string_view b) {
  std::string s;
  s.reserve(a.size() + b.size());
  s.append(a).append(b);
  return s;
}

/// An open version location.
struct Location {
  std::string base;        ///< absolute path, ending in '/'
  std::string shown_base;  ///< as messages show it, ending in '/' (or "")
  int dir_fd;              ///< for openat
};

/// One folder found in a version location. Only the name: the folders are
/// sorted, and most of them never need their paths spelled out twice.
struct Folder {
  Folder(std::string folder_name, std::size_t index)
      : name(std::move(folder_name)), prefix(SortPrefix(name)), location(index) {}

  /// The first 8 bytes of a name as a big-endian number, zero-padded: comparing
  /// two prefixes orders like comparing those bytes, and revision ids start
  /// with a dozen random characters, so a sort rarely needs the full names.
  static std::uint64_t SortPrefix(const std::string& s) {
    std::uint64_t key = 0;
    for (std::size_t i = 0; i < 8; ++i) {
      key = key << 8 | (i < s.size() ? static_cast<unsigned char>(s[i]) : 0u);
    }
    return key;
  }

  /// Bytewise by name (locale-independent, like std::string's operator<),
  /// then by location.
  bool operator<(const Folder& other) const {
    if (prefix != other.prefix) return prefix < other.prefix;
    if (int c = name.compare(other.name)) return c < 0;
    return location < other.location;
  }

  std::string name;
  std::uint64_t prefix;
  std::size_t location;  ///< index into the Locations
};

using DirHandle = std::unique_ptr<DIR, int (*)(DIR*)>;

const char kFolderHint[] =
    "a revision is a folder <id>_<slug>/ holding migration.yaml, upgrade.sql "
    "and downgrade.sql";

Error MissingFile(const std::string& shown) {
  return ProjectError(shown + ": file not found",
                      std::string(kFolderHint) + " (downgrade.sql may come later)");
}

/// Lists the revision folders of one version location with readdir (the
/// entry type usually comes with the name: no stat per entry).
void ListLocation(const Config& config, std::size_t index, std::vector<Folder>& folders,
                  std::vector<Location>& locations, std::vector<DirHandle>& open_dirs) {
  const std::string dir =
      (fs::path(config.script_location) / config.version_locations[index]).lexically_normal().string();
  const std::string shown = DisplayPath(dir);
  const std::string fix =
      config.config_path.empty()
          ? std::string("create it")
          : "create it, or fix version_locations in " + DisplayPath(config.config_path);
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) throw ProjectError(shown + ": version location does not exist", fix);
    throw ProjectError(shown + ": cannot read: " + std::strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) throw ProjectError(shown + ": version location is not a folder", fix);
  DirHandle d(::opendir(dir.c_str()), &::closedir);
  if (!d) throw ProjectError(shown + ": cannot read version location: " + std::strerror(errno));
  const int dir_fd = ::dirfd(d.get());
  const std::string base = dir.empty() || dir.back() == '/' ? dir : dir + "/";
  const std::string shown_base = shown.empty() || shown.back() == '/' ? shown : shown + "/";
  errno = 0;
  while (const dirent* entry = ::readdir(d.get())) {
    const std::string name = entry->d_name;
    // Alembic projects carry __pycache__ next to their revisions.
    if (name.empty() || name[0] == '.' || name == "__pycache__") continue;
    unsigned char type = entry->d_type;
    if (type == DT_UNKNOWN || type == DT_LNK) {
      // Follow symlinks; a loop gives ELOOP here rather than a hang.
      const std::string path = base + name;
      struct stat target;
      if (::stat(path.c_str(), &target) != 0) {
        if (errno == ENOENT) throw ProjectError(shown_base + name + ": cannot read: broken symbolic link");
        throw ProjectError(shown_base + name + ": cannot read: " + std::strerror(errno));
      }
      type = S_ISDIR(target.st_mode) ? DT_DIR : S_ISREG(target.st_mode) ? DT_REG : DT_UNKNOWN;
    }
    if (type == DT_DIR) {
      folders.emplace_back(name, index);
    } else if (type == DT_REG) {
      const std::string ext = fs::path(name).extension().string();
      if (ext == ".py" || ext == ".sql") {
        throw ProjectError(shown_base + name + ": a " + ext + " file directly in a version location",
                           std::string(kFolderHint) +
                               "; move it into one (retort does not run Alembic's .py revisions)");
      }
    }
    errno = 0;
  }
  if (errno != 0) throw ProjectError(shown + ": cannot read version location: " + std::strerror(errno));
  locations.push_back(Location{base, shown_base, dir_fd});
  open_dirs.push_back(std::move(d));
}

/// "<path>:<line>:<column>" of a revision's id, from the slow parser (only
/// needed for messages, which are rare).
std::string IdWhere(const Folder& folder, const Location& location, const std::string& text) {
  ParseExtras extras;
  ParseMigration(location.shown_base + folder.name + "/migration.yaml", text, &extras);
  return extras.revision_where;
}

/// Reads a script's upgrade.sql and downgrade.sql from `folder`, relative to
/// `dir_fd` (AT_FDCWD with the absolute folder path, or while loading, the
/// version location's descriptor with the folder name: fewer path
/// components for the kernel to resolve, twice per revision).
void ReadSqlFiles(Script& script, int dir_fd, const std::string& folder) {
  if (script.sql_loaded) return;
  const std::string shown_dir = script.shown_dir.empty() ? DisplayPath(script.dir) : script.shown_dir;
  std::optional<std::string> up =
      ReadProjectFileIfExistsAt(dir_fd, folder + "/upgrade.sql", shown_dir + "/upgrade.sql", "file");
  if (!up) throw MissingFile(shown_dir + "/upgrade.sql");
  std::optional<std::string> down =
      ReadProjectFileIfExistsAt(dir_fd, folder + "/downgrade.sql", shown_dir + "/downgrade.sql", "file");
  script.upgrade_sql = std::move(*up);
  script.has_downgrade = down.has_value();
  script.downgrade_sql = down ? std::move(*down) : std::string();
  script.sql_loaded = true;
}

/// IdWhere for a folder already loaded: its text is read again rather than
/// kept for every revision, since only a duplicate id needs it.
std::string IdWhereOnDisk(const Folder& folder, const Location& location) {
  const std::string shown = location.shown_base + folder.name + "/migration.yaml";
  std::optional<std::string> text =
      ReadProjectFileIfExistsAt(location.dir_fd, folder.name + "/migration.yaml", shown, "file");
  if (!text) throw MissingFile(shown);
  return IdWhere(folder, location, *text);
}

/// Loads one revision folder's migration.yaml (and, when asked, its SQL).
Script LoadFolder(const Folder& folder, const Location& location, bool read_sql) {
  std::string shown_dir = Concat(location.shown_base, folder.name);
  const std::string meta_shown = Concat(shown_dir, "/migration.yaml");
  std::optional<std::string> text = ReadProjectFileIfExistsAt(
      location.dir_fd, Concat(folder.name, "/migration.yaml"), meta_shown, "file");
  if (!text) throw MissingFile(meta_shown);
  std::optional<Script> fast = ParseMigrationYamlFast(meta_shown, *text);
  Script script = fast ? std::move(*fast) : ParseMigration(meta_shown, *text, nullptr);
  const std::string& id = script.revision.id;
  if (folder.name != id && folder.name.rfind(id + "_", 0) != 0) {
    throw ProjectError(IdWhere(folder, location, *text) + ": revision '" + id +
                           "' does not match its folder name '" + folder.name + "'",
                       "rename the folder to " + id + " or " + id +
                           "_<slug>: the folder name starts with the id");
  }
  script.dir = Concat(location.base, folder.name);
  script.shown_dir = std::move(shown_dir);
  script.metadata_path = Concat(script.dir, "/migration.yaml");
  if (read_sql) ReadSqlFiles(script, location.dir_fd, folder.name);
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

void ReadScriptSql(Script& script) { ReadSqlFiles(script, AT_FDCWD, script.dir); }

std::optional<std::string> ScriptSqlText(const Script& script, bool upgrade) {
  if (script.sql_loaded) {
    if (!upgrade && !script.has_downgrade) return std::nullopt;
    return upgrade ? script.upgrade_sql : script.downgrade_sql;
  }
  std::optional<std::string> text = ReadProjectFileIfExists(
      upgrade ? script.UpgradePath() : script.DowngradePath(), script.ShownSqlPath(upgrade), "file");
  if (!text && upgrade) throw MissingFile(script.ShownSqlPath(true));
  return text;
}

std::vector<Script> LoadScriptDirectory(const Config& config, const LoadOptions& options) {
  std::vector<Folder> folders;
  std::vector<Location> locations;
  std::vector<DirHandle> open_dirs;
  for (std::size_t i = 0; i < config.version_locations.size(); ++i) {
    ListLocation(config, i, folders, locations, open_dirs);
  }
  // (name, location) is unique, so an unstable sort gives the same order.
  std::sort(folders.begin(), folders.end());
  // Folders are independent: large projects read and parse them on a few
  // threads. Errors are kept per folder and the first in folder order is
  // thrown, so the message is the same as a sequential load's.
  const std::size_t n = folders.size();
  std::vector<Script> scripts(n);
  std::vector<std::exception_ptr> errors(n);
  auto load_range = [&](std::size_t worker, std::size_t workers) {
    for (std::size_t i = worker; i < n; i += workers) {
      try {
        scripts[i] = LoadFolder(folders[i], locations[folders[i].location], options.read_sql);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  };
  const std::size_t workers =
      n < 256 ? 1 : std::min<std::size_t>(4, std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> threads;
  for (std::size_t w = 1; w < workers; ++w) threads.emplace_back(load_range, w, workers);
  load_range(0, workers);
  for (std::thread& t : threads) t.join();
  for (const std::exception_ptr& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  std::unordered_map<std::string, std::size_t> index_by_id;
  index_by_id.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto [it, inserted] = index_by_id.emplace(scripts[i].revision.id, i);
    if (!inserted) {
      const Folder& other = folders[it->second];
      throw ProjectError(IdWhereOnDisk(folders[i], locations[folders[i].location]) +
                             ": duplicate revision id '" + scripts[i].revision.id + "' (also declared at " +
                             IdWhereOnDisk(other, locations[other.location]) + ")",
                         "give one of them a new id, and its folder the same name");
    }
  }
  return scripts;
}

}  // namespace retort
