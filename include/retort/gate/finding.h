#pragma once
#include <string>
#include <vector>

#include "retort/common/error.h"

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
  /// Supporting lines (the schema differences of downgrade-not-inverse).
  std::vector<std::string> details;
};

/// "file:line: error[id]: message" (the first line of the text report).
std::string FormatFinding(const Finding& finding);

/// The whole text report of one finding: FormatFinding, then the details,
/// the hint and the waiver's reason, each on its own indented line.
std::string FormatFindingReport(const Finding& finding);

/// Does any finding block (severity error)?
bool HasBlocking(const std::vector<Finding>& findings);

/// A gate said no (exit 4). what() is a one-sentence summary; findings()
/// holds every finding of the refusal (warnings too, for the report).
class GateRefusal : public Error {
 public:
  GateRefusal(const std::string& message, std::vector<Finding> findings, std::string hint = {})
      : Error(ExitCode::kRefused, message, std::move(hint)), findings_(std::move(findings)) {}
  const std::vector<Finding>& findings() const { return findings_; }

 private:
  std::vector<Finding> findings_;
};

}  // namespace retort
