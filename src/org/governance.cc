#include "org/governance.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include <spdlog/spdlog.h>

#include "domain/audit.h"
#include "domain/codec.h"
#include "domain/schema.h"
#include "domain/unit_tree.h"
#include "events/event_log.h"
#include "org/conditions.h"
#include "org/internal.h"

namespace keel::org {

using store::Value;

const std::vector<std::string> kBoundaryActions = {"expense", "budget_transfer", "discount", "contract", "price_change", "member_change"};
const std::vector<std::string> kSandboxRoles = {"rep", "supervisor", "unit_lead"};

namespace {

const std::vector<std::string> kModes = {"alone", "report", "approval"};  // in order of oversight

// Where Keel runs compliance checkpoints: the object and the moment of every call to
// Governance::Check (ApprovalEngine::SubmitQuote and ::SignContract in approvals.cc,
// Expenses::Submit in expenses.cc). A checkpoint is defined only for one of these, so none is
// accepted that would never run; add a row here when a new call site is wired.
struct CheckedMoment {
  const char* object;
  const char* on;
};
constexpr CheckedMoment kCheckedMoments[] = {{"quotes", "submit"}, {"contracts", "sign"}, {"expenses", "submit"}};

Status Forbidden(const std::string& code, const std::string& en, const std::string& zh, const std::string& field = {}) {
  return Status::Error(ErrorKind::kForbidden, code, en, zh, field);
}
Status NotHq(const std::string& what_en, const std::string& what_zh) {
  return Forbidden("forbidden", "only HQ (admin, hq_ops) " + what_en, "只有总部（管理员、销售运营）可以" + what_zh);
}
int ModeRank(const std::string& m) { return static_cast<int>(std::find(kModes.begin(), kModes.end(), m) - kModes.begin()); }
Value OrNull(int64_t v) { return v ? Value(v) : Value(); }
size_t CodePoints(const std::string& s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}
bool SnakeName(const std::string& s, size_t max) {
  return !s.empty() && s.size() <= max && s[0] >= 'a' && s[0] <= 'z' &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}
std::string Text(const json& body, const char* key) {
  return body.contains(key) && body[key].is_string() ? body[key].get<std::string>() : std::string();
}
json Parse(const std::string& s) {
  auto j = json::parse(s, nullptr, false);
  return j.is_discarded() ? json() : j;
}


Result<int64_t> PositiveId(const std::string& k, const std::string& v) {
  char* end = nullptr;
  long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end || x <= 0) return Bad("validation.parameter", k + " must be a positive id", k + " 应为正整数 ID", k);
  return static_cast<int64_t>(x);
}

Result<int64_t> Limit(const std::string& v) {
  char* end = nullptr;
  long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end || x < 1 || x > 500) return Bad("validation.parameter", "limit is 1 to 500", "limit 应为 1 到 500", "limit");
  return static_cast<int64_t>(x);
}

struct UnitInfo {
  int64_t id = 0;
  std::string path, name;
  bool archived = false;
};

Result<UnitInfo> FindUnit(store::Connection& conn, int64_t tenant, int64_t unit, const std::string& field = "unit_id") {
  Value q[] = {tenant, unit};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query("SELECT path, name, archived_at FROM units WHERE tenant_id = ? AND id = ?", q));
  if (r.empty()) return Status::NotFound("unit", field);
  return UnitInfo{unit, store::AsText(r.rows[0][0]), store::AsText(r.rows[0][1]), !store::IsNull(r.rows[0][2])};
}

// Whether `p` sees the unit's boundaries: HQ and whole-tenant readers; members of the unit, of an
// ancestor (whose rules it inherits) or of a unit above it in the tree.
bool SeesUnit(const Principal& p, const UnitInfo& u) {
  if (domain::SeesWholeTenant(p.role) || p.is_system()) return true;
  return u.path.rfind(p.unit_path, 0) == 0 || p.unit_path.rfind(u.path, 0) == 0;
}

// One row of the audit log, written beside the change (same connection, same transaction).
Status Audit(store::Connection& conn, const Principal& p, const std::string& action, const std::string& entity, int64_t entity_id,
             const json& before, const json& after, const std::string& now) {
  const domain::AuditEntry entry{action, entity, entity_id, before, after};
  return domain::AuditChanges(conn, p, now, std::span<const domain::AuditEntry>(&entry, 1), p.request_id);
}

struct Tier {
  int64_t id = 0;
  std::string action, mode;
  std::optional<int64_t> limit;  // fen; none = no upper bound
  std::string note;
};

bool TierBefore(const Tier& a, const Tier& b) {
  if (a.action != b.action) return a.action < b.action;
  if (a.limit.has_value() != b.limit.has_value()) return a.limit.has_value();
  return a.limit.value_or(0) < b.limit.value_or(0);
}

json TierJson(const Tier& t) {
  return {{"id", t.id}, {"action", t.action}, {"mode", t.mode},
          {"limit", t.limit ? json(static_cast<double>(*t.limit) / 100) : json(nullptr)}, {"note", t.note.empty() ? json(nullptr) : json(t.note)}};
}

Result<std::vector<Tier>> UnitTiers(store::Connection& conn, int64_t tenant, int64_t unit, const std::string& action = "") {
  std::vector<Value> q = {tenant, unit};
  std::string sql = "SELECT id, action, mode, limit_amount, note FROM boundary_rules WHERE tenant_id = ? AND unit_id = ?";
  if (!action.empty()) {
    sql += " AND action = ?";
    q.emplace_back(action);
  }
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(sql, q));
  std::vector<Tier> out;
  for (const auto& row : r.rows) {
    Tier t{store::AsInt(row[0]), store::AsText(row[1]), store::AsText(row[2]), std::nullopt, store::IsNull(row[4]) ? "" : store::AsText(row[4])};
    if (!store::IsNull(row[3])) t.limit = store::AsInt(row[3]);
    out.push_back(std::move(t));
  }
  std::sort(out.begin(), out.end(), TierBefore);
  return out;
}

// The decision of one unit's tiers for an action (sorted by limit), or nullopt when it has none.
std::optional<BoundaryDecision> DecideTiers(const std::vector<Tier>& tiers, int64_t unit, int64_t amount_fen) {
  if (tiers.empty()) return std::nullopt;
  for (const auto& t : tiers) {
    if (!t.limit || amount_fen <= *t.limit) {
      return BoundaryDecision{t.mode, t.id, unit, t.limit ? static_cast<double>(*t.limit) / 100 : -1};
    }
  }
  const Tier& top = tiers.back();  // every tier has a limit and the amount is above all of them
  return BoundaryDecision{"approval", top.id, unit, static_cast<double>(*top.limit) / 100};
}

json DecisionJson(const BoundaryDecision& d) {
  return {{"mode", d.mode}, {"rule_id", d.rule_id ? json(d.rule_id) : json(nullptr)}, {"unit_id", d.unit_id ? json(d.unit_id) : json(nullptr)},
          {"limit", d.limit < 0 ? json(nullptr) : json(d.limit)}};
}

struct CheckpointRow {
  int64_t id = 0;
  std::string name, object, on, when, action, message_zh, message_en;
  bool active = true;
  std::string created_at, updated_at, archived_at;
};

