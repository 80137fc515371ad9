// Authorisation boundaries (授权边界清单): each unit's tiers per action, the effective list up the
// tree, decisions, and the actions units decided and reported to HQ.
#include "org/governance.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "domain/codec.h"
#include "domain/unit_tree.h"
#include "events/event_log.h"
#include "org/governance/internal.h"
#include "org/governance/json.h"
#include "org/governance/store.h"
#include "org/internal.h"

namespace keel::org {

namespace repo = governance;
using governance::Audit;
using governance::CodePoints;
using governance::FindUnit;
using governance::Forbidden;
using governance::Limit;
using governance::NotHq;
using governance::PositiveId;
using governance::SeesUnit;
using governance::SnakeName;
using governance::UnitRow;
using Tier = governance::TierRow;

const std::vector<std::string> kBoundaryActions = {"expense", "budget_transfer", "discount", "contract", "price_change", "member_change"};

namespace {

const std::vector<std::string> kModes = {"alone", "report", "approval"};  // in order of oversight

int ModeRank(const std::string& m) { return static_cast<int>(std::find(kModes.begin(), kModes.end(), m) - kModes.begin()); }

bool TierBefore(const Tier& a, const Tier& b) {
  if (a.action != b.action) return a.action < b.action;
  if (a.limit.has_value() != b.limit.has_value()) return a.limit.has_value();
  return a.limit.value_or(0) < b.limit.value_or(0);
}

BoundaryTier TierOf(const Tier& t) { return BoundaryTier{t.id, t.action, t.mode, t.limit, t.note}; }

json TiersJson(const std::vector<Tier>& tiers) {
  json out = json::array();
  for (const auto& t : tiers) out.push_back(ToJson(TierOf(t)));
  return out;
}

// The unit's tiers (of one action when `action` is not empty), by action and limit.
Result<std::vector<Tier>> UnitTiers(store::Connection& conn, int64_t tenant, int64_t unit, const std::string& action = "") {
  KEEL_ASSIGN_OR_RETURN(std::vector<Tier> out, repo::LoadTiers(conn, tenant, unit, action));
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

std::optional<int64_t> IdOrNone(int64_t v) { return v ? std::optional<int64_t>(v) : std::nullopt; }
std::optional<std::string> TextOrNone(const std::string& v) { return v.empty() ? std::nullopt : std::optional<std::string>(v); }

}  // namespace

Governance::Governance(store::Database& db, const Clock& clock) : db_(db), clock_(clock), records_(db, clock) {}

Result<UnitBoundaries> Governance::Boundaries(const Principal& p, int64_t unit) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(UnitRow u, FindUnit(*conn, p.tenant_id, unit, "id"));
  if (!SeesUnit(p, u)) return Status::NotFound("unit", "id");
  UnitBoundaries out{unit, u.name, {}, {}, kBoundaryActions};
  KEEL_ASSIGN_OR_RETURN(std::vector<Tier> own, UnitTiers(*conn, p.tenant_id, unit));
  for (const auto& t : own) out.entries.push_back(TierOf(t));
  // Effective: per action, the tiers of the nearest unit up the path that has any.
  std::vector<int64_t> chain = PathIds(u.path);
  std::map<std::string, EffectiveBoundary> effective;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    KEEL_ASSIGN_OR_RETURN(std::vector<Tier> tiers, UnitTiers(*conn, p.tenant_id, *it));
    KEEL_ASSIGN_OR_RETURN(UnitRow from, FindUnit(*conn, p.tenant_id, *it));
    for (const auto& t : tiers) {
      EffectiveBoundary& e = effective[t.action];
      if (!e.from_unit_id) e = EffectiveBoundary{t.action, *it, from.name, *it != unit, {}};
      if (*e.from_unit_id == *it) e.tiers.push_back(TierOf(t));
    }
  }
  std::set<std::string> actions(kBoundaryActions.begin(), kBoundaryActions.end());
  for (const auto& [a, _] : effective) actions.insert(a);
  for (const auto& a : actions) {
    auto it = effective.find(a);
    out.effective.push_back(it != effective.end() ? it->second : EffectiveBoundary{a, std::nullopt, "", true, {}});
  }
  return out;
}

