// The demo's unit accounting: the expense policy, travel and marketing claims of last month and
// this month (submitted through policy, compliance, budget and boundary checks; last month's
// posted by HQ), HQ's shared-service allocations, the ledger posted for the last four months (the
// two oldest closed), and profit-sharing statements for last month and the month before.
#include <cmath>

#include "demo/demo.h"
#include "demo/store.h"
#include "domain/schema.h"
#include "org/workflow/approvals.h"
#include "org/expenses.h"
#include "org/governance.h"
#include "org/ledger.h"
#include "org/profit_sharing.h"

namespace keel::demo {

using json = nlohmann::json;

namespace {

std::string ShiftMonth(const std::string& month, int delta) {
  int y = std::stoi(month.substr(0, 4)), m = std::stoi(month.substr(5, 2)) - 1 + delta;
  y += m >= 0 ? m / 12 : (m - 11) / 12;
  m = ((m % 12) + 12) % 12;
  char b[24];
  std::snprintf(b, sizeof b, "%04d-%02d", y, m + 1);
  return b;
}

// A small deterministic generator (the demo is the same for the same data).
struct Rng {
  uint64_t s;
  uint64_t Next() {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return s >> 33;
  }
  int In(int lo, int hi) { return lo + static_cast<int>(Next() % static_cast<uint64_t>(hi - lo + 1)); }
};

Result<domain::Principal> PrincipalOf(store::Connection& conn, int64_t tenant, int64_t user) {
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::UserRow> r, repo::UserById(conn, tenant, user));
  if (!r) return Status::NotFound("user");
  domain::Principal p;
  p.tenant_id = tenant;
  p.user_id = user;
  p.role = domain::ParseRole(r->role).value_or(domain::Role::kRep);
  p.unit_id = r->unit_id;
  p.unit_path = r->unit_path;
  p.username = r->username;
  return p;
}

}  // namespace

