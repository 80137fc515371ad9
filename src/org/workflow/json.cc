#include "org/workflow/json.h"
#include "common/json_util.h"

namespace keel::org {

using json = nlohmann::json;

namespace {

json InboxJson(const InboxItem& i) {
  json out = {{"request_id", i.request_id}, {"definition", i.definition}, {"object", i.object}, {"record_id", i.record_id},
              {"submitter_id", OrNull(i.submitter_id)}, {"summary", i.summary}, {"submitted_at", i.submitted_at}, {"version", i.version}};
  if (i.task) {
    out["task_id"] = i.task->id;
    out["step"] = i.task->step;
    out["on_behalf_of"] = OrNull(i.task->on_behalf_of);
    out["due_at"] = OrNull(i.task->due_at);
    out["overdue"] = i.task->overdue;
  }
  if (i.outcome) {
    out["status"] = i.outcome->status;
    out["decided_at"] = OrNull(i.outcome->decided_at);
    out["my_decision"] = OrNull(i.outcome->my_decision);
    out["my_decision_at"] = OrNull(i.outcome->my_decision_at);
  }
  return out;
}

}  // namespace

json ToJson(const WorkflowVersion& v) {
  json out = v.definition;
  out["version"] = v.version;
  if (v.status) out["status"] = *v.status;
  if (v.created_at) out["created_at"] = *v.created_at;
  return out;
}

json ToJson(const std::vector<WorkflowVersion>& active) {
  return ItemsOf(active, [](const WorkflowVersion& x) { return ToJson(x); });
}

json ToJson(const WorkflowHistory& h) {
  json versions = json::array();
  for (const auto& v : h.versions) {
    versions.push_back({{"version", v.version}, {"status", OrNull(v.status)}, {"created_at", OrNull(v.created_at)}, {"definition", v.definition}});
  }
  return json{{"name", h.name}, {"versions", versions}};
}

json ToJson(const ApprovalView& r) {
  json out = {{"id", r.id}, {"definition", r.definition}, {"definition_version", r.definition_version},
              {"title_zh", r.title_zh}, {"title_en", r.title_en},
              {"object", r.object}, {"record_id", r.record_id}, {"unit_id", OrNull(r.unit_id)},
              {"submitter_id", OrNull(r.submitter_id)}, {"status", r.status},
              {"step", r.step}, {"version", r.version}, {"record", r.record},
              {"created_at", r.created_at}, {"updated_at", r.updated_at}, {"decided_at", OrNull(r.decided_at)}};
  if (r.steps) {
    json steps = json::array();
    for (const auto& s : *r.steps) steps.push_back({{"name", s.name}, {"title_zh", s.title_zh}, {"title_en", s.title_en}, {"mode", s.mode}});
    out["steps"] = steps;
  }
  json tasks = json::array();
  for (const auto& x : r.tasks) {
    tasks.push_back({{"id", x.id}, {"step", x.step}, {"approver_id", x.approver_id}, {"approver", OrNull(x.approver)}, {"status", x.status},
                     {"due_at", OrNull(x.due_at)}, {"acted_by", OrNull(x.acted_by)}, {"acted_at", OrNull(x.acted_at)},
                     {"comment", OrNull(x.comment)}});
  }
  out["tasks"] = tasks;
  json log = json::array();
  for (const auto& x : r.log) {
    log.push_back({{"actor_id", OrNull(x.actor_id)}, {"on_behalf_of", OrNull(x.on_behalf_of)}, {"action", x.action},
                   {"step", OrNull(x.step)}, {"comment", OrNull(x.comment)}, {"at", x.at}});
  }
  out["log"] = log;
  return out;
}

json ToJson(const Submission& s) {
  if (s.request) return ToJson(*s.request);
  return json{{"status", "not_needed"}, {"reason_en", "the workflow's entry condition does not hold"},
              {"reason_zh", "不满足流程的发起条件，无需审批"}};
}

json ToJson(const std::vector<InboxItem>& items) {
  json out = json::array();
  for (const auto& i : items) out.push_back(InboxJson(i));
  return json{{"items", out}};
}

}  // namespace keel::org
