// Compliance checkpoints (合规检查点): HQ's rules, where they run, and what they said (flags,
// blocks, overrides).
#include "org/governance.h"

#include <spdlog/spdlog.h>

#include "domain/codec.h"
#include "domain/schema.h"
#include "events/event_log.h"
#include "org/conditions.h"
#include "org/governance/internal.h"
#include "org/governance/json.h"
#include "org/governance/store.h"
#include "org/internal.h"

namespace keel::org {

namespace repo = governance;
using governance::Audit;
using governance::CheckpointRow;
using governance::CodePoints;
using governance::Limit;
using governance::NotHq;
using governance::PositiveId;

namespace {

Status Duplicate(const std::string& name) {
  return Status::Error(ErrorKind::kConflict, "compliance.duplicate", "a checkpoint named '" + name + "' exists", "已存在名为「" + name + "」的检查点", "name");
}

// Where Keel runs compliance checkpoints: the object and the moment of every call to
// Governance::Check (Commerce::SubmitQuote and ::SignContract in org/commerce,
// ExpenseService::Submit in expenses.cc). A checkpoint is defined only for one of these, so none is
// accepted that would never run; add a row here when a new call site is wired.
struct CheckedMoment {
  const char* object;
  const char* on;
};
constexpr CheckedMoment kCheckedMoments[] = {{"quotes", "submit"}, {"contracts", "sign"}, {"expenses", "submit"}};

ComplianceCheckpoint ViewOf(const CheckpointRow& c) {
  return ComplianceCheckpoint{c.id,         c.name,   c.object, c.on,         c.when,       c.action,
                              c.message_zh, c.message_en, c.active, c.created_at, c.updated_at,
                              c.archived_at.empty() ? std::nullopt : std::optional<std::string>(c.archived_at)};
}

json CheckpointJson(const CheckpointRow& c) { return ToJson(ViewOf(c)); }

// 400 compliance.trigger_unsupported at `on` unless Keel runs checkpoints on `c.object` at `c.on`.
Status CheckMoment(const CheckpointRow& c) {
  std::string for_object, everywhere;  // the object's moments; every object/moment
  for (const auto& m : kCheckedMoments) {
    if (c.object == m.object && c.on == m.on) return Status();
    if (c.object == m.object) for_object += std::string(for_object.empty() ? "" : ", ") + m.on;
    everywhere += std::string(everywhere.empty() ? "" : ", ") + m.object + "/" + m.on;
  }
  if (!for_object.empty()) {
    return Bad("compliance.trigger_unsupported",
               "nothing runs checkpoints on " + c.object + " at '" + c.on + "': they are checked at " + for_object,
               "系统不会在 " + c.on + " 时对 " + c.object + " 执行检查点：只在 " + for_object + " 时检查", "on");
  }
  return Bad("compliance.trigger_unsupported",
             "nothing runs checkpoints on " + c.object + ": checkpoints run at " + everywhere + " (object/on)",
             "系统不会对 " + c.object + " 执行检查点：检查点只在 " + everywhere + "（对象/时机）时执行", "on");
}

// Validates a checkpoint (a full body: a new one, or a stored one with a patch applied). The moment
// is checked when `check_moment`: a change keeps a stored checkpoint's object and moment as they
// are (one saved before such moments were refused can still be switched off or renamed).
Status CheckCheckpoint(const CheckpointRow& c, bool check_moment) {
  if (c.name.empty() || CodePoints(c.name) > 100) return Bad("validation.required", "name is required (at most 100 characters)", "name 为必填项（不超过 100 字）", "name");
  const domain::EntityDef* e = domain::FindEntity(c.object);
  if (e == nullptr) return Bad("validation.enum", "object '" + c.object + "' is not an object of Keel", "object '" + c.object + "' 不是系统中的对象", "object");
  if (c.on.empty()) return Bad("validation.required", "on (the moment to check) is required", "on（检查时机）为必填项", "on");
  if (check_moment) KEEL_RETURN_IF_ERROR(CheckMoment(c));
  if (c.when.empty()) return Bad("validation.required", "when (a condition) is required", "when（条件）为必填项", "when");
  KEEL_RETURN_IF_ERROR(Condition(*e, c.when, "when", true).status());
  if (c.action != "block" && c.action != "flag") return Bad("validation.enum", "action is block or flag", "action 取值 block 或 flag", "action");
  if (c.message_zh.empty()) return Bad("validation.required", "message_zh is required", "message_zh 为必填项", "message_zh");
  if (c.message_en.empty()) return Bad("validation.required", "message_en is required", "message_en 为必填项", "message_en");
  if (CodePoints(c.message_zh) > 500 || CodePoints(c.message_en) > 500) {
    return Bad("validation.length", "messages are at most 500 characters", "提示信息不超过 500 字", "message_zh");
  }
  return Status();
}

// Applies the members `d` names to `c` (after its shape error, if any).
Status ApplyCheckpoint(CheckpointRow& c, const CheckpointDraft& d) {
  KEEL_RETURN_IF_ERROR(d.problem);
  if (d.name) c.name = *d.name;
  if (d.object) c.object = *d.object;
  if (d.on) c.on = *d.on;
  if (d.when) c.when = *d.when;
  if (d.action) c.action = *d.action;
  if (d.message_zh) c.message_zh = *d.message_zh;
  if (d.message_en) c.message_en = *d.message_en;
  if (d.active) c.active = *d.active;
  return Status();
}

}  // namespace

Result<ComplianceCheckpoint> Governance::SaveCheckpoint(const Principal& p, const CheckpointDraft& draft) {
  if (!IsHq(p)) return NotHq("define compliance checkpoints", "定义合规检查点");
  CheckpointRow c;
  c.action = "block";
  KEEL_RETURN_IF_ERROR(ApplyCheckpoint(c, draft));
  KEEL_RETURN_IF_ERROR(CheckCheckpoint(c, /*check_moment=*/true));
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  KEEL_ASSIGN_OR_RETURN(bool taken, repo::CheckpointNameTaken(*conn, p.tenant_id, c.name, 0));
  if (taken) return Duplicate(c.name);
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
  c.id = ids[0];
  c.created_at = c.updated_at = FormatTimestamp(clock_.NowMs());
  KEEL_RETURN_IF_ERROR(repo::InsertCheckpoint(*conn, p.tenant_id, c, p.user_id ? std::optional<int64_t>(p.user_id) : std::nullopt));
  KEEL_RETURN_IF_ERROR(Audit(*conn, p, "create", "compliance_checkpoints", c.id, nullptr, CheckpointJson(c), c.created_at));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return ViewOf(c);
}

Result<ComplianceCheckpoint> Governance::UpdateCheckpoint(const Principal& p, int64_t id, const CheckpointDraft& patch) {
  if (!IsHq(p)) return NotHq("change compliance checkpoints", "修改合规检查点");
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  KEEL_ASSIGN_OR_RETURN(std::optional<CheckpointRow> found, repo::LoadCheckpoint(*conn, p.tenant_id, id, /*live_only=*/true));
  if (!found) return Status::NotFound("checkpoint");
  CheckpointRow c = *found;
  const CheckpointRow& before = *found;
  KEEL_RETURN_IF_ERROR(ApplyCheckpoint(c, patch));
  KEEL_RETURN_IF_ERROR(CheckCheckpoint(c, /*check_moment=*/c.object != before.object || c.on != before.on));
  if (c.name != before.name) {
    KEEL_ASSIGN_OR_RETURN(bool taken, repo::CheckpointNameTaken(*conn, p.tenant_id, c.name, id));
    if (taken) return Duplicate(c.name);
  }
  c.updated_at = FormatTimestamp(clock_.NowMs());
  KEEL_RETURN_IF_ERROR(repo::UpdateCheckpoint(*conn, p.tenant_id, c));
  KEEL_RETURN_IF_ERROR(Audit(*conn, p, "update", "compliance_checkpoints", id, CheckpointJson(before), CheckpointJson(c), c.updated_at));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return ViewOf(c);
}

Result<ComplianceCheckpoint> Governance::ArchiveCheckpoint(const Principal& p, int64_t id) {
  if (!IsHq(p)) return NotHq("remove compliance checkpoints", "删除合规检查点");
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
  KEEL_ASSIGN_OR_RETURN(std::optional<CheckpointRow> found, repo::LoadCheckpoint(*conn, p.tenant_id, id, /*live_only=*/false));
  if (!found) return Status::NotFound("checkpoint");
  CheckpointRow c = *found;
  if (!c.archived_at.empty()) return ViewOf(c);  // archiving twice is a no-op
  c.archived_at = c.updated_at = FormatTimestamp(clock_.NowMs());
  KEEL_RETURN_IF_ERROR(repo::ArchiveCheckpoint(*conn, p.tenant_id, id, c.archived_at));
  KEEL_RETURN_IF_ERROR(Audit(*conn, p, "archive", "compliance_checkpoints", id, CheckpointJson(*found), CheckpointJson(c), c.updated_at));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return ViewOf(c);
}

Result<std::vector<ComplianceCheckpoint>> Governance::Checkpoints(const Principal& p, const Query& query) {
  repo::CheckpointFilter f;
  for (const auto& [k, v] : query) {
    if (k == "object") {
      f.object = v;
    } else if (k == "on") {
      f.on = v;
    } else if (k == "active") {
      if (v != "true" && v != "false") return Bad("validation.parameter", "active is true or false", "active 取值 true 或 false", k);
      f.active = v == "true";
    } else {
      return Bad("validation.parameter", "unknown parameter '" + k + "'", "未知参数 '" + k + "'", k);
    }
  }
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::vector<CheckpointRow> rows, repo::LoadCheckpoints(*conn, p.tenant_id, f));
  std::vector<ComplianceCheckpoint> out;
  out.reserve(rows.size());
  for (const auto& c : rows) out.push_back(ViewOf(c));
  return out;
}

