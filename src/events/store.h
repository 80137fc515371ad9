// The events part's repository: consumer cursors (消费位点) — one row per (tenant, consumer) in
// `consumer_cursors` with the last sequence number the consumer has finished — and leases (租约)
// — one row per (tenant, name) in `leases` saying which node holds it, until when, and its
// fencing token.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "store/database.h"

namespace keel::events {

// The consumer's cursor for the tenant, or nullopt without a row.
Result<std::optional<int64_t>> LoadCursor(store::Connection& conn, int64_t tenant, std::string_view consumer);
// Creates or moves the cursor.
Status SaveCursor(store::Connection& conn, int64_t tenant, std::string_view consumer, int64_t seq, TimeMs now);
// Gives every tenant without a cursor for `consumer` one at its log's head; returns how many.
Result<int> InitCursorsAtHead(store::Connection& conn, std::string_view consumer, TimeMs now);

// Claims (job, period) for the tenant: true for the first caller, false for every later one on
// any node (the natural key of a scheduled job's run, e.g. ("recap", "2026-12-07")).
Result<bool> ClaimPeriod(store::Connection& conn, int64_t tenant, std::string_view job, std::string_view period,
                         std::string_view holder, TimeMs now);

// Every tenant's id.
Result<std::vector<int64_t>> TenantIds(store::Connection& conn);

// Takes the lease (tenant, name) for `holder` until `now + ttl_ms` when it is free, expired or
// already the holder's; returns its fencing token, or nullopt when another holder has it. The
// token stays the same while one holder renews and goes up by one each time it changes hands.
Result<std::optional<int64_t>> AcquireLease(store::Connection& conn, int64_t tenant, std::string_view name,
                                            std::string_view holder, TimeMs now, int64_t ttl_ms);
// Gives the lease up (only if `holder` still has it with `token`): another node may take it at once.
Status ReleaseLease(store::Connection& conn, int64_t tenant, std::string_view name, std::string_view holder,
                    int64_t token);
// Inside the caller's write transaction: whether `holder` still has the lease with `token`. On
// PostgreSQL the lease row is locked (FOR SHARE) until the transaction ends, so a takeover waits
// for the caller's commit and can never interleave with it; on SQLite the write transaction
// already excludes every other writer.
Result<bool> LeaseStillHeld(store::Connection& conn, int64_t tenant, std::string_view name, std::string_view holder,
                            int64_t token);

// Operators' views (GET /api/v1/cluster, keel status, /metrics): what the leases and cursors say.

// A row of `leases`. expires_at is 0 once released.
struct LeaseRow {
  int64_t tenant_id = 0;
  std::string name, holder;
  int64_t token = 0;
  TimeMs expires_at = 0, acquired_at = 0;
};
// The tenant's leases (every tenant's without one), by tenant and name.
Result<std::vector<LeaseRow>> ListLeases(store::Connection& conn, std::optional<int64_t> tenant);

// A node as the leases table knows it: a holder name, how many leases it holds now (the
// tenant's only, when one is given) and the latest expiry of any of its leases.
struct HolderRow {
  std::string holder;
  int64_t live_leases = 0;
  TimeMs latest_expiry = 0;
};
// Every holder named in `leases`, by name.
Result<std::vector<HolderRow>> LeaseHolders(store::Connection& conn, TimeMs now, std::optional<int64_t> tenant);

// A row of `consumer_cursors`.
struct CursorRow {
  int64_t tenant_id = 0;
  std::string consumer;
  int64_t seq = 0;
};
// Every cursor row (the tenant's only, when one is given), by tenant and consumer.
Result<std::vector<CursorRow>> ListCursors(store::Connection& conn, std::optional<int64_t> tenant);

// How far behind the log heads a consumer's cursors are, over every tenant with events (a tenant
// without a cursor row counts from 0, as the consumer reads it).
struct LagTotal {
  int64_t behind = 0;   // events, summed over tenants
  int64_t worst = 0;    // events, the tenant furthest behind
  int64_t tenants = 0;  // tenants with at least one event to go
};
Result<LagTotal> CursorLagTotal(store::Connection& conn, std::string_view consumer);

// Every tenant's log head (the last sequence number; tenants without events are absent).
Result<std::map<int64_t, int64_t>> LogHeads(store::Connection& conn);
// Every tenant's code by id.
Result<std::map<int64_t, std::string>> TenantCodes(store::Connection& conn);

}  // namespace keel::events
