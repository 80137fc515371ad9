// Unit accounting on both backends against a hand-computed example: expense claims (policy,
// budget, approval, posting), a month's ledger and P&L (orders in the tenant's time zone,
// commissions, an allocation with its rounding), HQ consolidation, a refund reversed in the
// month it is posted, profit-sharing statements to the fen, and who sees what.
#include <gtest/gtest.h>

#include "org/workflow/approvals.h"
#include "org/budgets.h"
#include "org/expenses.h"
#include "org/governance.h"
#include "org/ledger.h"
#include "org/ledger_json.h"
#include "org/money_json.h"
#include "org/profit_sharing.h"
#include "support/org.h"

namespace keel::org {
namespace {

using testing::MustCreate;
using testing::TestBackend;

class LedgerTest : public ::testing::TestWithParam<TestBackend>, protected testing::DomainFixtureBase {
 protected:
  LedgerTest()
      : DomainFixtureBase(GetParam()),
        approvals_(*db_, *rs_, clock_),
        budgets_(*db_, clock_),
        ledger_(*db_, clock_),
        sharing_(*db_, ledger_, clock_),
        expenses_(*db_, *rs_, approvals_, budgets_, ledger_, clock_) {}

  const domain::Principal& As(const std::string& u) { return org_.as[u]; }
  const domain::EntityDef& Entity(const char* name) { return *domain::FindEntity(name); }

  // The example: two products, four October orders (one at 01:00 on 1 October in Shanghai, which
  // is still 30 September in UTC) and one on 1 November in Shanghai (31 October in UTC).
  void Orders() {
    auto sys = domain::Principal::System(org_.tenant);
    p1_ = MustCreate(*rs_, sys, "products", {{"sku", "P1"}, {"name", "柜机"}, {"category_path", "家电/空调"}, {"price", 1000}, {"cost", 600}});
    p2_ = MustCreate(*rs_, sys, "products", {{"sku", "P2"}, {"name", "挂机"}, {"category_path", "家电/空调"}, {"price", 500}, {"cost", 200}});
    auto order = [&](const std::string& rep, const std::string& code, const std::string& at, json lines) {
      return MustCreate(*rs_, As(rep), "orders", {{"code", code}, {"channel", "b2b"}, {"ordered_at", at}, {"lines", lines}});
    };
    order("rep_a1", "O1", "2026-10-10T02:00:00Z", {{{"product_id", p1_}, {"qty", 3}, {"unit_price", 1000}}});
    o2_ = order("rep_a2", "O2", "2026-10-12T02:00:00Z", {{{"product_id", p2_}, {"qty", 2}, {"unit_price", 500}, {"discount", 100}}});
    order("rep_b", "O3", "2026-10-20T02:00:00Z", {{{"product_id", p1_}, {"qty", 1}, {"unit_price", 1000}}});
    order("rep_a1", "O4", "2026-09-30T17:00:00Z", {{{"product_id", p2_}, {"qty", 2}, {"unit_price", 500}}});
    order("rep_b", "O5", "2026-10-31T16:30:00Z", {{{"product_id", p1_}, {"qty", 1}, {"unit_price", 1000}}});
  }

  int64_t Claim(const std::string& who, json lines) {
    return MustCreate(*rs_, As(who), "expenses", {{"title", "上海出差拜访客户"}, {"category", "travel"}, {"lines", lines}});
  }

