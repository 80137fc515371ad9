// keel — the command line: serve, demo, migrate, tenant create, user add/password,
// apikey create, secrets keygen/rotate, version. Configuration comes from a TOML file (--config, default ./keel.toml
// when present), then KEEL_* environment variables, then flags; later sources win.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sys/stat.h>
#include <toml++/toml.h>

#include "common/crypto.h"
#include "common/net.h"
#include "common/outbound.h"
#include "common/secrets.h"
#include "common/yaml.h"
#include "demo/demo.h"
#include "demo/live.h"
#include "domain/auth.h"
#include "domain/records.h"
#include "http/api.h"
#include "ingest/ingest.h"
#include "ai/service.h"
#include "ai/tabular.h"
#include "org/approvals.h"
#include "org/budgets.h"
#include "org/changes.h"
#include "org/expenses.h"
#include "org/ledger.h"
#include "org/profit_sharing.h"
#include "org/feedback_links.h"
#include "org/materials.h"
#include "org/governance.h"
#include "text/service.h"
#include "alerts/engine.h"
#include "metrics/engine.h"
#include "http/server.h"
#include "http/static_files.h"
#include "http/streams.h"
#include "store/database.h"

namespace {

constexpr const char* kVersion = "0.1.0";

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
  // Proxies whose X-Forwarded-For names the client (addresses or CIDR ranges); none by default.
  std::vector<std::string> trusted_proxies;
  // Non-public addresses outbound calls may reach (CIDRs or single addresses).
  std::vector<std::string> outbound_allow;
  // The key that seals stored secrets, and the one it replaces during a rotation. The keys
  // themselves may also come from KEEL_SECRET_KEY / KEEL_SECRET_KEY_OLD (never from this file).
  std::string secret_key_file, secret_key_file_old;
};

// Reads keel.toml into `c` (the defaults that env and flags then override). Unknown keys and
// wrong types are errors, never silently ignored.
keel::Status LoadToml(const std::string& path, Config& c) {
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return keel::Status::Invalid("config.toml", path + ":" + std::to_string(e.source().begin.line) + ": " +
                                                    std::string(e.description()),
                                 "配置文件解析失败 " + path + ":" + std::to_string(e.source().begin.line));
  }
  for (auto&& [key, node] : t) {
    std::string k(key.str());
    std::replace(k.begin(), k.end(), '_', '-');
    auto bad = [&](const char* what) {
      return keel::Status::Invalid("config.toml", path + ": '" + k + "' must be " + what,
                                   path + "：'" + k + "' 类型错误", k);
    };
    auto str = [&](std::string& out) -> keel::Status {
      if (!node.is_string()) return bad("a string");
      out = node.as_string()->get();
      return {};
    };
    auto num = [&](int& out) -> keel::Status {
      if (!node.is_integer()) return bad("an integer");
      out = static_cast<int>(node.as_integer()->get());
      return {};
    };
    auto strings = [&](std::vector<std::string>& out) -> keel::Status {
      if (!node.is_array()) return bad("a list of strings");
      out.clear();
      for (auto&& item : *node.as_array()) {
        if (!item.is_string()) return bad("a list of strings");
        out.push_back(item.as_string()->get());
      }
      return {};
    };
    keel::Status st;
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
    else if (k == "trusted-proxies") {
      if (!node.is_array()) return bad("a list of addresses or ranges, e.g. [\"127.0.0.1\", \"10.0.0.0/8\"]");
      c.trusted_proxies.clear();
      for (auto&& item : *node.as_array()) {
        if (!item.is_string()) return bad("a list of strings");
        c.trusted_proxies.push_back(item.as_string()->get());
      }
    }
    else if (k == "outbound-allow") st = strings(c.outbound_allow);
    else if (k == "secret-key-file") st = str(c.secret_key_file);
    else if (k == "secret-key-file-old") st = str(c.secret_key_file_old);
    else return keel::Status::Invalid("config.toml", path + ": unknown setting '" + k + "'",
                                      path + "：未知配置项 '" + k + "'", k);
    if (!st.ok()) return st;
  }
  return {};
}

// KEEL_* environment variables override keel.toml (flags, parsed afterwards, override both).
// CLI11's own env support is not used: with the same option on several subcommands it lets
// the environment overwrite a flag.
keel::Status ApplyEnv(Config& c) {
  struct Str { const char* env; std::string* field; };
  struct Int { const char* env; int* field; };
  for (auto [env, field] : {Str{"KEEL_DATABASE", &c.database}, Str{"KEEL_HOST", &c.host},
                            Str{"KEEL_LOG_LEVEL", &c.log_level}, Str{"KEEL_SQLITE_SYNCHRONOUS", &c.sqlite_synchronous},
                            Str{"KEEL_WEB_ROOT", &c.web_root}, Str{"KEEL_SECRET_KEY_FILE", &c.secret_key_file},
                            Str{"KEEL_SECRET_KEY_FILE_OLD", &c.secret_key_file_old}}) {
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
                            Int{"KEEL_SESSION_TTL_HOURS", &c.session_ttl_hours}}) {
    const char* v = std::getenv(env);
    if (!v) continue;
    char* end = nullptr;
    long x = std::strtol(v, &end, 10);
    if (!*v || *end) {
      return keel::Status::Invalid("config.env", std::string(env) + " must be an integer",
                                   std::string(env) + " 应为整数", env);
    }
    *field = static_cast<int>(x);
  }
  return {};
}

