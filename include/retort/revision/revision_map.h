#pragma once
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "retort/revision/branch_labels.h"
#include "retort/revision/revision.h"
#include "retort/revision/revision_error.h"

namespace retort {

/// A reference to a node of the graph: an index into RevisionMap::nodes(), or
/// one of two sentinels that Alembic's traversal distinguishes.
using RevRef = int;
inline constexpr RevRef kNoRev = -1;    ///< Alembic's None: "base", nothing
inline constexpr RevRef kBaseMark = -2; ///< the string "base" that _walk returns below a root

/// A revision with its resolved edges. Index vectors keep declaration order
/// (children in the lexical order of their folders), which is the order
/// retort uses wherever Alembic's result depends on set or listing order.
struct RevisionNode {
  explicit RevisionNode(const Revision& r) : rev(r) {}

  const Revision& rev;  ///< owned by the map or, for a project, by its Script
  std::vector<int> versioned_down;   ///< down_revision
  std::vector<int> resolved_deps;    ///< depends_on resolved to revisions
  std::vector<int> normalized_deps;  ///< resolved_deps minus those an ancestor already has
  std::vector<int> all_down;         ///< versioned_down + resolved_deps
  std::vector<int> normalized_down;  ///< versioned_down + normalized_deps
  std::vector<int> nextrev;          ///< children by down_revision
  std::vector<int> all_nextrev;      ///< children by down_revision or depends_on
  /// Declared + propagated, first-seen order; shared with the other nodes
  /// that carry the same labels.
  std::shared_ptr<const BranchLabels> labels = BranchLabels::Empty();

  const std::vector<std::string>& branch_labels() const { return labels->names; }

  bool is_head() const { return nextrev.empty(); }
  bool is_real_head() const { return all_nextrev.empty(); }
  bool is_base() const { return rev.down_revisions.empty(); }
  bool is_real_base() const { return rev.down_revisions.empty() && rev.depends_on.empty(); }
  bool is_branch_point() const { return nextrev.size() > 1; }
  bool is_real_branch_point() const { return all_nextrev.size() > 1; }
  bool is_merge_point() const { return versioned_down.size() > 1; }
  bool HasLabel(const std::string& label) const;
};

/// The revision graph: Alembic's RevisionMap (alembic/script/revision.py)
/// re-implemented over indices. Construction validates the graph and throws
/// a ProjectError naming file and line (duplicate id, unknown down_revision,
/// unknown depends_on, branch label reused, cycle).
class RevisionMap {
 public:
  explicit RevisionMap(std::vector<Revision> revisions);
  /// The graph of revisions stored elsewhere (a project's Scripts), without
  /// copying them: they must stay where they are while the map lives.
  explicit RevisionMap(const std::vector<const Revision*>& revisions);
  // Nodes refer to the revisions: a copy would refer to the original's.
  RevisionMap(const RevisionMap&) = delete;
  RevisionMap& operator=(const RevisionMap&) = delete;

  const std::vector<RevisionNode>& nodes() const { return nodes_; }
  const RevisionNode& node(int i) const { return nodes_[i]; }
  const std::string& id(int i) const { return nodes_[i].rev.id; }
  size_t size() const { return nodes_.size(); }

  /// Heads by down_revision only, in declaration order (Alembic's `heads`).
  const std::vector<int>& heads() const { return heads_; }
  /// Revisions nothing refers to, dependencies included (`_real_heads`).
  const std::vector<int>& real_heads() const { return real_heads_; }
  const std::vector<int>& bases() const { return bases_; }
  const std::vector<int>& real_bases() const { return real_bases_; }

  /// Exact id or branch label (Alembic's `_revision_map[key]`).
  std::optional<int> LookupKey(const std::string& key) const;
  /// Exact revision id only.
  std::optional<int> FindId(const std::string& id) const;

