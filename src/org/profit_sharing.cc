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

namespace keel::org {

using store::Value;

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

Result<double> TargetOf(store::Connection& conn, int64_t tenant, int64_t unit, int64_t user, const std::string& period) {
  std::vector<Value> q = {tenant, period};
  std::string sql = "SELECT value FROM targets WHERE tenant_id = ? AND period = ? AND metric = 'revenue' AND archived_at IS NULL AND ";
  if (user) {
    sql += "user_id = ?";
    q.emplace_back(user);
  } else {
    sql += "unit_id = ? AND user_id IS NULL";
    q.emplace_back(unit);
  }
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn.Query(sql, q));
  return r.empty() ? 0.0 : store::AsDouble(r.rows[0][0]);
}

json RuleJson(const std::vector<Value>& row) {
  return {{"id", store::AsInt(row[0])},
          {"name", store::AsText(row[1])},
          {"unit_id", store::IsNull(row[2]) ? json(nullptr) : json(store::AsInt(row[2]))},
          {"pool_formula", store::AsText(row[3])},
          {"split", store::AsText(row[4])},
          {"weight_formula", store::IsNull(row[5]) ? json(nullptr) : json(store::AsText(row[5]))},
          {"description", store::IsNull(row[6]) ? json("") : json(store::AsText(row[6]))}};
}

const char* kRuleColumns = "id, name, unit_id, pool_formula, split, weight_formula, description";

}  // namespace

ProfitSharing::ProfitSharing(store::Database& db, Ledger& ledger, const Clock& clock) : db_(db), ledger_(ledger), clock_(clock) {}

Result<json> ProfitSharing::SaveRule(const Principal& p, const json& body) {
  if (!IsHq(p)) return Forbidden("only HQ sets profit-sharing rules", "只有总部可以设置利润分成规则");
  KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"name", "unit_id", "pool_formula", "split", "weight_formula", "description"}));
  std::string name = body.value("name", json("")).is_string() ? body.value("name", "") : "";
  if (name.empty() || name.size() > 200) return Bad("validation.required", "name is required (at most 200 bytes)", "name 为必填项（不超过 200 字节）", "name");
  std::string pool = body.value("pool_formula", json("")).is_string() ? body.value("pool_formula", "") : "";
  if (pool.empty()) return Bad("validation.required", "pool_formula is required", "pool_formula 为必填项", "pool_formula");
  {
    auto f = formula::Formula::Compile(pool, Infos(kPoolFields), formula::Type::kNumber);
    if (!f.ok()) return f.status().WithField("pool_formula");
  }
  std::string split = body.value("split", json("revenue")).is_string() ? body.value("split", "revenue") : "";
  if (std::find(kSplits.begin(), kSplits.end(), split) == kSplits.end()) {
    return Bad("validation.enum", "split is one of: revenue, gross_margin, equal, formula", "split 只能取：revenue、gross_margin、equal、formula", "split");
  }
  std::string weight = body.value("weight_formula", json("")).is_string() ? body.value("weight_formula", "") : "";
  if (split == "formula") {
    if (weight.empty()) return Bad("validation.required", "a formula split needs weight_formula", "按公式分配需要 weight_formula", "weight_formula");
    auto f = formula::Formula::Compile(weight, Infos(kPersonFields), formula::Type::kNumber);
    if (!f.ok()) return f.status().WithField("weight_formula");
  } else {
    weight.clear();
  }
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  int64_t unit = 0;
  if (body.contains("unit_id") && !body["unit_id"].is_null()) {
    if (!body["unit_id"].is_number_integer()) return Bad("validation.type", "unit_id is an id", "unit_id 应为 ID", "unit_id");
    unit = body["unit_id"].get<int64_t>();
    if (!UnitPathOf(*conn, p.tenant_id, unit).ok()) return Bad("validation.reference", "no such unit in this tenant", "本租户没有该单元", "unit_id");
  }
  std::string description = body.value("description", json("")).is_string() ? body.value("description", "") : "";
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
  const TimeMs now = clock_.NowMs();
  Value q[] = {p.tenant_id, ids[0], name, unit ? Value(unit) : Value(), pool, split, weight.empty() ? Value() : Value(weight),
               description.empty() ? Value() : Value(description), FormatTimestamp(now), p.user_id ? Value(p.user_id) : Value()};
  KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO profit_sharing_rules (tenant_id, id, name, unit_id, pool_formula, split, weight_formula, description, "
                                  "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", q).status());
  Value g[] = {p.tenant_id, ids[0]};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(std::string("SELECT ") + kRuleColumns + " FROM profit_sharing_rules WHERE tenant_id = ? AND id = ?", g));
  json out = RuleJson(r.rows[0]);
  KEEL_RETURN_IF_ERROR(domain::AuditChange(*conn, p, now, {"create", "profit_sharing_rules", ids[0], nullptr, out}));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return out;
}