// Ranges for values that may have come from the file rather than a checked flag.
keel::Status Validate(const Config& c) {
  auto range = [](const char* name, int v, int lo, int hi) {
    if (v >= lo && v <= hi) return keel::Status();
    return keel::Status::Invalid("config.range", std::string(name) + " must be " + std::to_string(lo) + " to " +
                                                     std::to_string(hi),
                                 std::string(name) + " 应在 " + std::to_string(lo) + " 到 " + std::to_string(hi) + " 之间",
                                 name);
  };
  for (auto st : {range("port", c.port, 0, 65535), range("threads", c.threads, 1, 64),
                  range("workers", c.workers, 1, 256),
                  range("pool-size", c.pool_size, 1, 256), range("body-limit-mb", c.body_limit_mb, 1, 1024),
                  range("request-timeout-ms", c.request_timeout_ms, 100, 600000),
                  range("session-ttl-hours", c.session_ttl_hours, 1, 24 * 90)}) {
    if (!st.ok()) return st;
  }
  if (auto proxies = keel::net::ParseCidrs(c.trusted_proxies); !proxies.ok()) return proxies.status().WithField("trusted-proxies");
  if (c.sqlite_synchronous != "FULL" && c.sqlite_synchronous != "NORMAL") {
    return keel::Status::Invalid("config.range", "sqlite-synchronous must be FULL or NORMAL",
                                 "sqlite-synchronous 只能为 FULL 或 NORMAL", "sqlite-synchronous");
  }
  if (auto cidrs = keel::net::ParseCidrs(c.outbound_allow); !cidrs.ok()) return cidrs.status().WithField("outbound-allow");
  static const char* kLevels[] = {"trace", "debug", "info", "warn", "error"};
  if (std::find(std::begin(kLevels), std::end(kLevels), c.log_level) == std::end(kLevels)) {
    return keel::Status::Invalid("config.range", "log-level must be trace, debug, info, warn or error",
                                 "log-level 取值无效", "log-level");
  }
  return {};
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

// Alert rules the demo tenant starts with (docs/alerts.md explains them).
constexpr const char* kDemoAlertRules = R"YAML(
- name: living_off_old_customers
  label: {zh: 吃老本：业绩达标但客户覆盖低, en: "Living off old customers: on target, low coverage"}
  metric: customer_coverage
  group_by: [unit]
  window: 4w
  every: 5m
  tiers:
    - {severity: warning, when: "COMPLETION('revenue') >= 0.7 AND value < 0.025"}
    - {severity: critical, when: "COMPLETION('revenue') >= 0.7 AND value < 0.02", for: 10m}
  recover_when: "value >= 0.035"
  route: [{notify: unit_lead}, {wait: 4h}, {notify: hq}]
  create_task: true
- name: unit_sales_stalled
  label: {zh: 战队今日销售停滞, en: Unit sales stalled today}
  metric: revenue
  group_by: [unit]
  window: 2h
  every: 1m
  no_data: keep
  tiers:
    - {severity: warning, when: "ZSCORE(2h) < -3"}
  recover_when: "ZSCORE(2h) > -1"
  route: [{notify: unit_lead}]
- name: win_rate_falling
  label: {zh: 赢单率下滑, en: Win rate falling}
  metric: win_rate
  group_by: [unit]
  window: 4w
  every: 10m
  no_data: keep
  tiers:
    - {severity: info, when: "CHANGE_PCT(4w) < -30"}
  route: [{notify: unit_lead}]
)YAML";

// `keel demo --live`: the generator wrote with durability off; serve from a fresh process.
int ServeLive(const std::string& database, const std::string& tenant) {
  std::fflush(stdout);
  std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  std::vector<std::string> args = {self, "serve", "--database", database, "--live-demo", tenant};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  execv(self.c_str(), argv.data());
  std::fprintf(stderr, "cannot start the server: %s\n", std::strerror(errno));
  return 1;
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
keel::Result<keel::SecretBox> LoadSecretBox(const Config& c, bool create_default) {
  std::string key;
  if (const char* e = std::getenv("KEEL_SECRET_KEY"); e != nullptr && *e != '\0') {
    KEEL_ASSIGN_OR_RETURN(key, keel::ParseSecretKey(e, "KEEL_SECRET_KEY"));
  } else {
    std::string path = c.secret_key_file;
    const bool configured = !path.empty();
    if (!configured) path = DefaultKeyFile(c.database);
    if (path.empty()) {
      spdlog::warn("no secret key is configured (KEEL_SECRET_KEY or secret-key-file): webhooks and API keys of outside "
                   "services cannot be saved until one is; make one with `keel secrets keygen`");
      return keel::SecretBox();
    }
    if (configured || std::filesystem::exists(path)) {
      KEEL_ASSIGN_OR_RETURN(key, keel::ReadSecretKeyFile(path));
      struct stat st {};
      if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
        spdlog::warn("secret key file {} is readable by others than its owner: chmod 600 it", path);
      }
    } else if (create_default) {
      KEEL_ASSIGN_OR_RETURN(key, keel::CreateSecretKeyFile(path));
      spdlog::info("generated the secret key {} (mode 0600) that encrypts webhook and API secrets; back it up apart "
                   "from the database — without it they cannot be read (docs/security.md)", path);
    } else {
      return keel::SecretBox();
    }
  }
  std::vector<std::string> old;
  if (const char* e = std::getenv("KEEL_SECRET_KEY_OLD"); e != nullptr && *e != '\0') {
    KEEL_ASSIGN_OR_RETURN(std::string k, keel::ParseSecretKey(e, "KEEL_SECRET_KEY_OLD"));
    old.push_back(std::move(k));
  }
  if (!c.secret_key_file_old.empty()) {
    KEEL_ASSIGN_OR_RETURN(std::string k, keel::ReadSecretKeyFile(c.secret_key_file_old));
    old.push_back(std::move(k));
  }
  return keel::SecretBox::FromKeys(std::move(key), std::move(old));
}

struct Services {
  std::unique_ptr<keel::store::Database> db;
  std::unique_ptr<keel::domain::RecordService> records;
  std::unique_ptr<keel::domain::AuthService> auth;
};

keel::Result<Services> Open(const Config& c, const std::string& synchronous, const keel::Clock& clock) {
  keel::store::DatabaseOptions opt;
  opt.pool_size = c.pool_size;
  opt.sqlite_synchronous = synchronous;
  auto db = keel::store::Database::Open(c.database, opt);
  if (!db.ok()) return db.status();
  auto applied = keel::store::Migrate(**db);
  if (!applied.ok()) return applied.status();
  if (*applied > 0) spdlog::info("migrate applied={} schema_version={}", *applied, keel::store::LatestSchemaVersion());
  Services s;
  s.db = std::move(db).value();
  s.records = std::make_unique<keel::domain::RecordService>(*s.db, clock);
  keel::domain::AuthOptions ao;
  ao.session_ttl_ms = static_cast<keel::TimeMs>(c.session_ttl_hours) * 3600 * 1000;
  s.auth = std::make_unique<keel::domain::AuthService>(*s.db, clock, *s.records, ao);
  return s;
}

