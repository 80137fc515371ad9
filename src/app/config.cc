#include "app/config.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sys/stat.h>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <toml++/toml.h>

#include "common/net.h"

namespace keel::app {

// Reads keel.toml into `c` (the defaults that env and flags then override). Unknown keys and
// wrong types are errors, never silently ignored.
Status LoadToml(const std::string& path, Config& c) {
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return Status::Invalid("config.toml", path + ":" + std::to_string(e.source().begin.line) + ": " +
                                                    std::string(e.description()),
                                 "配置文件解析失败 " + path + ":" + std::to_string(e.source().begin.line));
  }
  for (auto&& [key, node] : t) {
    std::string k(key.str());
    std::replace(k.begin(), k.end(), '_', '-');
    auto bad = [&](const char* what) {
      return Status::Invalid("config.toml", path + ": '" + k + "' must be " + what,
                                   path + "：'" + k + "' 类型错误", k);
    };
    auto str = [&](std::string& out) -> Status {
      if (!node.is_string()) return bad("a string");
      out = node.as_string()->get();
      return {};
    };
    auto num = [&](int& out) -> Status {
      if (!node.is_integer()) return bad("an integer");
      out = static_cast<int>(node.as_integer()->get());
      return {};
    };
    auto strings = [&](std::vector<std::string>& out) -> Status {
      if (!node.is_array()) return bad("a list of strings");
      out.clear();
      for (auto&& item : *node.as_array()) {
        if (!item.is_string()) return bad("a list of strings");
        out.push_back(item.as_string()->get());
      }
      return {};
    };
    Status st;
    if (k == "database") st = str(c.database);
    else if (k == "host") st = str(c.host);
    else if (k == "port") st = num(c.port);
    else if (k == "threads") st = num(c.threads);
    else if (k == "workers") st = num(c.workers);
    else if (k == "pool-size") st = num(c.pool_size);
    else if (k == "log-level") st = str(c.log_level);
    else if (k == "body-limit-mb") st = num(c.body_limit_mb);
    else if (k == "request-timeout-ms") st = num(c.request_timeout_ms);
    else if (k == "session-ttl-hours") st = num(c.session_ttl_hours);
    else if (k == "sqlite-synchronous") st = str(c.sqlite_synchronous);
    else if (k == "web-root") st = str(c.web_root);
    else if (k == "role") st = str(c.role);
    else if (k == "lease-ttl-ms") st = num(c.lease_ttl_ms);
    else if (k == "trusted-proxies") {
      if (!node.is_array()) return bad("a list of addresses or ranges, e.g. [\"127.0.0.1\", \"10.0.0.0/8\"]");
      c.trusted_proxies.clear();
      for (auto&& item : *node.as_array()) {
        if (!item.is_string()) return bad("a list of strings");
        c.trusted_proxies.push_back(item.as_string()->get());
      }
    }
    else if (k == "outbound-allow") st = strings(c.outbound_allow);
    else if (k == "metrics-token") st = str(c.metrics_token);
    else if (k == "metrics-listen") st = str(c.metrics_listen);
    else if (k == "secret-key-file") st = str(c.secret_key_file);
    else if (k == "secret-key-file-old") st = str(c.secret_key_file_old);
    else return Status::Invalid("config.toml", path + ": unknown setting '" + k + "'",
                                      path + "：未知配置项 '" + k + "'", k);
    if (!st.ok()) return st;
  }
  return {};
}

