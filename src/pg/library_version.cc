#include "retort/pg/library_version.h"

#include <libpq-fe.h>

namespace retort {

std::string LibpqVersion() {
  // PostgreSQL 10 and later: major * 10000 + minor (150018 -> 15.18).
  const int v = PQlibVersion();
  if (v >= 100000) return std::to_string(v / 10000) + "." + std::to_string(v % 10000);
  return std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." + std::to_string(v % 100);
}

}  // namespace retort
