// Walks every route of the OpenAPI document (1) with the tokens of another tenant and
// (2) with each role of the same tenant, and checks that nothing leaks and nothing changes.
#include <gtest/gtest.h>

#include <set>

#include "events/event_log.h"
#include "http/server_fixture.h"

namespace keel::http {
namespace {

using testing::HttpClient;
using testing::TestBackend;
using testing::TestClock;

const char* kMarker = "acme机密";

// The entity whose routes a path segment names: its kebab-case URL segment, or the entity name a
// deprecated alias still spells; null for the other routes.
const domain::EntityDef* EntityOfSegment(const std::string& segment) {
  for (const auto& e : domain::Entities()) {
    if (e.UrlSegment() == segment || e.name == segment) return &e;
  }
  return nullptr;
}

class IsolationTest : public ::testing::TestWithParam<TestBackend> {
 protected:
  void SetUp() override {
    f_ = std::make_unique<testing::ServerFixture>(GetParam());
    auto& o = f_->acme;
    auto sys = domain::Principal::System(o.tenant);
    auto mk = [&](const std::string& user, const std::string& entity, json body) {
      return testing::MustCreate(*f_->rs, user == "sys" ? sys : o.as.at(user), entity, body);
    };
    ids_["custom_fields"] = mk("admin", "custom_fields", {{"entity", "customers"}, {"name", "tier"}, {"type", "enum"},
                                                          {"label", kMarker}, {"options", {{"values", {"gold", kMarker}}}}});
    int n = 0;
    for (std::string u : {"rep_a1", "rep_a2", "rep_a3", "rep_b", "admin"}) {
      std::string k = std::to_string(++n);
      int64_t c = mk(u, "customers", {{"code", "AC" + k}, {"name", std::string(kMarker) + k}, {"kind", "b2b"},
                             {"custom", {{"tier", kMarker}}}});
      ids_["customers"] = c;
      if (u == "rep_a1") rep_customer_ = c;
      ids_["contacts"] = mk(u, "contacts", {{"customer_id", c}, {"name", kMarker}});
      ids_["leads"] = mk(u, "leads", {{"title", kMarker}, {"source", "website"}, {"channel", "online"}, {"status", "working"}});
      ids_["opportunities"] = mk(u, "opportunities", {{"name", kMarker}, {"customer_id", c}, {"amount", 1000}});
      ids_["activities"] = mk(u, "activities", {{"kind", "visit"}, {"occurred_at", "2026-11-01T10:00:00Z"}, {"notes", kMarker}, {"customer_id", c}});
      ids_["tasks"] = mk(u, "tasks", {{"title", kMarker}});
      ids_["orders"] = mk(u, "orders", {{"code", "AO" + k}, {"channel", "store"}, {"ordered_at", "2026-11-01T10:00:00Z"},
                                        {"lines", {{{"product_id", o.product}, {"qty", 1}, {"unit_price", 10}}}}});
    }
    ids_["members"] = mk("sys", "members", {{"card_no", "M-" + std::string(kMarker)}, {"customer_id", ids_["customers"]},
                                            {"store_id", o.store_a}, {"joined_at", "2026-01-01T00:00:00Z"}});
    ids_["promotions"] = mk("sys", "promotions", {{"code", "P1"}, {"name", kMarker}, {"kind", "discount"},
                                                  {"starts_at", "2026-11-01T00:00:00Z"}, {"ends_at", "2026-11-11T00:00:00Z"}});
    ids_["targets"] = mk("sys", "targets", {{"unit_id", o.unit_a}, {"metric", "revenue"}, {"period", "2026-11"}, {"value", 1}});
    ids_["units"] = o.unit_a;
    ids_["users"] = o.users["rep_a2"];  // not a caller below: ending your own sessions is allowed
    ids_["stores"] = o.store_a;
    ids_["products"] = o.product;
    auto key = f_->auth->CreateApiKey(o.as["admin"], {.name = kMarker});
    ids_["api-keys"] = key->id;
    api_key_ = key->token;
    auto hook = f_->alerts->CreateWebhook(o.as["admin"], {.name = kMarker, .channel = "wecom", .url = "http://127.0.0.1:9/acme"});
    ids_["webhooks"] = hook->id;
    auto silence = f_->alerts->CreateSilence(o.as["admin"], {.matchers = {{"unit", "1"}}, .duration = "1h", .comment = kMarker});
    ids_["alert-silences"] = silence->id;
    ids_["alerts"] = 999999999;  // none fires in this fixture
    // Text: feedback, a knowledge-base document, the tenant's terms, analyses and a recap.
    ids_["feedback"] = mk("admin", "feedback", {{"rating", 2}, {"text", std::string(kMarker) + "送货太慢"}, {"customer_id", ids_["customers"]}});
    auto doc = f_->text->AddDocument(o.as["admin"], {.title = kMarker, .body = std::string(kMarker) + "的缺货应对话术"});
    ids_["kb"] = doc->id;
    (void)f_->text->SaveSettings(o.as["admin"], {{"terms", {kMarker}}});
    (void)f_->text->ProcessNow(o.tenant);
    (void)f_->text->MakeRecap(o.tenant, "unit", o.unit_a, "2026-11-01");
    // Units: a quote beyond authority waiting for approval, a delegation, a pricing rule.
    ids_["quotes"] = mk("rep_a1", "quotes", {{"code", "Q-" + std::string(kMarker)}, {"customer_id", rep_customer_},
                                             {"lines", {{{"product_id", o.product}, {"qty", 2}, {"unit_price", 100}, {"discount_pct", 12}}}}});
    ids_["contracts"] = mk("rep_a1", "contracts", {{"code", "K-" + std::string(kMarker)}, {"name", kMarker}, {"customer_id", rep_customer_},
                                                   {"amount", 1000}, {"start_date", "2026-12-01"}, {"end_date", "2027-11-30"}});
    auto sub = f_->commerce->SubmitQuote(o.as["rep_a1"], ids_["quotes"], {.comment = std::string(kMarker)});
    if (!sub.ok() || !sub->approval || !sub->approval->request) throw std::runtime_error(sub.status().ToString());
    ids_["approvals"] = sub->approval->request->id;
    auto grant = f_->approvals->CreateGrant(o.as["lead_a"], {.grantee_id = o.users["sup_a"], .ends_at = TestClock().NowMs() + 30LL * 86400000,
                                                             .reason = kMarker});
    if (!grant.ok()) throw std::runtime_error(grant.status().ToString());
    ids_["grants"] = grant->id;
    auto rule = f_->commerce->SaveAuthority(o.as["admin"], {.unit_id = o.unit_a, .max_discount_pct = 8, .pct_is_integer = true});
    if (!rule.ok()) throw std::runtime_error(rule.status().ToString());
    ids_["pricing-authority"] = rule->id;
    auto budget = f_->budgets->Set(o.as["admin"], {.unit_id = o.unit_a, .category = "marketing", .period = "2026-11", .amount = 10000});
    if (!budget.ok()) throw std::runtime_error(budget.status().ToString());
    ids_["budgets"] = budget->id;
    const int64_t promo = mk("ops", "promotions", {{"code", "PR-ISO"}, {"name", kMarker}, {"kind", "discount"}, {"discount_pct", 5},
                                                   {"starts_at", "2026-11-01T00:00:00+08:00"}, {"ends_at", "2026-11-30T23:59:59+08:00"}});
    auto spent = f_->budgets->Spend(o.as["lead_a"], ids_["budgets"], {.amount = 100, .note = kMarker, .source_object = "promotions",
                                                                     .source_id = promo});
    if (!spent.ok()) throw std::runtime_error(spent.status().ToString());
    // Change requests: a budget transfer and a price change, each waiting for HQ.
    auto travel = f_->budgets->Set(o.as["admin"], {.unit_id = o.unit_a, .category = "travel", .period = "2026-11", .amount = 500});
    if (!travel.ok()) throw std::runtime_error(travel.status().ToString());
    ids_["budget_transfers"] = mk("lead_a", "budget_transfers", {{"from_budget_id", ids_["budgets"]}, {"to_budget_id", travel->id},
                                                                  {"amount", 300}, {"reason", kMarker}});
    ids_["price_changes"] = mk("lead_a", "price_changes", {{"product_id", o.product}, {"new_price", 3399}, {"effective_date", "2026-12-01"},
                                                            {"reason", kMarker}});
    // Unit accounting: a submitted claim, the policy, an allocation, a posted month and statements.
    ids_["expenses"] = mk("rep_a1", "expenses", {{"title", kMarker}, {"category", "marketing"},
                                                 {"lines", {{{"day", "2026-11-02"}, {"kind", "meal"}, {"amount", 50}, {"has_receipt", true}}}}});
    auto claim = f_->expenses->Submit(o.as["rep_a1"], ids_["expenses"], {.comment = kMarker});
    if (!claim.ok()) throw std::runtime_error(claim.status().ToString());
    auto policy = f_->expenses->SavePolicy(o.as["admin"], {.kind = "meal", .per = "person", .limit = 150, .note = kMarker});
    ids_["expense-policies"] = policy->id;
    auto alloc = f_->ledger->SaveAllocationRule(o.as["admin"], {.name = kMarker, .monthly_amount = 1000, .driver = "revenue"});
    ids_["allocation-rules"] = alloc->id;
    (void)f_->ledger->SaveSettings(o.as["admin"], {.commission_pct = 1.5});
    if (auto posted = f_->ledger->PostPeriod(o.as["admin"], "2026-11"); !posted.ok()) throw std::runtime_error(posted.status().ToString());
    auto share = f_->profit_sharing->SaveRule(o.as["admin"], {.name = kMarker, .pool_formula = "0.1 * MAX(gross_margin, 0)"});
    ids_["profit-sharing/rules"] = share->id;
    if (auto ran = f_->profit_sharing->Run(o.as["admin"], {.period = "2026-11"}); !ran.ok()) throw std::runtime_error(ran.status().ToString());
    ids_["profit-sharing/statements"] = f_->profit_sharing->Statements(o.as["admin"], {}).value().at(0).id;
    // Materials: HQ's shared one with a version, one of each unit's; case reviews; a feedback link.
    ids_["materials"] = mk("admin", "materials", {{"title", kMarker}, {"kind", "price_list"}, {"tags", kMarker}});
    mk("lead_a", "materials", {{"title", kMarker}, {"kind", "deck"}, {"unit_id", o.unit_a}});
    mk("lead_b", "materials", {{"title", kMarker}, {"kind", "deck"}, {"unit_id", o.unit_b}});
    auto version = f_->materials->AddVersion(o.as["admin"], ids_["materials"], {std::string(kMarker) + ",3299\n", "价格.csv", "text/csv", kMarker});
    if (!version.ok()) throw std::runtime_error(version.status().ToString());
    ids_["case_reviews"] = mk("rep_a1", "case_reviews", {{"title", kMarker}, {"outcome", "lost"}, {"lessons", kMarker}});
    mk("rep_b", "case_reviews", {{"title", kMarker}, {"outcome", "won"}});
    // Saved views and dashboards of the web front end.
    ids_["views"] = mk("rep_a1", "views", {{"kind", "dashboard"}, {"name", kMarker}, {"audience", "unit"},
                                           {"config", {{"widgets", {{{"metric", kMarker}, {"type", "line"}}}}}}});
    auto link = f_->feedback_links->Create(o.as["lead_a"], {.store_id = o.store_a, .title = kMarker});
    if (!link.ok()) throw std::runtime_error(link.status().ToString());
    ids_["feedback-links"] = link->id;
    link_token_ = link->token.value_or("");
    // Governance: a boundary list, a report, a checkpoint that flags, a sandbox and a member its lead created.
    auto must = [](const Status& st) {
      if (!st.ok()) throw std::runtime_error(st.ToString());
    };
    org::BoundaryListChange boundaries;
    boundaries.entries = {{.action = "expense", .mode = "report", .limit = 5000, .note = kMarker}};
    must(f_->governance->SetBoundaries(o.as["admin"], o.unit_a, boundaries).status());
    must(f_->governance->Report(o.tenant, o.unit_a, "expense", "expenses", 0, 100, kMarker, o.users["rep_a1"]));
    auto cp = f_->governance->SaveCheckpoint(o.as["admin"], {.name = kMarker, .object = "quotes", .on = "submit", .when = "total > 0",
                                                             .action = "flag", .message_zh = kMarker, .message_en = kMarker});
    must(cp.status());
    ids_["compliance"] = cp->id;
    must(f_->governance->Check(o.as["rep_a1"], "quotes", "submit", ids_["quotes"], {{"total", 1}, {"unit_id", o.unit_a}}, "").status());
    must(f_->governance->SetSandbox(o.as["admin"], o.unit_a, {.allowed_roles = {{"rep"}}, .max_members = 50, .may_disable = true}).status());
    must(f_->governance->AddMember(o.as["lead_a"], o.unit_a, {{"username", "iso_new"}, {"display_name", kMarker}, {"role", "rep"},
                                                              {"password", "welcome-to-keel-1"}}).status());
    // Background work on what the fixture wrote is done before anyone takes a digest.
    f_->text->Notify(o.tenant);
    f_->text->WaitIdle(60000);
    f_->ai->WaitIdle(60000);
    auto ds = f_->ai->CreateDataset(o.as["admin"], kMarker, "grade,won\n1,yes\n2,no\n3,no\n");
    ids_["ai/datasets"] = ds->id;
    auto job = f_->ai->StartTraining(o.as["admin"], "lead");
    ids_["ai/jobs"] = job->id;
    f_->ai->WaitIdle(60000);
  }

