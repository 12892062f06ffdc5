#include "retort/script/script_writer.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <system_error>

#include "retort/common/error.h"
#include "retort/config/config_loader.h"
#include "retort/config/project_file.h"
#include "retort/script/script_directory.h"

namespace retort {
namespace {

namespace fs = std::filesystem;

/// alembic's truncate_slug_length default.
constexpr std::size_t kSlugLength = 40;

bool IsWordByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_';
}

/// A YAML double-quoted scalar that reads back as `text` (valid UTF-8):
/// every control character and YAML line break is escaped, so no message
/// can end the string, start a comment or fold into a space.
std::string Quote(const std::string& text) {
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    switch (c) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      default: break;
    }
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else if (c == 0xC2 && i + 1 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) == 0x85) {
      out += "\\u0085";  // NEL, a line break to YAML 1.1
      ++i;
    } else if (c == 0xE2 && i + 2 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) == 0x80 &&
               (static_cast<unsigned char>(text[i + 2]) == 0xA8 ||
                static_cast<unsigned char>(text[i + 2]) == 0xA9)) {
      // LINE SEPARATOR, PARAGRAPH SEPARATOR
      out += static_cast<unsigned char>(text[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out + "\"";
}

std::string QuotedList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += (i ? ", " : "") + Quote(items[i]);
  }
  return out + "]";
}

std::string MigrationYaml(const Revision& rev) {
  std::string yaml = "revision: " + Quote(rev.id) + "\n";
  yaml += "down_revision: ";
  if (rev.down_revisions.empty()) {
    yaml += "null";
  } else if (rev.down_revisions.size() == 1) {
    yaml += Quote(rev.down_revisions[0]);
  } else {
    yaml += QuotedList(rev.down_revisions);
  }
  yaml += "\n";
  if (!rev.branch_labels.empty()) {
    yaml += "branch_labels: " + QuotedList(rev.branch_labels) + "\n";
  }
  if (!rev.depends_on.empty()) {
    yaml += "depends_on: " + QuotedList(rev.depends_on) + "\n";
  }
  yaml += "message: " + Quote(rev.message) + "\n";
  yaml += "create_date: " + Quote(rev.create_date) + "\n";
  yaml += "transactional: true\n";
  return yaml;
}

/// `text` on one line: a line break in a message would end the SQL comment.
std::string OneLine(const std::string& text) {
  std::string out;
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    out += u < 0x20 || u == 0x7f ? ' ' : c;
  }
  return out;
}

/// Creates `path` (which must not exist) holding `text`.
void WriteNewFile(const fs::path& path, const std::string& text) {
  std::FILE* file = std::fopen(path.c_str(), "wx");
  bool ok = file != nullptr;
  int error = ok ? 0 : errno;
  if (ok && std::fwrite(text.data(), 1, text.size(), file) != text.size()) {
    ok = false;
    error = errno;
  }
  if (file != nullptr && std::fclose(file) != 0 && ok) {
    ok = false;
    error = errno;
  }
  if (!ok) {
    throw ProjectError(DisplayPath(path.string()) + ": cannot write: " +
                       std::strerror(error));
  }
}

}  // namespace

void InitScriptDirectory(const std::string& dir) {
  const fs::path root(dir);
  std::error_code ec;
  fs::file_status status = fs::status(root, ec);
  if (fs::exists(status)) {
    if (!fs::is_directory(status)) {
      throw ProjectError("Directory " + dir + " already exists and is not a directory");
    }
    if (!fs::is_empty(root, ec) || ec) {
      throw ProjectError("Directory " + dir + " already exists and is not empty");
    }
  }
  fs::create_directories(root, ec);
  if (ec) {
    throw ProjectError(dir + ": cannot create directory: " + ec.message());
  }
  WriteNewFile(root / "retort.yaml", DefaultConfigText());
  fs::create_directory(root / "versions", ec);
  if (ec) {
    throw ProjectError((root / "versions").string() +
                       ": cannot create directory: " + ec.message());
  }
}

