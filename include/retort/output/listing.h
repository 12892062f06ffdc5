#pragma once
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "retort/revision/revision_map.h"

namespace retort {

/// Alembic's Script._head_only flags.
struct HeadOnlyOptions {
  bool include_branches = false;
  bool include_doc = false;
  bool include_parents = false;
  bool tree_indicators = true;
  bool head_indicators = true;
};

/// The docstring Alembic's template writes, synthesised from migration.yaml
/// (message, then Revision ID / Revises / Create Date), stripped.
std::string LongDoc(const Revision& rev);
/// Its first paragraph (Alembic's Script.doc).
std::string Doc(const Revision& rev);

/// One-line form: "[<down> -> ]rev[ (labels)][ (head)]...[, doc]".
std::string HeadOnly(const RevisionMap& map, int node, const HeadOnlyOptions& options,
                     bool current = false);
/// Verbose form (Alembic's Script.log_entry), ending with "\n".
std::string LogEntry(const RevisionMap& map, int node, const std::string& path,
                     bool current = false);
/// Alembic's Script.cmd_format.
std::string CmdFormat(const RevisionMap& map, int node, bool verbose, const HeadOnlyOptions& options,
                      const std::string& path, bool current = false);

/// A revision as a JSON object for `--format json` listings.
nlohmann::json RevisionJson(const RevisionMap& map, int node, const std::string& path);

}  // namespace retort
