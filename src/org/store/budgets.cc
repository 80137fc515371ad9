#include "org/store/budgets.h"

#include <algorithm>

#include "domain/unit_tree.h"

namespace keel::org::repo {

using store::Nullable;
using store::Value;

namespace {

const char* kBudgetSelect =
    "SELECT b.id, b.unit_id, u.name AS unit, b.category, b.period, b.period_start, b.period_end, b.amount, b.committed, b.updated_at "
    "FROM budgets b JOIN units u ON u.tenant_id = b.tenant_id AND u.id = b.unit_id ";

BudgetRow BudgetOf(const store::Row& r) {
  return {.id = r.Int("id"), .unit_id = r.Int("unit_id"), .unit = r.Text("unit"), .category = r.Text("category"), .period = r.Text("period"),
          .period_start = r.Text("period_start"), .period_end = r.Text("period_end"), .amount_fen = r.Int("amount"),
          .committed_fen = r.Int("committed"), .updated_at = r.Text("updated_at")};
}

Result<std::optional<BudgetRow>> First(Result<store::Rows> r) {
  if (!r.ok()) return r.status();
  if (r->empty()) return std::optional<BudgetRow>();
  return std::optional<BudgetRow>(BudgetOf(r->row(0)));
}

}  // namespace

Result<std::optional<BudgetRow>> LoadBudget(store::Connection& conn, int64_t tenant, int64_t id) {
  Value q[] = {tenant, id};
  return First(conn.Query(std::string(kBudgetSelect) + "WHERE b.tenant_id = ? AND b.id = ?", q));
}

Result<std::optional<BudgetRow>> FindBudget(store::Connection& conn, int64_t tenant, int64_t unit, const std::string& category,
                                            const std::string& period) {
  Value q[] = {tenant, unit, category, period};
  return First(conn.Query(std::string(kBudgetSelect) + "WHERE b.tenant_id = ? AND b.unit_id = ? AND b.category = ? AND b.period = ?", q));
}

Result<std::optional<int64_t>> BudgetCovering(store::Connection& conn, int64_t tenant, int64_t unit, const std::string& category,
                                              const std::string& day) {
  Value q[] = {tenant, unit, category, day, day};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT id FROM budgets WHERE tenant_id = ? AND unit_id = ? AND category = ? AND period_start <= ? AND period_end >= ? "
      "ORDER BY period_start DESC, period_end ASC LIMIT 1", q));
  if (r.empty()) return std::optional<int64_t>();
  return std::optional<int64_t>(r.row(0).Int("id"));
}

Result<std::vector<int64_t>> ListBudgetIds(store::Connection& conn, int64_t tenant, const BudgetFilter& f) {
  std::string where = " WHERE b.tenant_id = ?";
  std::vector<Value> params = {tenant};
  if (f.unit_id) {
    where += " AND b.unit_id = ?";
    params.emplace_back(*f.unit_id);
  }
  if (f.period) {
    where += " AND b.period = ?";
    params.emplace_back(*f.period);
  }
  if (f.category) {
    where += " AND b.category = ?";
    params.emplace_back(*f.category);
  }
  if (f.within) where += domain::UnitTree::PathWithin("u.path", *f.within, params);
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT b.id FROM budgets b JOIN units u ON u.tenant_id = b.tenant_id AND u.id = b.unit_id" + where + " ORDER BY u.path, b.category, b.period",
      params));
  std::vector<int64_t> out;
  for (store::Row row : r) out.push_back(row.Int("id"));
  return out;
}

Status InsertBudget(store::Connection& conn, int64_t tenant, const BudgetRow& b, const std::string& at, std::optional<int64_t> by) {
  Value q[] = {tenant, b.id, b.unit_id, b.category, b.period, b.period_start, b.period_end, b.amount_fen, at, at, Nullable(by)};
  return conn.Exec("INSERT INTO budgets (tenant_id, id, unit_id, category, period, period_start, period_end, amount, committed, "
                   "created_at, updated_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)", q).status();
}

Result<int64_t> SetBudgetAmount(store::Connection& conn, int64_t tenant, int64_t id, int64_t amount_fen, const std::string& at) {
  Value q[] = {amount_fen, at, tenant, id, amount_fen};
  return conn.Exec("UPDATE budgets SET amount = ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND committed <= ?", q);
}

Result<int64_t> CommitToBudget(store::Connection& conn, int64_t tenant, int64_t id, int64_t fen, const std::string& at) {
  Value q[] = {fen, at, tenant, id, fen};
  return conn.Exec("UPDATE budgets SET committed = committed + ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND committed + ? <= amount", q);
}

Result<int64_t> ReleaseFromBudget(store::Connection& conn, int64_t tenant, int64_t id, int64_t fen, const std::string& at) {
  Value q[] = {-fen, at, tenant, id, fen};
  return conn.Exec("UPDATE budgets SET committed = committed + ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND committed - ? >= 0", q);
}

Result<int64_t> TakeUnspent(store::Connection& conn, int64_t tenant, int64_t id, int64_t fen, const std::string& at) {
  Value q[] = {fen, at, tenant, id, fen};
  return conn.Exec("UPDATE budgets SET amount = amount - ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND amount - committed >= ?", q);
}

Result<int64_t> AddToBudget(store::Connection& conn, int64_t tenant, int64_t id, int64_t fen, const std::string& at) {
  Value q[] = {fen, at, tenant, id};
  return conn.Exec("UPDATE budgets SET amount = amount + ?, updated_at = ? WHERE tenant_id = ? AND id = ?", q);
}

Status InsertBudgetEntry(store::Connection& conn, int64_t tenant, const BudgetEntryRow& e) {
  Value q[] = {tenant, e.id, e.budget_id, e.amount_fen, e.kind, Nullable(e.source_object), Nullable(e.source_id), Nullable(e.note),
               Nullable(e.actor_id), e.at};
  return conn.Exec("INSERT INTO budget_entries (tenant_id, id, budget_id, amount, kind, source_object, source_id, note, actor_id, at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", q).status();
}

Result<std::vector<BudgetEntryRow>> LoadBudgetEntries(store::Connection& conn, int64_t tenant, int64_t budget) {
  Value q[] = {tenant, budget};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT id, budget_id, amount, kind, source_object, source_id, note, actor_id, at FROM budget_entries WHERE tenant_id = ? AND "
      "budget_id = ? ORDER BY id", q));
  std::vector<BudgetEntryRow> out;
  for (store::Row row : r) {
    out.push_back({.id = row.Int("id"), .budget_id = row.Int("budget_id"), .amount_fen = row.Int("amount"), .kind = row.Text("kind"),
                   .source_object = row.OptText("source_object"), .source_id = row.OptInt("source_id"), .note = row.OptText("note"),
                   .actor_id = row.OptInt("actor_id"), .at = row.Text("at")});
  }
  return out;
}

Result<std::optional<std::optional<int64_t>>> SourceUnit(store::Connection& conn, const std::string& table, int64_t tenant, int64_t id) {
  // The table name goes into the statement: only the source documents are accepted.
  static const std::vector<std::string> kSources = {"promotions", "contracts", "quotes", "orders", "expenses", "materials"};
  if (std::find(kSources.begin(), kSources.end(), table) == kSources.end()) return Status::Internal("not a budget source: " + table);
  Value q[] = {tenant, id};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query("SELECT unit_id FROM " + table + " WHERE tenant_id = ? AND id = ? AND archived_at IS NULL", q));
  if (r.empty()) return std::optional<std::optional<int64_t>>();
  return std::optional<std::optional<int64_t>>(r.row(0).OptInt("unit_id"));
}

}  // namespace keel::org::repo
