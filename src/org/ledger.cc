#include "org/ledger.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "common/tz.h"
#include "domain/audit.h"
#include "domain/codec.h"
#include "domain/unit_tree.h"
#include "events/event_log.h"
#include "org/internal.h"

namespace keel::org {

using store::Value;

namespace {

const std::vector<std::string> kDrivers = {"revenue", "headcount", "orders", "fixed"};

// The months of a period: "2026-11" → itself; "2026-Q4" → three; "2026" → twelve.
Result<std::vector<std::string>> MonthsOf(const std::string& period) {
  KEEL_ASSIGN_OR_RETURN(auto days, PeriodDays(period));
  std::vector<std::string> out;
  int y = std::stoi(days.first.substr(0, 4)), m = std::stoi(days.first.substr(5, 2));
  int last = std::stoi(days.second.substr(5, 2));
  for (; m <= last; ++m) {
    char b[24];
    std::snprintf(b, sizeof b, "%04d-%02d", y, m);
    out.emplace_back(b);
  }
  return out;
}

std::string Placeholders(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += i ? ", ?" : "?";
  return s;
}

// Adds one grouped row (account, memo, sum, count) to figures.
void AddRow(PnlFigures& f, const std::string& account, const std::string& memo, int64_t sum, int64_t revenue_entries) {
  if (account == "revenue") {
    f.revenue += sum;
    f.orders += revenue_entries;
  } else if (account == "cogs") {
    f.cogs += sum;
  } else if (account == "commission") {
    f.commissions += sum;
  } else if (account == "allocation") {
    f.allocations += sum;
    f.allocation_by_rule[memo] += sum;
  } else if (account.rfind("expense:", 0) == 0) {
    f.expenses += sum;
    f.expense_by_category[account.substr(8)] += sum;
  }
}

// Grouping of entries into figures: the count of revenue entries nets refunds (negative entries).
const char* kGroupedSelect =
    "SELECT e.account, CASE WHEN e.account = 'allocation' THEN e.memo ELSE '' END, SUM(e.amount), "
    "SUM(CASE WHEN e.account = 'revenue' AND e.amount > 0 THEN 1 WHEN e.account = 'revenue' AND e.amount < 0 THEN -1 ELSE 0 END)";

json Line(const std::string& key, const std::string& zh, const std::string& en, int64_t fen) {
  return {{"key", key}, {"label_zh", zh}, {"label_en", en}, {"amount", Yuan(fen)}};
}

double Pct(int64_t part, int64_t whole) {
  return whole == 0 ? 0.0 : std::round(10000.0 * static_cast<double>(part) / static_cast<double>(whole)) / 100.0;
}

}  // namespace

Ledger::Ledger(store::Database& db, const Clock& clock) : db_(db), clock_(clock) {}

json Ledger::FiguresJson(const PnlFigures& f) {
  json by_cat = json::object(), by_rule = json::object();
  for (const auto& [k, v] : f.expense_by_category) by_cat[k] = Yuan(v);
  for (const auto& [k, v] : f.allocation_by_rule) by_rule[k] = Yuan(v);
  return {{"revenue", Yuan(f.revenue)},
          {"cogs", Yuan(f.cogs)},
          {"gross_margin", Yuan(f.gross_margin())},
          {"expenses", Yuan(f.expenses)},
          {"commissions", Yuan(f.commissions)},
          {"contribution_margin", Yuan(f.contribution_margin())},
          {"allocations", Yuan(f.allocations)},
          {"operating_profit", Yuan(f.operating_profit())},
          {"orders", f.orders},
          {"gross_margin_pct", Pct(f.gross_margin(), f.revenue)},
          {"contribution_margin_pct", Pct(f.contribution_margin(), f.revenue)},
          {"operating_margin_pct", Pct(f.operating_profit(), f.revenue)},
          {"expenses_by_category", by_cat},
          {"allocations_by_rule", by_rule}};
}

// ---- settings and allocation rules ----

Result<json> Ledger::Settings(const Principal& p) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  Value q[] = {p.tenant_id};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query("SELECT settings, updated_at FROM accounting_settings WHERE tenant_id = ?", q));
  json s = {{"commission_pct", 0.0}};
  if (!r.empty()) {
    json stored = json::parse(store::AsText(r.rows[0][0]), nullptr, false);
    if (stored.is_object()) s.update(stored);
    s["updated_at"] = store::AsText(r.rows[0][1]);
  }
  return s;
}

