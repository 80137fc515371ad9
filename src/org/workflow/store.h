// The workflow repository: definitions (approval_defs), requests, their tasks and log, and
// delegation grants — plus the few reads of users, units and records the engine needs. The only
// place the workflow files' SQL lives; rows are read by column name into the structs below.
// Functions run on the caller's connection (and transaction); none checks permissions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/database.h"

namespace keel::org::workflow {

// ---- Definitions (approval_defs) ----

// One stored version of a workflow; `definition` is the JSON document as saved.
struct DefinitionRow {
  std::string name;
  int64_t version = 0;
  std::string status;  // active | superseded
  std::string definition;
  std::string created_at;
};

// The active version of `name`, or nullopt.
Result<std::optional<DefinitionRow>> LoadActiveDefinition(store::Connection& conn, int64_t tenant, const std::string& name);
// One version's document, or nullopt.
Result<std::optional<std::string>> LoadDefinitionDocument(store::Connection& conn, int64_t tenant, const std::string& name, int64_t version);
// Every active workflow, by name.
Result<std::vector<DefinitionRow>> LoadActiveDefinitions(store::Connection& conn, int64_t tenant);
// Every version of `name`, newest first.
Result<std::vector<DefinitionRow>> LoadDefinitionVersions(store::Connection& conn, int64_t tenant, const std::string& name);
// Active workflows whose document mentions a trigger (name and document only).
Result<std::vector<DefinitionRow>> LoadTriggeredDefinitions(store::Connection& conn, int64_t tenant);
// The highest version of `name` (0: none).
Result<int64_t> MaxDefinitionVersion(store::Connection& conn, int64_t tenant, const std::string& name);
// Marks the active version of `name` superseded.
Status SupersedeDefinition(store::Connection& conn, int64_t tenant, const std::string& name);
// Adds `version` of `name` as the active one.
Status InsertDefinition(store::Connection& conn, int64_t tenant, const std::string& name, int64_t version, const std::string& definition,
                        const std::string& created_at, std::optional<int64_t> created_by);

// ---- Requests (approval_requests) ----

struct RequestRow {
  int64_t id = 0;
  std::string def_name;
  int64_t def_version = 0;
  std::string object;
  int64_t record_id = 0;
  std::optional<int64_t> unit_id, submitter_id;
  std::string status;  // pending | approved | rejected | recalled
  int64_t step = 0;
  int64_t version = 0;
  std::string snapshot;  // the record as submitted (JSON)
  std::string created_at, updated_at;
  std::optional<std::string> decided_at;
};

Result<std::optional<RequestRow>> LoadRequest(store::Connection& conn, int64_t tenant, int64_t id);
// The pending request on a record, or nullopt.
Result<std::optional<int64_t>> PendingRequestOn(store::Connection& conn, int64_t tenant, const std::string& object, int64_t record);
// Adds a pending request at step 0, version 1 (from the row's id, definition, record, unit,
// submitter, snapshot and created_at).
Status InsertRequest(store::Connection& conn, int64_t tenant, const RequestRow& r);
// A request no step applies to: approved at once.
Status ApproveAtOnce(store::Connection& conn, int64_t tenant, int64_t id, const std::string& now);
Status SetRequestStep(store::Connection& conn, int64_t tenant, int64_t id, int64_t step);
// Moves a request read at `version` to `status` and `step` (decided_at when it is decided);
// returns the rows changed (0: someone else changed it first).
Result<int64_t> AdvanceRequest(store::Connection& conn, int64_t tenant, int64_t id, int64_t version, const std::string& status, int64_t step,
                               const std::string& now, std::optional<std::string> decided_at);
// Recalls a request read at `version`; returns the rows changed.
Result<int64_t> RecallRequest(store::Connection& conn, int64_t tenant, int64_t id, int64_t version, const std::string& now);
// Whether `user` submitted the request or has (or acts, through an active grant, for someone who
// has) a task on it.
Result<bool> TakesPartIn(store::Connection& conn, int64_t tenant, int64_t request, int64_t user, const std::string& now);

// ---- The approved records (quotes, contracts, expenses, …) ----

// The status of a record of `table` (an approved object's table), or nullopt.
Result<std::optional<std::string>> RecordStatus(store::Connection& conn, const std::string& table, int64_t tenant, int64_t id);
// Names the request that approves a record of `table`.
Status SetRecordApproval(store::Connection& conn, const std::string& table, int64_t tenant, int64_t id, int64_t request);

// ---- Tasks (approval_tasks) and the log (approval_log) ----

// A step opened again starts a new round: its decided tasks no longer count.
Status SupersedeDecidedTasks(store::Connection& conn, int64_t tenant, int64_t request, int64_t step);
Status InsertTask(store::Connection& conn, int64_t tenant, int64_t id, int64_t request, int64_t step, int64_t approver,
                  std::optional<std::string> due_at, const std::string& created_at);
// The pending task of `approver` at the step, or nullopt.
Result<std::optional<int64_t>> PendingTaskOf(store::Connection& conn, int64_t tenant, int64_t request, int64_t step, int64_t approver);
// Decides a pending task: `status` approved or rejected.
Status DecideTask(store::Connection& conn, int64_t tenant, int64_t task, const std::string& status, int64_t actor, const std::string& at,
                  std::optional<std::string> comment);
// The tasks of one round of a step: approved, rejected, and all that count (pending or decided).
struct StepTally {
  int64_t approved = 0, rejected = 0, counted = 0;
};
Result<StepTally> TallyStep(store::Connection& conn, int64_t tenant, int64_t request, int64_t step);
// The pending tasks of the step (all steps: nullopt) are skipped.
Status SkipPendingTasks(store::Connection& conn, int64_t tenant, int64_t request, std::optional<int64_t> step);
Status EscalateTask(store::Connection& conn, int64_t tenant, int64_t task, const std::string& at);

// A pending task past its due time, with what escalation needs of its request.
struct OverdueTask {
  int64_t task_id = 0, request_id = 0, step = 0;
  std::string def_name;
  int64_t def_version = 0;
  std::string snapshot;
  std::optional<int64_t> submitter_id;
  std::string object;
  int64_t record_id = 0;
};
Result<std::vector<OverdueTask>> LoadOverdueTasks(store::Connection& conn, int64_t tenant, const std::string& now);
// Tenants with a pending task that has a due time.
Result<std::vector<int64_t>> TenantsWithDueTasks(store::Connection& conn);
Result<std::vector<int64_t>> ActiveTenants(store::Connection& conn);

// A task as a request shows it (with the approver's display name).
struct TaskView {
  int64_t id = 0, step = 0, approver_id = 0;
  std::optional<std::string> approver;
  std::string status;
  std::optional<std::string> due_at;
  std::optional<int64_t> acted_by;
  std::optional<std::string> acted_at, comment;
};
Result<std::vector<TaskView>> LoadTasks(store::Connection& conn, int64_t tenant, int64_t request);

struct LogEntry {
  std::optional<int64_t> actor_id, on_behalf_of;
  std::string action;
  std::optional<int64_t> step;
  std::optional<std::string> comment;
  std::string at;
};
Result<std::vector<LogEntry>> LoadLog(store::Connection& conn, int64_t tenant, int64_t request);
Status InsertLog(store::Connection& conn, int64_t tenant, int64_t id, int64_t request, const LogEntry& e);

// The open inbox tasks (the tasks entity) of a request whose owner no longer has a pending approval task on it.
Result<std::vector<int64_t>> StaleInboxTasks(store::Connection& conn, int64_t tenant, int64_t request);

// ---- The inbox ----

// A request I decided or submitted, with my last decision on it.
struct InboxRequest {
  int64_t id = 0;
  std::string def_name, object;
  int64_t record_id = 0;
  std::optional<int64_t> submitter_id;
  std::string snapshot, created_at, status;
  std::optional<std::string> decided_at;
  int64_t version = 0;
  std::optional<std::string> my_decision, my_decision_at;
};
// `decided`: requests `user` approved or rejected a task of; else the ones they submitted. Newest first.
Result<std::vector<InboxRequest>> LoadInboxRequests(store::Connection& conn, int64_t tenant, int64_t user, bool decided, int64_t limit);

// A pending task of `user` or of someone who delegated to them (grant's unit scope not applied).
struct InboxTask {
  int64_t task_id = 0, request_id = 0, step = 0, approver_id = 0;
  std::optional<std::string> due_at;
  std::string def_name, object;
  int64_t record_id = 0;
  std::optional<int64_t> unit_id, submitter_id;
  std::string snapshot, created_at;
  int64_t version = 0;
};
Result<std::vector<InboxTask>> LoadInboxTasks(store::Connection& conn, int64_t tenant, int64_t user, const std::string& now);

// ---- People and units ----

// A unit's path, or nullopt.
Result<std::optional<std::string>> UnitPath(store::Connection& conn, int64_t tenant, int64_t unit);
// Active unit leads of a unit, `except` left out, by id.
Result<std::vector<int64_t>> UnitLeads(store::Connection& conn, int64_t tenant, int64_t unit, int64_t except);
// The owner's supervisor when active, or nullopt.
Result<std::optional<int64_t>> ActiveSupervisor(store::Connection& conn, int64_t tenant, int64_t owner);
// Active users with the role, `except` left out, by id.
Result<std::vector<int64_t>> ActiveUsersWithRole(store::Connection& conn, int64_t tenant, const std::string& role, int64_t except);
Result<bool> IsActiveUser(store::Connection& conn, int64_t tenant, int64_t user);
// Whether the user exists and is not archived.
Result<bool> UserExists(store::Connection& conn, int64_t tenant, int64_t user);

struct PersonRow {
  std::string display_name, username, role;
  int64_t unit_id = 0;
};
Result<std::optional<PersonRow>> LoadPerson(store::Connection& conn, int64_t tenant, int64_t user);

// ---- Grants ----

struct GrantRow {
  int64_t id = 0, grantor_id = 0, grantee_id = 0;
  std::string kind;
  std::optional<int64_t> unit_id;
  std::string starts_at, ends_at;
  std::optional<std::string> reason;
  std::optional<std::string> created_at;
  std::optional<int64_t> created_by;
  std::optional<std::string> revoked_at;
};
Status InsertGrant(store::Connection& conn, int64_t tenant, const GrantRow& g);
// The newest 500 grants; with `party`, only those it gave or received.
Result<std::vector<GrantRow>> LoadGrants(store::Connection& conn, int64_t tenant, std::optional<int64_t> party);
Result<std::optional<GrantRow>> LoadGrant(store::Connection& conn, int64_t tenant, int64_t id);
Status RevokeGrant(store::Connection& conn, int64_t tenant, int64_t id, const std::string& at);

// An active approvals grant to `grantee`: who gave it and the path of the unit it is limited to.
struct ActiveGrant {
  int64_t grantor_id = 0;
  std::optional<std::string> unit_path;  // nullopt: the whole of the grantor's approvals
};
Result<std::vector<ActiveGrant>> ActiveGrantsTo(store::Connection& conn, int64_t tenant, int64_t grantee, const std::string& now);

}  // namespace keel::org::workflow
