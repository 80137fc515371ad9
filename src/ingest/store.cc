#include "ingest/store.h"

#include "store/bulk.h"

#include "store/rows.h"

#include <algorithm>

namespace keel::ingest::repo {
namespace {

using store::Connection;
using store::Row;
using store::Value;

template <typename T, typename F>
std::optional<T> First(const store::Rows& rows, F read) {
  if (rows.empty()) return std::nullopt;
  return read(rows.row(0));
}

StoreRow ReadStore(Row r) { return {r.Text("code"), r.Int("id"), r.Int("unit_id"), r.Int("manager_id")}; }
CustomerRow ReadCustomer(Row r) { return {r.Text("code"), r.Int("id"), r.Int("owner_id"), r.Int("unit_id")}; }
ProductRow ReadProduct(Row r) { return {r.Text("sku"), r.Int("id")}; }
UserRow ReadUser(Row r) { return {r.Text("username"), r.Int("id"), r.Int("unit_id")}; }
EventTypeRow ReadType(Row r) { return {r.Text("name"), r.Int("version"), r.Text("definition"), r.Text("created_at")}; }

Value OptId(int64_t v) { return v ? Value(v) : Value(); }
Value OptText(const std::string& v) { return v.empty() ? Value() : Value(v); }

}  // namespace

Result<std::vector<StoreRow>> Stores(Connection& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT code, id, unit_id, manager_id FROM stores WHERE tenant_id = ? AND archived_at IS NULL", q));
  return store::MapRows<StoreRow>(r, ReadStore);
}

Result<std::vector<CustomerRow>> Customers(Connection& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT code, id, owner_id, unit_id FROM customers WHERE tenant_id = ? AND archived_at IS NULL", q));
  return store::MapRows<CustomerRow>(r, ReadCustomer);
}

Result<std::vector<ProductRow>> Products(Connection& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query("SELECT sku, id FROM products WHERE tenant_id = ? AND archived_at IS NULL", q));
  return store::MapRows<ProductRow>(r, ReadProduct);
}

Result<std::vector<UserRow>> Users(Connection& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query("SELECT username, id, unit_id FROM users WHERE tenant_id = ? AND status = 'active'", q));
  return store::MapRows<UserRow>(r, ReadUser);
}

Result<std::optional<StoreRow>> FindStore(Connection& conn, int64_t tenant, const std::string& code) {
  Value q[] = {tenant, code};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT code, id, unit_id, manager_id FROM stores WHERE tenant_id = ? AND code = ? AND archived_at IS NULL", q));
  return First<StoreRow>(r, ReadStore);
}

Result<std::optional<CustomerRow>> FindCustomer(Connection& conn, int64_t tenant, const std::string& code) {
  Value q[] = {tenant, code};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT code, id, owner_id, unit_id FROM customers WHERE tenant_id = ? AND code = ? AND archived_at IS NULL", q));
  return First<CustomerRow>(r, ReadCustomer);
}

Result<std::optional<ProductRow>> FindProduct(Connection& conn, int64_t tenant, const std::string& sku) {
  Value q[] = {tenant, sku};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT sku, id FROM products WHERE tenant_id = ? AND sku = ? AND archived_at IS NULL", q));
  return First<ProductRow>(r, ReadProduct);
}

Result<std::optional<UserRow>> FindUser(Connection& conn, int64_t tenant, const std::string& username) {
  Value q[] = {tenant, username};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT username, id, unit_id FROM users WHERE tenant_id = ? AND username = ? AND status = 'active'", q));
  return First<UserRow>(r, ReadUser);
}

Result<std::optional<UserRow>> UserById(Connection& conn, int64_t tenant, int64_t id) {
  Value q[] = {tenant, id};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query("SELECT id, unit_id FROM users WHERE tenant_id = ? AND id = ?", q));
  return First<UserRow>(r, [](Row x) { return UserRow{"", x.Int("id"), x.Int("unit_id")}; });
}

Result<bool> ClaimKey(Connection& conn, int64_t tenant, const std::string& key, const std::string& now) {
  Value k[] = {tenant, key, int64_t{0}, now};
  KEEL_ASSIGN_OR_RETURN(int64_t fresh, conn.Exec(
      "INSERT INTO ingest_keys (tenant_id, key, seq, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id, key) DO NOTHING", k));
  return fresh != 0;
}

Result<bool> KeySeen(Connection& conn, int64_t tenant, const std::string& key) {
  Value k[] = {tenant, key};
  KEEL_ASSIGN_OR_RETURN(store::Rows seen, conn.Query("SELECT 1 AS seen FROM ingest_keys WHERE tenant_id = ? AND key = ?", k));
  return !seen.empty();
}

Result<std::set<std::string>> TakenOrderCodes(Connection& conn, int64_t tenant, const std::vector<std::string>& codes) {
  std::set<std::string> taken;
  for (size_t from = 0; from < codes.size(); from += 500) {
    size_t n = std::min<size_t>(500, codes.size() - from);
    std::string sql = "SELECT code FROM orders WHERE tenant_id = ? AND code IN (?";
    std::vector<Value> params = {tenant, codes[from]};
    for (size_t i = 1; i < n; ++i) {
      sql += ", ?";
      params.emplace_back(codes[from + i]);
    }
    KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(sql + ")", params));
    for (Row r : rows) taken.insert(r.Text("code"));
  }
  return taken;
}

