#pragma once
// Which part of the schema a step's round trip must compare (SPEC §5): the
// objects its two scripts name, so that the proof's cost does not grow with
// the tables already in the database.
#include <vector>

#include "retort/db/catalog_facts.h"
#include "retort/sql/statement_analysis.h"

namespace retort {

/// The objects named by the statements of a revision's upgrade and
/// downgrade scripts: relations (with everything that hangs off them) and
/// functions, types and schemas. False when a scoped fingerprint could miss
/// a difference and the whole schema must be compared: a statement that
/// cannot be seen into (dynamic SQL, an unknown node), a CASCADE, a
/// statement on every table of a schema, an extension, an index or other
/// object named without its table.
bool FingerprintScopeOf(const std::vector<AnalyzedStatement>& upgrade,
                        const std::vector<AnalyzedStatement>& downgrade, FingerprintScope* scope);

}  // namespace retort