Result<ComplianceCheckpoint> Governance::Checkpoint(const Principal& p, int64_t id) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::optional<CheckpointRow> c, repo::LoadCheckpoint(*conn, p.tenant_id, id, /*live_only=*/false));
  if (!c) return Status::NotFound("checkpoint");
  return ViewOf(*c);
}

namespace {

// Lines see their product's category path and SKU.
Status AddProductsToLines(store::Connection& conn, int64_t tenant, json& rec) {
  for (auto& line : rec["lines"]) {
    if (!line.is_object() || !line.contains("product_id") || !line["product_id"].is_number_integer()) continue;
    KEEL_ASSIGN_OR_RETURN(std::optional<repo::ProductRow> prod, repo::LoadProduct(conn, tenant, line["product_id"].get<int64_t>()));
    if (!prod) continue;
    line["category"] = prod->category ? json(*prod->category) : json(nullptr);
    line["sku"] = prod->sku;
  }
  return Status();
}

// The refusal of a blocking match: 422 without a reason, 403 when the principal may not override,
// 400 for a reason of the wrong length; OK when the override stands. `outcome` says which.
Status Refusal(const Principal& p, const std::vector<CheckpointRow>& blocks, const std::string& override_reason, std::string& outcome) {
  outcome = "overridden";
  if (blocks.empty()) return Status();
  bool may_override = IsHq(p) || p.role == domain::Role::kUnitLead;
  const CheckpointRow& b = blocks.front();
  std::string names;
  for (const auto& x : blocks) names += (names.empty() ? "" : ", ") + x.name;
  if (override_reason.empty()) {
    outcome = "blocked";
    return Status::Error(ErrorKind::kUnprocessable, "compliance.blocked",
                         "blocked by the compliance checkpoint '" + b.name + "': " + b.message_en +
                             (blocks.size() > 1 ? " (also: " + names + ")" : "") + " — a unit lead or HQ may override it with a reason",
                         "被合规检查点「" + b.name + "」拦截：" + b.message_zh + (blocks.size() > 1 ? "（另有：" + names + "）" : "") +
                             "——战队负责人或总部可填写理由放行",
                         b.name);
  }
  if (!may_override) {
    outcome = "blocked";
    return Status::Error(ErrorKind::kForbidden, "compliance.override_forbidden",
                         "only a unit lead or HQ may override the compliance checkpoint '" + b.name + "': " + b.message_en,
                         "只有战队负责人或总部可以放行合规检查点「" + b.name + "」：" + b.message_zh, "override_reason");
  }
  return Status();
}

}  // namespace

