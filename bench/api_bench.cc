// API benchmarks. Each figure is printed next to a baseline measured in the same run on the
// same machine, as a ratio (these machines are noisy; absolute numbers mean little alone):
//   1. small GET of one record through HTTP (wrk, keep-alive)  vs  GET /health (no DB, no auth)
//      and vs a bare SQLite point select;
//   2. batch POST of orders (1,000 per request, full validation, events)  vs  raw SQLite C-API
//      inserts of the same rows (orders, lines, events) with the same indexes;
//   3. list/query latency p50/p95 at 1M customers  vs  the same SQL run directly.
// Usage: api_bench [--quick]  (quick: 100k customers, fewer batches)
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "domain/auth.h"
#include "domain/records.h"
#include "http/api.h"
#include "http/server.h"
#include "support/http_client.h"
#include "support/test_db.h"
#include "bench_util.h"

namespace {

using keel::domain::json;
using namespace keel::bench;

struct Wrk {
  double rps = 0, p50_ms = 0, p99_ms = 0;
};

double ToMs(const std::string& num, const std::string& unit) {
  double v = std::stod(num);
  if (unit == "us") return v / 1000;
  if (unit == "s") return v * 1000;
  return v;
}

Wrk RunWrk(int port, const std::string& path, const std::string& token, int seconds) {
  std::string cmd = "wrk -t2 -c32 -d" + std::to_string(seconds) + "s --latency " +
                    (token.empty() ? "" : "-H 'Authorization: Bearer " + token + "' ") +
                    "http://127.0.0.1:" + std::to_string(port) + path + " 2>&1";
  FILE* f = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  while (f && fgets(buf, sizeof buf, f)) out += buf;
  if (f) pclose(f);
  Wrk w;
  std::smatch m;
  if (std::regex_search(out, m, std::regex("Requests/sec:\\s+([0-9.]+)"))) w.rps = std::stod(m[1]);
  if (std::regex_search(out, m, std::regex("50%\\s+([0-9.]+)(us|ms|s)"))) w.p50_ms = ToMs(m[1], m[2]);
  if (std::regex_search(out, m, std::regex("99%\\s+([0-9.]+)(us|ms|s)"))) w.p99_ms = ToMs(m[1], m[2]);
  if (std::regex_search(out, m, std::regex("Non-2xx or 3xx responses: ([0-9]+)"))) {
    std::printf("  (wrk saw %s non-2xx responses on %s)\n", m[1].str().c_str(), path.c_str());
  }
  return w;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);  // no access log lines in the measurements
  bool quick = argc > 1 && std::string(argv[1]) == "--quick";
  const int customers = quick ? 100000 : 1000000;
  const int batches = quick ? 5 : 20;
  std::string dir = keel::testing::TempDir();
  std::string path = dir + "/bench.db";
  keel::store::DatabaseOptions opt;
  opt.pool_size = 8;
  opt.sqlite_synchronous = "NORMAL";
  auto db = std::move(keel::store::Database::Open(path, opt)).value();
  (void)keel::store::Migrate(*db);
  keel::domain::RecordService rs(*db, *keel::Clock::System());
  keel::domain::AuthService auth(*db, *keel::Clock::System(), rs);
  keel::domain::NewTenant nt;
  nt.code = "bench";
  nt.name = "基准测试";
  int64_t tenant = *auth.CreateTenant(nt);
  auto sys = keel::domain::Principal::System(tenant);
  auto E = [](const char* n) -> const keel::domain::EntityDef& { return *keel::domain::FindEntity(n); };
  int64_t hq = (*rs.List(sys, E("units"), {{"code", "HQ"}})).items[0]["id"];
  int64_t region = (*rs.Create(sys, E("units"), {{"code", "R"}, {"name", "华东"}, {"kind", "region"}, {"parent_id", hq}}))["id"];
  int64_t unit = (*rs.Create(sys, E("units"), {{"code", "U"}, {"name", "上海战队"}, {"kind", "unit"}, {"parent_id", region}}))["id"];
  int64_t store_unit = (*rs.Create(sys, E("units"), {{"code", "SU"}, {"name", "门店"}, {"kind", "store"}, {"parent_id", unit}}))["id"];
  int64_t store = (*rs.Create(sys, E("stores"), {{"code", "S1"}, {"name", "门店"}, {"unit_id", store_unit}}))["id"];
  (void)(*rs.Create(sys, E("users"), {{"username", "admin"}, {"display_name", "admin"}, {"role", "admin"},
                                                {"unit_id", hq}, {"password", "bench-password-1"}}))["id"];
  std::vector<int64_t> reps;
  for (int i = 0; i < 50; ++i) {
    reps.push_back((*rs.Create(sys, E("users"), {{"username", "rep" + std::to_string(i)}, {"display_name", "rep"},
                                                 {"role", "rep"}, {"unit_id", unit}}))["id"]);
  }
  int64_t product = (*rs.Create(sys, E("products"), {{"sku", "AC"}, {"name", "空调"}, {"category_path", "家电/空调"}, {"price", 3299}}))["id"];
  std::string token = auth.Login("bench", "admin", "bench-password-1", "127.0.0.1")->token;
  auto rep_login = [&](int i) {
    auto c = std::move(db->Acquire()).value();
    auto h = keel::domain::HashPassword("bench-password-1");
    keel::store::Value u[] = {*h, tenant, reps[i]};
    (void)c->Exec("UPDATE users SET password_hash = ? WHERE tenant_id = ? AND id = ?", u);
    return auth.Login("bench", "rep" + std::to_string(i), "bench-password-1", "127.0.0.1")->token;
  };
  std::string rep_token = rep_login(7);

