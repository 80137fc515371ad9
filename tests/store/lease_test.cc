// Leases over both backends (events/lease.h): one holder at a time, renewal keeps the fencing
// token, expiry lets another node take over with a higher token, the old holder is fenced; and
// two consumers sharing one database (two "nodes") process every event once, hand over on a
// clean stop, and a holder that lost its lease mid-batch cannot move the cursor.
#include "events/lease.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "events/cluster.h"
#include "events/consumer.h"
#include "support/test_clock.h"
#include "support/test_db.h"

namespace keel::events {
namespace {

using testing::TestBackend;

class LeaseTest : public ::testing::TestWithParam<TestBackend> {
 protected:
  void SetUp() override {
    db_ = testing::NewDatabase(GetParam());
    testing::InsertBareTenants(*db_, {1, 2});
  }
  void Append(int64_t tenant, int n) {
    for (int i = 0; i < n; ++i) {
      auto c = std::move(db_->Acquire()).value();
      auto tx = std::move(store::Transaction::Begin(*c)).value();
      ASSERT_TRUE(AppendOne(*c, tenant, 1000, "x.created", "x", i + 1, 0, "{}").ok());
      ASSERT_TRUE(tx.Commit().ok());
    }
  }
  Status FenceIn(Leases& l, int64_t tenant, int64_t token) {
    auto c = std::move(db_->Acquire()).value();
    auto tx = std::move(store::Transaction::Begin(*c)).value();
    return l.Fence(*c, tenant, "work", token);
  }
  std::unique_ptr<store::Database> db_;
};

TEST_P(LeaseTest, OneHolderAtATimeAndEachChangeOfHandsRaisesTheToken) {
  ManualClock clock(1'000'000);
  Leases a(*db_, clock, {.holder = "node-a", .ttl_ms = 1000});
  Leases b(*db_, clock, {.holder = "node-b", .ttl_ms = 1000});
  auto t = a.Hold(1, "work");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_TRUE(t->has_value());
  const int64_t first = **t;
  EXPECT_FALSE(b.Hold(1, "work")->has_value()) << "held by a";
  EXPECT_TRUE(b.Hold(2, "work")->has_value()) << "another tenant's lease is free";
  EXPECT_TRUE(b.Hold(1, "other")->has_value()) << "another work's lease is free";

  clock.Advance(900);  // renewed before it ends: same token, new expiry
  EXPECT_EQ(a.Hold(1, "work")->value_or(-1), first);
  clock.Advance(900);  // 1.8 s after the first hold, 0.9 s after the renewal
  EXPECT_FALSE(b.Hold(1, "work")->has_value());
  EXPECT_TRUE(FenceIn(a, 1, first).ok());

  clock.Advance(200);  // a stopped renewing: expired
  auto taken = b.Hold(1, "work");
  ASSERT_TRUE(taken->has_value());
  EXPECT_EQ(**taken, first + 1);
  Status fenced = FenceIn(a, 1, first);
  EXPECT_EQ(fenced.code(), "lease.lost") << fenced.ToString();
  EXPECT_TRUE(FenceIn(b, 1, **taken).ok());
  EXPECT_FALSE(a.Hold(1, "work")->has_value()) << "b holds it now";

  ASSERT_TRUE(b.Release(1, "work", **taken).ok());
  auto back = a.Hold(1, "work");
  ASSERT_TRUE(back->has_value()) << "released: free at once";
  EXPECT_EQ(**back, first + 2);
  EXPECT_TRUE(b.Release(1, "work", **taken).ok()) << "a stale release changes nothing";
  EXPECT_FALSE(b.Hold(1, "work")->has_value()) << "a still holds it";
}

TEST_P(LeaseTest, AScheduledJobIsClaimedOncePerTenantAndPeriodAcrossNodes) {
  ManualClock clock(1'000'000);
  Leases a(*db_, clock, {.holder = "node-a"});
  Leases b(*db_, clock, {.holder = "node-b"});
  EXPECT_TRUE(*a.Claim(1, "recap", "2026-12-07"));
  EXPECT_FALSE(*b.Claim(1, "recap", "2026-12-07")) << "another node: already run";
  EXPECT_FALSE(*a.Claim(1, "recap", "2026-12-07")) << "the same node asking again";
  EXPECT_TRUE(*b.Claim(2, "recap", "2026-12-07")) << "another tenant";
  EXPECT_TRUE(*b.Claim(1, "recap", "2026-12-08")) << "the next period";
  EXPECT_TRUE(*b.Claim(1, "nightly", "2026-12-07")) << "another job";
}

// Records what it is given, per node.
struct Node : ConsumerHandler {
  std::mutex mu;
  std::vector<std::pair<int64_t, int64_t>> seen;
  std::function<void()> during;  // runs inside the next Process, once (a pause, a takeover)
  Status Process(int64_t tenant, std::span<const Event> evs) override {
    if (auto once = std::exchange(during, nullptr)) once();
    std::lock_guard lock(mu);
    for (const auto& e : evs) seen.emplace_back(tenant, e.seq);
    return Status();
  }
  size_t Count() {
    std::lock_guard lock(mu);
    return seen.size();
  }
};

TEST_P(LeaseTest, TwoNodesProcessEveryEventOnceAndHandOverOnAStop) {
  Leases la(*db_, testing::TestClock(), {.holder = "node-a", .ttl_ms = 6000});
  Leases lb(*db_, testing::TestClock(), {.holder = "node-b", .ttl_ms = 6000});
  Node na, nb;
  Consumer a(*db_, na, testing::TestClock(), {.name = "work", .batch = 3, .leases = &la});
  Consumer b(*db_, nb, testing::TestClock(), {.name = "work", .batch = 3, .leases = &lb});
  a.Start();
  b.Start();
  Append(1, 7);
  Append(2, 5);
  auto until = [&](auto done) {
    for (int i = 0; i < 400 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return done();
  };
  ASSERT_TRUE(until([&] { return na.Count() + nb.Count() == 12; })) << na.Count() << " + " << nb.Count();
  ASSERT_TRUE(a.WaitIdle(10000) && b.WaitIdle(10000));
  EXPECT_EQ(na.Count() + nb.Count(), 12u) << "nothing twice";
  for (int64_t tenant : {1, 2}) {
    EXPECT_NE(a.LeaseToken(tenant).has_value(), b.LeaseToken(tenant).has_value()) << "one holder for tenant " << tenant;
  }

  // The holder of tenant 1 stops cleanly: the other node takes the tenant within a renewal period.
  Consumer& holder = a.LeaseToken(1) ? a : b;
  Node& survivor = a.LeaseToken(1) ? nb : na;
  Consumer& other = a.LeaseToken(1) ? b : a;
  holder.Stop();
  size_t before = survivor.Count();
  Append(1, 4);
  ASSERT_TRUE(until([&] { return survivor.Count() == before + 4; })) << survivor.Count() - before;
  EXPECT_TRUE(other.LeaseToken(1).has_value());
  std::map<int64_t, int> times;
  for (Node* n : {&na, &nb}) {
    std::lock_guard lock(n->mu);
    for (const auto& [t, s] : n->seen) {
      if (t == 1) ++times[s];
    }
  }
  EXPECT_EQ(times.size(), 11u);
  for (const auto& [seq, n] : times) EXPECT_EQ(n, 1) << "seq " << seq;
  EXPECT_EQ(*other.Cursor(1), 11);
}

TEST_P(LeaseTest, AHolderThatLostItsLeaseMidBatchCannotMoveTheCursor) {
  ManualClock clock(5'000'000);
  Leases la(*db_, clock, {.holder = "node-a", .ttl_ms = 1000});
  Leases lb(*db_, clock, {.holder = "node-b", .ttl_ms = 1000});
  Node na, nb;
  Consumer a(*db_, na, clock, {.name = "work", .batch = 10, .leases = &la});
  Consumer b(*db_, nb, clock, {.name = "work", .batch = 10, .leases = &lb});
  ASSERT_TRUE(a.SetCursor(1, 0).ok());
  Append(1, 5);
  // While a works on the batch it stalls past its lease; b takes the tenant over and finishes.
  na.during = [&] {
    clock.Advance(5000);
    ASSERT_TRUE(b.Drain(1).ok());
  };
  Status st = a.Drain(1);
  EXPECT_EQ(st.code(), "lease.lost") << st.ToString();
  EXPECT_EQ(nb.Count(), 5u);
  EXPECT_EQ(*b.Cursor(1), 5) << "b's cursor stands";
  EXPECT_FALSE(a.LeaseToken(1).has_value()) << "a knows it lost the tenant";
  EXPECT_TRUE(a.Drain(1).ok()) << "b holds the tenant: nothing to do here";
  EXPECT_EQ(na.Count(), 5u) << "a's stalled batch, not repeated";
}

TEST_P(LeaseTest, EachNodeCountsItsLeasesChangingHands) {
  ManualClock clock(1'000'000);
  Leases a(*db_, clock, {.holder = "node-a", .ttl_ms = 1000});
  Leases b(*db_, clock, {.holder = "node-b", .ttl_ms = 1000});
  using V = std::vector<int64_t>;  // acquired, lost, released, held
  auto counts = [](const Leases& l) {
    const auto all = l.changes();
    const auto it = all.find("work");
    const Leases::Changes c = it == all.end() ? Leases::Changes{} : it->second;
    return V{c.acquired, c.lost, c.released, c.held};
  };
  ASSERT_TRUE(a.Hold(1, "work")->has_value());
  const int64_t a2 = **a.Hold(2, "work");
  ASSERT_TRUE(a.Hold(1, "work")->has_value());
  EXPECT_EQ(counts(a), (V{2, 0, 0, 2})) << "a renewal changes nothing";
  EXPECT_FALSE(b.Hold(1, "work")->has_value());
  EXPECT_EQ(counts(b), (V{0, 0, 0, 0})) << "asking for a lease held elsewhere changes nothing";

  clock.Advance(1500);  // a stopped renewing: b takes tenant 1
  const int64_t b1 = **b.Hold(1, "work");
  EXPECT_EQ(counts(b), (V{1, 0, 0, 1}));
  EXPECT_FALSE(a.Hold(1, "work")->has_value());
  EXPECT_EQ(counts(a), (V{2, 1, 0, 1})) << "a finds tenant 1 gone";
  const int64_t a2_again = **a.Hold(2, "work");
  EXPECT_EQ(a2_again, a2 + 1) << "expired and taken back: another node may have run it in between";
  EXPECT_EQ(counts(a), (V{3, 2, 0, 1}));

  ASSERT_TRUE(b.Release(1, "work", b1 + 7).ok());
  EXPECT_EQ(counts(b), (V{1, 0, 0, 1})) << "a stale token releases nothing";
  ASSERT_TRUE(b.Release(1, "work", b1).ok());
  EXPECT_EQ(counts(b), (V{1, 0, 1, 0}));
  clock.Advance(1500);
  ASSERT_TRUE(b.Hold(2, "work")->has_value());
  EXPECT_EQ(FenceIn(a, 2, a2_again).code(), "lease.lost");
  EXPECT_EQ(counts(a), (V{3, 3, 0, 0})) << "Fence found it gone";
}

TEST_P(LeaseTest, OperatorsSeeTheConsumersBuiltOnADatabaseAndTheirLag) {
  Node work, quiet;
  {
    Consumer a(*db_, work, testing::TestClock(), {.name = "work", .batch = 3});
    Consumer b(*db_, quiet, testing::TestClock(), {.name = "quiet", .read_events = false});
    Append(1, 4);
    Append(2, 3);
    ASSERT_TRUE(a.Drain(1).ok());
    const std::vector<ConsumerSnapshot> seen = ConsumersOf(*db_);
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0].name, "quiet");
    EXPECT_FALSE(seen[0].reads_events);
    EXPECT_EQ(seen[1].name, "work");
    EXPECT_EQ(seen[1].stats.events, 4);
    EXPECT_EQ(seen[1].stats.batches, 2);

    ClusterView view(*db_, testing::TestClock(), {.name = "here"});
    // Tenant 2 has no cursor row: all of its log is still to read.
    auto figures = view.Figures();
    ASSERT_TRUE(figures.ok()) << figures.status().ToString();
    ASSERT_EQ(figures->consumers.size(), 2u);
    EXPECT_FALSE(figures->consumers[0].lag.has_value()) << "quiet reads no events";
    ASSERT_TRUE(figures->consumers[1].lag.has_value());
    EXPECT_EQ(figures->consumers[1].lag->behind, 3);
    EXPECT_EQ(figures->consumers[1].lag->worst, 3);
    EXPECT_EQ(figures->consumers[1].lag->tenants, 1);
    auto one = view.ForTenant(1);
    ASSERT_TRUE(one.ok());
    ASSERT_EQ(one->lag.size(), 1u);
    EXPECT_EQ(one->lag[0].consumer, "work");
    EXPECT_EQ(one->lag[0].head, 4);
    EXPECT_EQ(one->lag[0].lag, 0);
    auto all = view.Everything();
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->lag.size(), 2u);
    EXPECT_EQ(all->lag[1].tenant_id, 2);
    EXPECT_EQ(all->lag[1].lag, 3);
  }
  EXPECT_TRUE(ConsumersOf(*db_).empty()) << "destroyed consumers are gone";
}

