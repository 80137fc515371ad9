// The moving demo: ticks at a chosen local hour feed orders and activities through ingestion
// and move deals, all inside the simulated tenant.
#include "demo/live.h"

#include <gtest/gtest.h>

#include "support/org.h"
#include "support/test_db.h"

namespace keel::demo {
namespace {

TEST(LiveSimulatorTest, TicksFeedSalesVisitsAndDealMovesIntoTheTenant) {
  auto db = testing::NewDatabase(testing::TestBackend::kSqlite);
  ManualClock clock(MsFromCivil(2026, 11, 27, 3, 0, 0));  // 11:00 in Shanghai: stores and offices open
  domain::RecordService rs(*db, clock);
  domain::AuthService auth(*db, clock, rs);
  testing::Org acme = testing::BuildOrg(rs, auth, "acme");
  testing::Org rival = testing::BuildOrg(rs, auth, "rival");
  auto customer = testing::MustCreate(rs, acme.as.at("rep_a1"), "customers", {{"code", "C1"}, {"name", "华庭酒店"}, {"kind", "b2b"}});
  auto opp = testing::MustCreate(rs, acme.as.at("rep_a1"), "opportunities", {{"name", "华庭酒店空调"}, {"customer_id", customer}, {"amount", 50000}});
  ingest::Ingestor ingest(*db, rs, clock);
  ingest.Start();
  LiveOptions opt;
  opt.tenant_code = "acme";
  opt.tick_ms = 60000;
  opt.run_thread = false;
  opt.stage_moves_per_minute = 1;
  LiveSimulator sim(*db, rs, ingest, clock, opt);
  ASSERT_TRUE(sim.Start().ok());
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(sim.Tick().ok());
    clock.Advance(60000);
  }
  EXPECT_GT(sim.facts_sent(), 100);
  auto conn = std::move(db->Acquire()).value();
  auto count = [&](const std::string& sql, int64_t tenant) {
    store::Value t[] = {tenant};
    return store::AsInt((*conn).Query(sql, t)->rows[0][0]);
  };
  EXPECT_GT(count("SELECT COUNT(*) FROM orders WHERE tenant_id = ?", acme.tenant), 50);
  EXPECT_GT(count("SELECT COUNT(*) FROM activities WHERE tenant_id = ? AND kind = 'visit' AND duration_min >= 5", acme.tenant), 5);
  EXPECT_EQ(count("SELECT COUNT(*) FROM orders WHERE tenant_id = ?", rival.tenant), 0);
  // Every order has a rep of the tenant as its owner.
  EXPECT_EQ(count("SELECT COUNT(*) FROM orders o WHERE o.tenant_id = ? AND NOT EXISTS (SELECT 1 FROM users u WHERE "
                  "u.tenant_id = o.tenant_id AND u.id = o.owner_id AND u.role = 'rep')", acme.tenant), 0);
  EXPECT_GT(count("SELECT COUNT(*) FROM opportunity_stage_history WHERE tenant_id = ?", acme.tenant), 1);
  // Outside signals about the customer with an open deal (ten office-hour minutes at 0.2 a minute ≈ 1–2).
  EXPECT_GE(count("SELECT COUNT(*) FROM signals WHERE tenant_id = ? AND customer_id IS NOT NULL", acme.tenant), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM signals WHERE tenant_id = ?", rival.tenant), 0);
  (void)opp;
  ingest.Stop();
}

TEST(LiveSimulatorTest, AnUnknownTenantIsRefused) {
  auto db = testing::NewDatabase(testing::TestBackend::kSqlite);
  ManualClock clock(MsFromCivil(2026, 11, 27, 3, 0, 0));
  domain::RecordService rs(*db, clock);
  ingest::Ingestor ingest(*db, rs, clock);
  LiveOptions opt;
  opt.tenant_code = "nope";
  LiveSimulator sim(*db, rs, ingest, clock, opt);
  EXPECT_EQ(sim.Start().kind(), ErrorKind::kNotFound);
}

}  // namespace
}  // namespace keel::demo