Result<json> ProfitSharing::Rules(const Principal& p) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  Value q[] = {p.tenant_id};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(
      std::string("SELECT ") + kRuleColumns + " FROM profit_sharing_rules WHERE tenant_id = ? AND archived_at IS NULL ORDER BY id", q));
  json items = json::array();
  for (const auto& row : r.rows) items.push_back(RuleJson(row));
  return json{{"items", items},
              {"pool_fields", kPoolFields},
              {"person_fields", kPersonFields}};
}

Result<json> ProfitSharing::ArchiveRule(const Principal& p, int64_t id) {
  if (!IsHq(p)) return Forbidden("only HQ changes profit-sharing rules", "只有总部可以修改利润分成规则");
  return org::ArchiveRule(db_, p, clock_.NowMs(), "profit_sharing_rules", id, "profit-sharing rule");
}

Result<json> ProfitSharing::Run(const Principal& p, const json& body) {
  if (!IsHq(p)) return Forbidden("only HQ runs profit sharing", "只有总部可以计算利润分成");
  KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"period", "rule_id"}));
  std::string period = body.value("period", json("")).is_string() ? body.value("period", "") : "";
  KEEL_RETURN_IF_ERROR(CheckMonth(period));
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  std::string sql = std::string("SELECT ") + kRuleColumns + " FROM profit_sharing_rules WHERE tenant_id = ? AND archived_at IS NULL";
  std::vector<Value> rq = {p.tenant_id};
  if (body.contains("rule_id")) {
    if (!body["rule_id"].is_number_integer()) return Bad("validation.type", "rule_id is an id", "rule_id 应为 ID", "rule_id");
    sql += " AND id = ?";
    rq.emplace_back(body["rule_id"].get<int64_t>());
  }
  KEEL_ASSIGN_OR_RETURN(store::Rows rules, conn->Query(sql + " ORDER BY id", rq));
  if (rules.empty()) return Status::NotFound("profit-sharing rule", "rule_id");
  bool closed = ledger_.IsClosed(*conn, p.tenant_id, period);
  Value tq[] = {p.tenant_id};
  KEEL_ASSIGN_OR_RETURN(store::Rows units, conn->Query(
      "SELECT id, path, name FROM units WHERE tenant_id = ? AND kind = 'unit' AND archived_at IS NULL ORDER BY path", tq));
  std::string now = FormatTimestamp(clock_.NowMs());
  json summary = json::array();
  int64_t statements = 0;
  for (const auto& rule_row : rules.rows) {
    json rule = RuleJson(rule_row);
    int64_t rule_id = rule["id"].get<int64_t>();
    if (closed) {
      Value eq[] = {p.tenant_id, period, rule_id};
      KEEL_ASSIGN_OR_RETURN(store::Rows ex, conn->Query(
          "SELECT 1 FROM profit_share_statements WHERE tenant_id = ? AND period = ? AND rule_id = ? LIMIT 1", eq));
      if (!ex.empty()) {
        return Status::Error(ErrorKind::kConflict, "profit_sharing.final", period + " is closed: its statements are final",
                             period + " 已结账，分成结果不能再改", "period");
      }
    }
    KEEL_ASSIGN_OR_RETURN(formula::Formula pool_f, formula::Formula::Compile(rule["pool_formula"].get<std::string>(), Infos(kPoolFields),
                                                                            formula::Type::kNumber));
    std::optional<formula::Formula> weight_f;
    if (rule["split"] == "formula") {
      KEEL_ASSIGN_OR_RETURN(formula::Formula wf, formula::Formula::Compile(rule["weight_formula"].get<std::string>(), Infos(kPersonFields),
                                                                          formula::Type::kNumber));
      weight_f.emplace(std::move(wf));
    }
    std::string scope = "/";
    if (rule["unit_id"].is_number_integer()) {
      KEEL_ASSIGN_OR_RETURN(scope, UnitPathOf(*conn, p.tenant_id, rule["unit_id"].get<int64_t>()));
    }
    Value dq[] = {p.tenant_id, period, rule_id};
    KEEL_RETURN_IF_ERROR(conn->Exec("DELETE FROM profit_share_statements WHERE tenant_id = ? AND period = ? AND rule_id = ?", dq).status());
    for (const auto& u : units.rows) {
      int64_t unit = store::AsInt(u[0]);
      std::string path = store::AsText(u[1]), unit_name = store::AsText(u[2]);
      if (path.rfind(scope, 0) != 0) continue;
      KEEL_ASSIGN_OR_RETURN(PnlFigures f, ledger_.Figures(*conn, p.tenant_id, path, period));
      // The people: active sellers of the subtree, and anyone the month's entries name there.
      Value mq[] = {p.tenant_id, domain::UnitTree::SubtreePattern(path), p.tenant_id, domain::UnitTree::SubtreePattern(path), period};
      KEEL_ASSIGN_OR_RETURN(store::Rows people, conn->Query(
          "SELECT s.id, s.display_name FROM users s JOIN units x ON x.tenant_id = s.tenant_id AND x.id = s.unit_id WHERE s.tenant_id = ? AND "
          "((x.path LIKE ? AND s.status = 'active' AND s.role IN ('rep', 'supervisor', 'unit_lead')) OR s.id IN (SELECT e.user_id FROM "
          "ledger_entries e JOIN units y ON y.tenant_id = e.tenant_id AND y.id = e.unit_id WHERE e.tenant_id = ? AND y.path LIKE ? AND "
          "e.period = ? AND e.user_id IS NOT NULL)) ORDER BY s.id", mq));
      KEEL_ASSIGN_OR_RETURN(double unit_target, TargetOf(*conn, p.tenant_id, unit, 0, period));
      std::vector<double> unit_values = Values(kPoolFields, f, static_cast<double>(people.size()), unit_target);
      KEEL_ASSIGN_OR_RETURN(double pool_yuan, Evaluate(pool_f, unit_values));
      int64_t pool = std::max<int64_t>(0, std::llround(pool_yuan * 100));
      auto [inputs_en, inputs_zh] = Inputs(pool_f, kPoolFields, unit_values);
      std::vector<double> weights;
      std::vector<json> bases;
      for (const auto& person : people.rows) {
        int64_t user = store::AsInt(person[0]);
        KEEL_ASSIGN_OR_RETURN(PnlFigures pf, ledger_.Figures(*conn, p.tenant_id, path, period, user));
        KEEL_ASSIGN_OR_RETURN(double target, TargetOf(*conn, p.tenant_id, unit, user, period));
        std::vector<double> pv = Values(kPersonFields, pf, 1, target);
        double w = 1;
        json basis = {{"revenue", Yuan(pf.revenue)}, {"gross_margin", Yuan(pf.gross_margin())}, {"orders", pf.orders}, {"target", target}};
        if (rule["split"] == "revenue") w = Yuan(pf.revenue);
        if (rule["split"] == "gross_margin") w = Yuan(pf.gross_margin());
        if (weight_f) {
          KEEL_ASSIGN_OR_RETURN(w, Evaluate(*weight_f, pv));
          basis["inputs_en"] = Inputs(*weight_f, kPersonFields, pv).first;
          basis["inputs_zh"] = Inputs(*weight_f, kPersonFields, pv).second;
        }
        weights.push_back(std::max(0.0, w));
        basis["weight"] = std::max(0.0, w);
        bases.push_back(basis);
      }
      std::vector<int64_t> amounts = SplitExact(pool, weights);
      double weight_total = 0;
      for (double w : weights) weight_total += w;
      bool equal_fallback = weight_total <= 0 && rule["split"] != "equal";
      std::string basis_en = rule["split"] == "formula" ? "weight (" + rule["weight_formula"].get<std::string>() + ")"
                             : rule["split"] == "equal" ? "an equal share"
                                                        : rule["split"].get<std::string>();
      std::string basis_zh = rule["split"] == "revenue"        ? "销售额"
                             : rule["split"] == "gross_margin" ? "毛利"
                             : rule["split"] == "equal"        ? "平均分配"
                                                               : "权重（" + rule["weight_formula"].get<std::string>() + "）";
      for (size_t i = 0; i < people.rows.size(); ++i) {
        int64_t user = store::AsInt(people.rows[i][0]);
        double share = weight_total > 0 ? weights[i] / weight_total : 1.0 / static_cast<double>(people.rows.size());
        double share_pct = std::round(share * 10000) / 100;
        std::vector<std::string> en = {
            unit_name + " " + period + ": " + inputs_en,
            "pool = " + rule["pool_formula"].get<std::string>() + " = " + YuanText(pool) + (pool_yuan < 0 ? " (negative: no pool)" : ""),
            equal_fallback ? "nobody has a " + basis_en + " this month: the pool is split equally among " + std::to_string(people.rows.size())
                           : "your " + basis_en + " " + Num(weights[i], rule["split"] != "formula") + " of the unit's " +
                                 Num(weight_total, rule["split"] != "formula") + " = " + Num(share_pct, false) + " %",
            "your share = " + YuanText(amounts[i]) + " yuan"};
        std::vector<std::string> zh = {
            unit_name + " " + period + "：" + inputs_zh,
            "分成池 = " + rule["pool_formula"].get<std::string>() + " = " + YuanText(pool) + " 元" + (pool_yuan < 0 ? "（为负，不分成）" : ""),
            equal_fallback ? "本月无人有" + basis_zh + "，分成池由 " + std::to_string(people.rows.size()) + " 人平分"
                           : "您的" + basis_zh + " " + Num(weights[i], rule["split"] != "formula") + "，占战队合计 " +
                                 Num(weight_total, rule["split"] != "formula") + " 的 " + Num(share_pct, false) + "%",
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
                       {"people", static_cast<int64_t>(people.rows.size())},
                       {"steps_en", en},
                       {"steps_zh", zh}};
        KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
        Value ins[] = {p.tenant_id, ids[0], period, rule_id, unit, user, pool, amounts[i], detail.dump(), now, p.user_id ? Value(p.user_id) : Value()};
        KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO profit_share_statements (tenant_id, id, period, rule_id, unit_id, user_id, pool, amount, detail, "
                                        "computed_at, computed_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", ins).status());
        ++statements;
      }
      summary.push_back({{"rule_id", rule_id}, {"unit_id", unit}, {"unit", unit_name}, {"pool", Yuan(pool)},
                         {"people", static_cast<int64_t>(people.rows.size())}});
    }
  }
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return json{{"period", period}, {"statements", statements}, {"units", summary}};
}

