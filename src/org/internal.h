// Helpers shared by the org part's files. Not part of its public API.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/time.h"
#include "domain/model.h"
#include "events/event_log.h"
#include "store/database.h"

namespace keel::org {

// The unit ids of a materialised path "/1000/1003/1010/", root first.
inline std::vector<int64_t> PathIds(const std::string& path) {
  std::vector<int64_t> out;
  for (size_t i = 1; i < path.size();) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) break;
    out.push_back(std::stoll(path.substr(i, j - i)));
    i = j + 1;
  }
  return out;
}

// A change made beside the record service, recorded like its writes: one event of `type` and one
// audit row (actor, what, the state after). Inside the caller's write transaction.
inline Status RecordChange(store::Connection& conn, const domain::Principal& p, TimeMs now, const std::string& type,
                           const std::string& entity, int64_t id, const nlohmann::json& after) {
  std::string detail = after.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  KEEL_RETURN_IF_ERROR(events::AppendOne(conn, p.tenant_id, now, type, entity, id, p.user_id, detail).status());
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn.AllocateIds(1));
  store::Value q[] = {p.tenant_id, ids[0], FormatTimestamp(now), p.user_id, type, entity, id, detail,
                      p.request_id.empty() ? store::Value() : store::Value(p.request_id)};
  return conn.Exec("INSERT INTO audit_log (tenant_id, id, at, actor_id, action, entity, entity_id, after, request_id) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", q).status();
}

}  // namespace keel::org
