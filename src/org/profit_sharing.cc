#include "org/profit_sharing.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "domain/audit.h"
#include "domain/codec.h"
#include "domain/unit_tree.h"
#include "events/event_log.h"
#include "formula/formula.h"
#include "org/internal.h"
#include "org/money_json.h"
#include "org/store/profit_sharing.h"
#include "org/store/shared.h"

namespace keel::org {

namespace {

const std::vector<std::string> kSplits = {"revenue", "gross_margin", "equal", "formula"};

// The names a pool formula reads (a unit's month), and a weight formula (a person's month).
const std::vector<std::string> kPoolFields = {"revenue", "cogs", "gross_margin", "expenses", "commissions", "contribution_margin",
                                              "allocations", "operating_profit", "orders", "headcount", "target"};
const std::vector<std::string> kPersonFields = {"revenue", "cogs", "gross_margin", "commissions", "expenses", "orders", "target"};

std::vector<formula::FieldInfo> Infos(const std::vector<std::string>& names) {
  std::vector<formula::FieldInfo> out;
  for (const auto& n : names) out.push_back({n, formula::Type::kNumber});
  return out;
}

struct Zh {
  const char* key;
  const char* zh;
};
const Zh kLabels[] = {{"revenue", "营业收入"},       {"cogs", "销售成本"},         {"gross_margin", "毛利"},
                      {"expenses", "费用"},          {"commissions", "销售提成"},  {"contribution_margin", "贡献毛利"},
                      {"allocations", "总部分摊"},   {"operating_profit", "经营利润"}, {"orders", "订单数"},
                      {"headcount", "人数"},         {"target", "销售目标"}};
std::string LabelZh(const std::string& k) {
  for (const auto& l : kLabels) {
    if (k == l.key) return l.zh;
  }
  return k;
}

std::string Num(double v, bool money) {
  if (money) return YuanText(std::llround(v * 100));
  char b[32];
  std::snprintf(b, sizeof b, "%g", v);
  return b;
}

// The values of `names` for figures `f` (yuan), with headcount and target.
std::vector<double> Values(const std::vector<std::string>& names, const PnlFigures& f, double headcount, double target) {
  std::vector<double> out;
  for (const auto& n : names) {
    double v = 0;
    if (n == "revenue") v = Yuan(f.revenue);
    else if (n == "cogs") v = Yuan(f.cogs);
    else if (n == "gross_margin") v = Yuan(f.gross_margin());
    else if (n == "expenses") v = Yuan(f.expenses);
    else if (n == "commissions") v = Yuan(f.commissions);
    else if (n == "contribution_margin") v = Yuan(f.contribution_margin());
    else if (n == "allocations") v = Yuan(f.allocations);
    else if (n == "operating_profit") v = Yuan(f.operating_profit());
    else if (n == "orders") v = static_cast<double>(f.orders);
    else if (n == "headcount") v = headcount;
    else if (n == "target") v = target;
    out.push_back(v);
  }
  return out;
}

Result<double> Evaluate(const formula::Formula& f, const std::vector<double>& values) {
  std::vector<formula::Value> vals;
  for (double v : values) vals.push_back(formula::Value::Number(v));
  formula::Arena arena;
  formula::EvalContext ctx;
  ctx.arena = &arena;
  formula::Value v = f.Eval(vals, ctx);
  if (v.type == formula::Type::kBlank) return 0.0;
  if (v.type != formula::Type::kNumber || !std::isfinite(v.number)) {
    return Status::Error(ErrorKind::kUnprocessable, "profit_sharing.formula", "the formula gives no number for these figures",
                         "公式对这些数据算不出数值", "pool_formula");
  }
  return v.number;
}

// "contribution_margin = 182,340.00; …" for the fields a formula reads.
std::pair<std::string, std::string> Inputs(const formula::Formula& f, const std::vector<std::string>& names, const std::vector<double>& values) {
  std::string en, zh;
  for (int i : f.fields_used()) {
    bool money = names[i] != "orders" && names[i] != "headcount";
    en += (en.empty() ? "" : "; ") + names[i] + " = " + Num(values[i], money);
    zh += (zh.empty() ? "" : "；") + LabelZh(names[i]) + " = " + Num(values[i], money) + (money ? " 元" : "");
  }
  return {en, zh};
}

ProfitSharingRule RuleOf(const repo::ProfitRuleRow& r) {
  return {.id = r.id, .name = r.name, .unit_id = r.unit_id, .pool_formula = r.pool_formula, .split = r.split,
          .weight_formula = r.weight_formula, .description = r.description.value_or("")};
}

}  // namespace

// A rule compiled for a run: its pool formula and, for a formula split, its weight formula.
struct ProfitSharing::CompiledRule {
  repo::ProfitRuleRow row;
  nlohmann::json as_json;  // as the statements' detail shows it
  formula::Formula pool;
  std::optional<formula::Formula> weight;
};

ProfitSharing::ProfitSharing(store::Database& db, Ledger& ledger, const Clock& clock) : db_(db), ledger_(ledger), clock_(clock) {}

Result<ProfitSharingRule> ProfitSharing::SaveRule(const Principal& p, const ProfitRuleDraft& draft) {
  if (!IsHq(p)) return Forbidden("only HQ sets profit-sharing rules", "只有总部可以设置利润分成规则");
  KEEL_RETURN_IF_ERROR(draft.problem);
  const std::string& name = draft.name;
  if (name.empty() || name.size() > 200) return Bad("validation.required", "name is required (at most 200 bytes)", "name 为必填项（不超过 200 字节）", "name");
  const std::string& pool = draft.pool_formula;
  if (pool.empty()) return Bad("validation.required", "pool_formula is required", "pool_formula 为必填项", "pool_formula");
  {
    auto f = formula::Formula::Compile(pool, Infos(kPoolFields), formula::Type::kNumber);
    if (!f.ok()) return f.status().WithField("pool_formula");
  }
  const std::string& split = draft.split;
  if (std::find(kSplits.begin(), kSplits.end(), split) == kSplits.end()) {
    return Bad("validation.enum", "split is one of: revenue, gross_margin, equal, formula", "split 只能取：revenue、gross_margin、equal、formula", "split");
  }
  std::string weight = draft.weight_formula;
  if (split == "formula") {
    if (weight.empty()) return Bad("validation.required", "a formula split needs weight_formula", "按公式分配需要 weight_formula", "weight_formula");
    auto f = formula::Formula::Compile(weight, Infos(kPersonFields), formula::Type::kNumber);
    if (!f.ok()) return f.status().WithField("weight_formula");
  } else {
    weight.clear();
  }
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  int64_t unit = 0;
  if (draft.unit_id.mistyped) return Bad("validation.type", "unit_id is an id", "unit_id 应为 ID", "unit_id");
  if (draft.unit_id.value) {
    unit = *draft.unit_id.value;
    if (!UnitPathOf(*conn, p.tenant_id, unit).ok()) return Bad("validation.reference", "no such unit in this tenant", "本租户没有该单元", "unit_id");
  }
  const std::string& description = draft.description;
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
  const TimeMs now = clock_.NowMs();
  repo::ProfitRuleRow rule = {.id = ids[0], .name = name, .pool_formula = pool, .split = split};
  if (unit) rule.unit_id = unit;
  if (!weight.empty()) rule.weight_formula = weight;
  if (!description.empty()) rule.description = description;
  KEEL_RETURN_IF_ERROR(repo::InsertProfitRule(*conn, p.tenant_id, rule, FormatTimestamp(now), ActorOf(p)));
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::ProfitRuleRow> stored, repo::LoadProfitRule(*conn, p.tenant_id, ids[0]));
  if (!stored) return Status::Internal("profit-sharing rule " + std::to_string(ids[0]) + " was not stored");
  ProfitSharingRule out = RuleOf(*stored);
  KEEL_RETURN_IF_ERROR(domain::AuditChange(*conn, p, now, {"create", "profit_sharing_rules", ids[0], nullptr, ToJson(out)}));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return out;
}

