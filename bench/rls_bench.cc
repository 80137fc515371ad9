// What row-level security costs on PostgreSQL (issue 17): the same statements through Keel's store
// on one server, in a tenant's scope, against
//   - the same store on a database whose table has row-level security switched off (the policy's cost),
//   - plain libpq, one prepared statement per round trip, no scope (the store as it was: the
//     cost of setting the scope in every statement as well).
// Point reads by primary key (one autocommit statement each), a tenant's count (a scan of its
// 50,000 rows), and write transactions of 100 inserts.
#include <libpq-fe.h>

#include <cstdio>
#include <string>

#include "bench_util.h"
#include "store/database.h"
#include "store/tenant_scope.h"
#include "support/test_db.h"

namespace {

using keel::bench::Clock;
using keel::bench::Row;
using keel::bench::Seconds;
using keel::store::Value;

constexpr int kRows = 50000, kReads = 20000, kScans = 200, kTx = 100, kTxRows = 100;

std::unique_ptr<keel::store::Database> Filled(std::string* url, bool row_security) {
  auto db = keel::testing::NewDatabase(keel::testing::TestBackend::kPostgres, url, 2);
  keel::testing::InsertBareTenants(*db, {1, 2});
  auto c = std::move(db->Acquire()).value();
  auto tx = keel::store::Transaction::Begin(*c, true);  // the system scope: both tenants' rows
  for (int64_t tenant : {1, 2}) {
    (void)c->ExecScript("INSERT INTO job_claims (tenant_id, job, period, holder, claimed_at) SELECT " + std::to_string(tenant) +
                        ", 'job' || g, 'p', 'node-' || (g % 3), '2026-12-08' FROM generate_series(1, " + std::to_string(kRows) + ") g");
  }
  if (!row_security) {
    auto st = c->ExecScript("ALTER TABLE job_claims NO FORCE ROW LEVEL SECURITY; ALTER TABLE job_claims DISABLE ROW LEVEL SECURITY");
    if (!st.ok()) std::fprintf(stderr, "%s\n", st.ToString().c_str());
  }
  if (!tx->Commit().ok()) std::abort();
  (void)c->ExecScript("ANALYZE job_claims");
  return db;
}

struct Times {
  double reads = 0, scans = 0, tx = 0;
};

Times ThroughStore(keel::store::Database& db, int round) {
  Times t;
  keel::store::TenantScope scope(1);
  auto c = std::move(db.Acquire()).value();
  auto t0 = Clock::now();
  for (int i = 0; i < kReads; ++i) {
    Value p[] = {int64_t{1}, "job" + std::to_string(1 + (i * 7919) % kRows)};
    auto r = c->Query("SELECT holder FROM job_claims WHERE tenant_id = ? AND job = ? AND period = 'p'", p);
    if (!r.ok() || r->size() != 1) std::abort();
  }
  t.reads = kReads / Seconds(t0);
  t0 = Clock::now();
  for (int i = 0; i < kScans; ++i) {
    Value p[] = {int64_t{1}};
    auto r = c->Query("SELECT COUNT(*) FROM job_claims WHERE tenant_id = ? AND period = 'p' AND holder <> 'x'", p);
    if (!r.ok() || keel::store::AsInt(r->rows[0][0]) != kRows) std::abort();
  }
  t.scans = kScans / Seconds(t0);
  t0 = Clock::now();
  for (int i = 0; i < kTx; ++i) {
    auto tx = keel::store::Transaction::Begin(*c, true);
    for (int j = 0; j < kTxRows; ++j) {
      Value p[] = {int64_t{1}, "w" + std::to_string(round) + "-" + std::to_string(i * kTxRows + j)};
      if (!c->Exec("INSERT INTO job_claims (tenant_id, job, period, holder, claimed_at) VALUES (?, ?, 'w', 'n', 't')", p).ok()) std::abort();
    }
    if (!tx->Commit().ok()) std::abort();
  }
  t.tx = kTx * kTxRows / Seconds(t0);
  return t;
}

PGresult* Exec(PGconn* c, const char* name, int n, const char* const* v) {
  return PQexecPrepared(c, name, n, v, nullptr, nullptr, 0);
}

Times ThroughLibpq(const std::string& url, int round) {
  Times t;
  PGconn* c = PQconnectdb(url.c_str());
  PQclear(PQprepare(c, "read", "SELECT holder FROM job_claims WHERE tenant_id = $1 AND job = $2 AND period = 'p'", 2, nullptr));
  PQclear(PQprepare(c, "scan", "SELECT COUNT(*) FROM job_claims WHERE tenant_id = $1 AND period = 'p' AND holder <> 'x'", 1, nullptr));
  PQclear(PQprepare(c, "ins", "INSERT INTO job_claims (tenant_id, job, period, holder, claimed_at) VALUES ($1, $2, 'w', 'n', 't')", 2, nullptr));
  auto t0 = Clock::now();
  for (int i = 0; i < kReads; ++i) {
    std::string job = "job" + std::to_string(1 + (i * 7919) % kRows);
    const char* v[] = {"1", job.c_str()};
    PGresult* r = Exec(c, "read", 2, v);
    if (PQntuples(r) != 1) std::abort();
    PQclear(r);
  }
  t.reads = kReads / Seconds(t0);
  t0 = Clock::now();
  for (int i = 0; i < kScans; ++i) {
    const char* v[] = {"1"};
    PGresult* r = Exec(c, "scan", 1, v);
    if (std::atoi(PQgetvalue(r, 0, 0)) != kRows) std::abort();
    PQclear(r);
  }
  t.scans = kScans / Seconds(t0);
  t0 = Clock::now();
  for (int i = 0; i < kTx; ++i) {
    PQclear(PQexec(c, "BEGIN"));
    for (int j = 0; j < kTxRows; ++j) {
      std::string job = "w" + std::to_string(round) + "-" + std::to_string(i * kTxRows + j);
      const char* v[] = {"1", job.c_str()};
      PGresult* r = Exec(c, "ins", 2, v);
      if (PQresultStatus(r) != PGRES_COMMAND_OK) std::abort();
      PQclear(r);
    }
    PQclear(PQexec(c, "COMMIT"));
  }
  t.tx = kTx * kTxRows / Seconds(t0);
  PQfinish(c);
  return t;
}

}  // namespace

