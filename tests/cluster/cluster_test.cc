// A real cluster (issue 17, docs/scale-out.md): a PostgreSQL server, two `keel serve` nodes and
// HAProxy in front of them, all child processes of this test on loopback ports (no containers).
//
// Ingest through the balancer while the nodes are killed with SIGKILL in turn at random moments
// (10 kills) and restarted: every batch the balancer acknowledged is present exactly once with
// one event per fact, a batch retried after a failure is never doubled, and every node's metrics
// — its stored rollups plus the tail of the log — equal a recomputation from the raw rows.
//
// Background work moves with its lease: the node holding the tenant's text-analysis lease is
// killed with SIGKILL; a visit note posted through the balancer is then analysed by the
// surviving node, under a higher fencing token.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "domain/auth.h"
#include "domain/records.h"
#include "support/http_client.h"
#include "support/org.h"
#include "support/test_clock.h"
#include "support/test_db.h"

namespace keel {
namespace {

using json = nlohmann::json;
using testing::TestClock;

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

bool Answers(int port, const std::string& path) {
  try {
    testing::HttpClient c(port);
    return c.Get(path).status == 200;
  } catch (const std::exception&) {
    return false;
  }
}

// A child process with its output in `log`.
pid_t Spawn(const std::string& log, const std::vector<std::string>& argv) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(4);
  }
  return pid;
}

struct Node {
  std::string name;
  int port = 0;
  pid_t pid = 0;
};

class Cluster {
 public:
  Cluster() : dir_(testing::TempDir()), url_(testing::NewPostgresUrl()) {}
  ~Cluster() {
    for (auto& n : nodes_) Kill(n, SIGTERM);
    if (haproxy_ > 0) {
      kill(haproxy_, SIGTERM);
      waitpid(haproxy_, nullptr, 0);
    }
  }
  const std::string& url() const { return url_; }
  const std::string& dir() const { return dir_; }

  void AddNode(const std::string& name) { nodes_.push_back({name, FreePort(), 0}); }
  Node& node(size_t i) { return nodes_[i]; }
  size_t size() const { return nodes_.size(); }

