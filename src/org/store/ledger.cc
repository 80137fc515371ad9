#include "org/store/ledger.h"

#include "domain/unit_tree.h"

namespace keel::org::repo {

using store::Nullable;
using store::Value;

namespace {

std::string Placeholders(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += i ? ", ?" : "?";
  return s;
}

// Grouping of entries into figures: the count of revenue entries nets refunds (negative entries).
const char* kGroupedSelect =
    "SELECT e.account AS account, CASE WHEN e.account = 'allocation' THEN e.memo ELSE '' END AS memo, SUM(e.amount) AS total, "
    "SUM(CASE WHEN e.account = 'revenue' AND e.amount > 0 THEN 1 WHEN e.account = 'revenue' AND e.amount < 0 THEN -1 ELSE 0 END) AS revenue_entries";

GroupedRow GroupedOf(const store::Row& r) {
  return {.account = r.Text("account"), .memo = r.OptText("memo").value_or(""), .sum = r.Int("total"),
          .revenue_entries = r.Int("revenue_entries")};
}

PeriodRow PeriodOf(const store::Row& r) {
  return {.period = r.Text("period"), .status = r.Text("status"), .posted_at = r.OptText("posted_at"), .closed_at = r.OptText("closed_at"),
          .closed_by = r.OptInt("closed_by")};
}

}  // namespace

Result<std::optional<SettingsRow>> LoadAccountingSettings(store::Connection& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query("SELECT settings, updated_at FROM accounting_settings WHERE tenant_id = ?", q));
  if (r.empty()) return std::optional<SettingsRow>();
  return std::optional<SettingsRow>(SettingsRow{r.row(0).Text("settings"), r.row(0).Text("updated_at")});
}

Status SaveAccountingSettings(store::Connection& conn, int64_t tenant, const std::string& settings, const std::string& at,
                              std::optional<int64_t> by) {
  Value q[] = {tenant, settings, at, Nullable(by)};
  return conn.Exec("INSERT INTO accounting_settings (tenant_id, settings, updated_at, updated_by) VALUES (?, ?, ?, ?) "
                   "ON CONFLICT (tenant_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at, "
                   "updated_by = excluded.updated_by", q).status();
}

Status InsertAllocationRule(store::Connection& conn, int64_t tenant, const AllocationRuleRow& r, std::optional<int64_t> created_by) {
  Value q[] = {tenant, r.id, r.name, r.monthly_amount_fen, r.driver, r.shares, r.created_at, Nullable(created_by)};
  return conn.Exec("INSERT INTO allocation_rules (tenant_id, id, name, monthly_amount, driver, shares, created_at, created_by) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", q).status();
}

Result<std::vector<AllocationRuleRow>> LoadAllocationRules(store::Connection& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT id, name, monthly_amount, driver, shares, created_at FROM allocation_rules WHERE tenant_id = ? AND archived_at IS NULL ORDER BY id", q));
  std::vector<AllocationRuleRow> out;
  for (store::Row row : r) {
    out.push_back({.id = row.Int("id"), .name = row.Text("name"), .monthly_amount_fen = row.Int("monthly_amount"), .driver = row.Text("driver"),
                   .shares = row.Text("shares"), .created_at = row.Text("created_at")});
  }
  return out;
}

Result<std::optional<std::string>> PeriodStatus(store::Connection& conn, int64_t tenant, const std::string& period) {
  Value q[] = {tenant, period};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query("SELECT status FROM ledger_periods WHERE tenant_id = ? AND period = ?", q));
  if (r.empty()) return std::optional<std::string>();
  return std::optional<std::string>(r.row(0).Text("status"));
}

Result<std::vector<PeriodRow>> LoadPeriods(store::Connection& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT period, status, posted_at, closed_at, closed_by FROM ledger_periods WHERE tenant_id = ? ORDER BY period DESC", q));
  std::vector<PeriodRow> out;
  for (store::Row row : r) out.push_back(PeriodOf(row));
  return out;
}

Result<std::vector<PeriodRow>> LoadPeriodsIn(store::Connection& conn, int64_t tenant, const std::vector<std::string>& months) {
  std::vector<Value> q = {tenant};
  for (const auto& m : months) q.emplace_back(m);
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT period, status, posted_at, closed_at, closed_by FROM ledger_periods WHERE tenant_id = ? AND period IN (" +
          Placeholders(months.size()) + ")", q));
  std::vector<PeriodRow> out;
  for (store::Row row : r) out.push_back(PeriodOf(row));
  return out;
}

