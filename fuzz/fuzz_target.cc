// Fuzz target: revision targets (Alembic's grammar: "heads", "head",
// "base", partial ids, "label@head", "label@+2", "-1", "abc+1", ranges
// "a:b" for history, and the tuples a version table holds) resolved against
// one small fixed graph with branches, a merge, branch labels, a dependency
// and a second base. The first input byte picks the database's current
// heads; the rest is the target. Every planner entry point the commands use
// is called; RevisionError and retort::Error are the expected failures.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "retort/common/error.h"
#include "retort/plan/planner.h"
#include "retort/revision/revision_error.h"
#include "retort/revision/revision_map.h"
#include "retort/revision/traversal.h"

namespace {

retort::Revision Rev(std::string id, std::vector<std::string> down,
                     std::vector<std::string> depends_on = {}, std::vector<std::string> labels = {}) {
  retort::Revision r;
  r.id = std::move(id);
  r.down_revisions = std::move(down);
  r.depends_on = std::move(depends_on);
  r.branch_labels = std::move(labels);
  r.message = "rev " + r.id;
  return r;
}

// a1b2 (main) -> b3c4 -> c5d6 -> d7e8 and c5d6 -> e9f0 (feature); f1a2 merges
// d7e8 and e9f0. A second base: aa11 (other) -> bb22 (depends on b3c4) -> cc33.
const retort::RevisionMap& Graph() {
  static const retort::RevisionMap map({
      Rev("a1b2", {}, {}, {"main"}),
      Rev("b3c4", {"a1b2"}),
      Rev("c5d6", {"b3c4"}),
      Rev("d7e8", {"c5d6"}),
      Rev("e9f0", {"c5d6"}, {}, {"feature"}),
      Rev("f1a2", {"d7e8", "e9f0"}),
      Rev("aa11", {}, {}, {"other"}),
      Rev("bb22", {"aa11"}, {"b3c4"}),
      Rev("cc33", {"bb22"}),
  });
  return map;
}

const std::vector<std::vector<std::string>> kCurrent = {
    {}, {"a1b2"}, {"c5d6"}, {"d7e8", "e9f0"}, {"f1a2"}, {"f1a2", "cc33"}, {"bb22", "d7e8"}, {"aa11"},
};

template <typename F>
void Expecting(F&& f) {
  try {
    f();
  } catch (const retort::RevisionError&) {
  } catch (const retort::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::vector<std::string>& current = kCurrent[data[0] % kCurrent.size()];
  const std::string target(reinterpret_cast<const char*>(data + 1), size - 1);
  const retort::RevisionMap& map = Graph();

  (void)retort::ParseRelativeTarget(target);
  Expecting([&] { (void)map.GetRevisions(std::optional<std::string>(target)); });
  Expecting([&] { (void)map.GetRevision(std::optional<std::string>(target)); });
  Expecting([&] { (void)retort::PlanUpgrade(map, target, current); });
  Expecting([&] { (void)retort::PlanDowngrade(map, target, current); });
  Expecting([&] { (void)retort::PlanStamp(map, {target}, current); });
  // history -r lower:upper
  const size_t colon = target.find(':');
  if (colon != std::string::npos) {
    const std::string lower = target.substr(0, colon), upper = target.substr(colon + 1);
    Expecting([&] {
      (void)retort::WalkRevisions(map, lower.empty() ? retort::RevArg::Str("base") : retort::RevArg::Str(lower),
                                  upper.empty() ? retort::RevArg::Str("heads") : retort::RevArg::Str(upper));
    });
  } else {
    Expecting([&] { (void)retort::WalkRevisions(map, retort::RevArg::Str("base"), retort::RevArg::Str(target)); });
  }
  return 0;
}