Result<json> Ledger::SaveSettings(const Principal& p, const json& body) {
  if (!IsHq(p)) return Forbidden("only HQ sets the accounting rules", "只有总部可以设置核算规则");
  KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"commission_pct"}));
  json s = {{"commission_pct", 0.0}};
  if (body.contains("commission_pct")) {
    const json& c = body["commission_pct"];
    if (!c.is_number() || c.get<double>() < 0 || c.get<double>() > 50) {
      return Bad("validation.range", "commission_pct is a percentage from 0 to 50", "commission_pct 应为 0 到 50 的百分比", "commission_pct");
    }
    s["commission_pct"] = c.get<double>();
  }
  KEEL_ASSIGN_OR_RETURN(json before, Settings(p));
  before.erase("updated_at");
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  const TimeMs now = clock_.NowMs();
  Value q[] = {p.tenant_id, s.dump(), FormatTimestamp(now), p.user_id ? Value(p.user_id) : Value()};
  KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO accounting_settings (tenant_id, settings, updated_at, updated_by) VALUES (?, ?, ?, ?) "
                                  "ON CONFLICT (tenant_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at, "
                                  "updated_by = excluded.updated_by", q).status());
  KEEL_RETURN_IF_ERROR(domain::AuditChange(*conn, p, now, {"update", "accounting_settings", p.tenant_id, before, s}));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return Settings(p);
}

Result<json> Ledger::SaveAllocationRule(const Principal& p, const json& body) {
  if (!IsHq(p)) return Forbidden("only HQ sets allocation rules", "只有总部可以设置分摊规则");
  KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"name", "monthly_amount", "driver", "shares"}));
  std::string name = body.value("name", json("")).is_string() ? body.value("name", "") : "";
  if (name.empty() || name.size() > 200) return Bad("validation.required", "name is required (at most 200 bytes)", "name 为必填项（不超过 200 字节）", "name");
  if (!body.contains("monthly_amount")) return Bad("validation.required", "monthly_amount is required", "monthly_amount 为必填项", "monthly_amount");
  KEEL_ASSIGN_OR_RETURN(int64_t amount, Fen(body["monthly_amount"], "monthly_amount"));
  std::string driver = body.value("driver", json("revenue")).is_string() ? body.value("driver", "revenue") : "";
  if (std::find(kDrivers.begin(), kDrivers.end(), driver) == kDrivers.end()) {
    return Bad("validation.enum", "driver is one of: revenue, headcount, orders, fixed", "driver 只能取：revenue、headcount、orders、fixed", "driver");
  }
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  json shares = json::object();
  if (driver == "fixed") {
    if (!body.contains("shares") || !body["shares"].is_object() || body["shares"].empty()) {
      return Bad("validation.required", "a fixed allocation needs shares {unit_id: percent}", "固定比例分摊需要 shares {单元ID: 百分比}", "shares");
    }
    double total = 0;
    for (const auto& [k, v] : body["shares"].items()) {
      char* end = nullptr;
      long long unit = std::strtoll(k.c_str(), &end, 10);
      if (k.empty() || *end || unit <= 0) return Bad("validation.parameter", "shares are keyed by unit id", "shares 的键应为单元 ID", "shares." + k);
      if (!v.is_number() || v.get<double>() <= 0 || v.get<double>() > 100) {
        return Bad("validation.range", "a share is a percentage above 0 and at most 100", "比例应大于 0 且不超过 100", "shares." + k);
      }
      auto path = UnitPathOf(*conn, p.tenant_id, unit);
      if (!path.ok()) return Bad("validation.reference", "no unit " + k + " in this tenant", "本租户没有单元 " + k, "shares." + k);
      std::string key = std::to_string(unit);  // "01003" and "1003" are the same unit
      if (shares.contains(key)) return Bad("validation.duplicate", "unit " + key + " is listed twice", "单元 " + key + " 重复", "shares." + k);
      total += v.get<double>();
      shares[key] = v.get<double>();
    }
    if (std::fabs(total - 100) > 1e-6) return Bad("validation.range", "shares add up to 100", "各单元比例之和应为 100", "shares");
  }
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
  const TimeMs now = clock_.NowMs();
  Value q[] = {p.tenant_id, ids[0], name, amount, driver, shares.dump(), FormatTimestamp(now), p.user_id ? Value(p.user_id) : Value()};
  KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO allocation_rules (tenant_id, id, name, monthly_amount, driver, shares, created_at, created_by) "
                                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", q).status());
  json out = {{"id", ids[0]}, {"name", name}, {"monthly_amount", Yuan(amount)}, {"driver", driver}, {"shares", shares}};
  KEEL_RETURN_IF_ERROR(domain::AuditChange(*conn, p, now, {"create", "allocation_rules", ids[0], nullptr, out}));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return out;
}

