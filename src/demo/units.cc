// The demo's agile-unit setup: pricing authority for every sales unit, and quotes by sh-rep-01
// that go through approval (one within authority, one to the unit lead, one on to HQ); then the
// units' governance — boundary lists, two compliance checkpoints and the unit leads' sandboxes.
#include "demo/demo.h"

#include <cmath>

#include "org/approvals.h"
#include "org/budgets.h"
#include "org/governance.h"

namespace keel::demo {

using json = nlohmann::json;

// The demo's pricing authority and a few quotes going through approval.
Result<json> SeedUnits(store::Database& db, domain::RecordService& records, org::ApprovalEngine& approvals, int64_t tenant) {
  auto sys = domain::Principal::System(tenant);
  domain::Principal rep;
  int64_t hq = 0, product = 0, customer = 0;
  std::vector<int64_t> units;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
    store::Value q[] = {tenant};
    KEEL_ASSIGN_OR_RETURN(auto u, conn->Query("SELECT id, kind FROM units WHERE tenant_id = ? AND kind IN ('hq', 'unit') ORDER BY id", q));
    for (const auto& row : u.rows) {
      if (store::AsText(row[1]) == "hq") hq = store::AsInt(row[0]);
      else units.push_back(store::AsInt(row[0]));
    }
    store::Value rq[] = {tenant, std::string("sh-rep-01")};
    KEEL_ASSIGN_OR_RETURN(auto r, conn->Query("SELECT u.id, u.unit_id, un.path FROM users u JOIN units un ON un.tenant_id = u.tenant_id AND "
                                              "un.id = u.unit_id WHERE u.tenant_id = ? AND u.username = ?", rq));
    if (r.empty()) return Status::Internal("demo: sh-rep-01 is missing");
    rep.tenant_id = tenant;
    rep.user_id = store::AsInt(r.rows[0][0]);
    rep.role = domain::Role::kRep;
    rep.unit_id = store::AsInt(r.rows[0][1]);
    rep.unit_path = store::AsText(r.rows[0][2]);
    rep.username = "sh-rep-01";
    store::Value pq[] = {tenant};
    KEEL_ASSIGN_OR_RETURN(auto p, conn->Query("SELECT id FROM products WHERE tenant_id = ? AND category_path = '家电/空调/挂机' ORDER BY id LIMIT 1", pq));
    if (p.empty()) return Status::Internal("demo: no wall-mounted AC in the catalogue");
    product = store::AsInt(p.rows[0][0]);
    store::Value cq[] = {tenant, rep.user_id};
    KEEL_ASSIGN_OR_RETURN(auto c, conn->Query("SELECT id FROM customers WHERE tenant_id = ? AND owner_id = ? AND kind = 'b2b' ORDER BY id LIMIT 1", cq));
    if (c.empty()) return Status::Internal("demo: sh-rep-01 has no B2B customer");
    customer = store::AsInt(c.rows[0][0]);
  }
  KEEL_RETURN_IF_ERROR(approvals.SaveAuthority(sys, {{"unit_id", hq}, {"max_discount_pct", 5}}).status());
  for (int64_t u : units) {
    KEEL_RETURN_IF_ERROR(approvals.SaveAuthority(sys, {{"unit_id", u}, {"role", "rep"}, {"max_discount_pct", 8}}).status());
    KEEL_RETURN_IF_ERROR(approvals.SaveAuthority(sys, {{"unit_id", u}, {"role", "rep"}, {"category_prefix", "家电/空调"}, {"min_amount", 50000},
                                                       {"max_discount_pct", 12}}).status());
    KEEL_RETURN_IF_ERROR(approvals.SaveAuthority(sys, {{"unit_id", u}, {"role", "unit_lead"}, {"max_discount_pct", 15}}).status());
  }
  json out = {{"rep_id", rep.user_id}, {"quotes", json::array()}, {"budgets", 0}};
  // This quarter's marketing and travel budgets for every sales unit, part of them already spent.
  {
    org::BudgetService budgets(db, *Clock::System());
    std::string quarter;
    {
      KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
      store::Value q[] = {tenant};
      KEEL_ASSIGN_OR_RETURN(auto last, conn->Query("SELECT MAX(ordered_at) FROM orders WHERE tenant_id = ?", q));
      std::string day = store::IsNull(last.rows[0][0]) ? FormatDate(Clock::System()->NowMs() / 86400000) : store::AsText(last.rows[0][0]);
      int month = std::stoi(day.substr(5, 2));
      quarter = day.substr(0, 4) + "-Q" + std::to_string((month - 1) / 3 + 1);
    }
    int k = 0;
    for (int64_t u : units) {
      for (const auto& [category, amount] : std::vector<std::pair<std::string, double>>{{"marketing", 200000}, {"travel", 50000}}) {
        KEEL_ASSIGN_OR_RETURN(json b, budgets.Set(sys, {{"unit_id", u}, {"category", category}, {"period", quarter}, {"amount", amount}}));
        double spent = amount * (0.35 + 0.05 * (k++ % 9));
        KEEL_RETURN_IF_ERROR(budgets.Spend(sys, b["id"].get<int64_t>(), {{"amount", std::round(spent)}, {"note", category == "marketing" ? "门店促销与路演" : "客户拜访差旅"}}).status());
        out["budgets"] = out["budgets"].get<int>() + 1;
      }
    }
  }
  struct Q { const char* code; int qty; double discount; const char* name; };
  const Q quotes[] = {{"QT-DEMO-001", 6, 5, "门店样机补货"}, {"QT-DEMO-002", 60, 16, "酒店客房挂机集采"}, {"QT-DEMO-003", 40, 25, "学校宿舍空调改造"}};
  for (const auto& q : quotes) {
    json body = {{"code", q.code}, {"name", q.name}, {"customer_id", customer}, {"owner_id", rep.user_id},
                 {"lines", {{{"product_id", product}, {"qty", q.qty}, {"unit_price", 3299}, {"discount_pct", q.discount}}}}};
    KEEL_ASSIGN_OR_RETURN(json created, records.Create(rep, *domain::FindEntity("quotes"), body));
    KEEL_ASSIGN_OR_RETURN(json submitted, approvals.SubmitQuote(rep, created["id"].get<int64_t>(), {{"comment", "客户比价，申请特价"}}));
    out["quotes"].push_back({{"id", created["id"]}, {"code", q.code}, {"name", q.name}, {"discount_pct", q.discount},
                             {"status", submitted["status"]},
                             {"approval_id", submitted.contains("approval") ? submitted["approval"]["id"] : json(nullptr)}});
  }
  // Governance, set up after the quotes (HQ's checkpoints apply from now on): every sales unit
  // decides expenses alone up to 2,000 yuan, reports them up to 10,000 (above: approval), reports
  // budget transfers up to 20,000; its lead manages reps and supervisors, up to 5 more people.
  org::Governance governance(db, *Clock::System());
  out["boundaries"] = 0;
  out["sandboxes"] = 0;
  for (int64_t u : units) {
    KEEL_RETURN_IF_ERROR(governance.SetBoundaries(sys, u, {{"entries",
                                                            {{{"action", "expense"}, {"mode", "alone"}, {"limit", 2000}},
                                                             {{"action", "expense"}, {"mode", "report"}, {"limit", 10000}},
                                                             {{"action", "budget_transfer"}, {"mode", "report"}, {"limit", 20000}},
                                                             {{"action", "member_change"}, {"mode", "report"}}}}}).status());
    out["boundaries"] = out["boundaries"].get<int>() + 1;
    KEEL_ASSIGN_OR_RETURN(json members, governance.Members(sys, u));
    KEEL_RETURN_IF_ERROR(governance.SetSandbox(sys, u, {{"allowed_roles", {"rep", "supervisor"}},
                                                        {"max_members", members["headcount"].get<int64_t>() + 5}, {"may_disable", true}}).status());
    out["sandboxes"] = out["sandboxes"].get<int>() + 1;
  }
  KEEL_RETURN_IF_ERROR(governance.SaveCheckpoint(sys, {{"name", "空调折扣超过 20%"}, {"object", "quotes"}, {"on", "submit"},
                                                       {"when", "line_discount_pct > 20 AND CONTAINS(line_category, \"空调\")"}, {"action", "block"},
                                                       {"message_zh", "空调产品折扣超过 20% 须由战队负责人或总部说明理由后放行"},
                                                       {"message_en", "A discount above 20 % on air conditioners needs a unit lead or HQ to override it with a reason"}}).status());
  KEEL_RETURN_IF_ERROR(governance.SaveCheckpoint(sys, {{"name", "合同未经法务审核"}, {"object", "contracts"}, {"on", "sign"},
                                                       {"when", "ISBLANK(legal_reviewed) OR legal_reviewed = FALSE"}, {"action", "flag"},
                                                       {"message_zh", "合同尚未经过法务审核"}, {"message_en", "The contract has not been reviewed by legal"}}).status());
  out["checkpoints"] = 2;
  return out;
}


}  // namespace keel::demo
