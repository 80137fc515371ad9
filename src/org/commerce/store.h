// The commerce repository: pricing-authority rules, the link from a quote to its order, and the
// reads of the contract lifecycle. The only place the commerce files' SQL lives; rows are read by
// column name into the structs below.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/database.h"

namespace keel::org::commerce {

// A pricing-authority rule: who (a unit's subtree, optionally one role) may give how much discount
// on what (a category prefix) from which deal size on.
struct AuthorityRow {
  int64_t id = 0;
  int64_t unit_id = 0;
  std::string unit_name;  // loaded rules only
  std::string unit_path;  // loaded rules only
  std::optional<std::string> role;
  std::optional<std::string> category_prefix;
  int64_t min_amount_fen = 0;
  double max_discount_pct = 0;
};

// The tenant's active rules, by the unit's place in the tree and then the deal size.
Result<std::vector<AuthorityRow>> LoadAuthorities(store::Connection& conn, int64_t tenant);
// One active rule, or nullopt.
Result<std::optional<AuthorityRow>> LoadAuthority(store::Connection& conn, int64_t tenant, int64_t id);
Status InsertAuthority(store::Connection& conn, int64_t tenant, const AuthorityRow& rule, const std::string& created_at,
                       std::optional<int64_t> created_by);
Status ArchiveAuthority(store::Connection& conn, int64_t tenant, int64_t id, const std::string& at);

// Whether the unit is the tenant's.
Result<bool> UnitExists(store::Connection& conn, int64_t tenant, int64_t unit);
// A user's role, or nullopt when there is no such user.
Result<std::optional<std::string>> UserRole(store::Connection& conn, int64_t tenant, int64_t user);
// A product's category path, or nullopt when there is no such product.
Result<std::optional<std::string>> ProductCategory(store::Connection& conn, int64_t tenant, int64_t product);

// Names the order a quote became (only once: a quote already linked keeps its order).
Status LinkQuoteToOrder(store::Connection& conn, int64_t tenant, int64_t quote, int64_t order);

// A contract in force (signed, active or expiring), as the lifecycle reads it.
struct LiveContract {
  int64_t id = 0;
  std::string status;
  std::string start_date, end_date;
  int64_t owner_id = 0;  // 0: none
  std::string code, name;
};
Result<std::vector<LiveContract>> LoadLiveContracts(store::Connection& conn, int64_t tenant);
// The contracts that a contract in force renews.
Result<std::set<int64_t>> LoadRenewedContracts(store::Connection& conn, int64_t tenant);

}  // namespace keel::org::commerce
