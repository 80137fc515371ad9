// The demo's agile-unit setup: pricing authority for every sales unit, and quotes by sh-rep-01
// that go through approval (one within authority, one to the unit lead, one on to HQ); budgets;
// the materials library, case reviews and a public feedback link per region; then the units'
// governance — boundary lists, two compliance checkpoints and the unit leads' sandboxes.
#include "demo/demo.h"
#include "demo/store.h"

#include <cmath>

#include "org/commerce/commerce.h"
#include "org/budgets.h"
#include "org/money_json.h"
#include "org/feedback_links.h"
#include "org/materials.h"
#include "org/governance.h"

namespace keel::demo {

using json = nlohmann::json;

namespace {

// HQ's shared library (the price list in two versions), one unit's own playbook, case reviews
// written in three units, and one feedback link per region (its token only in the result).
Status SeedLibrary(store::Database& db, domain::RecordService& records, int64_t tenant, const domain::Principal& rep,
                   const std::vector<int64_t>& units, int64_t customer, UnitsSeed& out) {
  auto sys = domain::Principal::System(tenant);
  org::MaterialService materials(db, records, records.clock());
  struct File { const char* name; const char* type; std::string body; const char* note; };
  struct Item { const char* title; const char* kind; const char* tags; const char* line; int64_t unit; std::vector<File> files; };
  const std::vector<Item> library = {
      {"2026 价格表", "price_list", "价格,2026,空调,冰箱", "全品类", 0,
       {{"2026-价格表-v1.csv", "text/csv; charset=utf-8", "sku,名称,建议零售价\nAC-1,海川挂机空调 1.5匹,3299\nAC-2,海川柜机空调 3匹,7999\nRF-1,海川对开门冰箱 520L,4599\n", "年度首版"},
        {"2026-价格表-v2.csv", "text/csv; charset=utf-8", "sku,名称,建议零售价\nAC-1,海川挂机空调 1.5匹,3199\nAC-2,海川柜机空调 3匹,7799\nRF-1,海川对开门冰箱 520L,4599\n", "双十一空调调价"}}},
      {"海川品牌视觉规范手册", "brand", "品牌,VI,门店陈列", nullptr, 0,
       {{"品牌手册.md", "text/markdown; charset=utf-8", "# 海川品牌视觉规范\n\n- 标准色：海川蓝 #0057B8\n- 门头与堆头须使用标准组合标志\n- 价签统一使用 2026 版模板\n", "2026 版"}}},
      {"空调新品推介（2026 春季）", "deck", "空调,新品,推介", "空调", 0,
       {{"空调新品推介-2026春.md", "text/markdown; charset=utf-8", "# 2026 春季空调新品\n\n1. 一级能效新风挂机：卖点静音 18 分贝\n2. 柜机 3 匹：适合酒店大堂与门店\n3. 以旧换新政策与安装承诺\n", "门店培训用"}}},
      {"大客户集采合同模板", "template", "合同,大客户,集采", nullptr, 0,
       {{"集采合同模板.md", "text/markdown; charset=utf-8", "# 设备集中采购合同（模板）\n\n第一条 标的与数量\n第二条 价格与付款：预付 30%，到货验收后支付 60%，质保金 10%\n第三条 安装与质保\n", "法务审核版"}}},
      {"上海战队 酒店行业打法", "training", "酒店,大客户,打法", "空调", rep.unit_id,
       {{"酒店行业打法.md", "text/markdown; charset=utf-8", "# 酒店行业打法\n\n- 先找工程部，再找采购\n- 提前报备价格授权，避免比价时来不及申请特价\n", "战队内部"}}},
  };
  int n = 0;
  for (const auto& item : library) {
    json body = {{"title", item.title}, {"kind", item.kind}, {"tags", item.tags}};
    if (item.line) body["product_line"] = item.line;
    if (item.unit) body["unit_id"] = item.unit;
    KEEL_ASSIGN_OR_RETURN(json m, records.Create(sys, *domain::FindEntity("materials"), body));
    for (const auto& f : item.files) {
      KEEL_RETURN_IF_ERROR(materials.AddVersion(sys, m["id"].get<int64_t>(), {f.body, f.name, f.type, f.note}).status());
    }
    ++n;
  }
  out.materials = n;
  struct Review { size_t unit; const char* title; const char* outcome; const char* background; const char* well; const char* wrong;
                  const char* lessons; const char* tags; };
  const Review reviews[] = {
      {0, "华庭酒店客房空调集采输单复盘", "lost", "酒店 300 间客房空调更换，三家比价，预算 90 万。",
       "技术方案得到工程部认可，安装排期有优势。", "报价比竞品高 8%，特价申请晚了三天，客户已定标；没有见到采购总监。",
       "大客户集采提前报备价格授权；第一周内锁定决策链（工程部、采购、财务）。", "大客户,价格战,输单"},
      {1, "国庆门店以旧换新促销复盘", "won", "国庆七天门店以旧换新，目标 120 台空调。",
       "提前两周社群预热，到店转化率 35%；安装预约当天确认。", "第三天柜机缺货，流失约 10 单。",
       "大促前按去年同期 1.5 倍备货柜机；社群预热话术可复制到其他门店。", "门店促销,以旧换新,赢单"},
      {2, "学校宿舍空调改造项目（进行中）", "ongoing", "区教育局 6 所学校宿舍改造，招标在即。",
       "提前参与方案设计，参数写入招标文件。", "付款周期长，现金流压力大。", "政府项目先评估回款周期，预算申请走总部审批。", "政府项目,招投标"},
  };
  int r = 0;
  for (const auto& rv : reviews) {
    if (rv.unit >= units.size()) continue;
    // The first is 上海战队's (sh-rep-01's own deal); the others belong to other units.
    json body = {{"unit_id", rv.unit == 0 ? rep.unit_id : units[rv.unit]}, {"title", rv.title}, {"outcome", rv.outcome}, {"background", rv.background},
                 {"went_well", rv.well}, {"went_wrong", rv.wrong}, {"lessons", rv.lessons}, {"tags", rv.tags}};
    if (rv.unit == 0) {
      body["author_id"] = rep.user_id;
      body["customer_id"] = customer;
    }
    KEEL_RETURN_IF_ERROR(records.Create(sys, *domain::FindEntity("case_reviews"), body).status());
    ++r;
  }
  out.case_reviews = r;
  org::FeedbackLinkService links(db, records, records.clock());
  KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::UnitRow> regions, repo::UnitsOfKind(*conn, tenant, {"region"}));
  for (const auto& row : regions) {
    const std::string& name = row.name;
    KEEL_ASSIGN_OR_RETURN(org::FeedbackLink link, links.Create(sys, {.unit_id = row.id, .title = name + "门店服务评价"}));
    out.feedback_links.emplace_back(name, org::ToJson(link)["path"].get<std::string>());
  }
  return Status();
}

}  // namespace

