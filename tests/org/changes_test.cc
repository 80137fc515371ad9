// Workflows that start by themselves: a trigger on named fields of a record (and nothing else,
// not the engine's own updates), budget transfers executed within a unit's boundary or after HQ's
// approval (only while the money is unspent), and price changes applied on their effective day.
#include <gtest/gtest.h>

#include "org/commerce/commerce.h"
#include "org/workflow/approvals.h"
#include "org/budgets.h"
#include "org/changes.h"
#include "org/governance.h"
#include "support/org.h"

namespace keel::org {
namespace {

using testing::MustCreate;
using testing::TestBackend;

class ChangesTest : public ::testing::TestWithParam<TestBackend>, protected testing::DomainFixtureBase {
 protected:
  ChangesTest()
      : DomainFixtureBase(GetParam()),
        approvals_(*db_, *rs_, clock_),
        commerce_(*db_, *rs_, approvals_, clock_),
        budgets_(*db_, clock_),
        governance_(*db_, clock_),
        changes_(*db_, *rs_, approvals_, budgets_, clock_) {
    changes_.SetGovernance(&governance_);
    commerce_.SetGovernance(&governance_);
  }
  const domain::Principal& As(const std::string& u) { return org_.as[u]; }
  const domain::EntityDef& Entity(const char* name) { return *domain::FindEntity(name); }
  // Requests on a record, newest first.
  json Requests(const std::string& object, int64_t record) {
    auto conn = std::move(db_->Acquire()).value();
    store::Value q[] = {org_.tenant, object, record};
    auto r = conn->Query("SELECT id, status, def_name FROM approval_requests WHERE tenant_id = ? AND object = ? AND record_id = ? ORDER BY id DESC", q).value();
    json out = json::array();
    for (const auto& row : r.rows) out.push_back({{"id", store::AsInt(row[0])}, {"status", store::AsText(row[1])}, {"definition", store::AsText(row[2])}});
    return out;
  }
  double Amount(int64_t budget) { return static_cast<double>(budgets_.Get(As("admin"), budget).value().amount_fen) / 100; }

  ApprovalEngine approvals_;
  Commerce commerce_;
  BudgetService budgets_;
  Governance governance_;
  ChangeRequests changes_;
};

TEST_P(ChangesTest, AWorkflowStartsWhenANamedFieldChangesAndOnlyThen) {
  auto def = approvals_.SaveDefinition(As("admin"), {{"name", "deep_discount"}, {"object", "opportunities"},
                                                     {"trigger", {{"on", {"update"}}, {"fields", {"discount_pct"}}}},
                                                     {"entry", "discount_pct > 15"},
                                                     {"steps", {{{"name", "lead"}, {"approvers", {{"unit_lead", true}}}}}}});
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  EXPECT_EQ(approvals_.SaveDefinition(As("admin"), {{"name", "x"}, {"object", "opportunities"}, {"trigger", {{"on", {"update"}}}},
                                                    {"steps", {{{"name", "lead"}, {"approvers", {{"unit_lead", true}}}}}}})
                .status().field(), "trigger.fields");
  EXPECT_EQ(approvals_.SaveDefinition(As("admin"), {{"name", "x"}, {"object", "opportunities"}, {"trigger", {{"on", {"update"}}, {"fields", {"nope"}}}},
                                                    {"steps", {{{"name", "lead"}, {"approvers", {{"unit_lead", true}}}}}}})
                .status().field(), "trigger.fields[0]");
  int64_t customer = MustCreate(*rs_, As("rep_a1"), "customers", {{"code", "C-T"}, {"name", "华东酒店集团"}, {"kind", "b2b"}});
  int64_t deal = MustCreate(*rs_, As("rep_a1"), "opportunities", {{"name", "客房空调", }, {"customer_id", customer}, {"amount", 300000}});
  EXPECT_TRUE(Requests("opportunities", deal).empty());  // created: the trigger listens to updates only
  ASSERT_TRUE(rs_->Update(As("rep_a1"), Entity("opportunities"), deal, {{"discount_pct", 10}}).ok());
  EXPECT_TRUE(Requests("opportunities", deal).empty());  // the entry condition does not hold
  ASSERT_TRUE(rs_->Update(As("rep_a1"), Entity("opportunities"), deal, {{"discount_pct", 18}}).ok());
  json reqs = Requests("opportunities", deal);
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0]["status"], "pending");
  EXPECT_EQ(reqs[0]["definition"], "deep_discount");
  // Another field, or the same value again, starts nothing; neither does a system write.
  ASSERT_TRUE(rs_->Update(As("rep_a1"), Entity("opportunities"), deal, {{"name", "客房空调二期"}}).ok());
  ASSERT_TRUE(rs_->Update(domain::Principal::System(org_.tenant), Entity("opportunities"), deal, {{"discount_pct", 19}}).ok());
  EXPECT_EQ(Requests("opportunities", deal).size(), 1u);
  // Decided: a new change of the field starts a new request.
  ASSERT_TRUE(approvals_.Act(As("lead_a"), reqs[0]["id"], "approve", {}).ok());
  ASSERT_TRUE(rs_->Update(As("rep_a1"), Entity("opportunities"), deal, {{"discount_pct", 22}}).ok());
  reqs = Requests("opportunities", deal);
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0]["status"], "pending");
  EXPECT_EQ(reqs[1]["status"], "approved");
}

