// Graph construction and reachability. The behaviour follows Alembic's
// RevisionMap (alembic/script/revision.py, 1.8): where Alembic iterates a
// Python set, retort uses declaration order so that results are stable.
#include "retort/revision/revision_map.h"

#include <algorithm>
#include <cstdint>

#include "retort/common/error.h"
#include "retort/common/text.h"

namespace retort {

bool RevisionNode::HasLabel(const std::string& label) const {
  const std::vector<std::string>& names = labels->names;
  return std::find(names.begin(), names.end(), label) != names.end();
}

namespace {

void AddUnique(std::vector<int>& v, int x) {
  if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
}

}  // namespace

RevisionMap::RevisionMap(std::vector<Revision> revisions) : owned_(std::move(revisions)) {
  std::vector<const Revision*> borrowed;
  borrowed.reserve(owned_.size());
  for (const Revision& r : owned_) borrowed.push_back(&r);
  Build(borrowed);
}

RevisionMap::RevisionMap(const std::vector<const Revision*>& revisions) { Build(revisions); }

void RevisionMap::Build(const std::vector<const Revision*>& revisions) {
  nodes_.reserve(revisions.size());
  for (const Revision* r : revisions) nodes_.emplace_back(*r);
  Validate();
  ResolveEdges();
  DetectCycles();  // before anything that needs a topological order
  NormalizeDependencies();
  PropagateBranchLabels();
  RankNodes();
}

std::string RevisionMap::Where(const Revision& r, int line) const {
  if (r.source.empty()) return "revision " + r.id + ": ";
  if (line <= 0) line = r.line;
  return r.source + (line > 0 ? ":" + std::to_string(line) : std::string()) + ": ";
}

void RevisionMap::Validate() {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const Revision& r = nodes_[i].rev;
    for (const std::string& d : r.down_revisions) {
      if (d == r.id) {
        throw ProjectError(Where(r, r.down_revision_line) + "Self-loop is detected in revisions (" +
                           r.id + ")");
      }
    }
    for (const std::string& d : r.depends_on) {
      if (d == r.id) {
        throw ProjectError(Where(r, r.depends_on_line) +
                           "Dependency self-loop is detected in revisions (" + r.id + ")");
      }
    }
    auto [it, inserted] = ids_.emplace(r.id, static_cast<int>(i));
    if (!inserted) {
      const Revision& other = nodes_[it->second].rev;
      throw ProjectError(Where(r, r.line) + "revision id '" + r.id + "' is already used by " +
                         (other.source.empty() ? "another revision" : other.source));
    }
    keys_.push_back(r.id);
  }
  // Branch labels share one namespace with revision ids (Alembic maps both).
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const Revision& r = nodes_[i].rev;
    for (const std::string& label : r.branch_labels) {
      int owner = -1;
      if (auto it = ids_.find(label); it != ids_.end()) owner = it->second;
      if (auto it = labels_.find(label); it != labels_.end()) owner = it->second;
      if (owner >= 0) {
        throw ProjectError(Where(r, r.branch_labels_line) + "Branch name '" + label +
                           "' in revision " + r.id + " already used by revision " +
                           nodes_[owner].rev.id);
      }
      labels_.emplace(label, static_cast<int>(i));
      keys_.push_back(label);
    }
  }
}

void RevisionMap::ResolveEdges() {
  const int n = static_cast<int>(nodes_.size());
  for (int i = 0; i < n; ++i) {
    RevisionNode& node = nodes_[i];
    const Revision& r = node.rev;
    for (const std::string& d : r.down_revisions) {
      auto it = ids_.find(d);
      if (it == ids_.end()) {
        std::string hint;
        if (labels_.count(d)) hint = "'" + d + "' is a branch label; down_revision takes revision ids";
        throw ProjectError(Where(r, r.down_revision_line) + "down_revision names '" + d +
                               "', which is not a revision in this script directory",
                           hint);
      }
      AddUnique(node.versioned_down, it->second);
    }
    for (const std::string& d : r.depends_on) {
      std::optional<int> target = LookupKey(d);
      if (!target) {
        throw ProjectError(Where(r, r.depends_on_line) + "depends_on names '" + d +
                           "', which is neither a revision id nor a branch label");
      }
      AddUnique(node.resolved_deps, *target);
    }
    node.all_down = node.versioned_down;
    for (int d : node.resolved_deps) AddUnique(node.all_down, d);
  }
  for (int i = 0; i < n; ++i) {
    for (int d : nodes_[i].all_down) {
      AddUnique(nodes_[d].all_nextrev, i);
      if (std::find(nodes_[i].versioned_down.begin(), nodes_[i].versioned_down.end(), d) !=
          nodes_[i].versioned_down.end()) {
        AddUnique(nodes_[d].nextrev, i);
      }
    }
  }
  for (int i = 0; i < n; ++i) {
    const RevisionNode& node = nodes_[i];
    if (node.is_head()) heads_.push_back(i);
    if (node.is_real_head()) real_heads_.push_back(i);
    if (node.is_base()) bases_.push_back(i);
    if (node.is_real_base()) real_bases_.push_back(i);
  }
}

