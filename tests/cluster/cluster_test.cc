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
//
// Alerts and definitions reach every node once: a metric defined through node A answers on node
// B within seconds (not at B's next poll); an alert rule saved on A fires once, with one webhook
// delivery to a loopback receiver, whichever node evaluates; a live stream on B sees the alert
// raised from an order posted to A; after B dies the stream resumes on A with Last-Event-ID and
// gets the alert that fired meanwhile — nothing missed, nothing twice.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "domain/auth.h"
#include "domain/records.h"
#include "http/stream_reader.h"
#include "support/cluster.h"
#include "support/http_client.h"
#include "support/org.h"
#include "support/test_clock.h"
#include "support/test_db.h"
#include "support/webhook_receiver.h"

namespace keel {
namespace {

using json = nlohmann::json;
using testing::TestClock;

using testing::Answers;
using testing::Cluster;
using Node = testing::ClusterNode;

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
  Cluster cluster(KEEL_BINARY);
  const int64_t tenant = cluster.SeedAcme();
  ASSERT_GT(tenant, 0) << "the database did not migrate";
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
  Cluster cluster(KEEL_BINARY);
  const int64_t tenant = cluster.SeedAcme();
  ASSERT_GT(tenant, 0) << "the database did not migrate";
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

// The ids of the alert frames a stream received, in order.
std::vector<int64_t> AlertIds(const std::string& data) {
  std::vector<int64_t> ids;
  for (size_t at = data.find("id: "); at != std::string::npos; at = data.find("id: ", at + 4)) {
    size_t eol = data.find('\n', at);
    if (data.compare(eol + 1, 12, "event: alert") == 0) ids.push_back(std::atoll(data.substr(at + 4, eol - at - 4).c_str()));
  }
  return ids;
}

TEST(ClusterTest, AlertsAndDefinitionsReachEveryNodeOnce) {
  if (access("/usr/sbin/haproxy", X_OK) != 0) {
    if (std::getenv("CI")) FAIL() << "haproxy is not installed (scripts/install-deps installs it)";
    GTEST_SKIP() << "haproxy is not installed (run scripts/install-deps)";
  }
  Cluster cluster(KEEL_BINARY);
  const int64_t tenant = cluster.SeedAcme();
  ASSERT_GT(tenant, 0) << "the database did not migrate";
  ASSERT_TRUE(cluster.ShareSecretsAndAllowLoopback());
  cluster.AddNode("n1");
  cluster.AddNode("n2");
  for (size_t i = 0; i < cluster.size(); ++i) ASSERT_TRUE(cluster.Start(cluster.node(i))) << "see " << cluster.dir();
  Node& a = cluster.node(0);
  Node& b = cluster.node(1);
  testing::HttpClient on_a(a.port), on_b(b.port);
  auto login = on_a.Post("/api/v1/auth/login", {{"tenant", "acme"}, {"username", "admin"}, {"password", testing::kTestPassword}});
  ASSERT_EQ(login.status, 200) << login.body;
  const std::string admin = login.json()["token"];
  login = on_a.Post("/api/v1/auth/login", {{"tenant", "acme"}, {"username", "ops"}, {"password", testing::kTestPassword}});
  ASSERT_EQ(login.status, 200) << login.body;
  const std::string ops = login.json()["token"];

  // A metric defined through A answers on B: B applies the definition from the log, woken by A's
  // commit (its own poll is 30 s away).
  auto t0 = std::chrono::steady_clock::now();
  auto def = on_a.Post("/api/v1/metrics", {{"name", "big_orders"}, {"source", "order"}, {"agg", "count"}, {"filter", "total >= 5000"}}, ops);
  ASSERT_EQ(def.status, 201) << def.body;
  int status = 0;
  for (int i = 0; i < 100 && status != 200; ++i) {
    status = on_b.Get("/api/v1/metrics/query?metrics=big_orders&from=2026-11-01&to=2026-11-30", ops).status;
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const double definition_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(status, 200) << "node B never learned the metric defined on node A (5 s)";

  // One webhook, one rule saved on A; a live stream of alerts on B. The nodes run on the real
  // clock: the orders carry the time the server gave a record it just made (this test reads no
  // clock of its own).
  auto marker = on_a.Post("/api/v1/customers", {{"code", "CLOCK-1"}, {"name", "时钟"}, {"kind", "b2b"}}, admin);
  ASSERT_EQ(marker.status, 201) << marker.body;
  const std::string server_now = marker.json()["created_at"];
  testing::Receiver receiver(std::vector<testing::Reply>(10, {200, "{}"}));
  auto hook = on_a.Post("/api/v1/webhooks", {{"name", "ops-robot"}, {"channel", "generic"}, {"url", receiver.Url("/hook")}}, admin);
  ASSERT_EQ(hook.status, 201) << hook.body;
  auto rule = on_a.Post("/api/v1/alert-rules", {{"name", "big"}, {"metric", "revenue"}, {"window", "1d"},
                                                {"tiers", {{{"severity", "warning"}, {"when", "value > 5000"}}}}}, ops);
  ASSERT_EQ(rule.status, 201) << rule.body;
  auto live = std::make_unique<testing::StreamReader>(b.port, "/api/v1/stream?alerts=true", ops);
  ASSERT_TRUE(live->Wait([](const std::string& d) { return d.find("retry: 3000") != std::string::npos; })) << live->data();
  auto order = [&](testing::HttpClient& via, const std::string& code, double price) {
    std::string body = "{\"type\":\"order\",\"id\":\"" + code + "\",\"code\":\"" + code +
                       "\",\"store_code\":\"S-A\",\"at\":\"" + server_now + "\",\"lines\":[{\"sku\":\"AC-1\",\"qty\":1,"
                       "\"unit_price\":" + std::to_string(price) + "}]}\n";
    EXPECT_EQ(via.Send("POST", "/api/v1/events", body, ops, "application/x-ndjson").status, 201);
  };
  order(on_a, "BIG-1", 9000);
  ASSERT_TRUE(live->Wait([](const std::string& d) { return d.find("\"rule\":\"big\"") != std::string::npos; }))
      << "the stream on B never saw the alert raised from A's order: " << live->data();
  auto heard = [&](size_t n) {
    for (int i = 0; i < 200 && receiver.requests().size() < n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return receiver.requests().size() >= n;
  };
  ASSERT_TRUE(heard(1)) << "the webhook never heard of the alert";
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // room for a second copy, were there one
  EXPECT_EQ(receiver.requests().size(), 1u) << "one delivery per alert and webhook across the nodes";
  auto db = std::move(store::Database::Open(cluster.url()).value());
  auto count = [&](const std::string& sql) {
    auto c = std::move(db->Acquire()).value();
    store::Value q[] = {tenant};
    return store::Row(*c->Query(sql, q), 0).Int("n");
  };
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM alerts WHERE tenant_id = ? AND rule = 'big'"), 1) << "fired once";
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM events WHERE tenant_id = ? AND type = 'alert.fired'"), 1);
  std::vector<int64_t> seen = AlertIds(live->data());
  ASSERT_EQ(seen.size(), 1u) << live->data();

  // B dies with the stream open; meanwhile the alert escalates (a second, critical tier).
  live.reset();
  cluster.Kill(b, SIGKILL);
  auto tier = on_a.Send("PUT", "/api/v1/alert-rules/big",
                         json({{"name", "big"}, {"metric", "revenue"}, {"window", "1d"},
                               {"tiers", {{{"severity", "warning"}, {"when", "value > 5000"}},
                                          {{"severity", "critical"}, {"when", "value > 15000"}}}}}).dump(),
                         ops);
  ASSERT_EQ(tier.status, 200) << tier.body;
  order(on_a, "BIG-2", 9000);
  for (int i = 0; i < 200 && count("SELECT COUNT(*) AS n FROM events WHERE tenant_id = ? AND type = 'alert.changed'") == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(count("SELECT COUNT(*) AS n FROM events WHERE tenant_id = ? AND type = 'alert.changed'"), 1)
      << "the survivor took the evaluator over and escalated the alert once";
  // The client reconnects to A with the last id it saw: it gets the escalation it missed, once.
  testing::StreamReader resumed(a.port, "/api/v1/stream?alerts=true", ops, std::to_string(seen.back()));
  ASSERT_TRUE(resumed.Wait([](const std::string& d) { return d.find("\"severity\":\"critical\"") != std::string::npos; }))
      << resumed.data();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::vector<int64_t> after = AlertIds(resumed.data());
  ASSERT_EQ(after.size(), 1u) << "only what followed the last id, once: " << resumed.data();
  EXPECT_GT(after[0], seen.back());
  ASSERT_TRUE(heard(2)) << "the webhook never heard of the escalation";
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  EXPECT_EQ(receiver.requests().size(), 2u) << "the escalation is posted once";
  std::printf("cluster: a definition saved on node A answered on node B after %.0f ms\n", definition_ms);
}

}  // namespace
}  // namespace keel
