// The events part's repository: consumer cursors (消费位点) — one row per (tenant, consumer) in
// `consumer_cursors` with the last sequence number the consumer has finished — and leases (租约)
// — one row per (tenant, name) in `leases` saying which node holds it, until when, and its
// fencing token.
#pragma once

#include <cstdint>
#include <optional>
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

}  // namespace keel::events