Result<json> Ledger::AllocationRules(const Principal& p) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  Value q[] = {p.tenant_id};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(
      "SELECT id, name, monthly_amount, driver, shares, created_at FROM allocation_rules WHERE tenant_id = ? AND archived_at IS NULL ORDER BY id", q));
  json items = json::array();
  for (const auto& row : r.rows) {
    items.push_back({{"id", store::AsInt(row[0])}, {"name", store::AsText(row[1])}, {"monthly_amount", Yuan(store::AsInt(row[2]))},
                     {"driver", store::AsText(row[3])}, {"shares", json::parse(store::AsText(row[4]), nullptr, false)},
                     {"created_at", store::AsText(row[5])}});
  }
  return json{{"items", items}};
}

Result<json> Ledger::ArchiveAllocationRule(const Principal& p, int64_t id) {
  if (!IsHq(p)) return Forbidden("only HQ changes allocation rules", "只有总部可以修改分摊规则");
  return ArchiveRule(db_, p, clock_.NowMs(), "allocation_rules", id, "allocation rule");
}

// ---- periods ----

bool Ledger::IsClosed(store::Connection& conn, int64_t tenant, const std::string& period) {
  Value q[] = {tenant, period};
  auto r = conn.Query("SELECT status FROM ledger_periods WHERE tenant_id = ? AND period = ?", q);
  return r.ok() && !r->empty() && store::AsText(r->rows[0][0]) == "closed";
}

Result<std::string> Ledger::OpenPeriodFor(store::Connection& conn, int64_t tenant, const std::string& day) {
  std::string period = day.substr(0, 7);
  KEEL_RETURN_IF_ERROR(CheckMonth(period, "day"));
  for (int guard = 0; guard < 240 && IsClosed(conn, tenant, period); ++guard) {
    int y = std::stoi(period.substr(0, 4)), m = std::stoi(period.substr(5, 2)) + 1;
    if (m == 13) m = 1, ++y;
    char b[24];
    std::snprintf(b, sizeof b, "%04d-%02d", y, m);
    period = b;
  }
  return period;
}

Status Ledger::Append(store::Connection& conn, int64_t tenant, int64_t unit, int64_t user, const std::string& period, const std::string& day,
                      const std::string& account, int64_t amount, const std::string& source_object, int64_t source_id, const std::string& memo,
                      int64_t actor) {
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn.AllocateIds(1));
  Value q[] = {tenant, ids[0], unit, user ? Value(user) : Value(), period, day, account, amount, source_object, source_id,
               memo.empty() ? Value() : Value(memo), FormatTimestamp(clock_.NowMs()), actor ? Value(actor) : Value()};
  return conn.Exec("INSERT INTO ledger_entries (tenant_id, id, unit_id, user_id, period, day, account, amount, source_object, source_id, memo, "
                   "posted_at, posted_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", q).status();
}

Result<json> Ledger::PostPeriod(const Principal& p, const std::string& period) {
  if (!IsHq(p)) return Forbidden("only HQ posts the ledger", "只有总部可以过账");
  KEEL_RETURN_IF_ERROR(CheckMonth(period));
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  KEEL_ASSIGN_OR_RETURN(json out, PostLocked(*conn, p, period));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return out;
}

