// The same store suite over both backends.
#include "store/database.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "support/test_db.h"

namespace keel::store {
namespace {

using testing::TestBackend;

class StoreTest : public ::testing::TestWithParam<TestBackend> {
 protected:
  void SetUp() override { db_ = testing::NewDatabase(GetParam()); }
  PooledConnection Conn() { return std::move(db_->Acquire()).value(); }
  void AddTenant(int64_t id) {
    auto c = Conn();
    Value p[] = {id, "t" + std::to_string(id)};
    ASSERT_TRUE(c->Exec("INSERT INTO tenants (id, code, name, time_zone, currency, locale, status, "
                        "created_at, updated_at) VALUES (?, ?, 'T', 'Asia/Shanghai', 'CNY', 'zh-CN', "
                        "'active', 'x', 'x')", p).ok());
  }
  std::unique_ptr<Database> db_;
};

TEST_P(StoreTest, MigratesOnceAndReportsVersion) {
  auto again = Migrate(*db_);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, 0);
  auto c = Conn();
  auto v = CurrentSchemaVersion(*c);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, LatestSchemaVersion());
  EXPECT_EQ(db_->backend(), GetParam() == TestBackend::kSqlite ? Backend::kSqlite : Backend::kPostgres);
}

// A node older than the schema (another node upgraded the database) refuses to migrate or serve
// on it, with a plain error, instead of running queries against columns it does not know.
TEST_P(StoreTest, ANewerSchemaIsRefusedByAnOlderBuild) {
  auto c = Conn();
  EXPECT_TRUE(CheckSchemaNotNewer(*c).ok());
  Value p[] = {int64_t{LatestSchemaVersion() + 1}};
  ASSERT_TRUE(c->Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from a newer Keel', 'x')", p).ok());
  Status st = CheckSchemaNotNewer(*c);
  EXPECT_EQ(st.code(), "store.schema_newer") << st.ToString();
  EXPECT_NE(st.message_en().find("upgrade this node"), std::string::npos) << st.message_en();
  EXPECT_NE(st.message_zh().find("请升级本节点"), std::string::npos);
  auto migrated = Migrate(*db_);
  ASSERT_FALSE(migrated.ok());
  EXPECT_EQ(migrated.status().code(), "store.schema_newer");
}

TEST_P(StoreTest, RoundTripsValuesOfEveryType) {
  AddTenant(1);
  auto c = Conn();
  Value p[] = {int64_t{1}, int64_t{10}, std::string("SKU-1"), std::string("冰箱 ‘引号’ \"q\""),
               std::string("家电/冰箱"), int64_t{123456}, Value(), 2.5};
  ASSERT_TRUE(c->Exec("INSERT INTO products (tenant_id, id, sku, name, category_path, price, cost, "
                      "energy_class, currency, status, created_at, updated_at) VALUES "
                      "(?, ?, ?, ?, ?, ?, ?, 1, 'CNY', 'active', 'a', 'b')",
                      std::span<const Value>(p, 7)).ok());
  Value q[] = {int64_t{1}};
  auto r = c->Query("SELECT id, name, price, cost FROM products WHERE tenant_id = ?", q);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(AsInt(r->rows[0][0]), 10);
  EXPECT_EQ(AsText(r->rows[0][1]), "冰箱 ‘引号’ \"q\"");
  EXPECT_EQ(AsInt(r->rows[0][2]), 123456);
  EXPECT_TRUE(IsNull(r->rows[0][3]));
  EXPECT_EQ(r->Column("price"), 2);
}

TEST_P(StoreTest, RowsAreReadByColumnName) {
  AddTenant(1);
  auto c = Conn();
  Value p[] = {int64_t{1}, int64_t{10}, std::string("SKU-1"), std::string("冰箱"), std::string("家电/冰箱"), int64_t{399900}, Value(),
               int64_t{1}, int64_t{11}, std::string("SKU-2"), std::string("空调"), std::string("家电/空调"), int64_t{259900}, int64_t{180050}};
  ASSERT_TRUE(c->Exec("INSERT INTO products (tenant_id, id, sku, name, category_path, price, cost, energy_class, currency, status, "
                      "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, 'CNY', 'active', 'a', 'b'), "
                      "(?, ?, ?, ?, ?, ?, ?, 1, 'CNY', 'active', 'a', 'b')", p).ok());
  Value q[] = {int64_t{1}};
  auto r = c->Query("SELECT p.cost, p.name, p.id, p.price * 2 AS doubled FROM products p WHERE p.tenant_id = ? ORDER BY p.id", q);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::vector<std::string> seen;
  for (Row row : *r) {
    seen.push_back(std::to_string(row.Int("id")) + ":" + row.Text("name") + ":" + std::to_string(row.Int("doubled")));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"10:冰箱:799800", "11:空调:519800"}));
  Row first = r->row(0), second = r->row(1);
  EXPECT_TRUE(first.Null("cost"));
  EXPECT_EQ(first.OptDouble("cost"), std::nullopt);
  EXPECT_EQ(second.OptInt("cost"), 180050);
  EXPECT_EQ(second.Double("cost"), 180050.0);
  EXPECT_EQ(first.OptText("name"), "冰箱");
  EXPECT_EQ(first.OptInt("id"), 10);
  // A column the query does not return reads as NULL (and is logged), never out of bounds.
  EXPECT_TRUE(first.Null("sku"));
  EXPECT_EQ(first.OptText("sku"), std::nullopt);
}