TEST_P(ChangesTest, BudgetTransfersRunWithinTheBoundaryOrAfterHqAndOnlyWithUnspentMoney) {
  int64_t mkt = budgets_.Set(As("admin"), {.unit_id = org_.unit_a, .category = "marketing", .period = "2026-Q4", .amount = 10000}).value().id;
  int64_t travel = budgets_.Set(As("admin"), {.unit_id = org_.unit_a, .category = "travel", .period = "2026-Q4", .amount = 1000}).value().id;
  int64_t b_mkt = budgets_.Set(As("admin"), {.unit_id = org_.unit_b, .category = "marketing", .period = "2026-Q4", .amount = 8000}).value().id;
  int64_t b_travel = budgets_.Set(As("admin"), {.unit_id = org_.unit_b, .category = "travel", .period = "2026-Q4", .amount = 500}).value().id;
  BoundaryListChange boundaries;
  boundaries.entries = {{.action = "budget_transfer", .mode = "alone", .limit = 5000}};
  ASSERT_TRUE(governance_.SetBoundaries(As("admin"), org_.unit_a, boundaries).ok());
  // Within unit A's boundary: executed as it is created.
  json t1 = rs_->Create(As("lead_a"), Entity("budget_transfers"), {{"from_budget_id", mkt}, {"to_budget_id", travel}, {"amount", 3000},
                                                                   {"reason", "旺季出差增加"}}).value();
  json got = rs_->Get(As("lead_a"), Entity("budget_transfers"), t1["id"]).value();
  EXPECT_EQ(got["status"], "executed");
  EXPECT_FALSE(got["executed_at"].is_null());
  EXPECT_DOUBLE_EQ(Amount(mkt), 7000);
  EXPECT_DOUBLE_EQ(Amount(travel), 4000);
  auto entries = *budgets_.Get(As("admin"), travel).value().entries;
  EXPECT_EQ(entries.back().kind, "transfer_in");
  EXPECT_EQ(entries.back().source_id, t1["id"].get<int64_t>());
  // Checked at creation: someone else's budget, more than is unspent, the same budget twice.
  EXPECT_EQ(rs_->Create(As("lead_a"), Entity("budget_transfers"), {{"from_budget_id", b_mkt}, {"to_budget_id", travel}, {"amount", 10},
                                                                    {"reason", "x"}}).status().field(), "from_budget_id");
  EXPECT_EQ(rs_->Create(As("lead_a"), Entity("budget_transfers"), {{"from_budget_id", mkt}, {"to_budget_id", travel}, {"amount", 9000},
                                                                    {"reason", "x"}}).status().code(), "budget.exceeded");
  EXPECT_EQ(rs_->Create(As("lead_a"), Entity("budget_transfers"), {{"from_budget_id", mkt}, {"to_budget_id", mkt}, {"amount", 1},
                                                                    {"reason", "x"}}).status().field(), "to_budget_id");
  EXPECT_EQ(rs_->Create(As("rep_a1"), Entity("budget_transfers"), {{"from_budget_id", mkt}, {"to_budget_id", travel}, {"amount", 1},
                                                                   {"reason", "x"}}).status().code(), "forbidden");
  // Unit B has no boundary: HQ approves, then the money moves.
  json t2 = rs_->Create(As("lead_b"), Entity("budget_transfers"), {{"from_budget_id", b_mkt}, {"to_budget_id", b_travel}, {"amount", 2000},
                                                                   {"reason", "展会差旅"}}).value();
  json reqs = Requests("budget_transfers", t2["id"]);
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(rs_->Get(As("lead_b"), Entity("budget_transfers"), t2["id"]).value()["status"], "pending_approval");
  EXPECT_DOUBLE_EQ(Amount(b_mkt), 8000);
  EXPECT_EQ(rs_->Update(As("lead_b"), Entity("budget_transfers"), t2["id"], {{"status", "executed"}}).status().code(), "change.status");
  ASSERT_TRUE(approvals_.Act(As("ops"), reqs[0]["id"], "approve", {}).ok());
  EXPECT_EQ(rs_->Get(As("lead_b"), Entity("budget_transfers"), t2["id"]).value()["status"], "executed");
  EXPECT_DOUBLE_EQ(Amount(b_mkt), 6000);
  EXPECT_DOUBLE_EQ(Amount(b_travel), 2500);
  // Approved after the money was spent meanwhile: the transfer fails and nothing moves.
  json t3 = rs_->Create(As("lead_b"), Entity("budget_transfers"), {{"from_budget_id", b_mkt}, {"to_budget_id", b_travel}, {"amount", 5000},
                                                                   {"reason", "再调剂"}}).value();
  const int64_t fair = testing::MustCreate(*rs_, As("ops"), "promotions",
                                           {{"code", "PR-FAIR"}, {"name", "家电博览会"}, {"kind", "discount"}, {"discount_pct", 3},
                                            {"starts_at", "2026-11-01T00:00:00+08:00"}, {"ends_at", "2026-11-30T23:59:59+08:00"}});
  ASSERT_TRUE(budgets_.Spend(As("lead_b"), b_mkt, {.amount = 4000, .source_object = "promotions", .source_id = fair}).ok());
  ASSERT_TRUE(approvals_.Act(As("ops"), Requests("budget_transfers", t3["id"])[0]["id"], "approve", {}).ok());
  EXPECT_EQ(rs_->Get(As("lead_b"), Entity("budget_transfers"), t3["id"]).value()["status"], "failed");
  EXPECT_DOUBLE_EQ(Amount(b_mkt), 6000);
  EXPECT_DOUBLE_EQ(Amount(b_travel), 2500);
}