void RevisionMap::NormalizeDependencies() {
  // A dependency already declared by a (down_revision) ancestor is dropped,
  // so the "down" edges of a revision are only the ones it adds (Alembic's
  // _normalize_depends_on). Instead of walking every ancestor of every
  // revision that has dependencies (quadratic on long chains), one pass in
  // topological order carries, per revision, the set of dependency targets
  // its ancestors declared, as a bitset over the distinct targets.
  const size_t n = nodes_.size();
  std::vector<int> target_index(n, -1);
  size_t targets = 0;
  for (const RevisionNode& node : nodes_) {
    for (int d : node.resolved_deps) {
      if (target_index[d] < 0) target_index[d] = static_cast<int>(targets++);
    }
  }
  for (RevisionNode& node : nodes_) node.normalized_down = node.versioned_down;
  if (targets == 0) return;
  const size_t words = (targets + 63) / 64;
  std::vector<std::uint64_t> inherited(n * words, 0);  // declared by proper ancestors
  for (int i : TopologicalOrder()) {
    RevisionNode& node = nodes_[i];
    std::uint64_t* mine = &inherited[static_cast<size_t>(i) * words];
    for (int d : node.resolved_deps) {
      const size_t t = static_cast<size_t>(target_index[d]);
      if (!(mine[t / 64] >> (t % 64) & 1u)) {
        node.normalized_deps.push_back(d);
        AddUnique(node.normalized_down, d);
      }
    }
    for (int child : node.nextrev) {
      std::uint64_t* theirs = &inherited[static_cast<size_t>(child) * words];
      for (size_t w = 0; w < words; ++w) theirs[w] |= mine[w];
      for (int d : node.resolved_deps) {
        const size_t t = static_cast<size_t>(target_index[d]);
        theirs[t / 64] |= std::uint64_t{1} << (t % 64);
      }
    }
  }
}

void RevisionMap::RankNodes() {
  // Kahn's algorithm over down_revision and depends_on edges.
  const size_t n = nodes_.size();
  std::vector<int> pending(n, 0);
  std::vector<int> order;
  order.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    pending[i] = static_cast<int>(nodes_[i].all_down.size());
    if (pending[i] == 0) order.push_back(static_cast<int>(i));
  }
  for (size_t k = 0; k < order.size(); ++k) {
    for (int child : nodes_[order[k]].all_nextrev) {
      if (--pending[child] == 0) order.push_back(child);
    }
  }
  rank_.assign(n, 0);
  for (size_t k = 0; k < order.size(); ++k) rank_[order[k]] = static_cast<int>(k);
}

std::vector<int> RevisionMap::TopologicalOrder() const {
  // Kahn's algorithm over down_revision edges: parents before children.
  std::vector<int> pending(nodes_.size(), 0);
  std::vector<int> order;
  order.reserve(nodes_.size());
  for (size_t i = 0; i < nodes_.size(); ++i) {
    pending[i] = static_cast<int>(nodes_[i].versioned_down.size());
    if (pending[i] == 0) order.push_back(static_cast<int>(i));
  }
  for (size_t k = 0; k < order.size(); ++k) {
    for (int child : nodes_[order[k]].nextrev) {
      if (--pending[child] == 0) order.push_back(child);
    }
  }
  return order;
}

void RevisionMap::DetectCycles() {
  if (nodes_.empty()) return;
  auto fail = [&](const char* kind, std::vector<std::string> ids) {
    std::sort(ids.begin(), ids.end());
    const Revision& first = nodes_[ids_.at(ids.front())].rev;
    throw ProjectError(Where(first, first.down_revision_line) + kind +
                       " is detected in revisions (" + Join(ids, ", ") + ")");
  };
  auto all_ids = [&] {
    std::vector<std::string> v;
    for (const auto& n : nodes_) v.push_back(n.rev.id);
    return v;
  };
  auto check = [&](const std::vector<int>& heads, const std::vector<int>& bases, Edge down,
                   Edge up, const char* kind) {
    if (heads.empty() || bases.empty()) fail(kind, all_ids());
    std::vector<char> from_heads(nodes_.size(), 0), from_bases(nodes_.size(), 0);
    for (int i : Iterate(heads, down, false)) from_heads[i] = 1;
    for (int i : Iterate(bases, up, false)) from_bases[i] = 1;
    std::vector<std::string> outside;
    for (size_t i = 0; i < nodes_.size(); ++i) {
      if (!(from_heads[i] && from_bases[i])) outside.push_back(nodes_[i].rev.id);
    }
    if (!outside.empty()) fail(kind, outside);
  };
  check(heads_, bases_, Edge::kVersionedDown, Edge::kNext, "Cycle");
  check(real_heads_, real_bases_, Edge::kAllDown, Edge::kAllNext, "Dependency cycle");
}

