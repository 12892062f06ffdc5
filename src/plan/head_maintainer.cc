// Version-table bookkeeping per step, following Alembic's HeadMaintainer and
// RevisionStep/StampStep (alembic/runtime/migration.py). Where Alembic takes
// elements of a Python set, retort keeps declaration order.
#include <algorithm>

#include "retort/common/error.h"
#include "retort/common/text.h"
#include "retort/plan/planner.h"

namespace retort {
namespace {

using Heads = std::vector<std::string>;

bool Contains(const Heads& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::vector<std::string> Ids(const RevisionMap& map, const std::vector<int>& nodes) {
  std::vector<std::string> out;
  for (int n : nodes) out.push_back(map.id(n));
  return out;
}

[[noreturn]] void Internal(const std::string& what) {
  throw Error(ExitCode::kInvalidProject, "cannot compute the version table change: " + what);
}

/// `values` minus everything that is an ancestor of a head other than `exclude`.
std::vector<std::string> MinusAncestorsOfOthers(const RevisionMap& map, const Heads& heads,
                                                const std::vector<std::string>& exclude,
                                                const std::vector<std::string>& values) {
  std::vector<int> others;
  for (const std::string& h : heads) {
    if (Contains(exclude, h)) continue;
    if (std::optional<int> n = map.FindId(h)) others.push_back(*n);
  }
  if (others.empty()) return values;
  std::vector<char> anc = map.AncestorMask(others, true);
  std::vector<std::string> out;
  for (const std::string& v : values) {
    if (!anc[*map.FindId(v)]) out.push_back(v);
  }
  return out;
}

class HeadMaintainer {
 public:
  HeadMaintainer(const RevisionMap& map, Heads heads) : map_(map), heads_(std::move(heads)) {}

  void Apply(PlannedStep& step) {
    changes_ = &step.changes;
    if (step.kind == PlannedStep::Kind::kStamp) {
      ApplyStamp(step);
    } else {
      ApplyRevision(step);
    }
    step.heads_after = heads_;
    std::sort(step.heads_after.begin(), step.heads_after.end());
  }

 private:
  void Insert(const std::string& v) {
    if (Contains(heads_, v)) Internal("'" + v + "' is already a head");
    heads_.push_back(v);
    changes_->push_back({VersionChange::Kind::kInsert, "", v});
  }
  void Delete(const std::string& v) {
    auto it = std::find(heads_.begin(), heads_.end(), v);
    if (it == heads_.end()) Internal("'" + v + "' is not a head");
    heads_.erase(it);
    changes_->push_back({VersionChange::Kind::kDelete, v, ""});
  }
  void Update(const std::string& from, const std::string& to) {
    if (Contains(heads_, to)) Internal("'" + to + "' is already a head");
    auto it = std::find(heads_.begin(), heads_.end(), from);
    if (it == heads_.end()) Internal("'" + from + "' is not a head");
    *it = to;
    changes_->push_back({VersionChange::Kind::kUpdate, from, to});
  }

  void ApplyRevision(const PlannedStep& step) {
    const int node = *map_.FindId(step.revision);
    const RevisionNode& n = map_.node(node);
    const std::vector<std::string> downrevs = Ids(map_, n.normalized_down);
    const bool upgrade = step.kind == PlannedStep::Kind::kUpgrade;
    const std::string& rev = step.revision;
    std::vector<std::string> from = upgrade ? downrevs : std::vector<std::string>{rev};
    std::vector<std::string> to = upgrade ? std::vector<std::string>{rev} : downrevs;
    size_t heads_in_down = 0;
    for (const std::string& d : downrevs) heads_in_down += Contains(heads_, d);

    if (!upgrade && Contains(heads_, rev) &&
        (downrevs.empty() || MinusAncestorsOfOthers(map_, heads_, {rev}, to).empty())) {
      Delete(rev);  // back to base, or to a revision another head still implies
    } else if (upgrade && (downrevs.empty() || heads_in_down == 0)) {
      Insert(rev);  // a new branch (or a root)
    } else if (upgrade && downrevs.size() > 1 && heads_in_down > 1) {
      std::vector<std::string> merged;
      for (const std::string& m : MinusAncestorsOfOthers(map_, heads_, from, from)) {
        // Alembic 1.8 also tries to delete a parent that is implied by
        // another parent rather than stored, and crashes (KeyError); only
        // rows that exist can be merged away.
        if (Contains(heads_, m)) merged.push_back(m);
      }
      for (size_t i = 0; i + 1 < merged.size(); ++i) Delete(merged[i]);
      Update(merged.back(), to.front());
    } else if (!upgrade && Contains(heads_, rev) && downrevs.size() > 1) {
      std::vector<std::string> unmerged = MinusAncestorsOfOthers(map_, heads_, {rev}, to);
      for (size_t i = 0; i + 1 < unmerged.size(); ++i) Insert(unmerged[i]);
      Update(from.front(), unmerged.back());
    } else {
      std::string down;
      if (downrevs.size() == 1) {
        down = downrevs.front();
      } else {
        std::vector<std::string> present;
        for (const std::string& d : downrevs) {
          if (Contains(heads_, d)) present.push_back(d);
        }
        if (present.size() != 1) Internal("the down revision of " + rev + " is ambiguous");
        down = present.front();
      }
      if (upgrade) {
        Update(down, rev);
      } else {
        Update(rev, down);
      }
    }
  }

  void ApplyStamp(const PlannedStep& step) {
    const auto& from = step.from_no_deps;
    const auto& to = step.to_no_deps;
    const bool upgrade = step.stamp_is_upgrade;
    auto missing_from_heads = [&](const std::vector<std::string>& v) {
      for (const std::string& x : v) {
        if (!Contains(heads_, x)) return true;
      }
      return false;
    };
    if (!upgrade && step.stamp_branch_move) {
      Delete(from.front());
    } else if (upgrade && (step.stamp_branch_move || missing_from_heads(from)) &&
               missing_from_heads(to)) {
      Insert(to.front());
    } else if (from.size() > 1) {
      for (size_t i = 0; i + 1 < from.size(); ++i) Delete(from[i]);
      Update(from.back(), to.front());
    } else if (to.size() > 1) {
      for (size_t i = 0; i + 1 < to.size(); ++i) Insert(to[i]);
      Update(from.front(), to.back());
    } else {
      if (from.size() != 1 || to.size() != 1) Internal("stamp without a single source and target");
      Update(from.front(), to.front());
    }
  }

  const RevisionMap& map_;
  Heads heads_;
  std::vector<VersionChange>* changes_ = nullptr;
};

}  // namespace

void AssignVersionChanges(const RevisionMap& map, std::vector<std::string> heads,
                          std::vector<PlannedStep>& steps) {
  HeadMaintainer maintainer(map, std::move(heads));
  for (PlannedStep& step : steps) {
    step.changes.clear();
    maintainer.Apply(step);
  }
}

std::string ShortLog(const PlannedStep& step) {
  const char* name = step.kind == PlannedStep::Kind::kUpgrade     ? "upgrade"
                     : step.kind == PlannedStep::Kind::kDowngrade ? "downgrade"
                                                                   : "stamp_revision";
  return std::string(name) + " " + Join(step.from_no_deps, ", ") + " -> " + Join(step.to_no_deps, ", ");
}

}  // namespace retort