Result<ProfitSharingRules> ProfitSharing::Rules(const Principal& p) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::ProfitRuleRow> rules, repo::LoadProfitRules(*conn, p.tenant_id));
  ProfitSharingRules out{.pool_fields = kPoolFields, .person_fields = kPersonFields};
  for (const auto& r : rules) out.items.push_back(RuleOf(r));
  return out;
}

Status ProfitSharing::ArchiveRule(const Principal& p, int64_t id) {
  if (!IsHq(p)) return Forbidden("only HQ changes profit-sharing rules", "只有总部可以修改利润分成规则");
  return org::ArchiveRule(db_, p, clock_.NowMs(), "profit_sharing_rules", id, "profit-sharing rule");
}

Result<ProfitSharingRun> ProfitSharing::Run(const Principal& p, const ProfitSharingRunRequest& run) {
  if (!IsHq(p)) return Forbidden("only HQ runs profit sharing", "只有总部可以计算利润分成");
  KEEL_RETURN_IF_ERROR(run.problem);
  const std::string& period = run.period;
  KEEL_RETURN_IF_ERROR(CheckMonth(period));
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  if (run.rule_id.mistyped) return Bad("validation.type", "rule_id is an id", "rule_id 应为 ID", "rule_id");
  std::optional<int64_t> only = run.rule_id.value;
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::ProfitRuleRow> rules, repo::LoadProfitRules(*conn, p.tenant_id, only));
  if (rules.empty()) return Status::NotFound("profit-sharing rule", "rule_id");
  bool closed = ledger_.IsClosed(*conn, p.tenant_id, period);
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::UnitRow> units, repo::LoadProfitCentres(*conn, p.tenant_id));
  std::string now = FormatTimestamp(clock_.NowMs());
  ProfitSharingRun out{.period = period};
  for (const auto& rule_row : rules) {
    int64_t rule_id = rule_row.id;
    if (closed) {
      KEEL_ASSIGN_OR_RETURN(bool final, repo::HasStatements(*conn, p.tenant_id, period, rule_id));
      if (final) {
        return Status::Error(ErrorKind::kConflict, "profit_sharing.final", period + " is closed: its statements are final",
                             period + " 已结账，分成结果不能再改", "period");
      }
    }
    KEEL_ASSIGN_OR_RETURN(formula::Formula pool_f, formula::Formula::Compile(rule_row.pool_formula, Infos(kPoolFields), formula::Type::kNumber));
    CompiledRule rule{rule_row, ToJson(RuleOf(rule_row)), std::move(pool_f), std::nullopt};
    if (rule_row.split == "formula") {
      KEEL_ASSIGN_OR_RETURN(formula::Formula wf, formula::Formula::Compile(rule_row.weight_formula.value_or(""), Infos(kPersonFields),
                                                                          formula::Type::kNumber));
      rule.weight.emplace(std::move(wf));
    }
    std::string scope = "/";
    if (rule_row.unit_id) {
      KEEL_ASSIGN_OR_RETURN(scope, UnitPathOf(*conn, p.tenant_id, *rule_row.unit_id));
    }
    KEEL_RETURN_IF_ERROR(repo::DeleteStatements(*conn, p.tenant_id, period, rule_id));
    for (const auto& u : units) {
      if (u.path.rfind(scope, 0) != 0) continue;
      KEEL_ASSIGN_OR_RETURN(UnitShare share, ShareUnit(*conn, p, period, rule, u.id, u.path, u.name, now, out.statements));
      out.units.push_back(std::move(share));
    }
  }
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return out;
}