// The agile units' services, wired together: governance (boundaries, compliance) in approvals,
// expenses and change requests; expenses and change requests hooked into the approval engine.
struct OrgParts {
  OrgParts(keel::store::Database& db, keel::domain::RecordService& records, const keel::Clock& clock)
      : approvals(db, records, clock),
        budgets(db, clock),
        ledger(db, clock),
        sharing(db, ledger, clock),
        expenses(db, records, approvals, budgets, ledger, clock),
        materials(db, records, clock),
        feedback_links(db, records, clock),
        governance(db, clock),
        changes(db, records, approvals, budgets, clock) {
    approvals.SetGovernance(&governance);
    expenses.SetGovernance(&governance);
    changes.SetGovernance(&governance);
  }
  // The engine's timer calls hooks of the parts declared after it: it stops first.
  ~OrgParts() { approvals.Stop(); }
  // The API's services: `base` (metrics … text) with these.
  keel::http::ApiServices Services(keel::http::ApiServices base) {
    base.approvals = &approvals;
    base.budgets = &budgets;
    base.ledger = &ledger;
    base.profit_sharing = &sharing;
    base.expenses = &expenses;
    base.materials = &materials;
    base.feedback_links = &feedback_links;
    base.governance = &governance;
    return base;
  }
  keel::org::ApprovalEngine approvals;
  keel::org::BudgetService budgets;
  keel::org::Ledger ledger;
  keel::org::ProfitSharing sharing;
  keel::org::ExpenseService expenses;
  keel::org::MaterialService materials;
  keel::org::FeedbackLinkService feedback_links;
  keel::org::Governance governance;
  keel::org::ChangeRequests changes;
};

int Fail(const keel::Status& st) {
  std::fprintf(stderr, "error: %s\n       %s\n", st.ToString().c_str(), st.message_zh().c_str());
  return st.kind() == keel::ErrorKind::kInvalid || st.kind() == keel::ErrorKind::kConflict ? 2 : 1;
}

// `keel model csv`: a foreign table → profile, cross-validated model, card. No database.
int TrainCsv(const std::string& file, const std::string& label, const std::string& positive, const std::vector<std::string>& exclude,
             const std::string& time_column, int folds, bool as_json) {
  std::ifstream in(file, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  auto table = keel::ai::ReadTable(text);
  if (!table.ok()) return Fail(table.status());
  std::printf("%zu rows, %zu columns:\n", table->rows.size(), table->header.size());
  for (const auto& col : keel::ai::Profile(*table)) {
    std::printf("  %-18s %-9s %6lld distinct %6lld missing", col.name.c_str(), keel::ai::ColumnTypeName(col.type),
                static_cast<long long>(col.distinct), static_cast<long long>(col.missing));
    if (!col.top.empty()) std::printf("   e.g. %s", col.top[0].first.c_str());
    std::printf("\n");
  }
  nlohmann::json mapping = {{"label", label}, {"exclude", exclude}, {"folds", folds}};
  if (!positive.empty()) mapping["positive"] = positive;
  if (!time_column.empty()) mapping["time_column"] = time_column;
  auto m = keel::ai::ParseMapping(mapping, *table);
  if (!m.ok()) return Fail(m.status());
  auto model = keel::ai::TrainTabular(*table, *m, keel::ai::TrainParams{}, 100, [](int done, int total, const std::string& what) {
    std::printf("%3d%%  %s\n", 100 * done / total, what.c_str());
    std::fflush(stdout);
  });
  if (!model.ok()) return Fail(model.status());
  const auto& card = model->card;
  if (as_json) {
    std::printf("%s\n", card.dump(1).c_str());
    return 0;
  }
  const auto& cv = card["cross_validation"];
  std::printf("label %s = '%s': %d positive, %d negative; %zu features\n", label.c_str(),
              card["label"]["positive"].get<std::string>().c_str(), card["label"]["positives"].get<int>(),
              card["label"]["negatives"].get<int>(), model->encoder.feature_names.size());
  std::printf("cross-validated AUC %.4f (%d folds: %.4f ± %.4f), log loss %.4f, Brier %.4f\n", cv["auc"].get<double>(),
              cv["folds"].get<int>(), cv["auc_mean"].get<double>(), cv["auc_sd"].get<double>(), cv["log_loss"].get<double>(),
              cv["brier"].get<double>());
  if (!card["holdout"].is_null()) {
    std::printf("holdout AUC %.4f on %d rows (%s)\n", card["holdout"]["auc"].get<double>(), card["holdout"]["rows"].get<int>(),
                card["holdout"]["split"].get<std::string>().c_str());
  }
  std::printf("top features:\n");
  for (const auto& f : card["importance"]) {
    std::printf("  %-28s %5.1f%%\n", f["feature"].get<std::string>().c_str(), f["share"].get<double>() * 100);
  }
  return 0;
}

std::string ReadPassword(const std::string& given, const char* env) {
  if (!given.empty()) return given;
  const char* e = std::getenv(env);
  return e ? e : "";
}

}  // namespace