const char* kCheckpointColumns =
    "SELECT id, name, object, on_event, condition_expr, outcome, message_zh, message_en, active, created_at, updated_at, archived_at "
    "FROM compliance_checkpoints";

CheckpointRow ToCheckpoint(const std::vector<Value>& row) {
  return {store::AsInt(row[0]), store::AsText(row[1]), store::AsText(row[2]), store::AsText(row[3]), store::AsText(row[4]),
          store::AsText(row[5]), store::AsText(row[6]), store::AsText(row[7]), store::AsInt(row[8]) != 0, store::AsText(row[9]),
          store::AsText(row[10]), store::IsNull(row[11]) ? "" : store::AsText(row[11])};
}

json CheckpointJson(const CheckpointRow& c) {
  return {{"id", c.id}, {"name", c.name}, {"object", c.object}, {"on", c.on}, {"when", c.when}, {"action", c.action},
          {"message_zh", c.message_zh}, {"message_en", c.message_en}, {"active", c.active}, {"created_at", c.created_at},
          {"updated_at", c.updated_at}, {"archived_at", c.archived_at.empty() ? json(nullptr) : json(c.archived_at)}};
}

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

// Applies the fields of `body` to `c`, checking their types.
Status ApplyCheckpoint(CheckpointRow& c, const json& body) {
  KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"name", "object", "on", "when", "action", "message_zh", "message_en", "active"}));
  for (const char* k : {"name", "object", "on", "when", "action", "message_zh", "message_en"}) {
    if (body.contains(k) && !body[k].is_string()) return Bad("validation.type", std::string(k) + " must be text", std::string(k) + " 应为文本", k);
  }
  if (body.contains("active") && !body["active"].is_boolean()) return Bad("validation.type", "active must be true or false", "active 应为布尔值", "active");
  if (body.contains("name")) c.name = body["name"];
  if (body.contains("object")) c.object = body["object"];
  if (body.contains("on")) c.on = body["on"];
  if (body.contains("when")) c.when = body["when"];
  if (body.contains("action")) c.action = body["action"];
  if (body.contains("message_zh")) c.message_zh = body["message_zh"];
  if (body.contains("message_en")) c.message_en = body["message_en"];
  if (body.contains("active")) c.active = body["active"];
  return Status();
}

struct SandboxSettings {
  bool configured = false;
  std::vector<std::string> allowed_roles;
  std::optional<int64_t> max_members;
  bool may_disable = false;
};

Result<SandboxSettings> LoadSandbox(store::Connection& conn, int64_t tenant, int64_t unit) {
  Value q[] = {tenant, unit};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query("SELECT allowed_roles, max_members, may_disable FROM unit_sandboxes WHERE tenant_id = ? AND unit_id = ?", q));
  SandboxSettings s;
  if (r.empty()) return s;
  s.configured = true;
  json roles = Parse(store::AsText(r.rows[0][0]));
  if (roles.is_array()) {
    for (const auto& x : roles) {
      if (x.is_string()) s.allowed_roles.push_back(x);
    }
  }
  if (!store::IsNull(r.rows[0][1])) s.max_members = store::AsInt(r.rows[0][1]);
  s.may_disable = store::AsInt(r.rows[0][2]) != 0;
  return s;
}

json SandboxJson(const SandboxSettings& s) {
  return {{"configured", s.configured}, {"allowed_roles", s.allowed_roles},
          {"max_members", s.max_members ? json(*s.max_members) : json(nullptr)}, {"may_disable", s.may_disable}};
}

// Active, unarchived users in the subtree under `path`.
Result<int64_t> Headcount(store::Connection& conn, int64_t tenant, const std::string& path) {
  Value q[] = {tenant, domain::UnitTree::SubtreePattern(path)};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(
      "SELECT COUNT(*) FROM users s JOIN units n ON n.tenant_id = s.tenant_id AND n.id = s.unit_id "
      "WHERE s.tenant_id = ? AND n.path LIKE ? AND s.status = 'active' AND s.archived_at IS NULL", q));
  return store::AsInt(r.rows[0][0]);
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "none" : out;
}

}  // namespace

Governance::Governance(store::Database& db, const Clock& clock) : db_(db), clock_(clock), records_(db, clock) {}

// ---- Authorisation boundaries ----

Result<json> Governance::Boundaries(const Principal& p, int64_t unit) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(UnitInfo u, FindUnit(*conn, p.tenant_id, unit, "id"));
  if (!SeesUnit(p, u)) return Status::NotFound("unit", "id");
  KEEL_ASSIGN_OR_RETURN(std::vector<Tier> own, UnitTiers(*conn, p.tenant_id, unit));
  json entries = json::array();
  for (const auto& t : own) entries.push_back(TierJson(t));
  // Effective: per action, the tiers of the nearest unit up the path that has any.
  std::vector<int64_t> chain = PathIds(u.path);
  std::map<std::string, json> effective;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    KEEL_ASSIGN_OR_RETURN(std::vector<Tier> tiers, UnitTiers(*conn, p.tenant_id, *it));
    KEEL_ASSIGN_OR_RETURN(UnitInfo from, FindUnit(*conn, p.tenant_id, *it));
    for (const auto& t : tiers) {
      json& e = effective[t.action];
      if (e.is_null()) e = {{"action", t.action}, {"from_unit_id", *it}, {"from_unit", from.name}, {"inherited", *it != unit}, {"tiers", json::array()}};
      if (e["from_unit_id"] == *it) e["tiers"].push_back(TierJson(t));
    }
  }
  json eff = json::array();
  std::set<std::string> actions(kBoundaryActions.begin(), kBoundaryActions.end());
  for (const auto& [a, _] : effective) actions.insert(a);
  for (const auto& a : actions) {
    auto it = effective.find(a);
    eff.push_back(it != effective.end() ? it->second
                                        : json{{"action", a}, {"from_unit_id", nullptr}, {"from_unit", nullptr}, {"inherited", true},
                                               {"tiers", json::array()}, {"default", "approval"}});
  }
  return json{{"unit_id", unit}, {"unit", u.name}, {"entries", entries}, {"effective", eff}, {"actions", kBoundaryActions}};
}

