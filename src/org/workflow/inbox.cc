// A request as the API shows it, who sees it and acts on it, and the inbox.
#include "org/workflow/approvals.h"
#include "org/workflow/internal.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <spdlog/spdlog.h>

#include "alerts/engine.h"
#include "common/tz.h"
#include "domain/codec.h"
#include "domain/schema.h"
#include "domain/versions.h"
#include "events/consumer.h"
#include "events/event_log.h"
#include "org/conditions.h"
#include "org/governance.h"
#include "org/internal.h"
#include "formula/formula.h"

namespace keel::org {

using store::Value;


// The request as the API shows it.
Result<json> ApprovalEngine::Impl::Describe(store::Connection& conn, int64_t tenant, int64_t id) {
  Value q[] = {tenant, id};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT def_name, def_version, object, record_id, unit_id, submitter_id, status, step, version, snapshot, created_at, "
      "updated_at, decided_at FROM approval_requests WHERE tenant_id = ? AND id = ?", q));
  if (r.empty()) return Status::NotFound("approval request");
  const auto& row = r.rows[0];
  Value dq[] = {tenant, store::AsText(row[0]), store::AsInt(row[1])};
  KEEL_ASSIGN_OR_RETURN(store::Rows d, conn.Query("SELECT definition FROM approval_defs WHERE tenant_id = ? AND name = ? AND version = ?", dq));
  json def = d.empty() ? json::object() : json::parse(store::AsText(d.rows[0][0]));
  json out = {{"id", id}, {"definition", store::AsText(row[0])}, {"definition_version", store::AsInt(row[1])},
              {"title_zh", def.value("title_zh", "")}, {"title_en", def.value("title_en", "")},
              {"object", store::AsText(row[2])}, {"record_id", store::AsInt(row[3])},
              {"unit_id", store::IsNull(row[4]) ? json(nullptr) : json(store::AsInt(row[4]))},
              {"submitter_id", store::IsNull(row[5]) ? json(nullptr) : json(store::AsInt(row[5]))}, {"status", store::AsText(row[6])},
              {"step", store::AsInt(row[7])}, {"version", store::AsInt(row[8])}, {"record", json::parse(store::AsText(row[9]))},
              {"created_at", store::AsText(row[10])}, {"updated_at", store::AsText(row[11])},
              {"decided_at", store::IsNull(row[12]) ? json(nullptr) : json(store::AsText(row[12]))}};
  if (def.contains("steps")) {
    json steps = json::array();
    for (const auto& s : def["steps"]) steps.push_back({{"name", s["name"]}, {"title_zh", s["title_zh"]}, {"title_en", s["title_en"]}, {"mode", s["mode"]}});
    out["steps"] = steps;
  }
  KEEL_ASSIGN_OR_RETURN(store::Rows t, conn.Query(
      "SELECT t.id, t.step, t.approver_id, u.display_name, t.status, t.due_at, t.acted_by, t.acted_at, t.comment FROM approval_tasks t "
      "LEFT JOIN users u ON u.tenant_id = t.tenant_id AND u.id = t.approver_id WHERE t.tenant_id = ? AND t.request_id = ? ORDER BY t.id", q));
  json tasks = json::array();
  for (const auto& x : t.rows) {
    tasks.push_back({{"id", store::AsInt(x[0])}, {"step", store::AsInt(x[1])}, {"approver_id", store::AsInt(x[2])},
                     {"approver", store::IsNull(x[3]) ? json(nullptr) : json(store::AsText(x[3]))}, {"status", store::AsText(x[4])},
                     {"due_at", store::IsNull(x[5]) ? json(nullptr) : json(store::AsText(x[5]))},
                     {"acted_by", store::IsNull(x[6]) ? json(nullptr) : json(store::AsInt(x[6]))},
                     {"acted_at", store::IsNull(x[7]) ? json(nullptr) : json(store::AsText(x[7]))},
                     {"comment", store::IsNull(x[8]) ? json(nullptr) : json(store::AsText(x[8]))}});
  }
  out["tasks"] = tasks;
  KEEL_ASSIGN_OR_RETURN(store::Rows l, conn.Query(
      "SELECT actor_id, on_behalf_of, action, step, comment, at FROM approval_log WHERE tenant_id = ? AND request_id = ? ORDER BY id", q));
  json log = json::array();
  for (const auto& x : l.rows) {
    log.push_back({{"actor_id", store::IsNull(x[0]) ? json(nullptr) : json(store::AsInt(x[0]))},
                   {"on_behalf_of", store::IsNull(x[1]) ? json(nullptr) : json(store::AsInt(x[1]))}, {"action", store::AsText(x[2])},
                   {"step", store::IsNull(x[3]) ? json(nullptr) : json(store::AsInt(x[3]))},
                   {"comment", store::IsNull(x[4]) ? json(nullptr) : json(store::AsText(x[4]))}, {"at", store::AsText(x[5])}});
  }
  out["log"] = log;
  return out;
}