  ApprovalEngine approvals_;
  BudgetService budgets_;
  Ledger ledger_;
  ProfitSharing sharing_;
  ExpenseService expenses_;
  int64_t p1_ = 0, p2_ = 0, o2_ = 0;
};

TEST_P(LedgerTest, AClaimIsCheckedAgainstPolicyAndBudgetThenApprovedAndPosted) {
  ASSERT_TRUE(expenses_.SavePolicy(As("admin"), {.kind = "hotel", .per = "night", .limit = 350, .city_tier = "tier1"}).ok());
  ASSERT_TRUE(expenses_.SavePolicy(As("admin"), {.unit_id = {.value = org_.unit_a}, .kind = "hotel", .per = "night", .limit = 500, .city_tier = "tier1"}).ok());
  EXPECT_EQ(expenses_.SavePolicy(As("lead_a"), {.kind = "hotel", .limit = 900}).status().code(), "forbidden");
  json lines = {{{"day", "2026-10-15"}, {"kind", "hotel"}, {"amount", 1200}, {"nights", 2}, {"city", "上海"}, {"has_receipt", true}},
                {{"day", "2026-10-16"}, {"kind", "taxi"}, {"amount", 50}}};
  int64_t over = Claim("rep_a1", lines);
  // 600 a night is over the unit's 500 (the more specific rule beats HQ's 350).
  auto refused = expenses_.Submit(As("rep_a1"), over, {});
  EXPECT_EQ(refused.status().code(), "expense.over_policy");
  EXPECT_EQ(refused.status().field(), "lines[0].amount");
  EXPECT_NE(refused.status().message_zh().find("1,000.00"), std::string::npos) << refused.status().message_zh();

  lines[0]["amount"] = 400;
  lines[0]["nights"] = 1;
  int64_t claim = Claim("rep_a1", lines);
  json got = rs_->Get(As("rep_a1"), Entity("expenses"), claim).value();
  EXPECT_DOUBLE_EQ(got["total"].get<double>(), 450);
  EXPECT_EQ(got["missing_receipts"], 1);
  // No travel budget yet: refused, and nothing is committed.
  EXPECT_EQ(expenses_.Submit(As("rep_a1"), claim, {}).status().code(), "budget.none");
  auto budget = budgets_.Set(As("admin"), {.unit_id = org_.unit_a, .category = "travel", .period = "2026-Q4", .amount = 400});
  ASSERT_TRUE(budget.ok());
  int64_t b = budget->id;
  EXPECT_EQ(expenses_.Submit(As("rep_a1"), claim, {}).status().code(), "budget.exceeded");
  EXPECT_EQ(expenses_.Submit(As("rep_a2"), claim, {}).status().code(), "not_found");  // not theirs to see
  ASSERT_TRUE(budgets_.Set(As("admin"), {.unit_id = org_.unit_a, .category = "travel", .period = "2026-Q4", .amount = 5000}).ok());
  // A comment the workflow cannot take is refused once the money is committed; the money goes back
  // and the claim stays a draft.
  auto mistyped = expenses_.Submit(As("rep_a1"), claim, {.comment_problem = Status::Invalid("validation.type", "comment", "comment", "body")});
  EXPECT_EQ(mistyped.status().code(), "validation.type");
  EXPECT_EQ(budgets_.Get(As("admin"), b).value().committed_fen, 0);
  auto sent = expenses_.Submit(As("rep_a1"), claim, {.comment = "拜访万达店"});
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  EXPECT_EQ(sent->expense["status"], "pending_approval");
  EXPECT_EQ(sent->budget->committed_fen, 45000);
  int64_t request = sent->approval["id"];
  // Rejected by the manager: the money goes back.
  ASSERT_TRUE(approvals_.Act(As("sup_a"), request, "reject", [] { ApprovalAction a; a.comment = std::string("缺发票"); return a; }()).ok());
  EXPECT_EQ(rs_->Get(As("rep_a1"), Entity("expenses"), claim).value()["status"], "rejected");
  EXPECT_EQ(budgets_.Get(As("admin"), b).value().committed_fen, 0);
  // Resubmitted and approved: committed again; HQ posts it to October's ledger.
  auto again = expenses_.Submit(As("rep_a1"), claim, {});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(expenses_.Post(As("admin"), claim).status().code(), "expense.status");  // not approved yet
  ASSERT_TRUE(approvals_.Act(As("sup_a"), again->approval["id"], "approve", {}).ok());
  EXPECT_EQ(budgets_.Get(As("admin"), b).value().committed_fen, 45000);
  EXPECT_EQ(expenses_.Post(As("lead_a"), claim).status().code(), "forbidden");
  auto posted = expenses_.Post(As("admin"), claim);
  ASSERT_TRUE(posted.ok()) << posted.status().ToString();
  EXPECT_EQ((*posted)["status"], "posted");
  EXPECT_EQ((*posted)["ledger_period"], "2026-10");
  EXPECT_FALSE((*posted)["posted_at"].is_null());
  EXPECT_EQ(expenses_.Post(As("admin"), claim).status().code(), "expense.status");  // once
  auto entries = ToJson(ledger_.Entries(As("admin"), {{"source_object", "expenses"}}).value())["items"];
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0]["account"], "expense:travel");
  EXPECT_DOUBLE_EQ(entries[0]["amount"].get<double>(), 450);
  EXPECT_EQ(entries[0]["user_id"], org_.users["rep_a1"]);
  // A posted claim is locked.
  EXPECT_EQ(rs_->Update(As("rep_a1"), Entity("expenses"), claim, {{"title", "改"}}).status().code(), "expense.locked");
}

