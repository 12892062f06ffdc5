// A waiver must name a catalog finding that can be waived (retort.yaml(5)
// Waivers); anything else is an invalid project at its line.
#include <gtest/gtest.h>

#include "retort/cli/project.h"
#include "support/temp_dir.h"

namespace retort {
namespace {

std::string LoadError(const std::string& waiver_line) {
  testing::TempDir dir;
  dir.Write("retort.yaml", "version_locations: [versions]\nwaivers:\n" + waiver_line + "\n");
  dir.Write("versions/.keep", "");
  GlobalOptions global;
  global.config = dir.str() + "/retort.yaml";
  try {
    LoadProject(global, false);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kInvalidProject);
    return e.what();
  }
  return "";
}

TEST(ProjectWaivers, CatalogFindingsMayBeWaived) {
  EXPECT_EQ(LoadError("  - {rule: tenant-index-missing, table: audit, reason: append-only}"), "");
  EXPECT_EQ(LoadError("  - {rule: unique-without-tenant, reason: issued by Stripe}"), "");
}

TEST(ProjectWaivers, DowngradeWhereIsolationAndUnknownRulesAreRefused) {
  for (const char* rule : {"downgrade-stub", "downgrade-not-inverse", "delete-without-where",
                           "isolation-b-sees-a", "tenant-index-mising"}) {
    std::string error = LoadError(std::string("  - {rule: ") + rule + ", reason: because}");
    EXPECT_NE(error.find("retort.yaml:3: waiver rule '" + std::string(rule) + "' is not a catalog finding"),
              std::string::npos)
        << error;
  }
}

}  // namespace
}  // namespace retort
