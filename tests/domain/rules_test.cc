// Domain rules: stage moves, lead flow and conversion, unit paths, targets, tasks.
#include <gtest/gtest.h>

#include "domain/records.h"
#include "events/event_log.h"
#include "support/org.h"
#include "support/test_db.h"

namespace keel::domain {
namespace {

class RulesTest : public ::testing::Test, protected testing::DomainFixtureBase {
 protected:
  RulesTest() : DomainFixtureBase(testing::TestBackend::kSqlite) {}
  void SetUp() override {
    customer_ = testing::MustCreate(*rs_, As("rep_a1"), "customers", {{"code", "C"}, {"name", "c"}, {"kind", "b2b"}});
  }
  const EntityDef& E(const std::string& n) { return *FindEntity(n); }
  const Principal& As(const std::string& u) { return org_.as.at(u); }
  int64_t Deal(const std::string& stage = "prospecting") {
    return testing::MustCreate(*rs_, As("rep_a1"), "opportunities",
                               {{"name", "d"}, {"customer_id", customer_}, {"amount", 50000}, {"stage", stage}});
  }
  int64_t customer_ = 0;
};

// Data-driven stage moves: from → to → accepted?
struct Move {
  const char* from;
  const char* to;
  bool ok;
};
const Move kMoves[] = {
    {"prospecting", "qualification", true}, {"prospecting", "negotiation", true},
    {"proposal", "qualification", true},    {"proposal", "prospecting", false},
    {"negotiation", "won", true},           {"proposal", "won", true},
    {"qualification", "won", false},        {"prospecting", "won", false},
    {"qualification", "lost", true},        {"negotiation", "proposal", true},
};

TEST_F(RulesTest, StageMovesFollowTheRules) {
  for (const Move& m : kMoves) {
    int64_t id = Deal(m.from);
    json patch = {{"stage", m.to}};
    if (std::string(m.to) == "lost") patch["loss_reason"] = "价格过高";
    auto r = rs_->Update(As("rep_a1"), E("opportunities"), id, patch);
    EXPECT_EQ(r.ok(), m.ok) << m.from << " → " << m.to << ": " << r.status().ToString();
    if (!m.ok) {
      EXPECT_EQ(r.status().code(), "opportunity.illegal_stage_move");
      EXPECT_EQ(HttpStatusOf(r.status().kind()), 409);
    }
  }
}

TEST_F(RulesTest, ClosingSetsOutcomeHistoryAndIsFinal) {
  int64_t id = Deal();
  ASSERT_TRUE(rs_->Update(As("rep_a1"), E("opportunities"), id, {{"stage", "proposal"}}).ok());
  auto lost = rs_->Update(As("rep_a1"), E("opportunities"), id, {{"stage", "lost"}});
  EXPECT_EQ(lost.status().code(), "validation.required");
  EXPECT_EQ(lost.status().field(), "loss_reason");
  clock_.Advance(3600000);
  auto won = rs_->Update(As("rep_a1"), E("opportunities"), id, {{"stage", "won"}});
  ASSERT_TRUE(won.ok()) << won.status().ToString();
  EXPECT_EQ((*won)["outcome"], "won");
  EXPECT_EQ((*won)["closed_at"], "2026-11-27T03:00:00.000Z");
  EXPECT_EQ(rs_->Update(As("rep_a1"), E("opportunities"), id, {{"amount", 1}}).status().code(),
            "opportunity.closed");
  auto h = rs_->StageHistory(As("rep_a1"), id);
  ASSERT_TRUE(h.ok());
  ASSERT_EQ((*h)["items"].size(), 3u);
  EXPECT_TRUE((*h)["items"][0]["from_stage"].is_null());
  EXPECT_EQ((*h)["items"][2]["to_stage"], "won");
  EXPECT_EQ(rs_->StageHistory(As("rep_b"), id).status().kind(), ErrorKind::kNotFound);
  auto c = std::move(db_->Acquire()).value();
  auto evs = events::Read(*c, org_.tenant, {.after_seq = 0, .limit = 1000, .type_prefix = "opportunity.stage"});
  ASSERT_EQ(evs->size(), 2u);
  EXPECT_NE((*evs)[1].payload.find("\"to\":\"won\""), std::string::npos);
}

TEST_F(RulesTest, LeadFlowAndConversion) {
  int64_t lead = testing::MustCreate(*rs_, As("rep_a1"), "leads",
                                     {{"title", "酒店空调改造"}, {"company", "上海华庭酒店"},
                                      {"contact_name", "刘经理"}, {"phone", "13800000000"},
                                      {"source", "exhibition"}, {"channel", "offline"}});
  // Converting a new lead is refused; an activity on it is the first response.
  EXPECT_EQ(rs_->ConvertLead(As("rep_a1"), lead, json::object()).status().code(), "lead.not_convertible");
  clock_.Advance(1800000);
  testing::MustCreate(*rs_, As("rep_a1"), "activities",
                      {{"kind", "call"}, {"occurred_at", "2026-11-27T02:30:00Z"}, {"lead_id", lead},
                       {"outcome", "connected"}});
  auto l = rs_->Get(As("rep_a1"), E("leads"), lead);
  EXPECT_EQ((*l)["status"], "working");
  EXPECT_EQ((*l)["first_response_at"], "2026-11-27T02:30:00.000Z");
  EXPECT_EQ(rs_->Update(As("rep_a1"), E("leads"), lead, {{"status", "new"}}).status().code(), "lead.illegal_status");
  EXPECT_EQ(rs_->Update(As("rep_a1"), E("leads"), lead, {{"status", "converted"}}).status().code(), "lead.use_convert");
  ASSERT_TRUE(rs_->Update(As("rep_a1"), E("leads"), lead, {{"status", "qualified"}}).ok());
  auto conv = rs_->ConvertLead(As("rep_a1"), lead, {{"opportunity", {{"amount", 380000}, {"expected_close", "2027-01-15"}}}});
  ASSERT_TRUE(conv.ok()) << conv.status().ToString();
  EXPECT_EQ((*conv)["lead"]["status"], "converted");
  int64_t cust = (*conv)["customer_id"];
  auto customer = rs_->Get(As("rep_a1"), E("customers"), cust);
  EXPECT_EQ((*customer)["name"], "上海华庭酒店");
  EXPECT_EQ((*customer)["kind"], "b2b");
  EXPECT_EQ((*conv)["opportunity"]["lead_id"], lead);
  EXPECT_EQ((*conv)["opportunity"]["amount"], 380000.0);
  auto contacts = rs_->List(As("rep_a1"), E("contacts"), {{"customer_id", std::to_string(cust)}});
  ASSERT_EQ(contacts->items.size(), 1u);
  EXPECT_EQ(contacts->items[0]["name"], "刘经理");
  EXPECT_EQ(rs_->ConvertLead(As("rep_a1"), lead, json::object()).status().code(), "lead.not_convertible");
  // A failing conversion writes nothing (customer code clash).
  int64_t lead2 = testing::MustCreate(*rs_, As("rep_a1"), "leads",
                                      {{"title", "t2"}, {"source", "website"}, {"channel", "online"}, {"status", "working"}});
  int64_t customers_before = rs_->List(As("admin"), E("customers"), {{"limit", "500"}})->items.size();
  auto clash = rs_->ConvertLead(As("rep_a1"), lead2, {{"customer", {{"code", "C"}}}});
  EXPECT_EQ(clash.status().code(), "conflict.duplicate");
  EXPECT_EQ(clash.status().field(), "customer.code");
  EXPECT_EQ(rs_->List(As("admin"), E("customers"), {{"limit", "500"}})->items.size(), customers_before);
  EXPECT_EQ((*rs_->Get(As("rep_a1"), E("leads"), lead2))["status"], "working");
}

TEST_F(RulesTest, UnitTreePathsMoveWithTheirSubtree) {
  auto sys = Principal::System(org_.tenant);
  auto moved = rs_->Update(sys, E("units"), org_.unit_a, {{"parent_id", org_.unit_b}});
  EXPECT_EQ(moved.status().code(), "unit.hierarchy");  // a unit must sit under a higher level
  int64_t region2 = testing::MustCreate(*rs_, sys, "units", {{"code", "R2"}, {"name", "华南"}, {"kind", "region"}, {"parent_id", org_.hq}});
  ASSERT_TRUE(rs_->Update(sys, E("units"), org_.unit_a, {{"parent_id", region2}}).ok());
  auto store = rs_->Get(sys, E("units"), org_.store_unit_a);
  std::string expect = "/" + std::to_string(org_.hq) + "/" + std::to_string(region2) + "/" +
                       std::to_string(org_.unit_a) + "/" + std::to_string(org_.store_unit_a) + "/";
  EXPECT_EQ((*store)["path"], expect);
  EXPECT_EQ(rs_->Create(sys, E("units"), {{"code", "HQ2"}, {"name", "x"}, {"kind", "hq"}}).status().code(),
            "unit.second_hq");
  EXPECT_EQ(rs_->Archive(sys, E("units"), org_.unit_a).status().code(), "unit.not_empty");
  int64_t empty = testing::MustCreate(*rs_, sys, "units", {{"code", "EMPTY"}, {"name", "空单元"}, {"kind", "unit"}, {"parent_id", region2}});
  EXPECT_TRUE(rs_->Archive(sys, E("units"), empty).ok());
}

TEST_F(RulesTest, TargetsParsePeriodsAndRefuseDuplicates) {
  auto t = rs_->Create(As("lead_a"), E("targets"), {{"unit_id", org_.unit_a}, {"metric", "revenue"}, {"period", "2026-Q3"}, {"value", 1.2e6}});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ((*t)["period_start"], "2026-07-01");
  EXPECT_EQ((*t)["period_end"], "2026-09-30");
  auto m = rs_->Create(As("lead_a"), E("targets"), {{"unit_id", org_.unit_a}, {"user_id", org_.users["rep_a1"]}, {"metric", "visits"}, {"period", "2026-02"}, {"value", 40}});
  EXPECT_EQ((*m)["period_end"], "2026-02-28");
  EXPECT_EQ(rs_->Create(As("lead_a"), E("targets"), {{"unit_id", org_.unit_a}, {"metric", "revenue"}, {"period", "2026-Q3"}, {"value", 1}}).status().code(), "conflict.duplicate");
  EXPECT_EQ(rs_->Create(As("lead_a"), E("targets"), {{"unit_id", org_.unit_a}, {"user_id", org_.users["rep_b"]}, {"metric", "visits"}, {"period", "2026-02"}, {"value", 1}}).status().code(), "target.user_outside_unit");
  EXPECT_EQ(rs_->Create(As("lead_a"), E("targets"), {{"unit_id", org_.unit_b}, {"metric", "revenue"}, {"period", "2026"}, {"value", 1}}).status().kind(), ErrorKind::kForbidden);
  EXPECT_EQ(rs_->Create(As("rep_a1"), E("targets"), {{"unit_id", org_.unit_a}, {"metric", "revenue"}, {"period", "2027"}, {"value", 1}}).status().kind(), ErrorKind::kForbidden);
}

TEST_F(RulesTest, TasksAndOrdersStatus) {
  int64_t task = testing::MustCreate(*rs_, As("rep_a1"), "tasks", {{"title", "回访华庭酒店"}, {"due_at", "2026-11-28T10:00:00+08:00"}, {"priority", "high"}});
  auto done = rs_->Update(As("rep_a1"), E("tasks"), task, {{"status", "done"}});
  EXPECT_FALSE((*done)["completed_at"].is_null());
  auto reopened = rs_->Update(As("rep_a1"), E("tasks"), task, {{"status", "open"}});
  EXPECT_TRUE((*reopened)["completed_at"].is_null());
  int64_t order = testing::MustCreate(*rs_, As("rep_a1"), "orders",
      {{"code", "O-1"}, {"channel", "store"}, {"store_id", org_.store_a}, {"ordered_at", "2026-11-27T10:00:00+08:00"},
       {"lines", {{{"product_id", org_.product}, {"qty", 1}, {"unit_price", 3299}}}}});
  EXPECT_EQ(rs_->Update(As("rep_a1"), E("orders"), order, {{"status", "refunded"}}).status().code(), "forbidden");  // reps don't refund
  ASSERT_TRUE(rs_->Update(As("sup_a"), E("orders"), order, {{"status", "refunded"}}).ok());
  EXPECT_EQ(rs_->Update(As("sup_a"), E("orders"), order, {{"status", "paid"}}).status().code(), "order.status");
  EXPECT_EQ(rs_->Update(As("rep_a1"), E("orders"), order, {{"lines", json::array()}}).status().code(), "validation.read_only");
  EXPECT_EQ(rs_->Update(As("rep_a1"), E("orders"), order, {{"code", "O-2"}}).status().code(), "validation.read_only");
}

}  // namespace
}  // namespace keel::domain