Result<json> Governance::SetBoundaries(const Principal& p, int64_t unit, const json& body) {
  if (!IsHq(p)) return NotHq("edit authorisation boundaries", "编辑授权边界清单");
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
    KEEL_ASSIGN_OR_RETURN(UnitInfo u, FindUnit(*conn, p.tenant_id, unit, "id"));
    if (u.archived) return Bad("validation.reference", "the unit is archived", "该单元已归档", "id");
  }
  KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"entries"}));
  if (!body.contains("entries") || !body["entries"].is_array() || body["entries"].size() > 100) {
    return Bad("validation.required", "entries must list at most 100 entries {action, mode, limit?, note?}",
               "entries 应为不超过 100 项的列表 {action, mode, limit?, note?}", "entries");
  }
  std::vector<Tier> tiers;
  for (size_t i = 0; i < body["entries"].size(); ++i) {
    const json& e = body["entries"][i];
    std::string at = "entries[" + std::to_string(i) + "]";
    Status st = domain::CheckObject(e, {"action", "mode", "limit", "note"});
    if (!st.ok()) return st.WithFieldPrefix(at);
    Tier t;
    t.action = Text(e, "action");
    if (!SnakeName(t.action, 40)) {
      return Bad("validation.parameter", at + ".action is expense, budget_transfer, discount, contract, price_change, member_change or a snake_case name",
                 at + ".action 应为 expense、budget_transfer、discount、contract、price_change、member_change 或小写下划线名称", at + ".action");
    }
    t.mode = Text(e, "mode");
    if (ModeRank(t.mode) >= static_cast<int>(kModes.size())) {
      return Bad("validation.enum", at + ".mode is alone, report or approval", at + ".mode 取值 alone、report 或 approval", at + ".mode");
    }
    if (e.contains("limit") && !e["limit"].is_null()) {
      auto fen = Fen(e["limit"], at + ".limit");
      if (!fen.ok()) return fen.status();
      t.limit = *fen;
    }
    if (e.contains("note") && !e["note"].is_null()) {
      if (!e["note"].is_string() || CodePoints(e["note"].get<std::string>()) > 500) {
        return Bad("validation.length", at + ".note is text of at most 500 characters", at + ".note 应为不超过 500 字的文本", at + ".note");
      }
      t.note = e["note"];
    }
    tiers.push_back(std::move(t));
  }
  // Per action: distinct limits, at most one without, and more oversight for larger amounts.
  std::vector<Tier> sorted = tiers;
  std::stable_sort(sorted.begin(), sorted.end(), TierBefore);
  for (size_t i = 1; i < sorted.size(); ++i) {
    const Tier &a = sorted[i - 1], &b = sorted[i];
    if (a.action != b.action) continue;
    if (a.limit == b.limit) {
      return Status::Error(ErrorKind::kUnprocessable, "boundary.duplicate",
                           "two entries for " + a.action + " have the same limit (" + (a.limit ? YuanText(*a.limit) : "none") + ")",
                           a.action + " 有两项的金额上限相同（" + (a.limit ? YuanText(*a.limit) : "无上限") + "）", "entries");
    }
    if (ModeRank(b.mode) < ModeRank(a.mode)) {
      return Status::Error(ErrorKind::kUnprocessable, "boundary.order",
                           "for " + a.action + ", a larger amount cannot need less oversight (" + a.mode + " up to " +
                               (a.limit ? YuanText(*a.limit) : "any amount") + ", then " + b.mode + ")",
                           a.action + "：金额更大时管控不能更松（" + a.mode + " 至 " + (a.limit ? YuanText(*a.limit) : "任意金额") + "，之后为 " + b.mode + "）",
                           "entries");
    }
  }
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  KEEL_ASSIGN_OR_RETURN(std::vector<Tier> before, UnitTiers(*conn, p.tenant_id, unit));
  Value del[] = {p.tenant_id, unit};
  KEEL_RETURN_IF_ERROR(conn->Exec("DELETE FROM boundary_rules WHERE tenant_id = ? AND unit_id = ?", del).status());
  std::string now = FormatTimestamp(clock_.NowMs());
  if (!tiers.empty()) {
    KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(static_cast<int64_t>(tiers.size())));
    for (size_t i = 0; i < tiers.size(); ++i) {
      tiers[i].id = ids[i];
      Value q[] = {p.tenant_id, ids[i], unit, tiers[i].action, tiers[i].mode, tiers[i].limit ? Value(*tiers[i].limit) : Value(),
                   tiers[i].note.empty() ? Value() : Value(tiers[i].note), now, OrNull(p.user_id)};
      KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO boundary_rules (tenant_id, id, unit_id, action, mode, limit_amount, note, created_at, created_by) "
                                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", q).status());
    }
  }
  json b = json::array(), a = json::array();
  for (const auto& t : before) b.push_back(TierJson(t));
  for (const auto& t : tiers) a.push_back(TierJson(t));
  KEEL_RETURN_IF_ERROR(Audit(*conn, p, "update", "boundary_rules", unit, b, a, now));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return Boundaries(p, unit);
}

Result<BoundaryDecision> Governance::BoundaryFor(int64_t tenant, int64_t unit, const std::string& action, double amount) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(UnitInfo u, FindUnit(*conn, tenant, unit));
  // A NaN amount is above every limit; a negative one is nothing.
  int64_t fen = std::isnan(amount) || amount > 1e15 ? std::numeric_limits<int64_t>::max() : std::llround(std::max(0.0, amount) * 100);
  std::vector<int64_t> chain = PathIds(u.path);
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    KEEL_ASSIGN_OR_RETURN(std::vector<Tier> tiers, UnitTiers(*conn, tenant, *it, action));
    if (auto d = DecideTiers(tiers, *it, fen)) return *d;
  }
  return BoundaryDecision{"approval", 0, 0, -1};
}

Result<json> Governance::Decide(const Principal& p, int64_t unit, const Query& query) {
  std::string action;
  double amount = 0;
  for (const auto& [k, v] : query) {
    if (k == "action") {
      action = v;
    } else if (k == "amount") {
      char* end = nullptr;
      amount = std::strtod(v.c_str(), &end);
      if (v.empty() || *end || !std::isfinite(amount) || amount < 0) {
        return Bad("validation.parameter", "amount is a number of yuan ≥ 0", "amount 应为不小于 0 的金额（元）", "amount");
      }
    } else {
      return Bad("validation.parameter", "unknown parameter '" + k + "'", "未知参数 '" + k + "'", k);
    }
  }
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
    KEEL_ASSIGN_OR_RETURN(UnitInfo u, FindUnit(*conn, p.tenant_id, unit, "id"));
    if (!SeesUnit(p, u)) return Status::NotFound("unit", "id");
  }
  if (!SnakeName(action, 40)) return Bad("validation.required", "action is required", "action 为必填项", "action");
  KEEL_ASSIGN_OR_RETURN(BoundaryDecision d, BoundaryFor(p.tenant_id, unit, action, amount));
  json out = DecisionJson(d);
  out["action"] = action;
  out["amount"] = amount;
  return out;
}

Status Governance::Report(int64_t tenant, int64_t unit, const std::string& action, const std::string& object, int64_t record_id, double amount,
                          const std::string& summary, int64_t actor_id) {
  return InsertReport(tenant, unit, action, object, record_id, amount, summary, actor_id).status();
}

Result<int64_t> Governance::InsertReport(int64_t tenant, int64_t unit, const std::string& action, const std::string& object, int64_t record_id,
                                         double amount, const std::string& summary, int64_t actor_id) {
  KEEL_ASSIGN_OR_RETURN(BoundaryDecision d, BoundaryFor(tenant, unit, action, amount));
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
  int64_t fen = std::isfinite(amount) ? std::llround(std::clamp(amount, 0.0, 1e13) * 100) : 0;
  Value q[] = {tenant, ids[0], unit, action, object.empty() ? Value() : Value(object), OrNull(record_id), fen,
               summary.empty() ? Value() : Value(summary), OrNull(d.rule_id), OrNull(actor_id), FormatTimestamp(clock_.NowMs())};
  KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO boundary_reports (tenant_id, id, unit_id, action, object, record_id, amount, summary, rule_id, actor_id, at) "
                                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", q).status());
  return ids[0];
}