Result<json> Ledger::PostLocked(store::Connection& conn, const Principal& p, const std::string& period) {
  const int64_t tenant = p.tenant_id, actor = p.user_id;
  if (IsClosed(conn, tenant, period)) {
    return Status::Error(ErrorKind::kConflict, "ledger.closed", period + " is closed; it takes no more entries", period + " 已结账，不能再过账", "period");
  }
  KEEL_ASSIGN_OR_RETURN(auto bounds, MonthUtcBounds(conn, tenant, period));
  KEEL_ASSIGN_OR_RETURN(auto days, PeriodDays(period));
  KEEL_ASSIGN_OR_RETURN(std::string today, LocalToday(conn, tenant, clock_.NowMs()));
  if (days.first > today) {
    return Bad("validation.range", period + " has not started yet", period + " 尚未开始", "period");
  }
  Value tq[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows tz, conn.Query("SELECT time_zone FROM tenants WHERE id = ?", tq));
  KEEL_ASSIGN_OR_RETURN(auto zone, TimeZone::Load(store::AsText(tz.rows[0][0])));
  KEEL_ASSIGN_OR_RETURN(store::Rows st, conn.Query("SELECT settings FROM accounting_settings WHERE tenant_id = ?", tq));
  double commission_pct = 0;
  if (!st.empty()) {
    json s = json::parse(store::AsText(st.rows[0][0]), nullptr, false);
    if (s.is_object() && s.value("commission_pct", json(0)).is_number()) commission_pct = s["commission_pct"].get<double>();
  }
  int64_t posted = 0, reversed = 0, entries = 0, missing_cost = 0;
  // Orders dated in the closed months just before this one (entered late) post to this month, as
  // expense claims do; `from` is the start of the earliest of them.
  std::string from = bounds.first;
  {
    std::string m = period;
    for (int guard = 0; guard < 240; ++guard) {
      int y = std::stoi(m.substr(0, 4)), mo = std::stoi(m.substr(5, 2)) - 1;
      if (mo == 0) mo = 12, --y;
      char b[24];
      std::snprintf(b, sizeof b, "%04d-%02d", y, mo);
      if (!IsClosed(conn, tenant, b)) break;
      m = b;
    }
    if (m != period) {
      KEEL_ASSIGN_OR_RETURN(auto earliest, MonthUtcBounds(conn, tenant, m));
      from = earliest.first;
    }
  }
  // 1. Paid orders of the month (and of closed months before it) not yet posted: revenue, cost
  //    of goods, commission.
  {
    Value q[] = {tenant, from, bounds.second};
    KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
        "SELECT o.id, o.unit_id, o.owner_id, o.total, o.ordered_at, o.code, "
        "COALESCE(SUM(l.qty * p.cost), 0), SUM(CASE WHEN p.cost IS NULL THEN 1 ELSE 0 END) "
        "FROM orders o JOIN order_lines l ON l.tenant_id = o.tenant_id AND l.order_id = o.id "
        "JOIN products p ON p.tenant_id = l.tenant_id AND p.id = l.product_id "
        "WHERE o.tenant_id = ? AND o.ordered_at >= ? AND o.ordered_at < ? AND o.status = 'paid' AND o.archived_at IS NULL "
        "AND o.unit_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ledger_entries e WHERE e.tenant_id = o.tenant_id AND "
        "e.source_object = 'orders' AND e.source_id = o.id AND e.account = 'revenue') "
        "GROUP BY o.id, o.unit_id, o.owner_id, o.total, o.ordered_at, o.code",
        q));
    for (const auto& row : r.rows) {
      int64_t id = store::AsInt(row[0]), unit = store::AsInt(row[1]);
      int64_t owner = store::IsNull(row[2]) ? 0 : store::AsInt(row[2]);
      int64_t total = store::AsInt(row[3]), cost = store::AsInt(row[6]);
      auto at = ParseTimestamp(store::AsText(row[4]));
      std::string day = at.ok() ? FormatDate(zone->ToLocal(*at) / 86400000) : days.first;
      if (day < days.first) day = days.first;  // from a closed month: booked on this month's first day
      std::string memo = store::AsText(row[5]);
      missing_cost += store::AsInt(row[7]);
      KEEL_RETURN_IF_ERROR(Append(conn, tenant, unit, owner, period, day, "revenue", total, "orders", id, memo, actor));
      ++entries;
      if (cost != 0) {
        KEEL_RETURN_IF_ERROR(Append(conn, tenant, unit, owner, period, day, "cogs", cost, "orders", id, memo, actor));
        ++entries;
      }
      int64_t commission = std::llround(static_cast<double>(total) * commission_pct / 100.0);
      if (commission != 0 && owner != 0) {
        KEEL_RETURN_IF_ERROR(Append(conn, tenant, unit, owner, period, day, "commission", commission, "orders", id, memo, actor));
        ++entries;
      }
      ++posted;
    }
  }
  // 2. Orders refunded (or cancelled) by the end of the month whose revenue was posted earlier:
  //    their entries reversed in this month.
  {
    Value q[] = {tenant, bounds.second};
    KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
        "SELECT e.source_id, e.unit_id, e.user_id, e.account, e.amount, e.memo FROM ledger_entries e JOIN orders o ON o.tenant_id = e.tenant_id "
        "AND o.id = e.source_id WHERE e.tenant_id = ? AND e.source_object = 'orders' AND o.status IN ('refunded', 'cancelled') AND "
        "o.updated_at < ? AND NOT EXISTS (SELECT 1 FROM ledger_entries x WHERE x.tenant_id = e.tenant_id AND x.source_object = 'order_refunds' "
        "AND x.source_id = e.source_id) ORDER BY e.source_id, e.account",
        q));
    std::set<int64_t> orders;
    for (const auto& row : r.rows) {
      int64_t user = store::IsNull(row[2]) ? 0 : store::AsInt(row[2]);
      KEEL_RETURN_IF_ERROR(Append(conn, tenant, store::AsInt(row[1]), user, period, days.second, store::AsText(row[3]), -store::AsInt(row[4]),
                                  "order_refunds", store::AsInt(row[0]), store::AsText(row[5]), actor));
      ++entries;
      orders.insert(store::AsInt(row[0]));
    }
    reversed = static_cast<int64_t>(orders.size());
  }
  // 3. HQ's shared-service costs, allocated anew to the profit-centre units (kind "unit").
  int64_t allocated = 0;
  {
    Value dq[] = {tenant, period};
    KEEL_RETURN_IF_ERROR(conn.Exec("DELETE FROM ledger_entries WHERE tenant_id = ? AND period = ? AND source_object = 'allocation_rules'", dq).status());
    KEEL_ASSIGN_OR_RETURN(store::Rows rules, conn.Query(
        "SELECT id, name, monthly_amount, driver, shares FROM allocation_rules WHERE tenant_id = ? AND archived_at IS NULL ORDER BY id", tq));
    KEEL_ASSIGN_OR_RETURN(store::Rows units, conn.Query(
        "SELECT id, path FROM units WHERE tenant_id = ? AND kind = 'unit' AND archived_at IS NULL ORDER BY path", tq));
    for (const auto& rule : rules.rows) {
      std::string driver = store::AsText(rule[3]);
      std::vector<int64_t> targets;
      std::vector<double> weights;
      if (driver == "fixed") {
        json shares = json::parse(store::AsText(rule[4]), nullptr, false);
        if (!shares.is_object()) continue;
        for (const auto& [k, v] : shares.items()) {
          targets.push_back(std::stoll(k));
          weights.push_back(v.get<double>());
        }
      } else {
        for (const auto& u : units.rows) {
          targets.push_back(store::AsInt(u[0]));
          std::string path = store::AsText(u[1]) + "%";
          double w = 0;
          if (driver == "headcount") {
            Value hq[] = {tenant, path};
            KEEL_ASSIGN_OR_RETURN(store::Rows h, conn.Query(
                "SELECT COUNT(*) FROM users s JOIN units x ON x.tenant_id = s.tenant_id AND x.id = s.unit_id WHERE s.tenant_id = ? AND "
                "x.path LIKE ? AND s.status = 'active'", hq));
            w = static_cast<double>(store::AsInt(h.rows[0][0]));
          } else {
            KEEL_ASSIGN_OR_RETURN(PnlFigures f, Figures(conn, tenant, store::AsText(u[1]), period));
            w = driver == "revenue" ? static_cast<double>(f.revenue) : static_cast<double>(f.orders);
          }
          weights.push_back(w);
        }
      }
      std::vector<int64_t> parts = SplitExact(store::AsInt(rule[2]), weights);
      for (size_t i = 0; i < targets.size(); ++i) {
        if (parts[i] == 0) continue;
        KEEL_RETURN_IF_ERROR(Append(conn, tenant, targets[i], 0, period, days.second, "allocation", parts[i], "allocation_rules",
                                    store::AsInt(rule[0]), store::AsText(rule[1]), actor));
        ++entries;
        ++allocated;
      }
    }
  }
  std::string now = FormatTimestamp(clock_.NowMs());
  Value up[] = {tenant, period, now};
  KEEL_RETURN_IF_ERROR(conn.Exec("INSERT INTO ledger_periods (tenant_id, period, status, posted_at) VALUES (?, ?, 'open', ?) "
                                 "ON CONFLICT (tenant_id, period) DO UPDATE SET posted_at = excluded.posted_at", up).status());
  return json{{"period", period},           {"orders_posted", posted}, {"orders_reversed", reversed}, {"allocations", allocated},
              {"entries", entries},         {"lines_without_cost", missing_cost},
              {"note_en", missing_cost ? "some order lines have products without a cost; their cost of goods counts as 0" : ""},
              {"note_zh", missing_cost ? "部分订单行的产品没有成本，按 0 计入销售成本" : ""}};
}

