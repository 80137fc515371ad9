#include "org/ledger_json.h"

#include "org/internal.h"
#include "common/json_util.h"

namespace keel::org {

using json = nlohmann::json;

namespace {

json Line(const std::string& key, const std::string& zh, const std::string& en, int64_t fen) {
  return {{"key", key}, {"label_zh", zh}, {"label_en", en}, {"amount", Yuan(fen)}};
}

}  // namespace

json ToJson(const AccountingSettings& s) {
  json out = {{"commission_pct", s.commission_pct}};
  if (s.updated_at) out["updated_at"] = *s.updated_at;
  return out;
}

json ToJson(const AllocationRule& r) {
  json shares = json::object();
  for (const auto& [unit, pct] : r.shares) shares[unit] = pct;
  json out = {{"id", r.id}, {"name", r.name}, {"monthly_amount", Yuan(r.monthly_amount_fen)}, {"driver", r.driver}, {"shares", shares}};
  if (r.created_at) out["created_at"] = *r.created_at;
  return out;
}

json ToJson(const std::vector<AllocationRule>& rules) {
  return ItemsOf(rules, [](const AllocationRule& x) { return ToJson(x); });
}

json ToJson(const Posting& p) {
  bool missing = p.lines_without_cost != 0;
  return json{{"period", p.period},
              {"orders_posted", p.orders_posted},
              {"orders_reversed", p.orders_reversed},
              {"allocations", p.allocations},
              {"entries", p.entries},
              {"lines_without_cost", p.lines_without_cost},
              {"note_en", missing ? "some order lines have products without a cost; their cost of goods counts as 0" : ""},
              {"note_zh", missing ? "部分订单行的产品没有成本，按 0 计入销售成本" : ""}};
}

json ToJson(const ClosedPeriod& c) {
  return json{{"period", c.period}, {"status", "closed"}, {"closed_at", c.closed_at}, {"last_posting", ToJson(c.last_posting)}};
}

json ToJson(const std::vector<LedgerPeriod>& periods) {
  json items = json::array();
  for (const auto& r : periods) {
    items.push_back({{"period", r.period}, {"status", r.status}, {"posted_at", OrNull(r.posted_at)}, {"closed_at", OrNull(r.closed_at)},
                     {"closed_by", OrNull(r.closed_by)}});
  }
  return json{{"items", items}};
}

json ToJson(const LedgerEntryPage& page) {
  json items = json::array();
  for (const auto& e : page.items) {
    items.push_back({{"id", e.id}, {"unit_id", e.unit_id}, {"unit", e.unit}, {"user_id", OrNull(e.user_id)}, {"period", e.period},
                     {"day", e.day}, {"account", e.account}, {"amount", Yuan(e.amount_fen)}, {"source_object", e.source_object},
                     {"source_id", e.source_id}, {"memo", OrNull(e.memo)}, {"posted_at", e.posted_at}});
  }
  json out = {{"items", items}};
  if (page.next_after) out["next_after"] = *page.next_after;
  return out;
}

json ToJson(const UnitPnl& pnl) {
  const PnlFigures& f = pnl.figures;
  json lines = json::array();
  lines.push_back(Line("revenue", "营业收入", "Revenue", f.revenue));
  lines.push_back(Line("cogs", "销售成本", "Cost of goods sold", f.cogs));
  lines.push_back(Line("gross_margin", "毛利", "Gross margin", f.gross_margin()));
  json expense = Line("expenses", "费用", "Expenses", f.expenses);
  expense["detail"] = json::object();
  for (const auto& [k, v] : f.expense_by_category) expense["detail"][k] = Yuan(v);
  lines.push_back(expense);
  lines.push_back(Line("commissions", "销售提成", "Commissions", f.commissions));
  lines.push_back(Line("contribution_margin", "贡献毛利", "Contribution margin", f.contribution_margin()));
  json alloc = Line("allocations", "总部分摊", "HQ allocations", f.allocations);
  alloc["detail"] = json::object();
  for (const auto& [k, v] : f.allocation_by_rule) alloc["detail"][k] = Yuan(v);
  lines.push_back(alloc);
  lines.push_back(Line("operating_profit", "经营利润", "Operating profit", f.operating_profit()));
  json status = json::object();
  for (const auto& [m, s] : pnl.months) status[m] = s;
  return json{{"unit_id", pnl.unit_id},
              {"unit", pnl.unit},
              {"unit_code", pnl.unit_code},
              {"kind", pnl.kind},
              {"period", pnl.period},
              {"months", status},
              {"lines", lines},
              {"figures", Ledger::FiguresJson(f)},
              {"formula_en", "gross margin = revenue − cost of goods; contribution margin = gross margin − expenses − commissions; "
                             "operating profit = contribution margin − HQ allocations"},
              {"formula_zh", "毛利 = 营业收入 − 销售成本；贡献毛利 = 毛利 − 费用 − 销售提成；经营利润 = 贡献毛利 − 总部分摊"},
              {"entries", "/api/v1/ledger/entries?unit_id=" + std::to_string(pnl.unit_id) +
                              "&period=" + (pnl.months.empty() ? pnl.period : pnl.months.begin()->first)}};
}

json ToJson(const ConsolidatedPnl& c) {
  json rows = json::array();
  for (const auto& r : c.items) {
    rows.push_back({{"unit_id", r.unit_id},
                    {"unit", r.unit},
                    {"code", r.code},
                    {"kind", r.kind},
                    {"parent_id", OrNull(r.parent_id)},
                    {"depth", r.depth},
                    {"figures", Ledger::FiguresJson(r.figures)},
                    {"own", Ledger::FiguresJson(r.own)}});
  }
  return json{{"period", c.period},
              {"items", rows},
              {"note_en", "each row is the unit with everything under it; `own` is what is booked on the unit itself"},
              {"note_zh", "每行为该单元及其全部下级的合计；own 为直接记在该单元上的部分"}};
}

}  // namespace keel::org
