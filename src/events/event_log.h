// The event log (事件日志): an append-only, per-tenant sequence of everything that was accepted.
// Every domain write appends its events inside the same transaction, so an event exists iff
// its write committed. Sequence numbers are per tenant, start at 1 and have no gaps; they are
// handed out under a per-tenant row lock, so a reader that replays "after N" never misses an
// event that commits later with a smaller number. This is the feed for metrics, alerts,
// scoring and live streams.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "store/database.h"

namespace keel::events {

struct Event {
  int64_t tenant_id = 0;
  int64_t seq = 0;
  TimeMs at = 0;            // when the fact happened (UTC)
  std::string type;         // e.g. "opportunity.stage_changed"
  std::string entity;       // e.g. "opportunities"
  int64_t entity_id = 0;
  int64_t actor_id = 0;     // 0 for the system
  std::string payload;      // JSON text
};

// Appends `events` (tenant_id and seq are filled in) for one tenant. Must run inside a write
// transaction on `conn`; the caller commits. Returns the first sequence number used.
Result<int64_t> Append(store::Connection& conn, int64_t tenant_id, std::vector<Event>& events);

// Appends one event: the common case of a write that records a single fact. As Append.
Result<int64_t> AppendOne(store::Connection& conn, int64_t tenant_id, TimeMs at, std::string type, std::string entity,
                          int64_t entity_id, int64_t actor_id, std::string payload);

// Serialises the tenant's writers from here to the end of the transaction. Every domain write
// takes it first, so its read-validate-write cannot race another writer of the same tenant
// (on SQLite, BEGIN IMMEDIATE already serialises all writers). Inside a write transaction.
Status LockTenant(store::Connection& conn, int64_t tenant_id);

struct ReadOptions {
  int64_t after_seq = 0;   // return events with seq > after_seq
  int limit = 1000;
  std::string type_prefix; // e.g. "order." ; empty for all
};

// Reads one tenant's events in sequence order. Never returns another tenant's rows.
Result<std::vector<Event>> Read(store::Connection& conn, int64_t tenant_id,
                                const ReadOptions& options);

// The highest sequence number committed for the tenant (0 if none).
Result<int64_t> LastSeq(store::Connection& conn, int64_t tenant_id);

}  // namespace keel::events
