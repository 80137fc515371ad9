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
#include <optional>
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

using json = nlohmann::json;  // entity records only (Check's record, members): see there
using domain::Principal;

// The kinds of action a boundary list names out of the box; a tenant may add its own
// (snake_case, at most 40 characters).
extern const std::vector<std::string> kBoundaryActions;
// Roles a unit lead may be allowed to grant; admin, hq_ops, analyst and auditor never are.
extern const std::vector<std::string> kSandboxRoles;

// ---- Authorisation boundaries (授权边界清单) ----

// One tier of a unit's list: up to `limit_fen` (none: any amount) the unit decides `mode`.
struct BoundaryTier {
  int64_t id = 0;
  std::string action, mode;          // mode: alone | report | approval
  std::optional<int64_t> limit_fen;  // none: no upper bound
  std::string note;                  // empty: none
};
// The tiers that apply to a unit for one action: those of the nearest unit up the path that has
// any. `from_unit_id` is none when no unit has any (then everything needs approval).
struct EffectiveBoundary {
  std::string action;
  std::optional<int64_t> from_unit_id;
  std::string from_unit;
  bool inherited = true;
  std::vector<BoundaryTier> tiers;
};
// A unit's own list and its effective one (every built-in action, and every action with entries).
struct UnitBoundaries {
  int64_t unit_id = 0;
  std::string unit;
  std::vector<BoundaryTier> entries;
  std::vector<EffectiveBoundary> effective;
  std::vector<std::string> actions;  // the built-in actions (kBoundaryActions)
};
// One entry of a boundary list as requested. A mistyped action or mode is empty; `limit` (yuan) is
// none when absent or null and NaN when not a number; `note_mistyped` when the note is not text.
// `problem` is the entry's own shape error (not an object, an unknown member), reported for it
// first (with the entry's path).
struct BoundaryEntryDraft {
  std::string action, mode;
  std::optional<double> limit;
  std::optional<std::string> note;  // none when absent or null
  bool note_mistyped = false;
  Status problem;
};
// A new boundary list: `entries` is none when absent or not a list; `problem` is a shape error of
// the request (not an object, an unknown member), reported after the permission and unit checks.
struct BoundaryListChange {
  std::optional<std::vector<BoundaryEntryDraft>> entries;
  Status problem;
};

struct BoundaryDecision {
  std::string mode;  // alone | report | approval
  int64_t rule_id = 0;
  int64_t unit_id = 0;
  double limit = -1;  // -1 none
};
// A decision asked for by action and amount (yuan).
struct BoundaryAnswer {
  std::string action;
  double amount = 0;
  BoundaryDecision decision;
};

// A "decided and reported" action as requested: `unit_id` none for the reporter's unit (also
// when not an integer), mistyped texts empty, `amount` none when absent and NaN when not a
// number; `problem` as in BoundaryListChange (reported after the read-only check).
struct BoundaryReportDraft {
  std::optional<int64_t> unit_id;
  std::string action, summary, object;
  std::optional<double> amount;
  std::optional<int64_t> record_id;
  bool record_id_mistyped = false;  // present but not an integer
  Status problem;
};
// What AddReport recorded, with the decision it was made under.
struct BoundaryReportReceipt {
  int64_t id = 0, unit_id = 0;
  std::string action;
  double amount = 0;  // yuan
  std::string summary;
  BoundaryDecision decision;
};
// A reported action as HQ lists it (报备记录).
struct BoundaryReport {
  int64_t id = 0, unit_id = 0;
  std::string unit, action;
  std::optional<std::string> object;
  std::optional<int64_t> record_id;
  double amount = 0;  // yuan
  std::optional<std::string> summary;
  std::optional<int64_t> rule_id, actor_id;
  std::string at;
};

// ---- Compliance checkpoints (合规检查点) ----

