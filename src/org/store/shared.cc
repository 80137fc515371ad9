#include "org/store/shared.h"

namespace keel::org::repo {

using store::Value;

namespace {

const char* kRuleTables[] = {"expense_policies", "allocation_rules", "profit_sharing_rules"};

// The table name goes into the statement: only the rule tables are accepted.
Status CheckRuleTable(const std::string& table) {
  for (const char* t : kRuleTables) {
    if (table == t) return Status();
  }
  return Status::Internal("not a rule table: " + table);
}

}  // namespace

Result<std::optional<std::string>> TenantTimeZone(store::Connection& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query("SELECT time_zone FROM tenants WHERE id = ?", q));
  if (r.empty()) return std::optional<std::string>();
  return std::optional<std::string>(r.row(0).Text("time_zone"));
}

Result<std::optional<std::string>> UnitPath(store::Connection& conn, int64_t tenant, int64_t unit, bool live_only) {
  Value q[] = {tenant, unit};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(live_only ? "SELECT path FROM units WHERE tenant_id = ? AND id = ? AND archived_at IS NULL"
                                                            : "SELECT path FROM units WHERE tenant_id = ? AND id = ?",
                                                  q));
  if (r.empty()) return std::optional<std::string>();
  return std::optional<std::string>(r.row(0).Text("path"));
}

namespace {
UnitRow UnitOf(const store::Row& r) {
  return {.id = r.Int("id"), .path = r.Text("path"), .name = r.Text("name"), .code = r.Text("code"), .kind = r.Text("kind"),
          .parent_id = r.OptInt("parent_id"), .archived = !r.Null("archived_at")};
}
}  // namespace

Result<std::optional<UnitRow>> LoadUnit(store::Connection& conn, int64_t tenant, int64_t unit) {
  Value q[] = {tenant, unit};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT id, path, name, code, kind, parent_id, archived_at FROM units WHERE tenant_id = ? AND id = ?", q));
  if (r.empty()) return std::optional<UnitRow>();
  return std::optional<UnitRow>(UnitOf(r.row(0)));
}

Result<std::vector<UnitRow>> LoadUnits(store::Connection& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT id, path, name, code, kind, parent_id, archived_at FROM units WHERE tenant_id = ? ORDER BY path", q));
  std::vector<UnitRow> out;
  for (store::Row row : r) out.push_back(UnitOf(row));
  return out;
}

Result<std::vector<UnitRow>> LoadProfitCentres(store::Connection& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT id, path, name FROM units WHERE tenant_id = ? AND kind = 'unit' AND archived_at IS NULL ORDER BY path", q));
  std::vector<UnitRow> out;
  for (store::Row row : r) out.push_back({.id = row.Int("id"), .path = row.Text("path"), .name = row.Text("name"), .kind = "unit"});
  return out;
}

Result<store::Rows> LoadRuleRow(store::Connection& conn, const std::string& table, int64_t tenant, int64_t id) {
  KEEL_RETURN_IF_ERROR(CheckRuleTable(table));
  Value q[] = {tenant, id};
  return conn.Query("SELECT * FROM " + table + " WHERE tenant_id = ? AND id = ? AND archived_at IS NULL", q);
}

Result<int64_t> ArchiveRuleRow(store::Connection& conn, const std::string& table, int64_t tenant, int64_t id, const std::string& at) {
  KEEL_RETURN_IF_ERROR(CheckRuleTable(table));
  Value q[] = {at, tenant, id};
  return conn.Exec("UPDATE " + table + " SET archived_at = ? WHERE tenant_id = ? AND id = ? AND archived_at IS NULL", q);
}

Result<std::vector<DuePriceChange>> LoadDuePriceChanges(store::Connection& conn, int64_t tenant, const std::string& today) {
  Value q[] = {tenant, today};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT id, product_id, new_price, old_price FROM price_changes WHERE tenant_id = ? AND status = 'approved' AND effective_date <= ? AND "
      "archived_at IS NULL ORDER BY effective_date, id", q));
  std::vector<DuePriceChange> out;
  for (store::Row row : r) {
    out.push_back({.id = row.Int("id"), .product_id = row.Int("product_id"), .new_price_fen = row.Int("new_price"),
                   .old_price_fen = row.Int("old_price")});
  }
  return out;
}

}  // namespace keel::org::repo