// KEEL_* environment variables override keel.toml (flags, parsed afterwards, override both).
// CLI11's own env support is not used: with the same option on several subcommands it lets
// the environment overwrite a flag.
Status ApplyEnv(Config& c) {
  struct Str { const char* env; std::string* field; };
  struct Int { const char* env; int* field; };
  for (auto [env, field] : {Str{"KEEL_DATABASE", &c.database}, Str{"KEEL_HOST", &c.host},
                            Str{"KEEL_LOG_LEVEL", &c.log_level}, Str{"KEEL_SQLITE_SYNCHRONOUS", &c.sqlite_synchronous},
                            Str{"KEEL_WEB_ROOT", &c.web_root}, Str{"KEEL_ROLE", &c.role}, Str{"KEEL_SECRET_KEY_FILE", &c.secret_key_file},
                            Str{"KEEL_SECRET_KEY_FILE_OLD", &c.secret_key_file_old}, Str{"KEEL_METRICS_TOKEN", &c.metrics_token},
                            Str{"KEEL_METRICS_LISTEN", &c.metrics_listen}}) {
    if (const char* v = std::getenv(env)) *field = v;
  }
  if (const char* v = std::getenv("KEEL_TRUSTED_PROXIES")) {
    c.trusted_proxies.clear();
    std::string list = v;
    for (size_t start = 0; start <= list.size();) {
      size_t comma = list.find(',', start);
      std::string item = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!item.empty()) c.trusted_proxies.push_back(item);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  if (const char* v = std::getenv("KEEL_OUTBOUND_ALLOW")) {
    // Comma-separated; an empty value clears what keel.toml allowed.
    c.outbound_allow.clear();
    std::string all = v;
    for (size_t start = 0; start <= all.size();) {
      size_t comma = all.find(',', start);
      if (comma == std::string::npos) comma = all.size();
      std::string item = all.substr(start, comma - start);
      item.erase(0, item.find_first_not_of(" \t"));
      item.erase(item.find_last_not_of(" \t") + 1);
      if (!item.empty()) c.outbound_allow.push_back(item);
      start = comma + 1;
    }
  }
  for (auto [env, field] : {Int{"KEEL_PORT", &c.port}, Int{"KEEL_THREADS", &c.threads}, Int{"KEEL_WORKERS", &c.workers},
                            Int{"KEEL_POOL_SIZE", &c.pool_size}, Int{"KEEL_BODY_LIMIT_MB", &c.body_limit_mb},
                            Int{"KEEL_REQUEST_TIMEOUT_MS", &c.request_timeout_ms},
                            Int{"KEEL_SESSION_TTL_HOURS", &c.session_ttl_hours}, Int{"KEEL_LEASE_TTL_MS", &c.lease_ttl_ms}}) {
    const char* v = std::getenv(env);
    if (!v) continue;
    char* end = nullptr;
    long x = std::strtol(v, &end, 10);
    if (!*v || *end) {
      return Status::Invalid("config.env", std::string(env) + " must be an integer",
                                   std::string(env) + " 应为整数", env);
    }
    *field = static_cast<int>(x);
  }
  return {};
}

// Ranges for values that may have come from the file rather than a checked flag.
Status Validate(const Config& c) {
  auto range = [](const char* name, int v, int lo, int hi) {
    if (v >= lo && v <= hi) return Status();
    return Status::Invalid("config.range", std::string(name) + " must be " + std::to_string(lo) + " to " +
                                                     std::to_string(hi),
                                 std::string(name) + " 应在 " + std::to_string(lo) + " 到 " + std::to_string(hi) + " 之间",
                                 name);
  };
  for (auto st : {range("port", c.port, 0, 65535), range("threads", c.threads, 1, 64),
                  range("workers", c.workers, 1, 256),
                  range("pool-size", c.pool_size, 1, 256), range("body-limit-mb", c.body_limit_mb, 1, 1024),
                  range("request-timeout-ms", c.request_timeout_ms, 100, 600000),
                  range("session-ttl-hours", c.session_ttl_hours, 1, 24 * 90),
                  range("lease-ttl-ms", c.lease_ttl_ms, 1000, 600000)}) {
    if (!st.ok()) return st;
  }
  if (auto proxies = keel::net::ParseCidrs(c.trusted_proxies); !proxies.ok()) return proxies.status().WithField("trusted-proxies");
  if (c.sqlite_synchronous != "FULL" && c.sqlite_synchronous != "NORMAL") {
    return Status::Invalid("config.range", "sqlite-synchronous must be FULL or NORMAL",
                                 "sqlite-synchronous 只能为 FULL 或 NORMAL", "sqlite-synchronous");
  }
  if (auto cidrs = keel::net::ParseCidrs(c.outbound_allow); !cidrs.ok()) return cidrs.status().WithField("outbound-allow");
  if (c.role != "all" && c.role != "api" && c.role != "worker") {
    return Status::Invalid("config.range", "role must be all, api or worker", "role 只能为 all、api 或 worker", "role");
  }
  if (!c.metrics_token.empty() && c.metrics_token.size() < 16) {
    return Status::Invalid("config.range", "metrics-token must be at least 16 characters (e.g. openssl rand -hex 32)",
                           "metrics-token 至少 16 个字符（例如 openssl rand -hex 32）", "metrics-token");
  }
  if (!c.metrics_listen.empty()) {
    if (auto listen = ParseListenAddress(c.metrics_listen); !listen.ok()) return listen.status();
  }
  static const char* kLevels[] = {"trace", "debug", "info", "warn", "error"};
  if (std::find(std::begin(kLevels), std::end(kLevels), c.log_level) == std::end(kLevels)) {
    return Status::Invalid("config.range", "log-level must be trace, debug, info, warn or error",
                                 "log-level 取值无效", "log-level");
  }
  return {};
}

Result<std::pair<std::string, int>> ParseListenAddress(const std::string& text) {
  const Status bad = Status::Invalid("config.range", "metrics-listen must be host:port, e.g. 127.0.0.1:9464 or [::1]:9464",
                                     "metrics-listen 应为 主机:端口，例如 127.0.0.1:9464 或 [::1]:9464", "metrics-listen");
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return bad;
  std::string host = text.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return bad;
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    return bad;  // an IPv6 address goes in brackets
  }
  const std::string digits = text.substr(colon + 1);
  if (digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos) return bad;
  int port = std::stoi(digits);
  if (port < 1 || port > 65535) return bad;
  return std::make_pair(host, port);
}

