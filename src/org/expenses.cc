#include "org/expenses.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <spdlog/spdlog.h>

#include "domain/audit.h"
#include "domain/codec.h"
#include "domain/schema.h"
#include "events/event_log.h"
#include "org/governance/json.h"
#include "org/internal.h"
#include "org/money_json.h"
#include "org/store/expenses.h"
#include "org/workflow/json.h"

namespace keel::org {

namespace {

const std::vector<std::string> kKinds = {"airfare", "train", "hotel", "taxi", "meal", "entertainment", "gift", "conference", "materials", "other"};
const std::vector<std::string> kPer = {"item", "night", "person", "day"};

const domain::EntityDef& Expenses() { return *domain::FindEntity("expenses"); }

// Tier-1 cities (一线城市) have their own hotel and meal limits in most policies.
std::string CityTier(const std::string& city) {
  static const std::vector<std::string> kTier1 = {"北京", "上海", "广州", "深圳", "beijing", "shanghai", "guangzhou", "shenzhen"};
  std::string c = city;
  std::transform(c.begin(), c.end(), c.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  for (const auto& t : kTier1) {
    if (c.rfind(t, 0) == 0) return "tier1";
  }
  return "other";
}

// An expense line's kind as a Chinese reader knows it.
std::string KindZh(const std::string& kind) {
  static const std::map<std::string, std::string> kKinds = {
      {"airfare", "机票"}, {"train", "火车票"}, {"hotel", "住宿"}, {"taxi", "市内交通"}, {"meal", "餐费"},
      {"entertainment", "业务招待"}, {"gift", "礼品"}, {"conference", "会议费"}, {"materials", "物料"}, {"other", "其他"}};
  auto it = kKinds.find(kind);
  return it == kKinds.end() ? kind : it->second;
}

std::string PerZh(const std::string& per) {
  return per == "night" ? "每晚" : per == "person" ? "每人" : per == "day" ? "每天" : "每笔";
}

ExpensePolicy PolicyOf(const repo::ExpensePolicyRow& r) {
  return {.id = r.id, .unit_id = r.unit_id, .kind = r.kind, .per = r.per, .limit_fen = r.limit_fen, .city_tier = r.city_tier,
          .note = r.note.value_or("")};
}

}  // namespace

ExpenseService::ExpenseService(store::Database& db, domain::RecordService& records, ApprovalEngine& approvals, BudgetService& budgets,
                               Ledger& ledger, const Clock& clock)
    : db_(db), records_(records), approvals_(approvals), budgets_(budgets), ledger_(ledger), clock_(clock) {
  approvals_.OnDecision("expenses", [this](int64_t tenant, int64_t id, const std::string& decision) { OnDecision(tenant, id, decision); });
}

// ---- policy ----

Result<ExpensePolicy> ExpenseService::SavePolicy(const Principal& p, const ExpensePolicyDraft& draft) {
  if (!IsHq(p)) return Forbidden("only HQ sets the expense policy", "只有总部可以设置费用标准");
  KEEL_RETURN_IF_ERROR(draft.problem);
  const std::string& kind = draft.kind;
  if (std::find(kKinds.begin(), kKinds.end(), kind) == kKinds.end()) {
    return Bad("validation.enum", "kind is one of: airfare, train, hotel, taxi, meal, entertainment, gift, conference, materials, other",
               "kind 只能取：airfare、train、hotel、taxi、meal、entertainment、gift、conference、materials、other", "kind");
  }
  const std::string& per = draft.per;
  if (std::find(kPer.begin(), kPer.end(), per) == kPer.end()) {
    return Bad("validation.enum", "per is one of: item, night, person, day", "per 只能取：item、night、person、day", "per");
  }
  if (!draft.limit) return Bad("validation.required", "limit is required", "limit 为必填项", "limit");
  KEEL_ASSIGN_OR_RETURN(int64_t limit, Fen(*draft.limit, "limit"));
  const std::string& tier = draft.city_tier;
  if (!tier.empty() && tier != "tier1" && tier != "other") {
    return Bad("validation.enum", "city_tier is tier1 or other", "city_tier 只能取 tier1 或 other", "city_tier");
  }
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  int64_t unit = 0;
  if (draft.unit_id.mistyped) return Bad("validation.type", "unit_id is an id", "unit_id 应为 ID", "unit_id");
  if (draft.unit_id.value) {
    unit = *draft.unit_id.value;
    if (!UnitPathOf(*conn, p.tenant_id, unit).ok()) return Bad("validation.reference", "no such unit in this tenant", "本租户没有该单元", "unit_id");
  }
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
  const TimeMs now = clock_.NowMs();
  repo::ExpensePolicyRow rule = {.id = ids[0], .kind = kind, .per = per, .limit_fen = limit};
  if (unit) rule.unit_id = unit;
  if (!tier.empty()) rule.city_tier = tier;
  if (!draft.note.empty()) rule.note = draft.note;
  KEEL_RETURN_IF_ERROR(repo::InsertExpensePolicy(*conn, p.tenant_id, rule, FormatTimestamp(now), ActorOf(p)));
  ExpensePolicy out = PolicyOf(rule);
  KEEL_RETURN_IF_ERROR(domain::AuditChange(*conn, p, now, {"create", "expense_policies", ids[0], nullptr, ToJson(out)}));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return out;
}

Result<std::vector<ExpensePolicy>> ExpenseService::Policies(const Principal& p) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::ExpensePolicyRow> rules, repo::ListExpensePolicies(*conn, p.tenant_id));
  std::vector<ExpensePolicy> items;
  for (const auto& r : rules) items.push_back(PolicyOf(r));
  return items;
}

