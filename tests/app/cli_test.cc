// The `keel` binary as a user runs it: subcommands, settings precedence (keel.toml < KEEL_* env
// < flags), clear errors with exit code 2, and serve's graceful stop on SIGTERM.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "support/test_db.h"

namespace {

struct Run {
  int code;
  std::string out;
};

// Runs `keel <args>` in `dir` with extra environment assignments; captures stdout+stderr.
// With `stdout_only`, standard error goes to `dir`/stderr.txt instead.
Run Keel(const std::string& dir, const std::string& args, const std::string& env = "", bool stdout_only = false) {
  std::string cmd = "cd '" + dir + "' && env -u KEEL_DATABASE -u KEEL_PORT " + env + " '" KEEL_BINARY "' " + args +
                    (stdout_only ? " 2>stderr.txt" : " 2>&1");
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  while (p && fgets(buf.data(), buf.size(), p)) out += buf.data();
  int status = p ? pclose(p) : -1;
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST(Cli, VersionAndHelp) {
  auto v = Keel(keel::testing::TempDir(), "version");
  EXPECT_EQ(v.code, 0);
  EXPECT_NE(v.out.find("keel 0.1.0"), std::string::npos) << v.out;
  auto h = Keel(keel::testing::TempDir(), "serve --help");
  EXPECT_EQ(h.code, 0);
  for (const char* opt : {"--database", "--port", "--threads", "--workers", "--body-limit-mb", "KEEL_PORT", "keel.toml"}) {
    EXPECT_NE(h.out.find(opt), std::string::npos) << opt;
  }
}

TEST(Cli, SettingsComeFromTomlThenEnvThenFlags) {
  std::string dir = keel::testing::TempDir();
  std::ofstream(dir + "/keel.toml") << "database = \"from-toml.db\"\npool-size = 2\n";
  EXPECT_EQ(Keel(dir, "migrate").code, 0);
  EXPECT_TRUE(std::filesystem::exists(dir + "/from-toml.db"));
  auto env = Keel(dir, "migrate", "KEEL_DATABASE=from-env.db");
  EXPECT_EQ(env.code, 0) << env.out;
  EXPECT_TRUE(std::filesystem::exists(dir + "/from-env.db"));
  EXPECT_EQ(Keel(dir, "migrate --database from-flag.db", "KEEL_DATABASE=from-env.db").code, 0);
  EXPECT_TRUE(std::filesystem::exists(dir + "/from-flag.db"));
  std::ofstream(dir + "/keel.toml") << "databse = \"typo.db\"\n";
  auto bad = Keel(dir, "migrate");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.out.find("unknown setting 'databse'"), std::string::npos) << bad.out;
  std::ofstream(dir + "/keel.toml") << "port = 70000\n";
  auto range = Keel(dir, "migrate");
  EXPECT_EQ(range.code, 2);
  EXPECT_NE(range.out.find("port must be 0 to 65535"), std::string::npos) << range.out;
}

TEST(Cli, MetricsSettingsAreCheckedAndStatusPrintsTheCluster) {
  std::string dir = keel::testing::TempDir();
  std::ofstream(dir + "/keel.toml") << "database = \"s.db\"\nmetrics-token = \"short\"\n";
  auto weak = Keel(dir, "migrate");
  EXPECT_EQ(weak.code, 2);
  EXPECT_NE(weak.out.find("metrics-token must be at least 16 characters"), std::string::npos) << weak.out;
  std::ofstream(dir + "/keel.toml") << "database = \"s.db\"\nmetrics-token = \"0123456789abcdef\"\n";
  auto listen = Keel(dir, "migrate", "KEEL_METRICS_LISTEN=9464");
  EXPECT_EQ(listen.code, 2);
  EXPECT_NE(listen.out.find("metrics-listen must be host:port"), std::string::npos) << listen.out;
  EXPECT_EQ(Keel(dir, "migrate", "KEEL_METRICS_LISTEN=[::1]:9464").code, 0);
  auto help = Keel(dir, "serve --help");
  for (const char* opt : {"--metrics-token", "KEEL_METRICS_TOKEN", "--metrics-listen", "KEEL_METRICS_LISTEN"}) {
    EXPECT_NE(help.out.find(opt), std::string::npos) << opt;
  }
  ASSERT_EQ(Keel(dir, "tenant create --code acme --name Acme").code, 0);
  auto status = Keel(dir, "status");
  EXPECT_EQ(status.code, 0) << status.out;
  for (const char* part : {"database: sqlite", "nodes (lease holders):", "leases:", "consumer lag"}) {
    EXPECT_NE(status.out.find(part), std::string::npos) << part << "\n" << status.out;
  }
}

TEST(Cli, TenantsUsersAndKeys) {
  std::string dir = keel::testing::TempDir();
  auto bad = Keel(dir, "tenant create --code 'Bad Code' --name x");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.out.find("validation.tenant_code"), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("租户编码"), std::string::npos) << bad.out;
  ASSERT_EQ(Keel(dir, "tenant create --code acme --name 测试公司").code, 0);
  EXPECT_EQ(Keel(dir, "tenant create --code acme --name again").code, 2);
  auto user = Keel(dir, "user add --tenant acme --username boss");
  ASSERT_EQ(user.code, 0) << user.out;
  EXPECT_NE(user.out.find("password: "), std::string::npos);  // generated and shown once
  auto weak = Keel(dir, "user add --tenant acme --username weak --password short");
  EXPECT_EQ(weak.code, 2);
  EXPECT_NE(weak.out.find("validation.password_length"), std::string::npos);
  auto key = Keel(dir, "apikey create --tenant acme --username boss --name erp");
  ASSERT_EQ(key.code, 0) << key.out;
  EXPECT_NE(key.out.find("kak_"), std::string::npos);
  EXPECT_EQ(Keel(dir, "apikey create --tenant nope --username boss").code, 1);
}

