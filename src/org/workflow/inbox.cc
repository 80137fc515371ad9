// A request as the API shows it, who sees it and acts on it, and the inbox.
#include "org/workflow/approvals.h"
#include "org/workflow/internal.h"

#include <algorithm>

#include "domain/schema.h"
#include "org/workflow/store.h"

namespace keel::org {

namespace repo = workflow;

namespace {

template <typename T>
json OrNull(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

// What a list shows of the record as it was submitted, whatever its object.
json Summary(const json& rec) {
  json out = {{"code", rec.value("code", json(nullptr))}, {"name", rec.value("name", json(nullptr))},
              {"total", rec.value("total", json(nullptr))}, {"discount_pct", rec.value("discount_pct", json(nullptr))},
              {"max_discount_pct", rec.value("max_discount_pct", json(nullptr))}};
  for (const char* k : {"title", "amount", "category", "reason", "product_id", "old_price", "new_price", "from_budget_id",
                        "to_budget_id", "discount_total"}) {
    if (rec.contains(k)) out[k] = rec[k];
  }
  return out;
}

}  // namespace

// The request as the API shows it.
Result<json> ApprovalEngine::Impl::Describe(store::Connection& conn, int64_t tenant, int64_t id) {
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::RequestRow> found, repo::LoadRequest(conn, tenant, id));
  if (!found) return Status::NotFound("approval request");
  const repo::RequestRow& r = *found;
  KEEL_ASSIGN_OR_RETURN(std::optional<std::string> doc, repo::LoadDefinitionDocument(conn, tenant, r.def_name, r.def_version));
  json def = doc ? json::parse(*doc) : json::object();
  json out = {{"id", id}, {"definition", r.def_name}, {"definition_version", r.def_version},
              {"title_zh", def.value("title_zh", "")}, {"title_en", def.value("title_en", "")},
              {"object", r.object}, {"record_id", r.record_id}, {"unit_id", OrNull(r.unit_id)},
              {"submitter_id", OrNull(r.submitter_id)}, {"status", r.status},
              {"step", r.step}, {"version", r.version}, {"record", json::parse(r.snapshot)},
              {"created_at", r.created_at}, {"updated_at", r.updated_at}, {"decided_at", OrNull(r.decided_at)}};
  if (def.contains("steps")) {
    json steps = json::array();
    for (const auto& s : def["steps"]) steps.push_back({{"name", s["name"]}, {"title_zh", s["title_zh"]}, {"title_en", s["title_en"]}, {"mode", s["mode"]}});
    out["steps"] = steps;
  }
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::TaskView> t, repo::LoadTasks(conn, tenant, id));
  json tasks = json::array();
  for (const auto& x : t) {
    tasks.push_back({{"id", x.id}, {"step", x.step}, {"approver_id", x.approver_id}, {"approver", OrNull(x.approver)}, {"status", x.status},
                     {"due_at", OrNull(x.due_at)}, {"acted_by", OrNull(x.acted_by)}, {"acted_at", OrNull(x.acted_at)},
                     {"comment", OrNull(x.comment)}});
  }
  out["tasks"] = tasks;
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::LogEntry> l, repo::LoadLog(conn, tenant, id));
  json log = json::array();
  for (const auto& x : l) {
    log.push_back({{"actor_id", OrNull(x.actor_id)}, {"on_behalf_of", OrNull(x.on_behalf_of)}, {"action", x.action},
                   {"step", OrNull(x.step)}, {"comment", OrNull(x.comment)}, {"at", x.at}});
  }
  out["log"] = log;
  return out;
}

// The users whose approvals `user` may act on now (themselves, and active delegations to them
// whose scope covers `unit`).
Result<std::vector<int64_t>> ApprovalEngine::Impl::ActingFor(store::Connection& conn, int64_t tenant, int64_t user, int64_t unit) {
  std::vector<int64_t> out = {user};
  std::string now = FormatTimestamp(clock.NowMs());
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::ActiveGrant> grants, repo::ActiveGrantsTo(conn, tenant, user, now));
  std::string unit_path;
  if (unit) {
    KEEL_ASSIGN_OR_RETURN(std::optional<std::string> path, repo::UnitPath(conn, tenant, unit));
    unit_path = path.value_or("");
  }
  for (const auto& g : grants) {
    bool covers = !g.unit_path || (!unit_path.empty() && unit_path.rfind(*g.unit_path, 0) == 0);
    if (covers) out.push_back(g.grantor_id);
  }
  return out;
}

bool ApprovalEngine::Impl::CanSee(store::Connection& conn, const Principal& p, int64_t tenant, int64_t id) {
  if (domain::SeesWholeTenant(p.role) || p.is_system()) return true;
  auto takes_part = repo::TakesPartIn(conn, tenant, id, p.user_id, FormatTimestamp(clock.NowMs()));
  if (takes_part.ok() && *takes_part) return true;
  // Whoever sees the record sees its approvals.
  auto r = repo::LoadRequest(conn, tenant, id);
  if (!r.ok() || !r->has_value()) return false;
  return records.Get(p, *domain::FindEntity((*r)->object), (*r)->record_id).ok();
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
  json items = json::array();
  if (status != "pending") {
    // Requests I decided (a task I acted on, for myself or on someone's behalf), or that I submitted.
    KEEL_ASSIGN_OR_RETURN(std::vector<repo::InboxRequest> rows,
                          repo::LoadInboxRequests(*conn, p.tenant_id, p.user_id, status == "decided", limit));
    for (const auto& r : rows) {
      items.push_back({{"request_id", r.id}, {"definition", r.def_name}, {"object", r.object}, {"record_id", r.record_id},
                       {"submitter_id", OrNull(r.submitter_id)}, {"summary", Summary(json::parse(r.snapshot))},
                       {"submitted_at", r.created_at}, {"status", r.status}, {"decided_at", OrNull(r.decided_at)}, {"version", r.version},
                       {"my_decision", OrNull(r.my_decision)}, {"my_decision_at", OrNull(r.my_decision_at)}});
    }
    return json{{"items", items}};
  }
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::InboxTask> rows, repo::LoadInboxTasks(*conn, p.tenant_id, p.user_id, now));
  for (const auto& t : rows) {
    if (t.submitter_id && *t.submitter_id == p.user_id) continue;  // one's own request, delegated back
    if (t.approver_id != p.user_id) {
      // Delegated: only within the grant's unit scope.
      KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> acting, impl_->ActingFor(*conn, p.tenant_id, p.user_id, t.unit_id.value_or(0)));
      if (std::find(acting.begin(), acting.end(), t.approver_id) == acting.end()) continue;
    }
    items.push_back({{"task_id", t.task_id}, {"request_id", t.request_id}, {"step", t.step},
                     {"on_behalf_of", t.approver_id == p.user_id ? json(nullptr) : json(t.approver_id)},
                     {"due_at", OrNull(t.due_at)}, {"overdue", t.due_at && *t.due_at < now}, {"definition", t.def_name},
                     {"object", t.object}, {"record_id", t.record_id}, {"submitter_id", OrNull(t.submitter_id)},
                     {"summary", Summary(json::parse(t.snapshot))}, {"submitted_at", t.created_at}, {"version", t.version}});
  }
  return json{{"items", items}};
}

}  // namespace keel::org
