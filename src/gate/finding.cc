#include "retort/gate/finding.h"

namespace retort {

const char* SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kError: return "error";
    case Severity::kConfirm: return "confirm";
    case Severity::kWarning: return "warning";
  }
  return "";
}

std::string FormatFinding(const Finding& f) {
  std::string where = f.file;
  if (!where.empty() && f.line > 0) where += ":" + std::to_string(f.line);
  return (where.empty() ? std::string() : where + ": ") + SeverityName(f.severity) + "[" + f.id +
         "]: " + f.message;
}

}  // namespace retort
