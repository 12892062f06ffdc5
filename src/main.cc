// retort's entry point: everything happens in RunCommandLine so that tests
// and main share one path from argv to exit code.
#include "retort/cli/app.h"

int main(int argc, char** argv) { return retort::RunCommandLine(argc, argv); }
