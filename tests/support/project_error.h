#pragma once
// The message of a ProjectError, for tests that assert exact wording.
#include <gtest/gtest.h>

#include <string>

#include "retort/common/error.h"

namespace retort::testing {

/// The ProjectError `f` throws, as "message" or "message | hint"; checks it
/// is exit 3, and returns "no error" when nothing is thrown.
template <typename F>
std::string ErrorOf(F f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(ExitCode::kInvalidProject, e.code()) << e.what();
    return e.hint().empty() ? e.what() : std::string(e.what()) + " | " + e.hint();
  }
  return "no error";
}

}  // namespace retort::testing