TEST_P(ChangesTest, PriceChangesAreApprovedThenAppliedOnTheirDay) {
  const auto& products = Entity("products");
  // 3299 → 3499 today (+6.06 %): HQ sales ops approve and the price changes at once.
  json pc = rs_->Create(As("lead_a"), Entity("price_changes"), {{"product_id", org_.product}, {"new_price", 3499}, {"effective_date", "2026-11-27"},
                                                                {"reason", "铜价上涨"}}).value();
  EXPECT_DOUBLE_EQ(pc["change_pct"].get<double>(), 6.06);
  EXPECT_DOUBLE_EQ(pc["old_price"].get<double>(), 3299);
  json reqs = Requests("price_changes", pc["id"]);
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0]["definition"], "price_change");
  ASSERT_TRUE(approvals_.Act(As("ops"), reqs[0]["id"], "approve", {}).ok());
  EXPECT_EQ(rs_->Get(As("lead_a"), Entity("price_changes"), pc["id"]).value()["status"], "applied");
  EXPECT_DOUBLE_EQ(rs_->Get(As("admin"), products, org_.product).value()["price"].get<double>(), 3499);
  // −20 % from 1 December: HQ, then the admin; applied when the day comes.
  json cut = rs_->Create(As("lead_a"), Entity("price_changes"), {{"product_id", org_.product}, {"new_price", 2799.2}, {"effective_date", "2026-12-01"},
                                                                 {"reason", "双十二清库存"}}).value();
  int64_t rid = Requests("price_changes", cut["id"])[0]["id"];
  auto step = approvals_.Act(As("ops"), rid, "approve", {});
  ASSERT_TRUE(step.ok());
  EXPECT_EQ(step->status, "pending");  // on to the admin
  ASSERT_TRUE(approvals_.Act(As("admin"), rid, "approve", {}).ok());
  EXPECT_EQ(rs_->Get(As("lead_a"), Entity("price_changes"), cut["id"]).value()["status"], "approved");
  EXPECT_EQ(changes_.ApplyDuePrices(org_.tenant).value(), 0);
  EXPECT_DOUBLE_EQ(rs_->Get(As("admin"), products, org_.product).value()["price"].get<double>(), 3499);
  clock_.Advance(4LL * 86400000);  // 2026-12-01 10:00 in Shanghai
  EXPECT_EQ(changes_.ApplyDuePrices(org_.tenant).value(), 1);
  EXPECT_DOUBLE_EQ(rs_->Get(As("admin"), products, org_.product).value()["price"].get<double>(), 2799.2);
  // Approved against a price that has changed by the day it takes effect: it fails, nothing moves.
  json stale = rs_->Create(As("lead_a"), Entity("price_changes"), {{"product_id", org_.product}, {"new_price", 2899}, {"effective_date", "2026-12-05"},
                                                                   {"reason", "元旦促销"}}).value();
  ASSERT_TRUE(approvals_.Act(As("ops"), Requests("price_changes", stale["id"])[0]["id"], "approve", {}).ok());
  ASSERT_TRUE(rs_->Update(As("admin"), products, org_.product, {{"price", 2999}}).ok());
  clock_.Advance(4LL * 86400000);
  EXPECT_EQ(changes_.ApplyDuePrices(org_.tenant).value(), 0);
  EXPECT_EQ(rs_->Get(As("lead_a"), Entity("price_changes"), stale["id"]).value()["status"], "failed");
  EXPECT_DOUBLE_EQ(rs_->Get(As("admin"), products, org_.product).value()["price"].get<double>(), 2999);
  // Requests are created as drafts by unit leads and HQ only, and not to the current price.
  EXPECT_EQ(rs_->Create(As("rep_a1"), Entity("price_changes"), {{"product_id", org_.product}, {"new_price", 1}, {"effective_date", "2026-12-01"},
                                                                {"reason", "x"}}).status().code(), "forbidden");
  EXPECT_EQ(rs_->Create(As("lead_a"), Entity("price_changes"), {{"product_id", org_.product}, {"new_price", 2999}, {"effective_date", "2026-12-31"},
                                                                {"reason", "x"}}).status().code(), "price_change.same");
}