Result<json> Governance::AddReport(const Principal& p, const json& body) {
  if (domain::IsReadOnly(p.role)) return Forbidden("forbidden", "read-only roles do not report actions", "只读角色不能报备");
  KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"unit_id", "action", "amount", "summary", "object", "record_id"}));
  int64_t unit = body.contains("unit_id") && body["unit_id"].is_number_integer() ? body["unit_id"].get<int64_t>() : p.unit_id;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
    KEEL_ASSIGN_OR_RETURN(UnitInfo u, FindUnit(*conn, p.tenant_id, unit));
    if (!IsHq(p) && u.path.rfind(p.unit_path, 0) != 0) {
      return Forbidden("forbidden", "you report only for your unit and the units under it", "只能为本单元及下级单元报备", "unit_id");
    }
  }
  std::string action = Text(body, "action");
  if (!SnakeName(action, 40)) return Bad("validation.required", "action is required", "action 为必填项", "action");
  if (!body.contains("amount")) return Bad("validation.required", "amount is required", "amount 为必填项", "amount");
  KEEL_ASSIGN_OR_RETURN(int64_t fen, Fen(body["amount"], "amount"));
  std::string summary = Text(body, "summary");
  if (summary.empty() || CodePoints(summary) > 1000) {
    return Bad("validation.required", "summary (what was decided, at most 1000 characters) is required", "summary（决定事项，不超过 1000 字）为必填项", "summary");
  }
  if (body.contains("record_id") && !body["record_id"].is_number_integer()) return Bad("validation.type", "record_id is an id", "record_id 应为 ID", "record_id");
  double amount = static_cast<double>(fen) / 100;
  KEEL_ASSIGN_OR_RETURN(BoundaryDecision d, BoundaryFor(p.tenant_id, unit, action, amount));
  if (d.mode == "approval") {
    std::string lim = d.limit < 0 ? "" : " (the limit is " + YuanText(std::llround(d.limit * 100)) + " yuan)";
    std::string lim_zh = d.limit < 0 ? "" : "（上限 " + YuanText(std::llround(d.limit * 100)) + " 元）";
    return Status::Error(ErrorKind::kUnprocessable, "boundary.needs_approval", action + " of " + YuanText(fen) + " yuan needs approval" + lim,
                         action + " " + YuanText(fen) + " 元需要审批" + lim_zh, "amount");
  }
  KEEL_ASSIGN_OR_RETURN(int64_t id, InsertReport(p.tenant_id, unit, action, Text(body, "object"), body.value("record_id", json(0)).get<int64_t>(),
                                                 amount, summary, p.user_id));
  return json{{"id", id}, {"unit_id", unit}, {"action", action}, {"amount", amount}, {"summary", summary}, {"decision", DecisionJson(d)}};
}

Result<json> Governance::Reports(const Principal& p, const Query& query) {
  bool all = IsHq(p) || domain::SeesWholeTenant(p.role);
  std::string where = " WHERE r.tenant_id = ?";
  std::vector<Value> params = {p.tenant_id};
  int64_t limit = 100;
  for (const auto& [k, v] : query) {
    if (k == "unit_id") {
      KEEL_ASSIGN_OR_RETURN(int64_t id, PositiveId(k, v));
      where += " AND r.unit_id = ?";
      params.emplace_back(id);
    } else if (k == "action") {
      where += " AND r.action = ?";
      params.emplace_back(v);
    } else if (k == "limit") {
      KEEL_ASSIGN_OR_RETURN(limit, Limit(v));
    } else {
      return Bad("validation.parameter", "unknown parameter '" + k + "'", "未知参数 '" + k + "'", k);
    }
  }
  if (!all) {
    where += domain::UnitTree::PathWithin("u.path", p.unit_path, params);
  }
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(
      "SELECT r.id, r.unit_id, u.name, r.action, r.object, r.record_id, r.amount, r.summary, r.rule_id, r.actor_id, r.at FROM boundary_reports r "
      "JOIN units u ON u.tenant_id = r.tenant_id AND u.id = r.unit_id" + where + " ORDER BY r.id DESC LIMIT " + std::to_string(limit), params));
  json items = json::array();
  for (const auto& x : r.rows) {
    items.push_back({{"id", store::AsInt(x[0])}, {"unit_id", store::AsInt(x[1])}, {"unit", store::AsText(x[2])}, {"action", store::AsText(x[3])},
                     {"object", store::IsNull(x[4]) ? json(nullptr) : json(store::AsText(x[4]))},
                     {"record_id", store::IsNull(x[5]) ? json(nullptr) : json(store::AsInt(x[5]))},
                     {"amount", static_cast<double>(store::AsInt(x[6])) / 100},
                     {"summary", store::IsNull(x[7]) ? json(nullptr) : json(store::AsText(x[7]))},
                     {"rule_id", store::IsNull(x[8]) ? json(nullptr) : json(store::AsInt(x[8]))},
                     {"actor_id", store::IsNull(x[9]) ? json(nullptr) : json(store::AsInt(x[9]))}, {"at", store::AsText(x[10])}});
  }
  return json{{"items", items}};
}

// ---- Compliance checkpoints ----

Result<json> Governance::SaveCheckpoint(const Principal& p, const json& body) {
  if (!IsHq(p)) return NotHq("define compliance checkpoints", "定义合规检查点");
  CheckpointRow c;
  c.action = "block";
  KEEL_RETURN_IF_ERROR(ApplyCheckpoint(c, body));
  KEEL_RETURN_IF_ERROR(CheckCheckpoint(c, /*check_moment=*/true));
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  Value dq[] = {p.tenant_id, c.name};
  KEEL_ASSIGN_OR_RETURN(store::Rows dup, conn->Query("SELECT 1 FROM compliance_checkpoints WHERE tenant_id = ? AND name = ? AND archived_at IS NULL", dq));
  if (!dup.empty()) {
    return Status::Error(ErrorKind::kConflict, "compliance.duplicate", "a checkpoint named '" + c.name + "' exists", "已存在名为「" + c.name + "」的检查点", "name");
  }
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
  c.id = ids[0];
  c.created_at = c.updated_at = FormatTimestamp(clock_.NowMs());
  Value q[] = {p.tenant_id, c.id, c.name, c.object, c.on, c.when, c.action, c.message_zh, c.message_en, int64_t{c.active ? 1 : 0},
               c.created_at, c.updated_at, OrNull(p.user_id)};
  KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO compliance_checkpoints (tenant_id, id, name, object, on_event, condition_expr, outcome, message_zh, "
                                  "message_en, active, created_at, updated_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", q).status());
  json out = CheckpointJson(c);
  KEEL_RETURN_IF_ERROR(Audit(*conn, p, "create", "compliance_checkpoints", c.id, nullptr, out, c.created_at));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return out;
}