TEST_P(LedgerTest, TheMonthsPnlConsolidationAndProfitSharingMatchTheHandComputedExample) {
  Orders();
  ASSERT_TRUE(ledger_.SaveSettings(As("admin"), {.commission_pct = 2}).ok());
  ASSERT_TRUE(ledger_.SaveAllocationRule(As("admin"), {.name = "IT 系统", .monthly_amount = 1000, .driver = "revenue"}).ok());
  // The travel claim of the first test, approved and posted.
  ASSERT_TRUE(budgets_.Set(As("admin"), {.unit_id = org_.unit_a, .category = "travel", .period = "2026-Q4", .amount = 5000}).ok());
  int64_t claim = Claim("rep_a1", {{{"day", "2026-10-15"}, {"kind", "hotel"}, {"amount", 400}, {"nights", 1}, {"city", "上海"}},
                                   {{"day", "2026-10-16"}, {"kind", "taxi"}, {"amount", 50}}});
  auto sent = expenses_.Submit(As("rep_a1"), claim, {});
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  ASSERT_TRUE(approvals_.Act(As("sup_a"), sent->approval["id"], "approve", {}).ok());
  ASSERT_TRUE(expenses_.Post(As("admin"), claim).ok());

  auto run = ledger_.PostPeriod(As("admin"), "2026-10");
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->orders_posted, 4);  // O1–O4; O5 is November's in Shanghai
  auto rerun = ledger_.PostPeriod(As("admin"), "2026-10");
  ASSERT_TRUE(rerun.ok());
  EXPECT_EQ(rerun->orders_posted, 0);  // idempotent

  // Unit A by hand: revenue 3000 + 900 + 1000 = 4900; cost 1800 + 400 + 400 = 2600; commissions
  // 2 % = 98; travel 450; IT 1000 × 4900/5900 = 830.508… → 830.51 (the left-over fen goes to the
  // larger remainder); operating profit 4900 − 2600 − 450 − 98 − 830.51 = 921.49.
  auto pnl = ledger_.Pnl(As("lead_a"), org_.unit_a, "2026-10");
  ASSERT_TRUE(pnl.ok()) << pnl.status().ToString();
  json f = ToJson(*pnl)["figures"];
  EXPECT_DOUBLE_EQ(f["revenue"].get<double>(), 4900);
  EXPECT_DOUBLE_EQ(f["cogs"].get<double>(), 2600);
  EXPECT_DOUBLE_EQ(f["gross_margin"].get<double>(), 2300);
  EXPECT_DOUBLE_EQ(f["expenses"].get<double>(), 450);
  EXPECT_DOUBLE_EQ(f["expenses_by_category"]["travel"].get<double>(), 450);
  EXPECT_DOUBLE_EQ(f["commissions"].get<double>(), 98);
  EXPECT_DOUBLE_EQ(f["contribution_margin"].get<double>(), 1752);
  EXPECT_DOUBLE_EQ(f["allocations"].get<double>(), 830.51);
  EXPECT_DOUBLE_EQ(f["operating_profit"].get<double>(), 921.49);
  EXPECT_EQ(f["orders"], 3);
  EXPECT_EQ(pnl->months["2026-10"], "open");
  // Unit B: 1000 − 600 − 20 − 169.49 = 210.51.
  json fb = ToJson(ledger_.Pnl(As("admin"), org_.unit_b, "2026-10").value())["figures"];
  EXPECT_DOUBLE_EQ(fb["allocations"].get<double>(), 169.49);
  EXPECT_DOUBLE_EQ(fb["operating_profit"].get<double>(), 210.51);
  // HQ's consolidated view: the region and the company add up; 921.49 + 210.51 = 1132.
  json cons = ToJson(ledger_.Consolidated(As("ops"), "2026-10").value())["items"];
  ASSERT_EQ(cons.size(), 5u);
  EXPECT_EQ(cons[0]["unit_id"], org_.hq);
  EXPECT_DOUBLE_EQ(cons[0]["figures"]["revenue"].get<double>(), 5900);
  EXPECT_DOUBLE_EQ(cons[0]["figures"]["allocations"].get<double>(), 1000);
  EXPECT_DOUBLE_EQ(cons[0]["figures"]["operating_profit"].get<double>(), 1132);
  EXPECT_DOUBLE_EQ(cons[1]["figures"]["operating_profit"].get<double>(), 1132);  // the region
  // A unit lead sees their own subtree only; a rep of unit B cannot read unit A.
  json mine = ToJson(ledger_.Consolidated(As("lead_a"), "2026-10").value())["items"];
  ASSERT_EQ(mine.size(), 2u);  // unit A and its store
  EXPECT_EQ(ledger_.Pnl(As("rep_b"), org_.unit_a, "2026-10").status().code(), "not_found");
  EXPECT_TRUE(ToJson(ledger_.Entries(As("rep_b"), {{"period", "2026-10"}, {"account", "revenue"}}).value())["items"].size() == 1);
  // The quarter is the sum of its months.
  EXPECT_DOUBLE_EQ(ToJson(ledger_.Pnl(As("admin"), org_.unit_a, "2026-Q4").value())["figures"]["revenue"].get<double>(), 4900);

  // Profit sharing: 30 % of the contribution margin above 1,000. Unit A: 0.3 × 752 = 225.60,
  // split by revenue: rep_a1 4000/4900 → 184.163… → 184.16; rep_a2 900/4900 → 41.436… → 41.44
  // (the fen left over goes to the larger remainder); the others 0. Unit B: 380 → no pool.
  auto rule = sharing_.SaveRule(As("admin"), {.name = "战队超额分成", .pool_formula = "0.3 * MAX(contribution_margin - 1000, 0)", .split = "revenue"});
  ASSERT_TRUE(rule.ok()) << rule.status().ToString();
  EXPECT_EQ(sharing_.SaveRule(As("admin"), {.name = "x", .pool_formula = "0.3 * margin"}).status().field(), "pool_formula");
  EXPECT_EQ(sharing_.Run(As("lead_a"), {.period = "2026-10"}).status().code(), "forbidden");
  auto ran = sharing_.Run(As("admin"), {.period = "2026-10"});
  ASSERT_TRUE(ran.ok()) << ran.status().ToString();
  std::map<std::string, double> amount;
  json all = ToJson(sharing_.Statements(As("admin"), {{"period", "2026-10"}}).value())["items"];
  double total_a = 0;
  for (const auto& s : all) {
    for (const auto& [name, id] : org_.users) {
      if (id == s["user_id"]) amount[name] = s["amount"].get<double>();
    }
    if (s["unit_id"] == org_.unit_a) {
      total_a += s["amount"].get<double>();
      EXPECT_DOUBLE_EQ(s["pool"].get<double>(), 225.60);
    }
  }
  EXPECT_DOUBLE_EQ(amount["rep_a1"], 184.16);
  EXPECT_DOUBLE_EQ(amount["rep_a2"], 41.44);
  EXPECT_DOUBLE_EQ(amount["sup_a"], 0);
  EXPECT_DOUBLE_EQ(amount["rep_b"], 0);
  EXPECT_NEAR(total_a, 225.60, 1e-9);
  EXPECT_EQ(all.size(), 7u);  // lead_a, sup_a, rep_a1–3; lead_b, rep_b
  // A rep sees their own statement, with the steps; a unit lead their unit's; not the other unit's.
  json own = ToJson(sharing_.Statements(As("rep_a1"), {}).value())["items"];
  ASSERT_EQ(own.size(), 1u);
  json st = ToJson(sharing_.Statement(As("rep_a1"), own[0]["id"]).value());
  EXPECT_DOUBLE_EQ(st["detail"]["share_pct"].get<double>(), 81.63);
  EXPECT_NE(st["detail"]["steps_zh"][1].get<std::string>().find("225.60"), std::string::npos) << st.dump();
  EXPECT_NE(st["detail"]["steps_zh"][0].get<std::string>().find("贡献毛利 = 1,752.00"), std::string::npos) << st.dump();
  EXPECT_EQ(ToJson(sharing_.Statements(As("lead_a"), {}).value())["items"].size(), 5u);
  EXPECT_EQ(ToJson(sharing_.Statements(As("lead_b"), {{"unit_id", std::to_string(org_.unit_a)}}).value())["items"].size(), 0u);
  int64_t other = 0;
  for (const auto& s : all) {
    if (s["user_id"] == org_.users["rep_a2"]) other = s["id"];
  }
  EXPECT_EQ(sharing_.Statement(As("rep_a1"), other).status().code(), "not_found");

  // O2 is refunded in November: October stays as it was; November carries the reversal.
  ASSERT_TRUE(rs_->Update(As("sup_a"), Entity("orders"), o2_, {{"status", "refunded"}}).ok());
  ASSERT_TRUE(ledger_.PostPeriod(As("admin"), "2026-10").ok());
  EXPECT_DOUBLE_EQ(ToJson(ledger_.Pnl(As("admin"), org_.unit_a, "2026-10").value())["figures"]["revenue"].get<double>(), 4900);
  auto nov = ledger_.PostPeriod(As("admin"), "2026-11");
  ASSERT_TRUE(nov.ok()) << nov.status().ToString();
  EXPECT_EQ(nov->orders_reversed, 1);
  json fn = ToJson(ledger_.Pnl(As("admin"), org_.unit_a, "2026-11").value())["figures"];
  EXPECT_DOUBLE_EQ(fn["revenue"].get<double>(), -900);
  EXPECT_DOUBLE_EQ(fn["cogs"].get<double>(), -400);
  EXPECT_DOUBLE_EQ(fn["commissions"].get<double>(), -18);

  // Closing October: no more entries; a claim dated October now posts to November.
  EXPECT_EQ(ledger_.ClosePeriod(As("admin"), "2026-11").status().code(), "ledger.not_over");
  ASSERT_TRUE(ledger_.ClosePeriod(As("admin"), "2026-10").ok());
  EXPECT_EQ(ledger_.PostPeriod(As("admin"), "2026-10").status().code(), "ledger.closed");
  EXPECT_EQ(sharing_.Run(As("admin"), {.period = "2026-10"}).status().code(), "profit_sharing.final");
  int64_t late = Claim("rep_a1", {{{"day", "2026-10-20"}, {"kind", "taxi"}, {"amount", 30}, {"has_receipt", true}}});
  auto s2 = expenses_.Submit(As("rep_a1"), late, {});
  ASSERT_TRUE(s2.ok()) << s2.status().ToString();
  ASSERT_TRUE(approvals_.Act(As("sup_a"), s2->approval["id"], "approve", {}).ok());
  EXPECT_EQ(expenses_.Post(As("admin"), late).value()["ledger_period"], "2026-11");
}

