// Agile units (作战单元): pricing authority, approval workflows and time-bounded delegation.
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
// A quote is submitted (POST /quotes/{id}/submit): within the submitter's pricing authority it is
// approved on the spot; beyond it, it goes through the tenant's `quote_discount` workflow (a
// default one — unit lead, then HQ when the discount or the amount is large — is created on first
// use).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
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

class Governance;

class ApprovalEngine {
 public:
  ApprovalEngine(store::Database& db, domain::RecordService& records, const Clock& clock);
  ~ApprovalEngine();

  // ---- Workflow definitions (admin, hq_ops write; everyone reads) ----
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
  // Contracts over time (the tenant's local day): signed → active from the start date, expiring
  // 30 days before the end (with a renewal task for the owner), expired after it, renewed once a
  // contract that renews it is signed. Runs with Tick.
  Result<json> ContractLifecycle(int64_t tenant_id);
  // Signs an approved contract (its owner, unit leads or HQ): {legal_reviewed?, override_reason?};
  // legal review is required, and the tenant's compliance checkpoints on contracts at "sign" run
  // first (a blocking one can be overridden with a reason by a unit lead or HQ, audited).
  Result<json> SignContract(const Principal& p, int64_t contract_id, const json& body);
  // The timer: every minute, RunTimers on its own thread (an events::Consumer of no events).
  void Start();
  void Stop();
  // Escalations of overdue steps and the contract lifecycle of every tenant with such work, then
  // the parts' tick hooks for every active tenant. Errors are logged.
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
  // Called for every tenant on the engine's minute tick (e.g. price changes due today).
  using TickHook = std::function<void(int64_t tenant)>;
  void OnTick(TickHook hook);

  // ---- Delegation (time-bounded grants) ----
  // Anyone who writes delegates their own approvals ({grantee_id, ends_at ≤ 90 days, unit_id?
  // within their subtree, reason?}); delegating someone else's (grantor_id ≠ caller) is for admins
  // only (403 grant.on_behalf), and the grantor gets an in-app notice naming who did it (an
  // alert of rule grant.on_behalf, see SetAlerts). Creating and revoking (the grantor or HQ) are
  // in the event log (grant.created, grant.revoked) and the audit log (entity grants).
  Result<json> CreateGrant(const Principal& p, const json& body);
  Result<json> Grants(const Principal& p);
  Result<json> RevokeGrant(const Principal& p, int64_t id);
  // Where notices to grantors go; not owned, must outlive the engine (null: none are sent).
  void SetAlerts(alerts::AlertEngine* alerts);

  // ---- Pricing authority ----
  Result<json> SaveAuthority(const Principal& p, const json& body);
  Result<json> Authorities(const Principal& p);
  Result<json> ArchiveAuthority(const Principal& p, int64_t id);
  // What the caller's authority says about a quote, line by line.
  Result<json> CheckQuote(const Principal& p, int64_t quote_id);
  // {comment?, override_reason?}: the tenant's compliance checkpoints on quotes at `submit` run
  // first (with a Governance set); a blocking one refuses (422 compliance.blocked) unless a unit
  // lead or HQ overrides it with a reason.
  Result<json> SubmitQuote(const Principal& p, int64_t quote_id, const json& body);
  // An approved (sent or accepted) quote becomes an order with its lines and prices, once:
  // {channel? (b2b), ordered_at? (now)}. The quote is then accepted and names its order.
  Result<json> OrderFromQuote(const Principal& p, int64_t quote_id, const json& body);
  // Compliance checkpoints for quote submission; not owned, must outlive the engine (null: none).
  void SetGovernance(Governance* governance);

  struct Impl;

 private:
  // True when it started (or a hook handled) a workflow for the record.
  bool OnWrite(const Principal& p, const domain::EntityDef& e, int64_t id, const std::string& op, const json& record, const json& changes);
  std::unique_ptr<Impl> impl_;
};

}  // namespace keel::org