Result<ComplianceOutcome> Governance::Check(const Principal& p, const std::string& object, const std::string& on, int64_t record_id,
                                                      const json& record, const std::string& override_reason) {
  ComplianceOutcome result;
  const domain::EntityDef* e = domain::FindEntity(object);
  if (e == nullptr) return result;
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::vector<CheckpointRow> checkpoints, repo::LoadActiveCheckpoints(*conn, p.tenant_id, object, on));
  if (checkpoints.empty()) return result;
  json rec = record.is_object() ? record : json::object();
  if (e->child && rec.contains("lines") && rec["lines"].is_array()) KEEL_RETURN_IF_ERROR(AddProductsToLines(*conn, p.tenant_id, rec));
  TimeMs now = clock_.NowMs();
  std::vector<CheckpointRow> blocks, flagged;
  for (auto& c : checkpoints) {
    auto f = Condition(*e, c.when, "when", true);
    if (!f.ok()) {
      spdlog::warn("compliance: checkpoint {} of tenant {} no longer compiles: {}", c.id, p.tenant_id, f.status().ToString());
      continue;
    }
    if (!HoldsOnAnyLine(*e, *f, rec, now)) continue;
    (c.action == "block" ? blocks : flagged).push_back(std::move(c));
  }
  if (blocks.empty() && flagged.empty()) return result;
  std::string outcome;
  Status refusal = Refusal(p, blocks, override_reason, outcome);
  if (refusal.ok() && !blocks.empty() && (CodePoints(override_reason) < 5 || CodePoints(override_reason) > 1000)) {
    return Bad("validation.length", "override_reason is 5 to 1000 characters", "override_reason 应为 5 到 1000 个字", "override_reason");
  }
  int64_t unit = rec.contains("unit_id") && rec["unit_id"].is_number_integer() ? rec["unit_id"].get<int64_t>() : p.unit_id;
  std::string at = FormatTimestamp(now);
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(static_cast<int64_t>(blocks.size() + flagged.size())));
  size_t n = 0;
  auto record_event = [&](const CheckpointRow& c, const std::string& what, const std::string& reason) -> Result<ComplianceHit> {
    repo::ComplianceEventRow ev;
    ev.id = ids[n++];
    ev.checkpoint_id = c.id;
    ev.checkpoint_name = c.name;
    ev.object = object;
    ev.on = on;
    if (record_id) ev.record_id = record_id;
    if (unit) ev.unit_id = unit;
    ev.outcome = what;
    if (!reason.empty()) ev.reason = reason;
    if (p.user_id) ev.actor_id = p.user_id;
    ev.at = at;
    KEEL_RETURN_IF_ERROR(repo::InsertComplianceEvent(*conn, p.tenant_id, ev));
    return ComplianceHit{ev.id, c.id, c.name, c.message_zh, c.message_en, {}, 0, {}};
  };
  for (const auto& c : flagged) {
    KEEL_ASSIGN_OR_RETURN(ComplianceHit h, record_event(c, "flagged", ""));
    result.flags.push_back(std::move(h));
  }
  for (const auto& c : blocks) {
    KEEL_ASSIGN_OR_RETURN(ComplianceHit h, record_event(c, outcome, outcome == "overridden" ? override_reason : ""));
    if (outcome != "overridden") continue;
    h.reason = override_reason;
    h.by = p.user_id;
    h.at = at;
    KEEL_RETURN_IF_ERROR(Audit(*conn, p, "compliance.override", object, record_id, nullptr,
                               {{"checkpoint_id", c.id}, {"checkpoint", c.name}, {"on", on}, {"reason", override_reason}}, at));
    result.overrides.push_back(std::move(h));
  }
  KEEL_RETURN_IF_ERROR(tx.Commit());
  if (!refusal.ok()) return refusal;
  return result;
}

