#include "org/store/expenses.h"

namespace keel::org::repo {

using store::Nullable;
using store::Value;

namespace {

const char* kPolicySelect =
    "SELECT id, unit_id, kind, per, limit_amount, city_tier, note FROM expense_policies WHERE tenant_id = ? AND archived_at IS NULL";

Result<std::vector<ExpensePolicyRow>> Policies(Result<store::Rows> r) {
  if (!r.ok()) return r.status();
  std::vector<ExpensePolicyRow> out;
  for (store::Row row : *r) {
    out.push_back({.id = row.Int("id"), .unit_id = row.OptInt("unit_id"), .kind = row.Text("kind"), .per = row.Text("per"),
                   .limit_fen = row.Int("limit_amount"), .city_tier = row.OptText("city_tier"), .note = row.OptText("note")});
  }
  return out;
}

}  // namespace

Status InsertExpensePolicy(store::Connection& conn, int64_t tenant, const ExpensePolicyRow& r, const std::string& created_at,
                           std::optional<int64_t> created_by) {
  Value q[] = {tenant, r.id, Nullable(r.unit_id), r.kind, r.per, r.limit_fen, Nullable(r.city_tier), Nullable(r.note), created_at,
               Nullable(created_by)};
  return conn.Exec("INSERT INTO expense_policies (tenant_id, id, unit_id, kind, per, limit_amount, city_tier, note, created_at, "
                   "created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", q).status();
}

Result<std::vector<ExpensePolicyRow>> ListExpensePolicies(store::Connection& conn, int64_t tenant) {
  Value q[] = {tenant};
  return Policies(conn.Query(std::string(kPolicySelect) + " ORDER BY kind, unit_id, id", q));
}

Result<std::vector<ExpensePolicyRow>> LoadExpensePolicies(store::Connection& conn, int64_t tenant) {
  Value q[] = {tenant};
  // In id order: among equally specific rules the oldest applies, on either backend.
  return Policies(conn.Query(std::string(kPolicySelect) + " ORDER BY id", q));
}

Result<int64_t> ClaimBudgetSlot(store::Connection& conn, int64_t tenant, int64_t claim, int64_t budget) {
  Value q[] = {budget, tenant, claim};
  return conn.Exec("UPDATE expenses SET budget_id = ? WHERE tenant_id = ? AND id = ? AND budget_id IS NULL AND status IN ('draft', 'rejected')", q);
}

Result<int64_t> FreeBudgetSlot(store::Connection& conn, int64_t tenant, int64_t claim, int64_t budget) {
  Value q[] = {tenant, claim, budget};
  return conn.Exec("UPDATE expenses SET budget_id = NULL WHERE tenant_id = ? AND id = ? AND budget_id = ?", q);
}

Result<std::optional<ClaimRow>> LoadClaim(store::Connection& conn, int64_t tenant, int64_t claim) {
  Value q[] = {tenant, claim};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT status, total, unit_id, owner_id, budget_id, category, title, ledger_period FROM expenses WHERE tenant_id = ? AND id = ?", q));
  if (r.empty()) return std::optional<ClaimRow>();
  store::Row row = r.row(0);
  return std::optional<ClaimRow>(ClaimRow{.status = row.Text("status"), .total_fen = row.Int("total"), .unit_id = row.OptInt("unit_id").value_or(0),
                                          .owner_id = row.OptInt("owner_id"), .budget_id = row.OptInt("budget_id"),
                                          .category = row.OptText("category").value_or(""), .title = row.OptText("title").value_or(""),
                                          .ledger_period = row.OptText("ledger_period")});
}

Result<int64_t> MarkClaimPosted(store::Connection& conn, int64_t tenant, int64_t claim, const std::string& period) {
  Value q[] = {period, tenant, claim};
  return conn.Exec("UPDATE expenses SET ledger_period = ? WHERE tenant_id = ? AND id = ? AND ledger_period IS NULL", q);
}

}  // namespace keel::org::repo
