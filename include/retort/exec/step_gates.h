#pragma once
// The gates that run inside a step's transaction (SPEC §5 steps 3-5): the
// catalog gates on the tables the step touched, the isolation probe, and the
// round trip that proves the step's inverse restores the schema.
#include <functional>
#include <string>
#include <vector>

#include "retort/config/config.h"
#include "retort/db/database.h"
#include "retort/gate/finding.h"
#include "retort/revision/revision_map.h"
#include "retort/script/script.h"
#include "retort/sql/statement_analysis.h"

namespace retort {

/// Where a step's script is, for findings.
struct StepScript {
  const Script* script = nullptr;
  bool upgrade = true;  ///< the file that ran: upgrade.sql (true) or downgrade.sql
  int node = -1;        ///< the revision's node in the map
  const std::vector<AnalyzedStatement>* statements = nullptr;
};

class StepGates {
 public:
  StepGates(Database& db, const RevisionMap& map, const std::vector<Script>& scripts, const Config& config);

  /// Catalog gates and the isolation probe on the tenant-scoped tables the
  /// script touched that still exist, inside the open step transaction.
  /// Waivers applied; warnings included.
  std::vector<Finding> CheckTouchedTables(const StepScript& step);
  /// Asks the database to read the catalog facts CheckTouchedTables will
  /// need in the script's own round trip (Database::PrefetchGateFacts);
  /// call it before running the script.
  void PrefetchTouchedTables(const StepScript& step);

  /// The round trip: `inverse_fingerprint` runs the other script under a
  /// savepoint and gives the fingerprint after it (the whole managed
  /// schema, or the step's scope), leaving the step as it was; that must
  /// equal `before` (taken the same way before the step), else
  /// downgrade-not-inverse with the differing lines. A failing inverse (a
  /// StepFailure) is a finding too.
  std::vector<Finding> ProveInverse(const StepScript& step, const std::vector<std::string>& before,
                                    const std::function<std::vector<std::string>()>& inverse_fingerprint);

  /// The fingerprint of the managed schemas (tenancy.schemas).
  std::vector<std::string> Fingerprint();

  /// Catalog gates over every table of the managed schemas (`check`, and the
  /// audit at the end of a run). Waivers applied.
  std::vector<Finding> AuditAllTables();

 private:
  Database& db_;
  const RevisionMap& map_;
  const std::vector<Script>& scripts_;
  const Config& config_;
};

}  // namespace retort