Result<UnitBoundaries> Governance::SetBoundaries(const Principal& p, int64_t unit, const BoundaryListChange& change) {
  if (!IsHq(p)) return NotHq("edit authorisation boundaries", "编辑授权边界清单");
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
    KEEL_ASSIGN_OR_RETURN(UnitRow u, FindUnit(*conn, p.tenant_id, unit, "id"));
    if (u.archived) return Bad("validation.reference", "the unit is archived", "该单元已归档", "id");
  }
  KEEL_RETURN_IF_ERROR(change.problem);
  if (!change.entries || change.entries->size() > 100) {
    return Bad("validation.required", "entries must list at most 100 entries {action, mode, limit?, note?}",
               "entries 应为不超过 100 项的列表 {action, mode, limit?, note?}", "entries");
  }
  std::vector<Tier> tiers;
  for (size_t i = 0; i < change.entries->size(); ++i) {
    const BoundaryEntryDraft& e = (*change.entries)[i];
    std::string at = "entries[" + std::to_string(i) + "]";
    if (!e.problem.ok()) return e.problem.WithFieldPrefix(at);
    Tier t;
    t.action = e.action;
    if (!SnakeName(t.action, 40)) {
      return Bad("validation.parameter", at + ".action is expense, budget_transfer, discount, contract, price_change, member_change or a snake_case name",
                 at + ".action 应为 expense、budget_transfer、discount、contract、price_change、member_change 或小写下划线名称", at + ".action");
    }
    t.mode = e.mode;
    if (ModeRank(t.mode) >= static_cast<int>(kModes.size())) {
      return Bad("validation.enum", at + ".mode is alone, report or approval", at + ".mode 取值 alone、report 或 approval", at + ".mode");
    }
    if (e.limit) {
      auto fen = Fen(*e.limit, at + ".limit");
      if (!fen.ok()) return fen.status();
      t.limit = *fen;
    }
    if (e.note_mistyped || (e.note && CodePoints(*e.note) > 500)) {
      return Bad("validation.length", at + ".note is text of at most 500 characters", at + ".note 应为不超过 500 字的文本", at + ".note");
    }
    if (e.note) t.note = *e.note;
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
  KEEL_RETURN_IF_ERROR(repo::DeleteTiers(*conn, p.tenant_id, unit));
  std::string now = FormatTimestamp(clock_.NowMs());
  if (!tiers.empty()) {
    KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(static_cast<int64_t>(tiers.size())));
    for (size_t i = 0; i < tiers.size(); ++i) {
      tiers[i].id = ids[i];
      KEEL_RETURN_IF_ERROR(repo::InsertTier(*conn, p.tenant_id, unit, tiers[i], now, IdOrNone(p.user_id)));
    }
  }
  KEEL_RETURN_IF_ERROR(Audit(*conn, p, "update", "boundary_rules", unit, TiersJson(before), TiersJson(tiers), now));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return Boundaries(p, unit);
}

Result<BoundaryDecision> Governance::BoundaryFor(int64_t tenant, int64_t unit, const std::string& action, double amount) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(UnitRow u, FindUnit(*conn, tenant, unit));
  // A NaN amount is above every limit; a negative one is nothing.
  int64_t fen = std::isnan(amount) || amount > 1e15 ? std::numeric_limits<int64_t>::max() : std::llround(std::max(0.0, amount) * 100);
  std::vector<int64_t> chain = PathIds(u.path);
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    KEEL_ASSIGN_OR_RETURN(std::vector<Tier> tiers, UnitTiers(*conn, tenant, *it, action));
    if (auto d = DecideTiers(tiers, *it, fen)) return *d;
  }
  return BoundaryDecision{"approval", 0, 0, -1};
}