Result<json> Governance::UpdateCheckpoint(const Principal& p, int64_t id, const json& patch) {
  if (!IsHq(p)) return NotHq("change compliance checkpoints", "修改合规检查点");
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  Value q[] = {p.tenant_id, id};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(std::string(kCheckpointColumns) + " WHERE tenant_id = ? AND id = ? AND archived_at IS NULL", q));
  if (r.empty()) return Status::NotFound("checkpoint");
  CheckpointRow c = ToCheckpoint(r.rows[0]);
  json before = CheckpointJson(c);
  KEEL_RETURN_IF_ERROR(ApplyCheckpoint(c, patch));
  KEEL_RETURN_IF_ERROR(CheckCheckpoint(c, /*check_moment=*/c.object != before["object"] || c.on != before["on"]));
  if (c.name != before["name"]) {
    Value dq[] = {p.tenant_id, c.name, id};
    KEEL_ASSIGN_OR_RETURN(store::Rows dup, conn->Query(
        "SELECT 1 FROM compliance_checkpoints WHERE tenant_id = ? AND name = ? AND id <> ? AND archived_at IS NULL", dq));
    if (!dup.empty()) {
      return Status::Error(ErrorKind::kConflict, "compliance.duplicate", "a checkpoint named '" + c.name + "' exists", "已存在名为「" + c.name + "」的检查点", "name");
    }
  }
  c.updated_at = FormatTimestamp(clock_.NowMs());
  Value u[] = {c.name, c.object, c.on, c.when, c.action, c.message_zh, c.message_en, int64_t{c.active ? 1 : 0}, c.updated_at, p.tenant_id, id};
  KEEL_RETURN_IF_ERROR(conn->Exec("UPDATE compliance_checkpoints SET name = ?, object = ?, on_event = ?, condition_expr = ?, outcome = ?, message_zh = ?, "
                                  "message_en = ?, active = ?, updated_at = ? WHERE tenant_id = ? AND id = ?", u).status());
  json out = CheckpointJson(c);
  KEEL_RETURN_IF_ERROR(Audit(*conn, p, "update", "compliance_checkpoints", id, before, out, c.updated_at));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return out;
}

Result<json> Governance::ArchiveCheckpoint(const Principal& p, int64_t id) {
  if (!IsHq(p)) return NotHq("remove compliance checkpoints", "删除合规检查点");
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
  Value q[] = {p.tenant_id, id};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(std::string(kCheckpointColumns) + " WHERE tenant_id = ? AND id = ?", q));
  if (r.empty()) return Status::NotFound("checkpoint");
  CheckpointRow c = ToCheckpoint(r.rows[0]);
  if (!c.archived_at.empty()) return CheckpointJson(c);  // archiving twice is a no-op
  json before = CheckpointJson(c);
  c.archived_at = c.updated_at = FormatTimestamp(clock_.NowMs());
  Value u[] = {c.archived_at, c.updated_at, p.tenant_id, id};
  KEEL_RETURN_IF_ERROR(conn->Exec("UPDATE compliance_checkpoints SET archived_at = ?, updated_at = ? WHERE tenant_id = ? AND id = ?", u).status());
  json out = CheckpointJson(c);
  KEEL_RETURN_IF_ERROR(Audit(*conn, p, "archive", "compliance_checkpoints", id, before, out, c.updated_at));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return out;
}

Result<json> Governance::Checkpoints(const Principal& p, const Query& query) {
  std::string where = " WHERE tenant_id = ? AND archived_at IS NULL";
  std::vector<Value> params = {p.tenant_id};
  for (const auto& [k, v] : query) {
    if (k == "object") {
      where += " AND object = ?";
      params.emplace_back(v);
    } else if (k == "on") {
      where += " AND on_event = ?";
      params.emplace_back(v);
    } else if (k == "active") {
      if (v != "true" && v != "false") return Bad("validation.parameter", "active is true or false", "active 取值 true 或 false", k);
      where += v == "true" ? " AND active = 1" : " AND active = 0";
    } else {
      return Bad("validation.parameter", "unknown parameter '" + k + "'", "未知参数 '" + k + "'", k);
    }
  }
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(std::string(kCheckpointColumns) + where + " ORDER BY id", params));
  json items = json::array();
  for (const auto& row : r.rows) items.push_back(CheckpointJson(ToCheckpoint(row)));
  return json{{"items", items}};
}

Result<json> Governance::Checkpoint(const Principal& p, int64_t id) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  Value q[] = {p.tenant_id, id};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(std::string(kCheckpointColumns) + " WHERE tenant_id = ? AND id = ?", q));
  if (r.empty()) return Status::NotFound("checkpoint");
  return CheckpointJson(ToCheckpoint(r.rows[0]));
}

Result<json> Governance::Check(const Principal& p, const std::string& object, const std::string& on, int64_t record_id, const json& record,
                               const std::string& override_reason) {
  json flags = json::array(), overrides = json::array();
  const domain::EntityDef* e = domain::FindEntity(object);
  if (e == nullptr) return json{{"flags", flags}, {"overrides", overrides}};
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  Value q[] = {p.tenant_id, object, on};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(std::string(kCheckpointColumns) +
                                                   " WHERE tenant_id = ? AND object = ? AND on_event = ? AND active = 1 AND archived_at IS NULL ORDER BY id", q));
  if (r.empty()) return json{{"flags", flags}, {"overrides", overrides}};
  // Lines see their product's category path and SKU.
  json rec = record.is_object() ? record : json::object();
  if (e->child && rec.contains("lines") && rec["lines"].is_array()) {
    for (auto& line : rec["lines"]) {
      if (!line.is_object() || !line.contains("product_id") || !line["product_id"].is_number_integer()) continue;
      Value pq[] = {p.tenant_id, line["product_id"].get<int64_t>()};
      KEEL_ASSIGN_OR_RETURN(store::Rows prod, conn->Query("SELECT category_path, sku FROM products WHERE tenant_id = ? AND id = ?", pq));
      if (prod.empty()) continue;
      line["category"] = store::IsNull(prod.rows[0][0]) ? json(nullptr) : json(store::AsText(prod.rows[0][0]));
      line["sku"] = store::AsText(prod.rows[0][1]);
    }
  }
  TimeMs now = clock_.NowMs();
  std::vector<CheckpointRow> blocks, flagged;
  for (const auto& row : r.rows) {
    CheckpointRow c = ToCheckpoint(row);
    auto f = Condition(*e, c.when, "when", true);
    if (!f.ok()) {
      spdlog::warn("compliance: checkpoint {} of tenant {} no longer compiles: {}", c.id, p.tenant_id, f.status().ToString());
      continue;
    }
    if (!HoldsOnAnyLine(*e, *f, rec, now)) continue;
    (c.action == "block" ? blocks : flagged).push_back(std::move(c));
  }
  if (blocks.empty() && flagged.empty()) return json{{"flags", flags}, {"overrides", overrides}};
  bool may_override = IsHq(p) || p.role == domain::Role::kUnitLead;
  std::string outcome = "overridden";
  Status refusal;
  if (!blocks.empty()) {
    const CheckpointRow& b = blocks.front();
    std::string names;
    for (const auto& x : blocks) names += (names.empty() ? "" : ", ") + x.name;
    if (override_reason.empty()) {
      outcome = "blocked";
      refusal = Status::Error(ErrorKind::kUnprocessable, "compliance.blocked",
                              "blocked by the compliance checkpoint '" + b.name + "': " + b.message_en +
                                  (blocks.size() > 1 ? " (also: " + names + ")" : "") + " — a unit lead or HQ may override it with a reason",
                              "被合规检查点「" + b.name + "」拦截：" + b.message_zh + (blocks.size() > 1 ? "（另有：" + names + "）" : "") +
                                  "——战队负责人或总部可填写理由放行",
                              b.name);
    } else if (!may_override) {
      outcome = "blocked";
      refusal = Status::Error(ErrorKind::kForbidden, "compliance.override_forbidden",
                              "only a unit lead or HQ may override the compliance checkpoint '" + b.name + "': " + b.message_en,
                              "只有战队负责人或总部可以放行合规检查点「" + b.name + "」：" + b.message_zh, "override_reason");
    } else if (CodePoints(override_reason) < 5 || CodePoints(override_reason) > 1000) {
      return Bad("validation.length", "override_reason is 5 to 1000 characters", "override_reason 应为 5 到 1000 个字", "override_reason");
    }
  }
  int64_t unit = rec.contains("unit_id") && rec["unit_id"].is_number_integer() ? rec["unit_id"].get<int64_t>() : p.unit_id;
  std::string at = FormatTimestamp(now);
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(static_cast<int64_t>(blocks.size() + flagged.size())));
  size_t n = 0;
  auto record_event = [&](const CheckpointRow& c, const std::string& what, const std::string& reason) -> Result<json> {
    int64_t id = ids[n++];
    Value ev[] = {p.tenant_id, id, c.id, c.name, object, on, OrNull(record_id), OrNull(unit), what, reason.empty() ? Value() : Value(reason),
                  OrNull(p.user_id), at};
    KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO compliance_events (tenant_id, id, checkpoint_id, checkpoint_name, object, on_event, record_id, unit_id, "
                                    "outcome, reason, actor_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", ev).status());
    return json{{"event_id", id}, {"checkpoint_id", c.id}, {"name", c.name}, {"message_zh", c.message_zh}, {"message_en", c.message_en}};
  };
  for (const auto& c : flagged) {
    KEEL_ASSIGN_OR_RETURN(json j, record_event(c, "flagged", ""));
    flags.push_back(std::move(j));
  }
  for (const auto& c : blocks) {
    KEEL_ASSIGN_OR_RETURN(json j, record_event(c, outcome, outcome == "overridden" ? override_reason : ""));
    if (outcome != "overridden") continue;
    j["reason"] = override_reason;
    j["by"] = p.user_id;
    j["at"] = at;
    KEEL_RETURN_IF_ERROR(Audit(*conn, p, "compliance.override", object, record_id, nullptr,
                               {{"checkpoint_id", c.id}, {"checkpoint", c.name}, {"on", on}, {"reason", override_reason}}, at));
    overrides.push_back(std::move(j));
  }
  KEEL_RETURN_IF_ERROR(tx.Commit());
  if (!refusal.ok()) return refusal;
  return json{{"flags", flags}, {"overrides", overrides}};
}

