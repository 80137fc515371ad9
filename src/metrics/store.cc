#include "metrics/store.h"

#include "store/rows.h"

namespace keel::metrics::repo {
namespace {

using store::Connection;
using store::Row;
using store::Value;

}  // namespace

Result<std::optional<std::string>> TenantTimeZone(Connection& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query("SELECT time_zone FROM tenants WHERE id = ?", q));
  if (r.empty()) return std::optional<std::string>();
  return std::optional<std::string>(r.row(0).Text("time_zone"));
}

Result<std::vector<int64_t>> ActiveTenants(Connection& conn) {
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query("SELECT id FROM tenants WHERE status = 'active'"));
  return store::MapRows<int64_t>(r, [](Row x) { return x.Int("id"); });
}

Result<int64_t> CountDefinitions(Connection& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query("SELECT COUNT(*) AS n FROM metric_defs WHERE tenant_id = ?", q));
  return r.row(0).Int("n");
}

Status InsertBuiltinDefinition(Connection& conn, int64_t tenant, const std::string& name, const std::string& definition,
                               const std::string& now) {
  Value ins[] = {tenant, name, int64_t{1}, definition, std::string("active"), int64_t{0}, now};
  return conn.Exec("INSERT INTO metric_defs (tenant_id, name, version, definition, status, owner_id, "
                   "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", ins).status();
}

Result<std::vector<DefinitionRow>> ActiveDefinitions(Connection& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT name, version, definition, owner_id FROM metric_defs WHERE tenant_id = ? AND status = 'active' ORDER BY name", q));
  return store::MapRows<DefinitionRow>(r, [](Row x) {
    return DefinitionRow{x.Text("name"), x.Int("version"), x.Text("definition"), x.Int("owner_id")};
  });
}

Result<std::vector<VersionRow>> DefinitionVersions(Connection& conn, int64_t tenant, const std::string& name) {
  Value q[] = {tenant, name};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT version, status, owner_id, created_at FROM metric_defs WHERE tenant_id = ? AND name = ? ORDER BY version", q));
  return store::MapRows<VersionRow>(r, [](Row x) {
    return VersionRow{x.Int("version"), x.Text("status"), x.Int("owner_id"), x.Text("created_at")};
  });
}

Result<int64_t> ArchiveDefinition(Connection& conn, int64_t tenant, const std::string& name) {
  Value q[] = {tenant, name};
  return conn.Exec("UPDATE metric_defs SET status = 'archived' WHERE tenant_id = ? AND name = ? AND status = 'active'", q);
}

Result<std::vector<StateRow>> States(Connection& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query("SELECT name, version, applied_seq FROM metric_state WHERE tenant_id = ?", q));
  return store::MapRows<StateRow>(r, [](Row x) { return StateRow{x.Text("name"), x.Int("version"), x.Int("applied_seq")}; });
}

Status SaveState(Connection& conn, int64_t tenant, const std::string& name, int64_t version, int64_t applied_seq,
                 const std::string& now) {
  Value st[] = {tenant, name, version, applied_seq, now};
  return conn.Exec(
      "INSERT INTO metric_state (tenant_id, name, version, applied_seq, updated_at) VALUES (?, ?, ?, ?, ?) "
      "ON CONFLICT (tenant_id, name) DO UPDATE SET version = excluded.version, applied_seq = excluded.applied_seq, "
      "updated_at = excluded.updated_at", st).status();
}

Result<std::vector<CellRow>> Cells(Connection& conn, int64_t tenant, const std::string& name, int64_t version) {
  Value q[] = {tenant, name, version};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT grain, bucket, dims, n, total, lo, hi, distinct_values FROM metric_cells "
      "WHERE tenant_id = ? AND name = ? AND version = ?", q));
  return store::MapRows<CellRow>(r, [](Row x) {
    return CellRow{x.Int("grain"), x.Int("bucket"), x.Text("dims"), x.Int("n"), x.Double("total"),
                   x.OptDouble("lo"), x.OptDouble("hi"), x.OptText("distinct_values")};
  });
}

Status UpsertCell(Connection& conn, int64_t tenant, const std::string& name, int64_t version, const CellRow& c) {
  Value row[] = {tenant, name, version, c.grain, c.bucket, c.dims, c.n, c.total,
                 store::Nullable(c.lo), store::Nullable(c.hi), store::Nullable(c.distinct_values)};
  return conn.Exec(
      "INSERT INTO metric_cells (tenant_id, name, version, grain, bucket, dims, n, total, lo, hi, distinct_values) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, name, version, grain, bucket, dims) DO UPDATE "
      "SET n = excluded.n, total = excluded.total, lo = excluded.lo, hi = excluded.hi, "
      "distinct_values = excluded.distinct_values", row).status();
}