int main() {
  std::string rls_url, plain_url;
  auto rls = Filled(&rls_url, true);
  auto plain = Filled(&plain_url, false);
  std::printf("rls_bench: %d rows per tenant, one PostgreSQL, best of 3 rounds each\n", kRows);
  Times a, b, raw;
  for (int round = 0; round < 3; ++round) {  // interleaved, so that drift hits all three alike
    Times x = ThroughStore(*rls, round), y = ThroughStore(*plain, round), z = ThroughLibpq(plain_url, round + 10);
    a.reads = std::max(a.reads, x.reads), a.scans = std::max(a.scans, x.scans), a.tx = std::max(a.tx, x.tx);
    b.reads = std::max(b.reads, y.reads), b.scans = std::max(b.scans, y.scans), b.tx = std::max(b.tx, y.tx);
    raw.reads = std::max(raw.reads, z.reads), raw.scans = std::max(raw.scans, z.scans), raw.tx = std::max(raw.tx, z.tx);
  }
  Row("point reads, store, RLS on", a.reads, "/s", "same store, RLS off", b.reads);
  Row("point reads, store, RLS on", a.reads, "/s", "plain libpq, no scope", raw.reads);
  Row("tenant scans (50k rows), store, RLS on", a.scans, "/s", "same store, RLS off", b.scans);
  Row("tenant scans (50k rows), store, RLS on", a.scans, "/s", "plain libpq, no scope", raw.scans);
  Row("inserts in 100-row transactions, RLS on", a.tx, "rows/s", "same store, RLS off", b.tx);
  Row("inserts in 100-row transactions, RLS on", a.tx, "rows/s", "plain libpq, no scope", raw.tx);
  return 0;
}