  // What acme has, as a string: row counts and latest change per table, events, sessions, keys.
  std::string Digest() {
    auto c = std::move(f_->db->Acquire()).value();
    std::string out;
    store::Value t[] = {f_->acme.tenant};
    for (const auto& e : domain::Entities()) {
      auto r = c->Query("SELECT COUNT(*), MAX(updated_at), COUNT(archived_at) FROM " + e.name + " WHERE tenant_id = ?", t);
      out += e.name + ":" + store::AsText(r->rows[0][0]) + "/" + store::AsText(r->rows[0][1]) + "/" + store::AsText(r->rows[0][2]) + " ";
    }
    for (const char* q : {"SELECT COUNT(*) FROM sessions WHERE tenant_id = ? AND revoked_at IS NULL",
                          "SELECT COUNT(*) FROM api_keys WHERE tenant_id = ? AND revoked_at IS NULL",
                          "SELECT COUNT(*) FROM audit_log WHERE tenant_id = ?",
                          "SELECT COUNT(*) || '/' || COALESCE(MAX(version), 0) FROM metric_defs WHERE tenant_id = ? AND status = 'active'",
                          "SELECT COUNT(*) FROM alert_rules WHERE tenant_id = ? AND status = 'active'",
                          "SELECT COUNT(*) FROM webhooks WHERE tenant_id = ? AND status = 'active'",
                          "SELECT COUNT(*) FROM alert_silences WHERE tenant_id = ?",
                          "SELECT COUNT(*) FROM signals WHERE tenant_id = ?",
                          "SELECT COUNT(*) FROM ingest_keys WHERE tenant_id = ?",
                          "SELECT COUNT(*) FROM event_types WHERE tenant_id = ?",
                          "SELECT COUNT(*) || '/' || COUNT(card) FROM ai_datasets WHERE tenant_id = ?",
                          "SELECT COUNT(*) FROM ai_jobs WHERE tenant_id = ?",
                          "SELECT COUNT(*) FROM ai_models WHERE tenant_id = ?",
                          "SELECT COUNT(*) || '/' || COUNT(archived_at) FROM kb_documents WHERE tenant_id = ?",
                          "SELECT terms || intents || recap_hour || COALESCE(llm, '') FROM text_settings WHERE tenant_id = ?",
                          "SELECT COUNT(*) FROM text_models WHERE tenant_id = ?",
                          "SELECT COUNT(*) || '/' || MAX(version) || '/' || MAX(status) FROM approval_requests WHERE tenant_id = ?",
                          "SELECT COUNT(*) || '/' || MAX(status) FROM approval_tasks WHERE tenant_id = ?",
                          "SELECT COUNT(*) FROM approval_log WHERE tenant_id = ?",
                          "SELECT COUNT(*) FROM approval_defs WHERE tenant_id = ?",
                          "SELECT COUNT(*) || '/' || COUNT(revoked_at) FROM grants WHERE tenant_id = ?",
                          "SELECT COUNT(*) || '/' || COUNT(archived_at) FROM pricing_authority WHERE tenant_id = ?",
                          "SELECT COUNT(*) || '/' || SUM(amount) || '/' || SUM(committed) FROM budgets WHERE tenant_id = ?",
                          "SELECT COUNT(*) FROM budget_entries WHERE tenant_id = ?",
                          "SELECT COUNT(*) || '/' || COUNT(archived_at) FROM expense_policies WHERE tenant_id = ?",
                          "SELECT COUNT(*) || '/' || COALESCE(SUM(amount), 0) FROM ledger_entries WHERE tenant_id = ?",
                          "SELECT COUNT(*) || '/' || COALESCE(MAX(status), '') FROM ledger_periods WHERE tenant_id = ?",
                          "SELECT COUNT(*) FROM accounting_settings WHERE tenant_id = ?",
                          "SELECT COUNT(*) || '/' || COUNT(archived_at) FROM allocation_rules WHERE tenant_id = ?",
                          "SELECT COUNT(*) || '/' || COUNT(archived_at) FROM profit_sharing_rules WHERE tenant_id = ?",
                          "SELECT COUNT(*) || '/' || COALESCE(SUM(amount), 0) FROM profit_share_statements WHERE tenant_id = ?",
                          "SELECT COUNT(*) || '/' || COALESCE(MAX(version), 0) FROM material_versions WHERE tenant_id = ?",
                          "SELECT COUNT(*) || '/' || COUNT(revoked_at) || '/' || SUM(submissions) FROM feedback_links WHERE tenant_id = ?",
                          "SELECT COUNT(*) || '/' || COALESCE(SUM(limit_amount), 0) FROM boundary_rules WHERE tenant_id = ?",
                          "SELECT COUNT(*) FROM boundary_reports WHERE tenant_id = ?",
                          "SELECT COUNT(*) || '/' || SUM(active) || '/' || COUNT(archived_at) || '/' || MAX(updated_at) FROM compliance_checkpoints WHERE tenant_id = ?",
                          "SELECT COUNT(*) FROM compliance_events WHERE tenant_id = ?",
                          "SELECT COUNT(*) || '/' || MAX(allowed_roles) || '/' || MAX(updated_at) FROM unit_sandboxes WHERE tenant_id = ?",
                          "SELECT COUNT(*) FROM sandbox_log WHERE tenant_id = ?",
                          "SELECT COUNT(*) FROM text_corrections WHERE tenant_id = ?",
                          "SELECT COUNT(*) FROM text_analyses WHERE tenant_id = ?",
                          "SELECT COUNT(*) || '/' || COALESCE(MAX(created_at), '') FROM text_recaps WHERE tenant_id = ?",
                          "SELECT name || time_zone || locale FROM tenants WHERE id = ?"}) {
      auto r = c->Query(q, t);
      out += store::AsText(r->rows[0][0]) + " ";
    }
    out += "events:" + std::to_string(*events::LastSeq(*c, f_->acme.tenant));
    return out;
  }

