// A request as the API shows it, who sees it and acts on it, and the inbox.
#include "org/workflow/approvals.h"
#include "org/workflow/internal.h"

#include <algorithm>

#include "domain/schema.h"
#include "org/workflow/store.h"

namespace keel::org {

namespace repo = workflow;

namespace {

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
Result<ApprovalView> ApprovalEngine::Impl::Describe(store::Connection& conn, int64_t tenant, int64_t id) {
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::RequestRow> found, repo::LoadRequest(conn, tenant, id));
  if (!found) return Status::NotFound("approval request");
  const repo::RequestRow& r = *found;
  KEEL_ASSIGN_OR_RETURN(std::optional<std::string> doc, repo::LoadDefinitionDocument(conn, tenant, r.def_name, r.def_version));
  json def = doc ? json::parse(*doc) : json::object();
  ApprovalView out{.id = id, .definition = r.def_name, .definition_version = r.def_version,
                   .title_zh = def.value("title_zh", ""), .title_en = def.value("title_en", ""), .object = r.object,
                   .record_id = r.record_id, .unit_id = r.unit_id, .submitter_id = r.submitter_id, .status = r.status,
                   .step = r.step, .version = r.version, .record = json::parse(r.snapshot), .created_at = r.created_at,
                   .updated_at = r.updated_at, .decided_at = r.decided_at, .steps = std::nullopt, .tasks = {}, .log = {}};
  if (def.contains("steps")) {
    out.steps.emplace();
    for (const auto& s : def["steps"]) {
      out.steps->push_back({s["name"].get<std::string>(), s["title_zh"].get<std::string>(), s["title_en"].get<std::string>(),
                            s["mode"].get<std::string>()});
    }
  }
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::TaskView> t, repo::LoadTasks(conn, tenant, id));
  for (auto& x : t) {
    out.tasks.push_back({x.id, x.step, x.approver_id, std::move(x.approver), std::move(x.status), std::move(x.due_at), x.acted_by,
                         std::move(x.acted_at), std::move(x.comment)});
  }
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::LogEntry> l, repo::LoadLog(conn, tenant, id));
  for (auto& x : l) out.log.push_back({x.actor_id, x.on_behalf_of, std::move(x.action), x.step, std::move(x.comment), std::move(x.at)});
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

Result<ApprovalView> ApprovalEngine::Get(const Principal& p, int64_t id) {
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  if (!impl_->CanSee(*conn, p, p.tenant_id, id)) return Status::NotFound("approval request");
  return impl_->Describe(*conn, p.tenant_id, id);
}

Result<std::vector<InboxItem>> ApprovalEngine::Inbox(const Principal& p, const std::string& status, int limit) {
  if (status != "pending" && status != "decided" && status != "submitted") {
    return Status::Invalid("validation.enum", "status is pending, decided or submitted", "status 取值 pending、decided 或 submitted", "status");
  }
  if (limit < 1 || limit > 500) return Status::Invalid("validation.range", "limit is 1-500", "limit 须为 1-500", "limit");
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  std::string now = FormatTimestamp(impl_->clock.NowMs());
  std::vector<InboxItem> items;
  if (status != "pending") {
    // Requests I decided (a task I acted on, for myself or on someone's behalf), or that I submitted.
    KEEL_ASSIGN_OR_RETURN(std::vector<repo::InboxRequest> rows,
                          repo::LoadInboxRequests(*conn, p.tenant_id, p.user_id, status == "decided", limit));
    for (auto& r : rows) {
      InboxItem item{.request_id = r.id, .definition = r.def_name, .object = r.object, .record_id = r.record_id,
                     .submitter_id = r.submitter_id, .summary = Summary(json::parse(r.snapshot)), .submitted_at = r.created_at,
                     .version = r.version, .task = std::nullopt, .outcome = std::nullopt};
      item.outcome = InboxItem::Outcome{r.status, r.decided_at, r.my_decision, r.my_decision_at};
      items.push_back(std::move(item));
    }
    return items;
  }
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::InboxTask> rows, repo::LoadInboxTasks(*conn, p.tenant_id, p.user_id, now));
  for (const auto& t : rows) {
    if (t.submitter_id && *t.submitter_id == p.user_id) continue;  // one's own request, delegated back
    if (t.approver_id != p.user_id) {
      // Delegated: only within the grant's unit scope.
      KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> acting, impl_->ActingFor(*conn, p.tenant_id, p.user_id, t.unit_id.value_or(0)));
      if (std::find(acting.begin(), acting.end(), t.approver_id) == acting.end()) continue;
    }
    InboxItem item{.request_id = t.request_id, .definition = t.def_name, .object = t.object, .record_id = t.record_id,
                   .submitter_id = t.submitter_id, .summary = Summary(json::parse(t.snapshot)), .submitted_at = t.created_at,
                   .version = t.version, .task = std::nullopt, .outcome = std::nullopt};
    item.task = InboxItem::Task{t.task_id, t.step, t.approver_id == p.user_id ? std::nullopt : std::optional<int64_t>(t.approver_id), t.due_at,
                                t.due_at && *t.due_at < now};
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace keel::org