Status MarkPeriodPosted(store::Connection& conn, int64_t tenant, const std::string& period, const std::string& at) {
  Value q[] = {tenant, period, at};
  return conn.Exec("INSERT INTO ledger_periods (tenant_id, period, status, posted_at) VALUES (?, ?, 'open', ?) "
                   "ON CONFLICT (tenant_id, period) DO UPDATE SET posted_at = excluded.posted_at", q).status();
}

Status MarkPeriodClosed(store::Connection& conn, int64_t tenant, const std::string& period, const std::string& at, std::optional<int64_t> by) {
  Value q[] = {tenant, period, at, at, Nullable(by)};
  return conn.Exec("INSERT INTO ledger_periods (tenant_id, period, status, posted_at, closed_at, closed_by) VALUES (?, ?, 'closed', ?, ?, ?) "
                   "ON CONFLICT (tenant_id, period) DO UPDATE SET status = 'closed', closed_at = excluded.closed_at, "
                   "closed_by = excluded.closed_by", q).status();
}

Status InsertEntry(store::Connection& conn, int64_t tenant, const EntryRow& e) {
  Value q[] = {tenant, e.id, e.unit_id, Nullable(e.user_id), e.period, e.day, e.account, e.amount_fen, e.source_object, e.source_id,
               Nullable(e.memo), e.posted_at, Nullable(e.posted_by)};
  return conn.Exec("INSERT INTO ledger_entries (tenant_id, id, unit_id, user_id, period, day, account, amount, source_object, source_id, memo, "
                   "posted_at, posted_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", q).status();
}

Result<std::vector<GroupedRow>> GroupEntries(store::Connection& conn, int64_t tenant, const std::string& path_pattern,
                                             const std::vector<std::string>& months, int64_t user) {
  std::vector<Value> q = {tenant, path_pattern};
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
  std::vector<GroupedRow> out;
  for (store::Row row : r) out.push_back(GroupedOf(row));
  return out;
}

Result<std::vector<GroupedRow>> GroupEntriesByUnit(store::Connection& conn, int64_t tenant, const std::vector<std::string>& months) {
  std::vector<Value> q = {tenant};
  for (const auto& m : months) q.emplace_back(m);
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      std::string(kGroupedSelect) + ", e.unit_id AS unit_id FROM ledger_entries e WHERE e.tenant_id = ? AND e.period IN (" +
          Placeholders(months.size()) + ") GROUP BY e.unit_id, e.account, CASE WHEN e.account = 'allocation' THEN e.memo ELSE '' END", q));
  std::vector<GroupedRow> out;
  for (store::Row row : r) {
    GroupedRow g = GroupedOf(row);
    g.unit_id = row.Int("unit_id");
    out.push_back(std::move(g));
  }
  return out;
}

Result<std::vector<EntryRow>> LoadEntries(store::Connection& conn, int64_t tenant, const EntryFilter& f) {
  std::string where = " WHERE e.tenant_id = ?";
  std::vector<Value> params = {tenant};
  if (f.period) {
    where += " AND e.period = ?";
    params.emplace_back(*f.period);
  }
  for (const auto& path : f.unit_paths) where += domain::UnitTree::PathWithin("u.path", path, params);
  if (f.account) {
    // A family of accounts by its prefix too: account=expense is every expense:<category>.
    where += " AND (e.account = ? OR e.account LIKE ?)";
    params.emplace_back(*f.account);
    params.emplace_back(*f.account + ":%");
  }
  if (f.source_object) {
    where += " AND e.source_object = ?";
    params.emplace_back(*f.source_object);
  }
  if (f.source_id) {
    where += " AND e.source_id = ?";
    params.emplace_back(*f.source_id);
  }
  if (f.user_id) {
    where += " AND e.user_id = ?";
    params.emplace_back(*f.user_id);
  }
  where += " AND e.id > ?";
  params.emplace_back(f.after);
  params.emplace_back(f.limit);
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT e.id, e.unit_id, u.name AS unit, e.user_id, e.period, e.day, e.account, e.amount, e.source_object, e.source_id, e.memo, "
      "e.posted_at, e.posted_by FROM ledger_entries e JOIN units u ON u.tenant_id = e.tenant_id AND u.id = e.unit_id" + where +
          " ORDER BY e.id LIMIT ?", params));
  std::vector<EntryRow> out;
  for (store::Row row : r) {
    out.push_back({.id = row.Int("id"), .unit_id = row.Int("unit_id"), .unit = row.Text("unit"), .user_id = row.OptInt("user_id"),
                   .period = row.Text("period"), .day = row.Text("day"), .account = row.Text("account"), .amount_fen = row.Int("amount"),
                   .source_object = row.Text("source_object"), .source_id = row.Int("source_id"), .memo = row.OptText("memo"),
                   .posted_at = row.Text("posted_at"), .posted_by = row.OptInt("posted_by")});
  }
  return out;
}