int main(int argc, char** argv) {
  keel::InitCrypto();
  CLI::App app{"Keel — the AI-native sales operating system (销售操作系统)\n"
               "Settings: keel.toml (or --config FILE / $KEEL_CONFIG), then KEEL_* environment "
               "variables, then flags; later sources win."};
  app.require_subcommand(1);
  app.fallthrough();
  Config c;
  std::string config_path;
  app.add_option("--config", config_path, "TOML settings file (default ./keel.toml when present) [env KEEL_CONFIG]")
      ;
  {
    bool explicit_path = false;
    std::string path = ConfigPath(argc, argv, &explicit_path);
    if (explicit_path || std::filesystem::exists(path)) {
      keel::Status st = LoadToml(path, c);
      if (!st.ok()) {
        std::fprintf(stderr, "error: %s\n", st.ToString().c_str());
        return 2;
      }
    }
    keel::Status st = ApplyEnv(c);
    if (!st.ok()) {
      std::fprintf(stderr, "error: %s\n", st.ToString().c_str());
      return 2;
    }
  }

  // serve
  auto* serve = app.add_subcommand("serve", "Run the HTTP API server");
  serve->footer("Every option can also be set in keel.toml (--config FILE or $KEEL_CONFIG; keys as the "
                "long option names, e.g. pool-size = 8) and overridden by its KEEL_* variable, then by the flag.");
  AddCommon(serve, c);
  serve->add_option("--web-root", c.web_root, "directory of the built web front end [env KEEL_WEB_ROOT; default: web/dist here or beside the binary]");
  serve->add_option("--host", c.host, "listen address [env KEEL_HOST]")->capture_default_str();
  serve->add_option("--port,-p", c.port, "listen port (0: any free port) [env KEEL_PORT]")
      ->capture_default_str()->check(CLI::Range(0, 65535));
  serve->add_option("--workers", c.workers, "handler threads (database work, password hashing); keep pool-size ≥ workers [env KEEL_WORKERS]")
      ->capture_default_str()->check(CLI::Range(1, 256));
  serve->add_option("--threads", c.threads, "I/O threads [env KEEL_THREADS]")
      ->capture_default_str()->check(CLI::Range(1, 64));
  serve->add_option("--body-limit-mb", c.body_limit_mb, "largest request body in MiB [env KEEL_BODY_LIMIT_MB]")
      ->capture_default_str()->check(CLI::Range(1, 1024));
  serve->add_option("--request-timeout-ms", c.request_timeout_ms, "time to read a request and write its reply [env KEEL_REQUEST_TIMEOUT_MS]")
      ->capture_default_str()->check(CLI::Range(100, 600000));
  serve->add_option("--session-ttl-hours", c.session_ttl_hours, "login session lifetime [env KEEL_SESSION_TTL_HOURS]")
      ->capture_default_str()->check(CLI::Range(1, 24 * 90));

  // migrate
  auto* migrate = app.add_subcommand("migrate", "Apply pending schema migrations and exit");
  AddCommon(migrate, c);

  // demo
  keel::demo::DemoOptions demo_opt;
  auto* import = app.add_subcommand("import", "Import a CSV file of facts (orders, activities, signals, leads, custom types)");
  std::string im_tenant, im_type, im_file;
  import->add_option("--tenant", im_tenant, "tenant code")->required();
  import->add_option("--type", im_type, "order, activity, signal, lead or a custom event type")->required();
  import->add_option("--file", im_file, "the CSV file (UTF-8, header row)")->required()->check(CLI::ExistingFile);
  // model
  auto* model = app.add_subcommand("model", "Train and inspect AI models (lead conversion, deal win, foreign CSV tables)");
  auto* model_train = model->add_subcommand("train", "Train a tenant's lead or deal model now (promoted only if not worse)");
  AddCommon(model_train, c);
  std::string m_tenant, m_kind;
  model_train->add_option("--tenant", m_tenant, "tenant code")->required();
  model_train->add_option("--kind", m_kind, "lead or opportunity")->required()->check(CLI::IsMember({"lead", "opportunity"}));
  auto* model_csv = model->add_subcommand("csv", "Train on a CSV of historical records from another system and print the model card");
  std::string mc_file, mc_label, mc_positive, mc_time;
  std::vector<std::string> mc_exclude;
  int mc_folds = 5;
  model_csv->add_option("--file", mc_file, "the CSV file (UTF-8; `,` `;` or tab)")->required()->check(CLI::ExistingFile);
  model_csv->add_option("--label", mc_label, "the outcome column")->required();
  model_csv->add_option("--positive", mc_positive, "the label value meaning success (detected when absent)");
  model_csv->add_option("--exclude", mc_exclude, "columns to leave out (e.g. one only known after the outcome)")->delimiter(',');
  model_csv->add_option("--time-column", mc_time, "orders the holdout (default: file order)");
  model_csv->add_option("--folds", mc_folds, "cross-validation folds")->capture_default_str()->check(CLI::Range(2, 20));
  bool mc_json = false;
  model_csv->add_flag("--json", mc_json, "print the whole model card as JSON");
  model->require_subcommand(1);

  auto* demo = app.add_subcommand("demo", "Generate the demo company (海川电器) into the database");
  AddCommon(demo, c);
  demo->add_option("--seed", demo_opt.seed, "random seed (same seed and end date → same data)")->capture_default_str();
  demo->add_option("--scale", demo_opt.scale, "size multiplier (10 for benchmarks)")->capture_default_str()->check(CLI::Range(1, 100));
  demo->add_option("--end-date", demo_opt.end_date, "last day of history YYYY-MM-DD (default: yesterday)");
  demo->add_option("--tenant", demo_opt.tenant_code, "tenant code")->capture_default_str();
  demo->add_option("--password", demo_opt.password, "password of the demo logins (env KEEL_DEMO_PASSWORD; default: random, printed once)");
  bool if_absent = false;
  demo->add_flag("--if-absent", if_absent, "do nothing when the tenant already exists");
  bool live = false;
  demo->add_flag("--live", live, "then serve, with a simulator feeding live sales, visits and deal moves");
  std::string live_demo;
  if (const char* v = std::getenv("KEEL_LIVE_DEMO")) live_demo = v;
  serve->add_option("--live-demo", live_demo, "tenant code to feed with simulated live facts (the moving demo) [env KEEL_LIVE_DEMO]");

  // tenant create
  auto* tenant = app.add_subcommand("tenant", "Manage tenants");
  tenant->require_subcommand(1);
  auto* tenant_create = tenant->add_subcommand("create", "Create a tenant with its HQ unit");
  AddCommon(tenant_create, c);
  keel::domain::NewTenant nt;
  tenant_create->add_option("--code", nt.code, "tenant code (a-z 0-9 - _)")->required();
  tenant_create->add_option("--name", nt.name, "display name")->required();
  tenant_create->add_option("--time-zone", nt.time_zone, "IANA time zone")->capture_default_str();
  tenant_create->add_option("--currency", nt.currency, "ISO-4217 currency")->capture_default_str();

  // user add / password
  auto* user = app.add_subcommand("user", "Manage users");
  user->require_subcommand(1);
  auto* user_add = user->add_subcommand("add", "Add a user (an admin by default) to a tenant");
  AddCommon(user_add, c);
  std::string u_tenant, u_name, u_display, u_role = "admin", u_password, u_unit;
  user_add->add_option("--tenant", u_tenant, "tenant code")->required();
  user_add->add_option("--username", u_name, "login name")->required();
  user_add->add_option("--display-name", u_display, "display name (default: the username)");
  user_add->add_option("--role", u_role, "admin, hq_ops, unit_lead, supervisor, rep, analyst, auditor")
      ->capture_default_str();
  user_add->add_option("--unit", u_unit, "unit code (default: the HQ unit)");
  user_add->add_option("--password", u_password, "password (env KEEL_PASSWORD; min 10 characters)");
  auto* user_pw = user->add_subcommand("password", "Set a user's password and end their sessions");
  AddCommon(user_pw, c);
  user_pw->add_option("--tenant", u_tenant, "tenant code")->required();
  user_pw->add_option("--username", u_name, "login name")->required();
  user_pw->add_option("--password", u_password, "new password (env KEEL_PASSWORD)");

  // apikey create
  auto* apikey = app.add_subcommand("apikey", "Manage API keys");
  apikey->require_subcommand(1);
  auto* apikey_create = apikey->add_subcommand("create", "Create an API key acting as a user");
  AddCommon(apikey_create, c);
  std::string k_tenant, k_user, k_name = "cli";
  int k_days = 365;
  apikey_create->add_option("--tenant", k_tenant, "tenant code")->required();
  apikey_create->add_option("--username", k_user, "the user the key acts as")->required();
  apikey_create->add_option("--name", k_name, "a label")->capture_default_str();
  apikey_create->add_option("--days", k_days, "days until it expires")->capture_default_str()->check(CLI::Range(1, 3650));

  // secrets keygen / rotate
  auto* secrets = app.add_subcommand("secrets", "Keys that encrypt stored secrets (webhooks, API keys of outside services)");
  secrets->require_subcommand(1);
  auto* secrets_keygen = secrets->add_subcommand("keygen", "Print a new random key (for KEEL_SECRET_KEY or a key file)");
  auto* secrets_rotate = secrets->add_subcommand(
      "rotate", "Re-encrypt every stored secret with the current key (KEEL_SECRET_KEY / secret-key-file), opening them "
                "with the old one (KEEL_SECRET_KEY_OLD / secret-key-file-old); `serve` also does this when it starts");
  AddCommon(secrets_rotate, c);

  app.add_subcommand("version", "Print the version");
  app.add_subcommand("openapi", "Print the OpenAPI document of this build (docs/openapi.json)");

  CLI11_PARSE(app, argc, argv);
  if (keel::Status st = Validate(c); !st.ok()) {
    std::fprintf(stderr, "error: %s\n", st.ToString().c_str());
    return 2;
  }
  SetupLogging(c.log_level);

  if (app.got_subcommand("version")) {
    std::printf("keel %s (schema %d)\n", kVersion, keel::store::LatestSchemaVersion());
    return 0;
  }
  if (secrets_keygen->parsed()) {
    std::printf("%s\n", keel::NewSecretKeyText().c_str());
    return 0;
  }
  if (model_csv->parsed()) return TrainCsv(mc_file, mc_label, mc_positive, mc_exclude, mc_time, mc_folds, mc_json);
  if (app.got_subcommand("openapi")) {
    c.database = ":memory:";
    c.pool_size = 1;
  }
  bool generating = app.got_subcommand("demo");
  // A demo with an explicit end date is generated on a clock that starts the morning after it,
  // so that every service's "today" agrees with the history; an end date is never in the future.
  keel::Clock* clock = keel::Clock::System();
  std::unique_ptr<keel::AnchoredClock> demo_clock;
  if (generating && !demo_opt.end_date.empty()) {
    auto morning = keel::demo::MorningAfter(demo_opt.end_date);
    if (!morning.ok()) return Fail(morning.status());
    if (*morning - 9 * 3600000LL > clock->NowMs()) {
      return Fail(keel::Status::Invalid("demo.end_date", "--end-date " + demo_opt.end_date + " is in the future: the history must end before today",
                                        "--end-date " + demo_opt.end_date + " 晚于今天：演示历史须在今天之前结束", "end_date"));
    }
    demo_clock = std::make_unique<keel::AnchoredClock>(*morning);
    clock = demo_clock.get();
  }
  auto services = Open(c, generating ? "OFF" : c.sqlite_synchronous, *clock);
  if (!services.ok()) return Fail(services.status());
  Services& s = *services;

  if (app.got_subcommand("openapi")) {
    keel::metrics::MetricEngine metrics(*s.db, *keel::Clock::System());
    keel::alerts::AlertEngine alerts(*s.db, *s.records, metrics, *keel::Clock::System());
    keel::ingest::Ingestor ingest(*s.db, *s.records, *keel::Clock::System());
    keel::http::StreamHub streams(*s.db, metrics, &alerts, *keel::Clock::System());
    keel::ai::AiService ai(*s.db, *s.records, *keel::Clock::System());
    keel::text::TextService text(*s.db, *s.records, *keel::Clock::System());
    OrgParts org(*s.db, *s.records, *keel::Clock::System());
    keel::http::Api api(*s.db, *s.records, *s.auth, {kVersion}, org.Services({&metrics, &alerts, &ingest, &streams, &ai, &text}));
    std::printf("%s\n", api.OpenApi().dump(1).c_str());
    return 0;
  }

  if (app.got_subcommand("migrate")) {
    auto conn = s.db->Acquire();
    if (!conn.ok()) return Fail(conn.status());
    auto v = keel::store::CurrentSchemaVersion(**conn);
    if (!v.ok()) return Fail(v.status());
    std::printf("schema version %d (%s)\n", *v, s.db->Describe().c_str());
    return 0;
  }

  if (generating) {
    if (demo_opt.password.empty()) demo_opt.password = ReadPassword("", "KEEL_DEMO_PASSWORD");
    if (if_absent && s.auth->TenantIdByCode(demo_opt.tenant_code).ok()) {
      std::printf("demo tenant '%s' already exists in %s; nothing to do\n",
                  demo_opt.tenant_code.c_str(), s.db->Describe().c_str());
      if (live) return ServeLive(c.database, demo_opt.tenant_code);
      return 0;
    }
    auto r = keel::demo::Generate(*s.db, *s.records, *s.auth, demo_opt);
    if (!r.ok()) return Fail(r.status());
    {
      // The demo's alert rules, in the same YAML a tenant would write (docs/alerts.md).
      keel::metrics::MetricEngine metrics(*s.db, *clock);
      keel::alerts::AlertEngine alerts(*s.db, *s.records, metrics, *clock);
      auto rules = keel::JsonDocumentsFromYaml(kDemoAlertRules);
      if (!rules.ok()) return Fail(rules.status());
      auto sys = keel::domain::Principal::System(r->tenant_id);
      for (const auto& rule : *rules) {
        auto saved = alerts.SaveRule(sys, rule);
        if (!saved.ok()) return Fail(saved.status());
      }
      auto st = metrics.CatchUp(r->tenant_id);
      if (!st.ok()) return Fail(st);
      std::printf("metrics backfilled and %zu alert rules defined\n", rules->size());
    }
    {
      // Both AI models, trained on the generated history; every open lead and deal is scored.
      keel::ai::AiService ai(*s.db, *s.records, *clock);
      for (auto target : {keel::ai::Target::kLead, keel::ai::Target::kOpportunity}) {
        auto m = ai.Train(r->tenant_id, target);
        if (!m.ok()) return Fail(m.status());
        std::printf("%s model v%d trained: holdout AUC %.3f, %lld open records scored\n", keel::ai::TargetName(target),
                    (*m)["version"].get<int>(), (*m)["holdout_auc"].get<double>(), static_cast<long long>((*m)["scored"].get<int64_t>()));
      }
      auto planned = ai.PlanActions(r->tenant_id);
      if (!planned.ok()) return Fail(planned.status());
      int tasks = 0;
      for (const auto& [rule, c] : planned->items()) tasks += c["created"].get<int>();
      std::printf("next best actions: %d tasks with reasons created\n", tasks);
    }
    {
      // Text: the last five weeks of notes and all feedback analysed (the sentiment model is
      // trained from the rated feedback first), and yesterday's recap for every sales unit.
      keel::text::TextService text(*s.db, *s.records, *clock);
      auto since = clock->NowMs() - 35LL * 86400000;
      auto n = text.Backfill(r->tenant_id, since);
      if (!n.ok()) return Fail(n.status());
      auto sys = keel::domain::Principal::System(r->tenant_id);
      auto model = text.SentimentModel(sys);
      std::printf("text: %lld notes and feedback analysed; sentiment model %s\n", static_cast<long long>(*n),
                  model.ok() ? (*model)["model"].get<std::string>().c_str() : "?");
      auto recaps = text.RecapsForDay(r->tenant_id, r->last_day);
      if (!recaps.ok()) return Fail(recaps.status());
      std::printf("text: %lld daily recaps for %s\n", static_cast<long long>(*recaps), r->last_day.c_str());
    }
    {
      // Units: pricing authority (HQ 5 %; every sales unit's reps 8 %, 12 % on ACs from 50,000
      // yuan; unit leads 15 %), and three quotes by sh-rep-01 — one within authority (approved on
      // the spot), one beyond it (waiting for 上海战队's lead), one deeper (lead, then HQ).
      OrgParts org(*s.db, *s.records, *clock);
      auto seeded = keel::demo::SeedUnits(*s.db, *s.records, org.approvals, r->tenant_id);
      if (!seeded.ok()) return Fail(seeded.status());
      std::printf("units: %d budgets for this quarter\n", (*seeded)["budgets"].get<int>());
      std::printf("units: %d materials, %d case reviews\n", (*seeded)["materials"].get<int>(), (*seeded)["case_reviews"].get<int>());
      for (const auto& l : (*seeded)["feedback_links"]) {
        std::printf("feedback link (%s): %s\n", l["unit"].get<std::string>().c_str(), l["path"].get<std::string>().c_str());
      }
      for (const auto& q : (*seeded)["quotes"]) {
        std::printf("quote %s (%s, %.0f%% off): %s\n", q["code"].get<std::string>().c_str(), q["name"].get<std::string>().c_str(),
                    q["discount_pct"].get<double>(), q["status"].get<std::string>().c_str());
      }
      // Unit accounting: expense claims through policy, budget and boundary; the ledger of the last
      // four months; profit-sharing statements for last month.
      auto accounts = keel::demo::SeedAccounting(*s.db, *s.records, org.approvals, org.budgets, org.ledger, org.sharing, org.expenses,
                                                 &org.governance, r->tenant_id);
      if (!accounts.ok()) return Fail(accounts.status());
      std::printf("accounting: %d expense claims (%d approved within the units' authority, %d waiting for approval, %d posted); "
                  "ledger posted for %zu months; %lld profit-sharing statements (last month %s)\n",
                  (*accounts)["claims"].get<int>(), (*accounts)["approved_at_once"].get<int>(), (*accounts)["pending"].get<int>(),
                  (*accounts)["posted"].get<int>(), (*accounts)["months"].size(), static_cast<long long>((*accounts)["statements"].get<int64_t>()),
                  (*accounts)["last_month"].get<std::string>().c_str());
    }
    std::printf("\nDemo tenant '%s' (海川电器 Haichuan Appliances) generated in %.1f s:\n",
                demo_opt.tenant_code.c_str(), r->seconds);
    for (const auto& [k, v] : r->counts) std::printf("  %-14s %lld\n", k.c_str(), static_cast<long long>(v));
    std::printf("\nLogins (tenant '%s'; every demo user has the same password):\n", demo_opt.tenant_code.c_str());
    for (const auto& [u, role] : r->logins) std::printf("  %-14s %s\n", u.c_str(), role.c_str());
    std::printf("\nPassword: %s\n", r->password.c_str());
    std::printf("(shown once; reset with: keel user password --tenant %s --username admin)\n",
                demo_opt.tenant_code.c_str());
    if (live) return ServeLive(c.database, demo_opt.tenant_code);
    return 0;
  }

  if (import->parsed()) {
    auto tid = s.auth->TenantIdByCode(im_tenant);
    if (!tid.ok()) return Fail(tid.status());
    std::ifstream in(im_file, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    keel::ingest::Ingestor ingest(*s.db, *s.records, *keel::Clock::System());
    ingest.Start();
    auto r = ingest.ImportCsv(keel::domain::Principal::System(*tid), im_type, text, [](size_t done, size_t total) {
      std::printf("imported %zu/%zu records (%.0f%%)\n", done, total, total ? 100.0 * done / total : 100.0);
      std::fflush(stdout);
    });
    ingest.Stop();
    if (!r.ok()) return Fail(r.status());
    std::printf("%zu records: %zu accepted, %zu duplicates, %zu rejected\n", r->received, r->accepted, r->duplicates, r->errors.size());
    for (size_t i = 0; i < r->errors.size() && i < 50; ++i) {
      const auto& e = r->errors[i].status;
      std::printf("  %s: %s / %s [%s]\n", e.field().c_str(), e.message_en().c_str(), e.message_zh().c_str(), e.code().c_str());
    }
    if (r->errors.size() > 50) std::printf("  … %zu more\n", r->errors.size() - 50);
    return r->errors.empty() ? 0 : 1;
  }

  if (model_train->parsed()) {
    auto tid = s.auth->TenantIdByCode(m_tenant);
    if (!tid.ok()) return Fail(tid.status());
    keel::ai::Target target;
    keel::ai::ParseTarget(m_kind, &target);
    keel::ai::AiService ai(*s.db, *s.records, *keel::Clock::System());
    int last = -1;
    auto m = ai.Train(*tid, target, 0, [&](double f, const std::string& what) {
      int pct = static_cast<int>(f * 100);
      if (pct / 10 == last / 10 && f < 1.0) return;
      last = pct;
      std::printf("%3d%%  %s\n", pct, what.c_str());
      std::fflush(stdout);
    });
    if (!m.ok()) return Fail(m.status());
    const auto& card = (*m)["card"];
    std::printf("%s model v%d %s: holdout AUC %.3f, log loss %.3f, Brier %.3f on %d snapshots; %lld open records scored\n",
                m_kind.c_str(), (*m)["version"].get<int>(), (*m)["status"].get<std::string>().c_str(), card["holdout"]["auc"].get<double>(),
                card["holdout"]["log_loss"].get<double>(), card["holdout"]["brier"].get<double>(), card["holdout"]["rows"].get<int>(),
                static_cast<long long>((*m)["scored"].get<int64_t>()));
    std::printf("top features:\n");
    for (size_t i = 0; i < card["importance"].size() && i < 8; ++i) {
      const auto& f = card["importance"][i];
      std::printf("  %-24s %5.1f%%  %s\n", f["feature"].get<std::string>().c_str(), f["share"].get<double>() * 100,
                  f["zh"].get<std::string>().c_str());
    }
    return 0;
  }

  if (secrets_rotate->parsed()) {
    auto box = LoadSecretBox(c, /*create_default=*/false);
    if (!box.ok()) return Fail(box.status());
    if (!box->has_key()) {
      return Fail(keel::Status::Invalid("config.secret_key", "no secret key is configured (KEEL_SECRET_KEY or secret-key-file)",
                                        "未配置密钥（KEEL_SECRET_KEY 或 secret-key-file）", "secret-key"));
    }
    keel::metrics::MetricEngine metrics(*s.db, *keel::Clock::System());
    keel::alerts::AlertOptions ao;
    ao.secrets = &*box;
    keel::alerts::AlertEngine alerts(*s.db, *s.records, metrics, *keel::Clock::System(), ao);
    keel::text::TextOptions to;
    to.secrets = &*box;
    to.periodic = false;
    keel::text::TextService text(*s.db, *s.records, *keel::Clock::System(), to);
    auto hooks = alerts.ResealSecrets();
    if (!hooks.ok()) return Fail(hooks.status());
    auto llm = text.ResealSecrets();
    if (!llm.ok()) return Fail(llm.status());
    std::printf("webhooks: %lld re-encrypted, %lld unreadable; LLM keys: %lld re-encrypted, %lld unreadable\n",
                static_cast<long long>(hooks->resealed), static_cast<long long>(hooks->unreadable),
                static_cast<long long>(llm->resealed), static_cast<long long>(llm->unreadable));
    if (hooks->unreadable + llm->unreadable > 0) {
      std::printf("some secrets open with none of the configured keys: give the key that sealed them as KEEL_SECRET_KEY_OLD, "
                  "or enter them again\n");
      return 1;
    }
    return 0;
  }

  if (tenant_create->parsed()) {
    auto id = s.auth->CreateTenant(nt);
    if (!id.ok()) return Fail(id.status());
    std::printf("tenant '%s' created (id %lld)\n", nt.code.c_str(), static_cast<long long>(*id));
    return 0;
  }

  if (user_add->parsed() || user_pw->parsed()) {
    auto tid = s.auth->TenantIdByCode(u_tenant);
    if (!tid.ok()) return Fail(tid.status());
    std::string pw = ReadPassword(u_password, "KEEL_PASSWORD");
    bool generated = pw.empty();
    if (generated) pw = keel::RandomToken(12);
    auto sys = keel::domain::Principal::System(*tid);
    const auto& users = *keel::domain::FindEntity("users");
    if (user_add->parsed()) {
      keel::domain::QueryParams q = {{"code", u_unit.empty() ? "HQ" : u_unit}};
      auto units = s.records->List(sys, *keel::domain::FindEntity("units"), q);
      if (!units.ok()) return Fail(units.status());
      if (units->items.empty()) return Fail(keel::Status::NotFound("unit '" + u_unit + "'"));
      auto created = s.records->Create(sys, users,
                                       {{"username", u_name},
                                        {"display_name", u_display.empty() ? u_name : u_display},
                                        {"role", u_role},
                                        {"unit_id", units->items[0]["id"]},
                                        {"password", pw}});
      if (!created.ok()) return Fail(created.status());
      std::printf("user '%s' (%s) added to tenant '%s'\n", u_name.c_str(), u_role.c_str(), u_tenant.c_str());
    } else {
      keel::domain::QueryParams q = {{"username", u_name}};
      auto found = s.records->List(sys, users, q);
      if (!found.ok()) return Fail(found.status());
      if (found->items.empty()) return Fail(keel::Status::NotFound("user '" + u_name + "'"));
      int64_t id = found->items[0]["id"];
      auto updated = s.records->Update(sys, users, id, {{"password", pw}});
      if (!updated.ok()) return Fail(updated.status());
      (void)s.auth->RevokeSessions(sys, id);
      std::printf("password of '%s' changed; their sessions were ended\n", u_name.c_str());
    }
    if (generated) std::printf("password: %s (shown once)\n", pw.c_str());
    return 0;
  }

  if (apikey_create->parsed()) {
    auto tid = s.auth->TenantIdByCode(k_tenant);
    if (!tid.ok()) return Fail(tid.status());
    auto sys = keel::domain::Principal::System(*tid);
    keel::domain::QueryParams q = {{"username", k_user}};
    auto found = s.records->List(sys, *keel::domain::FindEntity("users"), q);
    if (!found.ok()) return Fail(found.status());
    if (found->items.empty()) return Fail(keel::Status::NotFound("user '" + k_user + "'"));
    auto key = s.auth->CreateApiKey(sys, {{"name", k_name}, {"user_id", found->items[0]["id"]},
                                          {"expires_in_days", k_days}});
    if (!key.ok()) return Fail(key.status());
    std::printf("API key %lld for '%s' (expires %s):\n%s\n(shown once; send as 'Authorization: Bearer <key>')\n",
                static_cast<long long>((*key)["id"].get<int64_t>()), k_user.c_str(),
                (*key)["expires_at"].get<std::string>().c_str(), (*key)["token"].get<std::string>().c_str());
    return 0;
  }

  // serve
  // Outbound calls reach public addresses and what the operator allow-listed; secrets are
  // sealed with the configured key (see LoadSecretBox).
  keel::outbound::Policy outbound(keel::net::ParseCidrs(c.outbound_allow).value());
  if (!c.outbound_allow.empty()) {
    std::string list;
    for (const auto& a : c.outbound_allow) list += (list.empty() ? "" : ",") + a;
    spdlog::info("outbound allow-list={}", list);
  }
  auto secret_box = LoadSecretBox(c, /*create_default=*/true);
  if (!secret_box.ok()) return Fail(secret_box.status());
  keel::metrics::MetricEngine metrics(*s.db, *keel::Clock::System());
  s.db->SetCommitHook([&metrics](int64_t tenant) { metrics.Notify(tenant); });
  metrics.Start();
  keel::alerts::AlertOptions alert_options;
  alert_options.outbound = &outbound;
  alert_options.secrets = &*secret_box;
  keel::alerts::AlertEngine alerts(*s.db, *s.records, metrics, *keel::Clock::System(), alert_options);
  keel::text::TextOptions text_options;
  text_options.outbound = &outbound;
  text_options.secrets = &*secret_box;
  keel::text::TextService text(*s.db, *s.records, *keel::Clock::System(), text_options);
  if (secret_box->has_key()) {
    // Secrets stored in plain text by an older Keel, or under the key being rotated out, are
    // sealed with the current key before anything is sent.
    auto hooks = alerts.ResealSecrets();
    if (!hooks.ok()) return Fail(hooks.status());
    auto llm = text.ResealSecrets();
    if (!llm.ok()) return Fail(llm.status());
    if (hooks->resealed + llm->resealed > 0) {
      spdlog::info("secrets re-encrypted with the current key: webhooks={} llm_keys={}", hooks->resealed, llm->resealed);
    }
    if (hooks->unreadable + llm->unreadable > 0) {
      spdlog::warn("secrets that no configured key opens: webhooks={} llm_keys={} (set KEEL_SECRET_KEY_OLD, or enter them again)",
                   hooks->unreadable, llm->unreadable);
    }
  }
  alerts.Start();
  keel::ingest::Ingestor ingest(*s.db, *s.records, *keel::Clock::System());
  ingest.Start();
  keel::http::StreamHub streams(*s.db, metrics, &alerts, *keel::Clock::System());
  keel::ai::AiService ai(*s.db, *s.records, *keel::Clock::System());
  ai.SetAlerts(&alerts);
  ai.Start();
  text.Start();
  s.db->SetCommitHook([&metrics, &ai, &text](int64_t tenant) {
    metrics.Notify(tenant);
    ai.Notify(tenant);
    text.Notify(tenant);
  });
  keel::demo::LiveOptions lo;
  if (!live_demo.empty()) lo.tenant_code = live_demo;
  keel::demo::LiveSimulator simulator(*s.db, *s.records, ingest, *keel::Clock::System(), lo);
  if (!live_demo.empty()) {
    auto st = simulator.Start();
    if (!st.ok()) return Fail(st);
  }
  OrgParts org(*s.db, *s.records, *keel::Clock::System());
  org.approvals.SetAlerts(&alerts);  // grantors hear of delegations made on their behalf
  org.approvals.Start();
  keel::http::Api api(*s.db, *s.records, *s.auth, {kVersion}, org.Services({&metrics, &alerts, &ingest, &streams, &ai, &text}));
  keel::http::ServerOptions so;
  so.host = c.host;
  so.port = static_cast<uint16_t>(c.port);
  so.threads = c.threads;
  so.workers = c.workers;
  so.body_limit = static_cast<size_t>(c.body_limit_mb) * 1024 * 1024;
  so.request_timeout_ms = c.request_timeout_ms;
  so.trusted_proxies = keel::net::ParseCidrs(c.trusted_proxies).value();  // checked by Validate
  keel::http::StaticFiles web;
  std::string web_root = c.web_root.empty() ? keel::http::StaticFiles::FindDefaultRoot() : c.web_root;
  if (!web_root.empty()) {
    auto loaded = keel::http::StaticFiles::Load(web_root);
    if (!loaded.ok()) return Fail(loaded.status());
    web = std::move(*loaded);
    spdlog::info("web root={} files={} bytes={}", web_root, web.files(), web.bytes());
  } else {
    spdlog::warn("the web front end is not built (make build); serving the API only");
  }
  keel::http::Server server(so, [&api, &web](const keel::http::Request& r) {
    if (auto page = web.Serve(r)) return std::move(*page);
    return api.Handle(r);
  });
  auto port = server.Start();
  if (!port.ok()) return Fail(port.status());
  spdlog::info("serve url=http://{}:{}/api/v1 database={} threads={}", c.host, *port, s.db->Describe(), c.threads);
  std::printf("Keel is listening on http://%s:%d/  (API: /api/v1, OpenAPI: /api/v1/openapi.json)\n", c.host.c_str(), *port);
  std::fflush(stdout);
  server.Wait(true);
  simulator.Stop();
  ingest.Stop();
  s.db->SetCommitHook([&metrics](int64_t tenant) { metrics.Notify(tenant); });
  org.approvals.Stop();
  ai.Stop();
  text.Stop();
  alerts.Stop();
  metrics.Stop();
  s.db->SetCommitHook(nullptr);
  spdlog::info("serve stopped");
  return 0;
}
