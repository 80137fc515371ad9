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
  // JSON on purpose: a definition is the document the admin writes (validated by CheckDefinition).
  Result<json> SaveDefinition(const Principal& p, const json& body);
  Result<json> Definitions(const Principal& p);
  Result<json> Definition(const Principal& p, const std::string& name);

  // ---- Requests ----
  // Starts the active workflow `name` (or the object's default) on a record the caller can see.
  // Quotes and expense claims have their own submission (POST /quotes/{id}/submit,
  // /expenses/{id}/submit: authority, policy, budget); only those services pass `via_service`.
  Result<json> Submit(const Principal& p, const json& body, bool via_service = false);
  Result<json> Get(const Principal& p, int64_t request_id);
  // approve | reject (optionally {"to": "previous"}) | comment; as the approver or their delegate.
  Result<json> Act(const Principal& p, int64_t request_id, const std::string& action, const json& body);
  Result<json> Recall(const Principal& p, int64_t request_id, const json& body);
  // `status`: pending (tasks waiting for the caller, and for those who delegated their approvals
  // to the caller; the default), decided (requests I approved or rejected,
  // newest first) or submitted (my own requests, newest first, with their state).
  Result<json> Inbox(const Principal& p, const std::string& status = "pending", int limit = 100);
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
  // True when it started (or a hook handled) a workflow for the record.
  bool OnWrite(const Principal& p, const domain::EntityDef& e, int64_t id, const std::string& op, const json& record, const json& changes);
  std::unique_ptr<Impl> impl_;
};

}  // namespace keel::org