Result<std::vector<OrderToPost>> LoadOrdersToPost(store::Connection& conn, int64_t tenant, const std::string& from, const std::string& to) {
  Value q[] = {tenant, from, to};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT o.id, o.unit_id, o.owner_id, o.total, o.ordered_at, o.code, "
      "COALESCE(SUM(l.qty * p.cost), 0) AS cost, SUM(CASE WHEN p.cost IS NULL THEN 1 ELSE 0 END) AS lines_without_cost "
      "FROM orders o JOIN order_lines l ON l.tenant_id = o.tenant_id AND l.order_id = o.id "
      "JOIN products p ON p.tenant_id = l.tenant_id AND p.id = l.product_id "
      "WHERE o.tenant_id = ? AND o.ordered_at >= ? AND o.ordered_at < ? AND o.status = 'paid' AND o.archived_at IS NULL "
      "AND o.unit_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ledger_entries e WHERE e.tenant_id = o.tenant_id AND "
      "e.source_object = 'orders' AND e.source_id = o.id AND e.account = 'revenue') "
      "GROUP BY o.id, o.unit_id, o.owner_id, o.total, o.ordered_at, o.code",
      q));
  std::vector<OrderToPost> out;
  for (store::Row row : r) {
    out.push_back({.id = row.Int("id"), .unit_id = row.Int("unit_id"), .owner_id = row.OptInt("owner_id"), .total_fen = row.Int("total"),
                   .ordered_at = row.Text("ordered_at"), .code = row.Text("code"), .cost_fen = row.Int("cost"),
                   .lines_without_cost = row.Int("lines_without_cost")});
  }
  return out;
}

Result<std::vector<EntryRow>> LoadEntriesToReverse(store::Connection& conn, int64_t tenant, const std::string& before) {
  Value q[] = {tenant, before};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT e.source_id, e.unit_id, e.user_id, e.account, e.amount, e.memo FROM ledger_entries e JOIN orders o ON o.tenant_id = e.tenant_id "
      "AND o.id = e.source_id WHERE e.tenant_id = ? AND e.source_object = 'orders' AND o.status IN ('refunded', 'cancelled') AND "
      "o.updated_at < ? AND NOT EXISTS (SELECT 1 FROM ledger_entries x WHERE x.tenant_id = e.tenant_id AND x.source_object = 'order_refunds' "
      "AND x.source_id = e.source_id) ORDER BY e.source_id, e.account",
      q));
  std::vector<EntryRow> out;
  for (store::Row row : r) {
    out.push_back({.unit_id = row.Int("unit_id"), .user_id = row.OptInt("user_id"), .account = row.Text("account"),
                   .amount_fen = row.Int("amount"), .source_object = "orders", .source_id = row.Int("source_id"), .memo = row.OptText("memo")});
  }
  return out;
}

Status DeleteAllocations(store::Connection& conn, int64_t tenant, const std::string& period) {
  Value q[] = {tenant, period};
  return conn.Exec("DELETE FROM ledger_entries WHERE tenant_id = ? AND period = ? AND source_object = 'allocation_rules'", q).status();
}

Result<int64_t> ActiveHeadcount(store::Connection& conn, int64_t tenant, const std::string& path_pattern) {
  Value q[] = {tenant, path_pattern};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT COUNT(*) AS n FROM users s JOIN units x ON x.tenant_id = s.tenant_id AND x.id = s.unit_id WHERE s.tenant_id = ? AND "
      "x.path LIKE ? AND s.status = 'active'", q));
  return r.row(0).Int("n");
}

}  // namespace keel::org::repo