Status ExpenseService::ArchivePolicy(const Principal& p, int64_t id) {
  if (!IsHq(p)) return Forbidden("only HQ changes the expense policy", "只有总部可以修改费用标准");
  return ArchiveRule(db_, p, clock_.NowMs(), "expense_policies", id, "expense policy");
}

Result<PolicyCheck> ExpenseService::Check(store::Connection& conn, int64_t tenant, const json& claim) {
  int64_t unit = claim.value("unit_id", json(0)).is_number_integer() ? claim["unit_id"].get<int64_t>() : 0;
  KEEL_ASSIGN_OR_RETURN(std::string path, UnitPathOf(conn, tenant, unit));
  std::vector<int64_t> chain = PathIds(path);
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::ExpensePolicyRow> rules, repo::LoadExpensePolicies(conn, tenant));
  // The rule for a line: the deepest unit on the path (tenant-wide rules last), a rule for the
  // line's city tier over one for any city.
  auto rule_for = [&](const std::string& kind, const std::string& tier) -> const repo::ExpensePolicyRow* {
    const repo::ExpensePolicyRow* best = nullptr;
    int best_rank = -1;
    for (const auto& rule : rules) {
      if (rule.kind != kind) continue;
      if (rule.city_tier && *rule.city_tier != tier) continue;
      int depth = 0;
      if (rule.unit_id) {
        auto it = std::find(chain.begin(), chain.end(), *rule.unit_id);
        if (it == chain.end()) continue;
        depth = static_cast<int>(it - chain.begin()) + 1;
      }
      int rank = depth * 2 + (rule.city_tier ? 1 : 0);
      if (rank > best_rank) best_rank = rank, best = &rule;
    }
    return best;
  };
  PolicyCheck out;
  std::map<std::pair<std::string, std::string>, int64_t> per_day;  // (kind, day) → spent so far
  const json& ls = claim.contains("lines") && claim["lines"].is_array() ? claim["lines"] : json::array();
  for (size_t i = 0; i < ls.size(); ++i) {
    const json& l = ls[i];
    std::string kind = l.value("kind", ""), day = l.value("day", "");
    std::string city = l.value("city", json("")).is_string() ? l.value("city", "") : "";
    int64_t amount = std::llround(l.value("amount", 0.0) * 100);
    PolicyLine line{.line_no = static_cast<int64_t>(i + 1), .kind = kind, .day = day, .amount_fen = amount,
                    .has_receipt = l.value("has_receipt", json(false)).is_boolean() && l["has_receipt"].get<bool>()};
    const auto* rule = rule_for(kind, CityTier(city));
    if (rule != nullptr) {
      std::string per = rule->per;
      int64_t limit = rule->limit_fen;
      int64_t allowed = limit;
      int64_t counted = amount;
      if (per == "night") allowed = limit * (l.value("nights", json(1)).is_number_integer() ? l["nights"].get<int64_t>() : 1);
      if (per == "person") allowed = limit * (l.value("attendees", json(1)).is_number_integer() ? l["attendees"].get<int64_t>() : 1);
      if (per == "day") counted = (per_day[{kind, day}] += amount);
      line.within_policy = counted <= allowed;
      out.within_policy = out.within_policy && line.within_policy;
      line.limit = PolicyLine::Limit{.rule_id = rule->id, .per = per, .limit_fen = limit, .allowed_fen = allowed};
      if (!line.within_policy) {
        line.message_en = kind + " " + YuanText(counted) + " is over the policy's " + YuanText(allowed) + " (" + YuanText(limit) + " per " + per + ")";
        line.message_zh = KindZh(kind) + " " + YuanText(counted) + " 元超出标准 " + YuanText(allowed) + " 元（" + PerZh(per) + " " + YuanText(limit) + " 元）";
      }
    }
    out.lines.push_back(std::move(line));
  }
  const json& missing = claim.value("missing_receipts", json(0));
  out.missing_receipts = missing.is_number_integer() ? missing.get<int64_t>() : 0;
  return out;
}