Status DeleteOtherVersions(Connection& conn, int64_t tenant, const std::string& name, int64_t version) {
  Value d[] = {tenant, name, version};
  return conn.Exec("DELETE FROM metric_cells WHERE tenant_id = ? AND name = ? AND version <> ?", d).status();
}

Status DeleteCellsBefore(Connection& conn, int64_t tenant, const std::string& name, int64_t version, int64_t grain,
                         int64_t cut) {
  Value d[] = {tenant, name, version, grain, cut};
  return conn.Exec("DELETE FROM metric_cells WHERE tenant_id = ? AND name = ? AND version = ? "
                   "AND grain = ? AND bucket < ?", d).status();
}

Status DeleteRollups(Connection& conn, int64_t tenant, const std::string& name) {
  Value q[] = {tenant, name};
  KEEL_RETURN_IF_ERROR(conn.Exec("DELETE FROM metric_cells WHERE tenant_id = ? AND name = ?", q).status());
  return conn.Exec("DELETE FROM metric_state WHERE tenant_id = ? AND name = ?", q).status();
}

Result<std::vector<EventTypeRow>> ActiveEventTypes(Connection& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT name, definition FROM event_types WHERE tenant_id = ? AND status = 'active'", q));
  return store::MapRows<EventTypeRow>(r, [](Row x) { return EventTypeRow{x.Text("name"), x.Text("definition")}; });
}

Result<std::vector<UnitRow>> Units(Connection& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query("SELECT id, parent_id, kind, path, name FROM units WHERE tenant_id = ?", q));
  return store::MapRows<UnitRow>(r, [](Row x) {
    return UnitRow{x.Int("id"), x.Int("parent_id"), x.Text("kind"), x.Text("path"), x.Text("name")};
  });
}

Result<std::vector<UserRow>> Users(Connection& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query("SELECT id, display_name, unit_id, supervisor_id FROM users WHERE tenant_id = ?", q));
  return store::MapRows<UserRow>(r, [](Row x) {
    return UserRow{x.Int("id"), x.Text("display_name"), x.Int("unit_id"), x.Int("supervisor_id")};
  });
}

Result<std::vector<StoreRow>> Stores(Connection& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query("SELECT id, name FROM stores WHERE tenant_id = ?", q));
  return store::MapRows<StoreRow>(r, [](Row x) { return StoreRow{x.Int("id"), x.Text("name")}; });
}

Result<std::vector<ProductRow>> Products(Connection& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query("SELECT id, category_path, sku, cost FROM products WHERE tenant_id = ?", q));
  return store::MapRows<ProductRow>(r, [](Row x) {
    return ProductRow{x.Int("id"), x.Text("category_path"), x.Text("sku"), x.OptInt("cost")};
  });
}

Result<std::vector<CustomerRow>> Customers(Connection& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query("SELECT id, segment FROM customers WHERE tenant_id = ?", q));
  return store::MapRows<CustomerRow>(r, [](Row x) { return CustomerRow{x.Int("id"), x.OptText("segment")}; });
}

Result<std::vector<LeadRow>> Leads(Connection& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT id, created_at, source, channel, owner_id, unit_id FROM leads WHERE tenant_id = ?", q));
  return store::MapRows<LeadRow>(r, [](Row x) {
    return LeadRow{x.Int("id"), x.Text("created_at"), x.Text("source"), x.Text("channel"), x.Int("owner_id"), x.Int("unit_id")};
  });
}

Result<std::vector<TargetRow>> Targets(Connection& conn, int64_t tenant, const std::string& metric,
                                       const std::string& from_date, const std::string& to_date) {
  Value q[] = {tenant, metric, from_date, to_date};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT t.user_id, t.value, u.path FROM targets t JOIN units u ON u.tenant_id = t.tenant_id AND u.id = t.unit_id "
      "WHERE t.tenant_id = ? AND t.metric = ? AND t.period_start >= ? AND t.period_start <= ? AND t.archived_at IS NULL", q));
  return store::MapRows<TargetRow>(r, [](Row x) { return TargetRow{x.OptInt("user_id"), x.Double("value"), x.Text("path")}; });
}

}  // namespace keel::metrics::repo
