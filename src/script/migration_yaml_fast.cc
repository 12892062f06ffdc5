// The fast path for migration.yaml. `retort heads` on 10,000 revisions is
// mostly reading 10,000 small YAML files, and a general YAML parser spends
// ~10-40 µs on each (yaml-cpp, libyaml: allocation-heavy). The files retort
// writes, and nearly all people write, use a tiny subset: one `key: value`
// per line, values plain, quoted without escapes, or `[a, b]` lists. This
// recogniser reads exactly that subset and declines everything else (block
// lists, escapes, multi-line values, anything unusual), so ParseMigrationYaml
// — the real YAML parser, which also words every error — reads those files.
// It declines rather than guesses: for every text it accepts, the result is
// the one ParseMigrationYaml gives (script_directory_test.cc checks a corpus).
#include "retort/script/migration_yaml_fast.h"

#include <algorithm>
#include <string_view>

#include "retort/script/script_directory.h"

namespace retort {
namespace {

using Text = std::string_view;

struct Value {
  enum class Kind { kNull, kScalar, kList };
  Kind kind = Kind::kNull;
  Text text;                      ///< kScalar (a view into the document)
  bool plain = false;             ///< kScalar written without quotes
  std::vector<std::string> items; ///< kList
};

bool IsSpace(char c) { return c == ' '; }

/// Characters a plain scalar may hold here. Everything YAML treats specially
/// somewhere in a plain scalar is left out, except ':' and '-' inside it.
bool PlainChar(char c) {
  const unsigned char u = static_cast<unsigned char>(c);
  if (u >= 0x80) return true;  // UTF-8 text (already validated by the reader)
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case ' ': case '_': case '.': case '-': case ':': case '/': case '(': case ')': case '=': case '+':
    case ';': case '$': case '^': case '<': case '~': case '?':
      return true;
    default:
      return false;
  }
}

/// A plain scalar as written; false if YAML could read it any other way.
bool ParsePlain(Text s, Text& out) {
  if (s.empty()) return false;
  const char first = s.front();
  if (first == '-' || first == '?' || first == ':' || first == ' ' || first == '~' || first == '<') {
    return s == "~" ? (out = s, true) : false;
  }
  if (s.back() == ' ' || s.back() == ':') return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!PlainChar(s[i])) return false;
    if (s[i] == ':' && i + 1 < s.size() && s[i + 1] == ' ') return false;  // "a: b" is a mapping
    if (s[i] == ' ' && i + 1 < s.size() && s[i + 1] == ' ') return false;  // folding would change it
  }
  out = s;
  return true;
}

/// A quoted scalar without escapes ("..." with no '\' or '"', '...' with no ''').
bool ParseQuoted(Text s, Text& out) {
  if (s.size() < 2) return false;
  const char q = s.front();
  if ((q != '"' && q != '\'') || s.back() != q) return false;
  const Text inner = s.substr(1, s.size() - 2);
  for (char c : inner) {
    if (c == q || c == '\\' || static_cast<unsigned char>(c) < 0x20) return false;
  }
  // A quoted scalar keeps leading/trailing spaces, but runs of spaces at a
  // line fold are not an issue on one line; still decline doubled spaces to
  // keep the subset obviously safe.
  if (inner.find("  ") != Text::npos) return false;
  out = inner;
  return true;
}

bool ParseScalar(Text s, Value& v) {
  if (s.empty() || s == "null" || s == "Null" || s == "NULL" || s == "~") {
    v.kind = Value::Kind::kNull;
    return true;
  }
  v.kind = Value::Kind::kScalar;
  if (s.front() == '"' || s.front() == '\'') return ParseQuoted(s, v.text);
  v.plain = true;
  return ParsePlain(s, v.text);
}

/// "[a, b]" with plain or quoted items; "[]" is an empty list.
bool ParseList(Text s, Value& v) {
  if (s.size() < 2 || s.front() != '[' || s.back() != ']') return false;
  v.kind = Value::Kind::kList;
  Text inner = s.substr(1, s.size() - 2);
  if (inner.find_first_not_of(' ') == Text::npos) return true;
  size_t start = 0;
  for (;;) {
    size_t comma = inner.find(',', start);
    Text item = inner.substr(start, comma == Text::npos ? Text::npos : comma - start);
    size_t b = item.find_first_not_of(' '), e = item.find_last_not_of(' ');
    if (b == Text::npos) return false;
    item = item.substr(b, e - b + 1);
    Value one;
    if (!ParseScalar(item, one) || one.kind != Value::Kind::kScalar) return false;
    for (char c : one.text) {
      if (c == ' ' || c == ':') return false;  // keep list items to ids and labels
    }
    v.items.emplace_back(one.text);
    if (comma == Text::npos) break;
    start = comma + 1;
  }
  return true;
}

/// Removes a trailing " # comment" outside quotes; false if the line has a
/// '#' anywhere it could mean something else.
bool StripComment(Text& s) {
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quote) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '"' || c == '\'') {
      if (i == 0 || s[i - 1] == ' ' || s[i - 1] == '[' || s[i - 1] == ',') quote = c;
      continue;
    }
    if (c == '#') {
      if (i == 0 || !IsSpace(s[i - 1])) return false;
      s = s.substr(0, i);
      break;
    }
  }
  if (quote) return false;
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return true;
}

bool ParseValue(Text s, Value& v) {
  if (!StripComment(s)) return false;
  size_t b = s.find_first_not_of(' ');
  s = b == Text::npos ? Text() : s.substr(b);
  if (!s.empty() && s.front() == '[') return ParseList(s, v);
  if (!s.empty() && (s.front() == '{' || s.front() == '|' || s.front() == '>' || s.front() == '&' ||
                     s.front() == '*' || s.front() == '!' || s.front() == '%' || s.front() == '@' ||
                     s.front() == '`')) {
    return false;
  }
  return ParseScalar(s, v);
}

