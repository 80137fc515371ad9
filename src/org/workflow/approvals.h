// Agile units (作战单元): approval workflows and time-bounded delegation.
//
// An approval workflow is a versioned definition (JSON over the API, YAML too): the object it
// approves, an entry condition and steps, each with approvers resolved from the unit tree (the
// unit lead of the record's unit, a role at HQ, the owner's manager, named users), a mode (first
// response, all, quorum), a condition, a timeout with escalation and what a rejection does
// (reject outright or send back a step). Conditions are formulas over the record's fields.
// A request runs on the version it started with. Every transition happens under the tenant's
// write lock with the request's version checked, so two approvers acting at once, or a recall
// racing an approval, leave the request in exactly one state. Every action is in the request's
// log; approvers get a task in their inbox (and in /me/today).
//
// The parts that own approved objects act through the hooks: quotes and contracts
// (org/commerce), expense claims, budget transfers and price changes. The files: definitions.cc
// (definitions and the built-in workflows), engine.cc (requests, decisions, escalation, timers,
// hooks), inbox.cc (a request as the API shows it, the inbox), grants.cc (delegation).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/time.h"
#include "domain/model.h"
#include "domain/records.h"
#include "store/database.h"

namespace keel::alerts {
class AlertEngine;
}

namespace keel::org {

using json = nlohmann::json;
using domain::Principal;

// A stored version of a workflow. `definition` is the document the admin wrote, normalised by
// the engine: JSON on purpose (steps, approvers, conditions are the user's document).
struct WorkflowVersion {
  std::string name;
  int64_t version = 0;
  std::optional<std::string> status;      // active | superseded; nullopt: not shown (active lists)
  std::optional<std::string> created_at;  // nullopt: not shown (a definition just saved)
  json definition;
};
// A workflow's versions, newest first.
struct WorkflowHistory {
  std::string name;
  std::vector<WorkflowVersion> versions;
};

// A submission (POST /approvals; quotes, expense claims and triggers submit through their
// services). A member of the wrong JSON type holds the 400 reading it gave: the engine reports it
// where it comes to that member, so errors come in the same order whoever builds the command.
struct SubmitRequest {
  std::string object;                             // quotes, contracts, expenses, …
  std::optional<int64_t> record_id;               // nullopt: absent or not an integer (400)
  std::optional<Result<std::string>> definition;  // nullopt: the object's own workflow
  Result<std::string> comment = std::string();
  Status problem;  // the request's shape (not an object, an unknown member, object not a text): after the permission check
};

// An approve, reject, comment or recall. Members of the wrong JSON type as in SubmitRequest.
struct ApprovalAction {
  Result<std::string> comment = std::string();
  Result<std::string> to = std::string();  // "", previous or submitter (a rejection's destination)
  std::optional<int64_t> version;          // the version the caller read; a mistyped one is -1 (never current)
  Status problem;                          // not an object, an unknown member: after the permission check
};

// A step of a request's workflow, as the request shows it.
struct ApprovalStep {
  std::string name, title_zh, title_en, mode;
};
// An approver's task on a step.
struct ApprovalTask {
  int64_t id = 0, step = 0, approver_id = 0;
  std::optional<std::string> approver;  // their name
  std::string status;                   // pending, approved, rejected, skipped, escalated, superseded
  std::optional<std::string> due_at;
  std::optional<int64_t> acted_by;
  std::optional<std::string> acted_at, comment;
};
// One line of a request's log.
struct ApprovalLogLine {
  std::optional<int64_t> actor_id, on_behalf_of;
  std::string action;
  std::optional<int64_t> step;
  std::optional<std::string> comment;
  std::string at;
};
// An approval request (审批单) with its steps, tasks and log. `record` is the record as submitted:
// an entity record, JSON like every record.
struct ApprovalView {
  int64_t id = 0;
  std::string definition;
  int64_t definition_version = 0;
  std::string title_zh, title_en, object;
  int64_t record_id = 0;
  std::optional<int64_t> unit_id, submitter_id;
  std::string status;  // pending | approved | rejected | recalled
  int64_t step = 0, version = 0;
  json record;
  std::string created_at, updated_at;
  std::optional<std::string> decided_at;
  std::optional<std::vector<ApprovalStep>> steps;  // nullopt: the workflow's version is gone
  std::vector<ApprovalTask> tasks;
  std::vector<ApprovalLogLine> log;
};
// What a submission did: the request it started, or nothing to approve (the workflow's entry
// condition does not hold: "not_needed").
struct Submission {
  std::optional<ApprovalView> request;
  bool not_needed() const { return !request.has_value(); }
};

// An approval in someone's inbox: a task waiting for them (status pending), or a request they
// decided or submitted. `summary` holds the record's headline fields as the record has them
// (code, name, total, …): an excerpt of an entity record, JSON like the record.
struct InboxItem {
  int64_t request_id = 0;
  std::string definition, object;
  int64_t record_id = 0;
  std::optional<int64_t> submitter_id;
  json summary;
  std::string submitted_at;
  int64_t version = 0;
  struct Task {  // pending
    int64_t id = 0, step = 0;
    std::optional<int64_t> on_behalf_of;  // the approver the caller acts for by delegation
    std::optional<std::string> due_at;
    bool overdue = false;
  };
  std::optional<Task> task;
  struct Outcome {  // decided, submitted
    std::string status;
    std::optional<std::string> decided_at, my_decision, my_decision_at;
  };
  std::optional<Outcome> outcome;
};

// A delegation to make (POST /grants): the caller's approvals (or, for an admin, grantor_id's)
// to the grantee from starts_at until ends_at, optionally only within a unit's subtree.
struct GrantCommand {
  std::optional<int64_t> grantor_id;  // nullopt: the caller
  int64_t grantee_id = 0;
  std::optional<int64_t> unit_id;
  std::optional<TimeMs> starts_at;  // nullopt: now
  TimeMs ends_at = 0;
  std::string reason;
};

// A delegation grant (审批委托).
struct GrantView {
  int64_t id = 0, grantor_id = 0, grantee_id = 0;
  std::string kind;  // approvals
  std::optional<int64_t> unit_id;
  std::string starts_at, ends_at, reason;
  std::optional<int64_t> created_by;
  std::optional<std::string> revoked_at;
  bool active = false;  // in force now
};

class ApprovalEngine {
 public:
  ApprovalEngine(store::Database& db, domain::RecordService& records, const Clock& clock);
  ~ApprovalEngine();

