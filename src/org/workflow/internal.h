// The workflow engine's shared state and helpers (ApprovalEngine::Impl), used by its files:
// definitions.cc, engine.cc, inbox.cc and grants.cc. Not part of the org part's API.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "events/consumer.h"
#include "org/workflow/approvals.h"
#include "org/workflow/store.h"

namespace keel::org {

// "30m", "48h", "2d", "1w" → milliseconds; 0 on a malformed text.
int64_t ParseDuration(const std::string& s);
// How a record is named in titles: its code, else its name, else its id.
std::string LabelOf(const json& record, int64_t id);
// The objects a workflow may approve.
extern const std::vector<std::string> kObjects;

// Objects whose status the approval decides: each goes through its own workflow (a default is
// created on first use), from draft (or rejected) only.
struct OwnWorkflow {
  const char* object;
  const char* name;
  json (*make)();
  bool has_approval_id;
};
const OwnWorkflow* OwnOf(const std::string& object);
const OwnWorkflow* OwnByName(const std::string& name);

// A workflow definition and a request's record snapshot stay JSON inside the engine: the first
// is the document an admin writes (steps, approvers, conditions), the second the record service's
// free-form field map.
struct ApprovalEngine::Impl {
  Impl(store::Database& d, domain::RecordService& r, const Clock& c) : db(d), records(r), clock(c) {}
  store::Database& db;
  domain::RecordService& records;
  const Clock& clock;
  alerts::AlertEngine* alerts = nullptr;  // grantors hear of grants made on their behalf; null: no notices
  // The timer (escalations, the parts' tick hooks): a consumer of no events
  // that ticks every minute.
  struct Timer : events::ConsumerHandler {
    ApprovalEngine* engine = nullptr;
    Status Process(int64_t, std::span<const events::Event>) override { return Status(); }
    void Tick() override { engine->RunTimers(); }
  } timer_handler;
  std::unique_ptr<events::Consumer> timer;
  std::map<std::string, std::vector<DecisionHook>> decision_hooks;
  std::map<std::string, std::vector<TriggerHook>> trigger_hooks;
  std::vector<TickHook> tick_hooks;
  std::mutex hooks_mu;  // guards the hook lists
  int observer = 0;

  struct Pending {
    std::vector<std::pair<int64_t, std::string>> tasks;  // approver → title, for the inbox tasks written after commit
  };

  // What StartRequest did: the request (0: none), its status and definition, the tasks it opened.
  struct Started {
    int64_t id = 0;
    std::string status;
    json def;
    Pending pending;
  };

  // Validates a definition and returns it normalised.
  Result<json> CheckDefinition(const json& body);
  Result<json> CheckApprovers(const json& a, const std::string& at);
  // The active definition of `name` (version and body), or NotFound.
  Result<std::pair<int64_t, json>> ActiveDef(store::Connection& conn, int64_t tenant, const std::string& name);
  // The active definition of `name`; a built-in one the tenant has not used yet becomes its version 1.
  Result<std::pair<int64_t, json>> ActiveOrBuiltIn(store::Connection& conn, int64_t tenant, const std::string& name);
  // Under the tenant's lock: starts workflow `name` on the record (its status is checked for the
  // objects with their own workflow). Returns true when started (`out` says how), false when the
  // entry condition does not hold (no approval needed).
  Result<bool> StartRequest(store::Connection& conn, const Principal& p, const std::string& object, int64_t record_id, json& record,
                            const std::string& name, const std::string& comment, Started& out);
  // The task (and on whose behalf, 0: their own) the caller acts on at the request's step; 403 when none.
  Result<std::pair<int64_t, int64_t>> TaskToAct(store::Connection& conn, const Principal& p, const workflow::RequestRow& r);
  // After a task was decided: the request's new status (pending, approved, rejected); `step` is the
  // step it is now at.
  Result<std::string> NextAfterDecision(store::Connection& conn, const Principal& p, const workflow::RequestRow& r, const json& def,
                                        const json& record, const std::string& to, int64_t on_behalf, const std::string& comment,
                                        int64_t& step, bool& closed_tasks, Pending& pending);
  // The people who approve a step of a request on `record`, the submitter excluded.
  Result<std::vector<int64_t>> Approvers(store::Connection& conn, int64_t tenant, const json& who, const json& record, int64_t submitter);
  Status Log(store::Connection& conn, int64_t tenant, int64_t request, int64_t actor, int64_t on_behalf, const std::string& action,
             int64_t step, const std::string& comment);
  // Opens the first applicable step at or after `from`; returns the step opened (or steps.size()
  // when none applies: the request is approved).
  Result<int64_t> OpenStep(store::Connection& conn, int64_t tenant, int64_t request, const json& def, const json& record, size_t from,
                           int64_t submitter, Pending& pending);
  // After commit: the record learns the decision; approvers get an inbox task.
  void AfterCommit(int64_t tenant, const std::string& object, int64_t record, int64_t request, const std::string& status, const Pending& pending,
                   const std::string& title);
  // Closes the workflow tasks of a request that no longer wait for anyone.
  void CloseInboxTasks(int64_t tenant, int64_t request);
  // The request as the API shows it.
  Result<ApprovalView> Describe(store::Connection& conn, int64_t tenant, int64_t id);
  // The users whose approvals `user` may act on now (themselves, and active delegations to them
  // whose scope covers `unit`).
  Result<std::vector<int64_t>> ActingFor(store::Connection& conn, int64_t tenant, int64_t user, int64_t unit);
  bool CanSee(store::Connection& conn, const Principal& p, int64_t tenant, int64_t id);
};

}  // namespace keel::org