  keel::http::Api api(*db, rs, auth);
  keel::http::ServerOptions so;
  so.port = 0;
  so.threads = 2;
  keel::http::Server server(so, [&api](const keel::http::Request& r) { return api.Handle(r); });
  int port = *server.Start();

  std::printf("Keel API benchmark (%s; SQLite synchronous=NORMAL; 2 server threads)\n", quick ? "quick" : "full");
  std::printf("  %-44s %12s %-8s | %-34s %12s %-8s |\n", "figure", "value", "unit", "baseline (same run)", "value", "unit");

  // 1. Small GET.
  int64_t cust = (*rs.Create(sys, E("customers"), {{"code", "C0"}, {"name", "上海华庭酒店"}, {"kind", "b2b"}, {"owner_id", reps[0]}}))["id"];
  bool have_wrk = std::system("command -v wrk > /dev/null 2>&1") == 0;
  if (have_wrk) {
    int secs = quick ? 3 : 6;
    Wrk health = RunWrk(port, "/api/v1/health", "", secs);
    Wrk get = RunWrk(port, "/api/v1/customers/" + std::to_string(cust), token, secs);
    Row("GET /customers/{id} (auth + SQLite read)", get.rps, "req/s", "GET /health (no DB, no auth)", health.rps);
    Row("  p99 latency", get.p99_ms, "ms", "GET /health p99", health.p99_ms, true);
    // A bare point select, single thread, as the storage floor.
    auto c = std::move(db->Acquire()).value();
    keel::store::Value q[] = {tenant, cust};
    auto start = Clock::now();
    int n = 0;
    while (Seconds(start) < 1.0) {
      (void)c->Query("SELECT * FROM customers WHERE tenant_id = ? AND id = ?", q);
      ++n;
    }
    Row("GET /customers/{id}", get.rps, "req/s", "SQLite point select, 1 thread", n / Seconds(start));
  } else {
    std::printf("  (wrk not installed: skipping the small-GET figures; run scripts/install-deps)\n");
  }

