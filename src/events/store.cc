#include "events/store.h"

#include <span>
#include <string>

#include "events/event_log.h"
#include "store/rows.h"

namespace keel::events {

using store::Value;

Result<std::optional<int64_t>> LoadCursor(store::Connection& conn, int64_t tenant, std::string_view consumer) {
  Value q[] = {tenant, std::string(consumer)};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT seq FROM consumer_cursors WHERE tenant_id = ? AND consumer = ?", q));
  if (rows.empty()) return std::optional<int64_t>();
  return std::optional<int64_t>(store::AsInt(rows.rows[0][rows.Column("seq")]));
}

Status SaveCursor(store::Connection& conn, int64_t tenant, std::string_view consumer, int64_t seq, TimeMs now) {
  Value q[] = {tenant, std::string(consumer), seq, FormatTimestamp(now)};
  return conn.Exec("INSERT INTO consumer_cursors (tenant_id, consumer, seq, updated_at) VALUES (?, ?, ?, ?) "
                   "ON CONFLICT (tenant_id, consumer) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at", q)
      .status();
}

Result<int> InitCursorsAtHead(store::Connection& conn, std::string_view consumer, TimeMs now) {
  Value q[] = {std::string(consumer)};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT t.id FROM tenants t WHERE NOT EXISTS (SELECT 1 FROM consumer_cursors c "
                                                     "WHERE c.tenant_id = t.id AND c.consumer = ?)", q));
  int n = 0;
  for (const auto& r : rows.rows) {
    int64_t tenant = store::AsInt(r[rows.Column("id")]);
    KEEL_ASSIGN_OR_RETURN(int64_t head, LastSeq(conn, tenant));
    Value s[] = {tenant, std::string(consumer), head, FormatTimestamp(now)};
    KEEL_RETURN_IF_ERROR(conn.Exec("INSERT INTO consumer_cursors (tenant_id, consumer, seq, updated_at) VALUES (?, ?, ?, ?) "
                                   "ON CONFLICT (tenant_id, consumer) DO NOTHING", s).status());
    ++n;
  }
  return n;
}

Result<bool> ClaimPeriod(store::Connection& conn, int64_t tenant, std::string_view job, std::string_view period,
                         std::string_view holder, TimeMs now) {
  Value q[] = {tenant, std::string(job), std::string(period), std::string(holder), FormatTimestamp(now)};
  KEEL_ASSIGN_OR_RETURN(int64_t n, conn.Exec("INSERT INTO job_claims (tenant_id, job, period, holder, claimed_at) VALUES (?, ?, ?, ?, ?) "
                                             "ON CONFLICT (tenant_id, job, period) DO NOTHING", q));
  return n == 1;
}

Result<std::vector<int64_t>> TenantIds(store::Connection& conn) {
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT id FROM tenants ORDER BY id"));
  std::vector<int64_t> out;
  for (store::Row r : rows) out.push_back(r.Int("id"));
  return out;
}

Result<std::optional<int64_t>> AcquireLease(store::Connection& conn, int64_t tenant, std::string_view name,
                                            std::string_view holder, TimeMs now, int64_t ttl_ms) {
  // One statement, so two nodes racing for a free lease cannot both win: the insert conflicts,
  // and the update's WHERE lets only a renewal by the holder or a takeover of an expired lease
  // through. Same holder, still valid: the token stays; anything else: token + 1.
  Value q[] = {tenant, std::string(name), std::string(holder), now + ttl_ms, now, now, now, now};
  KEEL_ASSIGN_OR_RETURN(
      store::Rows rows,
      conn.Query("INSERT INTO leases (tenant_id, name, holder, token, expires_at, acquired_at) VALUES (?, ?, ?, 1, ?, ?) "
                 "ON CONFLICT (tenant_id, name) DO UPDATE SET "
                 "token = CASE WHEN leases.holder = excluded.holder AND leases.expires_at >= ? THEN leases.token "
                 "ELSE leases.token + 1 END, "
                 "acquired_at = CASE WHEN leases.holder = excluded.holder AND leases.expires_at >= ? "
                 "THEN leases.acquired_at ELSE excluded.acquired_at END, "
                 "holder = excluded.holder, expires_at = excluded.expires_at "
                 "WHERE leases.holder = excluded.holder OR leases.expires_at < ? RETURNING token",
                 q));
  if (rows.empty()) return std::optional<int64_t>();
  return std::optional<int64_t>(store::Row(rows, 0).Int("token"));
}

Status ReleaseLease(store::Connection& conn, int64_t tenant, std::string_view name, std::string_view holder,
                    int64_t token) {
  // Expired at once; the row (and so the token's history) stays.
  Value q[] = {tenant, std::string(name), std::string(holder), token};
  return conn.Exec("UPDATE leases SET expires_at = 0 WHERE tenant_id = ? AND name = ? AND holder = ? AND token = ?", q)
      .status();
}

