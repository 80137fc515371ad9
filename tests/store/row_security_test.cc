// Row-level security on PostgreSQL (migration 20, store::TenantScope): a transaction or a single
// statement made in a tenant's scope sees and writes only that tenant's rows, whatever its SQL
// says; the system scope (no TenantScope on the thread) sees every tenant; a session that never
// set the scope sees nothing. The tests connect as an ordinary role, as Keel must in production
// (a superuser passes through row-level security unchecked).
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "store/database.h"
#include "store/tenant_scope.h"
#include "support/test_db.h"

namespace keel::store {
namespace {

class RowSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = testing::NewDatabase(testing::TestBackend::kPostgres);
    testing::InsertBareTenants(*db_, {1, 2});
    auto conn = std::move(db_->Acquire()).value();
    for (int64_t tenant : {1, 2, 2}) {
      Value p[] = {tenant, "job" + std::to_string(++n_)};
      ASSERT_TRUE(conn->Exec("INSERT INTO job_claims (tenant_id, job, period, holder, claimed_at) VALUES (?, ?, 'p', 'h', 't')", p).ok());
    }
  }
  // Counts job_claims without any WHERE clause: only row-level security can narrow it.
  int64_t CountAll(Connection& conn) {
    auto r = conn.Query("SELECT COUNT(*) FROM job_claims");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? AsInt(r->rows[0][0]) : -1;
  }
  std::unique_ptr<Database> db_;
  int n_ = 0;
};

TEST_F(RowSecurityTest, EveryTenantTableHasTheTenantPolicyForcedAndKeelIsNoSuperuser) {
  auto conn = std::move(db_->Acquire()).value();
  auto role = conn->Query("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user");
  ASSERT_TRUE(role.ok());
  EXPECT_EQ(AsInt(role->rows[0][0]), 0) << "the tests must connect as an ordinary role, or RLS is not exercised";
  auto tables = conn->Query(
      "SELECT c.relname, c.relrowsecurity::int, c.relforcerowsecurity::int, "
      "EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'keel_tenant')::int "
      "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped "
      "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY 1");
  ASSERT_TRUE(tables.ok());
  ASSERT_GT(tables->size(), 30u);
  for (const auto& t : tables->rows) {
    EXPECT_EQ(AsInt(t[1]), 1) << AsText(t[0]) << ": row-level security is not enabled";
    EXPECT_EQ(AsInt(t[2]), 1) << AsText(t[0]) << ": row-level security is not forced for the owner";
    EXPECT_EQ(AsInt(t[3]), 1) << AsText(t[0]) << ": no keel_tenant policy";
  }
}

TEST_F(RowSecurityTest, ATenantScopeSeesOnlyItsRowsInStatementsAndTransactions) {
  auto conn = std::move(db_->Acquire()).value();
  EXPECT_EQ(CountAll(*conn), 3) << "the system scope sees every tenant";
  {
    TenantScope scope(1);
    EXPECT_EQ(CountAll(*conn), 1);
    auto tx = Transaction::Begin(*conn, true);
    ASSERT_TRUE(tx.ok());
    EXPECT_EQ(CountAll(*conn), 1);
    ASSERT_TRUE(tx->Commit().ok());
    auto ro = Transaction::Begin(*conn, false);
    ASSERT_TRUE(ro.ok());
    EXPECT_EQ(CountAll(*conn), 1);
    {
      TenantScope inner(2);  // the transaction keeps the scope it began in
      EXPECT_EQ(CountAll(*conn), 1);
    }
  }
  {
    TenantScope scope(2);
    EXPECT_EQ(CountAll(*conn), 2);
    // Another thread has its own scope: the system's.
    int64_t other = -1;
    std::thread([&] {
      auto c2 = std::move(db_->Acquire()).value();
      other = CountAll(*c2);
    }).join();
    EXPECT_EQ(other, 3);
  }
  EXPECT_EQ(CountAll(*conn), 3) << "the scope ends with its block";
}

TEST_F(RowSecurityTest, ATenantScopeCannotWriteOrChangeAnotherTenantsRows) {
  auto conn = std::move(db_->Acquire()).value();
  TenantScope scope(1);
  Value other[] = {int64_t{2}, std::string("forged")};
  auto ins = conn->Exec("INSERT INTO job_claims (tenant_id, job, period, holder, claimed_at) VALUES (?, ?, 'p', 'h', 't')", other);
  ASSERT_FALSE(ins.ok());
  EXPECT_EQ(ins.status().code(), "store.row_security") << ins.status().ToString();
  EXPECT_EQ(ins.status().kind(), ErrorKind::kForbidden);
  // An UPDATE or DELETE without a tenant clause reaches only the scope's rows.
  auto upd = conn->Exec("UPDATE job_claims SET holder = 'x'");
  ASSERT_TRUE(upd.ok());
  EXPECT_EQ(*upd, 1);
  // Moving a row to another tenant is refused as well.
  auto move = conn->Exec("UPDATE job_claims SET tenant_id = 2");
  ASSERT_FALSE(move.ok());
  EXPECT_EQ(move.status().code(), "store.row_security");
  auto del = conn->Exec("DELETE FROM job_claims");
  ASSERT_TRUE(del.ok());
  EXPECT_EQ(*del, 1);
  TenantScope system(0);
  EXPECT_EQ(CountAll(*conn), 2) << "tenant 2's rows are untouched";
}

TEST_F(RowSecurityTest, ASessionThatNeverSetTheScopeSeesNothing) {
  // What psql, or a statement run outside the store's scoping, gets: no rows, not every row.
  auto conn = std::move(db_->Acquire()).value();
  ASSERT_TRUE(conn->ExecScript("CREATE TEMP TABLE seen AS SELECT COUNT(*) AS n FROM job_claims").ok());
  auto r = conn->Query("SELECT n FROM seen");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(AsInt(r->rows[0][0]), 0);
}

}  // namespace
}  // namespace keel::store