// The config file: --config FILE (anywhere on the line), else $KEEL_CONFIG, else ./keel.toml if present.
std::string ConfigPath(int argc, char** argv, bool* explicit_path) {
  *explicit_path = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--config" && i + 1 < argc) return argv[i + 1];
    if (a.rfind("--config=", 0) == 0) return a.substr(9);
  }
  if (const char* e = std::getenv("KEEL_CONFIG")) return e;
  *explicit_path = false;
  return "keel.toml";
}

void AddCommon(CLI::App* cmd, Config& c) {
  cmd->add_option("--database,-d", c.database,
                  "SQLite file path, or a PostgreSQL URL (postgresql://user@host:port/db) [env KEEL_DATABASE]")
      ->capture_default_str();
  cmd->add_option("--log-level", c.log_level, "trace, debug, info, warn, error [env KEEL_LOG_LEVEL]")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  cmd->add_option("--pool-size", c.pool_size, "database connections in the pool [env KEEL_POOL_SIZE]")
      ->capture_default_str()->check(CLI::Range(1, 256));
  cmd->add_option("--sqlite-synchronous", c.sqlite_synchronous,
                  "SQLite durability: FULL survives power loss, NORMAL a process crash [env KEEL_SQLITE_SYNCHRONOUS]")
      ->capture_default_str()
      ->check(CLI::IsMember({"FULL", "NORMAL"}));
}

void SetupLogging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("keel");
  spdlog::set_default_logger(logger);
  // logfmt-style lines: time in UTC, level, then key=value fields.
  spdlog::set_pattern("ts=%Y-%m-%dT%H:%M:%S.%eZ level=%l %v", spdlog::pattern_time_type::utc);
  spdlog::set_level(spdlog::level::from_str(level));
}

bool IsPostgresUrl(const std::string& url) {
  return url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0 || url.rfind("host=", 0) == 0;
}

