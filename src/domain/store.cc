#include "domain/store.h"

namespace keel::domain {

Result<std::optional<std::string>> LoadUnitPath(store::Connection& conn, int64_t tenant, int64_t unit) {
  store::Value q[] = {tenant, unit};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT path FROM units WHERE tenant_id = ? AND id = ?", q));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(store::AsText(rows.rows[0][rows.Column("path")]));
}

}  // namespace keel::domain