TEST_P(ChangesTest, SigningAContractRunsTheComplianceCheckpointsFirst) {
  ASSERT_TRUE(governance_.SaveCheckpoint(As("admin"), {.name = "大额合同", .object = "contracts", .on = "sign", .when = "amount > 100000",
                                                       .action = "block", .message_zh = "大额合同须负责人确认", .message_en = "Large contracts need a lead"}).ok());
  int64_t customer = MustCreate(*rs_, As("rep_a1"), "customers", {{"code", "C-K"}, {"name", "华东地产"}, {"kind", "b2b"}});
  int64_t k = MustCreate(*rs_, As("rep_a1"), "contracts", {{"code", "K-1"}, {"name", "精装房空调配套"}, {"customer_id", customer}, {"amount", 200000},
                                                           {"start_date", "2026-12-01"}, {"end_date", "2027-11-30"}});
  auto r = approvals_.Submit(As("rep_a1"), {.object = "contracts", .record_id = k});
  ASSERT_TRUE(r.ok() && r->request) << r.status().ToString();
  ASSERT_TRUE(approvals_.Act(As("lead_a"), r->request->id, "approve", {}).ok());
  // Not through the record API; the checkpoint blocks the rep; the lead overrides it with a reason.
  EXPECT_EQ(rs_->Update(As("rep_a1"), Entity("contracts"), k, {{"status", "signed"}, {"legal_reviewed", true}}).status().code(), "contract.sign");
  EXPECT_EQ(commerce_.SignContract(As("rep_a1"), k, {.legal_reviewed = true}).status().code(), "compliance.blocked");
  EXPECT_EQ(rs_->Get(As("rep_a1"), Entity("contracts"), k).value()["status"], "approved");
  auto done = commerce_.SignContract(As("lead_a"), k, {.legal_reviewed = true, .override_reason = "客户为战略合作伙伴，已口头确认"});
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->contract["status"], "signed");
  EXPECT_EQ(done->compliance["overrides"].size(), 1u) << done->compliance.dump();
  std::vector<ComplianceEvent> events = governance_.ComplianceEvents(As("admin"), {}).value().items;
  bool overridden = false;
  for (const auto& e : events) overridden = overridden || (e.record_id == k && e.outcome == "overridden");
  EXPECT_TRUE(overridden) << events.size() << " events";
}

