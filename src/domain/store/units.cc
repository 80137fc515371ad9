// Units, users and tenants as the record rules and the unit tree read and write them.
#include "domain/store.h"
#include "domain/unit_tree.h"

namespace keel::domain {

using store::Value;

Result<std::optional<std::string>> LoadUnitPath(store::Connection& conn, int64_t tenant, int64_t unit) {
  Value q[] = {tenant, unit};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT path FROM units WHERE tenant_id = ? AND id = ?", q));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows.row(0).Text("path"));
}

Result<std::optional<UnitPlace>> LoadUnitPlace(store::Connection& conn, int64_t tenant, int64_t unit) {
  Value q[] = {tenant, unit};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT path, kind FROM units WHERE tenant_id = ? AND id = ?", q));
  if (rows.empty()) return std::optional<UnitPlace>();
  return std::optional<UnitPlace>(UnitPlace{.path = rows.row(0).Text("path"), .kind = rows.row(0).Text("kind")});
}

Result<std::optional<std::string>> LoadUserUnitPath(store::Connection& conn, int64_t tenant, int64_t user) {
  Value q[] = {tenant, tenant, user};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT n.path FROM units n WHERE n.tenant_id = ? AND n.id = (SELECT unit_id FROM users WHERE tenant_id = ? AND id = ?)", q));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows.row(0).Text("path"));
}

Result<std::optional<int64_t>> LoadSupervisor(store::Connection& conn, int64_t tenant, int64_t user) {
  Value q[] = {tenant, user};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT supervisor_id FROM users WHERE tenant_id = ? AND id = ?", q));
  if (rows.empty()) return std::optional<int64_t>();
  return std::optional<int64_t>(rows.row(0).Int("supervisor_id"));
}

Result<bool> OtherHqExists(store::Connection& conn, int64_t tenant, int64_t except) {
  Value q[] = {tenant, except};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT id FROM units WHERE tenant_id = ? AND kind = 'hq' AND id <> ?", q));
  return !rows.empty();
}

Result<int64_t> ReRootSubtree(store::Connection& conn, int64_t tenant, int64_t id, const std::string& old_path,
                              const std::string& new_path, const std::string& now) {
  Value q[] = {new_path, static_cast<int64_t>(old_path.size() + 1), now, tenant, UnitTree::SubtreePattern(old_path), id};
  return conn.Exec("UPDATE units SET path = ? || SUBSTR(path, ?), updated_at = ? WHERE tenant_id = ? AND "
                   "path LIKE ? AND id <> ?", q);
}

Result<int64_t> CountUnitDependents(store::Connection& conn, int64_t tenant, int64_t unit) {
  Value q[] = {tenant, unit, tenant, unit};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT (SELECT COUNT(*) FROM units WHERE tenant_id = ? AND parent_id = ? AND archived_at IS NULL) + "
      "(SELECT COUNT(*) FROM users WHERE tenant_id = ? AND unit_id = ? AND archived_at IS NULL) AS n", q));
  return rows.row(0).Int("n");
}

Result<bool> UserWithinUnit(store::Connection& conn, int64_t tenant, const Value& unit, const Value& user) {
  Value q[] = {unit, tenant, user};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT u.id FROM users u JOIN units a ON a.tenant_id = u.tenant_id AND a.id = u.unit_id "
      "JOIN units t ON t.tenant_id = u.tenant_id AND t.id = ? WHERE u.tenant_id = ? AND "
      "u.id = ? AND a.path LIKE t.path || '%'", q));
  return !rows.empty();
}

Result<TenantInfo> LoadTenant(store::Connection& conn, int64_t tenant_id) {
  Value q[] = {tenant_id};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT id, code, name, time_zone, currency, locale, status "
                                                     "FROM tenants WHERE id = ?", q));
  if (rows.empty()) return Status::NotFound("tenant");
  store::Row r = rows.row(0);
  return TenantInfo{.id = r.Int("id"), .code = r.Text("code"), .name = r.Text("name"), .time_zone = r.Text("time_zone"),
                    .currency = r.Text("currency"), .locale = r.Text("locale"), .status = r.Text("status")};
}

Status SaveTenant(store::Connection& conn, const TenantInfo& t, const std::string& now) {
  Value q[] = {t.name, t.time_zone, t.currency, t.locale, now, t.id};
  return conn.Exec("UPDATE tenants SET name = ?, time_zone = ?, currency = ?, locale = ?, updated_at = ? WHERE id = ?", q)
      .status();
}

}  // namespace keel::domain
