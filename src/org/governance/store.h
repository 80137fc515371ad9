// The governance repository: authorisation boundaries and boundary reports, compliance
// checkpoints and their events, permission sandboxes and their log, and the reads of units, users
// and products that governance needs. The only place the governance files' SQL lives; rows are
// read by column name into the structs below. Functions run on the caller's connection (and
// transaction); none checks permissions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/database.h"

namespace keel::org::governance {

// ---- Units, users, products ----

struct UnitRow {
  int64_t id = 0;
  std::string path, name;
  bool archived = false;
};
Result<std::optional<UnitRow>> LoadUnit(store::Connection& conn, int64_t tenant, int64_t unit);

// Active, unarchived users in the subtree under `path`.
Result<int64_t> Headcount(store::Connection& conn, int64_t tenant, const std::string& path);

// A member of a unit subtree as the sandbox screens list them.
struct MemberRow {
  int64_t id = 0;
  std::string username, display_name, role;
  int64_t unit_id = 0;
  std::string unit, status;
  std::optional<int64_t> supervisor_id;
  std::optional<std::string> last_login_at;
};
// Unarchived users of the subtree under `path`, by unit path and id.
Result<std::vector<MemberRow>> LoadMembers(store::Connection& conn, int64_t tenant, const std::string& path);
// Whether the user belongs to a unit of the subtree under `path`.
Result<bool> UserInSubtree(store::Connection& conn, int64_t tenant, int64_t user, const std::string& path);
// An unarchived member of the subtree under `path` (role, unit, status, username), or nullopt.
struct MemberState {
  std::string role;
  int64_t unit_id = 0;
  std::string status, username;
};
Result<std::optional<MemberState>> LoadMemberIn(store::Connection& conn, int64_t tenant, int64_t user, const std::string& path);

// A product's category path (null when it has none) and SKU, or nullopt when there is no such product.
struct ProductRow {
  std::optional<std::string> category;
  std::string sku;
};
Result<std::optional<ProductRow>> LoadProduct(store::Connection& conn, int64_t tenant, int64_t product);

// ---- Authorisation boundaries (boundary_rules) and reports (boundary_reports) ----

struct TierRow {
  int64_t id = 0;
  std::string action, mode;
  std::optional<int64_t> limit;  // fen; none = no upper bound
  std::string note;              // empty: none
};
// The unit's own tiers (of one action when `action` is not empty), unsorted.
Result<std::vector<TierRow>> LoadTiers(store::Connection& conn, int64_t tenant, int64_t unit, const std::string& action = "");
Status DeleteTiers(store::Connection& conn, int64_t tenant, int64_t unit);
Status InsertTier(store::Connection& conn, int64_t tenant, int64_t unit, const TierRow& t, const std::string& created_at,
                  std::optional<int64_t> created_by);

struct ReportRow {
  int64_t id = 0, unit_id = 0;
  std::string unit;  // loaded reports only: the unit's name
  std::string action;
  std::optional<std::string> object;
  std::optional<int64_t> record_id;
  int64_t amount_fen = 0;
  std::optional<std::string> summary;
  std::optional<int64_t> rule_id, actor_id;
  std::string at;
};
Status InsertReport(store::Connection& conn, int64_t tenant, const ReportRow& r);
struct ReportFilter {
  std::optional<int64_t> unit_id;
  std::optional<std::string> action;
  std::optional<std::string> within;  // a unit path: only reports of units in its subtree
  std::optional<int64_t> before_id;   // only reports older than this one
  int64_t limit = 100;
};
// Newest first.
Result<std::vector<ReportRow>> LoadReports(store::Connection& conn, int64_t tenant, const ReportFilter& f);

// ---- Compliance checkpoints (compliance_checkpoints) and events (compliance_events) ----

struct CheckpointRow {
  int64_t id = 0;
  std::string name, object, on, when, action, message_zh, message_en;
  bool active = true;
  std::string created_at, updated_at, archived_at;  // archived_at empty: live
};
// One checkpoint, or nullopt (`live_only`: archived ones count as absent).
Result<std::optional<CheckpointRow>> LoadCheckpoint(store::Connection& conn, int64_t tenant, int64_t id, bool live_only);
struct CheckpointFilter {
  std::optional<std::string> object, on;
  std::optional<bool> active;
};
// Live checkpoints, by id.
Result<std::vector<CheckpointRow>> LoadCheckpoints(store::Connection& conn, int64_t tenant, const CheckpointFilter& f);
// Live, active checkpoints of an object and moment, by id.
Result<std::vector<CheckpointRow>> LoadActiveCheckpoints(store::Connection& conn, int64_t tenant, const std::string& object, const std::string& on);
// Whether a live checkpoint other than `except` (0: none) has the name.
Result<bool> CheckpointNameTaken(store::Connection& conn, int64_t tenant, const std::string& name, int64_t except);
Status InsertCheckpoint(store::Connection& conn, int64_t tenant, const CheckpointRow& c, std::optional<int64_t> created_by);
// Writes every field of `c` but its id, created_at and archived_at.
Status UpdateCheckpoint(store::Connection& conn, int64_t tenant, const CheckpointRow& c);
Status ArchiveCheckpoint(store::Connection& conn, int64_t tenant, int64_t id, const std::string& at);

struct ComplianceEventRow {
  int64_t id = 0, checkpoint_id = 0;
  std::string checkpoint_name, object, on;
  std::optional<int64_t> record_id, unit_id;
  std::string outcome;  // flagged | blocked | overridden
  std::optional<std::string> reason;
  std::optional<int64_t> actor_id;
  std::string at;
};
Status InsertComplianceEvent(store::Connection& conn, int64_t tenant, const ComplianceEventRow& e);
struct EventFilter {
  std::optional<std::string> object, outcome;
  std::optional<int64_t> record_id, checkpoint_id, unit_id;
  std::optional<std::string> within;  // a unit path: only events of units in its subtree
  std::optional<int64_t> before_id;   // only events older than this one
  int64_t limit = 100;
};
// Newest first.
Result<std::vector<ComplianceEventRow>> LoadComplianceEvents(store::Connection& conn, int64_t tenant, const EventFilter& f);

// ---- Permission sandboxes (unit_sandboxes) and their log (sandbox_log) ----

struct SandboxRow {
  std::string allowed_roles;  // a JSON array of role names
  std::optional<int64_t> max_members;
  bool may_disable = false;
};
Result<std::optional<SandboxRow>> LoadSandbox(store::Connection& conn, int64_t tenant, int64_t unit);
// Replaces the unit's sandbox.
Status ReplaceSandbox(store::Connection& conn, int64_t tenant, int64_t unit, const SandboxRow& s, const std::string& updated_at,
                      std::optional<int64_t> updated_by);

struct SandboxLogRow {
  int64_t id = 0, unit_id = 0, actor_id = 0;
  std::string action;
  int64_t user_id = 0;
  std::optional<std::string> before, after;  // JSON
  std::string at;
};
// The newest 100 entries of a unit.
Result<std::vector<SandboxLogRow>> LoadSandboxLog(store::Connection& conn, int64_t tenant, int64_t unit);
Status InsertSandboxLog(store::Connection& conn, int64_t tenant, const SandboxLogRow& e);

}  // namespace keel::org::governance