// One unit's pool under one rule, split among its people: a statement per person.
Result<UnitShare> ProfitSharing::ShareUnit(store::Connection& conn, const Principal& p, const std::string& period, const CompiledRule& r, int64_t unit,
                                      const std::string& path, const std::string& unit_name, const std::string& now, int64_t& statements) {
  const json& rule = r.as_json;
  const std::string& split = r.row.split;
  const std::string weight_formula = r.row.weight_formula.value_or("");
  KEEL_ASSIGN_OR_RETURN(PnlFigures f, ledger_.Figures(conn, p.tenant_id, path, period));
  // The people: active sellers of the subtree, and anyone the month's entries name there.
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::PersonRow> people,
                        repo::LoadSharingPeople(conn, p.tenant_id, domain::UnitTree::SubtreePattern(path), period));
  KEEL_ASSIGN_OR_RETURN(double unit_target, repo::RevenueTarget(conn, p.tenant_id, unit, 0, period));
  std::vector<double> unit_values = Values(kPoolFields, f, static_cast<double>(people.size()), unit_target);
  KEEL_ASSIGN_OR_RETURN(double pool_yuan, Evaluate(r.pool, unit_values));
  int64_t pool = std::max<int64_t>(0, std::llround(pool_yuan * 100));
  auto [inputs_en, inputs_zh] = Inputs(r.pool, kPoolFields, unit_values);
  std::vector<double> weights;
  std::vector<json> bases;
  for (const auto& person : people) {
    KEEL_ASSIGN_OR_RETURN(PnlFigures pf, ledger_.Figures(conn, p.tenant_id, path, period, person.id));
    KEEL_ASSIGN_OR_RETURN(double target, repo::RevenueTarget(conn, p.tenant_id, unit, person.id, period));
    std::vector<double> pv = Values(kPersonFields, pf, 1, target);
    double w = 1;
    json basis = {{"revenue", Yuan(pf.revenue)}, {"gross_margin", Yuan(pf.gross_margin())}, {"orders", pf.orders}, {"target", target}};
    if (split == "revenue") w = Yuan(pf.revenue);
    if (split == "gross_margin") w = Yuan(pf.gross_margin());
    if (r.weight) {
      KEEL_ASSIGN_OR_RETURN(w, Evaluate(*r.weight, pv));
      basis["inputs_en"] = Inputs(*r.weight, kPersonFields, pv).first;
      basis["inputs_zh"] = Inputs(*r.weight, kPersonFields, pv).second;
    }
    weights.push_back(std::max(0.0, w));
    basis["weight"] = std::max(0.0, w);
    bases.push_back(basis);
  }
  std::vector<int64_t> amounts = SplitExact(pool, weights);
  double weight_total = 0;
  for (double w : weights) weight_total += w;
  bool equal_fallback = weight_total <= 0 && split != "equal";
  std::string basis_en = split == "formula" ? "weight (" + weight_formula + ")" : split == "equal" ? "an equal share" : split;
  std::string basis_zh = split == "revenue"        ? "销售额"
                         : split == "gross_margin" ? "毛利"
                         : split == "equal"        ? "平均分配"
                                                   : "权重（" + weight_formula + "）";
  const std::string n_people = std::to_string(people.size());
  for (size_t i = 0; i < people.size(); ++i) {
    double share = weight_total > 0 ? weights[i] / weight_total : 1.0 / static_cast<double>(people.size());
    double share_pct = std::round(share * 10000) / 100;
    bool money = split != "formula";
    std::vector<std::string> en = {
        unit_name + " " + period + ": " + inputs_en,
        "pool = " + r.row.pool_formula + " = " + YuanText(pool) + (pool_yuan < 0 ? " (negative: no pool)" : ""),
        equal_fallback ? "nobody has a " + basis_en + " this month: the pool is split equally among " + n_people
                       : "your " + basis_en + " " + Num(weights[i], money) + " of the unit's " + Num(weight_total, money) + " = " +
                             Num(share_pct, false) + " %",
        "your share = " + YuanText(amounts[i]) + " yuan"};
    std::vector<std::string> zh = {
        unit_name + " " + period + "：" + inputs_zh,
        "分成池 = " + r.row.pool_formula + " = " + YuanText(pool) + " 元" + (pool_yuan < 0 ? "（为负，不分成）" : ""),
        equal_fallback ? "本月无人有" + basis_zh + "，分成池由 " + n_people + " 人平分"
                       : "您的" + basis_zh + " " + Num(weights[i], money) + "，占战队合计 " + Num(weight_total, money) + " 的 " +
                             Num(share_pct, false) + "%",
        "您分得 " + YuanText(amounts[i]) + " 元"};
    json detail = {{"rule", rule},
                   {"unit", {{"id", unit}, {"name", unit_name}}},
                   {"unit_figures", Ledger::FiguresJson(f)},
                   {"unit_target", unit_target},
                   {"pool", Yuan(pool)},
                   {"pool_raw", pool_yuan},
                   {"basis", bases[i]},
                   {"basis_total", weight_total},
                   {"share_pct", share_pct},
                   {"people", static_cast<int64_t>(people.size())},
                   {"steps_en", en},
                   {"steps_zh", zh}};
    KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn.AllocateIds(1));
    KEEL_RETURN_IF_ERROR(repo::InsertStatement(conn, p.tenant_id,
                                               {.id = ids[0], .period = period, .rule_id = r.row.id, .unit_id = unit, .user_id = people[i].id,
                                                .pool_fen = pool, .amount_fen = amounts[i], .detail = detail.dump(), .computed_at = now},
                                               ActorOf(p)));
    ++statements;
  }
  return UnitShare{.rule_id = r.row.id, .unit_id = unit, .unit = unit_name, .pool_fen = pool, .people = static_cast<int64_t>(people.size())};
}

