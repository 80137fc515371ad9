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
#include "org/ledger_json.h"
#include "org/store/ledger.h"
#include "org/store/shared.h"

namespace keel::org {

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

Result<AccountingSettings> Ledger::Settings(const Principal& p) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::SettingsRow> r, repo::LoadAccountingSettings(*conn, p.tenant_id));
  AccountingSettings s;
  if (r) {
    json stored = json::parse(r->settings, nullptr, false);
    if (stored.is_object() && stored.value("commission_pct", json(0)).is_number()) s.commission_pct = stored["commission_pct"].get<double>();
    s.updated_at = r->updated_at;
  }
  return s;
}

Result<AccountingSettings> Ledger::SaveSettings(const Principal& p, const SettingsChange& change) {
  if (!IsHq(p)) return Forbidden("only HQ sets the accounting rules", "只有总部可以设置核算规则");
  KEEL_RETURN_IF_ERROR(change.problem);
  AccountingSettings s;
  if (change.commission_pct) {
    double c = *change.commission_pct;
    if (!std::isfinite(c) || c < 0 || c > 50) {
      return Bad("validation.range", "commission_pct is a percentage from 0 to 50", "commission_pct 应为 0 到 50 的百分比", "commission_pct");
    }
    s.commission_pct = c;
  }
  KEEL_ASSIGN_OR_RETURN(AccountingSettings before, Settings(p));
  before.updated_at.reset();
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  const TimeMs now = clock_.NowMs();
  json after = ToJson(s);
  KEEL_RETURN_IF_ERROR(repo::SaveAccountingSettings(*conn, p.tenant_id, after.dump(), FormatTimestamp(now), ActorOf(p)));
  KEEL_RETURN_IF_ERROR(domain::AuditChange(*conn, p, now, {"update", "accounting_settings", p.tenant_id, ToJson(before), after}));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return Settings(p);
}

Result<AllocationRule> Ledger::SaveAllocationRule(const Principal& p, const AllocationRuleDraft& draft) {
  if (!IsHq(p)) return Forbidden("only HQ sets allocation rules", "只有总部可以设置分摊规则");
  KEEL_RETURN_IF_ERROR(draft.problem);
  const std::string& name = draft.name;
  if (name.empty() || name.size() > 200) return Bad("validation.required", "name is required (at most 200 bytes)", "name 为必填项（不超过 200 字节）", "name");
  if (!draft.monthly_amount) return Bad("validation.required", "monthly_amount is required", "monthly_amount 为必填项", "monthly_amount");
  KEEL_ASSIGN_OR_RETURN(int64_t amount, Fen(*draft.monthly_amount, "monthly_amount"));
  const std::string& driver = draft.driver;
  if (std::find(kDrivers.begin(), kDrivers.end(), driver) == kDrivers.end()) {
    return Bad("validation.enum", "driver is one of: revenue, headcount, orders, fixed", "driver 只能取：revenue、headcount、orders、fixed", "driver");
  }
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  AllocationRule rule = {.name = name, .monthly_amount_fen = amount, .driver = driver};
  if (driver == "fixed") {
    if (!draft.shares || draft.shares->empty()) {
      return Bad("validation.required", "a fixed allocation needs shares {unit_id: percent}", "固定比例分摊需要 shares {单元ID: 百分比}", "shares");
    }
    double total = 0;
    for (const auto& [k, v] : *draft.shares) {
      char* end = nullptr;
      long long unit = std::strtoll(k.c_str(), &end, 10);
      if (k.empty() || *end || unit <= 0) return Bad("validation.parameter", "shares are keyed by unit id", "shares 的键应为单元 ID", "shares." + k);
      if (!std::isfinite(v) || v <= 0 || v > 100) {
        return Bad("validation.range", "a share is a percentage above 0 and at most 100", "比例应大于 0 且不超过 100", "shares." + k);
      }
      auto path = UnitPathOf(*conn, p.tenant_id, unit);
      if (!path.ok()) return Bad("validation.reference", "no unit " + k + " in this tenant", "本租户没有单元 " + k, "shares." + k);
      std::string key = std::to_string(unit);  // "01003" and "1003" are the same unit
      if (rule.shares.count(key)) return Bad("validation.duplicate", "unit " + key + " is listed twice", "单元 " + key + " 重复", "shares." + k);
      total += v;
      rule.shares[key] = v;
    }
    if (std::fabs(total - 100) > 1e-6) return Bad("validation.range", "shares add up to 100", "各单元比例之和应为 100", "shares");
  }
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
  rule.id = ids[0];
  const TimeMs now = clock_.NowMs();
  json out = ToJson(rule);
  KEEL_RETURN_IF_ERROR(repo::InsertAllocationRule(*conn, p.tenant_id,
                                                 {.id = ids[0], .name = name, .monthly_amount_fen = amount, .driver = driver,
                                                  .shares = out["shares"].dump(), .created_at = FormatTimestamp(now)},
                                                 ActorOf(p)));
  KEEL_RETURN_IF_ERROR(domain::AuditChange(*conn, p, now, {"create", "allocation_rules", ids[0], nullptr, out}));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return rule;
}

