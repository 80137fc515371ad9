// Routes of unit accounting: expense claims and policy, the ledger and P&L, HQ allocations and
// profit sharing.
#include <cmath>
#include <optional>

#include "domain/codec.h"
#include "http/api.h"
#include "http/members.h"
#include "http/openapi.h"
#include "org/expenses.h"
#include "org/ledger.h"
#include "org/ledger_json.h"
#include "org/money_json.h"
#include "org/profit_sharing.h"

namespace keel::http {
namespace {

json Body(const Call& c) { return c.body.is_null() ? json::object() : c.body; }

json PeriodBody() {
  return {{"type", "object"}, {"required", {"period"}}, {"properties", {{"period", {{"type", "string"}, {"description", "a month: 2026-10"}}}}}};
}

// POST /expense-policies {unit_id?, kind, per?, limit, city_tier?, note?}.
org::ExpensePolicyDraft PolicyDraftOf(const json& body) {
  org::ExpensePolicyDraft d;
  d.problem = domain::CheckObject(body, {"unit_id", "kind", "per", "limit", "city_tier", "note"});
  d.unit_id = IdOf(body, "unit_id");
  d.kind = Text(body, "kind");
  d.per = Text(body, "per", "item");
  d.limit = Number(body, "limit");
  d.city_tier = body.is_object() && body.contains("city_tier") && !body["city_tier"].is_string() ? "?" : Text(body, "city_tier");
  d.note = Text(body, "note");
  return d;
}

// POST /expenses/{id}/submit {comment?, override_reason?}. A comment that is not a text is refused
// as the workflow refused it when it read the comment.
org::ClaimSubmission SubmissionOf(const json& body) {
  org::ClaimSubmission s;
  s.problem = domain::CheckObject(body, {"comment", "override_reason"});
  if (s.problem.ok() && body.contains("override_reason") && !body["override_reason"].is_string()) {
    s.problem = Status::Invalid("validation.type", "override_reason is a text", "override_reason 应为文本", "override_reason");
  }
  s.override_reason = Text(body, "override_reason");
  if (body.is_object() && body.contains("comment")) {
    try {
      s.comment = body["comment"].get<std::string>();
    } catch (const json::type_error& e) {
      s.comment_problem = WrongJsonType(e);
    }
  }
  return s;
}

// POST /profit-sharing/rules {name, unit_id?, pool_formula, split?, weight_formula?, description?}.
org::ProfitRuleDraft ProfitRuleOf(const json& body) {
  return {.name = Text(body, "name"), .pool_formula = Text(body, "pool_formula"), .split = Text(body, "split", "revenue"),
          .weight_formula = Text(body, "weight_formula"), .unit_id = IdOf(body, "unit_id"), .description = Text(body, "description"),
          .problem = domain::CheckObject(body, {"name", "unit_id", "pool_formula", "split", "weight_formula", "description"})};
}

// POST /profit-sharing/runs {period, rule_id?}: a rule_id that is there (even null) names a rule.
org::ProfitSharingRunRequest RunOf(const json& body) {
  org::ProfitSharingRunRequest r{.period = Text(body, "period"), .problem = domain::CheckObject(body, {"period", "rule_id"})};
  if (body.is_object() && body.contains("rule_id")) {
    if (body["rule_id"].is_number_integer()) r.rule_id.value = body["rule_id"].get<int64_t>();
    else r.rule_id.mistyped = true;
  }
  return r;
}

org::SettingsChange SettingsChangeOf(const json& body) {
  org::SettingsChange c;
  c.problem = domain::CheckObject(body, {"commission_pct"});
  c.commission_pct = Number(body, "commission_pct");
  return c;
}

org::AllocationRuleDraft AllocationRuleOf(const json& body) {
  org::AllocationRuleDraft d;
  d.problem = domain::CheckObject(body, {"name", "monthly_amount", "driver", "shares"});
  d.name = Text(body, "name");
  d.monthly_amount = Number(body, "monthly_amount");
  d.driver = Text(body, "driver", "revenue");
  if (body.is_object() && body.contains("shares") && body["shares"].is_object()) {
    d.shares.emplace();
    for (const auto& [k, v] : body["shares"].items()) d.shares->emplace_back(k, v.is_number() ? v.get<double>() : std::nan(""));
  }
  return d;
}

}  // namespace

void Api::AddAccountingRoutes() {
  using namespace schema;  // NOLINT(google-build-using-namespace): the builders read as the schema
  const json archived = SchemaRef("Archived");
  // A P&L's figures in yuan (a unit's subtree, or one person's share of it).
  const json figures = Component(
      "PnlFigures",
      Obj({{"revenue", Num()}, {"cogs", Num("cost of goods sold")}, {"gross_margin", Num()}, {"expenses", Num()}, {"commissions", Num()},
           {"contribution_margin", Num("gross margin − expenses − commissions")}, {"allocations", Num("HQ shared-service costs")},
           {"operating_profit", Num("contribution margin − allocations")}, {"orders", Int()},
           {"gross_margin_pct", Num("% of revenue; 0 without revenue")}, {"contribution_margin_pct", Num()}, {"operating_margin_pct", Num()},
           {"expenses_by_category", Map(Num(), "category → yuan")}, {"allocations_by_rule", Map(Num(), "allocation rule name → yuan")}},
          {"revenue", "cogs", "gross_margin", "expenses", "commissions", "contribution_margin", "allocations", "operating_profit", "orders",
           "gross_margin_pct", "contribution_margin_pct", "operating_margin_pct", "expenses_by_category", "allocations_by_rule"},
          "P&L figures in yuan / 损益数字（元）"));
  if (org::ExpenseService* ex = services_.expenses) {
    const json policy_limit = Component(
        "ExpensePolicyLimit",
        Obj({{"id", Int()}, {"unit_id", Null(Int("a unit and below; null: the whole tenant"))}, {"kind", Str("airfare, hotel, meal, …")},
             {"per", Str("item, night, person or day")}, {"limit", Num("yuan")}, {"city_tier", Null(Enum({"tier1", "other"}))},
             {"note", Str()}},
            {"id", "unit_id", "kind", "per", "limit", "city_tier", "note"}, "An expense policy limit / 费用标准"));
    const json policy_check = Obj(
        {{"within_policy", Bool()},
         {"missing_receipts", Int("lines without a receipt")},
         {"lines", Arr(Obj({{"line_no", Int()}, {"kind", Str()}, {"day", Str("YYYY-MM-DD")}, {"amount", Num()}, {"has_receipt", Bool()},
                            {"rule_id", Null(Int("the limit that applies; null: none"))}, {"within_policy", Bool()},
                            {"limit", Num("yuan per `per`")}, {"per", Str()}, {"allowed", Num("yuan allowed for the line")},
                            {"message_en", Str()}, {"message_zh", Str()}},
                           {"line_no", "kind", "amount", "rule_id", "within_policy"}))}},
        {"within_policy", "missing_receipts", "lines"}, "A claim's lines against the expense policy / 报销单与费用标准的比对");
    const json compliance = Obj({{"flags", Arr(Free("a checkpoint that flagged the record: event_id, checkpoint_id, name, message_zh, message_en"))},
                                 {"overrides", Arr(Free("a blocking checkpoint overridden: … and reason, by, at"))}},
                                {}, "what the compliance checkpoints said (empty when none apply)");
    const json submitted = Obj(
        {{"expense", SchemaRef("Expense")},
         {"approval", Null(json{{"anyOf", {SchemaRef("ApprovalRequest"), SchemaRef("ApprovalNotNeeded")}}})},
         {"boundary", Obj({{"mode", Enum({"alone", "report", "approval"})}, {"limit", Null(Num())}, {"unit_id", Int()}}, {"mode"},
                          "the unit's authorisation boundary for the amount")},
         {"budget", SchemaRef("Budget")},
         {"compliance", compliance}},
        {"expense", "approval", "boundary", "compliance"},
        "The claim, its approval (null when the unit decides alone) and the budget it commits / 报销单、审批单（单元自主决定时为空）与占用的预算");
    json policy = {{"type", "object"}, {"required", {"kind", "limit"}},
                   {"properties", {{"unit_id", {{"type", "integer"}, {"description", "a unit (and below); none: the whole tenant"}}},
                                   {"kind", {{"type", "string"}, {"enum", {"airfare", "train", "hotel", "taxi", "meal", "entertainment", "gift",
                                                                           "conference", "materials", "other"}}}},
                                   {"per", {{"type", "string"}, {"enum", {"item", "night", "person", "day"}}}},
                                   {"limit", {{"type", "number"}, {"description", "yuan"}}},
                                   {"city_tier", {{"type", "string"}, {"enum", {"tier1", "other"}}}},
                                   {"note", {{"type", "string"}}}}}};
    router_.Add("GET", "/api/v1/expense-policies", [ex](Call& c) { return Wrap(Sent(ex->Policies(c.p()))); },
                {"The expense policy: limits by kind, unit and city tier", "费用标准：按类型、单元和城市级别的限额", "expenses", nullptr, Items(policy_limit)});
    router_.Add("POST", "/api/v1/expense-policies", [ex](Call& c) { return Wrap(Sent(ex->SavePolicy(c.p(), PolicyDraftOf(c.body))), 201); },
                {"Add an expense policy limit (HQ)", "新增费用标准（总部）", "expenses", policy, policy_limit, {}, 201});
    router_.Add("DELETE", "/api/v1/expense-policies/{id}", [ex](Call& c) { return Wrap(Archived(ex->ArchivePolicy(c.p(), c.id()), c.id())); },
                {"Remove an expense policy limit (HQ)", "删除费用标准（总部）", "expenses", nullptr, archived});
    router_.Add("GET", "/api/v1/expenses/{id}/policy", [ex](Call& c) { return Wrap(Sent(ex->CheckPolicy(c.p(), c.id()))); },
                {"A claim's lines against the expense policy", "报销单各行与费用标准的比对", "expenses", nullptr, policy_check});
    json submit = {{"type", "object"}, {"properties", {{"comment", {{"type", "string"}}}}}};
    router_.Add("POST", "/api/v1/expenses/{id}/submit", [ex](Call& c) { return Wrap(Sent(ex->Submit(c.p(), c.id(), SubmissionOf(Body(c))))); },
                {"Submit a claim: policy check, budget commitment (409 budget.exceeded), then the expense_claim workflow",
                 "提交报销：校验费用标准，占用预算（超出返回 409 budget.exceeded），进入报销审批", "expenses", submit, submitted});
    router_.Add("POST", "/api/v1/expenses/{id}/post", [ex](Call& c) { return Wrap(ex->Post(c.p(), c.id())); },
                {"Post an approved claim to the unit's ledger (HQ)", "将已批准的报销入账到单元台账（总部）", "expenses", nullptr, SchemaRef("Expense")});
  }
  if (org::Ledger* lg = services_.ledger) {
    const json settings_out = Obj({{"commission_pct", Num("% of order revenue to its owner")}, {"updated_at", Time("absent until changed")}},
                                  {"commission_pct"}, "Unit accounting settings / 单元核算设置");
    const json allocation_rule = Component(
        "AllocationRule",
        Obj({{"id", Int()}, {"name", Str()}, {"monthly_amount", Num("yuan a month")}, {"driver", Enum({"revenue", "headcount", "orders", "fixed"})},
             {"shares", Map(Num(), "fixed: unit id → percent")}, {"created_at", Time()}},
            {"id", "name", "monthly_amount", "driver", "shares"}, "An HQ cost allocation rule / 总部费用分摊规则"));
    const json posting = Obj({{"period", Str("2026-10")}, {"orders_posted", Int()}, {"orders_reversed", Int()}, {"allocations", Int()},
                              {"entries", Int("ledger entries written")}, {"lines_without_cost", Int("order lines whose product has no cost")},
                              {"note_en", Str()}, {"note_zh", Str()}},
                             {"period", "orders_posted", "orders_reversed", "allocations", "entries", "lines_without_cost", "note_en", "note_zh"},
                             "What posting the month wrote / 过账结果");
    const json closed = Obj({{"period", Str()}, {"status", Enum({"closed"})}, {"closed_at", Time()}, {"last_posting", posting}},
                            {"period", "status", "closed_at", "last_posting"}, "The month is closed / 已结账");
    const json periods = Items(Obj({{"period", Str()}, {"status", Enum({"open", "closed"})}, {"posted_at", Time()},
                                    {"closed_at", Null(Time())}, {"closed_by", Null(Int())}},
                                   {"period", "status", "posted_at", "closed_at", "closed_by"}));
    const json entries = Obj({{"items", Arr(Obj({{"id", Int()}, {"unit_id", Int()}, {"unit", Str()}, {"user_id", Null(Int("the person the figure is attributed to"))},
                                                 {"period", Str()}, {"day", Str("YYYY-MM-DD")}, {"account", Str("revenue, cogs, commission, allocation, expense:<category>")},
                                                 {"amount", Num("yuan")}, {"source_object", Str()}, {"source_id", Int()}, {"memo", Null(Str())},
                                                 {"posted_at", Time()}},
                                                {"id", "unit_id", "unit", "user_id", "period", "day", "account", "amount", "source_object", "source_id",
                                                 "memo", "posted_at"}))},
                              {"next_after", Int("pass as ?after= for the next page; absent on the last page")}},
                             {"items"}, "Ledger entries / 台账分录");
    const json consolidated = Obj(
        {{"period", Str()},
         {"items", Arr(Obj({{"unit_id", Int()}, {"unit", Str()}, {"code", Str()}, {"kind", Str("hq, region, unit, store")},
                            {"parent_id", Null(Int())}, {"depth", Int("0 for HQ")}, {"figures", figures}, {"own", figures}},
                           {"unit_id", "unit", "code", "kind", "parent_id", "depth", "figures", "own"}),
                       "each unit with everything under it (`figures`) and what is booked on it alone (`own`)")},
         {"note_en", Str()},
         {"note_zh", Str()}},
        {"period", "items"}, "The consolidated P&L / 合并损益");
    const json pnl = Obj(
        {{"unit_id", Int()}, {"unit", Str()}, {"unit_code", Str()}, {"kind", Str()}, {"period", Str()},
         {"months", Map(Enum({"not_posted", "open", "closed"}), "month → its ledger status")},
         {"lines", Arr(Obj({{"key", Str("revenue, cogs, gross_margin, expenses, commissions, contribution_margin, allocations, operating_profit")},
                            {"label_zh", Str()}, {"label_en", Str()}, {"amount", Num("yuan")},
                            {"detail", Map(Num(), "expenses by category, allocations by rule")}},
                           {"key", "label_zh", "label_en", "amount"}))},
         {"figures", figures}, {"formula_en", Str()}, {"formula_zh", Str()}, {"entries", Str("the URL of the month's ledger entries")}},
        {"unit_id", "unit", "period", "months", "lines", "figures"}, "A unit's P&L / 单元损益表");
    json settings = {{"type", "object"}, {"properties", {{"commission_pct", {{"type", "number"}, {"description", "% of order revenue to its owner"}}}}}};
    router_.Add("GET", "/api/v1/accounting-settings", [lg](Call& c) { return Wrap(Sent(lg->Settings(c.p()))); },
                {"Unit accounting settings (commission rate)", "单元核算设置（提成比例）", "ledger", nullptr, settings_out});
    router_.Add("POST", "/api/v1/accounting-settings", [lg](Call& c) { return Wrap(Sent(lg->SaveSettings(c.p(), SettingsChangeOf(c.body)))); },
                {"Change the accounting settings (HQ)", "修改核算设置（总部）", "ledger", settings, settings_out});
    json rule = {{"type", "object"}, {"required", {"name", "monthly_amount"}},
                 {"properties", {{"name", {{"type", "string"}}}, {"monthly_amount", {{"type", "number"}, {"description", "yuan a month"}}},
                                 {"driver", {{"type", "string"}, {"enum", {"revenue", "headcount", "orders", "fixed"}}}},
                                 {"shares", {{"type", "object"}, {"description", "fixed: {unit_id: percent}, adding up to 100"}}}}}};
    router_.Add("GET", "/api/v1/allocation-rules", [lg](Call& c) { return Wrap(Sent(lg->AllocationRules(c.p()))); },
                {"HQ shared-service cost allocation rules", "总部共享服务费用分摊规则", "ledger", nullptr, Items(allocation_rule)});
    router_.Add("POST", "/api/v1/allocation-rules", [lg](Call& c) { return Wrap(Sent(lg->SaveAllocationRule(c.p(), AllocationRuleOf(c.body))), 201); },
                {"Add an allocation rule (HQ)", "新增分摊规则（总部）", "ledger", rule, allocation_rule, {}, 201});
    router_.Add("DELETE", "/api/v1/allocation-rules/{id}", [lg](Call& c) { return Wrap(Archived(lg->ArchiveAllocationRule(c.p(), c.id()), c.id())); },
                {"Remove an allocation rule (HQ)", "删除分摊规则（总部）", "ledger", nullptr, archived});
    router_.Add("POST", "/api/v1/ledger/post", [lg](Call& c) { return Wrap(Sent(lg->PostPeriod(c.p(), Text(Body(c), "period")))); },
                {"Post a month: orders (revenue, cost of goods, commission), refunds, allocations; idempotent (HQ)",
                 "按月过账：订单收入、销售成本、提成、退款冲销与总部分摊；可重复执行（总部）", "ledger", PeriodBody(), posting});
    router_.Add("POST", "/api/v1/ledger/close", [lg](Call& c) { return Wrap(Sent(lg->ClosePeriod(c.p(), Text(Body(c), "period")))); },
                {"Close a month after posting it; later items post to the next open month (HQ)", "结账：过账后锁定该月，之后的单据记入下一个未结账月份（总部）",
                 "ledger", PeriodBody(), closed});
    router_.Add("GET", "/api/v1/ledger/periods", [lg](Call& c) { return Wrap(Sent(lg->Periods(c.p()))); },
                {"Posted and closed months", "已过账与已结账的月份", "ledger", nullptr, periods});
    router_.Add("GET", "/api/v1/ledger/entries", [lg](Call& c) { return Wrap(Sent(lg->Entries(c.p(), c.req.query))); },
                {"Ledger entries of the units you see, each with its source", "可见单元的台账分录（含来源单据）", "ledger", nullptr, entries,
                 {{"period", "2026-10"}, {"unit_id", "a unit and below"}, {"account", "revenue, cogs, commission, allocation, expense:travel …; expense: every expense:<category>"},
                  {"source_object", "orders, order_refunds, expenses, allocation_rules"}, {"source_id", "the source's id"},
                  {"user_id", "the person a figure is attributed to"}, {"limit", "1–1000 (200)"}, {"after", "the last id of the previous page"}}});
    router_.Add("GET", "/api/v1/ledger/consolidated", [lg](Call& c) { return Wrap(Sent(lg->Consolidated(c.p(), Query(c, "period")))); },
                {"HQ's consolidated P&L: every unit, region and the company (you see your subtree)", "总部合并损益：各单元、大区与公司合计（按可见范围）",
                 "ledger", nullptr, consolidated, {{"period", "2026-10, 2026-Q4 or 2026 (required)"}}});
    router_.Add("GET", "/api/v1/units/{id}/pnl", [lg](Call& c) { return Wrap(Sent(lg->Pnl(c.p(), c.id(), Query(c, "period")))); },
                {"A unit's P&L (its subtree) for a month, quarter or year", "单元损益表（含下级），按月、季或年", "ledger", nullptr, pnl,
                 {{"period", "2026-10, 2026-Q4 or 2026 (required)"}}});
  }
  if (org::ProfitSharing* ps = services_.profit_sharing) {
    const json sharing_rule = Component(
        "ProfitSharingRule",
        Obj({{"id", Int()}, {"name", Str()}, {"unit_id", Null(Int("profit-centre units under it; null: all"))}, {"pool_formula", Str()},
             {"split", Enum({"revenue", "gross_margin", "equal", "formula"})}, {"weight_formula", Null(Str("with split formula"))},
             {"description", Str()}},
            {"id", "name", "unit_id", "pool_formula", "split", "weight_formula", "description"}, "A profit-sharing rule / 利润分成规则"));
    const json rules = Obj({{"items", Arr(sharing_rule)},
                            {"pool_fields", Arr(Str(), "what a pool formula may use")},
                            {"person_fields", Arr(Str(), "what a weight formula may use")}},
                           {"items", "pool_fields", "person_fields"});
    const json run_out = Obj({{"period", Str()}, {"statements", Int("statements written")},
                              {"units", Arr(Obj({{"unit_id", Int()}, {"unit", Str()}, {"rule_id", Int()}, {"pool", Num("yuan")}, {"people", Int()}},
                                                {"unit_id", "unit", "rule_id", "pool", "people"}))}},
                             {"period", "statements", "units"}, "The month's run / 分成核算结果");
    json statement_props = {{"id", Int()}, {"period", Str()}, {"rule_id", Int()}, {"unit_id", Int()}, {"unit", Str()}, {"user_id", Int()},
                            {"user", Str("username")}, {"pool", Num("the unit's pool, yuan")}, {"amount", Num("this person's share, yuan")},
                            {"computed_at", Time()}};
    const std::vector<std::string> statement_required = {"id", "period", "rule_id", "unit_id", "user_id", "pool", "amount", "computed_at"};
    const json statement = Obj(statement_props, statement_required, "A person's profit-sharing statement / 个人分成结果");
    statement_props["detail"] = Obj({{"rule", sharing_rule}, {"unit", Obj({{"id", Int()}, {"name", Str()}})}, {"unit_figures", figures},
                                     {"unit_target", Num()}, {"pool_raw", Num()}, {"pool", Num()}, {"people", Int()},
                                     {"basis", Map(Num(), "the person's figures the split weighs: revenue, gross_margin, orders, target, weight")},
                                     {"basis_total", Num()}, {"share_pct", Num()},
                                     {"steps_en", Arr(Str(), "how each figure was reached")}, {"steps_zh", Arr(Str())}},
                                    {}, "how each figure was reached / 计算过程");
    std::vector<std::string> detailed_required = statement_required;
    detailed_required.push_back("detail");
    const json statement_detail = Obj(statement_props, detailed_required, "A statement with how it was reached / 分成明细");
    json rule = {{"type", "object"}, {"required", {"name", "pool_formula"}},
                 {"properties", {{"name", {{"type", "string"}}}, {"unit_id", {{"type", "integer"}, {"description", "profit-centre units under it"}}},
                                 {"pool_formula", {{"type", "string"}, {"description", "over revenue, cogs, gross_margin, expenses, commissions, "
                                                                                       "contribution_margin, allocations, operating_profit, orders, headcount, target"}}},
                                 {"split", {{"type", "string"}, {"enum", {"revenue", "gross_margin", "equal", "formula"}}}},
                                 {"weight_formula", {{"type", "string"}, {"description", "per person, over revenue, cogs, gross_margin, commissions, "
                                                                                         "expenses, orders, target"}}},
                                 {"description", {{"type", "string"}}}}}};
    router_.Add("GET", "/api/v1/profit-sharing/rules", [ps](Call& c) { return Wrap(Sent(ps->Rules(c.p()))); },
                {"Profit-sharing rules", "利润分成规则", "profit-sharing", nullptr, rules});
    router_.Add("POST", "/api/v1/profit-sharing/rules", [ps](Call& c) { return Wrap(Sent(ps->SaveRule(c.p(), ProfitRuleOf(c.body))), 201); },
                {"Add a profit-sharing rule: a pool formula over the unit's P&L and a split (HQ)", "新增利润分成规则：基于单元损益的分成池公式与分配方式（总部）",
                 "profit-sharing", rule, sharing_rule, {}, 201});
    router_.Add("DELETE", "/api/v1/profit-sharing/rules/{id}", [ps](Call& c) { return Wrap(Archived(ps->ArchiveRule(c.p(), c.id()), c.id())); },
                {"Remove a profit-sharing rule (HQ)", "删除利润分成规则（总部）", "profit-sharing", nullptr, archived});
    json run = {{"type", "object"}, {"required", {"period"}},
                {"properties", {{"period", {{"type", "string"}}}, {"rule_id", {{"type", "integer"}}}}}};
    router_.Add("POST", "/api/v1/profit-sharing/runs", [ps](Call& c) { return Wrap(Sent(ps->Run(c.p(), RunOf(c.body)))); },
                {"Compute a month's statements per person (HQ); a closed month's are final", "计算某月每人的分成结果（总部）；已结账月份不可重算",
                 "profit-sharing", run, run_out});
    router_.Add("GET", "/api/v1/profit-sharing/statements", [ps](Call& c) { return Wrap(Sent(ps->Statements(c.p(), c.req.query))); },
                {"Statements: yours; unit leads their units'; HQ all", "分成结果：本人的；战队负责人可见本单元；总部可见全部", "profit-sharing", nullptr, Items(statement),
                 {{"period", "2026-10"}, {"unit_id", "a unit"}, {"user_id", "a person"}, {"rule_id", "a rule"}}});
    router_.Add("GET", "/api/v1/profit-sharing/statements/{id}", [ps](Call& c) { return Wrap(Sent(ps->Statement(c.p(), c.id()))); },
                {"A statement with how each figure was reached", "分成明细：每个数字的计算过程", "profit-sharing", nullptr, statement_detail});
  }
}

}  // namespace keel::http
