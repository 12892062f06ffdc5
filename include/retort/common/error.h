#pragma once
#include <stdexcept>
#include <string>

#include "retort/common/exit_code.h"

namespace retort {

/// The one exception type retort throws for expected failures. It carries the
/// exit code the process should end with, a one-sentence message and an
/// optional hint. main() prints "error: <message>" (+ "hint: <hint>").
class Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& message, std::string hint = {})
      : std::runtime_error(message), code_(code), hint_(std::move(hint)) {}

  ExitCode code() const { return code_; }
  const std::string& hint() const { return hint_; }

 private:
  ExitCode code_;
  std::string hint_;
};

/// Invalid project input (config, scripts, graph, targets): exit 3.
inline Error ProjectError(const std::string& message, std::string hint = {}) {
  return Error(ExitCode::kInvalidProject, message, std::move(hint));
}

/// Bad command-line usage: exit 2.
inline Error UsageError(const std::string& message, std::string hint = {}) {
  return Error(ExitCode::kUsage, message, std::move(hint));
}

}  // namespace retort
