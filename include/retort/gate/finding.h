#pragma once
#include <string>

namespace retort {

/// How a finding affects a run (SPEC §6).
enum class Severity {
  kError,    ///< blocks: nothing is applied (exit 4)
  kConfirm,  ///< destructive: needs an explicit confirmation with live row counts
  kWarning,  ///< reported, does not block
};
const char* SeverityName(Severity severity);  ///< "error", "confirm", "warning"

/// One gate result: a stable kebab-case id, where it applies, a
/// one-sentence message and a hint.
struct Finding {
  std::string id;        ///< "downgrade-stub"
  Severity severity = Severity::kError;
  std::string revision;  ///< "" for project-wide findings
  std::string file;      ///< as messages show it; "" if none
  int line = 0;          ///< 1-based; 0 when the whole file is meant
  std::string message;
  std::string hint;
  std::string table;   ///< "schema.table" a catalog or probe finding is about; "" otherwise
  /// The waiver's reason when a waiver turned this finding into a warning
  /// (shown in every report); "" when not waived.
  std::string waived_because;
};

/// "file:line: error[id]: message" (the first line of the text report).
std::string FormatFinding(const Finding& finding);

}  // namespace retort