struct ComplianceCheckpoint {
  int64_t id = 0;
  std::string name, object, on, when, action, message_zh, message_en;  // action: block | flag
  bool active = true;
  std::string created_at, updated_at;
  std::optional<std::string> archived_at;
};
// A checkpoint as requested, or a change of one: absent members are none. `problem` is the first
// shape error (an unknown member, a member of the wrong type), reported after the permission check
// (and, for a change, after the checkpoint is found).
struct CheckpointDraft {
  std::optional<std::string> name, object, on, when, action, message_zh, message_en;
  std::optional<bool> active;
  Status problem;
};

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
// A flag, block or override on record.
struct ComplianceEvent {
  int64_t id = 0, checkpoint_id = 0;
  std::string checkpoint, object, on;  // checkpoint: its name then
  std::optional<int64_t> record_id, unit_id;
  std::string outcome;  // flagged | blocked | overridden
  std::optional<std::string> reason;
  std::optional<int64_t> actor_id;
  std::string at;
};

// ---- Unit leads' permission sandbox (权限沙箱) ----

// One change a unit lead made to a member. `before` and `after` are the member's snapshot as it
// was logged (JSON text, stored verbatim: {username, role, unit_id, status?}); none when absent.
struct SandboxLogEntry {
  int64_t id = 0, actor_id = 0;
  std::string action;  // create | role | move | disable | enable | update
  int64_t user_id = 0;
  std::optional<std::string> before, after;
  std::string at;
};
// A unit's sandbox (`configured` false: HQ set none, so its lead may not manage people), the
// headcount of its subtree and its lead's last 100 changes, newest first.
struct UnitSandbox {
  int64_t unit_id = 0;
  std::string unit;
  bool configured = false;
  std::vector<std::string> allowed_roles;
  std::optional<int64_t> max_members;  // none: no limit
  bool may_disable = false;
  int64_t headcount = 0;
  std::vector<SandboxLogEntry> log;
};
// A sandbox as requested: `allowed_roles` none when absent or not a list (an element that is not
// text is empty); `max_members` none when absent or null and -1 when not an integer;
// `may_disable_mistyped` when it is not a boolean; `problem` as in BoundaryListChange.
struct SandboxChange {
  std::optional<std::vector<std::string>> allowed_roles;
  std::optional<int64_t> max_members;
  std::optional<bool> may_disable;
  bool may_disable_mistyped = false;
  Status problem;
};
struct UnitMember {
  int64_t id = 0;
  std::string username, display_name, role;
  int64_t unit_id = 0;
  std::string unit, status;
  std::optional<int64_t> supervisor_id;
  std::optional<std::string> last_login_at;
};
// Members of a unit's subtree (unarchived users, by unit path and id) and its active headcount.
struct UnitMembers {
  int64_t unit_id = 0, headcount = 0;
  std::vector<UnitMember> items;
};

// A page of a newest-first list (the list contract): `next_after` — the last item's id — only
// when older items follow.
template <typename T>
struct NewestFirst {
  std::vector<T> items;
  std::optional<int64_t> next_after;
};

class Governance {
 public:
  using Query = std::vector<std::pair<std::string, std::string>>;

  // `db` and `clock` must outlive the service.
  Governance(store::Database& db, const Clock& clock);

