#include "retort/script/checksum.h"

#include <fstream>
#include <sstream>

#include "retort/common/error.h"
#include "retort/common/sha256.h"

namespace retort {
namespace {

void AddFile(Sha256& digest, const std::string& name, const std::string* content) {
  digest.Update(name + "\n" + (content ? std::to_string(content->size()) : std::string("-1")) + "\n");
  if (content) digest.Update(*content);
}

}  // namespace

std::string RevisionChecksum(const Script& script) {
  std::ifstream in(script.metadata_path, std::ios::binary);
  if (!in) throw ProjectError(script.metadata_path + ": cannot read file for its checksum");
  std::ostringstream metadata;
  metadata << in.rdbuf();
  const std::string text = metadata.str();
  Sha256 digest;
  AddFile(digest, "migration.yaml", &text);
  AddFile(digest, "upgrade.sql", &script.upgrade_sql);
  AddFile(digest, "downgrade.sql", script.has_downgrade ? &script.downgrade_sql : nullptr);
  return digest.HexDigest();
}

}  // namespace retort
