// The ingestion part's repository (数据接入存储): the master-data lookups that validate facts at
// the door (stores, customers, products and users by code), the idempotency keys, the bulk
// writes of orders with lines, activities and signals, and the custom event types. Rows come
// back as structs read by column name. Each function runs on the caller's connection (inside the
// caller's transaction when there is one) and returns the store's Status on failure; nothing
// here checks permissions.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/database.h"

namespace keel::ingest::repo {

// ---- master data by code (active rows only)

struct StoreRow {
  std::string code;
  int64_t id = 0, unit_id = 0, manager_id = 0;
};
struct CustomerRow {
  std::string code;
  int64_t id = 0, owner_id = 0, unit_id = 0;
};
struct ProductRow {
  std::string sku;
  int64_t id = 0;
};
struct UserRow {
  std::string username;
  int64_t id = 0, unit_id = 0;
};

Result<std::vector<StoreRow>> Stores(store::Connection& conn, int64_t tenant);
Result<std::vector<CustomerRow>> Customers(store::Connection& conn, int64_t tenant);
Result<std::vector<ProductRow>> Products(store::Connection& conn, int64_t tenant);
// Active users.
Result<std::vector<UserRow>> Users(store::Connection& conn, int64_t tenant);
Result<std::optional<StoreRow>> FindStore(store::Connection& conn, int64_t tenant, const std::string& code);
Result<std::optional<CustomerRow>> FindCustomer(store::Connection& conn, int64_t tenant, const std::string& code);
Result<std::optional<ProductRow>> FindProduct(store::Connection& conn, int64_t tenant, const std::string& sku);
// An active user by username.
Result<std::optional<UserRow>> FindUser(store::Connection& conn, int64_t tenant, const std::string& username);
// Any user (active or not) by id; the username is not read.
Result<std::optional<UserRow>> UserById(store::Connection& conn, int64_t tenant, int64_t id);

// ---- idempotency keys and order codes

// Records `key` as seen; false when it already was (the record is a duplicate).
Result<bool> ClaimKey(store::Connection& conn, int64_t tenant, const std::string& key, const std::string& now);
Result<bool> KeySeen(store::Connection& conn, int64_t tenant, const std::string& key);
// Which of `codes` orders of the tenant already use (one query per 500 codes).
Result<std::set<std::string>> TakenOrderCodes(store::Connection& conn, int64_t tenant, const std::vector<std::string>& codes);

// ---- the facts (0 / empty / nullopt fields are stored as NULL where the column allows it)

struct OrderRow {
  int64_t id = 0;
  std::string code;
  int64_t store_id = 0, customer_id = 0, owner_id = 0, unit_id = 0;
  std::string channel, status, ordered_at, currency;
  int64_t total = 0, discount_total = 0, line_count = 0;  // cents
  std::string now;
  int64_t created_by = 0;
};
struct OrderLineRow {
  int64_t order_id = 0, line_no = 0, product_id = 0, qty = 0, unit_price = 0, discount = 0, amount = 0;  // cents
};
struct ActivityRow {
  int64_t id = 0;
  std::string kind, subject, notes, occurred_at;
  std::optional<int64_t> duration_min;
  std::string outcome;
  int64_t customer_id = 0, store_id = 0, owner_id = 0, unit_id = 0;
  std::string now;
  int64_t created_by = 0;
};
struct SignalRow {
  int64_t id = 0;
  std::string kind, source, title, body, url;
  int64_t customer_id = 0;
  std::optional<double> sentiment;
  int64_t owner_id = 0, unit_id = 0;
  std::string occurred_at, now;
};

// The rows of one group commit, gathered per table and written table by table
// (store::InsertMany: one statement per 2,000 rows on PostgreSQL), orders before their lines.
struct PendingRows {
  std::vector<std::vector<store::Value>> orders, order_lines, activities, signals;
};
void AddOrder(PendingRows& out, int64_t tenant, const OrderRow& o);
void AddOrderLine(PendingRows& out, int64_t tenant, const OrderLineRow& l);
void AddActivity(PendingRows& out, int64_t tenant, const ActivityRow& a);
void AddSignal(PendingRows& out, int64_t tenant, const SignalRow& s);
Status InsertPending(store::Connection& conn, const PendingRows& rows);

// ---- event_types

struct EventTypeRow {
  std::string name;
  int64_t version = 0;
  std::string definition;  // the stored JSON document
  std::string created_at;
};
// Active types, by name.
Result<std::vector<EventTypeRow>> ActiveEventTypes(store::Connection& conn, int64_t tenant);
// The current row of `name` whatever its status.
Result<std::optional<EventTypeRow>> EventType(store::Connection& conn, int64_t tenant, const std::string& name);
// Inserts the type or replaces its row (version, definition, active again).
Status SaveEventType(store::Connection& conn, int64_t tenant, const std::string& name, int64_t version,
                     const std::string& definition, const std::string& now, int64_t user);

}  // namespace keel::ingest::repo