// The key file used when none is configured: beside the SQLite database ("data/keel.db" →
// "data/keel.db.key"). None for PostgreSQL, where several servers must share one key.
std::string DefaultKeyFile(const std::string& database) {
  if (IsPostgresUrl(database) || database.empty() || database == ":memory:" || database == "sqlite::memory:") return {};
  std::string path = database.rfind("sqlite:", 0) == 0 ? database.substr(7) : database;
  return path + ".key";
}

// The key that seals stored secrets (webhook URLs and secrets, the LLM key): KEEL_SECRET_KEY,
// else secret-key-file, else the default key file beside a SQLite database — created (0600)
// on first start when absent. With PostgreSQL and no key the server runs, but refuses to store
// secrets (secrets.no_key) until one is configured. An old key (KEEL_SECRET_KEY_OLD or
// secret-key-file-old) still opens what it sealed, for a rotation.
Result<SecretBox> LoadSecretBox(const Config& c, bool create_default) {
  std::string key;
  if (const char* e = std::getenv("KEEL_SECRET_KEY"); e != nullptr && *e != '\0') {
    KEEL_ASSIGN_OR_RETURN(key, ParseSecretKey(e, "KEEL_SECRET_KEY"));
  } else {
    std::string path = c.secret_key_file;
    const bool configured = !path.empty();
    if (!configured) path = DefaultKeyFile(c.database);
    if (path.empty()) {
      spdlog::warn("no secret key is configured (KEEL_SECRET_KEY or secret-key-file): webhooks and API keys of outside "
                   "services cannot be saved until one is; make one with `keel secrets keygen`");
      return SecretBox();
    }
    if (configured || std::filesystem::exists(path)) {
      KEEL_ASSIGN_OR_RETURN(key, ReadSecretKeyFile(path));
      struct stat st {};
      if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
        spdlog::warn("secret key file {} is readable by others than its owner: chmod 600 it", path);
      }
    } else if (create_default) {
      KEEL_ASSIGN_OR_RETURN(key, CreateSecretKeyFile(path));
      spdlog::info("generated the secret key {} (mode 0600) that encrypts webhook and API secrets; back it up apart "
                   "from the database — without it they cannot be read (docs/security.md)", path);
    } else {
      return SecretBox();
    }
  }
  std::vector<std::string> old;
  if (const char* e = std::getenv("KEEL_SECRET_KEY_OLD"); e != nullptr && *e != '\0') {
    KEEL_ASSIGN_OR_RETURN(std::string k, ParseSecretKey(e, "KEEL_SECRET_KEY_OLD"));
    old.push_back(std::move(k));
  }
  if (!c.secret_key_file_old.empty()) {
    KEEL_ASSIGN_OR_RETURN(std::string k, ReadSecretKeyFile(c.secret_key_file_old));
    old.push_back(std::move(k));
  }
  return SecretBox::FromKeys(std::move(key), std::move(old));
}

int Fail(const Status& st) {
  std::fprintf(stderr, "error: %s\n       %s\n", st.ToString().c_str(), st.message_zh().c_str());
  return st.kind() == ErrorKind::kInvalid || st.kind() == ErrorKind::kConflict ? 2 : 1;
}

std::string ReadPassword(const std::string& given, const char* env) {
  if (!given.empty()) return given;
  const char* e = std::getenv(env);
  return e ? e : "";
}

bool LoadSettings(int argc, char** argv, Config& c) {
  bool explicit_path = false;
  std::string path = ConfigPath(argc, argv, &explicit_path);
  if (explicit_path || std::filesystem::exists(path)) {
    Status st = LoadToml(path, c);
    if (!st.ok()) {
      std::fprintf(stderr, "error: %s\n", st.ToString().c_str());
      return false;
    }
  }
  Status st = ApplyEnv(c);
  if (!st.ok()) {
    std::fprintf(stderr, "error: %s\n", st.ToString().c_str());
    return false;
  }
  return true;
}

}  // namespace keel::app
