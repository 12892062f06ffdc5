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

std::string FormatFindingReport(const Finding& f) {
  std::string out = FormatFinding(f);
  for (const std::string& d : f.details) out += "\n    " + d;
  if (!f.hint.empty()) out += "\n  hint: " + f.hint;
  if (!f.waived_because.empty()) out += "\n  waived: " + f.waived_because;
  return out;
}

bool HasBlocking(const std::vector<Finding>& findings) {
  for (const Finding& f : findings) {
    if (f.severity == Severity::kError) return true;
  }
  return false;
}

}  // namespace retort
