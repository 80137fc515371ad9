// Helpers shared by the benchmarks: timing, percentiles, the ratio table row, and the raw
// SQLite insert baseline of orders shaped like the API's.
#pragma once

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace keel::bench {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

inline double Seconds(Clock::time_point a) { return std::chrono::duration<double>(Clock::now() - a).count(); }

inline double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

inline void Row(const char* what, double value, const char* unit, const char* base_what, double base, bool lower_better = false) {
  double ratio = lower_better ? base / value : value / base;
  std::printf("  %-48s %10.2f %-8s | %-34s %10.2f %-8s | ratio %.3f\n", what, value, unit, base_what, base, unit, ratio);
}

// Raw SQLite C-API insert of `n` orders shaped like the API's, in 1000-row transactions.
inline double RawOrderInserts(const std::string& path, int n, int64_t tenant, int64_t product, int64_t store,
                       int64_t unit, int64_t owner) {
  sqlite3* db;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON", nullptr, nullptr, nullptr);
  sqlite3_stmt *o, *l, *e;
  sqlite3_prepare_v2(db, "INSERT INTO orders (tenant_id, id, code, store_id, owner_id, unit_id, channel, status, ordered_at, "
                         "currency, total, discount_total, line_count, created_at, updated_at) VALUES "
                         "(?, ?, ?, ?, ?, ?, 'store', 'paid', ?, 'CNY', ?, 0, 1, ?, ?)", -1, &o, nullptr);
  sqlite3_prepare_v2(db, "INSERT INTO order_lines (tenant_id, order_id, line_no, product_id, qty, unit_price, discount, amount) "
                         "VALUES (?, ?, 1, ?, 1, 329900, 0, 329900)", -1, &l, nullptr);
  sqlite3_prepare_v2(db, "INSERT INTO events (tenant_id, seq, at, type, entity, entity_id, actor_id, payload) VALUES "
                         "(?, ?, ?, 'order.created', 'orders', ?, ?, ?)", -1, &e, nullptr);
  std::string payload(600, 'x');  // about the size of the API's order payload
  auto start = Clock::now();
  int64_t id = 50000000;
  for (int i = 0; i < n; ++i) {
    if (i % 1000 == 0) sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    ++id;
    std::string code = "RAW" + std::to_string(id);
    std::string at = "2026-11-27T08:00:00.000Z";
    sqlite3_bind_int64(o, 1, tenant); sqlite3_bind_int64(o, 2, id); sqlite3_bind_text(o, 3, code.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(o, 4, store); sqlite3_bind_int64(o, 5, owner); sqlite3_bind_int64(o, 6, unit);
    sqlite3_bind_text(o, 7, at.c_str(), -1, SQLITE_TRANSIENT); sqlite3_bind_int64(o, 8, 329900);
    sqlite3_bind_text(o, 9, at.c_str(), -1, SQLITE_TRANSIENT); sqlite3_bind_text(o, 10, at.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_step(o); sqlite3_reset(o);
    sqlite3_bind_int64(l, 1, tenant); sqlite3_bind_int64(l, 2, id); sqlite3_bind_int64(l, 3, product);
    sqlite3_step(l); sqlite3_reset(l);
    sqlite3_bind_int64(e, 1, tenant); sqlite3_bind_int64(e, 2, 90000000 + i); sqlite3_bind_text(e, 3, at.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(e, 4, id); sqlite3_bind_int64(e, 5, owner); sqlite3_bind_text(e, 6, payload.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_step(e); sqlite3_reset(e);
    if (i % 1000 == 999 || i == n - 1) sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  double rate = n / Seconds(start);
  sqlite3_finalize(o); sqlite3_finalize(l); sqlite3_finalize(e);
  sqlite3_close(db);
  return rate;
}

}  // namespace keel::bench
