// The `keel` binary's settings (keel.toml, KEEL_* variables, flags; later sources win) and the
// helpers every subcommand shares.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/secrets.h"
#include "common/status.h"

namespace keel::app {

inline constexpr const char* kVersion = "0.1.0";

struct Config {
  std::string database = "data/keel.db";
  std::string host = "127.0.0.1";
  int port = 8080;
  int threads = 2;
  int workers = 4;
  int pool_size = 8;
  std::string log_level = "info";
  int body_limit_mb = 16;
  int request_timeout_ms = 30000;
  int session_ttl_hours = 12;
  std::string sqlite_synchronous = "FULL";
  std::string web_root;  // the built front end (web/dist); empty: found next to the binary
  // Several nodes on one PostgreSQL (docs/scale-out.md): "all" serves the API and takes its share
  // of the background work, "api" serves the API and takes no leases, "worker" only works.
  std::string role = "all";
  int lease_ttl_ms = 10000;  // a dead node's work moves to another node after this long
  // Proxies whose X-Forwarded-For names the client (addresses or CIDR ranges); none by default.
  std::vector<std::string> trusted_proxies;
  // Non-public addresses outbound calls may reach (CIDRs or single addresses).
  std::vector<std::string> outbound_allow;
  // GET /metrics (Prometheus text, docs/deploy.md): the bearer token a scrape sends on the API's
  // listener (none: /metrics answers 404 there), and a separate listener ("127.0.0.1:9464",
  // "[::1]:9464") serving /metrics alone. Both may be set; neither leaves /metrics unserved.
  std::string metrics_token;
  std::string metrics_listen;
  // The key that seals stored secrets, and the one it replaces during a rotation. The keys
  // themselves may also come from KEEL_SECRET_KEY / KEEL_SECRET_KEY_OLD (never from this file).
  std::string secret_key_file, secret_key_file_old;
};

// Reads keel.toml into `c` (the defaults that env and flags then override). Unknown keys and
// wrong types are errors, never silently ignored.
Status LoadToml(const std::string& path, Config& c);
// KEEL_* environment variables override keel.toml.
Status ApplyEnv(Config& c);
// Ranges for values that may have come from the file rather than a checked flag.
Status Validate(const Config& c);
// "host:port" or "[v6]:port" (metrics-listen) → host and port; 400 config.range otherwise.
Result<std::pair<std::string, int>> ParseListenAddress(const std::string& text);
// The config file: --config FILE (anywhere on the line), else $KEEL_CONFIG, else ./keel.toml if present.
std::string ConfigPath(int argc, char** argv, bool* explicit_path);
// Loads the file named by ConfigPath (when given or present), then the environment; prints the
// error and returns false on failure.
bool LoadSettings(int argc, char** argv, Config& c);
// The options every database-using subcommand takes (--database, --log-level, --pool-size …).
void AddCommon(CLI::App* cmd, Config& c);
void SetupLogging(const std::string& level);
bool IsPostgresUrl(const std::string& url);
// The key that seals stored secrets (see config.cc).
Result<SecretBox> LoadSecretBox(const Config& c, bool create_default);
// Prints the error (en and zh) and returns the exit code: 2 for bad input, 1 otherwise.
int Fail(const Status& st);
// `given`, else the environment variable `env`, else empty.
std::string ReadPassword(const std::string& given, const char* env);

}  // namespace keel::app
