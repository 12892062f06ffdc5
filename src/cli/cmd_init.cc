// `retort init DIRECTORY`: create a new script directory.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>

#include "retort/cli/commands.h"
#include "retort/script/script_writer.h"

namespace retort {
namespace {

int RunInit(const std::string& directory) {
  std::error_code ec;
  std::string abs = std::filesystem::absolute(directory, ec).lexically_normal().string();
  InitScriptDirectory(directory);
  std::cout << "  Creating directory " << abs << " ...  done\n"
            << "  Creating directory " << abs << "/versions ...  done\n"
            << "  Generating " << abs << "/retort.yaml ...  done\n"
            << "Please edit configuration/connection settings in '" << abs
            << "/retort.yaml' before proceeding.\n";
  return 0;
}

}  // namespace

void SetupInit(CLI::App& app, Invocation& inv) {
  auto dir = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("init", "Initialize a new scripts directory.");
  cmd->add_option("directory", *dir, "location of scripts directory")->required();
  cmd->callback([&inv, dir] {
    inv.command = "init";
    inv.run = [dir] { return RunInit(*dir); };
  });
}

}  // namespace retort
