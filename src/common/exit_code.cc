#include "retort/common/exit_code.h"

namespace retort {

const char* ExitCodeName(ExitCode code) {
  switch (code) {
    case ExitCode::kOk: return "ok";
    case ExitCode::kStepFailed: return "step-failed";
    case ExitCode::kUsage: return "usage";
    case ExitCode::kInvalidProject: return "invalid-project";
    case ExitCode::kRefused: return "refused";
    case ExitCode::kUnreachable: return "unreachable";
    case ExitCode::kCheckFailed: return "check-failed";
  }
  return "unknown";
}

}  // namespace retort
