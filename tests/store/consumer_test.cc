// events::Consumer over both backends: cursors start at the log's head, events arrive in order
// and exactly once, commits wake the thread, failures back off and retry without losing events,
// NotifyAfter delays, jobs run in order, Drain works without a thread, Stop is idempotent.
#include "events/consumer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "support/test_clock.h"
#include "support/test_db.h"

namespace keel::events {
namespace {

using store::Value;
using testing::TestBackend;

// Records what it is given; fails while `fail` is set.
struct Recorder : ConsumerHandler {
  std::mutex mu;
  std::vector<std::pair<int64_t, int64_t>> seen;  // (tenant, seq)
  std::atomic<int> calls{0}, ticks{0}, fail{0};
  Status Process(int64_t tenant, std::span<const Event> evs) override {
    ++calls;
    if (fail.load() > 0) {
      --fail;
      return Status::Error(ErrorKind::kUnavailable, "test.down", "down", "停机");
    }
    std::lock_guard lock(mu);
    for (const auto& e : evs) seen.emplace_back(tenant, e.seq);
    return Status();
  }
  void Tick() override { ++ticks; }
  std::vector<int64_t> Seqs(int64_t tenant) {
    std::lock_guard lock(mu);
    std::vector<int64_t> out;
    for (const auto& [t, s] : seen) {
      if (t == tenant) out.push_back(s);
    }
    return out;
  }
};

class ConsumerTest : public ::testing::TestWithParam<TestBackend> {
 protected:
  void SetUp() override {
    db_ = testing::NewDatabase(GetParam());
    testing::InsertBareTenants(*db_, {1, 2});
  }
  // Appends `n` events for the tenant, one transaction each (each commit tells the listeners).
  void Append(int64_t tenant, int n) {
    for (int i = 0; i < n; ++i) {
      auto c = std::move(db_->Acquire()).value();
      auto tx = std::move(store::Transaction::Begin(*c)).value();
      ASSERT_TRUE(AppendOne(*c, tenant, 1000, "x.created", "x", i + 1, 0, "{}").ok());
      ASSERT_TRUE(tx.Commit().ok());
    }
  }
  std::unique_ptr<store::Database> db_;
};

TEST_P(ConsumerTest, StartsAtTheHeadThenSeesEveryCommitOnceInOrder) {
  Append(1, 3);  // history before the consumer existed: not replayed
  Recorder r;
  Consumer c(*db_, r, testing::TestClock(), {.name = "test", .batch = 4});
  c.Start();
  EXPECT_EQ(*c.Cursor(1), 3);
  EXPECT_EQ(*c.Cursor(2), 0);
  Append(1, 10);  // more than two batches, each commit waking the thread
  Append(2, 2);
  ASSERT_TRUE(c.WaitIdle(30000));
  std::vector<int64_t> want1, want2 = {1, 2};
  for (int64_t s = 4; s <= 13; ++s) want1.push_back(s);
  EXPECT_EQ(r.Seqs(1), want1);
  EXPECT_EQ(r.Seqs(2), want2);
  EXPECT_EQ(*c.Cursor(1), 13);
  EXPECT_EQ(*c.Cursor(2), 2);
  EXPECT_GE(r.ticks.load(), 1);
  c.Stop();
  c.Stop();  // idempotent
  // Stopped: commits no longer reach it; a new consumer of the same name resumes at the cursor.
  Append(1, 2);
  Recorder r2;
  Consumer again(*db_, r2, testing::TestClock(), {.name = "test"});
  ASSERT_TRUE(again.Drain(1).ok());
  EXPECT_EQ(r2.Seqs(1), (std::vector<int64_t>{14, 15}));
  EXPECT_EQ(r.Seqs(1).size(), want1.size());
}

TEST_P(ConsumerTest, AFailureKeepsTheCursorAndIsRetriedAfterABackOff) {
  Recorder r;
  Consumer c(*db_, r, testing::TestClock(), {.name = "test", .max_backoff_ms = 200});
  c.Start();
  r.fail = 2;
  Append(1, 1);
  // Two failures, then the retry delivers the event; nothing is skipped or doubled.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (r.Seqs(1).empty() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(c.WaitIdle(30000));
  EXPECT_EQ(r.Seqs(1), (std::vector<int64_t>{1}));
  EXPECT_EQ(c.stats().errors, 2);
  EXPECT_EQ(*c.Cursor(1), 1);
}

TEST_P(ConsumerTest, JobsRunInOrderOnTheThreadAndNotifyAfterWaits) {
  Recorder r;
  // A wake interval longer than WaitIdle's patience: a delay must wake the thread by itself.
  Consumer c(*db_, r, testing::TestClock(), {.name = "jobs", .wake_ms = 600000, .read_events = false, .wake_on_commit = false});
  std::vector<int> order;
  std::mutex mu;
  for (int i = 0; i < 3; ++i) {
    c.Post([&, i] {
      std::lock_guard lock(mu);
      order.push_back(i);
    });
  }
  c.Start();  // jobs posted before the start wait for it
  ASSERT_TRUE(c.WaitIdle(30000));
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(c.stats().jobs, 3);
  // Without events, a notified tenant is handed to Process with none; a delayed one only later.
  int before = r.calls.load();
  c.NotifyAfter(2, 300);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(r.calls.load(), before);  // not yet
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  ASSERT_TRUE(c.WaitIdle(30000));
  EXPECT_EQ(r.calls.load(), before + 1);
  EXPECT_TRUE(r.Seqs(2).empty());
  c.Stop();
}

TEST_P(ConsumerTest, CommitListenersAreIndependentAndGoneWithTheirHandle) {
  std::atomic<int> a{0}, b{0};
  auto la = db_->AddCommitListener([&](int64_t) { ++a; });
  {
    auto lb = db_->AddCommitListener([&](int64_t) { ++b; });
    Append(1, 2);
  }
  Append(1, 1);
  la.Reset();
  Append(1, 1);
  EXPECT_EQ(a.load(), 3);
  EXPECT_EQ(b.load(), 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, ConsumerTest, ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

}  // namespace
}  // namespace keel::events
