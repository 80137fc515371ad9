#include "events/store.h"

#include <string>

#include "events/event_log.h"

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

}  // namespace keel::events