void RevisionMap::PropagateBranchLabels() {
  // Alembic's _add_branches: a label covers every descendant of the revision
  // that declares it, then runs down from the last descendant visited until a
  // branch point or merge point, so an unbranched line shares one label.
  // Each node records which declaring revisions cover it, in index order
  // (the order its list keeps); the lists are built once per distinct
  // combination instead of copying label strings into every node.
  // `stamp` marks the nodes that already got the current revision's labels
  // (labels are unique to one revision, so no other check is needed).
  const size_t n = nodes_.size();
  BranchLabelSets sets(n);
  std::vector<int> stamp(n, -1);
  std::vector<int> todo;
  for (size_t i = 0; i < n; ++i) {
    if (nodes_[i].rev.branch_labels.empty()) continue;
    const int group = static_cast<int>(i);
    auto give = [&](int node) {
      if (stamp[node] == group) return;
      stamp[node] = group;
      sets.Add(node, group);
    };
    // Same visiting order as Iterate(..., kNext): depth first, last child first.
    int last = group;
    todo.assign(1, group);
    while (!todo.empty()) {
      int r = todo.back();
      todo.pop_back();
      if (stamp[r] == group) continue;
      give(r);
      last = r;
      for (int next : nodes_[r].nextrev) todo.push_back(next);
    }
    int parent = last;
    while (!nodes_[parent].is_real_branch_point() && !nodes_[parent].is_merge_point()) {
      give(parent);
      if (nodes_[parent].versioned_down.empty()) break;
      parent = nodes_[parent].versioned_down.front();
    }
  }
  std::vector<std::shared_ptr<const BranchLabels>> lists = sets.Build(
      [&](int group) -> const std::vector<std::string>& { return nodes_[group].rev.branch_labels; });
  for (size_t i = 0; i < n; ++i) nodes_[i].labels = std::move(lists[i]);
}

std::optional<int> RevisionMap::LookupKey(const std::string& key) const {
  if (auto it = ids_.find(key); it != ids_.end()) return it->second;
  if (auto it = labels_.find(key); it != labels_.end()) return it->second;
  return std::nullopt;
}

std::optional<int> RevisionMap::FindId(const std::string& id) const {
  if (auto it = ids_.find(id); it != ids_.end()) return it->second;
  return std::nullopt;
}

const std::vector<int>& RevisionMap::EdgesOf(int i, Edge edge) const {
  const RevisionNode& n = nodes_[i];
  switch (edge) {
    case Edge::kVersionedDown: return n.versioned_down;
    case Edge::kNormalizedDown: return n.normalized_down;
    case Edge::kAllDown: return n.all_down;
    case Edge::kNext: return n.nextrev;
    case Edge::kAllNext: return n.all_nextrev;
  }
  return n.versioned_down;
}

std::vector<int> RevisionMap::Iterate(const std::vector<int>& targets, Edge edge,
                                      bool check) const {
  // Depth-first with an explicit stack, visiting in the same order as
  // Alembic's _iterate_related_revisions; `check` reports a target reached
  // from another target.
  std::vector<int> out;
  std::vector<char> seen(nodes_.size(), 0);
  std::vector<char> is_target;
  if (check) {
    is_target.assign(nodes_.size(), 0);
    for (int t : targets) is_target[t] = 1;
  }
  std::vector<int> todo;
  for (int target : targets) {
    todo.push_back(target);
    std::vector<int> overlaps;
    while (!todo.empty()) {
      int rev = todo.back();
      todo.pop_back();
      if (check && is_target[rev] && rev != target) AddUnique(overlaps, rev);
      if (seen[rev]) continue;
      seen[rev] = 1;
      for (int next : EdgesOf(rev, edge)) todo.push_back(next);
      out.push_back(rev);
    }
    if (!overlaps.empty()) {
      std::vector<std::string> names;
      for (int o : overlaps) names.push_back(nodes_[o].rev.id);
      throw RevisionError("Requested revision " + nodes_[target].rev.id +
                          " overlaps with other requested revisions " + Join(names, ", "));
    }
  }
  return out;
}

std::vector<int> RevisionMap::Ancestors(const std::vector<int>& targets,
                                        bool include_dependencies, bool check) const {
  return Iterate(targets, include_dependencies ? Edge::kNormalizedDown : Edge::kVersionedDown,
                 check);
}

std::vector<int> RevisionMap::Descendants(const std::vector<int>& targets,
                                          bool include_dependencies, bool check) const {
  return Iterate(targets, include_dependencies ? Edge::kAllNext : Edge::kNext, check);
}

std::vector<char> RevisionMap::AncestorMask(const std::vector<int>& targets,
                                            bool include_dependencies) const {
  std::vector<char> mask(nodes_.size(), 0);
  for (int i : Ancestors(targets, include_dependencies)) mask[i] = 1;
  return mask;
}

std::vector<char> RevisionMap::DescendantMask(const std::vector<int>& targets,
                                              bool include_dependencies) const {
  std::vector<char> mask(nodes_.size(), 0);
  for (int i : Descendants(targets, include_dependencies)) mask[i] = 1;
  return mask;
}

}  // namespace retort
