#pragma once
#include <string>

namespace retort {

/// Replaces each `:name` placeholder of a fixture statement (a ':' token
/// directly followed by the identifier `name`, found with PostgreSQL's own
/// scanner, so string literals, comments and `::` casts are left alone)
/// with `$<number>`. Returns how many were replaced in `*count` when given.
/// A text the scanner rejects is returned unchanged with a count of 0.
std::string BindNamedParameter(const std::string& sql, const std::string& name, int number,
                               int* count = nullptr);

}  // namespace retort