// The demo's pricing authority and a few quotes going through approval.
Result<UnitsSeed> SeedUnits(store::Database& db, domain::RecordService& records, org::Commerce& commerce, int64_t tenant) {
  auto sys = domain::Principal::System(tenant);
  domain::Principal rep;
  int64_t hq = 0, product = 0, customer = 0;
  std::vector<int64_t> units;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
    KEEL_ASSIGN_OR_RETURN(std::vector<repo::UnitRow> u, repo::UnitsOfKind(*conn, tenant, {"hq", "unit"}));
    for (const auto& row : u) {
      if (row.kind == "hq") hq = row.id;
      else units.push_back(row.id);
    }
    KEEL_ASSIGN_OR_RETURN(std::optional<repo::UserRow> r, repo::UserByName(*conn, tenant, "sh-rep-01"));
    if (!r) return Status::Internal("demo: sh-rep-01 is missing");
    rep.tenant_id = tenant;
    rep.user_id = r->id;
    rep.role = domain::Role::kRep;
    rep.unit_id = r->unit_id;
    rep.unit_path = r->unit_path;
    rep.username = "sh-rep-01";
    KEEL_ASSIGN_OR_RETURN(std::optional<int64_t> p, repo::FirstProductIn(*conn, tenant, "家电/空调/挂机"));
    if (!p) return Status::Internal("demo: no wall-mounted AC in the catalogue");
    product = *p;
    KEEL_ASSIGN_OR_RETURN(std::optional<int64_t> c, repo::FirstB2bCustomerOf(*conn, tenant, rep.user_id));
    if (!c) return Status::Internal("demo: sh-rep-01 has no B2B customer");
    customer = *c;
  }
  KEEL_RETURN_IF_ERROR(commerce.SaveAuthority(sys, {.unit_id = hq, .max_discount_pct = 5, .pct_is_integer = true}).status());
  UnitsSeed out;
  out.rep_id = rep.user_id;
  KEEL_RETURN_IF_ERROR(SeedLibrary(db, records, tenant, rep, units, customer, out));
  for (int64_t u : units) {
    KEEL_RETURN_IF_ERROR(commerce.SaveAuthority(sys, {.unit_id = u, .role = "rep", .max_discount_pct = 8, .pct_is_integer = true}).status());
    KEEL_RETURN_IF_ERROR(commerce.SaveAuthority(sys, {.unit_id = u, .role = "rep", .category_prefix = "家电/空调", .min_amount = 50000,
                                                       .max_discount_pct = 12, .pct_is_integer = true}).status());
    KEEL_RETURN_IF_ERROR(commerce.SaveAuthority(sys, {.unit_id = u, .role = "unit_lead", .max_discount_pct = 15, .pct_is_integer = true}).status());
  }
  // This quarter's marketing and travel budgets for every sales unit, part of them already spent.
  {
    org::BudgetService budgets(db, records.clock());
    // The quarter of the clock's local day (Asia/Shanghai, the demo's zone).
    const std::string day = FormatDate((records.clock().NowMs() + 8 * 3600000LL) / 86400000);
    const int month = std::stoi(day.substr(5, 2));
    const std::string quarter = day.substr(0, 4) + "-Q" + std::to_string((month - 1) / 3 + 1);
    int k = 0;
    for (int64_t u : units) {
      for (const auto& [category, amount] : std::vector<std::pair<std::string, double>>{{"marketing", 200000}, {"travel", 50000}}) {
        KEEL_ASSIGN_OR_RETURN(org::Budget b, budgets.Set(sys, {.unit_id = u, .category = category, .period = quarter, .amount = amount}));
        double spent = amount * (0.35 + 0.05 * (k++ % 9));
        KEEL_RETURN_IF_ERROR(
            budgets.Spend(sys, b.id, {.amount = std::round(spent), .note = category == "marketing" ? "门店促销与路演" : "客户拜访差旅"}).status());
        ++out.budgets;
      }
    }
  }
  struct Q { const char* code; int qty; double discount; const char* name; };
  const Q quotes[] = {{"QT-DEMO-001", 6, 5, "门店样机补货"}, {"QT-DEMO-002", 60, 16, "酒店客房挂机集采"}, {"QT-DEMO-003", 40, 25, "学校宿舍空调改造"}};
  for (const auto& q : quotes) {
    json body = {{"code", q.code}, {"name", q.name}, {"customer_id", customer}, {"owner_id", rep.user_id},
                 {"lines", {{{"product_id", product}, {"qty", q.qty}, {"unit_price", 3299}, {"discount_pct", q.discount}}}}};
    KEEL_ASSIGN_OR_RETURN(json created, records.Create(rep, *domain::FindEntity("quotes"), body));
    KEEL_ASSIGN_OR_RETURN(org::QuoteSubmission submitted,
                          commerce.SubmitQuote(rep, created["id"].get<int64_t>(), {.comment = std::string("客户比价，申请特价")}));
    SeededQuote seeded{created["id"].get<int64_t>(), q.code, q.name, q.discount, submitted.status, {}, {}};
    if (submitted.approval && submitted.approval->request) seeded.approval_id = submitted.approval->request->id;
    out.quotes.push_back(std::move(seeded));
  }
  // The store's sample restock was within authority: the customer accepted it and it is an order.
  KEEL_ASSIGN_OR_RETURN(org::QuoteOrder ordered, commerce.OrderFromQuote(rep, out.quotes[0].id, {}));
  out.quotes[0].order_id = ordered.order["id"].get<int64_t>();
  // Governance, set up after the quotes (HQ's checkpoints apply from now on): every sales unit
  // decides expenses alone up to 2,000 yuan, reports them up to 10,000 (above: approval), reports
  // budget transfers up to 20,000; its lead manages reps and supervisors, up to 5 more people.
  org::Governance governance(db, records.clock());
  org::BoundaryListChange boundaries;
  boundaries.entries = {{.action = "expense", .mode = "alone", .limit = 2000},
                        {.action = "expense", .mode = "report", .limit = 10000},
                        {.action = "budget_transfer", .mode = "report", .limit = 20000},
                        {.action = "member_change", .mode = "report"}};
  for (int64_t u : units) {
    KEEL_RETURN_IF_ERROR(governance.SetBoundaries(sys, u, boundaries).status());
    ++out.boundaries;
    KEEL_ASSIGN_OR_RETURN(org::UnitMembers members, governance.Members(sys, u));
    org::SandboxChange sandbox{.allowed_roles = {{"rep", "supervisor"}}, .max_members = members.headcount + 5, .may_disable = true};
    KEEL_RETURN_IF_ERROR(governance.SetSandbox(sys, u, sandbox).status());
    ++out.sandboxes;
  }
  KEEL_RETURN_IF_ERROR(governance.SaveCheckpoint(sys, {.name = "空调折扣超过 20%", .object = "quotes", .on = "submit",
                                                       .when = "line_discount_pct > 20 AND CONTAINS(line_category, \"空调\")", .action = "block",
                                                       .message_zh = "空调产品折扣超过 20% 须由战队负责人或总部说明理由后放行",
                                                       .message_en = "A discount above 20 % on air conditioners needs a unit lead or HQ to override it with a reason"})
                           .status());
  KEEL_RETURN_IF_ERROR(governance.SaveCheckpoint(sys, {.name = "合同未经法务审核", .object = "contracts", .on = "sign",
                                                       .when = "ISBLANK(legal_reviewed) OR legal_reviewed = FALSE", .action = "flag",
                                                       .message_zh = "合同尚未经过法务审核", .message_en = "The contract has not been reviewed by legal"})
                           .status());
  out.checkpoints = 2;
  return out;
}


}  // namespace keel::demo
