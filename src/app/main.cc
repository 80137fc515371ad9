// keel — the command line: serve, demo, migrate, import, model, tenant create, user
// add/password, apikey create, secrets keygen/rotate, status, version, openapi. Settings come from a
// TOML file (--config, default ./keel.toml when present), then KEEL_* environment variables,
// then flags; later sources win. Each subcommand lives in its own cmd_*.cc; the engines are
// wired once, in app/runtime.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "app/commands.h"
#include "app/config.h"
#include "common/crypto.h"

int main(int argc, char** argv) {
  keel::InitCrypto();
  CLI::App app{"Keel — the AI-native sales operating system (销售操作系统)\n"
               "Settings: keel.toml (or --config FILE / $KEEL_CONFIG), then KEEL_* environment "
               "variables, then flags; later sources win."};
  app.require_subcommand(1);
  app.fallthrough();
  keel::app::Config c;
  std::string config_path;
  app.add_option("--config", config_path, "TOML settings file (default ./keel.toml when present) [env KEEL_CONFIG]");
  if (!keel::app::LoadSettings(argc, argv, c)) return 2;

  keel::app::Commands commands;
  keel::app::AddServeCommand(app, c, commands);
  keel::app::AddAdminCommands(app, c, commands);
  keel::app::AddStatusCommand(app, c, commands);
  keel::app::AddModelCommands(app, c, commands);
  keel::app::AddDemoCommand(app, c, commands);
  CLI11_PARSE(app, argc, argv);
  if (keel::Status st = keel::app::Validate(c); !st.ok()) {
    std::fprintf(stderr, "error: %s\n", st.ToString().c_str());
    return 2;
  }
  keel::app::SetupLogging(c.log_level);
  for (const auto& command : commands) {
    if (command.cmd->parsed()) return command.run();
  }
  std::fprintf(stderr, "error: no command given (keel --help)\n");
  return 2;
}