std::string Slugify(const std::string& message) {
  std::string slug;
  std::size_t i = 0;
  while (i < message.size()) {
    if (!IsWordByte(message[i])) {
      ++i;
      continue;
    }
    if (!slug.empty()) slug += '_';
    for (; i < message.size() && IsWordByte(message[i]); ++i) {
      char c = message[i];
      slug += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
  }
  if (slug.size() > kSlugLength) {
    // Python: slug[:40].rsplit("_", 1)[0] + "_"
    slug.resize(kSlugLength);
    std::size_t last = slug.rfind('_');
    if (last != std::string::npos) slug.resize(last);
    slug += '_';
  }
  return slug;
}

std::string WriteRevisionFolder(const std::string& versions_dir,
                                const Revision& rev, bool merge) {
  if (std::optional<std::string> problem = RevisionIdProblem(rev.id)) {
    throw ProjectError(*problem,
                       "a revision id is 1 to 32 of [0-9a-z_]: the version "
                       "column is VARCHAR(32)");
  }
  CheckUtf8Text("message", rev.message);
  const std::string slug = Slugify(rev.message);
  const fs::path folder =
      fs::path(versions_dir) / (slug.empty() ? rev.id : rev.id + "_" + slug);
  const std::string shown = DisplayPath(folder.string());

  // Reading back what is about to be written checks the labels and
  // references with the loader's own rules, and proves the round trip.
  const std::string yaml = MigrationYaml(rev);
  ParseMigrationYaml(shown + "/migration.yaml", yaml);

  std::error_code ec;
  if (!fs::is_directory(fs::path(versions_dir), ec)) {
    throw ProjectError(DisplayPath(versions_dir) + ": version location does not exist");
  }
  if (fs::exists(fs::symlink_status(folder, ec))) {
    throw ProjectError(shown + " already exists",
                       "choose another --rev-id, or remove the folder");
  }
  if (!fs::create_directory(folder, ec) || ec) {
    throw ProjectError(shown + ": cannot create directory: " +
                       (ec ? ec.message() : std::string("it already exists")));
  }
  std::string upgrade;
  std::string downgrade;
  if (merge) {
    upgrade = "-- Merge revision: a merge has nothing to do.\n";
    downgrade = upgrade;
  } else {
    const std::string message = OneLine(rev.message);
    upgrade = message.empty() ? "-- Write the forward SQL here.\n"
                              : "-- " + message + ": write the forward SQL here.\n";
    downgrade = "-- retort refuses to apply revision " + rev.id +
                " until this file holds the real inverse of upgrade.sql.\n";
  }
  try {
    WriteNewFile(folder / "migration.yaml", yaml);
    WriteNewFile(folder / "upgrade.sql", upgrade);
    WriteNewFile(folder / "downgrade.sql", downgrade);
  } catch (...) {
    fs::remove_all(folder, ec);  // no half-written revision left behind
    throw;
  }
  return folder.string();
}

std::string NowCreateDate() {
  return FormatCreateDate(std::chrono::system_clock::now());
}

std::string FormatCreateDate(std::chrono::system_clock::time_point time) {
  using std::chrono::duration_cast;
  using std::chrono::microseconds;
  using std::chrono::seconds;
  const auto since_epoch = time.time_since_epoch();
  auto whole = duration_cast<seconds>(since_epoch);
  long micros = static_cast<long>(duration_cast<microseconds>(since_epoch - whole).count());
  if (micros < 0) {  // before 1970: floor, as Python does
    whole -= seconds(1);
    micros += 1000000;
  }
  std::time_t t = static_cast<std::time_t>(whole.count());
  std::tm local{};
  localtime_r(&t, &local);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &local);
  std::string out = buf;
  if (micros != 0) {
    char frac[32];  // room for any long: GCC cannot see micros < 10^6 under ASan
    std::snprintf(frac, sizeof frac, ".%06ld", micros);
    out += frac;
  }
  return out;
}

}  // namespace retort