/// The value as a list, its items moved out.
std::vector<std::string> TakeList(Value& v) {
  if (v.kind == Value::Kind::kScalar) return {std::string(v.text)};
  return std::move(v.items);
}

bool ValidParent(const std::string& ref) {
  return !ref.empty() && ref.find_first_of("@-+: \t\r\n,") == std::string::npos;
}

bool ValidLabel(const std::string& r) {
  return !r.empty() && std::all_of(r.begin(), r.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.';
  });
}

/// No repeats, and (when `self` is set) not the revision itself.
bool DistinctRefs(const std::vector<std::string>& refs, const std::string* self) {
  for (size_t i = 0; i < refs.size(); ++i) {
    if (self != nullptr && refs[i] == *self) return false;
    for (size_t j = 0; j < i; ++j) {
      if (refs[i] == refs[j]) return false;
    }
  }
  return true;
}

}  // namespace

std::optional<Script> ParseMigrationYamlFast(const std::string& path, const std::string& text) {
  // Only plain "\n"-separated text with space indentation; no BOM, CR, tab or NUL.
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) return std::nullopt;
  for (char c : text) {
    if (c == '\r' || c == '\t' || c == '\0') return std::nullopt;
  }
  Script script;
  script.metadata_path = path;
  Revision& rev = script.revision;
  rev.source = path;
  Text seen[8];
  size_t seen_count = 0;
  bool in_isolation = false;
  const Text doc(text);
  size_t pos = 0;
  int line_no = 0;
  while (pos < doc.size()) {
    size_t nl = doc.find('\n', pos);
    Text line = doc.substr(pos, nl == Text::npos ? Text::npos : nl - pos);
    pos = nl == Text::npos ? doc.size() : nl + 1;
    ++line_no;
    const size_t first = line.find_first_not_of(' ');
    if (first == Text::npos) continue;               // blank
    if (line[first] == '#') continue;                 // comment line
    if (line == "---" || line == "...") return std::nullopt;
    if (first == 2 && in_isolation) {
      // "  table: INSERT ..." (one fixture per line)
      size_t colon = line.find(": ", 2);
      if (colon == Text::npos) return std::nullopt;
      const std::string table(line.substr(2, colon - 2));
      if (!ValidLabel(table)) return std::nullopt;
      Value v;
      if (!ParseValue(line.substr(colon + 2), v) || v.kind != Value::Kind::kScalar) return std::nullopt;
      if (v.text.find_first_not_of(' ') == Text::npos) return std::nullopt;
      if (!script.isolation.emplace(table, std::string(v.text)).second) return std::nullopt;
      continue;
    }
    if (first != 0) return std::nullopt;
    in_isolation = false;
    size_t colon = line.find(':');
    if (colon == Text::npos || colon == 0) return std::nullopt;
    const Text key = line.substr(0, colon);
    for (size_t i = 0; i < seen_count; ++i) {
      if (seen[i] == key) return std::nullopt;
    }
    if (seen_count == 8) return std::nullopt;
    seen[seen_count++] = key;
    const Text rest = line.substr(colon + 1);
    if (!rest.empty() && rest.front() != ' ') return std::nullopt;
    if (key == "isolation") {
      Text r = rest;
      if (!StripComment(r) || r.find_first_not_of(' ') != Text::npos) return std::nullopt;
      in_isolation = true;
      script.isolation_line = line_no;
      continue;
    }
    Value v;
    if (!ParseValue(rest, v)) return std::nullopt;
    if (key == "revision") {
      if (v.kind != Value::Kind::kScalar) return std::nullopt;
      rev.id = std::string(v.text);
      rev.line = line_no;
    } else if (key == "down_revision") {
      rev.down_revisions = TakeList(v);
      if (!std::all_of(rev.down_revisions.begin(), rev.down_revisions.end(), ValidParent)) return std::nullopt;
      rev.down_revision_line = line_no;
    } else if (key == "branch_labels" || key == "depends_on") {
      std::vector<std::string> list = TakeList(v);
      if (!std::all_of(list.begin(), list.end(), ValidLabel)) return std::nullopt;
      (key == "branch_labels" ? rev.branch_labels : rev.depends_on) = std::move(list);
      (key == "branch_labels" ? rev.branch_labels_line : rev.depends_on_line) = line_no;
    } else if (key == "message" || key == "create_date") {
      if (v.kind == Value::Kind::kList) return std::nullopt;
      (key == "message" ? rev.message : rev.create_date) =
          v.kind == Value::Kind::kNull ? std::string() : std::string(v.text);
    } else if (key == "transactional") {
      if (v.kind != Value::Kind::kScalar || !v.plain || (v.text != "true" && v.text != "false")) {
        return std::nullopt;
      }
      script.transactional = v.text == "true";
    } else {
      return std::nullopt;  // unknown key: the YAML parser names it
    }
  }
  if (in_isolation && script.isolation.empty()) return std::nullopt;  // "isolation:" alone is null
  bool has_revision = false, has_down = false;
  for (size_t i = 0; i < seen_count; ++i) {
    has_revision = has_revision || seen[i] == "revision";
    has_down = has_down || seen[i] == "down_revision";
  }
  if (!has_revision || !has_down || RevisionIdProblem(rev.id)) return std::nullopt;
  if (!DistinctRefs(rev.down_revisions, &rev.id) || !DistinctRefs(rev.branch_labels, nullptr) ||
      !DistinctRefs(rev.depends_on, &rev.id)) {
    return std::nullopt;
  }
  return script;
}

}  // namespace retort
