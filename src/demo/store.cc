#include "demo/store.h"

#include "store/rows.h"

#include <span>

namespace keel::demo::repo {
namespace {

using store::Connection;
using store::Row;
using store::Value;

UserRow ReadUser(Row r) { return {r.Int("id"), r.Text("role"), r.Int("unit_id"), r.Text("path"), r.Text("username")}; }

Result<std::optional<UserRow>> OneUser(Connection& conn, const std::string& where, std::span<const Value> q) {
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query("SELECT u.id, u.role, u.unit_id, n.path, u.username FROM users u JOIN units n "
                                                  "ON n.tenant_id = u.tenant_id AND n.id = u.unit_id WHERE u.tenant_id = ? AND " + where, q));
  if (r.empty()) return std::optional<UserRow>();
  return std::optional<UserRow>(ReadUser(r.row(0)));
}

Result<std::optional<int64_t>> FirstId(Connection& conn, const std::string& sql, std::span<const Value> q) {
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(sql, q));
  if (r.empty()) return std::optional<int64_t>();
  return std::optional<int64_t>(r.row(0).Int("id"));
}

std::vector<std::string> Texts(const store::Rows& rows, std::string_view column) {
  return store::MapRows<std::string>(rows, [&](Row r) { return r.Text(column); });
}

}  // namespace

Result<std::optional<TenantRow>> TenantByCode(Connection& conn, const std::string& code) {
  Value q[] = {code};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query("SELECT id, time_zone FROM tenants WHERE code = ?", q));
  if (r.empty()) return std::optional<TenantRow>();
  return std::optional<TenantRow>(TenantRow{r.row(0).Int("id"), r.row(0).Text("time_zone")});
}

Result<int64_t> HqUnit(Connection& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(std::optional<int64_t> id, FirstId(conn, "SELECT id FROM units WHERE tenant_id = ? AND kind = 'hq'", q));
  return id.value_or(0);
}

Result<std::vector<UnitRow>> UnitsOfKind(Connection& conn, int64_t tenant, const std::vector<std::string>& kinds) {
  std::string sql = "SELECT id, kind, name, COALESCE(city, '') AS city FROM units WHERE tenant_id = ? AND kind IN (";
  std::vector<Value> q = {tenant};
  for (size_t i = 0; i < kinds.size(); ++i) {
    sql += i ? ", ?" : "?";
    q.emplace_back(kinds[i]);
  }
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(sql + ") ORDER BY id", q));
  return store::MapRows<UnitRow>(r, [](Row x) { return UnitRow{x.Int("id"), x.Text("kind"), x.Text("name"), x.Text("city")}; });
}

Result<std::optional<UserRow>> UserById(Connection& conn, int64_t tenant, int64_t id) {
  Value q[] = {tenant, id};
  return OneUser(conn, "u.id = ?", q);
}

Result<std::optional<UserRow>> UserByName(Connection& conn, int64_t tenant, const std::string& username) {
  Value q[] = {tenant, username};
  return OneUser(conn, "u.username = ?", q);
}

Result<std::vector<int64_t>> RepsOfUnit(Connection& conn, int64_t tenant, int64_t unit, int limit) {
  Value q[] = {tenant, unit};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT id FROM users WHERE tenant_id = ? AND unit_id = ? AND role = 'rep' AND status = 'active' ORDER BY id LIMIT " +
      std::to_string(limit), q));
  return store::MapRows<int64_t>(r, [](Row x) { return x.Int("id"); });
}

Result<std::optional<int64_t>> FirstProductIn(Connection& conn, int64_t tenant, const std::string& category_path) {
  Value q[] = {tenant, category_path};
  return FirstId(conn, "SELECT id FROM products WHERE tenant_id = ? AND category_path = ? ORDER BY id LIMIT 1", q);
}

