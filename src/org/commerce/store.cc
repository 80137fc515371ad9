#include "org/commerce/store.h"

namespace keel::org::commerce {

using store::Nullable;
using store::Value;

namespace {

AuthorityRow AuthorityOf(const store::Row& r) {
  AuthorityRow a;
  a.id = r.Int("id");
  a.unit_id = r.Int("unit_id");
  a.role = r.OptText("role");
  a.category_prefix = r.OptText("category_prefix");
  a.min_amount_fen = r.Int("min_amount");
  a.max_discount_pct = r.Double("max_discount_pct");
  return a;
}

}  // namespace

Result<std::vector<AuthorityRow>> LoadAuthorities(store::Connection& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT a.id, a.unit_id, un.name AS unit_name, un.path AS unit_path, a.role, a.category_prefix, a.min_amount, a.max_discount_pct "
      "FROM pricing_authority a JOIN units un ON un.tenant_id = a.tenant_id AND un.id = a.unit_id "
      "WHERE a.tenant_id = ? AND a.archived_at IS NULL ORDER BY un.path, a.min_amount", q));
  std::vector<AuthorityRow> out;
  for (store::Row r : rows) {
    AuthorityRow a = AuthorityOf(r);
    a.unit_name = r.Text("unit_name");
    a.unit_path = r.Text("unit_path");
    out.push_back(std::move(a));
  }
  return out;
}

Result<std::optional<AuthorityRow>> LoadAuthority(store::Connection& conn, int64_t tenant, int64_t id) {
  Value q[] = {tenant, id};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT id, unit_id, role, category_prefix, min_amount, max_discount_pct FROM pricing_authority "
      "WHERE tenant_id = ? AND id = ? AND archived_at IS NULL", q));
  if (rows.empty()) return std::optional<AuthorityRow>();
  return std::optional<AuthorityRow>(AuthorityOf(rows.row(0)));
}

Status InsertAuthority(store::Connection& conn, int64_t tenant, const AuthorityRow& a, const std::string& created_at,
                       std::optional<int64_t> created_by) {
  Value q[] = {tenant, a.id, a.unit_id, Nullable(a.role), Nullable(a.category_prefix),
               a.min_amount_fen, a.max_discount_pct, created_at, Nullable(created_by)};
  return conn.Exec("INSERT INTO pricing_authority (tenant_id, id, unit_id, role, category_prefix, min_amount, max_discount_pct, "
                   "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", q).status();
}

Status ArchiveAuthority(store::Connection& conn, int64_t tenant, int64_t id, const std::string& at) {
  Value q[] = {at, tenant, id};
  return conn.Exec("UPDATE pricing_authority SET archived_at = ? WHERE tenant_id = ? AND id = ? AND archived_at IS NULL", q).status();
}

Result<bool> UnitExists(store::Connection& conn, int64_t tenant, int64_t unit) {
  Value q[] = {tenant, unit};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT id FROM units WHERE tenant_id = ? AND id = ?", q));
  return !rows.empty();
}

Result<std::optional<std::string>> UserRole(store::Connection& conn, int64_t tenant, int64_t user) {
  Value q[] = {tenant, user};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT role FROM users WHERE tenant_id = ? AND id = ?", q));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows.row(0).Text("role"));
}

Result<std::optional<std::string>> ProductCategory(store::Connection& conn, int64_t tenant, int64_t product) {
  Value q[] = {tenant, product};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT category_path FROM products WHERE tenant_id = ? AND id = ?", q));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows.row(0).Text("category_path"));
}

Status LinkQuoteToOrder(store::Connection& conn, int64_t tenant, int64_t quote, int64_t order) {
  Value q[] = {order, tenant, quote};
  return conn.Exec("UPDATE quotes SET order_id = ? WHERE tenant_id = ? AND id = ? AND order_id IS NULL", q).status();
}

Result<std::vector<LiveContract>> LoadLiveContracts(store::Connection& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT id, status, start_date, end_date, owner_id, code, name FROM contracts WHERE tenant_id = ? AND archived_at IS NULL AND "
      "status IN ('signed', 'active', 'expiring')", q));
  std::vector<LiveContract> out;
  for (store::Row r : rows) {
    out.push_back({.id = r.Int("id"), .status = r.Text("status"), .start_date = r.Text("start_date"), .end_date = r.Text("end_date"),
                   .owner_id = r.OptInt("owner_id").value_or(0), .code = r.Text("code"), .name = r.Text("name")});
  }
  return out;
}

Result<std::set<int64_t>> LoadRenewedContracts(store::Connection& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      "SELECT renewal_of FROM contracts WHERE tenant_id = ? AND renewal_of IS NOT NULL AND status IN ('signed', 'active', 'expiring')", q));
  std::set<int64_t> out;
  for (store::Row r : rows) out.insert(r.Int("renewal_of"));
  return out;
}

}  // namespace keel::org::commerce
