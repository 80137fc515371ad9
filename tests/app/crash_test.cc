// kill -9 of the real server at random points during a sustained ingest (DESIGN §11): every
// acknowledged fact is present exactly once (with one event), a batch retried after the crash
// is never counted twice, and after each restart the rollups — loaded from their persisted
// state plus the tail of the log — equal a recomputation from the raw rows. SQLite: 20 runs;
// PostgreSQL: 5 runs (each restart there costs a new connection pool against the cluster).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <optional>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "domain/auth.h"
#include "domain/records.h"
#include "support/test_clock.h"
#include "support/http_client.h"
#include "support/org.h"
#include "support/test_db.h"

namespace keel {
namespace {

using testing::TestBackend;
using testing::TestClock;
using json = nlohmann::json;

struct Server {
  pid_t pid = 0;
  int port = 0;
};

Server Start(const std::string& dir, const std::string& url, int run) {
  std::string log_path = dir + "/serve-" + std::to_string(run) + ".log";
  Server s;
  s.pid = fork();
  if (s.pid == 0) {
    int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    execl(KEEL_BINARY, KEEL_BINARY, "serve", "--port", "0", "--database", url.c_str(), "--log-level", "warn",
          static_cast<char*>(nullptr));
    _exit(4);
  }
  std::string log;
  for (int i = 0; i < 300 && log.find("listening on") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::ifstream in(log_path);
    log.assign(std::istreambuf_iterator<char>(in), {});
  }
  size_t at = log.find("http://127.0.0.1:");
  if (at != std::string::npos) s.port = std::atoi(log.c_str() + at + 17);
  return s;
}

std::string Batch(int run, int k, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    std::string key = std::to_string(run) + "-" + std::to_string(k) + "-" + std::to_string(i);
    char at[40];
    std::snprintf(at, sizeof at, "2026-11-%02dT%02d:%02d:00+08:00", 1 + (k + i) % 28, 9 + i % 12, i % 60);
    out += "{\"type\":\"order\",\"id\":\"k" + key + "\",\"code\":\"K" + key + "\",\"store_code\":\"S-A\",\"at\":\"" + at +
           "\",\"lines\":[{\"sku\":\"AC-1\",\"qty\":1,\"unit_price\":" + std::to_string(100 + i % 50) + "}]}\n";
  }
  return out;
}

class CrashTest : public ::testing::TestWithParam<TestBackend> {};

TEST_P(CrashTest, KillNineDuringIngestLosesAndDuplicatesNothing) {
  std::string dir = testing::TempDir();
  std::string url = GetParam() == TestBackend::kSqlite ? dir + "/crash.db" : testing::NewPostgresUrl();
  int64_t tenant = 0;
  {
    auto db = std::move(store::Database::Open(url).value());
    ASSERT_TRUE(store::Migrate(*db).ok());
    domain::RecordService rs(*db, TestClock());
    domain::AuthService auth(*db, TestClock(), rs);
    tenant = testing::BuildOrg(rs, auth, "acme").tenant;
  }
  const int runs = GetParam() == TestBackend::kSqlite ? 20 : 5;
  std::mt19937 rng(20261127);
  std::set<std::string> acked;        // batches answered 201
  std::string pending;                 // the batch in flight when the server died
  int pending_n = 0;
  std::string token;
  for (int run = 0; run <= runs; ++run) {
    Server s = Start(dir, url, run);
    ASSERT_GT(s.port, 0) << "server did not start (run " << run << ")";
    testing::HttpClient http(s.port);
    if (token.empty()) {
      auto login = http.Post("/api/v1/auth/login", {{"tenant", "acme"}, {"username", "admin"}, {"password", testing::kTestPassword}});
      ASSERT_EQ(login.status, 200) << login.body;
      token = login.json()["token"];
    }
    if (!pending.empty()) {
      // The retry after the crash: each record is either new or a duplicate, never an error.
      auto r = http.Send("POST", "/api/v1/events", pending, token, "application/x-ndjson");
      ASSERT_EQ(r.status, 201) << r.body;
      json rep = r.json();
      EXPECT_EQ(rep["accepted"].get<int>() + rep["duplicates"].get<int>(), pending_n) << r.body;
      pending.clear();
    }
    if (run == runs) {
      // Final check: rollups (persisted state + tail) equal the raw rows, per local day.
      auto conn = std::move(store::Database::Open(url).value());
      auto c = std::move(conn->Acquire()).value();
      store::Value t[] = {tenant};
      auto rows = c->Query("SELECT COUNT(*), SUM(total) FROM orders WHERE tenant_id = ? AND code LIKE 'K%'", t);
      int64_t n = store::AsInt(rows->rows[0][0]);
      double sum = store::AsDouble(rows->rows[0][1]) / 100.0;
      auto events = c->Query("SELECT COUNT(*) FROM events WHERE tenant_id = ? AND type = 'order.created'", t);
      EXPECT_EQ(store::AsInt(events->rows[0][0]), n) << "each order has exactly one event";
      // Every acknowledged batch is fully present.
      for (const auto& b : acked) {
        store::Value q[] = {tenant, b + "-%"};
        auto found = c->Query("SELECT COUNT(*) FROM orders WHERE tenant_id = ? AND code LIKE ?", q);
        EXPECT_EQ(store::AsInt(found->rows[0][0]), 50) << "acknowledged batch " << b;
      }
      json got;
      for (int i = 0; i < 200; ++i) {
        auto r = http.Get("/api/v1/metrics/query?metrics=orders,revenue&from=2026-11-01&to=2026-11-30", token);
        got = r.json();
        if (r.status == 200 && got["groups"][0]["values"]["orders"]["value"].get<double>() == static_cast<double>(n)) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      EXPECT_EQ(got["groups"][0]["values"]["orders"]["value"].get<double>(), static_cast<double>(n)) << got.dump();
      EXPECT_NEAR(got["groups"][0]["values"]["revenue"]["value"].get<double>(), sum, 0.01);
      EXPECT_GT(n, 50 * runs) << "the ingest kept going between kills";
      kill(s.pid, SIGTERM);
      waitpid(s.pid, nullptr, 0);
      break;
    }
    std::atomic<bool> stop{false};
    std::thread client([&, run, port = s.port] {
      std::optional<testing::HttpClient> maybe;
      try {
        maybe.emplace(port);
      } catch (const std::exception&) {
        return;
      }
      testing::HttpClient& c = *maybe;
      for (int k = 0; !stop.load(); ++k) {
        std::string body = Batch(run, k, 50);
        pending = body;
        pending_n = 50;
        int status = 0;
        try {
          status = c.Send("POST", "/api/v1/events", body, token, "application/x-ndjson").status;
        } catch (const std::exception&) {
          status = 0;  // the connection died with the server
        }
        if (status != 201) break;  // the batch stays pending
        acked.insert("K" + std::to_string(run) + "-" + std::to_string(k));
        pending.clear();
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + rng() % 900));
    kill(s.pid, SIGKILL);
    waitpid(s.pid, nullptr, 0);
    stop = true;
    client.join();
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, CrashTest, ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

}  // namespace
}  // namespace keel
