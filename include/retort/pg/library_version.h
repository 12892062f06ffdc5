#pragma once
#include <string>

namespace retort {

/// The libpq this process runs with, from PQlibVersion(): "15.18" (for
/// `retort --version`; only libretort-pg.so links libpq).
std::string LibpqVersion();

}  // namespace retort
