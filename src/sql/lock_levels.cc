// Table lock levels, as PostgreSQL 15 takes them (docs "Explicit Locking"
// and "ALTER TABLE", which follow AlterTableGetLockLevel in tablecmds.c).
#include <set>
#include <string>

#include "analysis_internal.h"

namespace retort {

const char* LockLevelName(LockLevel level) {
  switch (level) {
    case LockLevel::kNone:
      return "NONE";
    case LockLevel::kAccessShare:
      return "ACCESS SHARE";
    case LockLevel::kRowShare:
      return "ROW SHARE";
    case LockLevel::kRowExclusive:
      return "ROW EXCLUSIVE";
    case LockLevel::kShareUpdateExclusive:
      return "SHARE UPDATE EXCLUSIVE";
    case LockLevel::kShare:
      return "SHARE";
    case LockLevel::kShareRowExclusive:
      return "SHARE ROW EXCLUSIVE";
    case LockLevel::kExclusive:
      return "EXCLUSIVE";
    case LockLevel::kAccessExclusive:
      return "ACCESS EXCLUSIVE";
  }
  return "NONE";
}

namespace sql_internal {
namespace {

// SET/RESET (storage parameters): the heap and index options PostgreSQL
// changes under SHARE UPDATE EXCLUSIVE; view options and anything unknown
// take ACCESS EXCLUSIVE.
LockLevel RelOptionsLock(const Json* options) {
  static const std::set<std::string> kLight = {"fillfactor",
                                               "parallel_workers",
                                               "toast_tuple_target",
                                               "vacuum_truncate",
                                               "vacuum_index_cleanup",
                                               "log_autovacuum_min_duration",
                                               "autovacuum_enabled",
                                               "autovacuum_vacuum_threshold",
                                               "autovacuum_vacuum_insert_threshold",
                                               "autovacuum_vacuum_scale_factor",
                                               "autovacuum_vacuum_insert_scale_factor",
                                               "autovacuum_analyze_threshold",
                                               "autovacuum_analyze_scale_factor",
                                               "autovacuum_vacuum_cost_delay",
                                               "autovacuum_vacuum_cost_limit",
                                               "autovacuum_freeze_min_age",
                                               "autovacuum_freeze_max_age",
                                               "autovacuum_freeze_table_age",
                                               "autovacuum_multixact_freeze_min_age",
                                               "autovacuum_multixact_freeze_max_age",
                                               "autovacuum_multixact_freeze_table_age",
                                               "deduplicate_items",
                                               "fastupdate",
                                               "gin_pending_list_limit",
                                               "buffering",
                                               "pages_per_range",
                                               "autosummarize"};
  const Json* items = options != nullptr ? Field(NodeBody(*options), "items") : nullptr;
  if (items == nullptr || !items->is_array() || items->empty()) return LockLevel::kAccessExclusive;
  for (const Json& item : *items) {
    std::string name = StringField(NodeBody(item), "defname");
    // toast.* options follow their heap counterparts.
    if (name.rfind("toast.", 0) == 0) name = name.substr(6);
    if (kLight.count(name) == 0) return LockLevel::kAccessExclusive;
  }
  return LockLevel::kShareUpdateExclusive;
}

}  // namespace

LockLevel AlterTableCmdLock(const Json& cmd) {
  const std::string subtype = StringField(cmd, "subtype");
  static const std::set<std::string> kShareUpdateExclusive = {
      "AT_SetStatistics", "AT_ClusterOn",          "AT_DropCluster",     "AT_SetOptions",
      "AT_ResetOptions",  "AT_ValidateConstraint", "AT_AttachPartition", "AT_DetachPartitionFinalize"};
  static const std::set<std::string> kShareRowExclusive = {
      "AT_EnableTrig",     "AT_EnableAlwaysTrig", "AT_EnableReplicaTrig", "AT_EnableTrigAll",
      "AT_EnableTrigUser", "AT_DisableTrig",      "AT_DisableTrigAll",    "AT_DisableTrigUser"};
  if (kShareUpdateExclusive.count(subtype) != 0) return LockLevel::kShareUpdateExclusive;
  if (kShareRowExclusive.count(subtype) != 0) return LockLevel::kShareRowExclusive;
  if (subtype == "AT_SetRelOptions" || subtype == "AT_ResetRelOptions") {
    return RelOptionsLock(Field(cmd, "def"));
  }
  if (subtype == "AT_DetachPartition") {
    const Json* def = Field(cmd, "def");
    bool concurrent = def != nullptr && BoolField(NodeBody(*def), "concurrent");
    return concurrent ? LockLevel::kShareUpdateExclusive : LockLevel::kAccessExclusive;
  }
  if (subtype == "AT_AddConstraint") {
    // A foreign key adds triggers, as CREATE TRIGGER does; every other
    // constraint kind (CHECK included, in 15) takes ACCESS EXCLUSIVE.
    const Json* def = Field(cmd, "def");
    if (def != nullptr && StringField(NodeBody(*def), "contype") == "CONSTR_FOREIGN") {
      return LockLevel::kShareRowExclusive;
    }
  }
  // ADD/DROP COLUMN, ALTER COLUMN TYPE, SET/DROP NOT NULL, defaults, RLS
  // flags, ownership, constraints, identity, inheritance, ... and any
  // subcommand not listed above.
  return LockLevel::kAccessExclusive;
}

LockLevel LockLevelOfMode(long long mode) {
  if (mode < 1 || mode > 8) return LockLevel::kAccessExclusive;
  return static_cast<LockLevel>(mode);
}

}  // namespace sql_internal
}  // namespace retort
