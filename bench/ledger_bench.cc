// Unit accounting on the demo tenant (SQLite): posting a month of orders to the ledger, a unit's
// P&L, HQ's consolidated view, a profit-sharing run and an expense claim's submission — each next
// to a same-run baseline (the bare SQL the figure cannot do without).
#include <spdlog/spdlog.h>

#include <cstdio>

#include "bench_demo.h"
#include "bench_util.h"
#include "demo/demo.h"
#include "domain/auth.h"
#include "domain/schema.h"
#include "org/commerce/commerce.h"
#include "org/workflow/approvals.h"
#include "org/budgets.h"
#include "org/expenses.h"
#include "org/governance.h"
#include "org/ledger.h"
#include "org/internal.h"
#include "org/profit_sharing.h"
#include "support/test_db.h"

using keel::bench::Clock;
using keel::bench::Percentile;
using keel::bench::Row;
using keel::bench::Seconds;
using json = nlohmann::json;

int main() {
  spdlog::set_level(spdlog::level::warn);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  keel::bench::DemoEnv env;
  auto& db = env.db;
  auto& clock = env.clock;
  auto& rs = env.rs;
  const auto& demo = env.demo;
  const int64_t tenant = demo.tenant_id;
  auto sys = keel::domain::Principal::System(tenant);
  keel::org::ApprovalEngine approvals(*db, rs, clock);
  keel::org::Commerce commerce(*db, rs, approvals, clock);
  keel::org::BudgetService budgets(*db, clock);
  keel::org::Ledger ledger(*db, clock);
  keel::org::ProfitSharing sharing(*db, ledger, clock);
  keel::org::ExpenseService expenses(*db, rs, approvals, budgets, ledger, clock);
  keel::org::Governance governance(*db, clock);
  commerce.SetGovernance(&governance);
  expenses.SetGovernance(&governance);
  if (auto s = keel::demo::SeedUnits(*db, rs, commerce, tenant); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.status().ToString().c_str());
    return 1;
  }
  (void)ledger.SaveSettings(sys, {.commission_pct = 1.5});
  (void)ledger.SaveAllocationRule(sys, {.name = "总部IT", .monthly_amount = 120000, .driver = "revenue"});
  (void)ledger.SaveAllocationRule(sys, {.name = "总部职能", .monthly_amount = 90000, .driver = "headcount"});
  std::printf("Keel unit-accounting benchmarks (demo tenant, SQLite; 2 cores)\n");
  std::printf("  %-48s %10s %-8s | %-34s %10s %-8s | ratio\n", "figure", "value", "", "same-run baseline", "value", "");

  // 1. Posting October: every paid order's revenue, cost and commission, plus allocations. The
  //    baseline reads the same orders with their cost (the query posting cannot avoid).
  double read_s = 0;
  int64_t orders = 0;
  {
    auto conn = std::move(db->Acquire()).value();
    auto bounds = keel::org::MonthUtcBounds(*conn, tenant, "2026-10").value();
    keel::store::Value q[] = {tenant, bounds.first, bounds.second};
    auto t = Clock::now();
    auto r = conn->Query("SELECT o.id, o.unit_id, o.owner_id, o.total, o.ordered_at, COALESCE(SUM(l.qty * p.cost), 0) FROM orders o JOIN order_lines l "
                         "ON l.tenant_id = o.tenant_id AND l.order_id = o.id JOIN products p ON p.tenant_id = l.tenant_id AND p.id = l.product_id "
                         "WHERE o.tenant_id = ? AND o.ordered_at >= ? AND o.ordered_at < ? AND o.status = 'paid' GROUP BY o.id, o.unit_id, o.owner_id, "
                         "o.total, o.ordered_at", q).value();
    read_s = Seconds(t);
    orders = static_cast<int64_t>(r.rows.size());
  }
  auto t = Clock::now();
  auto posted = ledger.PostPeriod(sys, "2026-10").value();
  double post_s = Seconds(t);
  Row("post a month (orders/s)", orders / post_s, "orders/s", "read the month's orders + cost", orders / read_s);
  t = Clock::now();
  (void)ledger.PostPeriod(sys, "2026-10").value();
  double repost_s = Seconds(t);
  Row("re-post it (idempotent; nothing new), ms", repost_s * 1000, "ms", "read the month's orders + cost, ms", read_s * 1000, true);
  std::printf("  (%lld orders, %lld entries)\n", static_cast<long long>(orders), static_cast<long long>(posted.entries));

  // 2. A unit's P&L, and the consolidated company, against the bare grouped sum of entries.
  int64_t unit = 0;
  std::string path;
  {
    auto c = std::move(db->Acquire()).value();
    keel::store::Value q[] = {tenant};
    auto r = c->Query("SELECT id, path FROM units WHERE tenant_id = ? AND kind = 'unit' ORDER BY id LIMIT 1", q).value();
    unit = keel::store::AsInt(r.rows[0][0]);
    path = keel::store::AsText(r.rows[0][1]);
  }
  std::vector<double> pnl, bare;
  for (int i = 0; i < 200; ++i) {
    auto a = Clock::now();
    (void)ledger.Pnl(sys, unit, "2026-10").value();
    pnl.push_back(Seconds(a) * 1000);
    auto c = std::move(db->Acquire()).value();
    keel::store::Value q[] = {tenant, path + "%", std::string("2026-10")};
    a = Clock::now();
    (void)c->Query("SELECT e.account, SUM(e.amount) FROM ledger_entries e JOIN units u ON u.tenant_id = e.tenant_id AND u.id = e.unit_id WHERE "
                   "e.tenant_id = ? AND u.path LIKE ? AND e.period = ? GROUP BY e.account", q).value();
    bare.push_back(Seconds(a) * 1000);
  }
  Row("unit P&L for a month, p50 ms", Percentile(pnl, 0.5), "ms", "bare grouped sum of its entries", Percentile(bare, 0.5), true);
  Row("unit P&L for a month, p99 ms", Percentile(pnl, 0.99), "ms", "bare grouped sum, p99", Percentile(bare, 0.99), true);
  std::vector<double> cons, cons_bare;
  for (int i = 0; i < 50; ++i) {
    auto a = Clock::now();
    (void)ledger.Consolidated(sys, "2026-10").value();
    cons.push_back(Seconds(a) * 1000);
    auto c = std::move(db->Acquire()).value();
    keel::store::Value q[] = {tenant, std::string("2026-10")};
    a = Clock::now();
    (void)c->Query("SELECT unit_id, account, SUM(amount) FROM ledger_entries WHERE tenant_id = ? AND period = ? GROUP BY unit_id, account", q).value();
    cons_bare.push_back(Seconds(a) * 1000);
  }
  Row("HQ consolidated view (76 units), p50 ms", Percentile(cons, 0.5), "ms", "bare grouped sum by unit", Percentile(cons_bare, 0.5), true);

  // 3. Profit sharing for October: every sales unit's pool and its people's statements.
  auto rule = sharing.SaveRule(sys, {.name = "战队超额利润分成", .pool_formula = "0.2 * MAX(contribution_margin - 0.18 * revenue, 0)",
                                     .split = "gross_margin"}).value();
  t = Clock::now();
  auto ran = sharing.Run(sys, {.period = "2026-10", .rule_id = {.value = rule.id}}).value();
  double run_s = Seconds(t);
  // Each unit's pool needs its P&L and each person's figures: compare with reading unit P&Ls.
  Row("profit-sharing run (statements/s)", static_cast<double>(ran.statements) / run_s, "stmt/s", "unit P&L reads/s (p50)",
      1000.0 / Percentile(pnl, 0.5));

  // 4. An expense claim: creating it, then submitting it (policy, compliance, budget, boundary).
  keel::domain::Principal rep;
  {
    auto c = std::move(db->Acquire()).value();
    keel::store::Value q[] = {tenant, std::string("sh-rep-01")};
    auto r = c->Query("SELECT u.id, u.unit_id, n.path FROM users u JOIN units n ON n.tenant_id = u.tenant_id AND n.id = u.unit_id WHERE "
                      "u.tenant_id = ? AND u.username = ?", q).value();
    rep.tenant_id = tenant;
    rep.user_id = keel::store::AsInt(r.rows[0][0]);
    rep.role = keel::domain::Role::kRep;
    rep.unit_id = keel::store::AsInt(r.rows[0][1]);
    rep.unit_path = keel::store::AsText(r.rows[0][2]);
  }
  const auto& claims = *keel::domain::FindEntity("expenses");
  std::vector<double> create_ms, submit_ms;
  for (int i = 0; i < 100; ++i) {
    json body = {{"title", "出差"}, {"category", "travel"},
                 {"lines", {{{"day", "2026-11-20"}, {"kind", "train"}, {"amount", 5}, {"has_receipt", true}},
                            {{"day", "2026-11-20"}, {"kind", "taxi"}, {"amount", 3}, {"has_receipt", true}}}}};
    auto a = Clock::now();
    auto created = rs.Create(rep, claims, body).value();
    create_ms.push_back(Seconds(a) * 1000);
    a = Clock::now();
    auto sent = expenses.Submit(rep, created["id"].get<int64_t>(), {});
    submit_ms.push_back(Seconds(a) * 1000);
    if (!sent.ok()) {
      std::fprintf(stderr, "%s\n", sent.status().ToString().c_str());
      return 1;
    }
  }
  Row("submit a claim (policy+compliance+budget+boundary), p50", Percentile(submit_ms, 0.5), "ms", "create the claim, p50",
      Percentile(create_ms, 0.5), true);
  return 0;
}
