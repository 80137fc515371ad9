// The demo's repository (演示存储): the reads the generators and the live simulator make of the
// tenant they built (units, reps, stores, products, customers, open deals) and the few writes
// that have no record service (knowledge documents, text settings, the shared demo password).
// Rows come back as structs read by column name. Each function runs on the caller's connection
// (inside the caller's transaction when there is one); nothing here checks permissions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/database.h"

namespace keel::demo::repo {

struct TenantRow {
  int64_t id = 0;
  std::string time_zone;
};
struct UnitRow {
  int64_t id = 0;
  std::string kind, name, city;
};
struct UserRow {
  int64_t id = 0;
  std::string role;
  int64_t unit_id = 0;
  std::string unit_path, username;
};
struct StoreRepRow {
  std::string store_code, username;
};
struct ProductRow {
  std::string sku;
  int64_t price = 0;  // cents
};
struct CustomerRow {
  std::string code, name;
};
struct DealRow {
  int64_t id = 0;
  std::string stage;
};
struct KbDocumentRow {
  int64_t id = 0;
  std::string title, body, kind, product_line, created_at;
};

// ---- the generator and the seeds

Result<std::optional<TenantRow>> TenantByCode(store::Connection& conn, const std::string& code);
// The tenant's HQ unit (0 when there is none).
Result<int64_t> HqUnit(store::Connection& conn, int64_t tenant);
// Units of the given kinds ("hq", "region", "unit"), by id; city "" when unset.
Result<std::vector<UnitRow>> UnitsOfKind(store::Connection& conn, int64_t tenant, const std::vector<std::string>& kinds);
// A user with their unit's path (nullopt when unknown or without a unit).
Result<std::optional<UserRow>> UserById(store::Connection& conn, int64_t tenant, int64_t id);
Result<std::optional<UserRow>> UserByName(store::Connection& conn, int64_t tenant, const std::string& username);
// The first `limit` active reps of a unit, by id.
Result<std::vector<int64_t>> RepsOfUnit(store::Connection& conn, int64_t tenant, int64_t unit, int limit);
// The first product of a category path, if any.
Result<std::optional<int64_t>> FirstProductIn(store::Connection& conn, int64_t tenant, const std::string& category_path);
// The user's first B2B customer, if any.
Result<std::optional<int64_t>> FirstB2bCustomerOf(store::Connection& conn, int64_t tenant, int64_t owner);
Status InsertKbDocument(store::Connection& conn, int64_t tenant, const KbDocumentRow& d);
Status InsertTextSettings(store::Connection& conn, int64_t tenant, const std::string& terms, const std::string& intents,
                          int64_t recap_hour, const std::string& now);
// Every user of the tenant gets the same password hash.
Status SetAllPasswords(store::Connection& conn, int64_t tenant, const std::string& hash);

// ---- the live simulator's view of the tenant (all by id)

Result<std::vector<std::string>> StoreCodes(store::Connection& conn, int64_t tenant);
// Active reps of each store's unit or of its parent unit, by store then user.
Result<std::vector<StoreRepRow>> StoreReps(store::Connection& conn, int64_t tenant);
Result<std::vector<ProductRow>> ActiveProducts(store::Connection& conn, int64_t tenant);
Result<std::vector<std::string>> CustomerCodes(store::Connection& conn, int64_t tenant, int limit);
Result<std::vector<std::string>> ActiveRepNames(store::Connection& conn, int64_t tenant);
Result<std::vector<DealRow>> OpenDeals(store::Connection& conn, int64_t tenant);
// Customers with an open deal.
Result<std::vector<CustomerRow>> CustomersWithOpenDeals(store::Connection& conn, int64_t tenant, int limit);

}  // namespace keel::demo::repo
