#include "retort/common/exit_code.h"

#include <gtest/gtest.h>

namespace retort {
namespace {

TEST(ExitCodeTest, NamesAreStableKebabCase) {
  EXPECT_STREQ("ok", ExitCodeName(ExitCode::kOk));
  EXPECT_STREQ("invalid-project", ExitCodeName(ExitCode::kInvalidProject));
  EXPECT_STREQ("unreachable", ExitCodeName(ExitCode::kUnreachable));
  EXPECT_EQ(3, static_cast<int>(ExitCode::kInvalidProject));
}

}  // namespace
}  // namespace retort
