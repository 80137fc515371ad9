// The subcommands of `keel`, one file each (cmd_*.cc). Each Add* function declares its
// subcommand(s) on `app` with their options and returns what runs when one was given; the
// options' values live in the returned closures.
#pragma once

#include <functional>
#include <vector>

#include <CLI/CLI.hpp>

#include "app/config.h"

namespace keel::app {

struct Command {
  CLI::App* cmd = nullptr;     // ran when cmd->parsed()
  std::function<int()> run;    // the exit code
};
using Commands = std::vector<Command>;

void AddServeCommand(CLI::App& app, Config& c, Commands& out);     // serve
void AddDemoCommand(CLI::App& app, Config& c, Commands& out);      // demo
void AddModelCommands(CLI::App& app, Config& c, Commands& out);    // model train, model csv
void AddAdminCommands(CLI::App& app, Config& c, Commands& out);    // migrate, import, tenant, user, apikey, secrets, version, openapi
void AddStatusCommand(CLI::App& app, Config& c, Commands& out);    // status

}  // namespace keel::app
