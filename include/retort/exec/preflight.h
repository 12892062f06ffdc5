#pragma once
// The destructive pre-flight of SPEC §6: every statement of the steps to run
// that removes data, its exact target and the target's live row count,
// confirmed before anything runs (typed on a TTY, or --confirm in a
// pipeline, which must match the live counts).
#include <map>
#include <string>
#include <vector>

#include "retort/db/database.h"
#include "retort/sql/statement_analysis.h"

namespace retort {

/// One destructive statement's target with its live row count.
struct DestructiveTarget {
  /// What --confirm names: "public.users", "public.users.email" (a column).
  std::string key;
  std::string what;           ///< "DROP TABLE", "TRUNCATE", "DROP COLUMN", "ALTER COLUMN TYPE", ...
  long long rows = 0;         ///< rows (non-NULL values for a column) it would remove
  bool counted = true;        ///< false: no rows to count (a type, a sequence, ...)
  bool exists = true;         ///< false: not there yet (an earlier step of this run creates it)
  std::string revision;
  std::string file;
  int line = 0;
  std::string statement;      ///< the statement's first line
};

/// A destructive statement of one step's script, before counting.
struct PendingDestructive {
  DestructiveOp op;
  std::string revision, file;
  int line = 0;
  std::string statement;
};

/// Counts the live rows of every target (read-only queries; no transaction
/// is left open). A DROP SCHEMA lists each table of the schema. Targets are
/// resolved along the search_path; one entry per key, first statement wins.
std::vector<DestructiveTarget> CountDestructiveTargets(Database& db, const std::vector<PendingDestructive>& ops,
                                                       const std::string& default_schema);

/// The --confirm argument that matches `targets`: "public.users=42,public.users.email=40".
std::string ConfirmArgument(const std::vector<DestructiveTarget>& targets);

/// Parses --confirm "KEY=COUNT[,KEY=COUNT...]". Throws UsageError (exit 2)
/// naming the malformed item.
std::map<std::string, long long> ParseConfirm(const std::string& text);

/// What does not match between a reviewed --confirm and the live counts: a
/// target missing from it, a count that differs (the data changed since the
/// review), a key that names no target. Empty when they match exactly.
std::vector<std::string> ConfirmMismatches(const std::vector<DestructiveTarget>& targets,
                                           const std::map<std::string, long long>& confirmed);

/// "public.users (DROP TABLE): 42 rows" — one line of the pre-flight report.
std::string DescribeTarget(const DestructiveTarget& target);

}  // namespace retort
