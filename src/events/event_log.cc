#include "events/event_log.h"

#include "store/bulk.h"

namespace keel::events {

using store::Value;

Result<int64_t> Append(store::Connection& conn, int64_t tenant_id, std::vector<Event>& events) {
  if (events.empty()) return int64_t{0};
  conn.NoteTenantWrite(tenant_id);
  const int64_t n = static_cast<int64_t>(events.size());
  // One upsert both creates the tenant's counter and reserves n numbers under its row lock.
  Value p[] = {tenant_id, n + 1, n};
  KEEL_ASSIGN_OR_RETURN(
      store::Rows r,
      conn.Query("INSERT INTO event_seq (tenant_id, next_seq) VALUES (?, ?) ON CONFLICT (tenant_id) "
                 "DO UPDATE SET next_seq = event_seq.next_seq + ? RETURNING next_seq",
                 p));
  if (r.empty()) return Status::Internal("event_seq upsert returned nothing");
  const int64_t end = store::AsInt(r.rows[0][0]);
  const int64_t first = end - n;
  std::vector<std::vector<Value>> rows;
  rows.reserve(events.size());
  for (int64_t i = 0; i < n; ++i) {
    Event& e = events[i];
    e.tenant_id = tenant_id;
    e.seq = first + i;
    rows.push_back({tenant_id, e.seq, FormatTimestamp(e.at), e.type, e.entity, e.entity_id, e.actor_id, e.payload});
  }
  static const store::BulkColumn kColumns[] = {{"tenant_id", "bigint"}, {"seq", "bigint"},       {"at", "text"},
                                               {"type", "text"},        {"entity", "text"},      {"entity_id", "bigint"},
                                               {"actor_id", "bigint"},  {"payload", "text"}};
  KEEL_RETURN_IF_ERROR(store::InsertMany(conn, "events", kColumns, rows));
  return first;
}

Result<int64_t> AppendOne(store::Connection& conn, int64_t tenant_id, TimeMs at, std::string type, std::string entity,
                          int64_t entity_id, int64_t actor_id, std::string payload) {
  std::vector<Event> evs(1);
  evs[0].at = at;
  evs[0].type = std::move(type);
  evs[0].entity = std::move(entity);
  evs[0].entity_id = entity_id;
  evs[0].actor_id = actor_id;
  evs[0].payload = std::move(payload);
  return Append(conn, tenant_id, evs);
}

Status LockTenant(store::Connection& conn, int64_t tenant_id) {
  if (conn.backend() != store::Backend::kPostgres) return Status();  // BEGIN IMMEDIATE did it
  Value p[] = {tenant_id};
  return conn.Exec("INSERT INTO event_seq (tenant_id, next_seq) VALUES (?, 1) ON CONFLICT (tenant_id) "
                   "DO UPDATE SET next_seq = event_seq.next_seq", p).status();
}

Result<std::vector<Event>> Read(store::Connection& conn, int64_t tenant_id,
                                const ReadOptions& options) {
  std::vector<Value> p = {tenant_id, options.after_seq};
  std::string sql =
      "SELECT seq, at, type, entity, entity_id, actor_id, payload FROM events "
      "WHERE tenant_id = ? AND seq > ?";
  if (!options.type_prefix.empty()) {
    sql += " AND type LIKE ?";
    p.emplace_back(options.type_prefix + "%");
  }
  sql += " ORDER BY seq LIMIT ?";
  p.emplace_back(static_cast<int64_t>(options.limit));
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(sql, p));
  std::vector<Event> out;
  out.reserve(r.size());
  for (auto& row : r.rows) {
    Event e;
    e.tenant_id = tenant_id;
    e.seq = store::AsInt(row[0]);
    auto at = ParseTimestamp(store::AsText(row[1]));
    e.at = at.ok() ? *at : 0;
    e.type = store::AsText(row[2]);
    e.entity = store::AsText(row[3]);
    e.entity_id = store::AsInt(row[4]);
    e.actor_id = store::AsInt(row[5]);
    e.payload = store::AsText(row[6]);
    out.push_back(std::move(e));
  }
  return out;
}

Result<int64_t> LastSeq(store::Connection& conn, int64_t tenant_id) {
  Value p[] = {tenant_id};
  KEEL_ASSIGN_OR_RETURN(store::Rows r,
                        conn.Query("SELECT next_seq FROM event_seq WHERE tenant_id = ?", p));
  if (r.empty()) return int64_t{0};
  return store::AsInt(r.rows[0][0]) - 1;
}

}  // namespace keel::events
