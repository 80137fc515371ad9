// The events part's repository for consumer cursors (消费位点): one row per (tenant, consumer)
// in `consumer_cursors` with the last sequence number the consumer has finished.
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

}  // namespace keel::events
