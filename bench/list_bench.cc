// Aggregates and exports of a collection (issue 23) over 1M opportunities (SQLite): the record
// service's GET /opportunities/aggregate next to the same GROUP BY written directly, as a whole-
// tenant admin and as a rep (the unit-tree scope), and the export's rows per second (CSV and XLSX
// through the HTTP handler) next to reading the same rows directly. KEEL_BENCH_ROWS overrides 1M.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>

#include "bench_util.h"
#include "domain/schema.h"
#include "http/api.h"
#include "support/org.h"

using keel::bench::Clock;
using keel::bench::Row;
using keel::bench::Seconds;
using keel::store::Value;

namespace {

// Best of `n` runs, in milliseconds.
template <typename F>
double BestMs(int n, F&& f) {
  double best = 1e18;
  for (int i = 0; i < n; ++i) {
    auto t = Clock::now();
    f();
    best = std::min(best, Seconds(t) * 1000);
  }
  return best;
}

}  // namespace

int main() {
  spdlog::set_level(spdlog::level::warn);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const char* env_rows = std::getenv("KEEL_BENCH_ROWS");
  const int64_t n = env_rows ? std::atoll(env_rows) : 1000000;
  keel::testing::DomainEnv env(keel::testing::TestBackend::kSqlite);
  auto& db = *env.db;
  auto& org = env.org;
  const int64_t tenant = org.tenant;
  const auto& admin = org.as.at("admin");
  const auto& rep = org.as.at("rep_a1");

  // The data: one customer, n deals spread over five stages, four owners (two units) and amounts.
  {
    auto cust = env.rs->Create(admin, *keel::domain::FindEntity("customers"), {{"code", "BENCH"}, {"name", "基准客户"}, {"kind", "b2b"}});
    if (!cust.ok()) {
      std::fprintf(stderr, "%s\n", cust.status().ToString().c_str());
      return 1;
    }
    const int64_t customer = (*cust)["id"].get<int64_t>();
    const char* stages[] = {"prospecting", "qualification", "proposal", "negotiation", "won"};
    const int64_t owners[] = {org.users.at("rep_a1"), org.users.at("rep_a2"), org.users.at("rep_a3"), org.users.at("rep_b")};
    const int64_t units[] = {org.unit_a, org.unit_a, org.unit_a, org.unit_b};
    auto conn = db.Acquire().value();
    auto t = Clock::now();
    for (int64_t i = 0; i < n; i += 10000) {
      auto tx = keel::store::Transaction::Begin(*conn).value();
      for (int64_t k = i; k < std::min(n, i + 10000); ++k) {
        Value v[] = {tenant, 10000000 + k, "商机 " + std::to_string(k), customer, std::string(stages[k % 5]),
                     int64_t{100000 + (k * 7919) % 50000000}, owners[k % 4], units[k % 4]};
        auto r = conn->Exec("INSERT INTO opportunities (tenant_id, id, name, customer_id, stage, amount, currency, outcome, owner_id, unit_id, "
                            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'CNY', 'open', ?, ?, '2026-11-01T00:00:00.000Z', "
                            "'2026-11-01T00:00:00.000Z')", v);
        if (!r.ok()) {
          std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
          return 1;
        }
      }
      (void)tx.Commit();
    }
    std::printf("Keel list benchmarks: %lld opportunities inserted in %.1f s (SQLite; 2 cores)\n", static_cast<long long>(n), Seconds(t));
  }
  std::printf("  %-48s %10s %-8s | %-34s %10s %-8s | ratio\n", "figure", "value", "", "same-run baseline", "value", "");

  const auto& opps = *keel::domain::FindEntity("opportunities");
  // The baselines borrow a connection only while they run (the service takes its own).
  auto direct = [&](std::string_view sql, std::vector<Value> q) {
    auto conn = db.Acquire().value();
    (void)conn->Query(sql, q);
  };
  // 1. Aggregate by stage, count and sum of amounts, as the admin (whole tenant).
  int64_t groups = 0;
  double api_ms = BestMs(3, [&] {
    auto r = env.rs->Aggregate(admin, opps, {{"group_by", "stage"}, {"measures", "count,sum:amount"}});
    groups = r.ok() ? static_cast<int64_t>(r->groups.size()) : -1;
  });
  double sql_ms = BestMs(3, [&] {
    direct("SELECT stage, COUNT(*), SUM(amount) FROM opportunities WHERE tenant_id = ? AND archived_at IS NULL GROUP BY stage", {tenant});
  });
  if (groups != 5) std::fprintf(stderr, "unexpected groups: %lld\n", static_cast<long long>(groups));
  Row("aggregate by stage, count+sum (admin)", api_ms, "ms", "the same GROUP BY, direct", sql_ms, true);

  // 2. The same as a rep: the scope clause restricts to their own deals.
  api_ms = BestMs(3, [&] { (void)env.rs->Aggregate(rep, opps, {{"group_by", "stage"}, {"measures", "count,sum:amount"}}); });
  sql_ms = BestMs(3, [&] {
    direct("SELECT stage, COUNT(*), SUM(amount) FROM opportunities WHERE tenant_id = ? AND archived_at IS NULL AND owner_id = ? "
                      "GROUP BY stage", {tenant, org.users.at("rep_a1")});
  });
  Row("aggregate by stage, count+sum (rep's scope)", api_ms, "ms", "the same GROUP BY, direct", sql_ms, true);

  // 3. Two groups and four measures (a pivot), admin.
  api_ms = BestMs(3, [&] {
    (void)env.rs->Aggregate(admin, opps, {{"group_by", "stage,owner_id"}, {"measures", "count,sum:amount,avg:amount,max:amount"}});
  });
  sql_ms = BestMs(3, [&] {
    direct("SELECT stage, owner_id, COUNT(*), SUM(amount), AVG(amount), MAX(amount) FROM opportunities WHERE tenant_id = ? "
                      "AND archived_at IS NULL GROUP BY stage, owner_id", {tenant});
  });
  Row("pivot stage x owner, 4 measures (admin)", api_ms, "ms", "the same GROUP BY, direct", sql_ms, true);

  // 4. Export: 100,000 rows (one file at the cap) through the HTTP handler, CSV and XLSX, in rows/s;
  //    the baseline reads the same rows (every column) directly.
  spdlog::set_level(spdlog::level::critical);  // an Api without the org services says so per bounded list
  keel::http::Api api(db, *env.rs, *env.auth);
  spdlog::set_level(spdlog::level::warn);
  auto login = env.auth->Login("acme", "admin", keel::testing::kTestPassword, "127.0.0.1");
  if (!login.ok()) {
    std::fprintf(stderr, "%s\n", login.status().ToString().c_str());
    return 1;
  }
  const int64_t rows = std::min<int64_t>(n, 100000);
  for (const char* format : {"csv", "xlsx"}) {
    keel::http::Request req;
    req.method = "GET";
    req.path = "/api/v1/opportunities/export";
    req.query = {{"format", format}, {"max_rows", std::to_string(rows)}, {"sort", "id"}};
    req.authorization = "Bearer " + login->token;
    size_t bytes = 0;
    int status = 0;
    double ms = BestMs(1, [&] {
      auto res = api.Handle(req);
      status = res.status;
      bytes = res.body.size();
    });
    if (status != 200) std::fprintf(stderr, "export %s: %d\n", format, status);
    double read_ms = BestMs(1, [&] {
      direct("SELECT * FROM opportunities WHERE tenant_id = ? AND archived_at IS NULL ORDER BY id LIMIT ?", {tenant, rows});
    });
    char what[64];
    std::snprintf(what, sizeof what, "export %s, %lld rows (%.1f MB)", format, static_cast<long long>(rows), bytes / 1e6);
    Row(what, rows / (ms / 1000), "rows/s", "reading the rows, direct", rows / (read_ms / 1000));
  }
  return 0;
}
