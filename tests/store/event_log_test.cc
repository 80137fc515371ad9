#include "events/event_log.h"

#include <gtest/gtest.h>

#include <thread>

#include "support/test_db.h"

namespace keel::events {
namespace {

using store::Value;
using testing::TestBackend;

class EventLogTest : public ::testing::TestWithParam<TestBackend> {
 protected:
  void SetUp() override {
    db_ = testing::NewDatabase(GetParam());
    testing::InsertBareTenants(*db_, {1, 2});
  }
  Status AppendOne(int64_t tenant, const std::string& type, bool commit = true) {
    auto c = std::move(db_->Acquire()).value();
    KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*c));
    std::vector<Event> evs(1);
    evs[0].at = 1000;
    evs[0].type = type;
    evs[0].entity = "x";
    evs[0].entity_id = 7;
    evs[0].payload = "{}";
    KEEL_RETURN_IF_ERROR(Append(*c, tenant, evs).status());
    if (commit) return tx.Commit();
    return Status();
  }
  std::unique_ptr<store::Database> db_;
};

TEST_P(EventLogTest, SequencesArePerTenantGapFreeAndRolledBackWithTheWrite) {
  ASSERT_TRUE(AppendOne(1, "a.created").ok());
  ASSERT_TRUE(AppendOne(1, "a.updated", /*commit=*/false).ok());  // rolled back
  ASSERT_TRUE(AppendOne(2, "b.created").ok());
  ASSERT_TRUE(AppendOne(1, "a.archived").ok());
  auto c = std::move(db_->Acquire()).value();
  auto evs = Read(*c, 1, {});
  ASSERT_TRUE(evs.ok());
  ASSERT_EQ(evs->size(), 2u);
  EXPECT_EQ((*evs)[0].seq, 1);
  EXPECT_EQ((*evs)[1].seq, 2);
  EXPECT_EQ((*evs)[1].type, "a.archived");
  auto other = Read(*c, 2, {});
  ASSERT_EQ(other->size(), 1u);
  EXPECT_EQ((*other)[0].seq, 1);
  EXPECT_EQ(*LastSeq(*c, 1), 2);
  ReadOptions after;
  after.after_seq = 1;
  EXPECT_EQ(Read(*c, 1, after)->size(), 1u);
  ReadOptions typed;
  typed.type_prefix = "a.c";
  EXPECT_EQ(Read(*c, 1, typed)->size(), 1u);
}

TEST_P(EventLogTest, ConcurrentWritersNeverShareOrSkipASequenceNumber) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 40; ++i) {
        if (!AppendOne(1, "c.created").ok()) failures++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto c = std::move(db_->Acquire()).value();
  ReadOptions all;
  all.limit = 1000;
  auto evs = Read(*c, 1, all);
  ASSERT_EQ(evs->size(), 160u);
  for (size_t i = 0; i < evs->size(); ++i) EXPECT_EQ((*evs)[i].seq, static_cast<int64_t>(i + 1));
}

INSTANTIATE_TEST_SUITE_P(Backends, EventLogTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

}  // namespace
}  // namespace keel::events
