// The org part's shared reads and writes: the tenant's zone, unit paths and profit-centre units,
// archiving a rule row, and the price changes that are due. With the other files of this folder
// the only place the org part's money-side SQL lives (the workflow, commerce and governance files
// have their own); rows are read by column name into the structs below. No permission checks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/database.h"

namespace keel::org::repo {

// The tenant's IANA time zone, or nullopt when there is no such tenant.
Result<std::optional<std::string>> TenantTimeZone(store::Connection& conn, int64_t tenant);

// A unit's materialised path, or nullopt when the unit is not the tenant's. `live_only`: archived
// units count as missing.
Result<std::optional<std::string>> UnitPath(store::Connection& conn, int64_t tenant, int64_t unit, bool live_only = false);

// A unit as the P&L and the consolidated view show it.
struct UnitRow {
  int64_t id = 0;
  std::string path, name, code, kind;
  std::optional<int64_t> parent_id;
  bool archived = false;
};
Result<std::optional<UnitRow>> LoadUnit(store::Connection& conn, int64_t tenant, int64_t unit);
// Every unit of the tenant (archived ones too), by path.
Result<std::vector<UnitRow>> LoadUnits(store::Connection& conn, int64_t tenant);
// The live profit-centre units (kind "unit"), by path (id, path and name only).
Result<std::vector<UnitRow>> LoadProfitCentres(store::Connection& conn, int64_t tenant);

// The live row `id` of a rule table (expense_policies, allocation_rules, profit_sharing_rules), all
// of its columns: what its audit row shows. Empty when there is none.
Result<store::Rows> LoadRuleRow(store::Connection& conn, const std::string& table, int64_t tenant, int64_t id);
// Archives it; returns how many rows changed (0 or 1).
Result<int64_t> ArchiveRuleRow(store::Connection& conn, const std::string& table, int64_t tenant, int64_t id, const std::string& at);

// An approved price change whose effective day has come.
struct DuePriceChange {
  int64_t id = 0, product_id = 0, new_price_fen = 0, old_price_fen = 0;
};
Result<std::vector<DuePriceChange>> LoadDuePriceChanges(store::Connection& conn, int64_t tenant, const std::string& today);

}  // namespace keel::org::repo