  // 2. Batch POST of orders vs raw inserts.
  {
    keel::testing::HttpClient client(port);
    int64_t seq = 0;
    auto start = Clock::now();
    int created = 0;
    for (int b = 0; b < batches; ++b) {
      json items = json::array();
      for (int i = 0; i < 1000; ++i) {
        items.push_back({{"code", "B" + std::to_string(++seq)}, {"channel", "store"}, {"store_id", store},
                         {"owner_id", reps[seq % reps.size()]}, {"ordered_at", "2026-11-27T15:00:00+08:00"},
                         {"lines", {{{"product_id", product}, {"qty", 1}, {"unit_price", 3299}}}}});
      }
      auto r = client.Post("/api/v1/orders/batch", items, token);
      created += r.json().value("created", 0);
    }
    double api_rate = created / Seconds(start);
    std::string raw_path = dir + "/raw.db";
    {
      auto raw = std::move(keel::store::Database::Open(raw_path, opt)).value();
      (void)keel::store::Migrate(*raw);
      keel::domain::RecordService rrs(*raw, *keel::Clock::System());
      keel::domain::AuthService rauth(*raw, *keel::Clock::System(), rrs);
      keel::domain::NewTenant t2;
      t2.code = "raw";
      t2.name = "raw";
      int64_t rt = *rauth.CreateTenant(t2);
      auto rsys = keel::domain::Principal::System(rt);
      int64_t rhq = (*rrs.List(rsys, E("units"), {{"code", "HQ"}})).items[0]["id"];
      int64_t ru = (*rrs.Create(rsys, E("users"), {{"username", "u"}, {"display_name", "u"}, {"role", "rep"}, {"unit_id", rhq}}))["id"];
      int64_t rp = (*rrs.Create(rsys, E("products"), {{"sku", "AC"}, {"name", "空调"}, {"category_path", "家电/空调"}, {"price", 3299}}))["id"];
      double raw_rate = RawOrderInserts(raw_path, created, rt, rp, 0, rhq, ru);
      Row("POST /orders/batch (1000/req, validated, +events)", api_rate, "orders/s", "raw SQLite inserts, same rows", raw_rate);
    }
  }