Result<json> Ledger::ClosePeriod(const Principal& p, const std::string& period) {
  if (!IsHq(p)) return Forbidden("only HQ closes a period", "只有总部可以结账");
  KEEL_RETURN_IF_ERROR(CheckMonth(period));
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  KEEL_ASSIGN_OR_RETURN(auto days, PeriodDays(period));
  KEEL_ASSIGN_OR_RETURN(std::string today, LocalToday(*conn, p.tenant_id, clock_.NowMs()));
  if (days.second >= today) {
    return Status::Error(ErrorKind::kConflict, "ledger.not_over", period + " is not over yet", period + " 尚未结束，不能结账", "period");
  }
  if (IsClosed(*conn, p.tenant_id, period)) {
    return Status::Error(ErrorKind::kConflict, "ledger.closed", period + " is already closed", period + " 已结账", "period");
  }
  // What happened in the month is posted before it closes.
  KEEL_ASSIGN_OR_RETURN(json posted, PostLocked(*conn, p, period));
  std::string now = FormatTimestamp(clock_.NowMs());
  Value up[] = {p.tenant_id, period, now, now, p.user_id ? Value(p.user_id) : Value()};
  KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO ledger_periods (tenant_id, period, status, posted_at, closed_at, closed_by) VALUES (?, ?, 'closed', ?, ?, ?) "
                                  "ON CONFLICT (tenant_id, period) DO UPDATE SET status = 'closed', closed_at = excluded.closed_at, "
                                  "closed_by = excluded.closed_by", up).status());
  KEEL_RETURN_IF_ERROR(domain::AuditChange(*conn, p, clock_.NowMs(), {"close", "ledger_periods", 0, {{"period", period}, {"status", "open"}},
                                                                      {{"period", period}, {"status", "closed"}, {"closed_at", now}}}));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return json{{"period", period}, {"status", "closed"}, {"closed_at", now}, {"last_posting", posted}};
}

