// PostgreSQL ingest's write path (issue 17): the rows of 20,000 orders (two lines each) and their
// events, in group commits of 1,000 orders, written as the ingest writer writes them
// (store::InsertMany: one INSERT … SELECT FROM unnest(arrays) per table and 2,000 rows, in a tenant's
// scope under row-level security) against
//   - plain libpq COPY … FROM STDIN of the same rows in the same transactions (into a database whose
//     tables have row-level security off: PostgreSQL refuses COPY FROM on tables with it);
//   - the same writer path with row-level security off (what the policy costs);
//   - one prepared INSERT per row, as the writer did before (what the bulk statements gain).
// Same schema, indexes and unique keys everywhere; the foreign key of order lines to products is
// dropped in both databases (no catalogue is seeded).
#include <libpq-fe.h>

#include <cstdio>
#include <string>
#include <vector>

#include "bench_util.h"
#include "store/bulk.h"
#include "store/database.h"
#include "store/tenant_scope.h"
#include "support/test_db.h"

namespace {

using keel::bench::Clock;
using keel::bench::Row;
using keel::bench::Seconds;
using keel::store::BulkColumn;
using keel::store::Value;
using Rows = std::vector<std::vector<Value>>;

constexpr int kOrders = 20000, kGroup = 1000;

const BulkColumn kOrderCols[] = {{"tenant_id", "bigint"}, {"id", "bigint"}, {"code", "text"}, {"store_id", "bigint"},
                                 {"customer_id", "bigint"}, {"owner_id", "bigint"}, {"unit_id", "bigint"}, {"channel", "text"},
                                 {"status", "text"}, {"ordered_at", "text"}, {"currency", "text"}, {"total", "bigint"},
                                 {"discount_total", "bigint"}, {"line_count", "bigint"}, {"created_at", "text"},
                                 {"updated_at", "text"}, {"created_by", "bigint"}};
const BulkColumn kLineCols[] = {{"tenant_id", "bigint"}, {"order_id", "bigint"}, {"line_no", "bigint"}, {"product_id", "bigint"},
                                {"qty", "bigint"}, {"unit_price", "bigint"}, {"discount", "bigint"}, {"amount", "bigint"}};
const BulkColumn kEventCols[] = {{"tenant_id", "bigint"}, {"seq", "bigint"}, {"at", "text"}, {"type", "text"},
                                 {"entity", "text"}, {"entity_id", "bigint"}, {"actor_id", "bigint"}, {"payload", "text"}};

struct Group {
  Rows orders, lines, events;
};

std::vector<Group> MakeGroups() {
  std::vector<Group> out(kOrders / kGroup);
  for (int i = 0; i < kOrders; ++i) {
    Group& g = out[i / kGroup];
    const int64_t id = 1000 + i;
    const std::string at = "2026-12-0" + std::to_string(1 + i % 7) + "T0" + std::to_string(i % 10) + ":12:00.000Z";
    g.orders.push_back({int64_t{1}, id, "PO-" + std::to_string(id), int64_t{10 + i % 40}, Value(), int64_t{100 + i % 25},
                        int64_t{5 + i % 6}, std::string("store"), std::string("paid"), at, std::string("CNY"),
                        int64_t{259900 + i}, int64_t{0}, int64_t{2}, at, at, int64_t{100}});
    for (int64_t n = 1; n <= 2; ++n) {
      g.lines.push_back({int64_t{1}, id, n, int64_t{500 + (i + n) % 80}, int64_t{1}, int64_t{129950}, int64_t{0}, int64_t{129950}});
    }
    g.events.push_back({int64_t{1}, int64_t{i + 1}, at, std::string("order.created"), std::string("orders"), id, int64_t{100},
                        "{\"id\":" + std::to_string(id) + ",\"code\":\"PO-" + std::to_string(id) +
                            "\",\"channel\":\"store\",\"status\":\"paid\",\"total\":2599.00,\"note\":\"华东 \\\"新品\\\"\"}"});
  }
  return out;
}

std::unique_ptr<keel::store::Database> Prepared(std::string* url, bool row_security) {
  auto db = keel::testing::NewDatabase(keel::testing::TestBackend::kPostgres, url, 2);
  keel::testing::InsertBareTenants(*db, {1});
  auto c = std::move(db->Acquire()).value();
  auto tx = keel::store::Transaction::Begin(*c, true);
  auto fk = c->Query("SELECT conname FROM pg_constraint WHERE conrelid = 'order_lines'::regclass AND contype = 'f' "
                     "AND confrelid = 'products'::regclass");
  for (const auto& r : fk->rows) (void)c->ExecScript("ALTER TABLE order_lines DROP CONSTRAINT " + keel::store::AsText(r[0]));
  if (!row_security) {
    for (const char* t : {"orders", "order_lines", "events"}) {
      (void)c->ExecScript(std::string("ALTER TABLE ") + t + " NO FORCE ROW LEVEL SECURITY; ALTER TABLE " + t + " DISABLE ROW LEVEL SECURITY");
    }
  }
  if (!tx->Commit().ok()) std::abort();
  return db;
}

void Empty(keel::store::Database& db) {
  auto c = std::move(db.Acquire()).value();
  if (!c->ExecScript("TRUNCATE orders, order_lines, events").ok()) std::abort();
}

double Writer(keel::store::Database& db, const std::vector<Group>& groups) {
  keel::store::TenantScope scope(1);
  auto c = std::move(db.Acquire()).value();
  auto t0 = Clock::now();
  for (const Group& g : groups) {
    auto tx = keel::store::Transaction::Begin(*c, true);
    if (!keel::store::InsertMany(*c, "orders", kOrderCols, g.orders).ok() ||
        !keel::store::InsertMany(*c, "order_lines", kLineCols, g.lines).ok() ||
        !keel::store::InsertMany(*c, "events", kEventCols, g.events).ok() || !tx->Commit().ok()) {
      std::abort();
    }
  }
  return kOrders / Seconds(t0);
}

std::string Insert(const char* table, const BulkColumn* cols, size_t n) {
  std::string names, marks;
  for (size_t i = 0; i < n; ++i) {
    names += (i ? ", " : "") + std::string(cols[i].name);
    marks += i ? ", ?" : "?";
  }
  return std::string("INSERT INTO ") + table + " (" + names + ") VALUES (" + marks + ")";
}

double RowByRow(keel::store::Database& db, const std::vector<Group>& groups) {
  keel::store::TenantScope scope(1);
  auto c = std::move(db.Acquire()).value();
  const std::string o = Insert("orders", kOrderCols, std::size(kOrderCols)), l = Insert("order_lines", kLineCols, std::size(kLineCols)),
                    e = Insert("events", kEventCols, std::size(kEventCols));
  auto t0 = Clock::now();
  for (const Group& g : groups) {
    auto tx = keel::store::Transaction::Begin(*c, true);
    for (const auto& r : g.orders) if (!c->Exec(o, r).ok()) std::abort();
    for (const auto& r : g.lines) if (!c->Exec(l, r).ok()) std::abort();
    for (const auto& r : g.events) if (!c->Exec(e, r).ok()) std::abort();
    if (!tx->Commit().ok()) std::abort();
  }
  return kOrders / Seconds(t0);
}

// COPY's text format: tab-separated, \N for NULL, backslash escapes.
void CopyLine(std::string& out, const std::vector<Value>& row) {
  for (size_t i = 0; i < row.size(); ++i) {
    if (i) out += '\t';
    if (keel::store::IsNull(row[i])) {
      out += "\\N";
      continue;
    }
    for (char ch : keel::store::AsText(row[i])) {
      switch (ch) {
        case '\\': out += "\\\\"; break;
        case '\t': out += "\\t"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        default: out += ch;
      }
    }
  }
  out += '\n';
}

void Copy(PGconn* c, const char* table, const BulkColumn* cols, size_t n, const Rows& rows) {
  std::string sql = std::string("COPY ") + table + " (";
  for (size_t i = 0; i < n; ++i) sql += (i ? ", " : "") + std::string(cols[i].name);
  sql += ") FROM STDIN";
  PGresult* r = PQexec(c, sql.c_str());
  if (PQresultStatus(r) != PGRES_COPY_IN) std::abort();
  PQclear(r);
  std::string data;
  for (const auto& row : rows) CopyLine(data, row);
  if (PQputCopyData(c, data.data(), static_cast<int>(data.size())) != 1 || PQputCopyEnd(c, nullptr) != 1) std::abort();
  r = PQgetResult(c);
  if (PQresultStatus(r) != PGRES_COMMAND_OK) {
    std::fprintf(stderr, "COPY %s: %s", table, PQresultErrorMessage(r));
    std::abort();
  }
  PQclear(r);
  while ((r = PQgetResult(c)) != nullptr) PQclear(r);
}

double PlainCopy(const std::string& url, const std::vector<Group>& groups) {
  PGconn* c = PQconnectdb(url.c_str());
  auto t0 = Clock::now();
  for (const Group& g : groups) {
    PQclear(PQexec(c, "BEGIN"));
    Copy(c, "orders", kOrderCols, std::size(kOrderCols), g.orders);
    Copy(c, "order_lines", kLineCols, std::size(kLineCols), g.lines);
    Copy(c, "events", kEventCols, std::size(kEventCols), g.events);
    PGresult* r = PQexec(c, "COMMIT");
    if (PQresultStatus(r) != PGRES_COMMAND_OK) std::abort();
    PQclear(r);
  }
  double rate = kOrders / Seconds(t0);
  PQfinish(c);
  return rate;
}

}  // namespace

int main() {
  const std::vector<Group> groups = MakeGroups();
  std::string rls_url, plain_url;
  auto rls = Prepared(&rls_url, true);
  auto plain = Prepared(&plain_url, false);
  std::printf("pg_ingest_bench: %d orders (2 lines and 1 event each) in group commits of %d, best of 3 rounds\n", kOrders, kGroup);
  double writer = 0, writer_off = 0, copy = 0, row_by_row = 0;
  for (int round = 0; round < 3; ++round) {  // interleaved: drift hits every path alike
    writer = std::max(writer, Writer(*rls, groups));
    Empty(*rls);
    copy = std::max(copy, PlainCopy(plain_url, groups));
    Empty(*plain);
    writer_off = std::max(writer_off, Writer(*plain, groups));
    Empty(*plain);
    row_by_row = std::max(row_by_row, RowByRow(*rls, groups));
    Empty(*rls);
  }
  Row("writer path (unnest), RLS on", writer, "orders/s", "plain COPY, RLS off", copy);
  Row("writer path (unnest), RLS off", writer_off, "orders/s", "plain COPY, RLS off", copy);
  Row("writer path (unnest), RLS on", writer, "orders/s", "one INSERT per row, RLS on", row_by_row);
  return 0;
}