Result<BoundaryAnswer> Governance::Decide(const Principal& p, int64_t unit, const Query& query) {
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
    KEEL_ASSIGN_OR_RETURN(UnitRow u, FindUnit(*conn, p.tenant_id, unit, "id"));
    if (!SeesUnit(p, u)) return Status::NotFound("unit", "id");
  }
  if (!SnakeName(action, 40)) return Bad("validation.required", "action is required", "action 为必填项", "action");
  KEEL_ASSIGN_OR_RETURN(BoundaryDecision d, BoundaryFor(p.tenant_id, unit, action, amount));
  return BoundaryAnswer{action, amount, d};
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
  repo::ReportRow r;
  r.id = ids[0];
  r.unit_id = unit;
  r.action = action;
  r.object = TextOrNone(object);
  r.record_id = IdOrNone(record_id);
  r.amount_fen = fen;
  r.summary = TextOrNone(summary);
  r.rule_id = IdOrNone(d.rule_id);
  r.actor_id = IdOrNone(actor_id);
  r.at = FormatTimestamp(clock_.NowMs());
  KEEL_RETURN_IF_ERROR(repo::InsertReport(*conn, tenant, r));
  return ids[0];
}

Result<BoundaryReportReceipt> Governance::AddReport(const Principal& p, const BoundaryReportDraft& draft) {
  if (domain::IsReadOnly(p.role)) return Forbidden("forbidden", "read-only roles do not report actions", "只读角色不能报备");
  KEEL_RETURN_IF_ERROR(draft.problem);
  int64_t unit = draft.unit_id.value_or(p.unit_id);
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
    KEEL_ASSIGN_OR_RETURN(UnitRow u, FindUnit(*conn, p.tenant_id, unit));
    if (!IsHq(p) && u.path.rfind(p.unit_path, 0) != 0) {
      return Forbidden("forbidden", "you report only for your unit and the units under it", "只能为本单元及下级单元报备", "unit_id");
    }
  }
  const std::string& action = draft.action;
  if (!SnakeName(action, 40)) return Bad("validation.required", "action is required", "action 为必填项", "action");
  if (!draft.amount) return Bad("validation.required", "amount is required", "amount 为必填项", "amount");
  KEEL_ASSIGN_OR_RETURN(int64_t fen, Fen(*draft.amount, "amount"));
  const std::string& summary = draft.summary;
  if (summary.empty() || CodePoints(summary) > 1000) {
    return Bad("validation.required", "summary (what was decided, at most 1000 characters) is required", "summary（决定事项，不超过 1000 字）为必填项", "summary");
  }
  if (draft.record_id_mistyped) return Bad("validation.type", "record_id is an id", "record_id 应为 ID", "record_id");
  double amount = static_cast<double>(fen) / 100;
  KEEL_ASSIGN_OR_RETURN(BoundaryDecision d, BoundaryFor(p.tenant_id, unit, action, amount));
  if (d.mode == "approval") {
    std::string lim = d.limit < 0 ? "" : " (the limit is " + YuanText(std::llround(d.limit * 100)) + " yuan)";
    std::string lim_zh = d.limit < 0 ? "" : "（上限 " + YuanText(std::llround(d.limit * 100)) + " 元）";
    return Status::Error(ErrorKind::kUnprocessable, "boundary.needs_approval", action + " of " + YuanText(fen) + " yuan needs approval" + lim,
                         action + " " + YuanText(fen) + " 元需要审批" + lim_zh, "amount");
  }
  KEEL_ASSIGN_OR_RETURN(int64_t id, InsertReport(p.tenant_id, unit, action, draft.object, draft.record_id.value_or(0), amount, summary, p.user_id));
  return BoundaryReportReceipt{id, unit, action, amount, summary, d};
}

Result<NewestFirst<BoundaryReport>> Governance::Reports(const Principal& p, const Query& query) {
  bool all = IsHq(p) || domain::SeesWholeTenant(p.role);
  repo::ReportFilter f;
  f.limit = 50;
  for (const auto& [k, v] : query) {
    if (k == "unit_id") {
      KEEL_ASSIGN_OR_RETURN(f.unit_id, PositiveId(k, v));
    } else if (k == "action") {
      f.action = v;
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
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::ReportRow> rows, repo::LoadReports(*conn, p.tenant_id, f));
  NewestFirst<BoundaryReport> out;
  if (static_cast<int64_t>(rows.size()) > limit) {
    rows.resize(limit);
    out.next_after = rows.back().id;
  }
  for (auto& x : rows) {
    out.items.push_back({x.id, x.unit_id, std::move(x.unit), std::move(x.action), std::move(x.object), x.record_id,
                   static_cast<double>(x.amount_fen) / 100, std::move(x.summary), x.rule_id, x.actor_id, std::move(x.at)});
  }
  return out;
}

}  // namespace keel::org
