#include "retort/sql/library_version.h"

#include <pg_query.h>

namespace retort {

std::string PgQueryVersion() {
  // pg_query.h carries the version of the PostgreSQL parser it embeds
  // (PG_VERSION, PG_VERSION_NUM), not one of libpg_query itself.
  return std::string("PostgreSQL ") + PG_VERSION + " grammar";
}

}  // namespace retort