  // ---- Authorisation boundaries ----
  // The unit's own entries and its effective list (inherited entries say from where). HQ, and
  // members of the unit, its ancestors or its subtree; 404 otherwise.
  Result<UnitBoundaries> Boundaries(const Principal& p, int64_t unit);
  // Replaces the unit's own list (HQ: admin, hq_ops): at most 100 entries {action, mode, limit?,
  // note?}, per action distinct limits and more oversight for larger amounts (422 boundary.*).
  // An empty list makes the unit inherit everything. Audited. Returns the unit's new boundaries.
  Result<UnitBoundaries> SetBoundaries(const Principal& p, int64_t unit, const BoundaryListChange& change);
  // GET …/boundaries/decision?action=expense&amount=3000 — BoundaryFor for someone who may see the unit.
  Result<BoundaryAnswer> Decide(const Principal& p, int64_t unit, const Query& query);
  // The effective decision for a unit, an action and an amount in yuan (above the limit → approval).
  // NotFound when the unit is not the tenant's.
  Result<BoundaryDecision> BoundaryFor(int64_t tenant, int64_t unit, const std::string& action, double amount);
  // Records a "decided and reported" action for HQ to see (GET /api/v1/boundary-reports, HQ all, units their subtree).
  Status Report(int64_t tenant, int64_t unit, const std::string& action, const std::string& object, int64_t record_id, double amount,
                const std::string& summary, int64_t actor_id);
  // POST /boundary-reports {unit_id, action, amount, summary, object?, record_id?}: a member of the
  // unit's subtree (or HQ) reports; 422 boundary.needs_approval when the action needs approval.
  Result<BoundaryReportReceipt> AddReport(const Principal& p, const BoundaryReportDraft& draft);
  // Reports of the caller's subtree (HQ and auditors: all), newest first; filters unit_id, action;
  // the list contract's limit (1-500, 50) and after (the last id of the previous page).
  Result<NewestFirst<BoundaryReport>> Reports(const Principal& p, const Query& query);

  // ---- Compliance checkpoints ----
  // {name, object, on, when, action: block|flag, message_zh, message_en, active} (HQ). The object
  // must be an entity and `object`/`on` a moment where Check is called (quotes/submit,
  // contracts/sign, expenses/submit; else 400 compliance.trigger_unsupported at `on`); `when` is
  // type-checked when saved, with the position of an error. Audited.
  Result<ComplianceCheckpoint> SaveCheckpoint(const Principal& p, const CheckpointDraft& draft);
  // Applies the members `patch` names (HQ); 404 for an archived one. Audited.
  Result<ComplianceCheckpoint> UpdateCheckpoint(const Principal& p, int64_t id, const CheckpointDraft& patch);
  // Archives the checkpoint (HQ); archiving twice is a no-op. Audited.
  Result<ComplianceCheckpoint> ArchiveCheckpoint(const Principal& p, int64_t id);
  // Live checkpoints by id; filters object, on, active.
  Result<std::vector<ComplianceCheckpoint>> Checkpoints(const Principal& p, const Query& query);
  Result<ComplianceCheckpoint> Checkpoint(const Principal& p, int64_t id);
  // Evaluates the tenant's active checkpoints for `object` at `on` over `record` — an entity
  // record, so JSON on purpose: the record service's fields of any entity (custom fields
  // included), with `lines`. A blocking rule that matches → 422 compliance.blocked naming the rule
  // (zh/en message) unless override_reason is non-empty (5 to 1000 characters, else 400) and the
  // principal may override (unit lead or HQ; reps cannot: 403 compliance.override_forbidden) —
  // then it passes and the override is audited (who, when, rule, reason, record). Flags are
  // recorded too. The JSON form of the outcome is ToJson in org/governance/json.h.
  Result<ComplianceOutcome> Check(const Principal& p, const std::string& object, const std::string& on, int64_t record_id,
                                  const json& record, const std::string& override_reason);
  // Flags, blocks and overrides, newest first: HQ and auditors all, unit leads their subtree (403 for others).
  Result<NewestFirst<ComplianceEvent>> ComplianceEvents(const Principal& p, const Query& query);

  // ---- Unit leads' permission sandbox ----
  // The unit's sandbox, its headcount and the log of what its lead did under it (HQ, or a unit lead over the unit).
  Result<UnitSandbox> Sandbox(const Principal& p, int64_t unit);
  // {allowed_roles: [rep, supervisor, unit_lead], max_members: N | null, may_disable} (HQ). Audited.
  Result<UnitSandbox> SetSandbox(const Principal& p, int64_t unit, const SandboxChange& change);
  // Members of the unit's subtree (HQ, or a unit lead whose subtree holds the unit).
  Result<UnitMembers> Members(const Principal& p, int64_t unit);
  // Members are user *records*: the body and the result below are JSON on purpose — the record
  // service's fields of the users entity, validated, hashed and audited by it.
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