Result<json> Ledger::Periods(const Principal& p) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  Value q[] = {p.tenant_id};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(
      "SELECT period, status, posted_at, closed_at, closed_by FROM ledger_periods WHERE tenant_id = ? ORDER BY period DESC", q));
  json items = json::array();
  for (const auto& row : r.rows) {
    items.push_back({{"period", store::AsText(row[0])}, {"status", store::AsText(row[1])},
                     {"posted_at", store::IsNull(row[2]) ? json(nullptr) : json(store::AsText(row[2]))},
                     {"closed_at", store::IsNull(row[3]) ? json(nullptr) : json(store::AsText(row[3]))},
                     {"closed_by", store::IsNull(row[4]) ? json(nullptr) : json(store::AsInt(row[4]))}});
  }
  return json{{"items", items}};
}

// ---- reading ----

Result<PnlFigures> Ledger::Figures(store::Connection& conn, int64_t tenant, const std::string& unit_path, const std::string& period, int64_t user) {
  KEEL_ASSIGN_OR_RETURN(std::vector<std::string> months, MonthsOf(period));
  std::vector<Value> q = {tenant, domain::UnitTree::SubtreePattern(unit_path)};
  for (const auto& m : months) q.emplace_back(m);
  std::string sql = std::string(kGroupedSelect) +
                    " FROM ledger_entries e JOIN units u ON u.tenant_id = e.tenant_id AND u.id = e.unit_id WHERE e.tenant_id = ? AND "
                    "u.path LIKE ? AND e.period IN (" + Placeholders(months.size()) + ")";
  if (user) {
    sql += " AND e.user_id = ?";
    q.emplace_back(user);
  }
  sql += " GROUP BY e.account, CASE WHEN e.account = 'allocation' THEN e.memo ELSE '' END";
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(sql, q));
  PnlFigures f;
  for (const auto& row : r.rows) AddRow(f, store::AsText(row[0]), store::AsText(row[1]), store::AsInt(row[2]), store::AsInt(row[3]));
  return f;
}