TEST_P(StoreTest, MapsUniqueAndForeignKeyViolations) {
  AddTenant(1);
  auto c = Conn();
  const char* sql = "INSERT INTO units (tenant_id, id, code, name, kind, path, created_at, updated_at) "
                    "VALUES (?, ?, 'HQ', 'hq', 'hq', '/', 'a', 'a')";
  Value a[] = {int64_t{1}, int64_t{5}};
  ASSERT_TRUE(c->Exec(sql, a).ok());
  Value b[] = {int64_t{1}, int64_t{6}};
  auto dup = c->Exec(sql, b);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().kind(), ErrorKind::kConflict);
  EXPECT_EQ(dup.status().code(), "conflict.duplicate");
  EXPECT_EQ(dup.status().field(), "code");
  Value f[] = {int64_t{1}, int64_t{7}, int64_t{999}};
  auto fk = c->Exec("INSERT INTO units (tenant_id, id, code, name, kind, parent_id, path, created_at, "
                    "updated_at) VALUES (?, ?, 'X', 'x', 'unit', ?, '/', 'a', 'a')", f);
  ASSERT_FALSE(fk.ok());
  EXPECT_EQ(fk.status().code(), "validation.reference");
}

TEST_P(StoreTest, TransactionsAndSavepoints) {
  AddTenant(1);
  auto c = Conn();
  {
    auto tx = Transaction::Begin(*c);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(c->Exec("INSERT INTO event_seq (tenant_id, next_seq) VALUES (1, 1)").ok());
    // destroyed without Commit: rolled back
  }
  auto r = c->Query("SELECT COUNT(*) FROM event_seq");
  EXPECT_EQ(AsInt(r->rows[0][0]), 0);
  {
    auto tx = Transaction::Begin(*c);
    ASSERT_TRUE(c->Exec("INSERT INTO event_seq (tenant_id, next_seq) VALUES (1, 1)").ok());
    ASSERT_TRUE(c->Savepoint("sp").ok());
    ASSERT_TRUE(c->Exec("UPDATE event_seq SET next_seq = 99").ok());
    ASSERT_TRUE(c->RollbackToSavepoint("sp").ok());
    ASSERT_TRUE(c->ReleaseSavepoint("sp").ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  r = c->Query("SELECT next_seq FROM event_seq");
  EXPECT_EQ(AsInt(r->rows[0][0]), 1);
}

TEST_P(StoreTest, AllocatesUniqueIdsAcrossThreads) {
  std::set<int64_t> all;
  std::mutex mu;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto c = Conn();
        auto tx = Transaction::Begin(*c);
        ASSERT_TRUE(tx.ok()) << tx.status().ToString();
        auto ids = c->AllocateIds(3);
        ASSERT_TRUE(ids.ok()) << ids.status().ToString();
        ASSERT_TRUE(tx->Commit().ok());
        std::lock_guard g(mu);
        for (int64_t id : *ids) EXPECT_TRUE(all.insert(id).second) << id;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(all.size(), 600u);
  EXPECT_GE(*all.begin(), 1000);
}

TEST_P(StoreTest, ReportsSqlErrorsAsInternalNotCrashes) {
  auto c = Conn();
  auto r = c->Query("SELECT no_such_column FROM tenants");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kInternal);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

// Issue #15 §3: a request waits a bounded time for a connection (then 503 store.busy), and a
// thread that already holds one is never left waiting for itself.
TEST_P(StoreTest, APoolWaitIsBoundedAndNeverWaitsForItself) {
  auto db = testing::NewDatabase(GetParam(), nullptr, /*pool_size=*/1);
  db->set_acquire_timeout_ms(200);
  auto held = db->Acquire();
  ASSERT_TRUE(held.ok());
  // Another thread: the one connection is taken, so it is told the database is busy.
  Status other;
  std::thread t([&] {
    auto c = db->Acquire();
    other = c.ok() ? Status() : c.status();
  });
  t.join();
  EXPECT_EQ(other.code(), "store.busy");
  EXPECT_EQ(HttpStatusOf(other.kind()), 503);
  // The same thread borrowing again gets a connection at once (beyond the pool) and is counted.
  EXPECT_EQ(db->nested_acquires(), 0);
  {
    auto again = db->Acquire();
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_TRUE((*again)->Query("SELECT 1").ok());
  }
  EXPECT_EQ(db->nested_acquires(), 1);
  // Once returned, the connection serves another thread again.
  { auto done = std::move(held).value(); }
  std::thread t2([&] { EXPECT_TRUE(db->Acquire().ok()); });
  t2.join();
}

TEST(StoreOpen, RejectsUnreachableDatabases) {
  auto pg = Database::Open("postgresql://nobody@127.0.0.1:1/none");
  ASSERT_FALSE(pg.ok());
  EXPECT_EQ(pg.status().code(), "store.open");
  auto sq = Database::Open("/proc/definitely/not/writable/keel.db");
  EXPECT_FALSE(sq.ok());
}

}  // namespace
}  // namespace keel::store
