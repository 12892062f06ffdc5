#pragma once
#include <optional>
#include <string>
#include <vector>

#include "retort/revision/revision_map.h"

namespace retort {

/// An identifier argument as Alembic's traversal receives it: nothing (base),
/// one string (which may be symbolic or relative), or a tuple of ids (the
/// rows of a version table). The distinction matters: only a string can be
/// a relative target such as "-1" or "ae10+2".
struct RevArg {
  enum class Kind { kNone, kString, kTuple };
  Kind kind = Kind::kNone;
  std::string str;
  std::vector<std::string> tuple;

  static RevArg None() { return {}; }
  static RevArg Str(std::string s) {
    RevArg a;
    a.kind = Kind::kString;
    a.str = std::move(s);
    return a;
  }
  static RevArg Tuple(std::vector<std::string> v) {
    RevArg a;
    a.kind = Kind::kTuple;
    a.tuple = std::move(v);
    return a;
  }
  /// Alembic's util.to_tuple: () for None, (s,) for a string.
  std::vector<std::string> ToTuple() const;
  /// Falsy in Python: None, "" or ().
  bool Empty() const;
  /// As Python's "%s" would print it (for error messages).
  std::string Display() const;
};

/// A parsed relative target "[branch@][symbol](+N|-N)" (Alembic's
/// _relative_destination regex, matched at the start of the text).
struct RelativeTarget {
  std::optional<std::string> branch;
  std::optional<std::string> symbol;
  std::string relative;  ///< "+2", "-1" as written
  int steps = 0;
};
std::optional<RelativeTarget> ParseRelativeTarget(const std::string& text);

struct IterateOptions {
  bool implicit_base = false;
  bool inclusive = false;
  bool assert_relative_length = true;
  bool select_for_downgrade = false;
};

/// Alembic's RevisionMap.iterate_revisions(upper, lower, ...): the revisions
/// between `lower` and `upper`, newest first (topologically sorted). Throws
/// RevisionError.
std::vector<int> IterateRevisions(const RevisionMap& map, const RevArg& upper, const RevArg& lower,
                                  const IterateOptions& options);

/// Alembic's ScriptDirectory.walk_revisions(base, head): every revision from
/// `head` down to `base`, both inclusive, newest first.
std::vector<int> WalkRevisions(const RevisionMap& map, const RevArg& base, const RevArg& head);

/// Alembic's _parse_downgrade_target: (branch label, target) where the target
/// is kNoRev for base.
std::pair<std::optional<std::string>, RevRef> ParseDowngradeTarget(const RevisionMap& map,
                                                                   const RevArg& current,
                                                                   const RevArg& target,
                                                                   bool assert_relative_length);

/// Alembic's _topological_sort: `revisions` in an order where each comes
/// before its down revisions, starting from `heads`.
std::vector<int> TopologicalSort(const RevisionMap& map, const std::vector<int>& revisions,
                                 const std::vector<RevRef>& heads);

}  // namespace retort
