#pragma once
#include <string>
#include <vector>

namespace retort {

/// One node of the revision graph as declared in its migration.yaml: the
/// pure data the graph needs, nothing about files or databases.
struct Revision {
  std::string id;                          ///< "8c4e51f0a2b3"
  std::vector<std::string> down_revisions; ///< empty for a base; >1 for a merge
  std::vector<std::string> depends_on;     ///< ids, partial ids or branch labels
  std::vector<std::string> branch_labels;  ///< as declared (not propagated)
  std::string message;                     ///< free text; first paragraph is the "doc"
  std::string create_date;                 ///< as written, may be empty

  /// Where the revision was declared, for error messages ("" in pure tests).
  std::string source;                      ///< path of migration.yaml
  int line = 0;                            ///< line of the `revision:` key (1-based)
  int down_revision_line = 0;              ///< line of `down_revision:` (0: unknown)
  int depends_on_line = 0;
  int branch_labels_line = 0;
};

}  // namespace retort
