// Identifier resolution: symbolic names, partial ids, branch labels and
// walks, following Alembic's RevisionMap (get_revisions, _walk, ...).
#include <cctype>
#include <climits>

#include "retort/common/text.h"
#include "retort/revision/revision_map.h"

namespace retort {
namespace {

/// Python truthiness of an optional label: None and "" are false.
bool Truthy(const std::optional<std::string>& s) { return s && !s->empty(); }

/// Python's int(text) for the forms that can occur in a target ("-1",
/// " +2 ", "1_0"); nullopt when int() would raise ValueError.
std::optional<long long> PythonInt(const std::string& text) {
  std::string s = Strip(text);
  size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  if (i >= s.size()) return std::nullopt;
  long long value = 0;
  bool prev_digit = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      if (value < LLONG_MAX / 100) value = value * 10 + (c - '0');
      prev_digit = true;
    } else if (c == '_' && prev_digit && i + 1 < s.size() &&
               std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
      prev_digit = false;
    } else {
      return std::nullopt;
    }
  }
  return negative ? -value : value;
}

}  // namespace

std::pair<std::vector<std::string>, std::optional<std::string>>
RevisionMap::ResolveRevisionNumber(const std::optional<std::string>& id_in) const {
  std::optional<std::string> id = id_in;
  std::optional<std::string> label;
  if (id && id->find('@') != std::string::npos) {
    size_t at = id->find('@');
    label = id->substr(0, at);
    id = id->substr(at + 1);
  }
  std::vector<std::string> out;
  if (id && *id == "heads") {
    if (Truthy(label)) {
      for (int h : FilterForLineage(heads_, label)) out.push_back(this->id(h));
    } else {
      for (int h : real_heads_) out.push_back(this->id(h));
    }
    return {out, label};
  }
  if (id && *id == "head") {
    if (std::optional<int> h = GetCurrentHead(label)) out.push_back(this->id(*h));
    return {out, label};
  }
  if (!id || *id == "base") return {out, label};
  out.push_back(*id);
  return {out, label};
}

std::optional<int> RevisionMap::GetCurrentHead(const std::optional<std::string>& label) const {
  std::vector<int> current = heads_;
  if (Truthy(label)) current = FilterForLineage(current, label);
  if (current.size() > 1) {
    std::vector<std::string> names;
    for (int h : current) names.push_back(id(h));
    throw RevisionError::MultipleHeads(names, Truthy(label) ? *label + "@head" : "head");
  }
  if (current.empty()) return std::nullopt;
  return current.front();
}

std::vector<RevRef> RevisionMap::GetRevisions(const std::optional<std::string>& id) const {
  auto [resolved, label] = ResolveRevisionNumber(id);
  if (resolved.size() == 1) {
    std::optional<long long> steps = PythonInt(resolved[0]);
    if (steps && *steps < 0) {
      // "branch@-n": walk down n from each head (of that branch).
      std::vector<RevRef> select_heads = GetRevisions(std::optional<std::string>("heads"));
      std::vector<RevRef> out;
      for (RevRef h : select_heads) {
        if (label && !nodes_[h].HasLabel(*label)) continue;
        int n = *steps < INT_MIN / 2 ? INT_MIN / 2 : static_cast<int>(*steps);
        out.push_back(Walk(h, n));
      }
      return out;
    }
  }
  std::vector<RevRef> out;
  for (const std::string& r : resolved) out.push_back(RevisionForIdent(r, label));
  return out;
}

std::vector<RevRef> RevisionMap::GetRevisions(const std::vector<std::string>& ids) const {
  std::vector<RevRef> out;
  for (const std::string& i : ids) {
    std::vector<RevRef> one = GetRevisions(std::optional<std::string>(i));
    out.insert(out.end(), one.begin(), one.end());
  }
  return out;
}

RevRef RevisionMap::GetRevision(const std::optional<std::string>& id) const {
  auto [resolved, label] = ResolveRevisionNumber(id);
  if (resolved.size() > 1) throw RevisionError::MultipleHeads(resolved, id.value_or(""));
  return RevisionForIdent(resolved.empty() ? std::string() : resolved[0], label);
}

int RevisionMap::ResolveBranch(const std::string& branch_label) const {
  if (std::optional<int> r = LookupKey(branch_label)) return *r;
  try {
    RevRef r = RevisionForIdent(branch_label);
    return r;
  } catch (const RevisionError& e) {
    if (e.kind() != RevisionError::Kind::kResolution) throw;
    throw RevisionError::Resolution("No such branch: '" + branch_label + "'", branch_label);
  }
}

