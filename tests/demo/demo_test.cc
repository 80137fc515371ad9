// The demo generator: deterministic for a seed and end date, sized as documented, and with
// the structure docs/demo.md promises (checked statistically on the generated data).
#include "demo/demo.h"

#include <gtest/gtest.h>

#include <map>

#include "domain/auth.h"
#include "org/budgets.h"
#include "org/commerce/commerce.h"
#include "org/expenses.h"
#include "org/ledger.h"
#include "org/ledger_json.h"
#include "org/profit_sharing.h"
#include "org/money_json.h"
#include "org/workflow/approvals.h"
#include "org/workflow/json.h"
#include "org/governance.h"
#include "support/test_clock.h"
#include "support/test_db.h"

namespace keel::demo {
namespace {


using store::AsDouble;
using store::AsInt;
using store::AsText;

// A generated demo and the clock it was generated on: the morning after its last day, as
// `keel demo --end-date` does, so nothing here depends on the day the test runs.
struct Generated {
  std::unique_ptr<AnchoredClock> clock;
  std::unique_ptr<store::Database> db;
  DemoSummary summary;
};

Generated Make(uint64_t seed, const std::string& end_date = "2026-11-26") {
  Generated g;
  g.clock = std::make_unique<AnchoredClock>(MorningAfter(end_date).value());
  g.db = testing::NewDatabase(testing::TestBackend::kSqlite);
  domain::RecordService rs(*g.db, *g.clock);
  domain::AuthService auth(*g.db, *g.clock, rs);
  DemoOptions o;
  o.seed = seed;
  o.end_date = end_date;
  o.password = "demo-password-for-tests";
  o.quiet = true;
  auto r = Generate(*g.db, rs, auth, o);
  if (!r.ok()) throw std::runtime_error(r.status().ToString());
  g.summary = *r;
  return g;
}

store::Rows Q(store::Database& db, const std::string& sql) {
  auto c = std::move(db.Acquire()).value();
  auto r = c->Query(sql);
  if (!r.ok()) throw std::runtime_error(r.status().ToString());
  return *r;
}

std::string Fingerprint(store::Database& db) {
  std::string out;
  for (const char* sql : {
           "SELECT COUNT(*), SUM(total), SUM(line_count) FROM orders",
           "SELECT status, COUNT(*) FROM leads GROUP BY status ORDER BY status",
           "SELECT stage, COUNT(*), SUM(amount) FROM opportunities GROUP BY stage ORDER BY stage",
           "SELECT COUNT(*), SUM(LENGTH(notes)), SUM(duration_min) FROM activities",
           "SELECT COUNT(*), SUM(LENGTH(name)), MAX(code) FROM customers",
           "SELECT MAX(seq) FROM events",
           "SELECT SUM(value) FROM targets"}) {
    auto r = Q(db, sql);
    for (const auto& row : r.rows) {
      for (const auto& v : row) out += AsText(v) + ",";
      out += ";";
    }
  }
  return out;
}

class DemoTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { g_ = new Generated(Make(20261127)); }
  static void TearDownTestSuite() { delete g_; }
  static Generated* g_;
};
Generated* DemoTest::g_ = nullptr;

TEST_F(DemoTest, IsTheDocumentedSizeAndWritesEventsForEverything) {
  const auto& c = g_->summary.counts;
  EXPECT_EQ(c.at("users"), 128);
  EXPECT_EQ(c.at("stores"), 60);
  EXPECT_GE(c.at("products"), 195);
  EXPECT_GE(c.at("customers"), 20000);
  EXPECT_GE(c.at("orders"), 100000);
  EXPECT_GE(c.at("activities"), 20000);
  EXPECT_EQ(c.at("leads"), 6000);
  auto units = Q(*g_->db, "SELECT kind, COUNT(*) FROM units GROUP BY kind ORDER BY kind");
  std::map<std::string, int64_t> kinds;
  for (const auto& r : units.rows) kinds[AsText(r[0])] = AsInt(r[1]);
  EXPECT_EQ(kinds["hq"], 1);
  EXPECT_EQ(kinds["region"], 4);
  EXPECT_EQ(kinds["unit"], 12);
  EXPECT_EQ(kinds["store"], 60);
  auto names = Q(*g_->db, "SELECT name FROM units WHERE kind = 'region' ORDER BY code");
  EXPECT_EQ(AsText(names.rows[0][0]), "华东大区");
  // Each created record has its event.
  auto orders = Q(*g_->db, "SELECT COUNT(*) FROM orders");
  auto events = Q(*g_->db, "SELECT COUNT(*) FROM events WHERE type = 'order.created'");
  EXPECT_EQ(AsInt(orders.rows[0][0]), AsInt(events.rows[0][0]));
  // Chinese notes and the tenant's time window.
  auto note = Q(*g_->db, "SELECT COUNT(*) FROM activities WHERE notes LIKE '%客户%'");
  EXPECT_GT(AsInt(note.rows[0][0]), 1000);
  auto span = Q(*g_->db, "SELECT MIN(ordered_at), MAX(ordered_at) FROM orders WHERE code LIKE 'POS%'");
  EXPECT_GE(AsText(span.rows[0][0]), "2025-11-26T16:00:00.000Z");
  EXPECT_LE(AsText(span.rows[0][1]), "2026-11-26T16:00:00.000Z");
}

TEST_F(DemoTest, SameSeedSameCompanyOtherSeedOtherCompany) {
  Generated again = Make(20261127);
  EXPECT_EQ(Fingerprint(*again.db), Fingerprint(*g_->db));
  Generated other = Make(7);
  EXPECT_NE(Fingerprint(*other.db), Fingerprint(*g_->db));
}

TEST_F(DemoTest, FastFirstResponseAndGoodSourcesConvertMore) {
  auto r = Q(*g_->db,
             "SELECT source, status, (julianday(first_response_at) - julianday(created_at)) * 24 "
             "FROM leads WHERE first_response_at IS NOT NULL");
  std::map<std::string, std::pair<int, int>> by_speed, by_source;  // converted, total
  for (const auto& row : r.rows) {
    double h = AsDouble(row[2]);
    bool conv = AsText(row[1]) == "converted";
    std::string speed = h < 1 ? "fast" : h > 24 ? "slow" : "mid";
    by_speed[speed].first += conv;
    by_speed[speed].second++;
    by_source[AsText(row[0])].first += conv;
    by_source[AsText(row[0])].second++;
  }
  auto rate = [](std::pair<int, int> p) { return static_cast<double>(p.first) / std::max(1, p.second); };
  EXPECT_GT(rate(by_speed["fast"]), 1.8 * rate(by_speed["slow"]));
  EXPECT_GT(rate(by_source["referral"]), 2.5 * rate(by_source["advertising"]));
}

TEST_F(DemoTest, AirConditionersPeakInSummer) {
  auto r = Q(*g_->db,
             "SELECT substr(o.ordered_at, 1, 7) AS m, SUM(l.amount) FROM orders o JOIN order_lines l "
             "ON l.tenant_id = o.tenant_id AND l.order_id = o.id JOIN products p ON p.tenant_id = "
             "l.tenant_id AND p.id = l.product_id WHERE p.category_path LIKE '家电/空调%' AND "
             "o.channel <> 'b2b' GROUP BY m");
  std::map<std::string, double> by_month;
  for (const auto& row : r.rows) by_month[AsText(row[0])] = AsDouble(row[1]);
  EXPECT_GT(by_month["2026-07"], 3.0 * by_month["2026-01"]);
}

TEST_F(DemoTest, RepsConnectBestInTheirPreferredHours) {
  // For each rep, the best 2-hour window's connect rate beats the rest of the day clearly.
  auto r = Q(*g_->db,
             "SELECT owner_id, (CAST(substr(occurred_at, 12, 2) AS INTEGER) + 8) % 24 AS h, "
             "SUM(outcome = 'connected'), COUNT(*) FROM activities WHERE kind = 'call' GROUP BY owner_id, h");
  std::map<int64_t, std::map<int, std::pair<int, int>>> reps;
  for (const auto& row : r.rows) reps[AsInt(row[0])][static_cast<int>(AsInt(row[1]))] = {AsInt(row[2]), AsInt(row[3])};
  int better = 0, total = 0;
  for (auto& [rep, hours] : reps) {
    double best = 0;
    int best_h = -1;
    for (int h = 8; h < 22; ++h) {
      auto a = hours[h], b = hours[h + 1];
      if (a.second + b.second < 15) continue;
      double rate = static_cast<double>(a.first + b.first) / (a.second + b.second);
      if (rate > best) best = rate, best_h = h;
    }
    if (best_h < 0) continue;
    int conn = 0, n = 0;
    for (auto& [h, p] : hours) {
      if (h != best_h && h != best_h + 1) conn += p.first, n += p.second;
    }
    ++total;
    better += best > 1.4 * conn / std::max(1, n);
  }
  EXPECT_GT(total, 50);
  EXPECT_GT(better, total * 8 / 10);
}

TEST_F(DemoTest, VisitsBeforeClosingDriveWins) {
  auto r = Q(*g_->db,
             "SELECT o.outcome, COUNT(a.id) * 1.0 / COUNT(DISTINCT o.id) FROM opportunities o "
             "LEFT JOIN activities a ON a.tenant_id = o.tenant_id AND a.opportunity_id = o.id "
             "WHERE o.outcome IN ('won', 'lost') GROUP BY o.outcome");
  std::map<std::string, double> avg;
  for (const auto& row : r.rows) avg[AsText(row[0])] = AsDouble(row[1]);
  EXPECT_GT(avg["won"], 1.3 * avg["lost"]);
}

TEST_F(DemoTest, JinanLivesOffOldCustomers) {
  // Revenue at or above target in the last months while fewer distinct accounts are visited.
  auto cov = Q(*g_->db,
               "SELECT a.occurred_at >= '2026-10-29', COUNT(DISTINCT a.customer_id) FROM activities a "
               "JOIN units u ON u.tenant_id = a.tenant_id AND u.id = a.unit_id "
               "WHERE u.code = 'NORTH-JN' AND a.kind = 'visit' AND a.customer_id IS NOT NULL AND "
               "a.occurred_at >= '2026-08-06' AND (a.occurred_at < '2026-09-03' OR a.occurred_at >= '2026-10-29') "
               "GROUP BY 1 ORDER BY 1");
  ASSERT_EQ(cov.size(), 2u);
  EXPECT_LT(AsInt(cov.rows[1][1]) * 2, AsInt(cov.rows[0][1]));
  auto tgt = Q(*g_->db,
               "SELECT t.value FROM targets t JOIN units u ON u.tenant_id = t.tenant_id AND u.id = t.unit_id "
               "WHERE u.code = 'NORTH-JN' AND t.metric = 'revenue' AND t.period = '2026-10'");
  auto rev = Q(*g_->db,
               "SELECT SUM(o.total) / 100.0 FROM orders o JOIN units u ON u.tenant_id = o.tenant_id AND "
               "u.id = o.unit_id WHERE u.path LIKE (SELECT path FROM units WHERE code = 'NORTH-JN') || '%' "
               "AND o.ordered_at >= '2026-09-30T16:00:00' AND o.ordered_at < '2026-10-31T16:00:00'");
  EXPECT_GT(AsDouble(rev.rows[0][0]), AsDouble(tgt.rows[0][0]));
}

}  // namespace
}  // namespace keel::demo

