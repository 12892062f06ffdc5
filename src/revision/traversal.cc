// Upgrade/downgrade collection and topological ordering, following Alembic's
// RevisionMap (_collect_upgrade_revisions, _collect_downgrade_revisions,
// _parse_*_target, _topological_sort). Two places deliberately refuse where
// Alembic proceeds (SPEC §4): a relative downgrade from several heads, and a
// relative target that lands on base across unrelated roots.
#include "retort/revision/traversal.h"

#include <algorithm>
#include <regex>
#include <set>

#include "retort/common/text.h"

namespace retort {
namespace {

bool Truthy(const std::optional<std::string>& s) { return s && !s->empty(); }

std::string RelativeFailure(const std::string& relative, int steps) {
  return "Relative revision " + relative + " didn't produce " +
         std::to_string(steps < 0 ? -steps : steps) + " migrations";
}

std::vector<int> Real(const std::vector<RevRef>& refs) {
  std::vector<int> out;
  for (RevRef r : refs) {
    if (r >= 0) out.push_back(r);
  }
  return out;
}

void RequireRevisions(const std::vector<RevRef>& refs, const std::string& what) {
  for (RevRef r : refs) {
    if (r == kBaseMark) {
      throw RevisionError("Target '" + what + "' walks below base; it names no revision");
    }
  }
}

/// Python's str(int) of a relative part written "+2" is "2"; "-1" stays.
std::string IntText(int v) { return std::to_string(v); }

std::vector<RevRef> ParseUpgradeTarget(const RevisionMap& map, const RevArg& current,
                                       const RevArg& target, bool assert_relative_length) {
  std::optional<RelativeTarget> rel;
  if (target.kind == RevArg::Kind::kString) rel = ParseRelativeTarget(target.str);
  if (!rel) {
    if (target.kind == RevArg::Kind::kString) return map.GetRevisions(std::optional(target.str));
    if (target.kind == RevArg::Kind::kTuple) return map.GetRevisions(target.tuple);
    return {};
  }
  std::vector<std::string> current_tup = current.ToTuple();
  const std::optional<std::string>& branch = rel->branch;
  if (rel->steps > 0) {
    if (!rel->symbol) {
      // Walk up from the current revision(s), narrowed to `branch` if given.
      std::vector<RevRef> start_revs;
      if (Truthy(branch)) {
        std::vector<int> on_branch = map.FilterForLineage(Real(map.GetRevisions(current_tup)), branch);
        start_revs.assign(on_branch.begin(), on_branch.end());
        if (start_revs.empty()) {
          // The branch is not a current head: start from the tips of what
          // is applied on that branch, or from base.
          std::vector<int> active = map.FilterForLineage(
              map.Ancestors(Real(map.GetRevisions(current_tup)), true), branch);
          std::set<int> downs;
          for (int a : active) {
            for (int d : map.node(a).normalized_down) downs.insert(d);
          }
          for (int a : active) {
            if (!downs.count(a)) start_revs.push_back(a);
          }
          if (start_revs.empty()) start_revs.push_back(kNoRev);
        }
      } else if (current_tup.size() > 1) {
        throw RevisionError("Ambiguous upgrade from multiple current revisions");
      } else {
        start_revs.push_back(current_tup.empty() ? kNoRev : map.GetRevision(current_tup.front()));
      }
      if (start_revs.size() > 1) {
        throw RevisionError("Ambiguous upgrade from multiple current revisions");
      }
      RevRef r = map.Walk(start_revs.front(), rel->steps, branch, assert_relative_length);
      if (r == kNoRev) throw RevisionError(RelativeFailure(rel->relative.substr(0), rel->steps));
      return {r};
    }
    return {map.Walk(map.GetRevision(*rel->symbol), rel->steps, branch, assert_relative_length)};
  }
  if (!rel->symbol) throw RevisionError(RelativeFailure(IntText(rel->steps), rel->steps));
  RevRef start = branch ? map.GetRevision(*branch + "@" + *rel->symbol) : map.GetRevision(*rel->symbol);
  return {map.Walk(start, rel->steps, std::nullopt, assert_relative_length)};
}

std::pair<std::vector<int>, std::vector<RevRef>> CollectUpgrade(const RevisionMap& map,
                                                                const RevArg& upper,
                                                                RevArg lower,
                                                                const IterateOptions& o) {
  std::vector<RevRef> parsed = ParseUpgradeTarget(map, lower, upper, o.assert_relative_length);
  RequireRevisions(parsed, upper.Display());
  std::vector<int> targets = Real(parsed);
  if (targets.size() != parsed.size()) {
    // A relative target that walked off the graph (Alembic would crash).
    throw RevisionError(RelativeFailure(upper.Display(), 1));
  }
  if (lower.kind == RevArg::Kind::kString && lower.str.find('@') != std::string::npos) {
    // "branch@..." as the lower end keeps only targets on that branch.
    std::string branch = lower.str.substr(0, lower.str.find('@'));
    RevRef branch_rev = map.GetRevision(branch);
    if (branch_rev >= 0 && map.id(branch_rev) == branch) {
      const auto& labels = map.node(branch_rev).branch_labels();
      if (labels.size() != 1) {
        throw RevisionError("Revision " + branch + " used as a branch name must carry exactly one branch label");
      }
      branch = labels.front();
    }
    std::vector<int> kept;
    for (int t : targets) {
      if (map.node(t).HasLabel(branch)) kept.push_back(t);
    }
    targets = kept;
  }
  std::vector<char> required(map.size(), 0);
  for (int a : map.Ancestors(targets, true, true)) required[a] = 1;

  std::vector<RevRef> current = lower.kind == RevArg::Kind::kTuple
                                    ? map.GetRevisions(lower.tuple)
                                    : lower.kind == RevArg::Kind::kString
                                          ? map.GetRevisions(std::optional(lower.str))
                                          : std::vector<RevRef>{};
  if (!o.implicit_base) {
    for (RevRef c : current) {
      if (c == kNoRev) continue;
      if (c == kBaseMark || !required[c]) {
        throw RevisionError::RangeNotAncestor(lower.Display(), upper.Display());
      }
    }
  }
  if (!current.empty() && current.front() == kNoRev) {
    // The lower end is relative ("-1"): resolve it like a downgrade target.
    auto [unused, rev] = ParseDowngradeTarget(map, upper, lower, o.assert_relative_length);
    (void)unused;
    if (rev == kNoRev || rev == kBaseMark) {
      current.clear();
      lower = RevArg::None();
    } else {
      current = {rev};
      lower = RevArg::Str(map.id(rev));
    }
  }
  RequireRevisions(current, lower.Display());
  std::vector<int> current_real = Real(current);
  std::vector<char> have(map.size(), 0);
  for (int a : map.Ancestors(current_real, true, true)) have[a] = 1;

  std::vector<char> needs(map.size(), 0);
  for (size_t i = 0; i < map.size(); ++i) needs[i] = required[i] && !have[i];
  if (o.inclusive) {
    std::vector<RevRef> lows = lower.kind == RevArg::Kind::kTuple
                                   ? map.GetRevisions(lower.tuple)
                                   : lower.kind == RevArg::Kind::kString
                                         ? map.GetRevisions(std::optional(lower.str))
                                         : std::vector<RevRef>{};
    for (RevRef l : lows) {
      if (l >= 0) needs[l] = 1;
    }
  }
  if (!current_real.empty() && !o.implicit_base) {
    std::vector<char> below(map.size(), 0);
    for (int d : map.Descendants(current_real, false, true)) below[d] = 1;
    for (size_t i = 0; i < map.size(); ++i) needs[i] = needs[i] && below[i];
  }
  std::vector<int> out;
  for (size_t i = 0; i < map.size(); ++i) {
    if (needs[i]) out.push_back(static_cast<int>(i));
  }
  return {out, std::vector<RevRef>(targets.begin(), targets.end())};
}

std::pair<std::vector<int>, std::vector<RevRef>> CollectDowngrade(const RevisionMap& map,
                                                                  const RevArg& upper,
                                                                  const RevArg& target,
                                                                  const IterateOptions& o) {
  auto [branch, target_rev] = ParseDowngradeTarget(map, upper, target, o.assert_relative_length);
  if (target_rev == kBaseMark) target_rev = kNoRev;

  std::vector<int> roots;
  if (target_rev == kNoRev) {
    // Back to base: every root. Alembic lists a root once per key of its map
    // (its id and each label it declares), which matters for the count below.
    for (size_t i = 0; i < map.size(); ++i) {
      if (!map.node(i).is_base()) continue;
      size_t keys = 1 + map.node(i).rev.branch_labels.size();
      for (size_t k = 0; k < keys; ++k) roots.push_back(static_cast<int>(i));
    }
  } else if (o.inclusive) {
    roots = {target_rev};
  } else {
    roots = map.node(target_rev).nextrev;
  }
  if (Truthy(branch) && roots.size() > 1) {
    std::vector<char> anc = map.AncestorMask({map.ResolveBranch(*branch)}, false);
    std::vector<int> kept;
    for (int r : roots) {
      if (anc[r] && std::find(kept.begin(), kept.end(), r) == kept.end()) kept.push_back(r);
    }
    roots = kept;
    if (roots.empty()) throw RevisionError("Not a valid downgrade target from current heads");
  }
  std::vector<RevRef> heads = upper.kind == RevArg::Kind::kTuple
                                  ? map.GetRevisions(upper.tuple)
                                  : upper.kind == RevArg::Kind::kString
                                        ? map.GetRevisions(std::optional(upper.str))
                                        : std::vector<RevRef>{};
  RequireRevisions(heads, upper.Display());
  std::vector<int> head_real = Real(heads);
  std::vector<char> drop = map.DescendantMask(roots, true);
  std::vector<char> active = map.AncestorMask(head_real, true);
  for (size_t i = 0; i < map.size(); ++i) drop[i] = drop[i] && active[i];
  if (o.implicit_base) {
    std::vector<char> below_roots = map.AncestorMask(roots, true);
    for (size_t i = 0; i < map.size(); ++i) drop[i] = drop[i] || (active[i] && !below_roots[i]);
  }
  bool any = std::find(drop.begin(), drop.end(), 1) != drop.end();
  if (target_rev != kNoRev && !any &&
      std::find(heads.begin(), heads.end(), target_rev) == heads.end()) {
    throw RevisionError::RangeNotAncestor("Nothing to drop", upper.Display());
  }
  std::vector<int> out;
  for (size_t i = 0; i < map.size(); ++i) {
    if (drop[i]) out.push_back(static_cast<int>(i));
  }
  if (target_rev == kNoRev && target.kind == RevArg::Kind::kString &&
      ParseRelativeTarget(target.str)) {
    // Deliberate refusal: Alembic winds back *every* root here, including
    // lineages the relative walk never touched.
    std::vector<std::string> touched_roots;
    std::vector<char> dropped(map.size(), 0);
    for (int i : out) dropped[i] = 1;
    for (int b : map.bases()) {
      if (dropped[b]) touched_roots.push_back(map.id(b));
    }
    if (touched_roots.size() > 1) {
      throw RevisionError("Relative target '" + target.str +
                          "' resolves to base, which would downgrade every branch back to its "
                          "root, including unrelated roots (" + Join(touched_roots, ", ") +
                          "); name the destination explicitly: '<revision>@base' for one "
                          "branch, or 'base' for all of them");
    }
  }
  return {out, heads};
}

}  // namespace

std::vector<std::string> RevArg::ToTuple() const {
  switch (kind) {
    case Kind::kNone: return {};
    case Kind::kString: return {str};
    case Kind::kTuple: return tuple;
  }
  return {};
}

bool RevArg::Empty() const {
  return kind == Kind::kNone || (kind == Kind::kString && str.empty()) ||
         (kind == Kind::kTuple && tuple.empty());
}

std::string RevArg::Display() const {
  switch (kind) {
    case Kind::kNone: return "None";
    case Kind::kString: return str;
    case Kind::kTuple: {
      if (tuple.size() == 1) return "('" + tuple[0] + "',)";
      std::vector<std::string> q;
      for (const auto& t : tuple) q.push_back("'" + t + "'");
      return "(" + Join(q, ", ") + ")";
    }
  }
  return "";
}

std::optional<RelativeTarget> ParseRelativeTarget(const std::string& text) {
  static const std::regex kRelative(R"(^(?:(.+?)@)?(\w+)?((?:\+|-)\d+))");
  std::smatch m;
  if (!std::regex_search(text, m, kRelative)) return std::nullopt;
  RelativeTarget t;
  if (m[1].matched) t.branch = m[1].str();
  if (m[2].matched) t.symbol = m[2].str();
  t.relative = m[3].str();
  std::string digits = t.relative.substr(1);
  long long v = 0;
  for (char c : digits) v = std::min<long long>(v * 10 + (c - '0'), 1000000000LL);
  t.steps = static_cast<int>(t.relative[0] == '-' ? -v : v);
  return t;
}

std::pair<std::optional<std::string>, RevRef> ParseDowngradeTarget(const RevisionMap& map,
                                                                   const RevArg& current,
                                                                   const RevArg& target,
                                                                   bool assert_relative_length) {
  if (target.kind == RevArg::Kind::kNone) return {std::nullopt, kNoRev};
  std::string text = target.kind == RevArg::Kind::kString ? target.str : Join(target.tuple, ",");
  if (std::optional<RelativeTarget> rel = ParseRelativeTarget(text)) {
    std::optional<std::string> branch = rel->branch;
    std::optional<std::string> symbol = rel->symbol;
    if (rel->steps >= 0) {
      if (!symbol) throw RevisionError(RelativeFailure(rel->relative, rel->steps));
      RevRef r = map.Walk(map.GetRevision(*symbol), rel->steps, branch, assert_relative_length);
      if (r == kNoRev) throw RevisionError("Walked too far");
      return {branch, r};
    }
    bool relative_to_current = !symbol;
    if (relative_to_current) {
      std::vector<std::string> cur = current.ToTuple();
      if (Truthy(branch)) {
        std::vector<int> cur_revs;
        for (const std::string& c : cur) cur_revs.push_back(map.GetRevision(c));
        std::vector<int> on_branch = map.FilterForLineage(Real(cur_revs), branch);
        if (on_branch.empty()) {
          // Several branches but one current head that the others depend on.
          on_branch = map.FilterForLineage(map.GetAllCurrent(cur), branch);
        }
        if (on_branch.size() != 1) {
          throw RevisionError("Target '" + text + "' does not name exactly one current head on branch '" +
                              *branch + "'");
        }
        symbol = map.id(on_branch.front());
      } else {
        if (cur.empty()) throw RevisionError(RelativeFailure(rel->relative, rel->steps));
        std::set<std::string> distinct(cur.begin(), cur.end());
        if (distinct.size() > 1) {
          // Deliberate refusal: Alembic warns and picks whichever row the
          // version table returned first.
          throw RevisionError("downgrade " + text + " from multiple heads (" + Join(cur, ", ") +
                              ") is ambiguous; name the branch, e.g. '" + cur.front() + "@" +
                              rel->relative + "'");
        }
        symbol = cur.front();
        branch = symbol;
      }
    }
    RevRef start = branch ? map.GetRevision(*branch + "@" + *symbol) : map.GetRevision(*symbol);
    RevRef r = map.Walk(start, rel->steps, std::nullopt, assert_relative_length);
    if (r == kNoRev) {
      if (relative_to_current) throw RevisionError(RelativeFailure(rel->relative, rel->steps));
      throw RevisionError("Walked too far");
    }
    return {branch, r};
  }
  // Absolute: "[branch@]symbol", split at the last '@'.
  size_t at = text.rfind('@');
  std::optional<std::string> branch;
  std::string symbol = text;
  if (at != std::string::npos) {
    if (at > 0) branch = text.substr(0, at);
    symbol = text.substr(at + 1);
  }
  return {branch, map.GetRevision(symbol)};
}

namespace {

/// "Is `a` an ancestor of (or equal to) `b`?" along normalized down edges.
/// Alembic's sort keeps a full ancestor set per current head and rebuilds it
/// at every merge, which is quadratic on long histories; the sets are only
/// ever asked this question, so answer it by searching down from `b`, never
/// below `a`'s rank (nothing there can reach `a`).
/// The sort asks about the same `a` again and again while the other heads
/// move down towards it, so a search that finds `a` marks the path it took
/// (every node on it descends from `a`) and a later search for `a` stops as
/// soon as it meets that path.
class AncestorQuery {
 public:
  explicit AncestorQuery(const RevisionMap& map)
      : map_(map), stamp_(map.size(), 0), came_from_(map.size(), -1), descends_from_(map.size(), -1) {}