Result<json> Governance::ComplianceEvents(const Principal& p, const Query& query) {
  bool all = IsHq(p) || p.role == domain::Role::kAuditor;
  if (!all && p.role != domain::Role::kUnitLead) {
    return Forbidden("forbidden", "compliance events are for HQ, auditors and unit leads", "合规记录仅总部、审计和战队负责人可查看");
  }
  std::string where = " WHERE e.tenant_id = ?";
  std::vector<Value> params = {p.tenant_id};
  int64_t limit = 100;
  for (const auto& [k, v] : query) {
    if (k == "object" || k == "outcome") {
      where += " AND e." + k + " = ?";
      params.emplace_back(v);
    } else if (k == "record_id" || k == "checkpoint_id" || k == "unit_id") {
      KEEL_ASSIGN_OR_RETURN(int64_t id, PositiveId(k, v));
      where += " AND e." + k + " = ?";
      params.emplace_back(id);
    } else if (k == "limit") {
      KEEL_ASSIGN_OR_RETURN(limit, Limit(v));
    } else {
      return Bad("validation.parameter", "unknown parameter '" + k + "'", "未知参数 '" + k + "'", k);
    }
  }
  if (!all) {
    where += domain::UnitTree::PathWithin("u.path", p.unit_path, params);
  }
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(
      "SELECT e.id, e.checkpoint_id, e.checkpoint_name, e.object, e.on_event, e.record_id, e.unit_id, e.outcome, e.reason, e.actor_id, e.at "
      "FROM compliance_events e LEFT JOIN units u ON u.tenant_id = e.tenant_id AND u.id = e.unit_id" + where +
      " ORDER BY e.id DESC LIMIT " + std::to_string(limit), params));
  json items = json::array();
  for (const auto& x : r.rows) {
    items.push_back({{"id", store::AsInt(x[0])}, {"checkpoint_id", store::AsInt(x[1])}, {"checkpoint", store::AsText(x[2])},
                     {"object", store::AsText(x[3])}, {"on", store::AsText(x[4])},
                     {"record_id", store::IsNull(x[5]) ? json(nullptr) : json(store::AsInt(x[5]))},
                     {"unit_id", store::IsNull(x[6]) ? json(nullptr) : json(store::AsInt(x[6]))}, {"outcome", store::AsText(x[7])},
                     {"reason", store::IsNull(x[8]) ? json(nullptr) : json(store::AsText(x[8]))},
                     {"actor_id", store::IsNull(x[9]) ? json(nullptr) : json(store::AsInt(x[9]))}, {"at", store::AsText(x[10])}});
  }
  return json{{"items", items}};
}

// ---- Permission sandbox ----

Result<json> Governance::Sandbox(const Principal& p, int64_t unit) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(UnitInfo u, FindUnit(*conn, p.tenant_id, unit, "id"));
  bool lead_over = p.role == domain::Role::kUnitLead && u.path.rfind(p.unit_path, 0) == 0;
  if (!domain::SeesWholeTenant(p.role) && !p.is_system() && !lead_over) {
    return Forbidden("forbidden", "a unit's sandbox is for HQ and its unit lead", "单元的权限沙箱仅总部和该单元负责人可查看");
  }
  KEEL_ASSIGN_OR_RETURN(SandboxSettings s, LoadSandbox(*conn, p.tenant_id, unit));
  KEEL_ASSIGN_OR_RETURN(int64_t headcount, Headcount(*conn, p.tenant_id, u.path));
  json out = SandboxJson(s);
  out["unit_id"] = unit;
  out["unit"] = u.name;
  out["headcount"] = headcount;
  Value q[] = {p.tenant_id, unit};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(
      "SELECT id, actor_id, action, user_id, before, after, at FROM sandbox_log WHERE tenant_id = ? AND unit_id = ? ORDER BY id DESC LIMIT 100", q));
  json log = json::array();
  for (const auto& x : r.rows) {
    log.push_back({{"id", store::AsInt(x[0])}, {"actor_id", store::AsInt(x[1])}, {"action", store::AsText(x[2])}, {"user_id", store::AsInt(x[3])},
                   {"before", store::IsNull(x[4]) ? json(nullptr) : Parse(store::AsText(x[4]))},
                   {"after", store::IsNull(x[5]) ? json(nullptr) : Parse(store::AsText(x[5]))}, {"at", store::AsText(x[6])}});
  }
  out["log"] = log;
  return out;
}

