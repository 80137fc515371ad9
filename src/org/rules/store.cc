#include "org/rules/store.h"

namespace keel::org::rules {

Result<std::optional<BudgetPlace>> LoadBudgetPlace(store::Connection& conn, int64_t tenant, int64_t budget) {
  store::Value q[] = {tenant, budget};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT b.unit_id AS unit_id, u.path AS path, b.amount - b.committed AS available FROM budgets b "
      "JOIN units u ON u.tenant_id = b.tenant_id AND u.id = b.unit_id WHERE b.tenant_id = ? AND b.id = ?", q));
  if (rows.empty()) return std::optional<BudgetPlace>();
  store::Row r = rows.row(0);
  return std::optional<BudgetPlace>(BudgetPlace{.unit_id = r.Int("unit_id"), .unit_path = r.Text("path"), .available = r.Int("available")});
}

}  // namespace keel::org::rules
