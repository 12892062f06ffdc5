#pragma once
#include <functional>
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace retort {

/// Options every command accepts (SPEC §4 "Global").
struct GlobalOptions {
  std::optional<std::string> config;  ///< -c/--config
  std::optional<std::string> url;     ///< --url
  std::string format = "text";        ///< --format text|json
  bool quiet = false;                 ///< -q
  bool verbose = false;               ///< -v (before the command)
  bool no_color = false;              ///< --no-color (also NO_COLOR)
  bool json() const { return format == "json"; }
};

/// What the command line asked for: the global options and the command to
/// run once parsing succeeded. Commands return the process exit code and
/// throw retort::Error for expected failures.
struct Invocation {
  GlobalOptions global;
  std::string command;
  std::function<int()> run;
};

/// Declares the global options and every subcommand on `app`; a parsed
/// subcommand fills `invocation`.
void BuildApp(CLI::App& app, Invocation& invocation);

/// Runs retort's command line; returns the exit code (main's whole job).
int RunCommandLine(int argc, char** argv);

}  // namespace retort
