// Scale-out costs (issue 17, docs/scale-out.md), on a throw-away PostgreSQL started like the
// tests': each figure next to a baseline measured in the same run.
//  - commits that append events, 8 threads, 1 and 100 events per commit: with the cluster
//    announcement (one NOTIFY per commit) vs without, on the same database;
//  - a lease renewal (one upsert) vs the cheapest round trip (SELECT 1);
//  - failover: from a holder's last renewal until another node takes the tenant, vs the lease's
//    lifetime (the floor);
//  - ingest through HAProxy into 1, 2 and 3 `keel serve` nodes on one PostgreSQL (4 clients
//    posting NDJSON batches of 100 orders): orders/s and the nodes' CPU seconds per 10,000
//    orders, each next to the one-node figure of the same run. On this 2-core machine the nodes
//    share the cores with PostgreSQL and HAProxy, so the ratio shows the cost of coordination
//    (leases, NOTIFY, every node folding the log), not the gain of N machines.
// --quick: fewer commits.
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "events/consumer.h"
#include "events/event_log.h"
#include "events/lease.h"
#include "domain/auth.h"
#include "domain/records.h"
#include "support/cluster.h"
#include "support/http_client.h"
#include "support/org.h"
#include "support/test_clock.h"
#include "support/test_db.h"

namespace keel::bench {
namespace {

// Commits/s of `threads` threads each committing `per_commit` events per transaction.
double CommitRate(store::Database& db, int threads, int commits_each, int per_commit, int64_t tenant_base) {
  std::atomic<int> failed{0};
  std::mutex refusal_mu;
  auto start = Clock::now();
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < commits_each; ++i) {
        auto c = std::move(db.Acquire()).value();
        auto tx = std::move(store::Transaction::Begin(*c)).value();
        for (int k = 0; k < per_commit; ++k) {
          if (!events::AppendOne(*c, tenant_base + t, 1000, "x.created", "x", i * per_commit + k + 1, 0, "{}").ok()) ++failed;
        }
        if (!tx.Commit().ok()) ++failed;
      }
    });
  }
  for (auto& th : ts) th.join();
  if (failed.load() > 0) std::printf("  (%d failures)\n", failed.load());
  return threads * commits_each / Seconds(start);
}


// One NDJSON batch of `n` orders, codes unique per (client, batch).
std::string OrderBatch(int client, int k, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    std::string key = std::to_string(client) + "-" + std::to_string(k) + "-" + std::to_string(i);
    char at[40];
    std::snprintf(at, sizeof at, "2026-11-%02dT%02d:%02d:00+08:00", 1 + (k + i) % 28, 9 + i % 12, i % 60);
    out += "{\"type\":\"order\",\"id\":\"b" + key + "\",\"code\":\"B" + key + "\",\"store_code\":\"S-A\",\"at\":\"" + at +
           "\",\"lines\":[{\"sku\":\"AC-1\",\"qty\":1,\"unit_price\":" + std::to_string(100 + i % 50) + "}]}\n";
  }
  return out;
}

struct IngestFigures {
  double orders_per_s = 0, cpu_per_10k = 0;
  int failed = 0;
  std::string first_refusal;  // the status and body of the first batch refused, if any
};