void AddOrder(PendingRows& out, int64_t tenant, const OrderRow& r) {
  out.orders.push_back({tenant, r.id, r.code, OptId(r.store_id), OptId(r.customer_id), r.owner_id, r.unit_id, r.channel, r.status,
                        r.ordered_at, r.currency, r.total, r.discount_total, r.line_count, r.now, r.now, OptId(r.created_by)});
}

void AddOrderLine(PendingRows& out, int64_t tenant, const OrderLineRow& l) {
  out.order_lines.push_back({tenant, l.order_id, l.line_no, l.product_id, l.qty, l.unit_price, l.discount, l.amount});
}

void AddActivity(PendingRows& out, int64_t tenant, const ActivityRow& r) {
  out.activities.push_back({tenant, r.id, r.kind, OptText(r.subject), OptText(r.notes), r.occurred_at, store::Nullable(r.duration_min),
                            OptText(r.outcome), OptId(r.customer_id), OptId(r.store_id), r.owner_id, r.unit_id, r.now, r.now,
                            OptId(r.created_by)});
}

void AddSignal(PendingRows& out, int64_t tenant, const SignalRow& r) {
  out.signals.push_back({tenant, r.id, r.kind, r.source, r.title, OptText(r.body), OptText(r.url), OptId(r.customer_id),
                         store::Nullable(r.sentiment), OptId(r.owner_id), OptId(r.unit_id), r.occurred_at, r.now});
}

Status InsertPending(Connection& conn, const PendingRows& rows) {
  using C = store::BulkColumn;
  static const C kOrders[] = {{"tenant_id", "bigint"}, {"id", "bigint"}, {"code", "text"}, {"store_id", "bigint"},
                              {"customer_id", "bigint"}, {"owner_id", "bigint"}, {"unit_id", "bigint"}, {"channel", "text"},
                              {"status", "text"}, {"ordered_at", "text"}, {"currency", "text"}, {"total", "bigint"},
                              {"discount_total", "bigint"}, {"line_count", "bigint"}, {"created_at", "text"},
                              {"updated_at", "text"}, {"created_by", "bigint"}};
  static const C kLines[] = {{"tenant_id", "bigint"}, {"order_id", "bigint"}, {"line_no", "bigint"}, {"product_id", "bigint"},
                             {"qty", "bigint"}, {"unit_price", "bigint"}, {"discount", "bigint"}, {"amount", "bigint"}};
  static const C kActivities[] = {{"tenant_id", "bigint"}, {"id", "bigint"}, {"kind", "text"}, {"subject", "text"},
                                  {"notes", "text"}, {"occurred_at", "text"}, {"duration_min", "bigint"}, {"outcome", "text"},
                                  {"customer_id", "bigint"}, {"store_id", "bigint"}, {"owner_id", "bigint"},
                                  {"unit_id", "bigint"}, {"created_at", "text"}, {"updated_at", "text"},
                                  {"created_by", "bigint"}};
  static const C kSignals[] = {{"tenant_id", "bigint"}, {"id", "bigint"}, {"kind", "text"}, {"source", "text"},
                               {"title", "text"}, {"body", "text"}, {"url", "text"}, {"customer_id", "bigint"},
                               {"sentiment", "double precision"}, {"owner_id", "bigint"}, {"unit_id", "bigint"},
                               {"occurred_at", "text"}, {"created_at", "text"}};
  KEEL_RETURN_IF_ERROR(store::InsertMany(conn, "orders", kOrders, rows.orders));
  KEEL_RETURN_IF_ERROR(store::InsertMany(conn, "order_lines", kLines, rows.order_lines));
  KEEL_RETURN_IF_ERROR(store::InsertMany(conn, "activities", kActivities, rows.activities));
  return store::InsertMany(conn, "signals", kSignals, rows.signals);
}

Result<std::vector<EventTypeRow>> ActiveEventTypes(Connection& conn, int64_t tenant) {
  Value q[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT name, version, definition, created_at FROM event_types WHERE tenant_id = ? AND status = 'active' ORDER BY name", q));
  return store::MapRows<EventTypeRow>(r, ReadType);
}

Result<std::optional<EventTypeRow>> EventType(Connection& conn, int64_t tenant, const std::string& name) {
  Value q[] = {tenant, name};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT name, version, definition, created_at FROM event_types WHERE tenant_id = ? AND name = ?", q));
  return First<EventTypeRow>(r, ReadType);
}

Status SaveEventType(Connection& conn, int64_t tenant, const std::string& name, int64_t version, const std::string& definition,
                     const std::string& now, int64_t user) {
  Value up[] = {tenant, name, version, definition, std::string("active"), now, user};
  return conn.Exec("INSERT INTO event_types (tenant_id, name, version, definition, status, created_at, created_by) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, name) DO UPDATE SET version = excluded.version, "
                   "definition = excluded.definition, status = excluded.status", up).status();
}

}  // namespace keel::ingest::repo