Result<bool> LeaseStillHeld(store::Connection& conn, int64_t tenant, std::string_view name, std::string_view holder,
                            int64_t token) {
  Value q[] = {tenant, std::string(name)};
  const char* sql = conn.backend() == store::Backend::kPostgres
                        ? "SELECT holder, token FROM leases WHERE tenant_id = ? AND name = ? FOR SHARE"
                        : "SELECT holder, token FROM leases WHERE tenant_id = ? AND name = ?";
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(sql, q));
  if (rows.empty()) return false;
  store::Row r(rows, 0);
  return r.Text("holder") == holder && r.Int("token") == token;
}

Result<std::vector<LeaseRow>> ListLeases(store::Connection& conn, std::optional<int64_t> tenant) {
  Value q[] = {tenant.value_or(0)};
  std::string sql = "SELECT tenant_id, name, holder, token, expires_at, acquired_at FROM leases";
  if (tenant) sql += " WHERE tenant_id = ?";
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(sql + " ORDER BY tenant_id, name", std::span<const Value>(q, tenant ? 1 : 0)));
  return store::MapRows<LeaseRow>(rows, [](store::Row r) {
    return LeaseRow{r.Int("tenant_id"), r.Text("name"), r.Text("holder"), r.Int("token"), r.Int("expires_at"), r.Int("acquired_at")};
  });
}

Result<std::vector<HolderRow>> LeaseHolders(store::Connection& conn, TimeMs now, std::optional<int64_t> tenant) {
  // Every holder is listed; only the tenant's live leases are counted when one is given.
  Value q[] = {now, tenant.value_or(0)};
  const std::string counted = tenant ? "expires_at >= ? AND tenant_id = ?" : "expires_at >= ?";
  KEEL_ASSIGN_OR_RETURN(store::Rows rows,
                        conn.Query("SELECT holder, CAST(SUM(CASE WHEN " + counted + " THEN 1 ELSE 0 END) AS BIGINT) AS live, "
                                   "MAX(expires_at) AS latest FROM leases GROUP BY holder ORDER BY holder",
                                   std::span<const Value>(q, tenant ? 2 : 1)));
  return store::MapRows<HolderRow>(rows, [](store::Row r) { return HolderRow{r.Text("holder"), r.Int("live"), r.Int("latest")}; });
}

Result<std::vector<CursorRow>> ListCursors(store::Connection& conn, std::optional<int64_t> tenant) {
  Value q[] = {tenant.value_or(0)};
  std::string sql = "SELECT tenant_id, consumer, seq FROM consumer_cursors";
  if (tenant) sql += " WHERE tenant_id = ?";
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(sql + " ORDER BY tenant_id, consumer", std::span<const Value>(q, tenant ? 1 : 0)));
  return store::MapRows<CursorRow>(rows, [](store::Row r) { return CursorRow{r.Int("tenant_id"), r.Text("consumer"), r.Int("seq")}; });
}

Result<LagTotal> CursorLagTotal(store::Connection& conn, std::string_view consumer) {
  Value q[] = {std::string(consumer)};
  KEEL_ASSIGN_OR_RETURN(
      store::Rows rows,
      conn.Query("SELECT CAST(COALESCE(SUM(b.behind), 0) AS BIGINT) AS behind, CAST(COALESCE(MAX(b.behind), 0) AS BIGINT) AS worst, "
                 "CAST(COALESCE(SUM(CASE WHEN b.behind > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS tenants FROM "
                 "(SELECT s.next_seq - 1 - COALESCE(c.seq, 0) AS behind FROM event_seq s LEFT JOIN consumer_cursors c "
                 "ON c.tenant_id = s.tenant_id AND c.consumer = ?) b",
                 q));
  if (rows.empty()) return LagTotal{};
  store::Row r(rows, 0);
  return LagTotal{r.Int("behind"), r.Int("worst"), r.Int("tenants")};
}

Result<std::map<int64_t, int64_t>> LogHeads(store::Connection& conn) {
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT tenant_id, next_seq - 1 AS head FROM event_seq"));
  std::map<int64_t, int64_t> out;
  for (store::Row r : rows) out[r.Int("tenant_id")] = r.Int("head");
  return out;
}

Result<std::map<int64_t, std::string>> TenantCodes(store::Connection& conn) {
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query("SELECT id, code FROM tenants"));
  std::map<int64_t, std::string> out;
  for (store::Row r : rows) out[r.Int("id")] = r.Text("code");
  return out;
}

}  // namespace keel::events
