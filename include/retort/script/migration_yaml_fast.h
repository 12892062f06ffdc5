#pragma once
#include <optional>
#include <string>

#include "retort/script/script.h"

namespace retort {

/// Reads a migration.yaml written in the plain subset retort itself writes
/// (one `key: value` per line; plain, escape-free quoted or [a, b] values)
/// in about a microsecond. Returns nullopt — never an error — for anything it does not accept;
/// the caller then parses with ParseMigrationYaml, which words the error.
/// For every text it accepts, the result equals ParseMigrationYaml's.
std::optional<Script> ParseMigrationYamlFast(const std::string& path, const std::string& text);

}  // namespace retort