Result<json> Ledger::Pnl(const Principal& p, int64_t unit, const std::string& period) {
  KEEL_ASSIGN_OR_RETURN(std::vector<std::string> months, MonthsOf(period));
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  Value uq[] = {p.tenant_id, unit};
  KEEL_ASSIGN_OR_RETURN(store::Rows u, conn->Query("SELECT path, name, code, kind FROM units WHERE tenant_id = ? AND id = ?", uq));
  if (u.empty() || !SeesUnit(p, store::AsText(u.rows[0][0]))) return Status::NotFound("unit");
  KEEL_ASSIGN_OR_RETURN(PnlFigures f, Figures(*conn, p.tenant_id, store::AsText(u.rows[0][0]), period));
  json lines = json::array();
  lines.push_back(Line("revenue", "营业收入", "Revenue", f.revenue));
  lines.push_back(Line("cogs", "销售成本", "Cost of goods sold", f.cogs));
  lines.push_back(Line("gross_margin", "毛利", "Gross margin", f.gross_margin()));
  json expense = Line("expenses", "费用", "Expenses", f.expenses);
  expense["detail"] = json::object();
  for (const auto& [k, v] : f.expense_by_category) expense["detail"][k] = Yuan(v);
  lines.push_back(expense);
  lines.push_back(Line("commissions", "销售提成", "Commissions", f.commissions));
  lines.push_back(Line("contribution_margin", "贡献毛利", "Contribution margin", f.contribution_margin()));
  json alloc = Line("allocations", "总部分摊", "HQ allocations", f.allocations);
  alloc["detail"] = json::object();
  for (const auto& [k, v] : f.allocation_by_rule) alloc["detail"][k] = Yuan(v);
  lines.push_back(alloc);
  lines.push_back(Line("operating_profit", "经营利润", "Operating profit", f.operating_profit()));
  std::vector<Value> pq = {p.tenant_id};
  for (const auto& m : months) pq.emplace_back(m);
  KEEL_ASSIGN_OR_RETURN(store::Rows closed, conn->Query(
      "SELECT period, status FROM ledger_periods WHERE tenant_id = ? AND period IN (" + Placeholders(months.size()) + ")", pq));
  json status = json::object();
  for (const auto& m : months) status[m] = "not_posted";
  for (const auto& row : closed.rows) status[store::AsText(row[0])] = store::AsText(row[1]);
  return json{{"unit_id", unit},
              {"unit", store::AsText(u.rows[0][1])},
              {"unit_code", store::AsText(u.rows[0][2])},
              {"kind", store::AsText(u.rows[0][3])},
              {"period", period},
              {"months", status},
              {"lines", lines},
              {"figures", FiguresJson(f)},
              {"formula_en", "gross margin = revenue − cost of goods; contribution margin = gross margin − expenses − commissions; "
                             "operating profit = contribution margin − HQ allocations"},
              {"formula_zh", "毛利 = 营业收入 − 销售成本；贡献毛利 = 毛利 − 费用 − 销售提成；经营利润 = 贡献毛利 − 总部分摊"},
              {"entries", "/api/v1/ledger/entries?unit_id=" + std::to_string(unit) + "&period=" + months.front()}};
}

Result<json> Ledger::Consolidated(const Principal& p, const std::string& period) {
  KEEL_ASSIGN_OR_RETURN(std::vector<std::string> months, MonthsOf(period));
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  Value tq[] = {p.tenant_id};
  KEEL_ASSIGN_OR_RETURN(store::Rows units, conn->Query(
      "SELECT id, path, name, code, kind, parent_id, archived_at FROM units WHERE tenant_id = ? ORDER BY path", tq));
  std::vector<Value> q = {p.tenant_id};
  for (const auto& m : months) q.emplace_back(m);
  // One pass over the entries grouped by unit, then rolled up along each unit's path.
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(
      std::string(kGroupedSelect) + ", e.unit_id FROM ledger_entries e WHERE e.tenant_id = ? AND e.period IN (" + Placeholders(months.size()) +
          ") GROUP BY e.unit_id, e.account, CASE WHEN e.account = 'allocation' THEN e.memo ELSE '' END", q));
  std::map<int64_t, PnlFigures> own, rolled;
  std::map<int64_t, std::string> path_of;
  for (const auto& u : units.rows) path_of[store::AsInt(u[0])] = store::AsText(u[1]);
  for (const auto& row : r.rows) AddRow(own[store::AsInt(row[4])], store::AsText(row[0]), store::AsText(row[1]), store::AsInt(row[2]), store::AsInt(row[3]));
  for (const auto& [unit, f] : own) {
    auto it = path_of.find(unit);
    std::vector<int64_t> chain = it == path_of.end() ? std::vector<int64_t>{unit} : PathIds(it->second);
    for (int64_t a : chain) {
      PnlFigures& t = rolled[a];
      t.revenue += f.revenue, t.cogs += f.cogs, t.expenses += f.expenses, t.commissions += f.commissions, t.allocations += f.allocations;
      t.orders += f.orders;
      for (const auto& [k, v] : f.expense_by_category) t.expense_by_category[k] += v;
      for (const auto& [k, v] : f.allocation_by_rule) t.allocation_by_rule[k] += v;
    }
  }
  json rows = json::array();
  for (const auto& u : units.rows) {
    std::string path = store::AsText(u[1]);
    // Archived units' entries count in their ancestors' totals (above); the rows are the live units.
    if (!SeesUnit(p, path) || !store::IsNull(u[6])) continue;
    int64_t id = store::AsInt(u[0]);
    rows.push_back({{"unit_id", id},
                    {"unit", store::AsText(u[2])},
                    {"code", store::AsText(u[3])},
                    {"kind", store::AsText(u[4])},
                    {"parent_id", store::IsNull(u[5]) ? json(nullptr) : json(store::AsInt(u[5]))},
                    {"depth", static_cast<int64_t>(PathIds(path).size()) - 1},
                    {"figures", FiguresJson(rolled[id])},
                    {"own", FiguresJson(own[id])}});
  }
  return json{{"period", period},
              {"items", rows},
              {"note_en", "each row is the unit with everything under it; `own` is what is booked on the unit itself"},
              {"note_zh", "每行为该单元及其全部下级的合计；own 为直接记在该单元上的部分"}};
}

