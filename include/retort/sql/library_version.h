#pragma once
#include <string>

namespace retort {

/// The libpg_query build retort was compiled against, as its header states
/// it: the PostgreSQL grammar version ("PostgreSQL 15.1 grammar"). The
/// library declares no version of its own (for `retort --version`; the sql
/// module owns libpg_query).
std::string PgQueryVersion();

}  // namespace retort