// `nodes` keel nodes behind HAProxy on a new database; 4 clients post `batches` batches each.
IngestFigures IngestThroughNodes(int nodes, int batches) {
  IngestFigures f;
  testing::Cluster cluster(KEEL_BINARY);
  if (cluster.SeedAcme() == 0) return f;
  for (int i = 0; i < nodes; ++i) cluster.AddNode("n" + std::to_string(i + 1));
  for (size_t i = 0; i < cluster.size(); ++i) {
    if (!cluster.Start(cluster.node(i))) return f;
  }
  if (!cluster.StartBalancer()) return f;
  testing::HttpClient front(cluster.balancer());
  auto login = front.Post("/api/v1/auth/login", {{"tenant", "acme"}, {"username", "admin"}, {"password", testing::kTestPassword}});
  if (login.status != 200) return f;
  const std::string token = login.json()["token"];
  double cpu_before = 0;
  for (size_t i = 0; i < cluster.size(); ++i) cpu_before += testing::CpuSeconds(cluster.node(i).pid);
  std::atomic<int> failed{0};
  std::mutex refusal_mu;
  auto start = Clock::now();
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      testing::HttpClient http(cluster.balancer());
      for (int k = 0; k < batches; ++k) {
        auto r = http.Send("POST", "/api/v1/events", OrderBatch(c, k, 100), token, "application/x-ndjson");
        if (r.status != 201) {
          ++failed;
          std::lock_guard lock(refusal_mu);
          if (f.first_refusal.empty()) f.first_refusal = std::to_string(r.status) + " " + r.body.substr(0, 300);
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  const double secs = Seconds(start);
  double cpu_after = 0;
  for (size_t i = 0; i < cluster.size(); ++i) cpu_after += testing::CpuSeconds(cluster.node(i).pid);
  // Only what was acknowledged counts (a refused batch is the client's to send again).
  const double orders = (4.0 * batches - failed.load()) * 100;
  f.orders_per_s = orders / secs;
  f.cpu_per_10k = (cpu_after - cpu_before) / orders * 10000;
  f.failed = failed.load();
  return f;
}

int Main(bool quick) {
  std::string url;
  auto plain = testing::NewDatabase(testing::TestBackend::kPostgres, &url, 16);
  std::vector<int64_t> tenants;
  for (int64_t t = 1; t <= 8; ++t) tenants.push_back(t);
  testing::InsertBareTenants(*plain, {1, 2, 3, 4, 5, 6, 7, 8});
  store::DatabaseOptions o;
  o.pool_size = 16;
  auto announced = std::move(store::Database::Open(url, o).value());
  if (!announced->EnableClusterNotifications().ok()) return 1;
  auto listener = std::move(store::Database::Open(url, o).value());  // another node hearing them
  if (!listener->EnableClusterNotifications().ok()) return 1;
  std::atomic<int64_t> heard{0};
  auto l = listener->AddCommitListener([&](int64_t) { heard.fetch_add(1); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  const int commits = quick ? 150 : 600;
  std::printf("cluster_bench (PostgreSQL, 8 threads)\n");
  for (int per : {1, 100}) {
    // Alternate to spread the machine's noise over both.
    double base = 0, with = 0;
    for (int round = 0; round < 2; ++round) {
      base += CommitRate(*plain, 8, commits / (per == 1 ? 1 : 4), per, 1);
      with += CommitRate(*announced, 8, commits / (per == 1 ? 1 : 4), per, 1);
    }
    char what[80], base_what[80];
    std::snprintf(what, sizeof what, "commits/s with NOTIFY, %d event(s) each", per);
    std::snprintf(base_what, sizeof base_what, "without (same database)");
    Row(what, with / 2, "/s", base_what, base / 2);
  }
  std::printf("  (another node heard %lld commits)\n", static_cast<long long>(heard.load()));

  // A renewal vs the cheapest round trip.
  ManualClock clock(1'000'000);
  events::Leases leases(*plain, clock, {.holder = "bench", .ttl_ms = 10000});
  const int n = quick ? 2000 : 10000;
  auto start = Clock::now();
  for (int i = 0; i < n; ++i) (void)leases.Hold(1 + i % 8, "bench");
  double hold = n / Seconds(start);
  start = Clock::now();
  for (int i = 0; i < n; ++i) (void)plain->Ping();
  double ping = n / Seconds(start);
  Row("lease renewals/s (one upsert)", hold, "/s", "SELECT 1 round trips/s", ping);

  // Failover: a consumer on node A holds tenant 1 and stops renewing (its process "dies"); the
  // consumer on node B takes the tenant over at its first look after the lease ends.
  struct Nop : events::ConsumerHandler {
    Status Process(int64_t, std::span<const events::Event>) override { return Status(); }
  } nop;
  const int64_t ttl = 3000;
  events::Leases a(*plain, *keel::Clock::System(), {.holder = "node-a", .ttl_ms = ttl});
  events::Leases b(*announced, *keel::Clock::System(), {.holder = "node-b", .ttl_ms = ttl});
  auto took = a.Hold(1, "failover");
  auto died = Clock::now();
  events::Consumer cb(*announced, nop, *keel::Clock::System(), {.name = "failover", .leases = &b});
  cb.Start();
  while (!cb.LeaseToken(1) && Seconds(died) < 30) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  double failover_ms = Seconds(died) * 1000;
  cb.Stop();
  if (!took.ok() || !took->has_value()) std::printf("  (node a did not take the lease)\n");
  Row("failover: last renewal → taken over", failover_ms, "ms", "the lease's lifetime (floor)", static_cast<double>(ttl), true);

  if (access("/usr/sbin/haproxy", X_OK) != 0) {
    std::printf("  (haproxy is not installed: the 1/2/3-node ingest is not measured)\n");
    return 0;
  }
  const int batches = quick ? 10 : 40;
  IngestFigures one = IngestThroughNodes(1, batches);
  if (one.failed > 0) std::printf("  (1 node: %d batches refused, the first: %s)\n", one.failed, one.first_refusal.c_str());
  for (int nodes : {2, 3}) {
    IngestFigures n = IngestThroughNodes(nodes, batches);
    char what[80];
    std::snprintf(what, sizeof what, "ingest through HAProxy, %d nodes (orders/s)", nodes);
    Row(what, n.orders_per_s, "/s", "1 node", one.orders_per_s);
    std::snprintf(what, sizeof what, "  nodes' CPU s per 10k orders, %d nodes", nodes);
    Row(what, n.cpu_per_10k, "s", "1 node", one.cpu_per_10k, true);
    if (n.failed > 0) std::printf("  (%d nodes: %d batches refused, the first: %s)\n", nodes, n.failed, n.first_refusal.c_str());
  }
  return 0;
}

}  // namespace
}  // namespace keel::bench

int main(int argc, char** argv) {
  bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  return keel::bench::Main(quick);
}