// The users whose approvals `user` may act on now (themselves, and active delegations to them
// whose scope covers `unit`).
Result<std::vector<int64_t>> ApprovalEngine::Impl::ActingFor(store::Connection& conn, int64_t tenant, int64_t user, int64_t unit) {
  std::vector<int64_t> out = {user};
  std::string now = FormatTimestamp(clock.NowMs());
  Value q[] = {tenant, user, now, now};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT g.grantor_id, u.path FROM grants g LEFT JOIN units u ON u.tenant_id = g.tenant_id AND u.id = g.unit_id WHERE g.tenant_id = ? "
      "AND g.grantee_id = ? AND g.kind = 'approvals' AND g.revoked_at IS NULL AND g.starts_at <= ? AND g.ends_at > ?", q));
  std::string unit_path;
  if (unit) {
    Value uq[] = {tenant, unit};
    KEEL_ASSIGN_OR_RETURN(store::Rows u, conn.Query("SELECT path FROM units WHERE tenant_id = ? AND id = ?", uq));
    if (!u.empty()) unit_path = store::AsText(u.rows[0][0]);
  }
  for (const auto& row : r.rows) {
    bool covers = store::IsNull(row[1]) || (!unit_path.empty() && unit_path.rfind(store::AsText(row[1]), 0) == 0);
    if (covers) out.push_back(store::AsInt(row[0]));
  }
  return out;
}

bool ApprovalEngine::Impl::CanSee(store::Connection& conn, const Principal& p, int64_t tenant, int64_t id) {
  if (domain::SeesWholeTenant(p.role) || p.is_system()) return true;
  std::string now = FormatTimestamp(clock.NowMs());
  Value q[] = {tenant, id, p.user_id, p.user_id, tenant, p.user_id, now, now};
  auto r = conn.Query("SELECT 1 FROM approval_requests r WHERE r.tenant_id = ? AND r.id = ? AND (r.submitter_id = ? OR EXISTS (SELECT 1 FROM "
                      "approval_tasks t WHERE t.tenant_id = r.tenant_id AND t.request_id = r.id AND (t.approver_id = ? OR t.approver_id IN "
                      "(SELECT grantor_id FROM grants WHERE tenant_id = ? AND grantee_id = ? AND kind = 'approvals' AND revoked_at IS NULL AND "
                      "starts_at <= ? AND ends_at > ?))))", q);
  if (r.ok() && !r->empty()) return true;
  // Whoever sees the record sees its approvals.
  auto rr = conn.Query("SELECT object, record_id FROM approval_requests WHERE tenant_id = ? AND id = ?", std::vector<Value>{tenant, id});
  if (!rr.ok() || rr->empty()) return false;
  return records.Get(p, *domain::FindEntity(store::AsText(rr->rows[0][0])), store::AsInt(rr->rows[0][1])).ok();
}

Result<json> ApprovalEngine::Get(const Principal& p, int64_t id) {
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  if (!impl_->CanSee(*conn, p, p.tenant_id, id)) return Status::NotFound("approval request");
  return impl_->Describe(*conn, p.tenant_id, id);
}