Result<std::vector<AllocationRule>> Ledger::AllocationRules(const Principal& p) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::AllocationRuleRow> rows, repo::LoadAllocationRules(*conn, p.tenant_id));
  std::vector<AllocationRule> out;
  for (const auto& r : rows) {
    AllocationRule rule = {.id = r.id, .name = r.name, .monthly_amount_fen = r.monthly_amount_fen, .driver = r.driver, .created_at = r.created_at};
    json shares = json::parse(r.shares, nullptr, false);
    if (shares.is_object()) {
      for (const auto& [k, v] : shares.items()) {
        if (v.is_number()) rule.shares[k] = v.get<double>();
      }
    }
    out.push_back(std::move(rule));
  }
  return out;
}

Status Ledger::ArchiveAllocationRule(const Principal& p, int64_t id) {
  if (!IsHq(p)) return Forbidden("only HQ changes allocation rules", "只有总部可以修改分摊规则");
  return ArchiveRule(db_, p, clock_.NowMs(), "allocation_rules", id, "allocation rule");
}

// ---- periods ----

bool Ledger::IsClosed(store::Connection& conn, int64_t tenant, const std::string& period) {
  auto status = repo::PeriodStatus(conn, tenant, period);
  return status.ok() && *status == std::optional<std::string>("closed");
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
  auto opt = [](int64_t id) { return id ? std::optional<int64_t>(id) : std::nullopt; };
  return repo::InsertEntry(conn, tenant,
                           {.id = ids[0], .unit_id = unit, .user_id = opt(user), .period = period, .day = day, .account = account,
                            .amount_fen = amount, .source_object = source_object, .source_id = source_id,
                            .memo = memo.empty() ? std::nullopt : std::optional<std::string>(memo),
                            .posted_at = FormatTimestamp(clock_.NowMs()), .posted_by = opt(actor)});
}

Result<Posting> Ledger::PostPeriod(const Principal& p, const std::string& period) {
  if (!IsHq(p)) return Forbidden("only HQ posts the ledger", "只有总部可以过账");
  KEEL_RETURN_IF_ERROR(CheckMonth(period));
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  KEEL_ASSIGN_OR_RETURN(Posting out, PostLocked(*conn, p, period));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return out;
}

Result<Posting> Ledger::PostLocked(store::Connection& conn, const Principal& p, const std::string& period) {
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
  PostingCounts n;
  KEEL_RETURN_IF_ERROR(PostOrders(conn, tenant, actor, period, n));
  KEEL_RETURN_IF_ERROR(ReverseRefunds(conn, tenant, actor, period, bounds.second, days.second, n));
  KEEL_RETURN_IF_ERROR(Allocate(conn, tenant, actor, period, days.second, n));
  KEEL_RETURN_IF_ERROR(repo::MarkPeriodPosted(conn, tenant, period, FormatTimestamp(clock_.NowMs())));
  return Posting{.period = period, .orders_posted = n.posted, .orders_reversed = n.reversed, .allocations = n.allocated,
                 .entries = n.entries, .lines_without_cost = n.missing_cost};
}