  // --- identifier resolution (Alembic's public RevisionMap API) ------------
  /// `get_revisions(id)`: "head", "heads", "base", "label@head", partial ids,
  /// "-N" (walk down from heads). Elements may be kNoRev / kBaseMark.
  std::vector<RevRef> GetRevisions(const std::optional<std::string>& id) const;
  std::vector<RevRef> GetRevisions(const std::vector<std::string>& ids) const;
  /// `get_revision(id)`: exactly one (or kNoRev for base); MultipleHeads if several.
  RevRef GetRevision(const std::optional<std::string>& id) const;
  /// `get_current_head(branch_label)`.
  std::optional<int> GetCurrentHead(const std::optional<std::string>& branch_label) const;
  /// `_resolve_revision_number`: (ids, branch label) for a symbolic name.
  std::pair<std::vector<std::string>, std::optional<std::string>> ResolveRevisionNumber(
      const std::optional<std::string>& id) const;
  /// `_revision_for_ident`; an empty `resolved_id` means base (returns kNoRev).
  RevRef RevisionForIdent(const std::string& resolved_id,
                          const std::optional<std::string>& check_branch = std::nullopt) const;
  /// `_resolve_branch`.
  int ResolveBranch(const std::string& branch_label) const;
  /// `filter_for_lineage`.
  std::vector<int> FilterForLineage(const std::vector<int>& targets,
                                    const std::optional<std::string>& check_against,
                                    bool include_dependencies = false) const;
  /// `_shares_lineage` against already resolved revisions.
  bool SharesLineage(int target, const std::vector<int>& test_against,
                     bool include_dependencies = false) const;
  /// `_walk`: steps > 0 walks up, < 0 down. Returns kNoRev when it walks off
  /// the graph and no_overwalk, kBaseMark below a root.
  RevRef Walk(RevRef start, int steps, const std::optional<std::string>& branch_label = std::nullopt,
              bool no_overwalk = true) const;
  /// `_get_all_current`: the heads implied by the rows of a version table.
  std::vector<int> GetAllCurrent(const std::vector<std::string>& ids) const;

  // --- reachability ---------------------------------------------------------
  /// Ancestors including the targets themselves, in Alembic's visiting order.
  /// include_dependencies follows normalized dependencies, else down_revision only.
  /// check=true raises "Requested revision X overlaps with other requested revisions Y".
  std::vector<int> Ancestors(const std::vector<int>& targets, bool include_dependencies = true,
                             bool check = false) const;
  /// Descendants including the targets; include_dependencies follows dependents.
  std::vector<int> Descendants(const std::vector<int>& targets, bool include_dependencies = true,
                               bool check = false) const;
  /// Position in an order where every revision comes after its down
  /// revisions and dependencies (lets reachability searches stop early).
  int rank(int node) const { return rank_[static_cast<size_t>(node)]; }

  /// Same as the vector forms, as a membership mask over nodes().
  std::vector<char> AncestorMask(const std::vector<int>& targets, bool include_dependencies = true) const;
  std::vector<char> DescendantMask(const std::vector<int>& targets, bool include_dependencies = true) const;

 private:
  enum class Edge { kVersionedDown, kNormalizedDown, kAllDown, kNext, kAllNext };
  std::vector<int> Iterate(const std::vector<int>& targets, Edge edge, bool check) const;
  const std::vector<int>& EdgesOf(int i, Edge edge) const;
  void Build(const std::vector<const Revision*>& revisions);
  void Validate();
  void ResolveEdges();
  void NormalizeDependencies();
  /// Every node, parents (by down_revision) before children.
  std::vector<int> TopologicalOrder() const;
  void RankNodes();
  void DetectCycles();
  void PropagateBranchLabels();
  std::string Where(const Revision& r, int line) const;

  std::vector<Revision> owned_;  ///< the revisions, unless they are borrowed
  std::vector<RevisionNode> nodes_;
  std::unordered_map<std::string, int> ids_;
  std::unordered_map<std::string, int> labels_;  ///< declared label -> declaring node
  std::vector<std::string> keys_;                ///< ids then labels (partial-id scan order)
  std::vector<int> heads_, real_heads_, bases_, real_bases_;
  std::vector<int> rank_;
};

}  // namespace retort