TEST_P(ChangesTest, AnApprovedQuoteBecomesAnOrderOnce) {
  int64_t customer = MustCreate(*rs_, As("rep_a1"), "customers", {{"code", "C-Q"}, {"name", "华东酒店集团"}, {"kind", "b2b"}});
  int64_t quote = MustCreate(*rs_, As("rep_a1"), "quotes", {{"code", "Q-ORD"}, {"customer_id", customer},
                                                            {"lines", {{{"product_id", org_.product}, {"qty", 3}, {"unit_price", 3299}, {"discount_pct", 4.5}}}}});
  EXPECT_EQ(commerce_.OrderFromQuote(As("rep_a1"), quote, {}).status().code(), "quote.status");  // a draft
  auto sent = commerce_.SubmitQuote(As("rep_a1"), quote, {});  // 4.5 %: within the 5 % default
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  auto made = commerce_.OrderFromQuote(As("rep_a1"), quote, {});
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  // 3 × 3299 = 9897 at list; 4.5 % off in basis points: 9451.64 (half a fen up) — the quote's total.
  EXPECT_DOUBLE_EQ(made->order["total"].get<double>(), made->quote["total"].get<double>());
  EXPECT_DOUBLE_EQ(made->order["total"].get<double>(), 9451.64);
  EXPECT_DOUBLE_EQ(made->order["discount_total"].get<double>(), 445.36);
  EXPECT_EQ(made->order["code"], "SO-Q-ORD");
  EXPECT_EQ(made->order["owner_id"], org_.users["rep_a1"]);
  EXPECT_EQ(made->quote["status"], "accepted");
  EXPECT_EQ(made->quote["order_id"], made->order["id"]);
  EXPECT_EQ(commerce_.OrderFromQuote(As("rep_a1"), quote, {}).status().code(), "quote.ordered");
  EXPECT_EQ(commerce_.OrderFromQuote(As("rep_b"), quote, {}).status().code(), "not_found");
}

INSTANTIATE_TEST_SUITE_P(Backends, ChangesTest, ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

}  // namespace
}  // namespace keel::org
