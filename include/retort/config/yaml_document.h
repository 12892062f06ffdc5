#pragma once
// yaml-cpp helpers shared by the two loaders that may use yaml-cpp
// (src/config and src/script). Include this header from nowhere else.
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <set>
#include <string>
#include <vector>

#include "retort/common/error.h"

namespace retort {

/// One YAML file parsed for a loader, with every check yaml-cpp 0.7 leaves
/// to its caller (duplicate keys, several documents, unterminated quotes,
/// byte-based columns, its "bad file" message for deep nesting). All
/// errors are ProjectError "<shown>:<line>:<column>: ..." (1-based,
/// columns in characters).
class YamlDocument {
 public:
  /// One `key: value` pair of a mapping.
  struct Entry {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
  };

  /// Checks the text (NUL bytes, UTF-8) and parses exactly one document.
  YamlDocument(std::string shown, std::string text);

  const YAML::Node& root() const { return root_; }
  const std::string& shown() const { return shown_; }

  /// 1-based line of `node` (1 when yaml-cpp gives it no mark).
  int Line(const YAML::Node& node) const;
  /// 1-based column of `node`, in characters.
  int Column(const YAML::Node& node) const;
  /// "<shown>:<line>:<column>" of `node`.
  std::string Where(const YAML::Node& node) const;
  /// Where an entry's problem is reported: the value, or the key when the
  /// value is null (yaml-cpp marks an empty value at the next line).
  std::string Where(const Entry& entry) const;

  /// The entries of a mapping in file order. Rejects a non-mapping
  /// ("<what> must be a mapping, not a list"), non-scalar keys and keys
  /// given twice.
  std::vector<Entry> MapEntries(const YAML::Node& map,
                                const std::string& what) const;
  /// Rejects the first entry whose key is not in `known` ("unknown key 'x'
  /// in <what>"), hinting the closest known key when it looks like a typo.
  void CheckKnownKeys(const std::vector<Entry>& entries,
                      const std::vector<std::string>& known,
                      const std::string& what) const;

  /// The text of a scalar ("<name> must be a string, not a list"); null is
  /// an error too. Scalars are taken as written, so `revision: 0123` stays
  /// "0123".
  std::string String(const Entry& entry, const std::string& name) const;
  /// The text of a scalar list element.
  std::string String(const YAML::Node& node, const std::string& name) const;
  /// One string of a StringList, with where it was written.
  struct Item {
    std::string text;
    std::string where;
  };
  /// A scalar or a list of scalars; null gives an empty list.
  std::vector<Item> StringList(const Entry& entry,
                               const std::string& name) const;
  /// A plain `true`/`false` (YAML 1.1 spellings as yaml-cpp reads them).
  bool Bool(const Entry& entry, const std::string& name) const;

  /// "a list", "a mapping", "null" or "a string": for "must be ..., not ...".
  static std::string KindOf(const YAML::Node& node);

 private:
  /// Refuses a scalar that yaml-cpp 0.7 accepted although its quote never
  /// closes (it swallows the rest of the file into the string).
  void CheckQuotedScalar(const YAML::Node& node) const;
  /// CheckQuotedScalar on every scalar of the tree, before any key is read.
  void CheckQuotes(const YAML::Node& node, std::set<int>& visited) const;
  std::string ScalarText(const YAML::Node& node, const std::string& name,
                         const std::string& where) const;

  std::string shown_;
  std::string text_;
  YAML::Node root_;
};

/// The candidate closest to `word` (optimal string alignment distance)
/// when it is close enough to be a typo of it, else "".
std::string ClosestMatch(const std::string& word,
                         const std::vector<std::string>& candidates);

}  // namespace retort