Result<json> ApprovalEngine::Inbox(const Principal& p, const std::string& status, int limit) {
  if (status != "pending" && status != "decided" && status != "submitted") {
    return Status::Invalid("validation.enum", "status is pending, decided or submitted", "status 取值 pending、decided 或 submitted", "status");
  }
  if (limit < 1 || limit > 500) return Status::Invalid("validation.range", "limit is 1-500", "limit 须为 1-500", "limit");
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  std::string now = FormatTimestamp(impl_->clock.NowMs());
  // What a list shows of the record as it was submitted, whatever its object.
  auto summary = [](const json& rec) {
    json out = {{"code", rec.value("code", json(nullptr))}, {"name", rec.value("name", json(nullptr))},
                {"total", rec.value("total", json(nullptr))}, {"discount_pct", rec.value("discount_pct", json(nullptr))},
                {"max_discount_pct", rec.value("max_discount_pct", json(nullptr))}};
    for (const char* k : {"title", "amount", "category", "reason", "product_id", "old_price", "new_price", "from_budget_id",
                          "to_budget_id", "discount_total"}) {
      if (rec.contains(k)) out[k] = rec[k];
    }
    return out;
  };
  if (status != "pending") {
    // Requests I decided (a task I acted on, for myself or on someone's behalf), or that I submitted.
    std::string sql =
        "SELECT r.id, r.def_name, r.object, r.record_id, r.submitter_id, r.snapshot, r.created_at, r.status, r.decided_at, r.version, "
        "(SELECT t.status FROM approval_tasks t WHERE t.tenant_id = r.tenant_id AND t.request_id = r.id AND t.acted_by = ? "
        "ORDER BY t.id DESC LIMIT 1), "
        "(SELECT t.acted_at FROM approval_tasks t WHERE t.tenant_id = r.tenant_id AND t.request_id = r.id AND t.acted_by = ? "
        "ORDER BY t.id DESC LIMIT 1) "
        "FROM approval_requests r WHERE r.tenant_id = ? AND ";
    sql += status == "decided"
               ? "EXISTS (SELECT 1 FROM approval_tasks t WHERE t.tenant_id = r.tenant_id AND t.request_id = r.id AND t.acted_by = ? "
                 "AND t.status IN ('approved', 'rejected'))"
               : "r.submitter_id = ?";
    sql += " ORDER BY r.id DESC LIMIT ?";
    Value q[] = {p.user_id, p.user_id, p.tenant_id, p.user_id, int64_t{limit}};
    KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(sql, q));
    json items = json::array();
    for (const auto& row : r.rows) {
      json rec = json::parse(store::AsText(row[5]));
      auto text = [&](size_t i) { return store::IsNull(row[i]) ? json(nullptr) : json(store::AsText(row[i])); };
      items.push_back({{"request_id", store::AsInt(row[0])}, {"definition", store::AsText(row[1])}, {"object", store::AsText(row[2])},
                       {"record_id", store::AsInt(row[3])}, {"submitter_id", store::IsNull(row[4]) ? json(nullptr) : json(store::AsInt(row[4]))},
                       {"summary", summary(rec)}, {"submitted_at", store::AsText(row[6])}, {"status", store::AsText(row[7])},
                       {"decided_at", text(8)}, {"version", store::AsInt(row[9])}, {"my_decision", text(10)}, {"my_decision_at", text(11)}});
    }
    return json{{"items", items}};
  }
  Value q[] = {p.tenant_id, p.user_id, p.tenant_id, p.user_id, now, now};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(
      "SELECT t.id, t.request_id, t.step, t.approver_id, t.due_at, r.def_name, r.object, r.record_id, r.unit_id, r.submitter_id, "
      "r.snapshot, r.created_at, r.version FROM approval_tasks t JOIN approval_requests r ON r.tenant_id = t.tenant_id AND r.id = t.request_id "
      "WHERE t.tenant_id = ? AND t.status = 'pending' AND r.status = 'pending' AND (t.approver_id = ? OR t.approver_id IN (SELECT grantor_id FROM "
      "grants WHERE tenant_id = ? AND grantee_id = ? AND kind = 'approvals' AND revoked_at IS NULL AND starts_at <= ? AND ends_at > ?)) "
      "ORDER BY t.id", q));
  json items = json::array();
  for (const auto& row : r.rows) {
    int64_t approver = store::AsInt(row[3]);
    int64_t unit = store::IsNull(row[8]) ? 0 : store::AsInt(row[8]);
    if (!store::IsNull(row[9]) && store::AsInt(row[9]) == p.user_id) continue;  // one's own request, delegated back
    if (approver != p.user_id) {
      // Delegated: only within the grant's unit scope.
      KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> acting, impl_->ActingFor(*conn, p.tenant_id, p.user_id, unit));
      if (std::find(acting.begin(), acting.end(), approver) == acting.end()) continue;
    }
    json rec = json::parse(store::AsText(row[10]));
    items.push_back({{"task_id", store::AsInt(row[0])}, {"request_id", store::AsInt(row[1])}, {"step", store::AsInt(row[2])},
                     {"on_behalf_of", approver == p.user_id ? json(nullptr) : json(approver)},
                     {"due_at", store::IsNull(row[4]) ? json(nullptr) : json(store::AsText(row[4]))},
                     {"overdue", !store::IsNull(row[4]) && store::AsText(row[4]) < now}, {"definition", store::AsText(row[5])},
                     {"object", store::AsText(row[6])}, {"record_id", store::AsInt(row[7])},
                     {"submitter_id", store::IsNull(row[9]) ? json(nullptr) : json(store::AsInt(row[9]))},
                     {"summary", summary(rec)},
                     {"submitted_at", store::AsText(row[11])}, {"version", store::AsInt(row[12])}});
  }
  return json{{"items", items}};
}

}  // namespace keel::org
