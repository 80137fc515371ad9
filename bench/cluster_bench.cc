// Scale-out costs (issue 17, docs/scale-out.md), on a throw-away PostgreSQL started like the
// tests': each figure next to a baseline measured in the same run.
//  - commits that append events, 8 threads, 1 and 100 events per commit: with the cluster
//    announcement (one NOTIFY per commit) vs without, on the same database;
//  - a lease renewal (one upsert) vs the cheapest round trip (SELECT 1);
//  - failover: from a holder's last renewal until another node takes the tenant, vs the lease's
//    lifetime (the floor).
// --quick: fewer commits.
#include <atomic>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "events/consumer.h"
#include "events/event_log.h"
#include "events/lease.h"
#include "support/test_db.h"

namespace keel::bench {
namespace {

// Commits/s of `threads` threads each committing `per_commit` events per transaction.
double CommitRate(store::Database& db, int threads, int commits_each, int per_commit, int64_t tenant_base) {
  std::atomic<int> failed{0};
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
  return 0;
}

}  // namespace
}  // namespace keel::bench

int main(int argc, char** argv) {
  bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  return keel::bench::Main(quick);
}