Result<PolicyCheck> ExpenseService::CheckPolicy(const Principal& p, int64_t id) {
  KEEL_ASSIGN_OR_RETURN(json claim, records_.Get(p, Expenses(), id));
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  return Check(*conn, p.tenant_id, claim);
}

// ---- submission, decisions, posting ----

Result<ClaimSubmitted> ExpenseService::Submit(const Principal& p, int64_t id, const ClaimSubmission& submission) {
  if (domain::IsReadOnly(p.role)) return Forbidden("read-only roles do not submit claims", "只读角色不能提交报销");
  KEEL_ASSIGN_OR_RETURN(json claim, records_.Get(p, Expenses(), id));
  if (claim.value("owner_id", json(0)) != json(p.user_id)) {
    return Forbidden("only the claimant submits their claim", "只有报销人本人可以提交报销单");
  }
  KEEL_RETURN_IF_ERROR(submission.problem);
  std::string status = claim.value("status", "");
  if (status != "draft" && status != "rejected") {
    return Status::Error(ErrorKind::kConflict, "expense.status", "only a draft (or rejected) claim is submitted; this one is " + status,
                         "只有草稿（或已驳回）的报销单可以提交；当前状态为 " + status, "status");
  }
  std::string day;
  for (const auto& l : claim["lines"]) day = std::max(day, l.value("day", std::string()));
  int64_t total = std::llround(claim.value("total", 0.0) * 100);
  int64_t budget = 0;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
    KEEL_ASSIGN_OR_RETURN(PolicyCheck policy, Check(*conn, p.tenant_id, claim));
    for (const auto& l : policy.lines) {
      if (!l.within_policy) {
        return Status::Error(ErrorKind::kUnprocessable, "expense.over_policy", l.message_en, l.message_zh,
                             "lines[" + std::to_string(l.line_no - 1) + "].amount");
      }
    }
  }
  json compliance = json::object();
  if (governance_ != nullptr) {
    KEEL_ASSIGN_OR_RETURN(ComplianceOutcome outcome, governance_->Check(p, "expenses", "submit", id, claim, submission.override_reason));
    compliance = ToJson(outcome);
  }
  // The budget is committed now, so two claims cannot both spend its last yuan.
  auto found = budgets_.Find(p.tenant_id, claim["unit_id"].get<int64_t>(), claim["category"].get<std::string>(), day);
  if (!found.ok()) {
    if (found.status().kind() != ErrorKind::kNotFound) return found.status();
    return Status::Error(ErrorKind::kUnprocessable, "budget.none", found.status().message_en(), found.status().message_zh(), "category");
  }
  budget = *found;
  Principal sys = Principal::System(p.tenant_id);
  // The claim's slot first (one submission at a time, still a draft or rejected), then the money:
  // two concurrent submissions cannot both commit it.
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
    KEEL_ASSIGN_OR_RETURN(int64_t claimed, repo::ClaimBudgetSlot(*conn, p.tenant_id, id, budget));
    if (claimed != 1) {
      return Status::Error(ErrorKind::kConflict, "expense.status", "the claim is already being submitted or decided",
                           "报销单正在提交或审批中", "status");
    }
  }
  auto spent = budgets_.Spend(sys, budget, {.amount = Yuan(total), .note = "报销 · " + claim.value("title", ""), .source_object = "expenses",
                                            .source_id = id});
  if (!spent.ok()) {
    KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
    (void)repo::FreeBudgetSlot(*conn, p.tenant_id, id, budget);
    return spent.status();
  }
  // Within the unit's authority the claim is approved at once (and, for "report", HQ is told).
  if (governance_ != nullptr) {
    auto decision = governance_->BoundaryFor(p.tenant_id, claim["unit_id"].get<int64_t>(), "expense", Yuan(total));
    if (!decision.ok()) {
      OnDecision(p.tenant_id, id, "recalled");
      return decision.status();
    }
    if (decision->mode == "alone" || decision->mode == "report") {
      if (decision->mode == "report") {
        Status reported = governance_->Report(p.tenant_id, claim["unit_id"].get<int64_t>(), "expense", "expenses", id, Yuan(total),
                                              claim.value("title", ""), p.user_id);
        if (!reported.ok()) {
          OnDecision(p.tenant_id, id, "recalled");
          return reported;
        }
      }
      KEEL_ASSIGN_OR_RETURN(json updated, records_.Update(sys, Expenses(), id, {{"status", "approved"}}));
      KEEL_ASSIGN_OR_RETURN(Budget b, budgets_.Get(sys, budget));
      b.entries.reset();
      ClaimBoundary boundary{.mode = decision->mode, .unit_id = decision->unit_id};
      if (decision->limit >= 0) boundary.limit = decision->limit;
      return ClaimSubmitted{.expense = std::move(updated), .approval = nullptr, .boundary = boundary, .budget = std::move(b),
                            .compliance = compliance};
    }
  }
  if (!submission.comment_problem.ok()) {
    OnDecision(p.tenant_id, id, "recalled");  // nothing waits for a decision: the money goes back
    return submission.comment_problem;
  }
  SubmitRequest submit{.object = "expenses", .record_id = id, .definition = std::string("expense_claim"),
                       .comment = submission.comment.value_or(""), .problem = {}};
  auto request = approvals_.Submit(p, submit, /*via_service=*/true);
  if (!request.ok()) {
    OnDecision(p.tenant_id, id, "recalled");  // nothing waits for a decision: the money goes back
    return request.status();
  }
  if (request->not_needed()) {
    // The workflow's entry condition says no approval is needed: approved, the money stays committed.
    KEEL_ASSIGN_OR_RETURN(json updated, records_.Update(sys, Expenses(), id, {{"status", "approved"}}));
    return ClaimSubmitted{.expense = std::move(updated), .approval = ToJson(*request), .boundary = {.mode = "approval"}, .compliance = compliance};
  }
  KEEL_ASSIGN_OR_RETURN(json updated, records_.Get(p, Expenses(), id));
  KEEL_ASSIGN_OR_RETURN(Budget b, budgets_.Get(sys, budget));
  b.entries.reset();
  return ClaimSubmitted{.expense = std::move(updated), .approval = ToJson(*request), .boundary = {.mode = "approval"}, .budget = std::move(b),
                        .compliance = compliance};
}