Result<std::vector<ProfitStatement>> ProfitSharing::Statements(const Principal& p, const std::vector<std::pair<std::string, std::string>>& query) {
  repo::StatementFilter filter;
  for (const auto& [k, v] : query) {
    if (k == "period") {
      KEEL_RETURN_IF_ERROR(CheckMonth(v));
      filter.period = v;
    } else if (k == "unit_id" || k == "user_id" || k == "rule_id" || k == "id") {
      char* end = nullptr;
      long long x = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end || x <= 0) return Bad("validation.parameter", k + " must be a positive id", k + " 应为正整数 ID", k);
      (k == "unit_id" ? filter.unit_id : k == "user_id" ? filter.user_id : k == "rule_id" ? filter.rule_id : filter.id) = static_cast<int64_t>(x);
    } else {
      return Bad("validation.parameter", "unknown parameter '" + k + "'", "未知参数 '" + k + "'", k);
    }
  }
  // Everyone sees their own; unit leads their subtree; supervisors their direct reports; HQ all.
  using Scope = repo::StatementFilter::Scope;
  if (!p.is_system() && !domain::SeesWholeTenant(p.role)) {
    filter.viewer = p.user_id;
    filter.scope = p.role == domain::Role::kUnitLead ? Scope::kOwnAndSubtree : p.role == domain::Role::kSupervisor ? Scope::kOwnAndReports : Scope::kOwn;
    filter.viewer_subtree = domain::UnitTree::SubtreePattern(p.unit_path);
  }
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::StatementRow> rows, repo::LoadStatements(*conn, p.tenant_id, filter));
  std::vector<ProfitStatement> items;
  for (const auto& s : rows) {
    items.push_back({.id = s.id, .period = s.period, .rule_id = s.rule_id, .unit_id = s.unit_id, .unit = s.unit, .user_id = s.user_id,
                     .user = s.user, .pool_fen = s.pool_fen, .amount_fen = s.amount_fen, .computed_at = s.computed_at});
  }
  return items;
}

Result<ProfitStatement> ProfitSharing::Statement(const Principal& p, int64_t id) {
  KEEL_ASSIGN_OR_RETURN(std::vector<ProfitStatement> list, Statements(p, {{"id", std::to_string(id)}}));
  if (list.empty()) return Status::NotFound("statement");
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::optional<std::string> detail, repo::StatementDetail(*conn, p.tenant_id, id));
  if (!detail) return Status::NotFound("statement");
  ProfitStatement out = std::move(list[0]);
  out.detail = nlohmann::json::parse(*detail, nullptr, false);
  return out;
}

}  // namespace keel::org