  // 3. Lists at scale.
  {
    std::printf("  loading %d customers directly …\n", customers);
    sqlite3* raw;
    sqlite3_open(path.c_str(), &raw);
    sqlite3_exec(raw, "PRAGMA synchronous=OFF", nullptr, nullptr, nullptr);
    sqlite3_stmt* st;
    sqlite3_prepare_v2(raw, "INSERT INTO customers (tenant_id, id, code, name, kind, segment, city, owner_id, unit_id, "
                            "created_at, updated_at) VALUES (?, ?, ?, ?, 'b2b', ?, ?, ?, ?, ?, ?)", -1, &st, nullptr);
    static const char* segs[] = {"key_account", "enterprise", "smb", "dealer", "retail", "vip"};
    static const char* cities[] = {"上海", "杭州", "南京", "广州", "深圳", "北京", "成都", "重庆"};
    auto load_start = Clock::now();
    for (int i = 0; i < customers; ++i) {
      if (i % 10000 == 0) sqlite3_exec(raw, "BEGIN", nullptr, nullptr, nullptr);
      std::string code = "K" + std::to_string(i), name = std::string(cities[i % 8]) + "客户" + std::to_string(i);
      char at[40];
      std::snprintf(at, sizeof at, "2026-%02d-%02dT%02d:%02d:00.000Z", 1 + i % 11, 1 + i % 28, i % 24, i % 60);
      sqlite3_bind_int64(st, 1, tenant); sqlite3_bind_int64(st, 2, 100000000 + i);
      sqlite3_bind_text(st, 3, code.c_str(), -1, SQLITE_TRANSIENT); sqlite3_bind_text(st, 4, name.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 5, segs[i % 6], -1, SQLITE_STATIC); sqlite3_bind_text(st, 6, cities[i % 8], -1, SQLITE_STATIC);
      sqlite3_bind_int64(st, 7, reps[i % reps.size()]); sqlite3_bind_int64(st, 8, unit);
      sqlite3_bind_text(st, 9, at, -1, SQLITE_TRANSIENT); sqlite3_bind_text(st, 10, at, -1, SQLITE_TRANSIENT);
      sqlite3_step(st); sqlite3_reset(st);
      if (i % 10000 == 9999 || i == customers - 1) sqlite3_exec(raw, "COMMIT", nullptr, nullptr, nullptr);
    }
    sqlite3_finalize(st);
    sqlite3_exec(raw, "ANALYZE", nullptr, nullptr, nullptr);
    sqlite3_close(raw);
    std::printf("  loaded in %.1f s\n", Seconds(load_start));

    keel::testing::HttpClient client(port);
    auto c = std::move(db->Acquire()).value();
    struct Q {
      const char* name;
      std::string path;
      std::string tok;
      std::string sql;
      std::vector<keel::store::Value> args;
    };
    std::string cursor;
    {
      auto r = client.Get("/api/v1/customers?limit=50", token);
      for (int i = 0; i < 200; ++i) {
        auto j = r.json();
        if (j["next_cursor"].is_null()) break;
        cursor = j["next_cursor"];
        r = client.Get("/api/v1/customers?limit=50&cursor=" + cursor, token);
      }
    }
    std::string cols = "SELECT id, created_at, updated_at, archived_at, created_by, code, name, kind, segment, industry, region, "
                       "province, city, address, lat, lng, phone, email, source, owner_id, unit_id, id FROM customers";
    std::vector<Q> qs = {
        {"first page, newest first (HQ)", "/api/v1/customers?limit=50", token,
         cols + " WHERE tenant_id = ? AND archived_at IS NULL ORDER BY id DESC LIMIT 51", {tenant}},
        {"a rep's own customers", "/api/v1/customers?limit=50", rep_token,
         cols + " WHERE tenant_id = ? AND archived_at IS NULL AND owner_id = ? ORDER BY id DESC LIMIT 51", {tenant, reps[7]}},
        {"filter segment + city", "/api/v1/customers?limit=50&segment=dealer&city=%E5%8C%97%E4%BA%AC", token,
         cols + " WHERE tenant_id = ? AND segment = ? AND city = ? AND archived_at IS NULL ORDER BY id DESC LIMIT 51",
         {tenant, std::string("dealer"), std::string("北京")}},
        {"sort by name", "/api/v1/customers?limit=50&sort=name", token,
         cols + " WHERE tenant_id = ? AND archived_at IS NULL ORDER BY name ASC, id ASC LIMIT 51", {tenant}},
        {"page 200 via cursor", "/api/v1/customers?limit=50&cursor=" + cursor, token, "", {}},
        {"exact code lookup", "/api/v1/customers?code=K777777", token,
         cols + " WHERE tenant_id = ? AND code = ? AND archived_at IS NULL ORDER BY id DESC LIMIT 51", {tenant, std::string("K777777")}},
        {"q= frequent text (early matches)", "/api/v1/customers?limit=20&q=%E5%AE%A2%E6%88%B7999", token,
         cols + " WHERE tenant_id = ? AND (code LIKE ? OR name LIKE ? OR phone LIKE ?) AND archived_at IS NULL ORDER BY id DESC LIMIT 21",
         {tenant, std::string("%客户999%"), std::string("%客户999%"), std::string("%客户999%")}},
        {"q= rare text (substring index)", "/api/v1/customers?limit=20&q=%E5%AE%A2%E6%88%B712345", token,
         cols + " WHERE tenant_id = ? AND (code LIKE ? OR name LIKE ? OR phone LIKE ?) AND archived_at IS NULL ORDER BY id DESC LIMIT 21",
         {tenant, std::string("%客户12345%"), std::string("%客户12345%"), std::string("%客户12345%")}},
    };
    const int reps_n = quick ? 40 : 100;
    std::printf("  list latency at %d customers (%d requests each):\n", customers, reps_n);
    for (auto& q : qs) {
      std::vector<double> api_ms, sql_ms;
      for (int i = 0; i < reps_n; ++i) {
        auto s = Clock::now();
        auto r = client.Get(q.path, q.tok);
        api_ms.push_back(Seconds(s) * 1000);
        if (r.status != 200) {
          std::printf("  !! %s → %d %s\n", q.name, r.status, r.body.substr(0, 200).c_str());
          break;
        }
        if (!q.sql.empty()) {
          auto s2 = Clock::now();
          (void)c->Query(q.sql, q.args);
          sql_ms.push_back(Seconds(s2) * 1000);
        }
      }
      char label[80];
      std::snprintf(label, sizeof label, "%s p95", q.name);
      if (!sql_ms.empty()) {
        bool like_scan = std::string(q.name).rfind("q=", 0) == 0;
        Row(label, Percentile(api_ms, 0.95), "ms", like_scan ? "LIKE scan direct (no index), p95" : "same SQL direct, p95",
            Percentile(sql_ms, 0.95), true);
      } else {
        std::printf("  %-44s %12.2f ms       | (p50 %.2f ms)\n", label, Percentile(api_ms, 0.95), Percentile(api_ms, 0.5));
      }
    }
  }
  server.Stop();
  server.Wait(false);
  return 0;
}