Result<std::optional<int64_t>> FirstB2bCustomerOf(Connection& conn, int64_t tenant, int64_t owner) {
  Value q[] = {tenant, owner};
  return FirstId(conn, "SELECT id FROM customers WHERE tenant_id = ? AND owner_id = ? AND kind = 'b2b' ORDER BY id LIMIT 1", q);
}

Status InsertKbDocument(Connection& conn, int64_t tenant, const KbDocumentRow& d) {
  Value q[] = {tenant, d.id, d.title, d.body, d.kind, d.product_line, d.created_at};
  return conn.Exec("INSERT INTO kb_documents (tenant_id, id, title, body, kind, product_line, created_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)", q).status();
}

Status InsertTextSettings(Connection& conn, int64_t tenant, const std::string& terms, const std::string& intents,
                          int64_t recap_hour, const std::string& now) {
  Value s[] = {tenant, terms, intents, recap_hour, now};
  return conn.Exec("INSERT INTO text_settings (tenant_id, terms, intents, recap_hour, updated_at) VALUES (?, ?, ?, ?, ?)", s).status();
}

Status SetAllPasswords(Connection& conn, int64_t tenant, const std::string& hash) {
  Value q[] = {hash, tenant};
  return conn.Exec("UPDATE users SET password_hash = ? WHERE tenant_id = ?", q).status();
}

Result<std::vector<std::string>> StoreCodes(Connection& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query("SELECT code FROM stores WHERE tenant_id = ? AND archived_at IS NULL ORDER BY id", q));
  return Texts(r, "code");
}

Result<std::vector<StoreRepRow>> StoreReps(Connection& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT s.code, u.username FROM stores s JOIN units su ON su.tenant_id = s.tenant_id AND su.id = s.unit_id "
      "JOIN users u ON u.tenant_id = s.tenant_id AND u.role = 'rep' AND u.status = 'active' "
      "AND (u.unit_id = s.unit_id OR u.unit_id = su.parent_id) WHERE s.tenant_id = ? ORDER BY s.id, u.id", q));
  return store::MapRows<StoreRepRow>(r, [](Row x) { return StoreRepRow{x.Text("code"), x.Text("username")}; });
}

Result<std::vector<ProductRow>> ActiveProducts(Connection& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT sku, price FROM products WHERE tenant_id = ? AND archived_at IS NULL AND status = 'active' ORDER BY id", q));
  return store::MapRows<ProductRow>(r, [](Row x) { return ProductRow{x.Text("sku"), x.Int("price")}; });
}

Result<std::vector<std::string>> CustomerCodes(Connection& conn, int64_t tenant, int limit) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT code FROM customers WHERE tenant_id = ? AND archived_at IS NULL ORDER BY id LIMIT " + std::to_string(limit), q));
  return Texts(r, "code");
}

Result<std::vector<std::string>> ActiveRepNames(Connection& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT username FROM users WHERE tenant_id = ? AND role = 'rep' AND status = 'active' ORDER BY id", q));
  return Texts(r, "username");
}

Result<std::vector<DealRow>> OpenDeals(Connection& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT id, stage FROM opportunities WHERE tenant_id = ? AND outcome = 'open' AND archived_at IS NULL ORDER BY id", q));
  return store::MapRows<DealRow>(r, [](Row x) { return DealRow{x.Int("id"), x.Text("stage")}; });
}

Result<std::vector<CustomerRow>> CustomersWithOpenDeals(Connection& conn, int64_t tenant, int limit) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT code, name FROM customers c WHERE tenant_id = ? AND archived_at IS NULL AND EXISTS (SELECT 1 FROM opportunities o "
      "WHERE o.tenant_id = c.tenant_id AND o.customer_id = c.id AND o.outcome = 'open' AND o.archived_at IS NULL) ORDER BY id LIMIT " +
      std::to_string(limit), q));
  return store::MapRows<CustomerRow>(r, [](Row x) { return CustomerRow{x.Text("code"), x.Text("name")}; });
}

}  // namespace keel::demo::repo
