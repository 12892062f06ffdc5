#pragma once
#include <string>

namespace retort {

/// The libpq this process runs with, from PQlibVersion(): "15.18" (for
/// `retort --version`; the db module owns libpq).
std::string LibpqVersion();

}  // namespace retort
