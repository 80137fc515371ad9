// Governance of agile units (作战单元治理): what a unit may decide by itself, what HQ checks on
// every submission, and what a unit lead may do with people.
//
// - Authorisation boundaries (授权边界清单): per unit and kind of action (expense, budget transfer,
//   discount, contract, price change, member change, or a tenant's own), tiers of `alone` (the
//   unit decides), `report` (decides and reports to HQ) and `approval`, each up to an amount. The
//   effective list of a unit is the nearest one up its path; without one, everything needs approval.
// - Compliance checkpoints (合规检查点): HQ rules on an object and a moment where Keel runs them
//   (quotes at submit, contracts at sign, expenses at submit) with a condition in the formula
//   language over the record's fields (and, for objects with lines, each line's fields); a match
//   blocks the action (unless a unit lead or HQ overrides it with a reason) or flags it. Every
//   flag, block and override is recorded.
// - Permission sandboxes (权限沙箱): per unit, the roles its unit lead may grant, a headcount limit
//   for the lead's subtree and whether members may be disabled. Unit leads then create, re-role,
//   move and disable members of their subtree within it; every change is logged with the lead.
//
// Thread-safe: each call borrows its own connection. Member writes of one process are serialised
// (the headcount check and the write happen under one mutex).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/time.h"
#include "domain/model.h"
#include "domain/records.h"
#include "store/database.h"

namespace keel::org {

using json = nlohmann::json;
using domain::Principal;

// The kinds of action a boundary list names out of the box; a tenant may add its own
// (snake_case, at most 40 characters).
extern const std::vector<std::string> kBoundaryActions;
// Roles a unit lead may be allowed to grant; admin, hq_ops, analyst and auditor never are.
extern const std::vector<std::string> kSandboxRoles;

// A checkpoint that matched (合规命中): the event recorded for it and the checkpoint's messages;
// for an override also the reason, who gave it and when.
struct ComplianceHit {
  int64_t event_id = 0, checkpoint_id = 0;
  std::string name, message_zh, message_en;
  std::string reason;  // overrides only
  int64_t by = 0;      // overrides only
  std::string at;      // overrides only
};
// What the checkpoints said about an action that may go ahead.
struct ComplianceOutcome {
  std::vector<ComplianceHit> flags, overrides;
};

struct BoundaryDecision {
  std::string mode;  // alone | report | approval
  int64_t rule_id = 0;
  int64_t unit_id = 0;
  double limit = -1;  // -1 none
};

class Governance {
 public:
  using Query = std::vector<std::pair<std::string, std::string>>;

  // `db` and `clock` must outlive the service.
  Governance(store::Database& db, const Clock& clock);

  // ---- Authorisation boundaries ----
  // The unit's own entries and its effective list (inherited entries say from where). HQ, and
  // members of the unit, its ancestors or its subtree; 404 otherwise.
  Result<json> Boundaries(const Principal& p, int64_t unit);
  // Replaces the unit's own list: {"entries": [{action, mode, limit?, note?}]} (HQ: admin, hq_ops).
  // An empty list makes the unit inherit everything. Audited.
  Result<json> SetBoundaries(const Principal& p, int64_t unit, const json& body);
  // GET …/boundaries/decision?action=expense&amount=3000 — BoundaryFor for someone who may see the unit.
  Result<json> Decide(const Principal& p, int64_t unit, const Query& query);
  // The effective decision for a unit, an action and an amount in yuan (above the limit → approval).
  // NotFound when the unit is not the tenant's.
  Result<BoundaryDecision> BoundaryFor(int64_t tenant, int64_t unit, const std::string& action, double amount);
  // Records a "decided and reported" action for HQ to see (GET /api/v1/boundary-reports, HQ all, units their subtree).
  Status Report(int64_t tenant, int64_t unit, const std::string& action, const std::string& object, int64_t record_id, double amount,
                const std::string& summary, int64_t actor_id);
  // POST /boundary-reports {unit_id, action, amount, summary, object?, record_id?}: a member of the
  // unit's subtree (or HQ) reports; 422 boundary.needs_approval when the action needs approval.
  Result<json> AddReport(const Principal& p, const json& body);
  // Reports of the caller's subtree (HQ and auditors: all), newest first; filters unit_id, action, limit.
  Result<json> Reports(const Principal& p, const Query& query);