Result<json> Governance::SetSandbox(const Principal& p, int64_t unit, const json& body) {
  if (!IsHq(p)) return NotHq("set a unit's permission sandbox", "设置单元的权限沙箱");
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
    KEEL_ASSIGN_OR_RETURN(UnitInfo u, FindUnit(*conn, p.tenant_id, unit, "id"));
    if (u.archived) return Bad("validation.reference", "the unit is archived", "该单元已归档", "id");
  }
  KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"allowed_roles", "max_members", "may_disable"}));
  if (!body.contains("allowed_roles") || !body["allowed_roles"].is_array()) {
    return Bad("validation.required", "allowed_roles (a list of roles) is required", "allowed_roles（角色列表）为必填项", "allowed_roles");
  }
  std::vector<std::string> roles;
  for (size_t i = 0; i < body["allowed_roles"].size(); ++i) {
    const json& r = body["allowed_roles"][i];
    std::string at = "allowed_roles[" + std::to_string(i) + "]";
    if (!r.is_string() || !domain::ParseRole(r.get<std::string>())) return Bad("validation.enum", at + " is not a role", at + " 不是有效角色", at);
    if (std::find(kSandboxRoles.begin(), kSandboxRoles.end(), r.get<std::string>()) == kSandboxRoles.end()) {
      return Status::Error(ErrorKind::kUnprocessable, "sandbox.role_not_grantable",
                           "a unit lead can never grant " + r.get<std::string>() + " (only rep, supervisor, unit_lead)",
                           "战队负责人不能授予 " + r.get<std::string>() + " 角色（仅限 rep、supervisor、unit_lead）", at);
    }
    if (std::find(roles.begin(), roles.end(), r.get<std::string>()) == roles.end()) roles.push_back(r);
  }
  std::optional<int64_t> max_members;
  if (body.contains("max_members") && !body["max_members"].is_null()) {
    if (!body["max_members"].is_number_integer() || body["max_members"].get<int64_t>() < 0 || body["max_members"].get<int64_t>() > 100000) {
      return Bad("validation.range", "max_members is a count from 0 to 100000 (or null: no limit)", "max_members 应为 0 到 100000 的人数（null 表示不限）",
                 "max_members");
    }
    max_members = body["max_members"].get<int64_t>();
  }
  if (body.contains("may_disable") && !body["may_disable"].is_boolean()) {
    return Bad("validation.type", "may_disable must be true or false", "may_disable 应为布尔值", "may_disable");
  }
  bool may_disable = body.value("may_disable", false);
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  KEEL_ASSIGN_OR_RETURN(SandboxSettings before, LoadSandbox(*conn, p.tenant_id, unit));
  std::string now = FormatTimestamp(clock_.NowMs());
  Value del[] = {p.tenant_id, unit};
  KEEL_RETURN_IF_ERROR(conn->Exec("DELETE FROM unit_sandboxes WHERE tenant_id = ? AND unit_id = ?", del).status());
  Value q[] = {p.tenant_id, unit, json(roles).dump(), max_members ? Value(*max_members) : Value(), int64_t{may_disable ? 1 : 0}, now, OrNull(p.user_id)};
  KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO unit_sandboxes (tenant_id, unit_id, allowed_roles, max_members, may_disable, updated_at, updated_by) "
                                  "VALUES (?, ?, ?, ?, ?, ?, ?)", q).status());
  SandboxSettings after{true, roles, max_members, may_disable};
  KEEL_RETURN_IF_ERROR(Audit(*conn, p, before.configured ? "update" : "create", "unit_sandboxes", unit,
                             before.configured ? SandboxJson(before) : json(nullptr), SandboxJson(after), now));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return Sandbox(p, unit);
}

Result<json> Governance::Members(const Principal& p, int64_t unit) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(UnitInfo u, FindUnit(*conn, p.tenant_id, unit, "id"));
  bool lead_over = p.role == domain::Role::kUnitLead && u.path.rfind(p.unit_path, 0) == 0;
  if (!domain::SeesWholeTenant(p.role) && !p.is_system() && !lead_over) {
    return Forbidden("sandbox.outside_subtree", "you manage members only in your own unit subtree", "只能管理本单元及下级单元的成员", "id");
  }
  Value q[] = {p.tenant_id, domain::UnitTree::SubtreePattern(u.path)};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(
      "SELECT s.id, s.username, s.display_name, s.role, s.unit_id, n.name, s.status, s.supervisor_id, s.last_login_at FROM users s "
      "JOIN units n ON n.tenant_id = s.tenant_id AND n.id = s.unit_id WHERE s.tenant_id = ? AND n.path LIKE ? AND s.archived_at IS NULL "
      "ORDER BY n.path, s.id", q));
  json items = json::array();
  for (const auto& x : r.rows) {
    items.push_back({{"id", store::AsInt(x[0])}, {"username", store::AsText(x[1])}, {"display_name", store::AsText(x[2])},
                     {"role", store::AsText(x[3])}, {"unit_id", store::AsInt(x[4])}, {"unit", store::AsText(x[5])}, {"status", store::AsText(x[6])},
                     {"supervisor_id", store::IsNull(x[7]) ? json(nullptr) : json(store::AsInt(x[7]))},
                     {"last_login_at", store::IsNull(x[8]) ? json(nullptr) : json(store::AsText(x[8]))}});
  }
  KEEL_ASSIGN_OR_RETURN(int64_t headcount, Headcount(*conn, p.tenant_id, u.path));
  return json{{"unit_id", unit}, {"headcount", headcount}, {"items", items}};
}

namespace {

// What a unit lead's request is checked against: their home unit's sandbox and subtree.
struct LeadScope {
  SandboxSettings sandbox;
  UnitInfo home;
  int64_t headcount = 0;
};

Result<LeadScope> ScopeOf(store::Connection& conn, const Principal& p, const UnitInfo& target) {
  if (p.role != domain::Role::kUnitLead) {
    return Forbidden("sandbox.not_lead", "only unit leads (within their sandbox) and admins manage members", "只有战队负责人（在权限沙箱内）和管理员可以管理成员");
  }
  if (target.path.rfind(p.unit_path, 0) != 0) {
    return Forbidden("sandbox.outside_subtree", "the unit is outside your unit subtree", "该单元不在您管理的单元范围内", "id");
  }
  LeadScope s;
  KEEL_ASSIGN_OR_RETURN(s.home, FindUnit(conn, p.tenant_id, p.unit_id));
  KEEL_ASSIGN_OR_RETURN(s.sandbox, LoadSandbox(conn, p.tenant_id, p.unit_id));
  if (!s.sandbox.configured) {
    return Forbidden("sandbox.none", "HQ has not set a permission sandbox for your unit", "总部尚未为您的单元设置权限沙箱");
  }
  KEEL_ASSIGN_OR_RETURN(s.headcount, Headcount(conn, p.tenant_id, s.home.path));
  return s;
}

Status RoleAllowed(const LeadScope& s, const std::string& role, const std::string& field) {
  if (std::find(s.sandbox.allowed_roles.begin(), s.sandbox.allowed_roles.end(), role) != s.sandbox.allowed_roles.end()) return Status();
  return Forbidden("sandbox.role", "your sandbox does not let you grant the role " + role + " (allowed: " + Join(s.sandbox.allowed_roles) + ")",
                   "您的权限沙箱不允许授予 " + role + " 角色（允许：" + Join(s.sandbox.allowed_roles) + "）", field);
}

Status RoomForOneMore(const LeadScope& s) {
  if (!s.sandbox.max_members || s.headcount + 1 <= *s.sandbox.max_members) return Status();
  std::string n = std::to_string(s.headcount), m = std::to_string(*s.sandbox.max_members);
  return Forbidden("sandbox.headcount", "your unit subtree has " + n + " active members and its limit is " + m,
                   "您的单元已有 " + n + " 名在职成员，上限为 " + m + " 人", "max_members");
}

}  // namespace

