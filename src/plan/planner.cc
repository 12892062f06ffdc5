// Upgrade, downgrade and stamp planning: Alembic's ScriptDirectory
// _upgrade_revs / _downgrade_revs / _stamp_revs over the pure graph.
#include "retort/plan/planner.h"

#include <algorithm>

#include "retort/common/error.h"
#include "retort/revision/traversal.h"

namespace retort {
namespace {

std::vector<std::string> Ids(const RevisionMap& map, const std::vector<int>& nodes) {
  std::vector<std::string> out;
  for (int n : nodes) out.push_back(map.id(n));
  return out;
}

}  // namespace

const char* StepKindName(PlannedStep::Kind kind) {
  switch (kind) {
    case PlannedStep::Kind::kUpgrade: return "upgrade";
    case PlannedStep::Kind::kDowngrade: return "downgrade";
    case PlannedStep::Kind::kStamp: return "stamp";
  }
  return "";
}

PlannedStep MakeRevisionStep(const RevisionMap& map, int node, bool upgrade) {
  PlannedStep s;
  s.kind = upgrade ? PlannedStep::Kind::kUpgrade : PlannedStep::Kind::kDowngrade;
  s.revision = map.id(node);
  std::vector<std::string> down = Ids(map, map.node(node).versioned_down);
  s.from_no_deps = upgrade ? down : std::vector<std::string>{s.revision};
  s.to_no_deps = upgrade ? std::vector<std::string>{s.revision} : down;
  return s;
}

namespace {

PlannedStep StampStep(std::vector<std::string> from, std::vector<std::string> to, bool upgrade,
                      bool branch_move) {
  PlannedStep s;
  s.kind = PlannedStep::Kind::kStamp;
  s.from_no_deps = std::move(from);
  s.to_no_deps = std::move(to);
  s.stamp_is_upgrade = upgrade;
  s.stamp_branch_move = branch_move;
  return s;
}

[[noreturn]] void Rethrow(const RevisionError& e, const RevisionErrorWording& wording) {
  throw ProjectError(FormatRevisionError(e, wording));
}

RevisionErrorWording DestinationWording(const char* direction, const std::string& destination) {
  RevisionErrorWording w;
  w.ancestor = std::string("Destination %(end)s is not a valid ") + direction +
               " target from current head(s)";
  w.end = destination;
  w.has_end = true;
  return w;
}

}  // namespace

std::vector<PlannedStep> PlanUpgrade(const RevisionMap& map, const std::string& destination,
                                     const std::vector<std::string>& current_heads) {
  std::vector<PlannedStep> steps;
  try {
    IterateOptions o;
    o.implicit_base = true;
    std::vector<int> revs =
        IterateRevisions(map, RevArg::Str(destination), RevArg::Tuple(current_heads), o);
    std::reverse(revs.begin(), revs.end());
    for (int r : revs) steps.push_back(MakeRevisionStep(map, r, true));
    AssignVersionChanges(map, current_heads, steps);
  } catch (const RevisionError& e) {
    Rethrow(e, DestinationWording("upgrade", destination));
  }
  return steps;
}

std::vector<PlannedStep> PlanDowngrade(const RevisionMap& map, const std::string& destination,
                                       const std::vector<std::string>& current_heads) {
  std::vector<PlannedStep> steps;
  try {
    IterateOptions o;
    o.select_for_downgrade = true;
    std::vector<int> revs =
        IterateRevisions(map, RevArg::Tuple(current_heads), RevArg::Str(destination), o);
    for (int r : revs) steps.push_back(MakeRevisionStep(map, r, false));
    AssignVersionChanges(map, current_heads, steps);
  } catch (const RevisionError& e) {
    Rethrow(e, DestinationWording("downgrade", destination));
  }
  return steps;
}

std::vector<PlannedStep> PlanStamp(const RevisionMap& map, const std::vector<std::string>& destinations_in,
                                   const std::vector<std::string>& current_heads) {
  std::vector<PlannedStep> steps;
  RevisionErrorWording wording;
  wording.multiple_heads = "Multiple heads are present; please specify a single target revision";
  try {
    std::vector<std::string> destinations = destinations_in;
    if (destinations.empty()) destinations.push_back("base");
    std::vector<int> head_revs;
    for (RevRef r : map.GetRevisions(current_heads)) {
      if (r >= 0) head_revs.push_back(r);
    }
    std::vector<int> filtered;
    for (const std::string& d : destinations) {
      if (d.empty()) continue;
      for (int h : map.FilterForLineage(head_revs, d, true)) {
        if (std::find(filtered.begin(), filtered.end(), h) == filtered.end()) filtered.push_back(h);
      }
    }
    std::vector<RevRef> dests = map.GetRevisions(destinations);
    if (dests.empty()) dests.push_back(kNoRev);
    const std::vector<std::string> todo_heads = Ids(map, filtered);
    for (RevRef dest : dests) {
      if (dest == kNoRev) {
        for (int h : filtered) steps.push_back(StampStep({map.id(h)}, {}, false, true));
        continue;
      }
      if (dest == kBaseMark) throw RevisionError("stamp target walks below base");
      if (std::find(filtered.begin(), filtered.end(), dest) != filtered.end()) continue;
      std::vector<char> below = map.DescendantMask({dest}, true);
      std::vector<char> above = map.AncestorMask({dest}, true);
      bool heads_above = false, heads_below = false;
      for (int h : filtered) {
        heads_above = heads_above || below[h];
        heads_below = heads_below || above[h];
      }
      if (heads_above) {
        steps.push_back(StampStep(todo_heads, {map.id(dest)}, false, false));
      } else if (heads_below) {
        steps.push_back(StampStep(todo_heads, {map.id(dest)}, true, false));
      } else {
        steps.push_back(StampStep({}, {map.id(dest)}, true, true));
      }
    }
    AssignVersionChanges(map, current_heads, steps);
  } catch (const RevisionError& e) {
    Rethrow(e, wording);
  }
  return steps;
}

}  // namespace retort