RevRef RevisionMap::RevisionForIdent(const std::string& resolved_id,
                                     const std::optional<std::string>& check_branch) const {
  int branch_rev = kNoRev;
  if (Truthy(check_branch)) branch_rev = ResolveBranch(*check_branch);
  if (resolved_id.empty()) return kNoRev;  // base

  RevRef revision = kNoRev;
  if (std::optional<int> exact = LookupKey(resolved_id)) {
    revision = *exact;
  } else {
    // Partial id: every key (ids, then labels) longer than 3 characters
    // that starts with the text.
    std::vector<std::string> candidates;
    for (const std::string& key : keys_) {
      if (key.size() > 3 && StartsWith(key, resolved_id)) candidates.push_back(key);
    }
    if (branch_rev != kNoRev && !candidates.empty()) {
      std::vector<int> as_nodes;
      for (const std::string& key : candidates) as_nodes.push_back(*LookupKey(key));
      std::vector<std::string> kept;
      for (size_t i = 0; i < candidates.size(); ++i) {
        if (!FilterForLineage({as_nodes[i]}, check_branch).empty()) kept.push_back(candidates[i]);
      }
      candidates = kept;
    }
    if (candidates.empty()) {
      throw RevisionError::Resolution(
          "No such revision or branch '" + resolved_id + "'" +
              (resolved_id.size() < 4 ? "; please ensure at least four characters are present "
                                        "for partial revision identifier matches"
                                      : ""),
          resolved_id);
    }
    if (candidates.size() > 1) {
      std::vector<std::string> quoted;
      for (size_t i = 0; i < candidates.size() && i < 3; ++i) quoted.push_back("'" + candidates[i] + "'");
      throw RevisionError::Resolution(
          "Multiple revisions start with '" + resolved_id + "': " + Join(quoted, ", ") + "...",
          resolved_id);
    }
    revision = *LookupKey(candidates.front());
  }
  if (Truthy(check_branch) && revision != kNoRev && !SharesLineage(revision, {branch_rev})) {
    throw RevisionError::Resolution(
        "Revision " + id(revision) + " is not a member of branch '" + *check_branch + "'",
        resolved_id);
  }
  return revision;
}

std::vector<int> RevisionMap::FilterForLineage(const std::vector<int>& targets,
                                               const std::optional<std::string>& check_against,
                                               bool include_dependencies) const {
  if (targets.empty()) return {};
  auto [ids, label] = ResolveRevisionNumber(check_against);
  std::vector<std::string> shares;
  if (Truthy(label)) shares.push_back(*label);
  shares.insert(shares.end(), ids.begin(), ids.end());
  if (shares.empty()) return targets;
  std::vector<int> against;
  for (const std::string& s : shares) {
    RevRef r = RevisionForIdent(s);
    if (r >= 0) against.push_back(r);
  }
  std::vector<int> out;
  for (int t : targets) {
    if (SharesLineage(t, against, include_dependencies)) out.push_back(t);
  }
  return out;
}

bool RevisionMap::SharesLineage(int target, const std::vector<int>& test_against,
                                bool include_dependencies) const {
  std::vector<char> related = DescendantMask({target}, include_dependencies);
  for (int a : Ancestors({target}, include_dependencies)) related[a] = 1;
  for (int t : test_against) {
    if (t >= 0 && related[t]) return true;
  }
  return false;
}

RevRef RevisionMap::Walk(RevRef start, int steps, const std::optional<std::string>& branch_label,
                         bool no_overwalk) const {
  RevRef initial = start;
  int count = steps < 0 ? -steps : steps;
  for (int i = 0; i < count; ++i) {
    std::vector<int> children;
    if (steps > 0) {
      if (initial == kBaseMark) throw RevisionError("Cannot walk up from 'base'");
      const std::vector<int>& up = initial == kNoRev ? bases_ : nodes_[initial].nextrev;
      children = Truthy(branch_label) ? FilterForLineage(up, branch_label) : up;
    } else if (initial != kBaseMark) {
      children = initial == kNoRev ? heads_ : nodes_[initial].versioned_down;
      if (children.empty()) children.push_back(kBaseMark);
    }
    if (children.empty()) return no_overwalk ? kNoRev : initial;
    if (children.size() > 1) throw RevisionError("Ambiguous walk");
    initial = children.front();
  }
  return initial;
}

std::vector<int> RevisionMap::GetAllCurrent(const std::vector<std::string>& ids) const {
  // The rows plus everything they imply, reduced to the members with no
  // descendant (by down_revision) in the set (Alembic's _get_all_current).
  std::vector<int> top;
  for (RevRef r : GetRevisions(ids)) {
    if (r >= 0) top.push_back(r);
  }
  std::vector<char> in_set(nodes_.size(), 0);
  for (int a : Ancestors(top, true)) in_set[a] = 1;
  std::vector<int> out;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (!in_set[i]) continue;
    bool has_child_in_set = false;
    for (int c : nodes_[i].nextrev) has_child_in_set = has_child_in_set || in_set[c];
    if (!has_child_in_set) out.push_back(static_cast<int>(i));
  }
  return out;
}

}  // namespace retort