  // The concrete path for a route, pointing at acme's records.
  std::string PathFor(const std::string& pattern) {
    std::string path = pattern;
    bool ai = path.rfind("/api/v1/ai/", 0) == 0;
    if (size_t n = path.find("{name}"); n != std::string::npos) path.replace(n, 6, ai ? "lead" : "revenue");
    if (size_t n = path.find("{version}"); n != std::string::npos) path.replace(n, 9, "1");
    if (size_t n = path.find("{n}"); n != std::string::npos) path.replace(n, 3, "1");
    // Not acme's real link token: whoever holds that may answer it, by design.
    if (size_t n = path.find("{token}"); n != std::string::npos) path.replace(n, 7, "kfb_notarealtoken0000000000000000");
    if (size_t n = path.find("{user_id}"); n != std::string::npos) path.replace(n, 9, std::to_string(ids_.at("users")));
    size_t p = path.find("{id}");
    if (p == std::string::npos) return path;
    std::string entity = path.substr(8, path.find('/', 8) - 8);
    if (ai) entity = path.substr(8, path.find('/', 11) - 8);  // "ai/datasets", "ai/jobs"
    if (path.rfind("/api/v1/profit-sharing/", 0) == 0) entity = path.substr(8, path.find('/', 23) - 8);  // "profit-sharing/rules"
    if (const domain::EntityDef* e = EntityOfSegment(entity)) entity = e->name;
    return path.replace(p, 4, std::to_string(ids_.at(entity)));
  }

