#pragma once
#include <string>

namespace retort {

/// Process exit codes, one table for the whole tool (SPEC §4). JSON output
/// carries the same value by name.
enum class ExitCode : int {
  kOk = 0,              ///< success
  kStepFailed = 1,      ///< a step failed and was rolled back
  kUsage = 2,           ///< bad command line
  kInvalidProject = 3,  ///< config, scripts, graph, unknown or ambiguous target
  kRefused = 4,         ///< refused by a gate before anything ran
  kUnreachable = 5,     ///< database unreachable or lock not acquired in time
  kCheckFailed = 6,     ///< not at head, drift, edited history
};

/// Stable kebab-case name of an exit code ("invalid-project").
const char* ExitCodeName(ExitCode code);

}  // namespace retort
