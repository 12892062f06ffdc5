#pragma once
// Inline revision graphs for pure tests, in the spirit of Alembic's
// RevisionMap(lambda: [Revision("a", ()), Revision("b", ("a",))]).
#include <string>
#include <vector>

#include "retort/revision/revision.h"

namespace retort::testing {

inline Revision Rev(std::string id, std::vector<std::string> down = {},
                    std::vector<std::string> depends_on = {},
                    std::vector<std::string> labels = {}) {
  Revision r;
  r.id = std::move(id);
  r.down_revisions = std::move(down);
  r.depends_on = std::move(depends_on);
  r.branch_labels = std::move(labels);
  r.message = "rev " + r.id;
  r.create_date = "2026-01-01 00:00:00";
  return r;
}

}  // namespace retort::testing