void ExpenseService::OnDecision(int64_t tenant, int64_t id, const std::string& decision) {
  if (decision == "approved") return;
  // Rejected or recalled: the committed money goes back to the budget, once.
  int64_t budget = 0, total = 0;
  {
    auto conn = db_.Acquire();
    if (!conn.ok()) return;
    auto r = repo::LoadClaim(**conn, tenant, id);
    if (!r.ok() || !r->has_value() || !(*r)->budget_id) return;
    budget = *(*r)->budget_id;
    total = (*r)->total_fen;
    auto n = repo::FreeBudgetSlot(**conn, tenant, id, budget);
    if (!n.ok() || *n != 1) return;  // someone else released it
  }
  auto r = budgets_.Release(Principal::System(tenant), budget,
                            {.amount = Yuan(total), .note = decision == "rejected" ? "报销驳回，释放预算" : "报销撤回，释放预算",
                             .source_object = "expenses", .source_id = id});
  if (!r.ok()) spdlog::warn("expenses: releasing budget {} for claim {} of tenant {} failed: {}", budget, id, tenant, r.status().ToString());
}

Result<json> ExpenseService::Post(const Principal& p, int64_t id) {
  if (!IsHq(p)) return Forbidden("only HQ posts claims to the ledger", "只有总部可以将报销入账");
  Principal sys = Principal::System(p.tenant_id);
  KEEL_ASSIGN_OR_RETURN(json claim, records_.Get(p, Expenses(), id));
  std::string period;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
    KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
    KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
    KEEL_ASSIGN_OR_RETURN(std::optional<repo::ClaimRow> r, repo::LoadClaim(*conn, p.tenant_id, id));
    if (!r) return Status::NotFound("expense");
    std::string status = r->status;
    if (status != "approved" || r->ledger_period) {
      return Status::Error(ErrorKind::kConflict, "expense.status", "only an approved claim is posted; this one is " + status,
                           "只有已批准的报销单可以入账；当前状态为 " + status, "status");
    }
    std::string day;
    for (const auto& l : claim["lines"]) day = std::max(day, l.value("day", std::string()));
    KEEL_ASSIGN_OR_RETURN(period, ledger_.OpenPeriodFor(*conn, p.tenant_id, day));
    if (period != day.substr(0, 7)) day = period + "-01";
    KEEL_RETURN_IF_ERROR(ledger_.Append(*conn, p.tenant_id, r->unit_id, r->owner_id.value_or(0), period, day, "expense:" + r->category,
                                        r->total_fen, "expenses", id, r->title, p.user_id));
    KEEL_ASSIGN_OR_RETURN(int64_t marked, repo::MarkClaimPosted(*conn, p.tenant_id, id, period));
    if (marked != 1) {
      return Status::Error(ErrorKind::kConflict, "expense.status", "the claim is already posted", "报销单已入账", "status");
    }
    KEEL_RETURN_IF_ERROR(tx.Commit());
  }
  return records_.Update(sys, Expenses(), id, {{"status", "posted"}});
}

}  // namespace keel::org