TEST(Cli, ImportsACsvWithProgressAndNeverTwice) {
  std::string dir = keel::testing::TempDir();
  ASSERT_EQ(Keel(dir, "tenant create --code acme --name 测试公司").code, 0);
  {
    std::ofstream csv(dir + "/signals.csv");
    csv << "kind,source,title,at,sentiment\n";
    for (int i = 0; i < 12; ++i) csv << "tender,政府采购网,酒店空调采购 " << i << ",2026-11-2" << i % 7 << "T09:00:00+08:00,0.3\n";
    csv << "rumour,x,bad kind,2026-11-20T09:00:00Z,0\n";
  }
  auto first = Keel(dir, "import --tenant acme --type signal --file signals.csv");
  EXPECT_EQ(first.code, 1) << first.out;  // one row refused
  EXPECT_NE(first.out.find("imported 13/13 records (100%)"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("12 accepted, 0 duplicates, 1 rejected"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("line 14: kind"), std::string::npos) << first.out;
  auto again = Keel(dir, "import --tenant acme --type signal --file signals.csv");
  EXPECT_NE(again.out.find("0 accepted, 12 duplicates, 1 rejected"), std::string::npos) << again.out;
  EXPECT_EQ(Keel(dir, "import --tenant acme --type invoices --file signals.csv").code, 2);  // a validation error
  EXPECT_EQ(Keel(dir, "import --tenant nope --type signal --file signals.csv").code, 1);
}

// A foreign CSV through the CLI: profile, progress, cross-validated AUC, a clear refusal.
TEST(Cli, TrainsOnAForeignCsvAndRefusesTooLittleHistory) {
  std::string dir = keel::testing::TempDir();
  std::string bank = keel::testing::SharedDataset("bank-marketing/bank-additional.csv");
  if (!bank.empty()) {
    auto r = Keel(dir, "model csv --file '" + bank + "' --label y --exclude duration");
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("4119 rows, 21 columns"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("100%  final model"), std::string::npos) << r.out;
    size_t at = r.out.find("cross-validated AUC ");
    ASSERT_NE(at, std::string::npos) << r.out;
    EXPECT_GE(std::stod(r.out.substr(at + 20, 6)), 0.74) << r.out;
    EXPECT_NE(r.out.find("  duration "), std::string::npos) << r.out;  // profiled …
    EXPECT_EQ(r.out.find("duration ", r.out.find("top features")), std::string::npos) << r.out;  // … never learned from
  }
  {
    // An export with a trailing delimiter, a lead number and GB18030 bytes: --json prints one
    // JSON document on stdout (the card, with the profile), the progress on stderr.
    std::ofstream csv(dir + "/export.csv", std::ios::binary);
    csv << "Lead Number,Visits,\xB3\xC7\xCA\xD0,Converted,\r\n";  // 城市
    for (int i = 0; i < 400; ++i) {
      csv << 5000 + i << "," << i % 7 << "," << (i % 2 ? "\xC9\xCF\xBA\xA3" : "\xB1\xB1\xBE\xA9") << "," << ((i % 7) + (i % 3) > 4 ? "yes" : "no")
          << ",\r\n";
    }
  }
  auto js = Keel(dir, "model csv --file export.csv --label Converted --json", "", true);
  EXPECT_EQ(js.code, 0) << js.out;
  auto card = nlohmann::json::parse(js.out, nullptr, false);
  ASSERT_FALSE(card.is_discarded()) << "stdout is not one JSON document:\n" << js.out.substr(0, 400);
  EXPECT_EQ(card["file"]["encoding"], "GB18030");
  EXPECT_EQ(card["file"]["dropped_columns"], nlohmann::json({5}));
  EXPECT_EQ(card["left_out"][0]["column"], "Lead Number");
  EXPECT_EQ(card["profile"][2]["name"], "城市");
  std::ifstream err(dir + "/stderr.txt");
  std::string progress((std::istreambuf_iterator<char>(err)), {});
  EXPECT_NE(progress.find("100%  final model"), std::string::npos) << progress;
  {
    std::ofstream csv(dir + "/tiny.csv");
    csv << "grade;won\n1;yes\n2;no\n";
  }
  auto tiny = Keel(dir, "model csv --file tiny.csv --label won");
  EXPECT_EQ(tiny.code, 2) << tiny.out;
  EXPECT_NE(tiny.out.find("ai.not_enough_data"), std::string::npos) << tiny.out;
  EXPECT_NE(tiny.out.find("历史数据不足"), std::string::npos) << tiny.out;
  auto wrong = Keel(dir, "model csv --file tiny.csv --label nope");
  EXPECT_EQ(wrong.code, 2) << wrong.out;
  ASSERT_EQ(Keel(dir, "tenant create --code acme --name 测试公司").code, 0);
  auto train = Keel(dir, "model train --tenant acme --kind lead");
  EXPECT_EQ(train.code, 2) << train.out;
  EXPECT_NE(train.out.find("not enough history"), std::string::npos) << train.out;
}

TEST(Cli, ServeStopsGracefullyOnSigterm) {
  std::string dir = keel::testing::TempDir();
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (chdir(dir.c_str()) != 0) _exit(3);
    int fd = ::open((dir + "/serve.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    execl(KEEL_BINARY, KEEL_BINARY, "serve", "--port", "0", "--database", "s.db", static_cast<char*>(nullptr));
    _exit(4);
  }
  std::string log;
  for (int i = 0; i < 100 && log.find("listening") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::ifstream in(dir + "/serve.log");
    log.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_NE(log.find("listening on http://127.0.0.1:"), std::string::npos) << log;
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status)) << "killed by a signal instead of exiting";
  EXPECT_EQ(WEXITSTATUS(status), 0);
  std::ifstream in(dir + "/serve.log");
  log.assign(std::istreambuf_iterator<char>(in), {});
  EXPECT_NE(log.find("serve stopped"), std::string::npos) << log;
}

}  // namespace
