#include "retort/config/yaml_document.h"

#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <optional>
#include <set>
#include <sstream>
#include <utility>

#include "retort/config/project_file.h"

namespace retort {
namespace {

/// Records where each document of a stream starts and where its first node
/// is, and nothing else (the nodes are built by YAML::Load).
class DocumentMarks : public YAML::EventHandler {
 public:
  struct Document {
    YAML::Mark start;
    std::optional<YAML::Mark> first_node;
  };
  std::vector<Document> documents;

  void OnDocumentStart(const YAML::Mark& mark) override { documents.push_back({mark, std::nullopt}); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { Node(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { Node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t, const std::string&) override {
    Node(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    Node(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    Node(mark);
  }
  void OnMapEnd() override {}

 private:
  void Node(const YAML::Mark& mark) {
    if (!documents.empty() && !documents.back().first_node) documents.back().first_node = mark;
  }
};

/// Optimal string alignment distance: Levenshtein plus adjacent swaps, the
/// commonest typo in a key ("verison_table").
std::size_t TypoDistance(const std::string& a, const std::string& b) {
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

}  // namespace

YamlDocument::YamlDocument(std::string shown, std::string text)
    : shown_(std::move(shown)), text_(std::move(text)) {
  CheckUtf8Text(shown_, text_);
  auto where = [&](const YAML::Mark& mark) {
    if (mark.is_null()) return shown_ + ":1:1";
    return shown_ + ":" + std::to_string(mark.line + 1) + ":" +
           std::to_string(CharacterColumn(text_, mark.line, mark.column));
  };
  // Not YAML::LoadAll: yaml-cpp 0.7 never gets past a ',' outside a flow
  // collection where a document or its next node would start (",", "- a\n,",
  // "[1] ,"): LoadAll then collects empty documents until memory runs out.
  // One pass over the events stops at the second document, which is an
  // error either way; the nodes come from YAML::Load (the first document).
  DocumentMarks marks;
  try {
    std::istringstream in(text_);
    YAML::Parser parser(in);
    while (marks.documents.size() < 2 && parser.HandleNextDocument(marks)) {
    }
    if (marks.documents.size() > 1) {
      const DocumentMarks::Document& second = marks.documents[1];
      const YAML::Mark at = second.first_node.value_or(second.start);
      if (at.pos >= 0 && static_cast<std::size_t>(at.pos) < text_.size() && text_[at.pos] == ',') {
        throw ProjectError(where(at) + ": invalid YAML: unexpected ',' outside [ ] or { }",
                           "a ',' separates items only inside [ ] or { }; remove it or "
                           "put the list in brackets");
      }
      throw ProjectError(where(at) + ": more than one YAML document",
                         "remove the second '---' and what follows it");
    }
    if (!marks.documents.empty()) root_ = YAML::Load(text_);
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp 0.7 reports this as "bad file"; say what it means.
    throw ProjectError(where(e.mark) + ": YAML nesting is too deep",
                       "retort's files nest at most three levels; look for "
                       "unbalanced [ or { brackets");
  } catch (const YAML::Exception& e) {
    throw ProjectError(where(e.mark) + ": invalid YAML: " + e.msg);
  }
  std::set<int> visited;
  CheckQuotes(root_, visited);
}

void YamlDocument::CheckQuotes(const YAML::Node& node, std::set<int>& visited) const {
  if (node.IsScalar()) {
    CheckQuotedScalar(node);
    return;
  }
  if (!node.IsMap() && !node.IsSequence()) return;
  // An alias shares its anchor's mark: visiting each collection once keeps
  // "billion laughs" documents linear.
  if (!visited.insert(node.Mark().pos).second) return;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (node.IsMap()) {
      CheckQuotes(it->first, visited);
      CheckQuotes(it->second, visited);
    } else {
      CheckQuotes(*it, visited);
    }
  }
}

int YamlDocument::Line(const YAML::Node& node) const {
  YAML::Mark mark = node.Mark();
  return mark.is_null() ? 1 : mark.line + 1;
}

int YamlDocument::Column(const YAML::Node& node) const {
  YAML::Mark mark = node.Mark();
  return mark.is_null() ? 1 : CharacterColumn(text_, mark.line, mark.column);
}

std::string YamlDocument::Where(const YAML::Node& node) const {
  return shown_ + ":" + std::to_string(Line(node)) + ":" +
         std::to_string(Column(node));
}

std::string YamlDocument::Where(const Entry& entry) const {
  return Where(entry.value.IsNull() ? entry.key_node : entry.value);
}

std::vector<YamlDocument::Entry> YamlDocument::MapEntries(
    const YAML::Node& map, const std::string& what) const {
  std::vector<Entry> entries;
  if (!map.IsDefined() || map.IsNull()) return entries;
  if (!map.IsMap()) {
    throw ProjectError(Where(map) + ": " + what + " must be a mapping, not " +
                       KindOf(map));
  }
  for (auto it = map.begin(); it != map.end(); ++it) {
    // A copy: it-> returns a proxy that dies at the end of the statement.
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    if (!key.IsScalar()) {
      throw ProjectError(Where(key) + ": keys of " + what +
                         " must be plain names, not " + KindOf(key));
    }
    for (const Entry& seen : entries) {
      if (seen.key == key.Scalar()) {
        throw ProjectError(Where(key) + ": duplicate key '" + key.Scalar() +
                           "' in " + what + " (first at line " +
                           std::to_string(Line(seen.key_node)) + ")");
      }
    }
    entries.push_back(Entry{key.Scalar(), key, value});
  }
  return entries;
}

void YamlDocument::CheckKnownKeys(const std::vector<Entry>& entries,
                                  const std::vector<std::string>& known,
                                  const std::string& what) const {
  for (const Entry& entry : entries) {
    if (std::find(known.begin(), known.end(), entry.key) != known.end()) continue;
    std::string closest = ClosestMatch(entry.key, known);
    std::string hint;
    if (!closest.empty()) {
      hint = "did you mean '" + closest + "'?";
    } else {
      hint = "known keys: ";
      for (std::size_t i = 0; i < known.size(); ++i) {
        hint += (i ? ", " : "") + known[i];
      }
    }
    throw ProjectError(
        Where(entry.key_node) + ": unknown key '" + entry.key + "' in " + what,
        hint);
  }
}

std::string YamlDocument::String(const Entry& entry,
                                  const std::string& name) const {
  if (!entry.value.IsScalar()) {
    throw ProjectError(Where(entry) + ": " + name + " must be a string, not " +
                       KindOf(entry.value));
  }
  return ScalarText(entry.value, name, Where(entry));
}

std::string YamlDocument::String(const YAML::Node& node,
                                  const std::string& name) const {
  if (!node.IsScalar()) {
    throw ProjectError(Where(node) + ": " + name + " must be a string, not " +
                       KindOf(node));
  }
  return ScalarText(node, name, Where(node));
}

std::vector<YamlDocument::Item> YamlDocument::StringList(
    const Entry& entry, const std::string& name) const {
  std::vector<Item> values;
  const YAML::Node& value = entry.value;
  if (value.IsNull()) return values;
  if (value.IsScalar()) {
    values.push_back(Item{ScalarText(value, name, Where(entry)), Where(entry)});
    return values;
  }
  if (!value.IsSequence()) {
    throw ProjectError(Where(entry) + ": " + name +
                       " must be a string or a list of strings, not " +
                       KindOf(value));
  }
  for (const YAML::Node& item : value) {
    if (!item.IsScalar()) {
      throw ProjectError(Where(item) + ": each item of " + name +
                         " must be a string, not " + KindOf(item));
    }
    values.push_back(Item{ScalarText(item, name, Where(item)), Where(item)});
  }
  return values;
}

bool YamlDocument::Bool(const Entry& entry, const std::string& name) const {
  bool result = false;
  // A quoted "true" is a string: accepting it would hide a YAML mistake.
  if (entry.value.IsScalar() && entry.value.Tag() != "!" &&
      YAML::convert<bool>::decode(entry.value, result)) {
    return result;
  }
  std::string shown = entry.value.IsScalar() ? "'" + entry.value.Scalar() + "'"
                                             : KindOf(entry.value);
  throw ProjectError(Where(entry) + ": " + name + " must be true or false, not " +
                     shown);
}

std::string YamlDocument::KindOf(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Scalar:
      return "a string";
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

void YamlDocument::CheckQuotedScalar(const YAML::Node& node) const {
  YAML::Mark mark = node.Mark();
  if (mark.is_null() || mark.pos < 0 ||
      static_cast<std::size_t>(mark.pos) >= text_.size()) {
    return;
  }
  std::size_t i = static_cast<std::size_t>(mark.pos);
  const char quote = text_[i];
  if (quote != '"' && quote != '\'') return;
  for (++i; i < text_.size(); ++i) {
    if (quote == '"' && text_[i] == '\\') {
      ++i;  // an escaped character, possibly a quote
    } else if (text_[i] == quote) {
      if (quote == '\'' && i + 1 < text_.size() && text_[i + 1] == '\'') {
        ++i;  // '' is a quote inside a single-quoted string
      } else {
        return;
      }
    }
  }
  throw ProjectError(Where(node) + ": unterminated quoted string",
                     std::string("add the closing ") + quote);
}

std::string YamlDocument::ScalarText(const YAML::Node& node,
                                     const std::string& name,
                                     const std::string& where) const {
  const std::string& text = node.Scalar();
  // A "\0" escape would cut the string short wherever it meets a C API.
  if (text.find('\0') != std::string::npos) {
    throw ProjectError(where + ": " + name + " contains a NUL character");
  }
  return text;
}

std::string ClosestMatch(const std::string& word,
                         const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = 0;
  for (const std::string& candidate : candidates) {
    std::size_t distance = TypoDistance(word, candidate);
    if (best.empty() || distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  // A third of the word, at least 1 and at most 3 edits: "lock_timout" is a
  // typo of "lock_timeout", "msg" is not one of "message".
  std::size_t limit = std::clamp<std::size_t>(word.size() / 3, 1, 3);
  return best_distance <= limit ? best : std::string();
}

}  // namespace retort