// Two nodes, each with its own pool on one PostgreSQL: a commit that appends events on one
// reaches the other's commit listeners (one NOTIFY per commit), not its own twice, and a rolled
// back one reaches nobody; a consumer on the second node that holds the tenant's lease is woken
// by the first node's commit at once, long before its own polling would find the event.
TEST(ClusterNotifications, ACommitOnOneNodeWakesTheOtherNodes) {
  std::string url;
  auto db1 = testing::NewDatabase(TestBackend::kPostgres, &url);
  auto opened = store::Database::Open(url);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  auto db2 = std::move(opened).value();
  testing::InsertBareTenants(*db1, {1, 2});
  ASSERT_TRUE(db1->EnableClusterNotifications().ok());
  ASSERT_TRUE(db2->EnableClusterNotifications().ok());
  ASSERT_TRUE(db2->EnableClusterNotifications().ok()) << "idempotent";
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the listeners have connected
  std::mutex mu;
  std::vector<int64_t> on1, on2;
  auto l1 = db1->AddCommitListener([&](int64_t t) { std::lock_guard g(mu); on1.push_back(t); });
  auto l2 = db2->AddCommitListener([&](int64_t t) { std::lock_guard g(mu); on2.push_back(t); });
  auto append = [&](int64_t tenant, bool commit) {
    auto c = std::move(db1->Acquire()).value();
    auto tx = std::move(store::Transaction::Begin(*c)).value();
    ASSERT_TRUE(AppendOne(*c, tenant, 1000, "x.created", "x", 1, 0, "{}").ok());
    if (commit) {
      ASSERT_TRUE(tx.Commit().ok());
    }
  };
  auto seen = [&](std::vector<int64_t>& v, size_t n) {
    for (int i = 0; i < 200; ++i) {
      {
        std::lock_guard g(mu);
        if (v.size() >= n) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return false;
  };
  append(1, true);
  append(2, false);  // rolled back: nobody is told
  append(2, true);
  ASSERT_TRUE(seen(on2, 2));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  {
    std::lock_guard g(mu);
    EXPECT_EQ(on2, (std::vector<int64_t>{1, 2})) << "in commit order, the rolled-back one not at all";
    EXPECT_EQ(on1, (std::vector<int64_t>{1, 2})) << "its own commits once, not echoed back";
  }

  // A consumer on node 2, holding tenant 1's lease and polling only every 20 s.
  Leases leases(*db2, testing::TestClock(), {.holder = "node-2", .ttl_ms = 60000});
  Node n2;
  Consumer c2(*db2, n2, testing::TestClock(), {.name = "work", .wake_ms = 60000, .leases = &leases});
  c2.Start();
  ASSERT_TRUE(c2.WaitIdle(10000));
  ASSERT_TRUE(c2.LeaseToken(1).has_value());
  size_t before = n2.Count();
  append(1, true);
  for (int i = 0; i < 200 && n2.Count() == before; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  EXPECT_EQ(n2.Count(), before + 1) << "woken by node 1's commit within 5 s, not by its poll after 20 s";
  c2.Stop();
}

INSTANTIATE_TEST_SUITE_P(Backends, LeaseTest, ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

}  // namespace
}  // namespace keel::events