// 1. Paid orders of the month (and of the closed months just before it, entered late: they post
//    to this month as expense claims do, booked on its first day) not yet posted: revenue, cost of
//    goods, commission.
Status Ledger::PostOrders(store::Connection& conn, int64_t tenant, int64_t actor, const std::string& period, PostingCounts& n) {
  KEEL_ASSIGN_OR_RETURN(auto bounds, MonthUtcBounds(conn, tenant, period));
  KEEL_ASSIGN_OR_RETURN(auto days, PeriodDays(period));
  KEEL_ASSIGN_OR_RETURN(std::optional<std::string> tz, repo::TenantTimeZone(conn, tenant));
  KEEL_ASSIGN_OR_RETURN(auto zone, TimeZone::Load(tz.value_or("")));
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::SettingsRow> st, repo::LoadAccountingSettings(conn, tenant));
  double commission_pct = 0;
  if (st) {
    json s = json::parse(st->settings, nullptr, false);
    if (s.is_object() && s.value("commission_pct", json(0)).is_number()) commission_pct = s["commission_pct"].get<double>();
  }
  // `from` is the start of the earliest closed month just before this one.
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
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::OrderToPost> orders, repo::LoadOrdersToPost(conn, tenant, from, bounds.second));
  for (const auto& o : orders) {
    int64_t owner = o.owner_id.value_or(0);
    auto at = ParseTimestamp(o.ordered_at);
    std::string day = at.ok() ? FormatDate(zone->ToLocal(*at) / 86400000) : days.first;
    if (day < days.first) day = days.first;  // from a closed month: booked on this month's first day
    n.missing_cost += o.lines_without_cost;
    KEEL_RETURN_IF_ERROR(Append(conn, tenant, o.unit_id, owner, period, day, "revenue", o.total_fen, "orders", o.id, o.code, actor));
    ++n.entries;
    if (o.cost_fen != 0) {
      KEEL_RETURN_IF_ERROR(Append(conn, tenant, o.unit_id, owner, period, day, "cogs", o.cost_fen, "orders", o.id, o.code, actor));
      ++n.entries;
    }
    int64_t commission = std::llround(static_cast<double>(o.total_fen) * commission_pct / 100.0);
    if (commission != 0 && owner != 0) {
      KEEL_RETURN_IF_ERROR(Append(conn, tenant, o.unit_id, owner, period, day, "commission", commission, "orders", o.id, o.code, actor));
      ++n.entries;
    }
    ++n.posted;
  }
  return Status();
}

// 2. Orders refunded (or cancelled) by the end of the month whose revenue was posted earlier:
//    their entries reversed in this month.
Status Ledger::ReverseRefunds(store::Connection& conn, int64_t tenant, int64_t actor, const std::string& period, const std::string& before,
                              const std::string& last_day, PostingCounts& n) {
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::EntryRow> rows, repo::LoadEntriesToReverse(conn, tenant, before));
  std::set<int64_t> orders;
  for (const auto& e : rows) {
    KEEL_RETURN_IF_ERROR(Append(conn, tenant, e.unit_id, e.user_id.value_or(0), period, last_day, e.account, -e.amount_fen, "order_refunds",
                                e.source_id, e.memo.value_or(""), actor));
    ++n.entries;
    orders.insert(e.source_id);
  }
  n.reversed = static_cast<int64_t>(orders.size());
  return Status();
}