  // A body acme itself could send to the route.
  json BodyFor(const Route& r) {
    const domain::EntityDef* e = EntityOfSegment(r.pattern.substr(8, r.pattern.find('/', 8) - 8));
    if (r.pattern == "/api/v1/auth/login") return {{"tenant", "acme"}, {"username", "admin"}, {"password", "wrong-password!"}};
    if (r.pattern == "/api/v1/api-keys") return {{"name", "x"}, {"user_id", f_->acme.users["admin"]}};
    if (r.pattern == "/api/v1/tenant") return {{"name", "pwned"}};
    if (r.pattern.find("/convert") != std::string::npos) return {{"customer_id", ids_["customers"]}};
    if (r.pattern.rfind("/api/v1/alert-rules", 0) == 0) {
      return {{"name", "revenue"}, {"metric", "revenue"}, {"tiers", {{{"severity", "warning"}, {"when", "value < 0"}}}}};
    }
    if (r.pattern == "/api/v1/events") {
      return json::array({{{"type", "order"}, {"id", "iso-1"}, {"code", "ISO-1"}, {"store_code", "S-A"}, {"at", "2026-11-01T10:00:00Z"},
                           {"lines", {{{"sku", "AC-1"}, {"qty", 1}, {"unit_price", 1}}}}}});
    }
    if (r.pattern == "/api/v1/ai/datasets/{id}/train") return {{"label", "won"}};
    if (r.pattern == "/api/v1/materials/{id}/versions") return {{"content_base64", "eA=="}, {"file_name", "pwned.txt"}};
    if (r.pattern == "/api/v1/public/feedback/{token}") return {{"rating", 1}, {"text", "pwned"}};
    if (r.pattern == "/api/v1/event-types") return {{"name", "pwned"}, {"fields", {{{"name", "x"}, {"type", "number"}}}}};
    if (r.pattern == "/api/v1/webhooks") return {{"name", "x"}, {"channel", "wecom"}, {"url", "http://127.0.0.1:9/x"}};
    if (r.pattern == "/api/v1/alert-silences") return {{"duration", "1h"}, {"matchers", {{"unit", "1"}}}};
    if (r.pattern.rfind("/api/v1/metrics", 0) == 0) {
      return {{"name", "revenue"}, {"source", "order"}, {"agg", "sum"}, {"value", "total"}, {"dimensions", {"rep", "unit"}}};
    }
    if (!e) return json::object();
    if (r.method == "PATCH") {
      for (const char* f : {"name", "title", "display_name", "notes"}) {
        if (e->Field(f)) return {{f, "pwned"}};
      }
      return {{"value", 5}};
    }
    json body = {{"code", "NEW1"}, {"name", "pwned"}, {"kind", "b2b"}, {"customer_id", ids_["customers"]},
                 {"title", "pwned"}, {"source", "website"}, {"channel", "online"}, {"amount", 1},
                 {"occurred_at", "2026-11-01T10:00:00Z"}, {"ordered_at", "2026-11-01T10:00:00Z"},
                 {"unit_id", f_->acme.unit_a}, {"store_id", f_->acme.store_a},
                 {"lines", {{{"product_id", f_->acme.product}, {"qty", 1}, {"unit_price", 1}}}}};
    json out = json::object();
    for (auto& [k, v] : body.items()) {
      if (e->Field(k) || (e->child && e->child->name == k)) out[k] = v;
    }
    if (e->name == "activities") out["kind"] = "visit";
    if (e->name == "custom_fields") out = {{"entity", "customers"}, {"name", "pwned"}, {"type", "string"}, {"label", "pwned"}};
    return r.pattern.size() > 6 && r.pattern.substr(r.pattern.size() - 6) == "/batch" ? json::array({out}) : out;
  }