  // ---- Compliance checkpoints ----
  // {name, object, on, when, action: block|flag, message_zh, message_en, active} (HQ). The object
  // must be an entity and `object`/`on` a moment where Check is called (quotes/submit,
  // contracts/sign, expenses/submit; else 400 compliance.trigger_unsupported at `on`); `when` is
  // type-checked when saved, with the position of an error.
  Result<json> SaveCheckpoint(const Principal& p, const json& body);
  Result<json> UpdateCheckpoint(const Principal& p, int64_t id, const json& patch);
  Result<json> ArchiveCheckpoint(const Principal& p, int64_t id);
  Result<json> Checkpoints(const Principal& p, const Query& query);
  Result<json> Checkpoint(const Principal& p, int64_t id);
  // Evaluates the tenant's active checkpoints for `object` at `on` over `record` (the record's
  // fields as the record service returns them — free-form JSON: any entity's fields, with `lines`).
  // A blocking rule that matches → 422 compliance.blocked naming the rule (zh/en message) unless
  // override_reason is non-empty (5 to 1000 characters, else 400) and the principal may override
  // (unit lead or HQ; reps cannot: 403 compliance.override_forbidden) — then it passes and the
  // override is audited (who, when, rule, reason, record). Flags are recorded too.
  Result<ComplianceOutcome> CheckCompliance(const Principal& p, const std::string& object, const std::string& on, int64_t record_id,
                                            const json& record, const std::string& override_reason);
  // CheckCompliance as {"flags": [...], "overrides": [...]} (ComplianceJson): for the callers in
  // expenses and commerce that still build their answers as JSON; remove when they speak types.
  Result<json> Check(const Principal& p, const std::string& object, const std::string& on, int64_t record_id, const json& record,
                     const std::string& override_reason);
  // Flags, blocks and overrides, newest first: HQ and auditors all, unit leads their subtree (403 for others).
  Result<json> ComplianceEvents(const Principal& p, const Query& query);

  // ---- Unit leads' permission sandbox ----
  // The unit's sandbox, its headcount and the log of what its lead did under it (HQ, or a unit lead over the unit).
  Result<json> Sandbox(const Principal& p, int64_t unit);
  // {allowed_roles: [rep, supervisor, unit_lead], max_members: N | null, may_disable} (HQ). Audited.
  Result<json> SetSandbox(const Principal& p, int64_t unit, const json& body);
  // Members of the unit's subtree (HQ, or a unit lead whose subtree holds the unit).
  Result<json> Members(const Principal& p, int64_t unit);
  // Creates a user in the unit {username, display_name, role, password, email?, phone?, supervisor_id?, locale?}:
  // an admin as such, a unit lead inside their home unit's sandbox (403 sandbox.* naming the limit).
  Result<json> AddMember(const Principal& p, int64_t unit, const json& body);
  // Changes a member of the unit's subtree: {role?, unit_id? (a move inside the lead's subtree),
  // status? (active | disabled), display_name?, email?, phone?, supervisor_id?, locale?}.
  Result<json> UpdateMember(const Principal& p, int64_t unit, int64_t user, const json& body);

 private:
  Result<int64_t> InsertReport(int64_t tenant, int64_t unit, const std::string& action, const std::string& object, int64_t record_id,
                               double amount, const std::string& summary, int64_t actor_id);

  store::Database& db_;
  const Clock& clock_;
  domain::RecordService records_;  // writes users as the system, so they are validated, hashed and audited as usual
  std::mutex members_mu_;
};

}  // namespace keel::org