  bool IsAncestorOrSelf(int a, int b) {
    if (a == b) return true;
    if (map_.rank(a) > map_.rank(b)) return false;
    if (descends_from_[b] == a) return true;
    ++epoch_;
    todo_.assign(1, b);
    stamp_[b] = epoch_;
    came_from_[b] = -1;
    while (!todo_.empty()) {
      int r = todo_.back();
      todo_.pop_back();
      for (int d : map_.node(r).normalized_down) {
        if (d == a || descends_from_[d] == a) {
          for (int p = r; p >= 0; p = came_from_[p]) descends_from_[p] = a;
          return true;
        }
        if (stamp_[d] == epoch_ || map_.rank(d) < map_.rank(a)) continue;
        stamp_[d] = epoch_;
        came_from_[d] = r;
        todo_.push_back(d);
      }
    }
    return false;
  }

 private:
  const RevisionMap& map_;
  std::vector<unsigned> stamp_;
  std::vector<int> came_from_;      ///< the node the current search reached it from
  std::vector<int> descends_from_;  ///< an `a` it was found to descend from, or -1
  unsigned epoch_ = 0;
  std::vector<int> todo_;
};

}  // namespace

std::vector<int> TopologicalSort(const RevisionMap& map, const std::vector<int>& revisions,
                                 const std::vector<RevRef>& heads) {
  const size_t n = map.size();
  std::vector<char> todo(n, 0);
  size_t todo_count = 0;
  for (int r : revisions) {
    if (!todo[r]) ++todo_count;
    todo[r] = 1;
  }
  // Heads in todo, in declaration order (Alembic sorts by its map's order).
  std::vector<int> current_heads;
  {
    std::vector<char> added(n, 0);
    for (RevRef h : heads) {
      if (h >= 0 && todo[h] && !added[h]) {
        added[h] = 1;
        current_heads.push_back(h);
      }
    }
    std::sort(current_heads.begin(), current_heads.end());
  }
  AncestorQuery ancestors(map);
  // Only a head ranked above the candidate can descend from it. Heads that
  // wait far below (targets of depends_on met high up) would otherwise be
  // asked about at every step, which is quadratic on long histories, so a
  // max-heap of the heads' ranks (entries dropped lazily once a head leaves)
  // tells whether any head is ranked above the candidate at all.
  std::vector<char> is_head(n, 0);
  std::vector<std::pair<int, int>> by_rank;  // (rank, head), a max-heap
  auto add_head = [&](int h) {
    is_head[h] = 1;
    by_rank.emplace_back(map.rank(h), h);
    std::push_heap(by_rank.begin(), by_rank.end());
  };
  for (int h : current_heads) add_head(h);

  std::vector<int> output;
  std::vector<int> heads_to_add;
  size_t idx = 0;
  while (!current_heads.empty()) {
    int candidate = current_heads[idx];
    while (!is_head[by_rank.front().second]) {
      std::pop_heap(by_rank.begin(), by_rank.end());
      by_rank.pop_back();
    }
    bool blocked = false;
    if (by_rank.front().second != candidate) {
      for (size_t check = 0; check < current_heads.size(); ++check) {
        if (check != idx && ancestors.IsAncestorOrSelf(candidate, current_heads[check])) {
          // Another head descends from the candidate: emit that line first.
          idx = check;
          blocked = true;
          break;
        }
      }
    }
    if (blocked) continue;
    if (todo[candidate]) {
      output.push_back(candidate);
      todo[candidate] = 0;
      --todo_count;
    }
    const RevisionNode& node = map.node(candidate);
    heads_to_add.clear();
    for (int r : node.normalized_down) {
      if (todo[r] && !is_head[r]) heads_to_add.push_back(r);
    }
    // Alembic keeps each head's ancestor set equal to the ancestors of the
    // head's current position (it drops the emitted candidate on a plain
    // step, recomputes at merges); AncestorQuery answers for that position.
    // A head leaves only once emitted, and emitted revisions never return.
    is_head[candidate] = 0;
    if (heads_to_add.empty()) {
      current_heads.erase(current_heads.begin() + static_cast<long>(idx));
      idx = idx > 0 ? idx - 1 : 0;
    } else {
      current_heads[idx] = heads_to_add.front();
      for (size_t k = 1; k < heads_to_add.size(); ++k) current_heads.push_back(heads_to_add[k]);
      for (int h : heads_to_add) add_head(h);
    }
  }
  if (todo_count != 0) {
    // Alembic 1.8 fails an assertion here (a range whose revisions are not
    // all reachable from its heads through normalized dependencies, e.g.
    // `history -r X:` with depends_on). List the rest newest first: each
    // once none of its remaining descendants is left.
    while (todo_count != 0) {
      for (size_t i = n; i-- > 0;) {
        if (!todo[i]) continue;
        bool blocked = false;
        for (int c : map.node(static_cast<int>(i)).all_nextrev) blocked = blocked || todo[c];
        if (blocked) continue;
        output.push_back(static_cast<int>(i));
        todo[i] = 0;
        --todo_count;
      }
    }
  }
  return output;
}

std::vector<int> IterateRevisions(const RevisionMap& map, const RevArg& upper, const RevArg& lower,
                                  const IterateOptions& options) {
  auto [revisions, heads] = options.select_for_downgrade
                                ? CollectDowngrade(map, upper, lower, options)
                                : CollectUpgrade(map, upper, lower, options);
  return TopologicalSort(map, revisions, heads);
}

std::vector<int> WalkRevisions(const RevisionMap& map, const RevArg& base, const RevArg& head) {
  IterateOptions o;
  o.inclusive = true;
  o.assert_relative_length = false;
  return IterateRevisions(map, head, base, o);
}

}  // namespace retort
