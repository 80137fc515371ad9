// The approval engine on both backends with an injected clock: timeouts and escalation,
// delegation that ends by itself, quorum, and races — two approvers at once, a recall racing an
// approval — each ending in exactly one state.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "alerts/engine.h"
#include "metrics/engine.h"
#include "org/commerce/commerce.h"
#include "org/workflow/approvals.h"
#include "org/workflow/json.h"
#include "org/budgets.h"
#include "org/money_json.h"
#include "support/org.h"

namespace keel::org {
namespace {

using testing::MustCreate;
using testing::TestBackend;

class ApprovalsTest : public ::testing::TestWithParam<TestBackend>, protected testing::DomainFixtureBase {
 protected:
  ApprovalsTest() : DomainFixtureBase(GetParam()), engine_(*db_, *rs_, clock_), commerce_(*db_, *rs_, engine_, clock_) {}
  const domain::Principal& As(const std::string& u) { return org_.as[u]; }
  int64_t Quote(const std::string& rep, const std::string& code, double discount) {
    int64_t customer = MustCreate(*rs_, As(rep), "customers", {{"code", "C-" + code}, {"name", code}, {"kind", "b2b"}});
    return MustCreate(*rs_, As(rep), "quotes",
                      {{"code", code}, {"customer_id", customer},
                       {"lines", {{{"product_id", org_.product}, {"qty", 10}, {"unit_price", 3299}, {"discount_pct", discount}}}}});
  }
  // A deal to approve with a workflow of the test's own (quotes always use quote_discount).
  int64_t Deal(const std::string& rep, const std::string& code) {
    int64_t customer = MustCreate(*rs_, As(rep), "customers", {{"code", "D-" + code}, {"name", code}, {"kind", "b2b"}});
    return MustCreate(*rs_, As(rep), "opportunities", {{"name", code}, {"customer_id", customer}, {"amount", 200000}});
  }
  // The approval request a quote beyond authority starts (0: none).
  int64_t Submit(const std::string& rep, int64_t quote) {
    auto r = commerce_.SubmitQuote(As(rep), quote, {});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && r->approval && r->approval->request ? r->approval->request->id : 0;
  }
  static ApprovalAction Said(const std::string& comment) {
    ApprovalAction a;
    a.comment = comment;
    return a;
  }
  ApprovalEngine engine_;
  Commerce commerce_;
};

TEST_P(ApprovalsTest, AnOverdueStepEscalatesToHq) {
  int64_t q = Quote("rep_a1", "Q-T1", 10);
  int64_t id = Submit("rep_a1", q);
  EXPECT_EQ(engine_.Tick(org_.tenant).value(), 0);  // not due yet
  clock_.Advance(47LL * 3600000);
  EXPECT_EQ(engine_.Tick(org_.tenant).value(), 0);
  clock_.Advance(2LL * 3600000);  // 49 h: the 48 h timeout has passed
  EXPECT_EQ(engine_.Tick(org_.tenant).value(), 1);
  auto r = engine_.Get(As("admin"), id).value();
  ASSERT_EQ(r.tasks.size(), 2u);
  EXPECT_EQ(r.tasks[0].status, "escalated");
  EXPECT_EQ(r.tasks[1].approver_id, org_.users["ops"]);
  EXPECT_EQ(r.tasks[1].status, "pending");
  // The unit lead can no longer act; HQ can.
  EXPECT_EQ(engine_.Act(As("lead_a"), id, "approve", {}).status().code(), "approval.not_your_step");
  auto done = engine_.Act(As("ops"), id, "approve", {});
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->status, "approved");
  EXPECT_EQ(rs_->Get(As("rep_a1"), *domain::FindEntity("quotes"), q).value()["status"], "approved");
  EXPECT_EQ(engine_.Tick(org_.tenant).value(), 0);  // nothing left to escalate
}

TEST_P(ApprovalsTest, NobodyApprovesTheirOwnRequestNotEvenAsADelegate) {
  // The unit lead delegates to the rep, who then submits: the rep may not approve it.
  ASSERT_TRUE(engine_.CreateGrant(As("lead_a"), {.grantee_id = org_.users["rep_a1"], .ends_at = clock_.NowMs() + 86400000LL}).ok());
  int64_t q = Quote("rep_a1", "Q-O1", 10);
  int64_t id = Submit("rep_a1", q);
  EXPECT_TRUE(engine_.Inbox(As("rep_a1")).value().empty());
  EXPECT_EQ(engine_.Act(As("rep_a1"), id, "approve", {}).status().code(), "approval.own_request");
  // Quotes go through their own workflow, and only from draft.
  EXPECT_EQ(engine_.Submit(As("rep_a1"), {.object = "quotes", .record_id = q}).status().code(), "approval.use_route");
  EXPECT_EQ(engine_.Submit(As("rep_a1"), {.object = "quotes", .record_id = q, .definition = std::string("big_deal")}, true).status().field(), "definition");
  int64_t q2 = Quote("rep_a1", "Q-O2", 10);
  ASSERT_TRUE(engine_.Act(As("lead_a"), id, "approve", {}).ok());
  EXPECT_EQ(engine_.Submit(As("rep_a1"), {.object = "quotes", .record_id = q}, true).status().code(), "approval.status");  // approved already
  EXPECT_TRUE(engine_.Submit(As("rep_a1"), {.object = "quotes", .record_id = q2}, true).ok());
}

TEST_P(ApprovalsTest, DelegationEndsByItself) {
  ASSERT_TRUE(engine_.CreateGrant(As("lead_a"), {.grantee_id = org_.users["sup_a"], .ends_at = clock_.NowMs() + 3 * 86400000LL}).ok());
  int64_t q1 = Quote("rep_a1", "Q-D1", 10);
  int64_t a1 = Submit("rep_a1", q1);
  EXPECT_EQ(engine_.Inbox(As("sup_a")).value().size(), 1u);
  clock_.Advance(4 * 86400000LL);  // the grant has ended
  EXPECT_TRUE(engine_.Inbox(As("sup_a")).value().empty());
  EXPECT_EQ(engine_.Act(As("sup_a"), a1, "approve", {}).status().code(), "approval.not_your_step");
  EXPECT_TRUE(engine_.Act(As("lead_a"), a1, "approve", {}).ok());
  // A grant scoped to another unit does not cover this one.
  ASSERT_TRUE(engine_.CreateGrant(As("admin"), {.grantor_id = org_.users["lead_a"], .grantee_id = org_.users["sup_a"], .unit_id = org_.unit_b,
                                                 .ends_at = clock_.NowMs() + 86400000LL}).ok());
  int64_t a2 = Submit("rep_a1", Quote("rep_a1", "Q-D2", 10));
  EXPECT_EQ(engine_.Act(As("sup_a"), a2, "approve", {}).status().code(), "approval.not_your_step");
}

// Issue #15 item 11: delegating someone else's approvals is an admin's decision; the grant is in
// the audit and event logs and the grantor finds a notice in their inbox.
TEST_P(ApprovalsTest, DelegatingOnSomeonesBehalfIsAnAdminsDecisionAndTheGrantorIsTold) {
  metrics::MetricEngine metrics(*db_, clock_);
  alerts::AlertEngine alerts(*db_, *rs_, metrics, clock_);
  engine_.SetAlerts(&alerts);
  const TimeMs week = clock_.NowMs() + 7 * 86400000LL;
  auto by_ops = engine_.CreateGrant(As("ops"), {.grantor_id = org_.users["admin"], .grantee_id = org_.users["ops"], .ends_at = week});
  EXPECT_EQ(by_ops.status().code(), "grant.on_behalf");
  EXPECT_EQ(by_ops.status().kind(), ErrorKind::kForbidden);
  auto own = engine_.CreateGrant(As("ops"), {.grantee_id = org_.users["lead_a"], .ends_at = week});
  ASSERT_TRUE(own.ok()) << own.status().ToString();
  auto by_admin = engine_.CreateGrant(As("admin"), {.grantor_id = org_.users["lead_a"], .grantee_id = org_.users["sup_a"], .ends_at = week});
  ASSERT_TRUE(by_admin.ok()) << by_admin.status().ToString();

  auto inbox = alerts.Notifications(As("lead_a"), false, 10);
  ASSERT_TRUE(inbox.ok());
  ASSERT_EQ(inbox->size(), 1u);
  EXPECT_NE((*inbox)[0].summary_en.find("delegated your approvals to sup_a"), std::string::npos) << (*inbox)[0].summary_en;
  EXPECT_TRUE(alerts.Notifications(As("ops"), false, 10).value().empty()) << "delegating your own tells nobody";

  ASSERT_TRUE(engine_.RevokeGrant(As("lead_a"), by_admin->id).ok());
  auto log = rs_->AuditLog(As("auditor"), {{"entity", "grants"}});
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->items.size(), 3u);
  EXPECT_EQ(log->items[0]["action"], "grant.revoked");
  EXPECT_EQ(log->items[0]["actor_id"], org_.users["lead_a"]);
  EXPECT_TRUE(log->items[0]["before"]["revoked_at"].is_null());
  EXPECT_FALSE(log->items[0]["after"]["revoked_at"].is_null());
  EXPECT_EQ(log->items[1]["actor_id"], org_.users["admin"]);
  EXPECT_EQ(log->items[1]["after"]["grantor_id"], org_.users["lead_a"]);
  EXPECT_EQ(log->items[1]["after"]["on_behalf"], true);
  engine_.SetAlerts(nullptr);
}