// 3. HQ's shared-service costs, allocated anew to the profit-centre units (kind "unit").
Status Ledger::Allocate(store::Connection& conn, int64_t tenant, int64_t actor, const std::string& period, const std::string& last_day,
                        PostingCounts& n) {
  KEEL_RETURN_IF_ERROR(repo::DeleteAllocations(conn, tenant, period));
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::AllocationRuleRow> rules, repo::LoadAllocationRules(conn, tenant));
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::UnitRow> units, repo::LoadProfitCentres(conn, tenant));
  for (const auto& rule : rules) {
    std::vector<int64_t> targets;
    std::vector<double> weights;
    if (rule.driver == "fixed") {
      json shares = json::parse(rule.shares, nullptr, false);
      if (!shares.is_object()) continue;
      for (const auto& [k, v] : shares.items()) {
        targets.push_back(std::stoll(k));
        weights.push_back(v.get<double>());
      }
    } else {
      for (const auto& u : units) {
        targets.push_back(u.id);
        double w = 0;
        if (rule.driver == "headcount") {
          KEEL_ASSIGN_OR_RETURN(int64_t h, repo::ActiveHeadcount(conn, tenant, u.path + "%"));
          w = static_cast<double>(h);
        } else {
          KEEL_ASSIGN_OR_RETURN(PnlFigures f, Figures(conn, tenant, u.path, period));
          w = rule.driver == "revenue" ? static_cast<double>(f.revenue) : static_cast<double>(f.orders);
        }
        weights.push_back(w);
      }
    }
    std::vector<int64_t> parts = SplitExact(rule.monthly_amount_fen, weights);
    for (size_t i = 0; i < targets.size(); ++i) {
      if (parts[i] == 0) continue;
      KEEL_RETURN_IF_ERROR(Append(conn, tenant, targets[i], 0, period, last_day, "allocation", parts[i], "allocation_rules", rule.id, rule.name,
                                  actor));
      ++n.entries;
      ++n.allocated;
    }
  }
  return Status();
}

Result<ClosedPeriod> Ledger::ClosePeriod(const Principal& p, const std::string& period) {
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
  KEEL_ASSIGN_OR_RETURN(Posting posted, PostLocked(*conn, p, period));
  std::string now = FormatTimestamp(clock_.NowMs());
  KEEL_RETURN_IF_ERROR(repo::MarkPeriodClosed(*conn, p.tenant_id, period, now, ActorOf(p)));
  KEEL_RETURN_IF_ERROR(domain::AuditChange(*conn, p, clock_.NowMs(), {"close", "ledger_periods", 0, {{"period", period}, {"status", "open"}},
                                                                      {{"period", period}, {"status", "closed"}, {"closed_at", now}}}));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return ClosedPeriod{.period = period, .closed_at = now, .last_posting = posted};
}

Result<std::vector<LedgerPeriod>> Ledger::Periods(const Principal& p) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::PeriodRow> periods, repo::LoadPeriods(*conn, p.tenant_id));
  std::vector<LedgerPeriod> out;
  for (const auto& r : periods) {
    out.push_back({.period = r.period, .status = r.status, .posted_at = r.posted_at, .closed_at = r.closed_at, .closed_by = r.closed_by});
  }
  return out;
}

// ---- reading ----

Result<PnlFigures> Ledger::Figures(store::Connection& conn, int64_t tenant, const std::string& unit_path, const std::string& period, int64_t user) {
  KEEL_ASSIGN_OR_RETURN(std::vector<std::string> months, MonthsOf(period));
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::GroupedRow> rows,
                        repo::GroupEntries(conn, tenant, domain::UnitTree::SubtreePattern(unit_path), months, user));
  PnlFigures f;
  for (const auto& g : rows) AddRow(f, g.account, g.memo, g.sum, g.revenue_entries);
  return f;
}

Result<UnitPnl> Ledger::Pnl(const Principal& p, int64_t unit, const std::string& period) {
  KEEL_ASSIGN_OR_RETURN(std::vector<std::string> months, MonthsOf(period));
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::UnitRow> u, repo::LoadUnit(*conn, p.tenant_id, unit));
  if (!u || !SeesUnit(p, u->path)) return Status::NotFound("unit");
  UnitPnl out = {.unit_id = unit, .unit = u->name, .unit_code = u->code, .kind = u->kind, .period = period};
  KEEL_ASSIGN_OR_RETURN(out.figures, Figures(*conn, p.tenant_id, u->path, period));
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::PeriodRow> closed, repo::LoadPeriodsIn(*conn, p.tenant_id, months));
  for (const auto& m : months) out.months[m] = "not_posted";
  for (const auto& r : closed) out.months[r.period] = r.status;
  return out;
}

