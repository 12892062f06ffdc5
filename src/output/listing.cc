// Text formats of heads/history/branches/show, byte-for-byte Alembic's
// (alembic/script/base.py: Script._head_only, log_entry, cmd_format).
#include "retort/output/listing.h"

#include <nlohmann/json.hpp>

#include "retort/common/text.h"

namespace retort {
namespace {

std::vector<std::string> Ids(const RevisionMap& map, const std::vector<int>& nodes) {
  std::vector<std::string> out;
  for (int n : nodes) out.push_back(map.id(n));
  return out;
}

std::string FormatDownRevision(const Revision& rev) {
  return rev.down_revisions.empty() ? "<base>" : Join(rev.down_revisions, ", ");
}

}  // namespace

std::string LongDoc(const Revision& rev) {
  return Strip(rev.message + "\n\nRevision ID: " + rev.id + "\nRevises: " +
               Join(rev.down_revisions, ", ") + "\nCreate Date: " + rev.create_date + "\n\n");
}

std::string Doc(const Revision& rev) {
  // The first paragraph of LongDoc, without building it when the message
  // itself holds that paragraph (every listing line needs this).
  size_t start = rev.message.find_first_not_of(" \t\n\r\v\f");
  if (start == std::string::npos) return Split(LongDoc(rev), "\n\n").front();
  size_t end = rev.message.find("\n\n", start);
  if (end == std::string::npos) {
    // The paragraph ends where the template's blank line follows the
    // message, unless the message ends in newlines of its own.
    std::string tail = rev.message.substr(start) + "\n\n";
    return tail.substr(0, tail.find("\n\n"));
  }
  return rev.message.substr(start, end - start);
}

std::string HeadOnly(const RevisionMap& map, int node, const HeadOnlyOptions& o, bool current) {
  const RevisionNode& n = map.node(node);
  std::string text = n.rev.id;
  if (o.include_parents) {
    if (!n.rev.depends_on.empty()) {
      text = FormatDownRevision(n.rev) + " (" + Join(n.rev.depends_on, ", ") + ") -> " + text;
    } else {
      text = FormatDownRevision(n.rev) + " -> " + text;
    }
  }
  if (o.include_branches && !n.branch_labels().empty()) {
    text += " (" + n.labels->joined + ")";
  }
  if (o.head_indicators || o.tree_indicators) {
    if (n.is_real_head()) text += " (head)";
    if (n.is_head() && !n.is_real_head()) text += " (effective head)";
    if (current) text += " (current)";
  }
  if (o.tree_indicators) {
    if (n.is_branch_point()) text += " (branchpoint)";
    if (n.is_merge_point()) text += " (mergepoint)";
  }
  if (o.include_doc) text += ", " + Doc(n.rev);
  return text;
}

std::string LogEntry(const RevisionMap& map, int node, const std::string& path, bool current) {
  const RevisionNode& n = map.node(node);
  std::string entry = "Rev: " + n.rev.id;
  if (n.is_head()) entry += " (head)";
  if (n.is_branch_point()) entry += " (branchpoint)";
  if (n.is_merge_point()) entry += " (mergepoint)";
  if (current) entry += " (current)";
  entry += "\n";
  entry += (n.is_merge_point() ? "Merges: " : "Parent: ") + FormatDownRevision(n.rev) + "\n";
  if (!n.rev.depends_on.empty()) entry += "Also depends on: " + Join(n.rev.depends_on, ", ") + "\n";
  if (n.is_branch_point()) entry += "Branches into: " + Join(Ids(map, n.nextrev), ", ") + "\n";
  if (!n.branch_labels().empty()) entry += "Branch names: " + n.labels->joined + "\n";
  entry += "Path: " + path + "\n";
  std::vector<std::string> lines;
  for (const std::string& l : SplitLines(LongDoc(n.rev))) lines.push_back("    " + l);
  entry += "\n" + Join(lines, "\n") + "\n";
  return entry;
}

std::string CmdFormat(const RevisionMap& map, int node, bool verbose, const HeadOnlyOptions& options,
                      const std::string& path, bool current) {
  return verbose ? LogEntry(map, node, path, current) : HeadOnly(map, node, options, current);
}

nlohmann::json RevisionJson(const RevisionMap& map, int node, const std::string& path) {
  const RevisionNode& n = map.node(node);
  return nlohmann::json{
      {"revision", n.rev.id},
      {"down_revisions", n.rev.down_revisions},
      {"depends_on", n.rev.depends_on},
      {"branch_labels", n.branch_labels()},
      {"declared_branch_labels", n.rev.branch_labels},
      {"message", n.rev.message},
      {"doc", Doc(n.rev)},
      {"create_date", n.rev.create_date},
      {"children", Ids(map, n.nextrev)},
      {"is_head", n.is_real_head()},
      {"is_effective_head", n.is_head() && !n.is_real_head()},
      {"is_base", n.is_base()},
      {"is_branch_point", n.is_branch_point()},
      {"is_merge_point", n.is_merge_point()},
      {"path", path},
  };
}

}  // namespace retort
