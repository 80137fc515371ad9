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

// The rows a run wrote, copied as they are: for each table, the rows of `tenant` whose rowid is
// above the table's largest rowid in the snapshot at `dst` (taken before the run with VACUUM
// INTO), at most `max_rows` per table. ReplayRows then inserts them into the snapshot with bare prepared statements in
// `per_tx`-row transactions — the same rows, the same indexes and constraints, no application.
struct TableRows {
  std::string table;
  int columns = 0;
  std::vector<sqlite3_value*> values;  // row-major, owned
};

inline std::vector<TableRows> RowsWrittenSince(const std::string& src, const std::string& dst, int64_t tenant,
                                               const std::vector<std::string>& tables, size_t max_rows) {
  sqlite3* s;
  sqlite3_open(src.c_str(), &s);
  std::string attach = "ATTACH DATABASE '" + dst + "' AS snap";
  sqlite3_exec(s, attach.c_str(), nullptr, nullptr, nullptr);
  std::vector<TableRows> out;
  for (const auto& t : tables) {
    TableRows tr;
    tr.table = t;
    std::string sql = "SELECT * FROM main." + t + " WHERE tenant_id = ? AND rowid > (SELECT IFNULL(MAX(rowid), 0) FROM snap." + t +
                      ") ORDER BY rowid LIMIT " + std::to_string(max_rows);
    sqlite3_stmt* q;
    if (sqlite3_prepare_v2(s, sql.c_str(), -1, &q, nullptr) != SQLITE_OK) {
      std::fprintf(stderr, "bench: %s\n", sqlite3_errmsg(s));
      std::exit(1);
    }
    sqlite3_bind_int64(q, 1, tenant);
    tr.columns = sqlite3_column_count(q);
    while (sqlite3_step(q) == SQLITE_ROW) {
      for (int c = 0; c < tr.columns; ++c) tr.values.push_back(sqlite3_value_dup(sqlite3_column_value(q, c)));
    }
    sqlite3_finalize(q);
    out.push_back(std::move(tr));
  }
  sqlite3_close(s);
  return out;
}

// Inserts `per_tx` units at a time: unit k is row k of every table scaled by that table's share
// (orders, their lines, their events and keys go into the same transaction). Returns rows of the
// first table per second; exits on any failed insert, so the baseline never counts failures.
inline double ReplayRows(const std::string& dst, std::vector<TableRows>& data, int per_tx, const char* synchronous) {
  sqlite3* db;
  sqlite3_open(dst.c_str(), &db);
  std::string pragmas = std::string("PRAGMA journal_mode=WAL; PRAGMA synchronous=") + synchronous + "; PRAGMA foreign_keys=ON";
  sqlite3_exec(db, pragmas.c_str(), nullptr, nullptr, nullptr);
  std::vector<sqlite3_stmt*> stmts;
  for (auto& t : data) {
    std::string sql = "INSERT INTO " + t.table + " VALUES (?";
    for (int c = 1; c < t.columns; ++c) sql += ", ?";
    sqlite3_stmt* st;
    sqlite3_prepare_v2(db, (sql + ")").c_str(), -1, &st, nullptr);
    stmts.push_back(st);
  }
  size_t units = data.empty() || data[0].columns == 0 ? 0 : data[0].values.size() / data[0].columns;
  std::vector<size_t> done(data.size(), 0);
  auto start = Clock::now();
  for (size_t from = 0; from < units; from += per_tx) {
    size_t to = std::min(units, from + per_tx);
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    for (size_t t = 0; t < data.size(); ++t) {
      size_t rows = data[t].values.size() / data[t].columns;
      size_t until = to == units ? rows : rows * to / units;  // this table's share of the units so far
      for (; done[t] < until; ++done[t]) {
        for (int c = 0; c < data[t].columns; ++c) sqlite3_bind_value(stmts[t], c + 1, data[t].values[done[t] * data[t].columns + c]);
        if (sqlite3_step(stmts[t]) != SQLITE_DONE) {
          std::fprintf(stderr, "bench: baseline insert into %s failed: %s\n", data[t].table.c_str(), sqlite3_errmsg(db));
          std::exit(1);
        }
        sqlite3_reset(stmts[t]);
      }
    }
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  double rate = units / Seconds(start);
  for (auto* st : stmts) sqlite3_finalize(st);
  sqlite3_close(db);
  for (auto& t : data) {
    for (auto* v : t.values) sqlite3_value_free(v);
    t.values.clear();
  }
  return rate;
}

}  // namespace keel::bench