namespace keel::demo {
namespace {


// The agile units' services over a generated demo, on the demo's own clock.
struct UnitsEnv {
  explicit UnitsEnv(Generated& g)
      : g(g), rs(*g.db, *g.clock), approvals(*g.db, rs, *g.clock), commerce(*g.db, rs, approvals, *g.clock), governance(*g.db, *g.clock),
        budgets(*g.db, *g.clock),
        ledger(*g.db, *g.clock), sharing(*g.db, ledger, *g.clock), expenses(*g.db, rs, approvals, budgets, ledger, *g.clock) {
    commerce.SetGovernance(&governance);
    expenses.SetGovernance(&governance);
  }
  domain::Principal PrincipalOf(const std::string& username) {
    auto c = std::move(g.db->Acquire()).value();
    store::Value p[] = {g.summary.tenant_id, username};
    auto r = c->Query("SELECT u.id, u.role, u.unit_id, un.path FROM users u JOIN units un ON un.tenant_id = u.tenant_id AND un.id = u.unit_id "
                      "WHERE u.tenant_id = ? AND u.username = ?", p).value();
    domain::Principal out;
    out.tenant_id = g.summary.tenant_id;
    out.user_id = AsInt(r.rows[0][0]);
    out.role = *domain::ParseRole(AsText(r.rows[0][1]));
    out.unit_id = AsInt(r.rows[0][2]);
    out.unit_path = AsText(r.rows[0][3]);
    return out;
  }
  Generated& g;
  domain::RecordService rs;
  org::ApprovalEngine approvals;
  org::Commerce commerce;
  org::Governance governance;
  org::BudgetService budgets;
  org::Ledger ledger;
  org::ProfitSharing sharing;
  org::ExpenseService expenses;
};

// Unit accounting: every sales unit has `last_month`'s P&L with revenue, posted claims and HQ's
// allocations, and profit-sharing statements that add up to its pool; the regions and the units
// add up to the company; a rep sees only their own statements; every posted claim is in the
// ledger once with its money committed in a budget.
void SeedAndCheckAccounting(UnitsEnv& e, const std::string& last_month) {
  auto accounts = SeedAccounting(*e.g.db, e.rs, e.approvals, e.budgets, e.ledger, e.sharing, e.expenses, &e.governance, e.g.summary.tenant_id);
  ASSERT_TRUE(accounts.ok()) << accounts.status().ToString();
  EXPECT_EQ(accounts->last_month, last_month);
  EXPECT_GT(accounts->posted, 50);
  EXPECT_GE(accounts->pending, 12);  // each unit's channel conference waits for approval
  auto ops = e.PrincipalOf("ops");
  auto cons = org::ToJson(e.ledger.Consolidated(ops, last_month).value())["items"];
  ASSERT_FALSE(cons.empty());
  double company = cons[0]["figures"]["revenue"].get<double>(), regions = 0, units_revenue = 0;
  int units_with_pnl = 0;
  for (const auto& row : cons) {
    if (row["kind"] == "region") regions += row["figures"]["revenue"].get<double>();
    if (row["kind"] != "unit") continue;
    units_revenue += row["figures"]["revenue"].get<double>();
    auto pnl = org::ToJson(e.ledger.Pnl(ops, row["unit_id"].get<int64_t>(), last_month).value());
    EXPECT_GT(pnl["figures"]["revenue"].get<double>(), 0) << row.dump();
    EXPECT_GT(pnl["figures"]["expenses"].get<double>(), 0) << row.dump();      // posted claims
    EXPECT_GT(pnl["figures"]["allocations"].get<double>(), 0) << row.dump();   // HQ's shared services
    ++units_with_pnl;
    auto statements =
        org::ToJson(e.sharing.Statements(ops, {{"period", last_month}, {"unit_id", std::to_string(row["unit_id"].get<int64_t>())}}).value())["items"];
    ASSERT_FALSE(statements.empty()) << row.dump();
    double sum = 0;
    for (const auto& st : statements) sum += st["amount"].get<double>();
    EXPECT_NEAR(sum, statements[0]["pool"].get<double>(), 0.001) << row.dump();
  }
  EXPECT_EQ(units_with_pnl, 12);
  EXPECT_NEAR(regions, company, 0.01);
  EXPECT_NEAR(units_revenue, company, 0.01);  // the demo's orders all belong to sales units
  auto rep = e.PrincipalOf("sh-rep-01");
  auto mine = org::ToJson(e.sharing.Statements(rep, {}).value())["items"];
  ASSERT_FALSE(mine.empty());
  for (const auto& st : mine) EXPECT_EQ(st["user_id"], rep.user_id);
  auto c = std::move(e.g.db->Acquire()).value();
  store::Value t[] = {e.g.summary.tenant_id};
  auto posted = c->Query("SELECT COUNT(*), COALESCE(SUM(total), 0) FROM expenses WHERE tenant_id = ? AND status = 'posted'", t).value();
  auto entries = c->Query("SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM ledger_entries WHERE tenant_id = ? AND source_object = 'expenses'", t).value();
  EXPECT_EQ(AsInt(posted.rows[0][0]), AsInt(entries.rows[0][0]));
  EXPECT_EQ(AsInt(posted.rows[0][1]), AsInt(entries.rows[0][1]));
  auto uncommitted = c->Query("SELECT COUNT(*) FROM expenses WHERE tenant_id = ? AND status IN ('approved', 'posted', 'pending_approval') AND "
                              "budget_id IS NULL", t).value();
  EXPECT_EQ(AsInt(uncommitted.rows[0][0]), 0);
}

// The demo's agile units: a rep's quote beyond their discount authority goes to their unit lead
// and, when bigger, on to HQ; within authority it is approved on the spot.
TEST(DemoUnits, QuotesBeyondAuthorityGoToTheUnitLeadThenHq) {
  Generated g = Make(20261127);
  UnitsEnv e(g);
  auto seeded = SeedUnits(*g.db, e.rs, e.commerce, g.summary.tenant_id);
  ASSERT_TRUE(seeded.ok()) << seeded.status().ToString();
  const auto& q = seeded->quotes;
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q[0].status, "approved");          // 5 %: within the rep's 8 %
  EXPECT_TRUE(q[0].order_id.has_value());  // and accepted: it became an order
  EXPECT_EQ(q[1].status, "pending_approval");  // 16 %: beyond 12 % on ACs
  EXPECT_EQ(q[2].status, "pending_approval");  // 25 %
  EXPECT_EQ(seeded->budgets, 24);            // 12 units × marketing and travel
  EXPECT_EQ(seeded->materials, 5);           // 4 shared by HQ, 1 of 上海战队
  EXPECT_EQ(seeded->case_reviews, 3);
  EXPECT_FALSE(seeded->feedback_links.empty());  // one per region
  EXPECT_EQ(seeded->boundaries, 12);         // every sales unit's boundary list and sandbox
  EXPECT_EQ(seeded->sandboxes, 12);
  EXPECT_EQ(seeded->checkpoints, 2);
  auto lead = e.PrincipalOf("sh-lead"), ops = e.PrincipalOf("ops");
  // 上海战队 decides 1,500 yuan of expenses alone, reports 3,000, and needs approval for 12,000.
  EXPECT_EQ(e.governance.BoundaryFor(g.summary.tenant_id, lead.unit_id, "expense", 1500).value().mode, "alone");
  EXPECT_EQ(e.governance.BoundaryFor(g.summary.tenant_id, lead.unit_id, "expense", 3000).value().mode, "report");
  EXPECT_EQ(e.governance.BoundaryFor(g.summary.tenant_id, lead.unit_id, "expense", 12000).value().mode, "approval");
  EXPECT_EQ(e.governance.Sandbox(lead, lead.unit_id).value().allowed_roles, (std::vector<std::string>{"rep", "supervisor"}));
  auto inbox = e.approvals.Inbox(lead).value();
  ASSERT_EQ(inbox.size(), 2u) << org::ToJson(inbox).dump();
  // The unit lead approves both; the 25 % one needs HQ next, the 16 % one is done.
  auto a2 = e.approvals.Act(lead, *q[1].approval_id, "approve", {}).value();
  EXPECT_EQ(a2.status, "approved");
  auto a3 = e.approvals.Act(lead, *q[2].approval_id, "approve", {}).value();
  EXPECT_EQ(a3.status, "pending");
  EXPECT_EQ(a3.step, 1);
  auto hq_inbox = e.approvals.Inbox(ops).value();
  ASSERT_EQ(hq_inbox.size(), 1u);
  EXPECT_EQ(hq_inbox[0].record_id, q[2].id);
  EXPECT_EQ(e.approvals.Act(ops, *q[2].approval_id, "approve", {}).value().status, "approved");