Result<json> Ledger::Entries(const Principal& p, const std::vector<std::pair<std::string, std::string>>& query) {
  std::string where = " WHERE e.tenant_id = ?";
  std::vector<Value> params = {p.tenant_id};
  int64_t limit = 200, after = 0;
  auto number = [](const std::string& k, const std::string& v) -> Result<int64_t> {
    char* end = nullptr;
    long long x = std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || *end || x < 0) return Bad("validation.parameter", k + " must be a non-negative integer", k + " 应为非负整数", k);
    return static_cast<int64_t>(x);
  };
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  std::string scope = p.unit_path;
  for (const auto& [k, v] : query) {
    if (k == "period") {
      KEEL_RETURN_IF_ERROR(CheckMonth(v));
      where += " AND e.period = ?";
      params.emplace_back(v);
    } else if (k == "unit_id") {
      KEEL_ASSIGN_OR_RETURN(int64_t unit, number(k, v));
      auto path = UnitPathOf(*conn, p.tenant_id, unit);
      if (!path.ok() || !SeesUnit(p, *path)) return Status::NotFound("unit", "unit_id");
      where += domain::UnitTree::PathWithin("u.path", *path, params);
    } else if (k == "account") {
      // A family of accounts by its prefix too: account=expense is every expense:<category>.
      where += " AND (e.account = ? OR e.account LIKE ?)";
      params.emplace_back(v);
      params.emplace_back(v + ":%");
    } else if (k == "source_object") {
      where += " AND e." + k + " = ?";
      params.emplace_back(v);
    } else if (k == "source_id" || k == "user_id") {
      KEEL_ASSIGN_OR_RETURN(int64_t x, number(k, v));
      where += " AND e." + k + " = ?";
      params.emplace_back(x);
    } else if (k == "limit") {
      KEEL_ASSIGN_OR_RETURN(limit, number(k, v));
      if (limit < 1 || limit > 1000) return Bad("validation.parameter", "limit is from 1 to 1000", "limit 应为 1 到 1000", k);
    } else if (k == "after") {
      KEEL_ASSIGN_OR_RETURN(after, number(k, v));
    } else {
      return Bad("validation.parameter", "unknown parameter '" + k + "'", "未知参数 '" + k + "'", k);
    }
  }
  if (!p.is_system() && !domain::SeesWholeTenant(p.role)) {
    where += domain::UnitTree::PathWithin("u.path", scope, params);
  }
  where += " AND e.id > ?";
  params.emplace_back(after);
  params.emplace_back(limit + 1);
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(
      "SELECT e.id, e.unit_id, u.name, e.user_id, e.period, e.day, e.account, e.amount, e.source_object, e.source_id, e.memo, e.posted_at "
      "FROM ledger_entries e JOIN units u ON u.tenant_id = e.tenant_id AND u.id = e.unit_id" + where + " ORDER BY e.id LIMIT ?", params));
  json items = json::array();
  for (size_t i = 0; i < r.rows.size() && static_cast<int64_t>(i) < limit; ++i) {
    const auto& row = r.rows[i];
    items.push_back({{"id", store::AsInt(row[0])}, {"unit_id", store::AsInt(row[1])}, {"unit", store::AsText(row[2])},
                     {"user_id", store::IsNull(row[3]) ? json(nullptr) : json(store::AsInt(row[3]))}, {"period", store::AsText(row[4])},
                     {"day", store::AsText(row[5])}, {"account", store::AsText(row[6])}, {"amount", Yuan(store::AsInt(row[7]))},
                     {"source_object", store::AsText(row[8])}, {"source_id", store::AsInt(row[9])},
                     {"memo", store::IsNull(row[10]) ? json(nullptr) : json(store::AsText(row[10]))}, {"posted_at", store::AsText(row[11])}});
  }
  json out = {{"items", items}};
  if (static_cast<int64_t>(r.rows.size()) > limit) out["next_after"] = items.back()["id"];
  return out;
}

}  // namespace keel::org
