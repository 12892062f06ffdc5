#pragma once
#include <string>
#include <vector>

namespace retort {

/// One row change of the version table (alembic_version), exactly as Alembic's
/// HeadMaintainer performs it for a step.
struct VersionChange {
  enum class Kind { kInsert, kDelete, kUpdate };
  Kind kind;
  std::string from;  ///< kUpdate/kDelete: the row that must exist (exactly one)
  std::string to;    ///< kUpdate/kInsert: the new value
};

/// One planned migration step: run a revision's upgrade or downgrade (or a
/// stamp, which runs no SQL), then move the version table.
struct PlannedStep {
  enum class Kind { kUpgrade, kDowngrade, kStamp };
  Kind kind = Kind::kUpgrade;
  /// The revision whose script runs (empty for a stamp).
  std::string revision;
  /// Alembic's "from -> to" without dependencies, for log lines
  /// ("Running upgrade a, b -> c").
  std::vector<std::string> from_no_deps;
  std::vector<std::string> to_no_deps;
  /// Version-table row changes, in the order they must be executed.
  std::vector<VersionChange> changes;
  /// Heads after this step (sorted), so callers can verify the table moved.
  std::vector<std::string> heads_after;
  /// Stamps only: Alembic's StampStep is_upgrade and branch_move flags.
  bool stamp_is_upgrade = false;
  bool stamp_branch_move = false;
};

}  // namespace retort