  // Generated the morning of 2026-11-27: last month is October.
  SeedAndCheckAccounting(e, "2026-10");
}

// Issue 22: a history may end on any day — a month's last day, a year's, a leap day, a month's
// first — and the demo is generated, its planted structure is there, and the month a person
// calls "last month" has a complete P&L.
class DemoEndDates : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(DemoEndDates, GenerateWithThePlantedStructureAndLastMonthsAccounts) {
  const std::string end = GetParam().first, last_month = GetParam().second;
  Generated g = Make(20261127, end);
  EXPECT_EQ(g.summary.last_day, end);
  const int64_t end_day = ParseDate(end).value();
  auto utc = [](int64_t local_day) { return FormatTimestamp(local_day * 86400000LL - 8 * 3600000LL); };  // local midnight
  // The documented size, and nothing after the last day.
  EXPECT_EQ(g.summary.counts.at("leads"), 6000);
  EXPECT_GE(g.summary.counts.at("orders"), 100000);
  auto span = Q(*g.db, "SELECT MIN(ordered_at), MAX(ordered_at) FROM orders");
  EXPECT_GE(AsText(span.rows[0][0]), utc(end_day - 364));
  EXPECT_LT(AsText(span.rows[0][1]), utc(end_day + 1));
  // Per-rep visit targets for three distinct calendar months, the last one the end date's.
  auto months = Q(*g.db, "SELECT COUNT(DISTINCT period), MAX(period), COUNT(*) FROM targets WHERE user_id IS NOT NULL");
  EXPECT_EQ(AsInt(months.rows[0][0]), 3);
  EXPECT_EQ(AsText(months.rows[0][1]), end.substr(0, 7));
  EXPECT_EQ(AsInt(months.rows[0][2]), 84 * 3);
  // Air conditioners peak in July against January (both inside any 365-day window).
  auto ac = Q(*g.db,
              "SELECT substr(o.ordered_at, 6, 2) AS m, SUM(l.amount) FROM orders o JOIN order_lines l ON l.tenant_id = o.tenant_id AND "
              "l.order_id = o.id JOIN products p ON p.tenant_id = l.tenant_id AND p.id = l.product_id WHERE p.category_path LIKE '家电/空调%' "
              "AND o.channel <> 'b2b' AND substr(o.ordered_at, 6, 2) IN ('01', '07') GROUP BY m ORDER BY m");
  ASSERT_EQ(ac.size(), 2u);
  EXPECT_GT(AsDouble(ac.rows[1][1]), 3.0 * AsDouble(ac.rows[0][1]));
  // 吃老本: Jinan touches fewer than half as many accounts in the last four weeks as in the four
  // weeks before its decline began (sixteen weeks before the end).
  {
    const std::string recent = utc(end_day - 27);
    store::Value w[] = {recent, utc(end_day - 139), utc(end_day - 111), recent, utc(end_day + 1)};
    auto c = std::move(g.db->Acquire()).value();
    auto cov = c->Query("SELECT a.occurred_at >= ?, COUNT(DISTINCT a.customer_id) FROM activities a JOIN units u ON u.tenant_id = a.tenant_id "
                        "AND u.id = a.unit_id WHERE u.code = 'NORTH-JN' AND a.kind = 'visit' AND a.customer_id IS NOT NULL AND "
                        "a.occurred_at >= ? AND (a.occurred_at < ? OR (a.occurred_at >= ? AND a.occurred_at < ?)) GROUP BY 1 ORDER BY 1", w)
                   .value();
    ASSERT_EQ(cov.size(), 2u);
    EXPECT_LT(AsInt(cov.rows[1][1]) * 2, AsInt(cov.rows[0][1]));
    // The stock-out planted on the last two days in 上海战队's store visits.
    store::Value so[] = {g.summary.stockout_unit, utc(end_day - 1), utc(end_day + 1)};
    auto stockout = c->Query("SELECT COUNT(*) FROM activities WHERE owner_id IN (SELECT id FROM users WHERE unit_id = ?) AND kind = 'visit' "
                             "AND subject = '门店巡检' AND notes LIKE '%挂机%' AND occurred_at >= ? AND occurred_at < ?", so).value();
    EXPECT_GE(AsInt(stockout.rows[0][0]), 7);
  }  // the connection goes back before the units' services borrow one
  // The units' setup and last month's accounts, on the morning after the last day.
  UnitsEnv e(g);
  auto seeded = SeedUnits(*g.db, e.rs, e.commerce, g.summary.tenant_id);
  ASSERT_TRUE(seeded.ok()) << seeded.status().ToString();
  EXPECT_EQ(seeded->budgets, 24);
  SeedAndCheckAccounting(e, last_month);
}

INSTANTIATE_TEST_SUITE_P(LastDays, DemoEndDates,
                         ::testing::Values(std::make_pair("2026-11-30", "2026-11"),   // a month's last day: generated on Dec 1
                                           std::make_pair("2026-12-31", "2026-12"),   // a year's last day: generated on New Year's Day
                                           std::make_pair("2028-02-29", "2028-02"),   // a leap day
                                           std::make_pair("2026-12-01", "2026-11")),  // a month's first day
                         [](const auto& info) { return "End" + std::string(info.param.first).substr(0, 4) +
                                                       std::string(info.param.first).substr(5, 2) + std::string(info.param.first).substr(8, 2); });

// The demo command never shows an internal error: an end date that is not in the past is
// refused with a message that says so.
TEST(DemoEndDates, AnEndDateThatIsNotInThePastIsRefusedPlainly) {
  AnchoredClock clock(MorningAfter("2026-11-26").value());
  auto db = testing::NewDatabase(testing::TestBackend::kSqlite);
  domain::RecordService rs(*db, clock);
  domain::AuthService auth(*db, clock, rs);
  DemoOptions o;
  o.end_date = "2026-11-27";
  o.password = "demo-password-for-tests";
  o.quiet = true;
  auto r = Generate(*db, rs, auth, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), "demo.end_date");
  EXPECT_EQ(r.status().kind(), ErrorKind::kInvalid);
  EXPECT_NE(r.status().message_zh().find("今天"), std::string::npos);
}

}  // namespace
}  // namespace keel::demo