Result<json> Governance::AddMember(const Principal& p, int64_t unit, const json& body) {
  std::lock_guard g(members_mu_);
  const domain::EntityDef& users = *domain::FindEntity("users");
  std::optional<LeadScope> scope;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
    KEEL_ASSIGN_OR_RETURN(UnitInfo target, FindUnit(*conn, p.tenant_id, unit, "id"));
    if (p.role != domain::Role::kAdmin) {
      KEEL_ASSIGN_OR_RETURN(scope, ScopeOf(*conn, p, target));
    }
    KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"username", "display_name", "role", "password", "email", "phone", "supervisor_id", "locale"}));
    if (scope) {
      KEEL_RETURN_IF_ERROR(RoleAllowed(*scope, Text(body, "role"), "role"));
      KEEL_RETURN_IF_ERROR(RoomForOneMore(*scope));
      if (Text(body, "password").empty()) return Bad("validation.required", "an initial password is required", "须设置初始密码", "password");
      if (body.contains("supervisor_id") && body["supervisor_id"].is_number_integer()) {
        Value q[] = {p.tenant_id, body["supervisor_id"].get<int64_t>(), domain::UnitTree::SubtreePattern(p.unit_path)};
        KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(
            "SELECT 1 FROM users s JOIN units n ON n.tenant_id = s.tenant_id AND n.id = s.unit_id WHERE s.tenant_id = ? AND s.id = ? AND n.path LIKE ?", q));
        if (r.empty()) return Forbidden("sandbox.outside_subtree", "the supervisor is outside your unit subtree", "主管不在您管理的单元范围内", "supervisor_id");
      }
    }
  }
  json create = body;
  create["unit_id"] = unit;
  Principal writer = scope ? Principal::System(p.tenant_id) : p;
  writer.request_id = p.request_id;
  KEEL_ASSIGN_OR_RETURN(json user, records_.Create(writer, users, create));
  if (scope) {
    KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
    KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
    Value q[] = {p.tenant_id, ids[0], scope->home.id, p.user_id, std::string("create"), user["id"].get<int64_t>(), Value(),
                 json{{"username", user["username"]}, {"role", user["role"]}, {"unit_id", unit}}.dump(), FormatTimestamp(clock_.NowMs())};
    KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO sandbox_log (tenant_id, id, unit_id, actor_id, action, user_id, before, after, at) "
                                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", q).status());
  }
  return user;
}

Result<json> Governance::UpdateMember(const Principal& p, int64_t unit, int64_t user_id, const json& body) {
  std::lock_guard g(members_mu_);
  const domain::EntityDef& users = *domain::FindEntity("users");
  std::optional<LeadScope> scope;
  json before;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
    KEEL_ASSIGN_OR_RETURN(UnitInfo target, FindUnit(*conn, p.tenant_id, unit, "id"));
    if (p.role != domain::Role::kAdmin) {
      KEEL_ASSIGN_OR_RETURN(scope, ScopeOf(*conn, p, target));
    }
    Value q[] = {p.tenant_id, user_id, domain::UnitTree::SubtreePattern(target.path)};
    KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(
        "SELECT s.role, s.unit_id, s.status, s.username FROM users s JOIN units n ON n.tenant_id = s.tenant_id AND n.id = s.unit_id "
        "WHERE s.tenant_id = ? AND s.id = ? AND n.path LIKE ? AND s.archived_at IS NULL", q));
    if (r.empty()) return Status::NotFound("member", "user_id");
    before = {{"role", store::AsText(r.rows[0][0])}, {"unit_id", store::AsInt(r.rows[0][1])}, {"status", store::AsText(r.rows[0][2])},
              {"username", store::AsText(r.rows[0][3])}};
    KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"role", "unit_id", "status", "display_name", "email", "phone", "supervisor_id", "locale"}));
    if (scope) {
      if (user_id == p.user_id) return Forbidden("sandbox.self", "a unit lead does not change their own account here", "战队负责人不能在此修改自己的账号");
      KEEL_RETURN_IF_ERROR(RoleAllowed(*scope, before["role"], "role"));  // a member above the sandbox is not the lead's to change
      if (body.contains("role")) KEEL_RETURN_IF_ERROR(RoleAllowed(*scope, Text(body, "role"), "role"));
      if (body.contains("unit_id")) {
        if (!body["unit_id"].is_number_integer()) return Bad("validation.type", "unit_id is an id", "unit_id 应为 ID", "unit_id");
        auto to = FindUnit(*conn, p.tenant_id, body["unit_id"].get<int64_t>());
        if (!to.ok() || to->path.rfind(p.unit_path, 0) != 0) {
          return Forbidden("sandbox.outside_subtree", "members move only between units of your subtree", "成员只能在您管理的单元之间调动", "unit_id");
        }
        if (to->archived) return Bad("validation.reference", "the unit is archived", "该单元已归档", "unit_id");
      }
      if (body.contains("status") && body["status"] != before["status"]) {
        if (!scope->sandbox.may_disable) {
          return Forbidden("sandbox.disable", "your sandbox does not let you disable or re-enable members", "您的权限沙箱不允许停用或启用成员", "status");
        }
        if (body["status"] == "active") KEEL_RETURN_IF_ERROR(RoomForOneMore(*scope));
      }
      if (body.contains("supervisor_id") && body["supervisor_id"].is_number_integer()) {
        Value sq[] = {p.tenant_id, body["supervisor_id"].get<int64_t>(), domain::UnitTree::SubtreePattern(p.unit_path)};
        KEEL_ASSIGN_OR_RETURN(store::Rows s, conn->Query(
            "SELECT 1 FROM users s JOIN units n ON n.tenant_id = s.tenant_id AND n.id = s.unit_id WHERE s.tenant_id = ? AND s.id = ? AND n.path LIKE ?", sq));
        if (s.empty()) return Forbidden("sandbox.outside_subtree", "the supervisor is outside your unit subtree", "主管不在您管理的单元范围内", "supervisor_id");
      }
    }
  }
  Principal writer = scope ? Principal::System(p.tenant_id) : p;
  writer.request_id = p.request_id;
  KEEL_ASSIGN_OR_RETURN(json user, records_.Update(writer, users, user_id, body));
  if (scope) {
    json after = {{"role", user["role"]}, {"unit_id", user["unit_id"]}, {"status", user["status"]}, {"username", user["username"]}};
    std::string action = after["status"] != before["status"] ? (after["status"] == "disabled" ? "disable" : "enable")
                         : after["unit_id"] != before["unit_id"] ? "move"
                         : after["role"] != before["role"]       ? "role"
                                                                 : "update";
    KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
    KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
    Value q[] = {p.tenant_id, ids[0], scope->home.id, p.user_id, action, user_id, before.dump(), after.dump(), FormatTimestamp(clock_.NowMs())};
    KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO sandbox_log (tenant_id, id, unit_id, actor_id, action, user_id, before, after, at) "
                                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", q).status());
  }
  return user;
}

}  // namespace keel::org