  // ---- Workflow definitions (admin, hq_ops write; everyone reads) ----
  // JSON on purpose: `document` is the definition the admin writes (validated and normalised:
  // 400 naming the member at fault; 403 for other roles). Returns the new active version.
  Result<WorkflowVersion> SaveDefinition(const Principal& p, const json& document);
  // The active version of every workflow, by name (with created_at, without status).
  Result<std::vector<WorkflowVersion>> Definitions(const Principal& p);
  // Every version of `name`, newest first; 404 for no such workflow.
  Result<WorkflowHistory> Definition(const Principal& p, const std::string& name);

  // ---- Requests ----
  // Starts the active workflow `name` (or the object's default) on a record the caller can see.
  // Quotes and expense claims have their own submission (POST /quotes/{id}/submit,
  // /expenses/{id}/submit: authority, policy, budget); only those services pass `via_service`.
  // 409 approval.pending when the record already waits, approval.status when its status does not
  // allow it; 422 approval.no_approver when nobody can approve the first step that applies.
  Result<Submission> Submit(const Principal& p, const SubmitRequest& request, bool via_service = false);
  // 404 when there is no such request or the caller may not see it.
  Result<ApprovalView> Get(const Principal& p, int64_t request_id);
  // approve | reject (optionally to: previous) | comment; as the approver or their delegate.
  // 409 approval.changed for a stale version, approval.closed for a decided request.
  Result<ApprovalView> Act(const Principal& p, int64_t request_id, const std::string& action, const ApprovalAction& a);
  // The submitter takes a pending request back (the action's comment goes to the log).
  Result<ApprovalView> Recall(const Principal& p, int64_t request_id, const ApprovalAction& a);
  // `status`: pending (tasks waiting for the caller, and for those who delegated their approvals
  // to the caller; the default), decided (requests I approved or rejected,
  // newest first) or submitted (my own requests, newest first, with their state).
  Result<std::vector<InboxItem>> Inbox(const Principal& p, const std::string& status = "pending", int limit = 100);
  // Timeouts: overdue tasks are escalated. Start() runs it for every tenant each minute on its
  // own thread; tests call it directly with their clock.
  Result<int64_t> Tick(int64_t tenant_id);
  // The timer: every minute, RunTimers on its own thread (an events::Consumer of no events).
  void Start();
  void Stop();
  // Escalations of overdue steps of every tenant with such work, then the parts' tick hooks for
  // every active tenant (the contract lifecycle, price changes due today). Errors are logged.
  void RunTimers();

  // Called after a request on `object` is decided: "approved", "rejected" or "recalled" (the
  // record's status is already updated). For parts that act on decisions (expenses release their
  // budget when a claim is rejected or recalled).
  using DecisionHook = std::function<void(int64_t tenant, int64_t record, const std::string& decision)>;
  void OnDecision(const std::string& object, DecisionHook hook);

  // Workflows with a trigger {on: [create, update], fields: [...]} start by themselves when a
  // person creates a record of their object, or changes one of the named fields (the engine's own
  // status updates never do, so nothing retriggers itself). Before a triggered workflow starts,
  // the object's hooks may take the record over (true: handled, no workflow) — budget transfers
  // within a unit's boundary are executed at once.
  using TriggerHook = std::function<Result<bool>(int64_t tenant, int64_t record, const Principal& actor)>;
  void OnTrigger(const std::string& object, TriggerHook hook);
  // Called for every active tenant on the engine's minute tick (the contract lifecycle, price
  // changes due today). A part that registers one must outlive the engine's timer (Stop first).
  using TickHook = std::function<void(int64_t tenant)>;
  void OnTick(TickHook hook);

  // ---- Delegation (time-bounded grants) ----
  // Anyone who writes delegates their own approvals (ends_at ≤ 90 days after starts_at, unit_id
  // within their subtree); delegating someone else's (grantor_id ≠ caller) is for admins only
  // (403 grant.on_behalf), and the grantor gets an in-app notice naming who did it (an alert of
  // rule grant.on_behalf, see SetAlerts). Creating and revoking (the grantor or HQ) are in the
  // event log (grant.created, grant.revoked) and the audit log (entity grants).
  Result<GrantView> CreateGrant(const Principal& p, const GrantCommand& c);
  // The newest 500 grants: all for whole-tenant readers, else those the caller gave or received.
  Result<std::vector<GrantView>> Grants(const Principal& p);
  // Revoking a revoked grant changes nothing; 404 for no such grant.
  Status RevokeGrant(const Principal& p, int64_t id);
  // Where notices to grantors go; not owned, must outlive the engine (null: none are sent).
  void SetAlerts(alerts::AlertEngine* alerts);

  struct Impl;

 private:
  // True when it started (or a hook handled) a workflow for the record. JSON: `record` and
  // `changes` are an entity record and its changed fields, as the record service observes them.
  bool OnWrite(const Principal& p, const domain::EntityDef& e, int64_t id, const std::string& op, const json& record, const json& changes);
  std::unique_ptr<Impl> impl_;
};

}  // namespace keel::org
