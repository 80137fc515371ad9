#pragma once
// Many rows into one table in few statements (the ingest writer's group commits, the event log).
#include <span>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "store/database.h"

namespace keel::store {

struct BulkColumn {
  const char* name;
  const char* pg_type;  // the element type on PostgreSQL: "bigint", "text", "double precision"
};

// Inserts `rows` (each with one value per column, NULL as std::monostate) into `table`.
// PostgreSQL: one `INSERT … SELECT * FROM unnest(?::bigint[], ?::text[], …)` per 2,000 rows, each
// column sent as one array parameter. COPY FROM would be the other fast path, but PostgreSQL refuses
// it on tables with row-level security, which every tenant table has (docs/scale-out.md); the
// policy's WITH CHECK applies to these rows as to any INSERT. SQLite: the cached prepared one-row
// INSERT per row, which is as fast as SQLite inserts get. Errors are those of an INSERT
// (conflict.duplicate with its field, validation.reference, store.row_security).
Status InsertMany(Connection& conn, std::string_view table, std::span<const BulkColumn> columns,
                  std::span<const std::vector<Value>> rows);

// A double as PostgreSQL reads it: %.17g, and NaN / Infinity / -Infinity spelled its way (printf
// writes "-nan" for 0.0/0.0, which PostgreSQL refuses).
std::string DoubleText(double d);

// A PostgreSQL array literal of these values ('{1,NULL,"a \"b\""}').
std::string ArrayLiteral(std::span<const Value> values);

}  // namespace keel::store
