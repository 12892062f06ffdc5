#include "retort/cli/finding_report.h"

namespace retort {

nlohmann::json FindingJson(const Finding& f) {
  return {{"id", f.id},           {"severity", SeverityName(f.severity)},
          {"revision", f.revision}, {"file", f.file},
          {"line", f.line},       {"table", f.table},
          {"message", f.message}, {"hint", f.hint},
          {"waived_because", f.waived_because}, {"details", f.details}};
}

nlohmann::json FindingsJson(const std::vector<Finding>& findings) {
  nlohmann::json list = nlohmann::json::array();
  for (const Finding& f : findings) list.push_back(FindingJson(f));
  return list;
}

void PrintFindings(std::ostream& out, const std::vector<Finding>& findings) {
  for (const Finding& f : findings) out << FormatFindingReport(f) << "\n";
}

nlohmann::json DestructiveJson(const std::vector<DestructiveTarget>& targets) {
  nlohmann::json list = nlohmann::json::array();
  for (const DestructiveTarget& t : targets) {
    list.push_back({{"key", t.key},       {"what", t.what},         {"rows", t.rows},
                    {"counted", t.counted}, {"exists", t.exists},   {"revision", t.revision},
                    {"file", t.file},     {"line", t.line},         {"statement", t.statement}});
  }
  return list;
}

void PrintPreflight(std::ostream& out, const std::vector<DestructiveTarget>& targets) {
  out << "Destructive statements (" << targets.size() << "), with live row counts:\n";
  for (const DestructiveTarget& t : targets) out << "    " << DescribeTarget(t) << "\n";
  out << "Confirm with: --confirm " << ConfirmArgument(targets) << "\n";
}

}  // namespace retort
