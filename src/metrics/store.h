// The metric part's repository (指标存储): every statement on metric_defs, metric_state and
// metric_cells, and the reads of master data (units, users, stores, products, customers, leads,
// targets, event types) the engine enriches facts with. Rows come back as structs read by column
// name. Each function runs on the caller's connection (inside the caller's transaction when there
// is one) and returns the store's Status on failure; nothing here checks permissions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/database.h"

namespace keel::metrics::repo {

// ---- tenants

// The tenant's time zone name; nullopt for an unknown tenant.
Result<std::optional<std::string>> TenantTimeZone(store::Connection& conn, int64_t tenant);
Result<std::vector<int64_t>> ActiveTenants(store::Connection& conn);

// ---- metric_defs (new versions are written through domain/versions.h)

struct DefinitionRow {
  std::string name;
  int64_t version = 0;
  std::string definition;  // the stored JSON document
  int64_t owner_id = 0;
};
struct VersionRow {
  int64_t version = 0;
  std::string status;
  int64_t owner_id = 0;
  std::string created_at;
};

Result<int64_t> CountDefinitions(store::Connection& conn, int64_t tenant);
// A built-in definition: version 1, active, owned by nobody.
Status InsertBuiltinDefinition(store::Connection& conn, int64_t tenant, const std::string& name,
                               const std::string& definition, const std::string& now);
// The active version of every definition, by name.
Result<std::vector<DefinitionRow>> ActiveDefinitions(store::Connection& conn, int64_t tenant);
// Every version of one definition, oldest first.
Result<std::vector<VersionRow>> DefinitionVersions(store::Connection& conn, int64_t tenant, const std::string& name);
// Archives the active version; returns how many rows changed (0: none was active).
Result<int64_t> ArchiveDefinition(store::Connection& conn, int64_t tenant, const std::string& name);

// ---- metric_state and metric_cells (the persisted rollups)

struct StateRow {
  std::string name;
  int64_t version = 0, applied_seq = 0;
};
struct CellRow {
  int64_t grain = 0, bucket = 0;
  std::string dims;  // encoded dimension values; "" for the bucket's total
  int64_t n = 0;
  double total = 0;
  std::optional<double> lo, hi;
  std::optional<std::string> distinct_values;  // comma-separated keys
};

Result<std::vector<StateRow>> States(store::Connection& conn, int64_t tenant);
Status SaveState(store::Connection& conn, int64_t tenant, const std::string& name, int64_t version, int64_t applied_seq,
                 const std::string& now);
Result<std::vector<CellRow>> Cells(store::Connection& conn, int64_t tenant, const std::string& name, int64_t version);
// Inserts or replaces one cell (keyed by grain, bucket and dims).
Status UpsertCell(store::Connection& conn, int64_t tenant, const std::string& name, int64_t version, const CellRow& c);
// Drops the cells of every version but `version` (its first write).
Status DeleteOtherVersions(store::Connection& conn, int64_t tenant, const std::string& name, int64_t version);
// Retention: drops the grain's buckets before `cut`.
Status DeleteCellsBefore(store::Connection& conn, int64_t tenant, const std::string& name, int64_t version, int64_t grain,
                         int64_t cut);
// An archived metric: its cells and its state go.
Status DeleteRollups(store::Connection& conn, int64_t tenant, const std::string& name);

// ---- master data and sources

struct EventTypeRow {
  std::string name, definition;
};
struct UnitRow {
  int64_t id = 0, parent_id = 0;  // 0: the root
  std::string kind, path, name;
};
struct UserRow {
  int64_t id = 0;
  std::string display_name;
  int64_t unit_id = 0, supervisor_id = 0;  // 0: none
};
struct StoreRow {
  int64_t id = 0;
  std::string name;
};
struct ProductRow {
  int64_t id = 0;
  std::string category_path, sku;
  std::optional<int64_t> cost;  // cents
};
struct CustomerRow {
  int64_t id = 0;
  std::optional<std::string> segment;
};
struct LeadRow {
  int64_t id = 0;
  std::string created_at, source, channel;
  int64_t owner_id = 0, unit_id = 0;
};
struct TargetRow {
  std::optional<int64_t> user_id;  // none: a unit's target
  double value = 0;
  std::string unit_path;
};

// Custom event types in force (their definitions are the metric engine's custom sources).
Result<std::vector<EventTypeRow>> ActiveEventTypes(store::Connection& conn, int64_t tenant);
Result<std::vector<UnitRow>> Units(store::Connection& conn, int64_t tenant);
Result<std::vector<UserRow>> Users(store::Connection& conn, int64_t tenant);
Result<std::vector<StoreRow>> Stores(store::Connection& conn, int64_t tenant);
Result<std::vector<ProductRow>> Products(store::Connection& conn, int64_t tenant);
Result<std::vector<CustomerRow>> Customers(store::Connection& conn, int64_t tenant);
Result<std::vector<LeadRow>> Leads(store::Connection& conn, int64_t tenant);
// Targets of `metric` whose period starts in [from_date, to_date] (dates YYYY-MM-DD), not archived.
Result<std::vector<TargetRow>> Targets(store::Connection& conn, int64_t tenant, const std::string& metric,
                                       const std::string& from_date, const std::string& to_date);

}  // namespace keel::metrics::repo
