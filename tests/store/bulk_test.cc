// store::InsertMany writes exactly the rows it is given, on both backends: text with quotes,
// backslashes, braces, commas, newlines and Chinese; empty strings apart from NULLs; more rows
// than one statement takes; and a bad row refuses the whole call with the usual error.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/bulk.h"
#include "store/database.h"
#include "support/test_db.h"

namespace keel::store {
namespace {

using testing::TestBackend;

class BulkTest : public ::testing::TestWithParam<TestBackend> {};

const BulkColumn kEvents[] = {{"tenant_id", "bigint"}, {"seq", "bigint"},      {"at", "text"},     {"type", "text"},
                              {"entity", "text"},      {"entity_id", "bigint"}, {"actor_id", "bigint"}, {"payload", "text"}};

TEST_P(BulkTest, WritesEveryRowAsGivenAndRefusesADuplicateWhole) {
  auto db = testing::NewDatabase(GetParam());
  testing::InsertBareTenants(*db, {7});
  auto conn = std::move(db->Acquire()).value();
  const std::vector<std::string> texts = {"", "plain", "a \"quoted\" word", "back\\slash\\", "{braces}, commas",
                                          "NULL", "line\nbreak\ttab", "华东区 · 空调 8% 降价", "'single'"};
  std::vector<std::vector<Value>> rows;
  for (int i = 0; i < 4500; ++i) {  // more than one statement's 2,000 rows
    const std::string& t = texts[i % texts.size()];
    rows.push_back({int64_t{7}, int64_t{i + 1}, std::string("2026-12-08T00:00:00.000Z"), t, std::string("orders"),
                    int64_t{i} * 1000000007LL, int64_t{-i}, t + std::to_string(i)});
  }
  {
    auto tx = Transaction::Begin(*conn, true);
    ASSERT_TRUE(tx.ok());
    Status st = InsertMany(*conn, "events", kEvents, rows);
    ASSERT_TRUE(st.ok()) << st.ToString();
    ASSERT_TRUE(tx->Commit().ok());
  }
  Value p[] = {int64_t{7}};
  auto back = conn->Query("SELECT seq, type, entity_id, actor_id, payload FROM events WHERE tenant_id = ? ORDER BY seq", p);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = back->rows[i];
    ASSERT_EQ(AsInt(r[0]), static_cast<int64_t>(i + 1));
    ASSERT_EQ(AsText(r[1]), AsText(rows[i][3])) << "row " << i;
    ASSERT_EQ(AsInt(r[2]), AsInt(rows[i][5]));
    ASSERT_EQ(AsInt(r[3]), AsInt(rows[i][6]));
    ASSERT_EQ(AsText(r[4]), AsText(rows[i][7]));
  }
  // An empty string stays an empty string, not NULL.
  auto empty = conn->Query("SELECT COUNT(*) FROM events WHERE tenant_id = ? AND type = ''", p);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(AsInt(empty->rows[0][0]), 500);

  // A duplicate key anywhere in the call: nothing of it is written, and the error is a conflict.
  std::vector<std::vector<Value>> again = {rows[10], rows[20]};
  again[0][1] = int64_t{100000};
  auto tx = Transaction::Begin(*conn, true);
  ASSERT_TRUE(tx.ok());
  Status dup = InsertMany(*conn, "events", kEvents, again);
  EXPECT_EQ(dup.kind(), ErrorKind::kConflict) << dup.ToString();
  EXPECT_EQ(dup.code(), "conflict.duplicate");
}

TEST_P(BulkTest, NullsInEveryTypeAndARowOfTheWrongWidth) {
  auto db = testing::NewDatabase(GetParam());
  auto conn = std::move(db->Acquire()).value();
  ASSERT_TRUE(conn->ExecScript("CREATE TABLE bulk_probe (n BIGINT, d DOUBLE PRECISION, t TEXT)").ok());
  const BulkColumn cols[] = {{"n", "bigint"}, {"d", "double precision"}, {"t", "text"}};
  std::vector<std::vector<Value>> rows = {{Value(), Value(), Value()}, {int64_t{-5}, 0.1, std::string("x")},
                                          {int64_t{1} << 53, -1e-300, std::string("\\\"")}};
  ASSERT_TRUE(InsertMany(*conn, "bulk_probe", cols, rows).ok());
  auto back = conn->Query("SELECT n, d, t FROM bulk_probe ORDER BY n NULLS FIRST");
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->size(), 3u);
  EXPECT_TRUE(IsNull(back->rows[0][0]));
  EXPECT_TRUE(IsNull(back->rows[0][1]));
  EXPECT_TRUE(IsNull(back->rows[0][2]));
  EXPECT_EQ(AsInt(back->rows[1][0]), -5);
  EXPECT_DOUBLE_EQ(AsDouble(back->rows[1][1]), 0.1);
  EXPECT_EQ(AsInt(back->rows[2][0]), int64_t{1} << 53);
  EXPECT_DOUBLE_EQ(AsDouble(back->rows[2][1]), -1e-300);
  EXPECT_EQ(AsText(back->rows[2][2]), "\\\"");
  if (GetParam() == TestBackend::kPostgres) {
    // printf spells a sign-bit NaN "-nan", which PostgreSQL refuses: NaN and the infinities go as
    // PostgreSQL spells them.
    volatile double zero = 0.0;
    std::vector<std::vector<Value>> odd = {{int64_t{10}, -(zero / zero), std::string("nan")},
                                           {int64_t{11}, -1.0 / zero, std::string("-inf")},
                                           {int64_t{12}, 1.0 / zero, std::string("inf")}};
    Status st = InsertMany(*conn, "bulk_probe", cols, odd);
    ASSERT_TRUE(st.ok()) << st.ToString();
    auto n = conn->Query("SELECT COUNT(*) FROM bulk_probe WHERE d = 'NaN'::float8 OR d = '-Infinity'::float8 OR d = 'Infinity'::float8");
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(AsInt(n->rows[0][0]), 3);
    Value one[] = {int64_t{13}, -(zero / zero), std::string("scalar")};
    EXPECT_TRUE(conn->Exec("INSERT INTO bulk_probe (n, d, t) VALUES (?, ?, ?)", one).ok()) << "a NaN parameter";
  }
  std::vector<std::vector<Value>> narrow = {{int64_t{1}, 2.0}};
  Status st = InsertMany(*conn, "bulk_probe", cols, narrow);
  EXPECT_FALSE(st.ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, BulkTest, ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

}  // namespace
}  // namespace keel::store