Result<AccountingSeed> SeedAccounting(store::Database& db, domain::RecordService& records, org::ApprovalEngine& approvals, org::BudgetService& budgets,
                            org::Ledger& ledger, org::ProfitSharing& sharing, org::ExpenseService& expenses, org::Governance* governance,
                            int64_t tenant) {
  auto sys = domain::Principal::System(tenant);
  // "This month" is the month of the clock's local day (the morning after the history ends), so
  // the month a person calls "last month" — the P&L screen's default — is complete: its claims
  // are posted, its ledger is posted and its profit-sharing statements are out, whatever day of
  // the month the demo is generated on.
  const std::string today = FormatDate((records.clock().NowMs() + 8 * 3600000LL) / 86400000);  // Asia/Shanghai, the demo's zone
  struct Unit {
    int64_t id;
    std::string city;
    std::vector<int64_t> reps;
  };
  std::vector<Unit> units;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
    KEEL_ASSIGN_OR_RETURN(std::vector<repo::UnitRow> u, repo::UnitsOfKind(*conn, tenant, {"unit"}));
    for (const auto& row : u) {
      Unit unit{row.id, row.city, {}};
      KEEL_ASSIGN_OR_RETURN(unit.reps, repo::RepsOfUnit(*conn, tenant, unit.id, 3));
      units.push_back(std::move(unit));
    }
  }
  if (units.empty()) return Status::Invalid("demo.no_units", "the demo has no sales units to account for", "演示企业没有可核算的战队");
  const std::string this_month = today.substr(0, 7), last_month = ShiftMonth(this_month, -1);
  AccountingSeed out;
  out.last_month = last_month;

  // Rules HQ sets: 1.5 % commission; three shared services; the travel and entertainment policy.
  KEEL_RETURN_IF_ERROR(ledger.SaveSettings(sys, {.commission_pct = 1.5}).status());
  KEEL_RETURN_IF_ERROR(ledger.SaveAllocationRule(sys, {.name = "总部IT与数字化", .monthly_amount = 120000, .driver = "revenue"}).status());
  KEEL_RETURN_IF_ERROR(ledger.SaveAllocationRule(sys, {.name = "品牌广告投放", .monthly_amount = 360000, .driver = "revenue"}).status());
  KEEL_RETURN_IF_ERROR(ledger.SaveAllocationRule(sys, {.name = "总部职能（人事财务）", .monthly_amount = 90000, .driver = "headcount"}).status());
  const org::ExpensePolicyDraft policies[] = {
      {.kind = "hotel", .per = "night", .limit = 600, .city_tier = "tier1", .note = "一线城市住宿"},
      {.kind = "hotel", .per = "night", .limit = 400, .city_tier = "other", .note = "其他城市住宿"},
      {.kind = "meal", .per = "person", .limit = 150, .note = "工作餐"},
      {.kind = "entertainment", .per = "person", .limit = 300, .note = "客户招待"},
      {.kind = "taxi", .per = "item", .limit = 200, .note = "市内交通"},
      {.kind = "airfare", .per = "item", .limit = 2500, .note = "经济舱"}};
  for (const auto& pol : policies) KEEL_RETURN_IF_ERROR(expenses.SavePolicy(sys, pol).status());
  if (governance != nullptr) {
    KEEL_RETURN_IF_ERROR(governance->SaveCheckpoint(sys, {.name = "报销缺少发票", .object = "expenses", .on = "submit",
                                                          .when = "missing_receipts > 0", .action = "flag",
                                                          .message_zh = "报销单有明细未附发票，财务入账前须补齐",
                                                          .message_en = "Some lines of the claim have no receipt; finance needs them before posting"})
                             .status());
  }
  // Budgets cover last month too when it falls in the previous quarter.
  for (const auto& u : units) {
    for (const auto& [category, amount] : std::vector<std::pair<std::string, double>>{{"marketing", 200000}, {"travel", 50000}}) {
      if (budgets.Find(tenant, u.id, category, last_month + "-15").ok()) continue;
      int q = (std::stoi(last_month.substr(5, 2)) - 1) / 3 + 1;
      KEEL_RETURN_IF_ERROR(
          budgets.Set(sys, {.unit_id = u.id, .category = category, .period = last_month.substr(0, 4) + "-Q" + std::to_string(q), .amount = amount})
              .status());
    }
  }

  // Claims: two trips and a customer dinner per rep last month, a trip this month; one large
  // conference per unit this month that waits for approval.
  static const char* kCities[] = {"上海", "杭州", "南京", "广州", "深圳", "北京", "苏州", "武汉"};
  Rng rng{0x6b65656cULL ^ static_cast<uint64_t>(tenant)};
  const domain::EntityDef& claims = *domain::FindEntity("expenses");
  std::vector<int64_t> to_post;
  int this_days = std::stoi(today.substr(8, 2));  // this month's claims are dated up to today
  for (const auto& u : units) {
    for (size_t k = 0; k < u.reps.size(); ++k) {
      domain::Principal rep;
      {
        KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
        KEEL_ASSIGN_OR_RETURN(rep, PrincipalOf(*conn, tenant, u.reps[k]));
      }
      for (int c = 0; c < 4; ++c) {
        bool last = c < 3;
        int day = last ? rng.In(3, 26) : rng.In(1, std::max(1, this_days));
        char date[16];
        std::snprintf(date, sizeof date, "%s-%02d", (last ? last_month : this_month).c_str(), day);
        json body;
        if (c == 2) {
          int people = rng.In(3, 6);
          body = {{"title", "客户答谢晚宴"}, {"category", "marketing"},
                  {"lines", {{{"day", date}, {"kind", "entertainment"}, {"amount", people * rng.In(160, 280)}, {"attendees", people},
                              {"has_receipt", true}, {"city", u.city}, {"description", "经销商年度答谢"}}}}};
        } else {
          std::string city = kCities[rng.Next() % 8];
          int nights = rng.In(1, 2);
          bool tier1 = city == "上海" || city == "广州" || city == "深圳" || city == "北京";
          json lines = {{{"day", date}, {"kind", "train"}, {"amount", rng.In(180, 560)}, {"has_receipt", true}, {"city", city}},
                        {{"day", date}, {"kind", "hotel"}, {"amount", nights * rng.In(260, tier1 ? 580 : 390)}, {"nights", nights},
                         {"has_receipt", true}, {"city", city}},
                        {{"day", date}, {"kind", "taxi"}, {"amount", rng.In(35, 160)}, {"has_receipt", rng.In(0, 4) != 0}, {"city", city}}};
          body = {{"title", "出差拜访" + city + "经销商"}, {"category", "travel"}, {"destination", city}, {"trip_start", date},
                  {"trip_end", date}, {"lines", lines}};
        }
        KEEL_ASSIGN_OR_RETURN(json created, records.Create(rep, claims, body));
        int64_t id = created["id"].get<int64_t>();
        auto submitted = expenses.Submit(rep, id, {});
        ++out.claims;
        if (!submitted.ok() && submitted.status().code() == "budget.exceeded") {
          ++out.refused_over_budget;  // stays a draft, as it would
          continue;
        }
        if (!submitted.ok()) return submitted.status();
        if (submitted->expense["status"] == "approved") {
          ++out.approved_at_once;
          if (last) to_post.push_back(id);
        } else {
          ++out.pending;
        }
      }
    }
    if (!u.reps.empty()) {
      domain::Principal rep;
      {
        KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
        KEEL_ASSIGN_OR_RETURN(rep, PrincipalOf(*conn, tenant, u.reps[0]));
      }
      char date[16];
      std::snprintf(date, sizeof date, "%s-%02d", this_month.c_str(), std::max(1, this_days - 1));
      KEEL_ASSIGN_OR_RETURN(json created, records.Create(rep, claims, {{"title", "区域渠道大会会务"}, {"category", "marketing"},
                                                                      {"lines", {{{"day", date}, {"kind", "conference"}, {"amount", 12800},
                                                                                  {"has_receipt", true}, {"vendor", "国际会展中心"}},
                                                                                 {{"day", date}, {"kind", "materials"}, {"amount", 3600},
                                                                                  {"has_receipt", true}, {"description", "展架与样册"}}}}}));
      KEEL_ASSIGN_OR_RETURN(org::ClaimSubmitted sent, expenses.Submit(rep, created["id"].get<int64_t>(), {.comment = "渠道大会，已与战队负责人确认"}));
      ++out.claims;
      ++(sent.expense["status"] == "approved" ? out.approved_at_once : out.pending);
    }
  }
  for (int64_t id : to_post) {
    KEEL_RETURN_IF_ERROR(expenses.Post(sys, id).status());
    ++out.posted;
  }

  // The ledger: the last four months posted; the two oldest closed.
  for (int back = 3; back >= 0; --back) {
    std::string m = ShiftMonth(this_month, -back);
    KEEL_ASSIGN_OR_RETURN(org::Posting posted, ledger.PostPeriod(sys, m));
    if (back >= 2) KEEL_RETURN_IF_ERROR(ledger.ClosePeriod(sys, m).status());
    out.months.push_back({m, posted.entries, back >= 2});
  }

  // Orders entered by people with more than 10 % off list go to their unit lead (a workflow
  // triggered by the order's creation; imports and the POS feed are not people and never do).
  KEEL_RETURN_IF_ERROR(approvals.SaveDefinition(sys, {{"name", "order_discount"}, {"object", "orders"}, {"title_zh", "订单折扣审批"},
                                                     {"title_en", "Order discount"},
                                                     {"trigger", {{"on", {"create"}}, {"fields", {"discount_total"}}}},
                                                     {"entry", "discount_total > 0.1 * (total + discount_total)"},
                                                     {"steps", {{{"name", "unit_lead"}, {"title_zh", "战队负责人审批"}, {"approvers", {{"unit_lead", true}}},
                                                                 {"mode", "first"}, {"timeout", "24h"}, {"escalate_to", {{"role", "hq_ops"}}}}}}})
                           .status());

  // Profit sharing: 20 % of each unit's contribution margin above 18 % of its revenue, split by
  // the gross margin each person brought in — for last month and the month before.
  KEEL_ASSIGN_OR_RETURN(org::ProfitSharingRule rule,
                        sharing.SaveRule(sys, {.name = "战队超额利润分成", .pool_formula = "0.2 * MAX(contribution_margin - 0.18 * revenue, 0)",
                                               .split = "gross_margin",
                                               .description = "贡献毛利超过营业收入 18% 的部分，20% 进入战队分成池，按个人毛利贡献分配"}));
  for (const std::string& m : {ShiftMonth(this_month, -2), last_month}) {
    KEEL_ASSIGN_OR_RETURN(org::ProfitSharingRun ran, sharing.Run(sys, {.period = m, .rule_id = {.value = rule.id}}));
    out.statements += ran.statements;
  }
  return out;
}

}  // namespace keel::demo