Result<json> ProfitSharing::Statements(const Principal& p, const std::vector<std::pair<std::string, std::string>>& query) {
  std::string where = " WHERE s.tenant_id = ?";
  std::vector<Value> params = {p.tenant_id};
  for (const auto& [k, v] : query) {
    if (k == "period") {
      KEEL_RETURN_IF_ERROR(CheckMonth(v));
      where += " AND s.period = ?";
      params.emplace_back(v);
    } else if (k == "unit_id" || k == "user_id" || k == "rule_id" || k == "id") {
      char* end = nullptr;
      long long x = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end || x <= 0) return Bad("validation.parameter", k + " must be a positive id", k + " 应为正整数 ID", k);
      where += " AND s." + k + " = ?";
      params.emplace_back(static_cast<int64_t>(x));
    } else {
      return Bad("validation.parameter", "unknown parameter '" + k + "'", "未知参数 '" + k + "'", k);
    }
  }
  // Everyone sees their own; unit leads their subtree; supervisors their direct reports; HQ all.
  if (!p.is_system() && !domain::SeesWholeTenant(p.role)) {
    if (p.role == domain::Role::kUnitLead) {
      where += " AND (s.user_id = ? OR u.path LIKE ?)";
      params.emplace_back(p.user_id);
      params.emplace_back(domain::UnitTree::SubtreePattern(p.unit_path));
    } else if (p.role == domain::Role::kSupervisor) {
      where += " AND (s.user_id = ? OR s.user_id IN (SELECT id FROM users WHERE tenant_id = s.tenant_id AND supervisor_id = ?))";
      params.emplace_back(p.user_id);
      params.emplace_back(p.user_id);
    } else {
      where += " AND s.user_id = ?";
      params.emplace_back(p.user_id);
    }
  }
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(
      "SELECT s.id, s.period, s.rule_id, s.unit_id, u.name, s.user_id, w.display_name, s.pool, s.amount, s.computed_at FROM profit_share_statements s "
      "JOIN units u ON u.tenant_id = s.tenant_id AND u.id = s.unit_id JOIN users w ON w.tenant_id = s.tenant_id AND w.id = s.user_id" + where +
          " ORDER BY s.period DESC, u.path, s.amount DESC, s.id LIMIT 2000", params));
  json items = json::array();
  for (const auto& row : r.rows) {
    items.push_back({{"id", store::AsInt(row[0])}, {"period", store::AsText(row[1])}, {"rule_id", store::AsInt(row[2])},
                     {"unit_id", store::AsInt(row[3])}, {"unit", store::AsText(row[4])}, {"user_id", store::AsInt(row[5])},
                     {"user", store::AsText(row[6])}, {"pool", Yuan(store::AsInt(row[7]))}, {"amount", Yuan(store::AsInt(row[8]))},
                     {"computed_at", store::AsText(row[9])}});
  }
  return json{{"items", items}};
}

Result<json> ProfitSharing::Statement(const Principal& p, int64_t id) {
  KEEL_ASSIGN_OR_RETURN(json list, Statements(p, {{"id", std::to_string(id)}}));
  if (list["items"].empty()) return Status::NotFound("statement");
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  Value q[] = {p.tenant_id, id};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query("SELECT detail FROM profit_share_statements WHERE tenant_id = ? AND id = ?", q));
  if (r.empty()) return Status::NotFound("statement");
  json out = list["items"][0];
  out["detail"] = json::parse(store::AsText(r.rows[0][0]), nullptr, false);
  return out;
}

}  // namespace keel::org
