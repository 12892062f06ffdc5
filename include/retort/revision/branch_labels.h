#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace retort {

/// The branch labels one revision carries, declared and propagated, in
/// first-seen order. Alembic propagates a label along its whole branch, so
/// on a large graph a revision carries dozens of labels and whole lines of
/// revisions carry the same list: each distinct list is stored once and
/// shared (immutable) by the nodes that carry it.
struct BranchLabels {
  std::vector<std::string> names;
  std::string joined;  ///< names joined by ", ", as every listing prints them

  /// The shared empty list (most revisions of a graph carry no label).
  static const std::shared_ptr<const BranchLabels>& Empty();
};

/// Collects which label groups (revisions declaring labels, numbered in the
/// order their labels are added) cover each node, then builds one shared
/// list per distinct combination. A node's combination is kept as the id of
/// a path in a trie of groups, so adding a group costs one lookup instead of
/// copying strings into every node.
class BranchLabelSets {
 public:
  explicit BranchLabelSets(size_t nodes) : set_of_(nodes, 0) {}

  /// Appends `group`'s labels to `node`'s list. Per node, groups must come
  /// in increasing order (that is the order the lists keep).
  void Add(int node, int group);

  /// One list per node; `labels_of(group)` gives the labels a group declares.
  std::vector<std::shared_ptr<const BranchLabels>> Build(
      const std::function<const std::vector<std::string>&(int group)>& labels_of) const;

 private:
  struct Step {
    int parent;  ///< the combination this one extends (0: the empty one)
    int group;   ///< the group it appends
  };
  std::vector<Step> steps_{{0, -1}};            ///< combination id -> how it was built
  std::unordered_map<std::uint64_t, int> next_;  ///< (combination, group) -> combination
  std::vector<int> set_of_;                      ///< node -> combination
  std::uint64_t last_key_ = ~std::uint64_t{0};   ///< one-entry cache: a DFS repeats keys
  int last_set_ = 0;
};

}  // namespace retort
