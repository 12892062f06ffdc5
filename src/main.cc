// retort's entry point: everything happens in RunCommandLine so that tests
// and main share one path from argv to exit code.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "retort/cli/app.h"
#include "retort/cli/project.h"

int main(int argc, char** argv) {
  // The process ends when the command returns: tearing down a loaded project
  // (10,000 scripts, the revision graph) and running the exit handlers of
  // the shared libraries (for a command that connected, the ~25 libpq pulls
  // in) only cost time (about a tenth of `retort heads` on 2,000 revisions). Every command has closed its database
  // session and removed its temporary files by the time it returns; flush
  // the streams and leave.
  retort::KeepProjectsAtExit();
  const int code = retort::RunCommandLine(argc, argv);
#if defined(__SANITIZE_ADDRESS__)
  // Sanitizer builds (RETORT_SANITIZE) exit normally: LeakSanitizer checks
  // at exit, and the end-to-end tests run this binary under it.
  return code;
#else
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  _exit(code);
#endif
}