Result<ConsolidatedPnl> Ledger::Consolidated(const Principal& p, const std::string& period) {
  KEEL_ASSIGN_OR_RETURN(std::vector<std::string> months, MonthsOf(period));
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::UnitRow> units, repo::LoadUnits(*conn, p.tenant_id));
  // One pass over the entries grouped by unit, then rolled up along each unit's path.
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::GroupedRow> grouped, repo::GroupEntriesByUnit(*conn, p.tenant_id, months));
  std::map<int64_t, PnlFigures> own, rolled;
  std::map<int64_t, std::string> path_of;
  for (const auto& u : units) path_of[u.id] = u.path;
  for (const auto& g : grouped) AddRow(own[g.unit_id], g.account, g.memo, g.sum, g.revenue_entries);
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
  ConsolidatedPnl out = {.period = period};
  for (const auto& u : units) {
    // Archived units' entries count in their ancestors' totals (above); the rows are the live units.
    if (!SeesUnit(p, u.path) || u.archived) continue;
    out.items.push_back({.unit_id = u.id, .unit = u.name, .code = u.code, .kind = u.kind, .parent_id = u.parent_id,
                         .depth = static_cast<int64_t>(PathIds(u.path).size()) - 1, .figures = rolled[u.id], .own = own[u.id]});
  }
  return out;
}

Result<LedgerEntryPage> Ledger::Entries(const Principal& p, const std::vector<std::pair<std::string, std::string>>& query) {
  repo::EntryFilter filter;
  auto number = [](const std::string& k, const std::string& v) -> Result<int64_t> {
    char* end = nullptr;
    long long x = std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || *end || x < 0) return Bad("validation.parameter", k + " must be a non-negative integer", k + " 应为非负整数", k);
    return static_cast<int64_t>(x);
  };
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  for (const auto& [k, v] : query) {
    if (k == "period") {
      KEEL_RETURN_IF_ERROR(CheckMonth(v));
      filter.period = v;
    } else if (k == "unit_id") {
      KEEL_ASSIGN_OR_RETURN(int64_t unit, number(k, v));
      auto path = UnitPathOf(*conn, p.tenant_id, unit);
      if (!path.ok() || !SeesUnit(p, *path)) return Status::NotFound("unit", "unit_id");
      filter.unit_paths.push_back(*path);
    } else if (k == "account") {
      filter.account = v;
    } else if (k == "source_object") {
      filter.source_object = v;
    } else if (k == "source_id" || k == "user_id") {
      KEEL_ASSIGN_OR_RETURN(int64_t x, number(k, v));
      (k == "source_id" ? filter.source_id : filter.user_id) = x;
    } else if (k == "limit") {
      KEEL_ASSIGN_OR_RETURN(filter.limit, number(k, v));
      if (filter.limit < 1 || filter.limit > 1000) return Bad("validation.parameter", "limit is from 1 to 1000", "limit 应为 1 到 1000", k);
    } else if (k == "after") {
      KEEL_ASSIGN_OR_RETURN(filter.after, number(k, v));
    } else {
      return Bad("validation.parameter", "unknown parameter '" + k + "'", "未知参数 '" + k + "'", k);
    }
  }
  if (!p.is_system() && !domain::SeesWholeTenant(p.role)) filter.unit_paths.push_back(p.unit_path);
  const int64_t limit = filter.limit;
  ++filter.limit;  // one more: whether there is a next page
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::EntryRow> rows, repo::LoadEntries(*conn, p.tenant_id, filter));
  LedgerEntryPage page;
  for (size_t i = 0; i < rows.size() && static_cast<int64_t>(i) < limit; ++i) {
    const auto& e = rows[i];
    page.items.push_back({.id = e.id, .unit_id = e.unit_id, .unit = e.unit, .user_id = e.user_id, .period = e.period, .day = e.day,
                          .account = e.account, .amount_fen = e.amount_fen, .source_object = e.source_object, .source_id = e.source_id,
                          .memo = e.memo, .posted_at = e.posted_at});
  }
  if (static_cast<int64_t>(rows.size()) > limit) page.next_after = page.items.back().id;
  return page;
}

}  // namespace keel::org