TEST_P(LedgerTest, TheUnitsBoundaryDecidesSmallClaimsAndACheckpointBlocksClaimsWithoutReceipts) {
  Governance governance(*db_, clock_);
  expenses_.SetGovernance(&governance);
  ASSERT_TRUE(budgets_.Set(As("admin"), {.unit_id = org_.unit_a, .category = "travel", .period = "2026-Q4", .amount = 10000}).ok());
  BoundaryListChange boundaries;
  boundaries.entries = {{.action = "expense", .mode = "alone", .limit = 500}, {.action = "expense", .mode = "report", .limit = 2000}};
  ASSERT_TRUE(governance.SetBoundaries(As("admin"), org_.unit_a, boundaries).ok());
  auto submit = [&](double amount, bool receipt, const ClaimSubmission& body = {}) {
    int64_t id = Claim("rep_a1", {{{"day", "2026-11-03"}, {"kind", "train"}, {"amount", amount}, {"has_receipt", receipt}}});
    return std::make_pair(id, expenses_.Submit(As("rep_a1"), id, body));
  };
  auto [small, s1] = submit(450, true);
  ASSERT_TRUE(s1.ok()) << s1.status().ToString();
  EXPECT_EQ(s1->boundary.mode, "alone");
  EXPECT_EQ(s1->expense["status"], "approved");
  EXPECT_TRUE(s1->approval.is_null());
  auto [mid, s2] = submit(1200, true);
  ASSERT_TRUE(s2.ok()) << s2.status().ToString();
  EXPECT_EQ(s2->boundary.mode, "report");
  EXPECT_EQ(s2->expense["status"], "approved");
  std::vector<BoundaryReport> reports = governance.Reports(As("admin"), {}).value().items;
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].record_id.value_or(0), mid);
  auto [big, s3] = submit(3000, true);
  ASSERT_TRUE(s3.ok()) << s3.status().ToString();
  EXPECT_EQ(s3->expense["status"], "pending_approval");
  EXPECT_EQ(s3->budget->committed_fen, 465000);
  (void)small;
  (void)big;
  // HQ's checkpoint: a claim with a line without receipt is blocked; a rep cannot override it.
  ASSERT_TRUE(governance.SaveCheckpoint(As("admin"), {.name = "报销缺发票", .object = "expenses", .on = "submit", .when = "missing_receipts > 0",
                                                       .action = "block", .message_zh = "报销须附发票", .message_en = "Claims need receipts"}).ok());
  auto [bare, s4] = submit(100, false);
  EXPECT_EQ(s4.status().code(), "compliance.blocked");
  EXPECT_EQ(expenses_.Submit(As("rep_a1"), bare, {.override_reason = "出租车司机无法开票"}).status().code(), "compliance.override_forbidden");
  // Nothing was committed for the blocked claim.
  EXPECT_EQ(budgets_.Get(As("admin"), budgets_.Find(org_.tenant, org_.unit_a, "travel", "2026-11-03").value()).value().committed_fen, 465000);
  EXPECT_EQ(rs_->Get(As("rep_a1"), Entity("expenses"), bare).value()["status"], "draft");
}

INSTANTIATE_TEST_SUITE_P(Backends, LedgerTest, ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

}  // namespace
}  // namespace keel::org