Result<NewestFirst<ComplianceEvent>> Governance::ComplianceEvents(const Principal& p, const Query& query) {
  bool all = IsHq(p) || p.role == domain::Role::kAuditor;
  if (!all && p.role != domain::Role::kUnitLead) {
    return governance::Forbidden("forbidden", "compliance events are for HQ, auditors and unit leads", "合规记录仅总部、审计和战队负责人可查看");
  }
  repo::EventFilter f;
  f.limit = 50;
  for (const auto& [k, v] : query) {
    if (k == "object") {
      f.object = v;
    } else if (k == "outcome") {
      f.outcome = v;
    } else if (k == "record_id" || k == "checkpoint_id" || k == "unit_id") {
      KEEL_ASSIGN_OR_RETURN(int64_t id, PositiveId(k, v));
      (k == "record_id" ? f.record_id : k == "checkpoint_id" ? f.checkpoint_id : f.unit_id) = id;
    } else if (k == "limit") {
      KEEL_ASSIGN_OR_RETURN(f.limit, Limit(v));
    } else if (k == "after") {
      KEEL_ASSIGN_OR_RETURN(f.before_id, PositiveId(k, v));
    } else {
      return Bad("validation.parameter", "unknown parameter '" + k + "'", "未知参数 '" + k + "'", k);
    }
  }
  if (!all) f.within = p.unit_path;
  const int64_t limit = f.limit++;  // one more: whether older ones follow
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::ComplianceEventRow> rows, repo::LoadComplianceEvents(*conn, p.tenant_id, f));
  NewestFirst<ComplianceEvent> out;
  if (static_cast<int64_t>(rows.size()) > limit) {
    rows.resize(limit);
    out.next_after = rows.back().id;
  }
  for (auto& x : rows) {
    out.items.push_back({x.id, x.checkpoint_id, std::move(x.checkpoint_name), std::move(x.object), std::move(x.on), x.record_id, x.unit_id,
                   std::move(x.outcome), std::move(x.reason), x.actor_id, std::move(x.at)});
  }
  return out;
}

}  // namespace keel::org
