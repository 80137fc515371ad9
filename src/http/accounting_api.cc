// Routes of unit accounting: expense claims and policy, the ledger and P&L, HQ allocations and
// profit sharing.
#include "http/api.h"
#include "org/expenses.h"
#include "org/ledger.h"
#include "org/profit_sharing.h"

namespace keel::http {
namespace {

json Body(const Call& c) { return c.body.is_null() ? json::object() : c.body; }

json PeriodBody() {
  return {{"type", "object"}, {"required", {"period"}}, {"properties", {{"period", {{"type", "string"}, {"description", "a month: 2026-10"}}}}}};
}

}  // namespace

void Api::AddAccountingRoutes() {
  json obj = {{"type", "object"}};
  if (org::ExpenseService* ex = services_.expenses) {
    json policy = {{"type", "object"}, {"required", {"kind", "limit"}},
                   {"properties", {{"unit_id", {{"type", "integer"}, {"description", "a unit (and below); none: the whole tenant"}}},
                                   {"kind", {{"type", "string"}, {"enum", {"airfare", "train", "hotel", "taxi", "meal", "entertainment", "gift",
                                                                           "conference", "materials", "other"}}}},
                                   {"per", {{"type", "string"}, {"enum", {"item", "night", "person", "day"}}}},
                                   {"limit", {{"type", "number"}, {"description", "yuan"}}},
                                   {"city_tier", {{"type", "string"}, {"enum", {"tier1", "other"}}}},
                                   {"note", {{"type", "string"}}}}}};
    router_.Add("GET", "/api/v1/expense-policies", [ex](Call& c) { return Wrap(ex->Policies(c.p())); },
                {"The expense policy: limits by kind, unit and city tier", "费用标准：按类型、单元和城市级别的限额", "expenses", nullptr, obj});
    router_.Add("POST", "/api/v1/expense-policies", [ex](Call& c) { return Wrap(ex->SavePolicy(c.p(), c.body), 201); },
                {"Add an expense policy limit (HQ)", "新增费用标准（总部）", "expenses", policy, obj, {}, 201});
    router_.Add("DELETE", "/api/v1/expense-policies/{id}", [ex](Call& c) { return Wrap(ex->ArchivePolicy(c.p(), c.id())); },
                {"Remove an expense policy limit (HQ)", "删除费用标准（总部）", "expenses", nullptr, obj});
    router_.Add("GET", "/api/v1/expenses/{id}/policy", [ex](Call& c) { return Wrap(ex->CheckPolicy(c.p(), c.id())); },
                {"A claim's lines against the expense policy", "报销单各行与费用标准的比对", "expenses", nullptr, obj});
    json submit = {{"type", "object"}, {"properties", {{"comment", {{"type", "string"}}}}}};
    router_.Add("POST", "/api/v1/expenses/{id}/submit", [ex](Call& c) { return Wrap(ex->Submit(c.p(), c.id(), Body(c))); },
                {"Submit a claim: policy check, budget commitment (409 budget.exceeded), then the expense_claim workflow",
                 "提交报销：校验费用标准，占用预算（超出返回 409 budget.exceeded），进入报销审批", "expenses", submit, obj});
    router_.Add("POST", "/api/v1/expenses/{id}/post", [ex](Call& c) { return Wrap(ex->Post(c.p(), c.id())); },
                {"Post an approved claim to the unit's ledger (HQ)", "将已批准的报销入账到单元台账（总部）", "expenses", nullptr, obj});
  }
  if (org::Ledger* lg = services_.ledger) {
    json settings = {{"type", "object"}, {"properties", {{"commission_pct", {{"type", "number"}, {"description", "% of order revenue to its owner"}}}}}};
    router_.Add("GET", "/api/v1/accounting-settings", [lg](Call& c) { return Wrap(lg->Settings(c.p())); },
                {"Unit accounting settings (commission rate)", "单元核算设置（提成比例）", "ledger", nullptr, obj});
    router_.Add("POST", "/api/v1/accounting-settings", [lg](Call& c) { return Wrap(lg->SaveSettings(c.p(), c.body)); },
                {"Change the accounting settings (HQ)", "修改核算设置（总部）", "ledger", settings, obj});
    json rule = {{"type", "object"}, {"required", {"name", "monthly_amount"}},
                 {"properties", {{"name", {{"type", "string"}}}, {"monthly_amount", {{"type", "number"}, {"description", "yuan a month"}}},
                                 {"driver", {{"type", "string"}, {"enum", {"revenue", "headcount", "orders", "fixed"}}}},
                                 {"shares", {{"type", "object"}, {"description", "fixed: {unit_id: percent}, adding up to 100"}}}}}};
    router_.Add("GET", "/api/v1/allocation-rules", [lg](Call& c) { return Wrap(lg->AllocationRules(c.p())); },
                {"HQ shared-service cost allocation rules", "总部共享服务费用分摊规则", "ledger", nullptr, obj});
    router_.Add("POST", "/api/v1/allocation-rules", [lg](Call& c) { return Wrap(lg->SaveAllocationRule(c.p(), c.body), 201); },
                {"Add an allocation rule (HQ)", "新增分摊规则（总部）", "ledger", rule, obj, {}, 201});
    router_.Add("DELETE", "/api/v1/allocation-rules/{id}", [lg](Call& c) { return Wrap(lg->ArchiveAllocationRule(c.p(), c.id())); },
                {"Remove an allocation rule (HQ)", "删除分摊规则（总部）", "ledger", nullptr, obj});
    router_.Add("POST", "/api/v1/ledger/post", [lg](Call& c) { return Wrap(lg->PostPeriod(c.p(), Body(c).value("period", json("")).is_string() ? Body(c).value("period", "") : "")); },
                {"Post a month: orders (revenue, cost of goods, commission), refunds, allocations; idempotent (HQ)",
                 "按月过账：订单收入、销售成本、提成、退款冲销与总部分摊；可重复执行（总部）", "ledger", PeriodBody(), obj});
    router_.Add("POST", "/api/v1/ledger/close", [lg](Call& c) { return Wrap(lg->ClosePeriod(c.p(), Body(c).value("period", json("")).is_string() ? Body(c).value("period", "") : "")); },
                {"Close a month after posting it; later items post to the next open month (HQ)", "结账：过账后锁定该月，之后的单据记入下一个未结账月份（总部）",
                 "ledger", PeriodBody(), obj});
    router_.Add("GET", "/api/v1/ledger/periods", [lg](Call& c) { return Wrap(lg->Periods(c.p())); },
                {"Posted and closed months", "已过账与已结账的月份", "ledger", nullptr, obj});
    router_.Add("GET", "/api/v1/ledger/entries", [lg](Call& c) { return Wrap(lg->Entries(c.p(), c.req.query)); },
                {"Ledger entries of the units you see, each with its source", "可见单元的台账分录（含来源单据）", "ledger", nullptr, obj,
                 {{"period", "2026-10"}, {"unit_id", "a unit and below"}, {"account", "revenue, cogs, commission, allocation, expense:travel …; expense: every expense:<category>"},
                  {"source_object", "orders, order_refunds, expenses, allocation_rules"}, {"source_id", "the source's id"},
                  {"user_id", "the person a figure is attributed to"}, {"limit", "1–1000 (200)"}, {"after", "the last id of the previous page"}}});
    router_.Add("GET", "/api/v1/ledger/consolidated", [lg](Call& c) { return Wrap(lg->Consolidated(c.p(), Query(c, "period"))); },
                {"HQ's consolidated P&L: every unit, region and the company (you see your subtree)", "总部合并损益：各单元、大区与公司合计（按可见范围）",
                 "ledger", nullptr, obj, {{"period", "2026-10, 2026-Q4 or 2026 (required)"}}});
    router_.Add("GET", "/api/v1/units/{id}/pnl", [lg](Call& c) { return Wrap(lg->Pnl(c.p(), c.id(), Query(c, "period"))); },
                {"A unit's P&L (its subtree) for a month, quarter or year", "单元损益表（含下级），按月、季或年", "ledger", nullptr, obj,
                 {{"period", "2026-10, 2026-Q4 or 2026 (required)"}}});
  }
  if (org::ProfitSharing* ps = services_.profit_sharing) {
    json rule = {{"type", "object"}, {"required", {"name", "pool_formula"}},
                 {"properties", {{"name", {{"type", "string"}}}, {"unit_id", {{"type", "integer"}, {"description", "profit-centre units under it"}}},
                                 {"pool_formula", {{"type", "string"}, {"description", "over revenue, cogs, gross_margin, expenses, commissions, "
                                                                                       "contribution_margin, allocations, operating_profit, orders, headcount, target"}}},
                                 {"split", {{"type", "string"}, {"enum", {"revenue", "gross_margin", "equal", "formula"}}}},
                                 {"weight_formula", {{"type", "string"}, {"description", "per person, over revenue, cogs, gross_margin, commissions, "
                                                                                         "expenses, orders, target"}}},
                                 {"description", {{"type", "string"}}}}}};
    router_.Add("GET", "/api/v1/profit-sharing/rules", [ps](Call& c) { return Wrap(ps->Rules(c.p())); },
                {"Profit-sharing rules", "利润分成规则", "profit-sharing", nullptr, obj});
    router_.Add("POST", "/api/v1/profit-sharing/rules", [ps](Call& c) { return Wrap(ps->SaveRule(c.p(), c.body), 201); },
                {"Add a profit-sharing rule: a pool formula over the unit's P&L and a split (HQ)", "新增利润分成规则：基于单元损益的分成池公式与分配方式（总部）",
                 "profit-sharing", rule, obj, {}, 201});
    router_.Add("DELETE", "/api/v1/profit-sharing/rules/{id}", [ps](Call& c) { return Wrap(ps->ArchiveRule(c.p(), c.id())); },
                {"Remove a profit-sharing rule (HQ)", "删除利润分成规则（总部）", "profit-sharing", nullptr, obj});
    json run = {{"type", "object"}, {"required", {"period"}},
                {"properties", {{"period", {{"type", "string"}}}, {"rule_id", {{"type", "integer"}}}}}};
    router_.Add("POST", "/api/v1/profit-sharing/runs", [ps](Call& c) { return Wrap(ps->Run(c.p(), c.body)); },
                {"Compute a month's statements per person (HQ); a closed month's are final", "计算某月每人的分成结果（总部）；已结账月份不可重算",
                 "profit-sharing", run, obj});
    router_.Add("GET", "/api/v1/profit-sharing/statements", [ps](Call& c) { return Wrap(ps->Statements(c.p(), c.req.query)); },
                {"Statements: yours; unit leads their units'; HQ all", "分成结果：本人的；战队负责人可见本单元；总部可见全部", "profit-sharing", nullptr, obj,
                 {{"period", "2026-10"}, {"unit_id", "a unit"}, {"user_id", "a person"}, {"rule_id", "a rule"}}});
    router_.Add("GET", "/api/v1/profit-sharing/statements/{id}", [ps](Call& c) { return Wrap(ps->Statement(c.p(), c.id())); },
                {"A statement with how each figure was reached", "分成明细：每个数字的计算过程", "profit-sharing", nullptr, obj});
  }
}

}  // namespace keel::http