TEST_P(ApprovalsTest, QuorumNeedsThatManyApprovals) {
  auto def = engine_.SaveDefinition(As("admin"), {{"name", "panel"}, {"object", "opportunities"},
                                                  {"steps", {{{"name", "panel"}, {"approvers", {{"users", {org_.users["lead_a"], org_.users["ops"], org_.users["admin"]}}}},
                                                              {"mode", "quorum"}, {"quorum", 2}}}}});
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  int64_t q = Deal("rep_a1", "Q-Q1");
  auto r = engine_.Submit(As("rep_a1"), {.object = "opportunities", .record_id = q, .definition = std::string("panel")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(r->request);
  int64_t id = r->request->id;
  EXPECT_EQ(engine_.Act(As("lead_a"), id, "approve", {}).value().status, "pending");
  EXPECT_EQ(engine_.Act(As("ops"), id, "reject", Said("太低")).value().status, "pending");  // 1 of 3 may say no
  EXPECT_EQ(engine_.Act(As("admin"), id, "approve", {}).value().status, "approved");
  // A new version of the workflow does not change the running requests' version.
  ASSERT_TRUE(engine_.SaveDefinition(As("admin"), {{"name", "panel"}, {"object", "opportunities"},
                                                   {"steps", {{{"approvers", {{"role", "hq_ops"}}}}}}}).ok());
  EXPECT_EQ(engine_.Get(As("admin"), id).value().definition_version, 1);
}

TEST_P(ApprovalsTest, TwoApproversAtOnceEndInOneState) {
  // Two approvers may each decide the step; they act at the same moment, one approving, one rejecting.
  ASSERT_TRUE(engine_.SaveDefinition(As("admin"), {{"name", "either"}, {"object", "opportunities"},
                                                   {"steps", {{{"approvers", {{"users", {org_.users["lead_a"], org_.users["ops"]}}}},
                                                               {"mode", "first"}}}}}).ok());
  for (int round = 0; round < 5; ++round) {
    int64_t q = Deal("rep_a1", "Q-R" + std::to_string(round));
    int64_t id = engine_.Submit(As("rep_a1"), {.object = "opportunities", .record_id = q, .definition = std::string("either")}).value().request->id;
    std::atomic<int> ok{0}, conflicts{0};
    auto act = [&](const std::string& who, const std::string& what) {
      auto r = engine_.Act(As(who), id, what, Said("并发"));
      if (r.ok()) ++ok;
      else if (r.status().kind() == ErrorKind::kConflict || r.status().code() == "approval.not_your_step") ++conflicts;
      else ADD_FAILURE() << r.status().ToString();
    };
    std::thread a(act, "lead_a", "approve"), b(act, "ops", "reject");
    a.join();
    b.join();
    auto r = engine_.Get(As("admin"), id).value();
    std::string status = r.status;
    EXPECT_TRUE(status == "approved" || status == "rejected") << status;
    EXPECT_EQ(ok.load(), 1) << ToJson(r).dump();  // exactly one decision took effect
    int decided = 0;
    for (const auto& t : r.tasks) decided += t.status == "approved" || t.status == "rejected";
    EXPECT_EQ(decided, 1) << ToJson(r).dump();
  }
}

TEST_P(ApprovalsTest, ARecallRacingAnApprovalEndsInOneState) {
  for (int round = 0; round < 5; ++round) {
    int64_t q = Quote("rep_a1", "Q-X" + std::to_string(round), 10);
    int64_t id = Submit("rep_a1", q);
    std::atomic<int> ok{0};
    std::thread a([&] { ok += engine_.Act(As("lead_a"), id, "approve", {}).ok(); });
    std::thread b([&] { ok += engine_.Recall(As("rep_a1"), id, {}).ok(); });
    a.join();
    b.join();
    EXPECT_EQ(ok.load(), 1);
    auto r = engine_.Get(As("admin"), id).value();
    std::string status = r.status;
    EXPECT_TRUE(status == "approved" || status == "recalled") << status;
    EXPECT_EQ(rs_->Get(As("rep_a1"), *domain::FindEntity("quotes"), q).value()["status"], status == "approved" ? "approved" : "draft");
  }
}

TEST_P(ApprovalsTest, AContractGoesThroughApprovalSigningAndItsLifetime) {
  int64_t customer = MustCreate(*rs_, As("rep_a1"), "customers", {{"code", "C-K1"}, {"name", "华庭酒店"}, {"kind", "b2b"}});
  auto contract = [&](const std::string& code, const std::string& start, const std::string& end, int64_t renews) {
    json body = {{"code", code}, {"name", "空调维保年度合同"}, {"customer_id", customer}, {"amount", 240000}, {"start_date", start}, {"end_date", end}};
    if (renews) body["renewal_of"] = renews;
    return MustCreate(*rs_, As("rep_a1"), "contracts", body);
  };
  const auto& contracts = *domain::FindEntity("contracts");
  auto status = [&](int64_t id) { return rs_->Get(As("rep_a1"), contracts, id).value()["status"].get<std::string>(); };
  auto approve_and_sign = [&](int64_t id) {
    auto r = engine_.Submit(As("rep_a1"), {.object = "contracts", .record_id = id});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_TRUE(r->request);
    EXPECT_EQ(r->request->definition, "contract_review");
    EXPECT_EQ(status(id), "pending_approval");
    ASSERT_TRUE(engine_.Act(As("lead_a"), r->request->id, "approve", {}).ok());
    EXPECT_EQ(status(id), "approved");
    // Signing needs legal review first.
    EXPECT_EQ(rs_->Update(As("rep_a1"), contracts, id, {{"status", "signed"}, {"legal_reviewed", true}}).status().code(), "contract.sign");
    EXPECT_EQ(commerce_.SignContract(As("rep_a1"), id, {}).status().code(), "contract.legal_review");
    auto signed_ = commerce_.SignContract(As("rep_a1"), id, {.legal_reviewed = true});
    ASSERT_TRUE(signed_.ok()) << signed_.status().ToString();
    EXPECT_FALSE(signed_->contract["signed_at"].is_null());
  };
  int64_t k1 = contract("K-001", "2026-12-01", "2027-01-15", 0);
  EXPECT_EQ(rs_->Update(As("rep_a1"), contracts, k1, {{"status", "signed"}}).status().code(), "contract.status");  // not approved yet
  EXPECT_EQ(commerce_.SignContract(As("rep_a1"), k1, {.legal_reviewed = true}).status().code(), "contract.status");
  approve_and_sign(k1);
  ASSERT_TRUE(commerce_.ContractLifecycle(org_.tenant).ok());
  EXPECT_EQ(status(k1), "signed");  // starts on 12-01
  clock_.Set(MsFromCivil(2026, 12, 2, 2, 0, 0));
  ASSERT_TRUE(commerce_.ContractLifecycle(org_.tenant).ok());
  EXPECT_EQ(status(k1), "active");
  clock_.Set(MsFromCivil(2026, 12, 20, 2, 0, 0));  // within 30 days of the end
  auto changed = commerce_.ContractLifecycle(org_.tenant).value();
  ASSERT_EQ(changed.changed.size(), 1u);
  EXPECT_EQ(changed.changed[0].to, "expiring");
  EXPECT_EQ(status(k1), "expiring");
  auto tasks = rs_->List(As("rep_a1"), *domain::FindEntity("tasks"), {{"related_entity", "contracts"}}).value();
  ASSERT_EQ(tasks.items.size(), 1u);
  EXPECT_EQ(tasks.items[0]["related_id"], k1);
  EXPECT_EQ(tasks.items[0]["owner_id"], org_.users["rep_a1"]);
  ASSERT_TRUE(commerce_.ContractLifecycle(org_.tenant).ok());  // a second pass makes no second task
  EXPECT_EQ(rs_->List(As("rep_a1"), *domain::FindEntity("tasks"), {{"related_entity", "contracts"}}).value().items.size(), 1u);
  // The renewal is signed: the old contract is renewed. Another one lapses.
  int64_t k2 = contract("K-002", "2027-01-16", "2028-01-15", k1);
  approve_and_sign(k2);
  int64_t k3 = contract("K-003", "2026-12-01", "2026-12-31", 0);
  approve_and_sign(k3);
  ASSERT_TRUE(commerce_.ContractLifecycle(org_.tenant).ok());
  EXPECT_EQ(status(k1), "renewed");
  EXPECT_EQ(status(k3), "expiring");
  clock_.Set(MsFromCivil(2027, 1, 2, 2, 0, 0));
  ASSERT_TRUE(commerce_.ContractLifecycle(org_.tenant).ok());
  EXPECT_EQ(status(k3), "expired");
  EXPECT_EQ(status(k2), "signed");
  // A running contract may be terminated; a date range backwards is refused.
  EXPECT_TRUE(rs_->Update(As("rep_a1"), contracts, k2, {{"status", "terminated"}}).ok());
  EXPECT_EQ(rs_->Create(As("rep_a1"), contracts, {{"code", "K-9"}, {"name", "x"}, {"customer_id", customer}, {"amount", 1},
                                                 {"start_date", "2027-02-01"}, {"end_date", "2027-01-01"}}).status().field(), "end_date");
}

TEST_P(ApprovalsTest, AuthorityFollowsUnitRoleCategoryAndSize) {
  // HQ-wide 5 %; the unit 8 % for reps; 12 % on ACs from 30,000 yuan.
  ASSERT_TRUE(commerce_.SaveAuthority(As("admin"), {.unit_id = org_.hq, .max_discount_pct = 5}).ok());
  ASSERT_TRUE(commerce_.SaveAuthority(As("admin"), {.unit_id = org_.unit_a, .role = "rep", .max_discount_pct = 8}).ok());
  ASSERT_TRUE(commerce_.SaveAuthority(As("admin"), {.unit_id = org_.unit_a, .role = "rep", .category_prefix = "家电/空调",
                                                  .min_amount = 30000, .max_discount_pct = 12}).ok());
  EXPECT_EQ(commerce_.SaveAuthority(As("admin"), {.unit_id = org_.unit_a, .max_discount_pct = 101}).status().field(), "max_discount_pct");
  EXPECT_EQ(commerce_.SaveAuthority(As("lead_a"), {.unit_id = org_.unit_a, .max_discount_pct = 10}).status().kind(), ErrorKind::kForbidden);
  int n = 0;
  auto check = [&](const std::string& rep, double discount, int qty) {
    std::string k = std::to_string(++n);
    int64_t customer = MustCreate(*rs_, As(rep), "customers", {{"code", "CA-" + k}, {"name", "x"}, {"kind", "b2b"}});
    int64_t q = MustCreate(*rs_, As(rep), "quotes", {{"code", "QA-" + k}, {"customer_id", customer},
                                                     {"lines", {{{"product_id", org_.product}, {"qty", qty}, {"unit_price", 3299}, {"discount_pct", discount}}}}});
    return commerce_.CheckQuote(As(rep), q).value().lines[0];
  };
  EXPECT_EQ(check("rep_a1", 7, 2).max_discount_pct, 8);      // small: the unit's rep rule
  EXPECT_EQ(check("rep_a1", 7, 2).within, true);
  EXPECT_EQ(check("rep_a1", 10, 20).max_discount_pct, 12);   // 20 × 3299 × 0.9 ≥ 30,000: the AC rule
  EXPECT_EQ(check("rep_b", 7, 2).max_discount_pct, 5);       // another unit: HQ's
  EXPECT_EQ(check("rep_b", 7, 2).within, false);
}

INSTANTIATE_TEST_SUITE_P(Backends, ApprovalsTest, ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

}  // namespace
}  // namespace keel::org

namespace keel::org {
namespace {

class BudgetsTest : public ::testing::TestWithParam<testing::TestBackend>, protected testing::DomainFixtureBase {
 protected:
  BudgetsTest() : DomainFixtureBase(GetParam()), budgets_(*db_, clock_) {}
  BudgetService budgets_;
};

TEST_P(BudgetsTest, ConcurrentSpendingNeverOverspends) {
  auto b = budgets_.Set(org_.as["admin"], {.unit_id = org_.unit_a, .category = "marketing", .period = "2026-11", .amount = 10000});
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  int64_t id = b->id;
  EXPECT_EQ(b->period_start, "2026-11-01");
  EXPECT_EQ(b->period_end, "2026-11-30");
  // Eight requests of 3,000 yuan race for 10,000: exactly three go through. Each names the
  // campaign it pays for; only unit leads and HQ spend directly.
  const int64_t promo = testing::MustCreate(*rs_, org_.as["ops"], "promotions",
                                            {{"code", "PR-1"}, {"name", "社区路演"}, {"kind", "discount"}, {"discount_pct", 5},
                                             {"starts_at", "2026-11-01T00:00:00+08:00"}, {"ends_at", "2026-11-30T23:59:59+08:00"}});
  auto spend = [&](double amount, std::optional<std::string> object = "promotions", std::optional<int64_t> source = std::nullopt) {
    return BudgetMove{.amount = amount, .source_object = object, .source_id = source ? source : std::optional<int64_t>(promo)};
  };
  EXPECT_EQ(budgets_.Spend(org_.as["sup_a"], id, spend(1)).status().kind(), ErrorKind::kForbidden);
  EXPECT_EQ(budgets_.Spend(org_.as["lead_a"], id, {.amount = 1}).status().code(), "budget.source");
  EXPECT_EQ(budgets_.Spend(org_.as["lead_a"], id, spend(1, "users")).status().code(), "budget.source");
  EXPECT_EQ(budgets_.Spend(org_.as["lead_a"], id, spend(1, "promotions", promo + 1000)).status().field(), "source_id");
  std::atomic<int> ok{0}, refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      BudgetMove move = spend(3000);
      move.note = "路演物料";
      auto r = budgets_.Spend(org_.as[i % 2 ? "lead_a" : "ops"], id, move);
      if (r.ok()) ++ok;
      else if (r.status().code() == "budget.exceeded") ++refused;
      else ADD_FAILURE() << r.status().ToString();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 3);
  EXPECT_EQ(refused.load(), 5);
  Budget now = budgets_.Get(org_.as["lead_a"], id).value();
  EXPECT_EQ(now.committed_fen, 900000);
  EXPECT_EQ(ToJson(now)["remaining"], 1000.0);
  // The budget is reproducible from its entries.
  int64_t sum = 0;
  ASSERT_TRUE(now.entries.has_value());
  for (const auto& e : *now.entries) {
    if (e.kind != "allocation") sum += e.amount_fen;
  }
  EXPECT_EQ(sum, 900000);
  auto over = budgets_.Spend(org_.as["lead_a"], id, spend(1000.01));
  EXPECT_EQ(over.status().code(), "budget.exceeded");
  EXPECT_NE(over.status().message_zh().find("1000.00"), std::string::npos);
  ASSERT_TRUE(budgets_.Release(org_.as["lead_a"], id, {.amount = 3000}).ok());
  EXPECT_TRUE(budgets_.Spend(org_.as["lead_a"], id, spend(4000)).ok());
  // A lower allocation than what is committed is refused.
  EXPECT_EQ(budgets_.Set(org_.as["admin"], {.unit_id = org_.unit_a, .category = "marketing", .period = "2026-11", .amount = 5000}).status().code(),
            "budget.below_committed");
}

TEST_P(BudgetsTest, VisibilityAndLookupFollowTheTree) {
  ASSERT_TRUE(budgets_.Set(org_.as["ops"], {.unit_id = org_.region, .category = "travel", .period = "2026-Q4", .amount = 50000}).ok());
  auto month = budgets_.Set(org_.as["ops"], {.unit_id = org_.unit_a, .category = "travel", .period = "2026-11", .amount = 8000});
  ASSERT_TRUE(month.ok());
  EXPECT_EQ(budgets_.Set(org_.as["lead_a"], {.unit_id = org_.unit_a, .category = "travel", .period = "2026-12", .amount = 1}).status().kind(),
            ErrorKind::kForbidden);
  EXPECT_EQ(budgets_.Set(org_.as["ops"], {.unit_id = org_.unit_a, .category = "travel", .period = "2026-13", .amount = 1}).status().field(),
            "period");
  // The unit's own month first; the other unit falls back to the region's quarter.
  EXPECT_EQ(budgets_.Find(org_.tenant, org_.store_unit_a, "travel", "2026-11-15").value(), month->id);
  auto b = budgets_.Find(org_.tenant, org_.unit_b, "travel", "2026-11-15");
  ASSERT_TRUE(b.ok());
  EXPECT_NE(*b, month->id);
  EXPECT_EQ(budgets_.Find(org_.tenant, org_.unit_b, "samples", "2026-11-15").status().code(), "budget.none");
  // A unit lead sees their subtree's budgets, not the other unit's or the region's.
  auto lead = budgets_.List(org_.as["lead_a"], {}).value();
  ASSERT_EQ(lead.size(), 1u);
  EXPECT_EQ(budgets_.Get(org_.as["lead_b"], month->id).status().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(budgets_.Spend(org_.as["lead_b"], month->id, {.amount = 1}).status().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(budgets_.Spend(org_.as["analyst"], month->id, {.amount = 1}).status().kind(), ErrorKind::kForbidden);
}

INSTANTIATE_TEST_SUITE_P(Backends, BudgetsTest, ::testing::Values(testing::TestBackend::kSqlite, testing::TestBackend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

}  // namespace
}  // namespace keel::org