  // Starts the node on its port and waits until it is ready (false after 20 s).
  bool Start(Node& n) {
    n.pid = Spawn(dir_ + "/" + n.name + ".log",
                  {KEEL_BINARY, "serve", "--port", std::to_string(n.port), "--database", url_, "--log-level", "info",
                   "--lease-ttl-ms", "2000"});
    for (int i = 0; i < 400; ++i) {
      if (Answers(n.port, "/api/v1/ready")) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  void Kill(Node& n, int sig) {
    if (n.pid <= 0) return;
    kill(n.pid, sig);
    waitpid(n.pid, nullptr, 0);
    n.pid = 0;
  }

  // HAProxy in front of every node: health checks on /api/v1/ready every 200 ms, a failed
  // connection retried on another node.
  bool StartBalancer() {
    port_ = FreePort();
    std::string cfg = dir_ + "/haproxy.cfg";
    std::ofstream out(cfg);
    out << "global\n  maxconn 512\n\ndefaults\n  mode http\n  timeout connect 1s\n  timeout client 30s\n"
           "  timeout server 30s\n  retries 3\n  option redispatch\n  retry-on conn-failure empty-response\n\n"
           "frontend keel\n  bind 127.0.0.1:"
        << port_ << "\n  default_backend nodes\n\nbackend nodes\n  balance roundrobin\n"
        << "  option httpchk GET /api/v1/ready\n";
    for (const auto& n : nodes_) {
      out << "  server " << n.name << " 127.0.0.1:" << n.port << " check inter 200ms fall 2 rise 1\n";
    }
    out.close();
    haproxy_ = Spawn(dir_ + "/haproxy.log", {"/usr/sbin/haproxy", "-db", "-f", cfg});
    for (int i = 0; i < 200; ++i) {
      if (Answers(port_, "/api/v1/ready")) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  int balancer() const { return port_; }

 private:
  std::string dir_, url_;
  std::vector<Node> nodes_;
  pid_t haproxy_ = 0;
  int port_ = 0;
};

std::string Batch(int k, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    std::string key = std::to_string(k) + "-" + std::to_string(i);
    char at[40];
    std::snprintf(at, sizeof at, "2026-11-%02dT%02d:%02d:00+08:00", 1 + (k + i) % 28, 9 + i % 12, i % 60);
    out += "{\"type\":\"order\",\"id\":\"c" + key + "\",\"code\":\"C" + key + "\",\"store_code\":\"S-A\",\"at\":\"" + at +
           "\",\"lines\":[{\"sku\":\"AC-1\",\"qty\":1,\"unit_price\":" + std::to_string(100 + i % 50) + "}]}\n";
  }
  return out;
}

TEST(ClusterTest, IngestThroughTheBalancerWhileNodesDieLosesAndDoublesNothing) {
  if (access("/usr/sbin/haproxy", X_OK) != 0) {
    if (std::getenv("CI")) FAIL() << "haproxy is not installed (scripts/install-deps installs it)";
    GTEST_SKIP() << "haproxy is not installed (run scripts/install-deps)";
  }
  Cluster cluster;
  int64_t tenant = 0;
  {
    auto db = std::move(store::Database::Open(cluster.url()).value());
    ASSERT_TRUE(store::Migrate(*db).ok());
    domain::RecordService rs(*db, TestClock());
    domain::AuthService auth(*db, TestClock(), rs);
    tenant = testing::BuildOrg(rs, auth, "acme").tenant;
  }
  cluster.AddNode("n1");
  cluster.AddNode("n2");
  for (size_t i = 0; i < cluster.size(); ++i) ASSERT_TRUE(cluster.Start(cluster.node(i))) << "node " << i << " did not start";
  ASSERT_TRUE(cluster.StartBalancer()) << "haproxy did not start; see " << cluster.dir() << "/haproxy.log";

  testing::HttpClient front(cluster.balancer());
  auto login = front.Post("/api/v1/auth/login", {{"tenant", "acme"}, {"username", "admin"}, {"password", testing::kTestPassword}});
  ASSERT_EQ(login.status, 200) << login.body;
  const std::string token = login.json()["token"];

  // One client through the balancer: each batch is sent until it is acknowledged (201); a
  // failure in between (the node died with the request) sends the same batch again.
  std::atomic<bool> stop{false};
  std::atomic<int> acked{0}, retries{0};
  std::atomic<bool> wrong{false};
  std::string wrong_reply;
  std::thread client([&] {
    for (int k = 0; !stop.load(); ++k) {
      std::string body = Batch(k, 50);
      int accepted = 0, duplicates = 0;
      for (int attempt = 0; !stop.load() || attempt > 0; ++attempt) {
        if (attempt > 0) {
          retries.fetch_add(1);
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        if (attempt > 200) return;
        try {
          testing::HttpClient c(cluster.balancer());
          auto r = c.Send("POST", "/api/v1/events", body, token, "application/x-ndjson");
          if (r.status != 201) continue;
          json rep = r.json();
          accepted += rep["accepted"].get<int>();
          duplicates += rep["duplicates"].get<int>();
          if (rep["accepted"].get<int>() + rep["duplicates"].get<int>() != 50) {
            wrong = true;
            wrong_reply = r.body;
          }
          break;
        } catch (const std::exception&) {
          continue;  // the connection died with the node
        }
      }
      if (accepted + duplicates == 50) acked.fetch_add(1);
    }
  });

  std::mt19937 rng(20261207);
  for (int kill = 0; kill < 10; ++kill) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 900));
    Node& victim = cluster.node(kill % cluster.size());
    cluster.Kill(victim, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 400));
    ASSERT_TRUE(cluster.Start(victim)) << victim.name << " did not restart";
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stop = true;
  client.join();
  EXPECT_FALSE(wrong.load()) << wrong_reply;
  const int batches = acked.load();
  EXPECT_GT(batches, 10) << "the ingest kept going through the kills";

  // Every acknowledged batch exactly once, one event per order.
  auto db = std::move(store::Database::Open(cluster.url()).value());
  auto c = std::move(db->Acquire()).value();
  store::Value t[] = {tenant};
  auto rows = c->Query("SELECT COUNT(*) AS n, SUM(total) AS total FROM orders WHERE tenant_id = ? AND code LIKE 'C%'", t);
  ASSERT_TRUE(rows.ok());
  const int64_t n = store::Row(*rows, 0).Int("n");
  const double sum = store::AsDouble(store::Row(*rows, 0)["total"]) / 100.0;
  EXPECT_GE(n, 50 * batches) << "acknowledged batches are all present";
  EXPECT_LE(n, 50 * (batches + 1)) << "at most the batch in flight at the stop besides";
  EXPECT_EQ(n % 50, 0) << "batches are whole";
  auto dup = c->Query("SELECT COUNT(*) AS n FROM (SELECT code FROM orders WHERE tenant_id = ? GROUP BY code HAVING COUNT(*) > 1) d", t);
  EXPECT_EQ(store::Row(*dup, 0).Int("n"), 0) << "no order twice";
  auto events = c->Query("SELECT COUNT(*) AS n FROM events WHERE tenant_id = ? AND type = 'order.created'", t);
  EXPECT_EQ(store::Row(*events, 0).Int("n"), n) << "each order has exactly one event";

  // Each node's metrics equal the recomputation.
  for (size_t i = 0; i < cluster.size(); ++i) {
    testing::HttpClient direct(cluster.node(i).port);
    json got;
    for (int k = 0; k < 200; ++k) {
      auto r = direct.Get("/api/v1/metrics/query?metrics=orders,revenue&from=2026-11-01&to=2026-11-30", token);
      got = r.json();
      if (r.status == 200 && got["groups"][0]["values"]["orders"]["value"].get<double>() == static_cast<double>(n)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(got["groups"][0]["values"]["orders"]["value"].get<double>(), static_cast<double>(n))
        << cluster.node(i).name << ": " << got.dump();
    EXPECT_NEAR(got["groups"][0]["values"]["revenue"]["value"].get<double>(), sum, 0.01) << cluster.node(i).name;
  }
  std::printf("cluster: %d batches acknowledged, %d retries through 10 kills\n", batches, retries.load());
}

// The pid in a lease holder's name (host:pid:random).
pid_t HolderPid(const std::string& holder) {
  auto a = holder.find(':'), b = holder.rfind(':');
  return a == std::string::npos || b == a ? 0 : std::atoi(holder.substr(a + 1, b - a - 1).c_str());
}

TEST(ClusterTest, LeasedWorkMovesToTheSurvivorWhenItsNodeDies) {
  if (access("/usr/sbin/haproxy", X_OK) != 0) {
    if (std::getenv("CI")) FAIL() << "haproxy is not installed (scripts/install-deps installs it)";
    GTEST_SKIP() << "haproxy is not installed (run scripts/install-deps)";
  }
  Cluster cluster;
  int64_t tenant = 0;
  {
    auto db = std::move(store::Database::Open(cluster.url()).value());
    ASSERT_TRUE(store::Migrate(*db).ok());
    domain::RecordService rs(*db, TestClock());
    domain::AuthService auth(*db, TestClock(), rs);
    tenant = testing::BuildOrg(rs, auth, "acme").tenant;
  }
  cluster.AddNode("n1");
  cluster.AddNode("n2");
  for (size_t i = 0; i < cluster.size(); ++i) ASSERT_TRUE(cluster.Start(cluster.node(i)));
  ASSERT_TRUE(cluster.StartBalancer());
  testing::HttpClient front(cluster.balancer());
  auto login = front.Post("/api/v1/auth/login", {{"tenant", "acme"}, {"username", "rep_a1"}, {"password", testing::kTestPassword}});
  ASSERT_EQ(login.status, 200) << login.body;
  const std::string token = login.json()["token"];
  auto customer = front.Post("/api/v1/customers", {{"code", "CL-1"}, {"name", "西湖电器城"}, {"kind", "b2b"}}, token);
  ASSERT_EQ(customer.status, 201) << customer.body;
  const int64_t customer_id = customer.json()["id"];

  auto db = std::move(store::Database::Open(cluster.url()).value());
  auto lease = [&]() -> std::pair<std::string, int64_t> {
    auto c = std::move(db->Acquire()).value();
    store::Value q[] = {tenant};
    auto r = c->Query("SELECT holder, token FROM leases WHERE tenant_id = ? AND name = 'text' AND expires_at > 0", q);
    if (!r.ok() || r->empty()) return {"", 0};
    return {store::Row(*r, 0).Text("holder"), store::Row(*r, 0).Int("token")};
  };
  auto note = [&](const std::string& text) {
    auto r = front.Post("/api/v1/activities",
                        {{"kind", "visit"}, {"occurred_at", "2026-11-27T10:00:00+08:00"}, {"customer_id", customer_id}, {"notes", text}},
                        token);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json().value("id", int64_t{0});
  };
  // The consumer's own output (reading the analysis through the API would analyse it on the spot).
  auto analysed = [&](int64_t id) -> std::string {
    for (int i = 0; i < 300; ++i) {
      auto c = std::move(db->Acquire()).value();
      store::Value q[] = {tenant, id};
      auto r = c->Query("SELECT sentiment_label FROM text_analyses WHERE tenant_id = ? AND entity = 'activities' AND record_id = ?", q);
      if (r.ok() && !r->empty()) return store::Row(*r, 0).Text("sentiment_label");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return "";
  };

  // Before: the note is analysed by whichever node holds the tenant's lease.
  int64_t first = note("客户嫌价格太贵，说竞品给了更低的报价");
  ASSERT_FALSE(analysed(first).empty()) << "analysed within 30 s";
  auto [holder, token_before] = lease();
  ASSERT_FALSE(holder.empty()) << "one node holds the tenant's text lease";
  pid_t holder_pid = HolderPid(holder);
  Node* victim = nullptr;
  for (size_t i = 0; i < cluster.size(); ++i) {
    if (cluster.node(i).pid == holder_pid) victim = &cluster.node(i);
  }
  ASSERT_NE(victim, nullptr) << "the holder " << holder << " is one of the nodes";

  // The holder dies without letting go; the survivor takes the tenant after the lease's 2 s.
  cluster.Kill(*victim, SIGKILL);
  int64_t second = note("门店挂机断货，客户很失望");
  EXPECT_EQ(analysed(second), "negative") << "the survivor analysed the note";
  auto [new_holder, token_after] = lease();
  EXPECT_NE(HolderPid(new_holder), holder_pid) << new_holder;
  EXPECT_GT(token_after, token_before) << "a change of hands raises the fencing token";
}

}  // namespace
}  // namespace keel