  std::unique_ptr<testing::ServerFixture> f_;
  std::map<std::string, int64_t> ids_;
  std::string api_key_, link_token_;
  int64_t rep_customer_ = 0;
};

TEST_P(IsolationTest, AnotherTenantSeesAndChangesNothingOnAnyRoute) {
  std::string before = Digest();
  HttpClient c(f_->port);
  int calls = 0;
  for (std::string who : {"admin", "ops", "rep_a1", "auditor"}) {
    for (const Route& r : f_->api->router().routes()) {
      if (r.pattern == "/api/v1/auth/logout") continue;  // would end the rival's own session
      std::string body = r.doc.request_schema.is_null() ? "" : BodyFor(r).dump();
      auto reply = c.Send(r.method, PathFor(r.pattern), body, f_->rival_tokens.at(who));
      ++calls;
      EXPECT_LT(reply.status, 500) << who << " " << r.method << " " << r.pattern << ": " << reply.body;
      EXPECT_EQ(reply.body.find(kMarker), std::string::npos)
          << "LEAK to rival " << who << " via " << r.method << " " << r.pattern << ": " << reply.body.substr(0, 300);
      EXPECT_EQ(reply.body.find(api_key_), std::string::npos);
      EXPECT_EQ(reply.body.find(link_token_), std::string::npos);
      if (r.pattern.find("{id}") != std::string::npos) {
        EXPECT_TRUE(reply.status == 404 || reply.status == 403 || reply.status == 400)
            << who << " " << r.method << " " << r.pattern << " → " << reply.status << " " << reply.body.substr(0, 300);
      }
    }
  }
  EXPECT_GT(calls, 4 * 70);
  // Logging out with a rival token ends only that rival session.
  EXPECT_EQ(c.Send("POST", "/api/v1/auth/logout", "", f_->rival_tokens.at("admin")).status, 200);
  EXPECT_EQ(Digest(), before) << "another tenant changed acme's data";
}

TEST_P(IsolationTest, EachRoleSeesOnlyItsPartOfTheTree) {
  auto& o = f_->acme;
  auto sys = domain::Principal::System(o.tenant);
  std::map<std::string, std::set<int64_t>> owners = {
      {"rep_a1", {o.users["rep_a1"]}},
      {"sup_a", {o.users["sup_a"], o.users["rep_a1"], o.users["rep_a2"]}},
  };
  std::map<std::string, std::set<int64_t>> units = {
      {"lead_a", {o.unit_a, o.store_unit_a}}, {"lead_b", {o.unit_b}},
      {"rep_a1", {o.unit_a, o.store_unit_a}}, {"sup_a", {o.unit_a, o.store_unit_a}}};
  // Shared records (materials): also those of the units above.
  std::map<std::string, std::set<int64_t>> shared = {
      {"lead_a", {o.hq, o.region, o.unit_a, o.store_unit_a}}, {"lead_b", {o.hq, o.region, o.unit_b}},
      {"rep_a1", {o.hq, o.region, o.unit_a, o.store_unit_a}}, {"sup_a", {o.hq, o.region, o.unit_a, o.store_unit_a}}};
  HttpClient c(f_->port);
  for (std::string who : {"rep_a1", "sup_a", "lead_a", "lead_b", "analyst", "auditor", "ops"}) {
    for (const auto& e : domain::Entities()) {
      auto reply = c.Get("/api/v1/" + e.UrlSegment() + "?limit=500&include_archived=true", f_->tokens.at(who));
      ASSERT_EQ(reply.status, 200) << who << " " << e.name;
      json items = reply.json()["items"];
      auto all = f_->rs->List(sys, e, {{"limit", "500"}, {"include_archived", "true"}});
      if (domain::SeesWholeTenant(f_->acme.as[who].role) || e.scope == domain::Scope::kTenant ||
          e.scope == domain::Scope::kPublished) {
        EXPECT_EQ(items.size(), all->items.size()) << who << " should see all " << e.name;
        continue;
      }
      bool by_owner = e.scope == domain::Scope::kOwned && owners.count(who);
      if (e.scope == domain::Scope::kShared) {
        for (const auto& item : items) {
          EXPECT_TRUE(item["unit_id"].is_null() || shared[who].count(item["unit_id"].get<int64_t>())) << who << " sees " << item.dump();
        }
        // Materials: HQ's and their unit's; saved views: rep_a1's, in unit A.
        size_t want = e.name == "views" ? (who == "lead_b" ? 0u : 1u) : 2u;
        EXPECT_EQ(items.size(), want) << who << ": " << e.name;
        continue;
      }
      for (const auto& item : items) {
        if (by_owner) {
          EXPECT_TRUE(owners[who].count(item["owner_id"].get<int64_t>())) << who << " sees " << e.name << " " << item.dump();
        } else {
          EXPECT_TRUE(units[who].count(item["unit_id"].get<int64_t>())) << who << " sees " << e.name << " " << item.dump();
        }
      }
      if (e.name == "customers") {
        size_t expected = who == "rep_a1" ? 1 : who == "sup_a" ? 2 : who == "lead_a" ? 3 : 1;
        EXPECT_EQ(items.size(), expected) << who;
      }
    }
  }
}

TEST_P(IsolationTest, RolesWithoutWriteRightsChangeNothing) {
  std::string before = Digest();
  HttpClient c(f_->port);
  for (std::string who : {"analyst", "auditor", "rep_a1", "sup_a", "lead_a"}) {
    domain::Role role = f_->acme.as[who].role;
    for (const Route& r : f_->api->router().routes()) {
      if (r.method == "GET") continue;
      const domain::EntityDef* e = EntityOfSegment(r.pattern.substr(8, r.pattern.find('/', 8) - 8));
      bool allowed = e ? e->CanWrite(role) : role == domain::Role::kAdmin;
      // Silences: lead_a may neither silence unit "1" (not theirs) nor end the admin's silence.
      if (r.pattern == "/api/v1/events" || r.pattern == "/api/v1/imports") {
        allowed = !domain::IsReadOnly(role);  // everyone else sends their own facts
      }
      // Supervisors and unit leads write playbooks; analysing a text writes nothing.
      if (r.pattern.rfind("/api/v1/kb/", 0) == 0) allowed = !domain::IsReadOnly(role) && role != domain::Role::kRep;
      if (r.pattern == "/api/v1/text/analyze") continue;
      // Approvals, delegation and quote submission are for every role that writes (checked inside).
      // Unit leads make and revoke their units' feedback links.
      if (r.pattern.rfind("/api/v1/feedback-links", 0) == 0) allowed = role == domain::Role::kUnitLead || role == domain::Role::kAdmin;
      if (r.pattern.rfind("/api/v1/approvals", 0) == 0 || r.pattern.rfind("/api/v1/grants", 0) == 0 ||
          r.pattern == "/api/v1/budgets/{id}/spend" || r.pattern == "/api/v1/budgets/{id}/release" ||
          r.pattern == "/api/v1/quotes/{id}/submit") {
        allowed = !domain::IsReadOnly(role);
      }
      // Members report what their unit decided; unit leads manage people inside their sandbox (checked inside).
      if (r.pattern == "/api/v1/boundary-reports") allowed = !domain::IsReadOnly(role);
      if (r.pattern.rfind("/api/v1/units/{id}/members", 0) == 0) allowed = role == domain::Role::kUnitLead;
      // Login/logout act on the caller; formula checks write nothing.
      if (allowed || r.pattern.rfind("/api/v1/auth/", 0) == 0 || r.pattern.rfind("/api/v1/formula/", 0) == 0 ||
          r.pattern == "/api/v1/metrics/check" || r.pattern == "/api/v1/alert-rules/check") {
        continue;
      }
      std::string body = r.doc.request_schema.is_null() ? "" : BodyFor(r).dump();
      auto reply = c.Send(r.method, PathFor(r.pattern), body, f_->tokens.at(who));
      EXPECT_TRUE(reply.status == 403 || reply.status == 404)
          << who << " " << r.method << " " << r.pattern << " → " << reply.status << " " << reply.body.substr(0, 200);
    }
  }
  EXPECT_EQ(Digest(), before);
}

INSTANTIATE_TEST_SUITE_P(Backends, IsolationTest, ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

}  // namespace
}  // namespace keel::http
