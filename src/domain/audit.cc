#include "domain/audit.h"

namespace keel::domain {

Status WriteAudit(store::Connection& conn, const Principal& p, const std::string& action, const std::string& entity,
                  int64_t entity_id, const nlohmann::json& before, const nlohmann::json& after, TimeMs now) {
  using store::Value;
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn.AllocateIds(1));
  auto dump = [](const nlohmann::json& j) {
    return j.is_null() ? Value() : Value(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  };
  Value q[] = {p.tenant_id, ids[0], FormatTimestamp(now), p.user_id, action, entity, entity_id, dump(before), dump(after),
               p.request_id.empty() ? Value() : Value(p.request_id)};
  return conn.Exec("INSERT INTO audit_log (tenant_id, id, at, actor_id, action, entity, entity_id, before, after, request_id) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", q).status();
}

}  // namespace keel::domain
