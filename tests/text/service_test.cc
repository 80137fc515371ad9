// The text service on the demo company: the daily recap names the planted stock-out, feedback
// carries its sentiment and the model that judged it, the knowledge base answers with snippets,
// an open deal gets similar won deals and talk tracks, a draft comes from a stand-in
// OpenAI-compatible server, recaps reach the webhooks at the recap hour, and nothing crosses
// tenants.
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>

#include "demo/demo.h"
#include "domain/auth.h"
#include "domain/schema.h"
#include "events/lease.h"
#include "support/test_db.h"
#include "support/webhook_receiver.h"
#include "text/service.h"

namespace keel::text {
namespace {

class TextDemo : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { env_ = new Env(); }
  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
  }
  struct Env {
    ManualClock clock{MsFromCivil(2026, 11, 27, 1, 0, 0)};  // 09:00 in Shanghai, the day after the history ends
    std::unique_ptr<store::Database> db = testing::NewDatabase(testing::TestBackend::kSqlite);
    domain::RecordService rs{*db, clock};
    domain::AuthService auth{*db, clock, rs};
    demo::DemoSummary summary;
    // The stand-in LLM and robots listen on 127.0.0.1, allow-listed as an operator would.
    outbound::Policy loopback{{net::ParseCidr("127.0.0.1/32").value()}};
    std::unique_ptr<TextService> text;
    int64_t analysed = 0;
    Env() {
      demo::DemoOptions o;
      o.end_date = "2026-11-26";
      o.password = "demo-password-for-tests";
      o.quiet = true;
      summary = demo::Generate(*db, rs, auth, o).value();
      TextOptions to;
      to.periodic = false;
      to.outbound = &loopback;
      text = std::make_unique<TextService>(*db, rs, clock, to);
      analysed = text->Backfill(summary.tenant_id, clock.NowMs() - 35LL * 86400000).value();
    }
  };
  static Env* env_;
  int64_t tenant() const { return env_->summary.tenant_id; }
  domain::Principal Admin() const { return domain::Principal::System(tenant()); }
  domain::Principal As(const std::string& username) {
    auto c = std::move(env_->db->Acquire()).value();
    store::Value q[] = {tenant(), username};
    auto r = c->Query("SELECT u.id, u.role, u.unit_id, un.path FROM users u JOIN units un ON un.tenant_id = u.tenant_id AND "
                      "un.id = u.unit_id WHERE u.tenant_id = ? AND u.username = ?", q).value();
    domain::Principal p;
    p.tenant_id = tenant();
    p.user_id = store::AsInt(r.rows[0][0]);
    p.role = *domain::ParseRole(store::AsText(r.rows[0][1]));
    p.unit_id = store::AsInt(r.rows[0][2]);
    p.unit_path = store::AsText(r.rows[0][3]);
    p.username = username;
    return p;
  }
  store::Rows Q(const std::string& sql, std::vector<store::Value> params = {}) {
    auto c = std::move(env_->db->Acquire()).value();
    return c->Query(sql, params).value();
  }
};
TextDemo::Env* TextDemo::env_ = nullptr;

TEST_F(TextDemo, TheDailyRecapNamesThePlantedStockOutInChinese) {
  auto r = env_->text->MakeRecap(tenant(), "unit", env_->summary.stockout_unit, env_->summary.last_day);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::printf("%s\n", (*r)["summary_zh"].get<std::string>().c_str());
  ASSERT_FALSE((*r)["problems"].empty());
  const json& top = (*r)["problems"][0];
  EXPECT_EQ(top["intent"], "stock_out") << r->dump();
  EXPECT_GE(top["count"].get<int>(), 7);  // 7 planted notes that day, and any that say 缺货 by themselves
  ASSERT_GE(top["quotes"].size(), 2u);
  for (const auto& q : top["quotes"]) {
    std::string text = q["text"];
    EXPECT_TRUE(text.find("缺货") != std::string::npos || text.find("断货") != std::string::npos || text.find("没货") != std::string::npos ||
                text.find("库存") != std::string::npos)
        << text;
    EXPECT_FALSE(q["rep"].is_null());
  }
  bool names_ac = false;
  for (const auto& kp : top["key_phrases"]) names_ac |= kp["text"].get<std::string>().find("挂机") != std::string::npos;
  EXPECT_TRUE(names_ac) << top["key_phrases"].dump();
  EXPECT_FALSE(top["affected_stores"].empty());
  EXPECT_NE((*r)["summary_zh"].get<std::string>().find("缺货断货"), std::string::npos);
  EXPECT_NE((*r)["summary_en"].get<std::string>().find("stock-out"), std::string::npos);
  // The planted notes are negative: the unit's mood fell against last week.
  EXPECT_EQ((*r)["sentiment"]["trend"], "down") << (*r)["sentiment"].dump();
  // A unit without the planted problem does not lead with it.
  auto others = Q("SELECT id FROM units WHERE tenant_id = ? AND kind = 'unit' AND id <> ? ORDER BY id LIMIT 3",
                  {tenant(), env_->summary.stockout_unit});
  for (const auto& row : others.rows) {
    auto o = env_->text->MakeRecap(tenant(), "unit", store::AsInt(row[0]), env_->summary.last_day);
    ASSERT_TRUE(o.ok());
    if (!(*o)["problems"].empty()) {
      EXPECT_NE((*o)["problems"][0]["intent"], "stock_out") << o->dump();
    }
  }
}

TEST_F(TextDemo, ASupervisorReadsTheTeamRecapInTheirLanguage) {
  auto sup = As("sh-sup-1");
  auto zh = env_->text->Recap(sup, {{"date", env_->summary.last_day}});
  ASSERT_TRUE(zh.ok()) << zh.status().ToString();
  EXPECT_EQ((*zh)["scope"], "team");
  EXPECT_EQ((*zh)["lang"], "zh");
  EXPECT_NE((*zh)["summary"].get<std::string>().find("团队"), std::string::npos);
  auto en = env_->text->Recap(sup, {{"date", env_->summary.last_day}, {"lang", "en"}});
  ASSERT_TRUE(en.ok());
  EXPECT_NE((*en)["summary"].get<std::string>().find("team"), std::string::npos);
  // Not another unit's.
  auto other = Q("SELECT id FROM units WHERE tenant_id = ? AND kind = 'unit' AND path NOT LIKE ? LIMIT 1", {tenant(), sup.unit_path + "%"});
  auto denied = env_->text->Recap(sup, {{"unit_id", store::AsText(other.rows[0][0])}});
  EXPECT_EQ(denied.status().kind(), ErrorKind::kNotFound);
  auto mine = env_->text->MyRecaps(sup, "zh");
  ASSERT_TRUE(mine.ok());
  ASSERT_FALSE(mine->empty());
  EXPECT_TRUE((*mine)[0].contains("delivered"));
}

TEST_F(TextDemo, FeedbackShowsSentimentWithTheModelUsed) {
  auto model = env_->text->SentimentModel(Admin());
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(model->model, "fasttext:v1");
  ASSERT_TRUE(model->card.has_value());
  EXPECT_GE((*model->card)["holdout_accuracy"].get<double>(), (*model->card)["lexicon_holdout_accuracy"].get<double>());
  auto rows = Q("SELECT rating, sentiment_label, sentiment_model, text FROM feedback WHERE tenant_id = ?", {tenant()});
  ASSERT_GT(rows.size(), 2000u);
  int agree = 0, judged = 0;
  for (const auto& r : rows.rows) {
    ASSERT_FALSE(store::IsNull(r[2])) << "every feedback is judged";
    std::string m = store::AsText(r[2]);
    EXPECT_TRUE(m == (store::IsNull(r[3]) ? "rating" : "fasttext:v1")) << m;
    int64_t rating = store::AsInt(r[0]);
    if (rating == 3 || store::IsNull(r[3])) continue;
    ++judged;
    agree += (rating >= 4) == (store::AsText(r[1]) == "positive");
  }
  EXPECT_GT(static_cast<double>(agree) / judged, 0.9);
  auto fb = env_->rs.Get(Admin(), *domain::FindEntity("feedback"), store::AsInt(Q("SELECT id FROM feedback WHERE tenant_id = ? AND text IS NOT NULL LIMIT 1", {tenant()}).rows[0][0]));
  ASSERT_TRUE(fb.ok());
  EXPECT_EQ((*fb)["sentiment_model"], "fasttext:v1");
}

TEST_F(TextDemo, TheKnowledgeBaseAnswersWithSnippets) {
  auto rep = As("sh-rep-01");
  auto r = env_->text->Search(rep, {{"q", "客户说价格比网上贵怎么办"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_FALSE(r->items.empty());
  EXPECT_EQ(r->items[0].title, "价格异议应对话术");
  EXPECT_NE(r->items[0].snippet.find("<em>"), std::string::npos);
  // Won deals' notes are searchable too, filtered by product line.
  auto won = env_->text->Search(rep, {{"q", "酒店 批量 报价"}, {"kind", "won_deal_note"}});
  ASSERT_TRUE(won.ok());
  ASSERT_FALSE(won->items.empty());
  EXPECT_GT(won->items[0].opportunity_id.value_or(0), 0);
  auto ac = env_->text->Search(rep, {{"q", "缺货"}, {"product_line", "空调"}});
  ASSERT_TRUE(ac.ok());
  for (const auto& h : ac->items) EXPECT_EQ(h.product_line, "空调");
  EXPECT_EQ(env_->text->Search(rep, {{"q", "x"}, {"nope", "1"}}).status().code(), "validation.parameter");
}

TEST_F(TextDemo, AnOpenDealGetsSimilarWonDealsAndTalkTracks) {
  auto open = Q("SELECT o.id FROM opportunities o WHERE o.tenant_id = ? AND o.outcome = 'open' AND EXISTS (SELECT 1 FROM activities a "
                "WHERE a.tenant_id = o.tenant_id AND a.opportunity_id = o.id AND a.notes LIKE '%价格%') ORDER BY o.id LIMIT 1",
                {tenant()});
  ASSERT_FALSE(open.empty());
  int64_t opp = store::AsInt(open.rows[0][0]);
  auto r = env_->text->TalkTracks(Admin(), opp);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_FALSE(r->similar_won_deals.empty());
  auto won_ids = Q("SELECT id FROM opportunities WHERE tenant_id = ? AND outcome = 'won'", {tenant()});
  std::set<int64_t> won;
  for (const auto& w : won_ids.rows) won.insert(store::AsInt(w[0]));
  for (const auto& s : r->similar_won_deals) {
    EXPECT_TRUE(won.count(s.opportunity_id));
    EXPECT_FALSE(s.reasons_zh.empty());
  }
  bool price = false;
  for (const auto& i : r->detected_intents) price |= i.code == "price_objection";
  EXPECT_TRUE(price);
  bool hint = false;
  for (const auto& h : r->hints) {
    EXPECT_FALSE(h.source.kind.empty());
    hint |= h.intent == "price_objection";
  }
  EXPECT_TRUE(hint);
}

TEST_F(TextDemo, ADraftIsGroundedAndComesFromTheConfiguredEndpoint) {
  auto open = Q("SELECT id FROM opportunities WHERE tenant_id = ? AND outcome = 'open' ORDER BY id LIMIT 1", {tenant()});
  int64_t opp = store::AsInt(open.rows[0][0]);
  EXPECT_EQ(env_->text->DraftFollowUp(Admin(), opp, {}).status().code(), "text.llm_not_configured");
  testing::Receiver llm({{200, R"j({"id":"x","model":"stand-in-1","choices":[{"index":0,"message":{"role":"assistant",
      "content":"王经理您好，感谢您上周抽时间交流……[1]"}}]})j"}});
  std::string url = llm.Url("/v1");
  ASSERT_TRUE(env_->text->SaveSettings(Admin(), {{"llm", {{"url", url}, {"model", "stand-in-1"}, {"api_key", "sk-test"}}}}).ok());
  auto settings = env_->text->Settings(Admin());
  ASSERT_TRUE(settings->llm.has_value());
  EXPECT_TRUE(settings->llm->has_key);  // the key itself is never shown (LlmView has no field for it)
  auto d = env_->text->DraftFollowUp(Admin(), opp, {.lang = "zh"});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->draft, "王经理您好，感谢您上周抽时间交流……[1]");
  EXPECT_EQ(d->model, "stand-in-1");
  auto got = llm.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].target, "/v1/chat/completions");
  EXPECT_EQ(got[0].authorization, "Bearer sk-test");
  auto stored = Q("SELECT llm FROM text_settings WHERE tenant_id = ?", {tenant()});
  EXPECT_EQ(store::AsText(stored.rows[0][0]).find("sk-test"), std::string::npos) << "the key is stored sealed";
  json sent = json::parse(got[0].body);
  EXPECT_EQ(sent["model"], "stand-in-1");
  EXPECT_EQ(sent["messages"][0]["role"], "system");
  // The deal's facts are in the prompt.
  auto name = Q("SELECT name FROM opportunities WHERE tenant_id = ? AND id = ?", {tenant(), opp});
  EXPECT_NE(sent["messages"][1]["content"].get<std::string>().find(store::AsText(name.rows[0][0])), std::string::npos);
  // A new URL without the key again: the key is not carried over to it.
  testing::Receiver broken({{500, "upstream down"}});
  auto moved = env_->text->SaveSettings(Admin(), {{"llm", {{"url", broken.Url("/v1")}, {"model", "m"}}}});
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  ASSERT_TRUE(moved->llm.has_value());
  EXPECT_FALSE(moved->llm->has_key);
  // A broken endpoint is a clear 4xx, not a crash, and its answer is not relayed.
  auto bad = env_->text->DraftFollowUp(Admin(), opp, {});
  EXPECT_EQ(bad.status().code(), "text.llm_failed");
  EXPECT_EQ(bad.status().kind(), ErrorKind::kUnprocessable);
  EXPECT_EQ(bad.status().message_en().find("upstream down"), std::string::npos);
  ASSERT_EQ(broken.requests().size(), 1u);
  EXPECT_EQ(broken.requests()[0].authorization, "") << "sk-test went only where it was entered for";
  ASSERT_TRUE(env_->text->SaveSettings(Admin(), {{"llm", nullptr}}).ok());
}

TEST_F(TextDemo, NotesAreAnalysedAsTheyArriveAndRecapsReachTheWebhooksAtTheRecapHour) {
  testing::Receiver hook({{200, R"j({"errcode":0,"errmsg":"ok"})j"}, {200, R"j({"errcode":0,"errmsg":"ok"})j"},
                          {200, R"j({"errcode":0,"errmsg":"ok"})j"}, {200, R"j({"errcode":0,"errmsg":"ok"})j"}});
  {
    auto c = std::move(env_->db->Acquire()).value();
    store::Value q[] = {tenant(), int64_t{99001}, std::string("recap"), std::string("wecom"), hook.Url("/cgi-bin/webhook/send?key=k"),
                        env_->summary.stockout_unit, std::string("info"), std::string("zh-CN"), std::string("active"),
                        FormatTimestamp(env_->clock.NowMs())};
    ASSERT_TRUE(c->Exec("INSERT INTO webhooks (tenant_id, id, name, channel, url, unit_id, min_severity, locale, status, created_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", q).ok());
  }
  TextOptions to;
  to.periodic = true;
  to.outbound = &env_->loopback;
  TextService live(*env_->db, env_->rs, env_->clock, to);
  live.Start();
  // A note logged now is analysed within the worker's next pass.
  auto unit = Q("SELECT u.id, u.owner_id FROM activities u WHERE tenant_id = ? AND unit_id IN (SELECT id FROM units WHERE tenant_id = ? "
                "AND path LIKE (SELECT path FROM units WHERE tenant_id = ? AND id = ?) || '%') AND owner_id IS NOT NULL LIMIT 1",
                {tenant(), tenant(), tenant(), env_->summary.stockout_unit});
  int64_t owner = store::AsInt(unit.rows[0][1]);
  auto a = env_->rs.Create(Admin(), *domain::FindEntity("activities"),
                           {{"kind", "visit"}, {"occurred_at", FormatTimestamp(env_->clock.NowMs() - 3600000)}, {"owner_id", owner},
                            {"notes", "客户投诉安装师傅迟到，态度差，要求退货"}});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(live.WaitIdle(60000));
  auto analysis = live.AnalysisOf(Admin(), "activities", (*a)["id"].get<int64_t>());
  ASSERT_TRUE(analysis.ok());
  EXPECT_EQ(analysis->sentiment.label, "negative");
  ASSERT_FALSE(analysis->intents.empty());
  EXPECT_EQ(analysis->intents[0].code, "complaint");
  // 18:00 in Shanghai: every unit's recap for the day, the problem unit's sent to its webhook.
  env_->clock.Set(MsFromCivil(2026, 11, 27, 10, 5, 0));
  live.Notify(tenant());
  ASSERT_TRUE(live.WaitIdle(120000));
  auto sent = hook.requests();
  ASSERT_GE(sent.size(), 1u);
  json body = json::parse(sent[0].body);
  EXPECT_NE(body["markdown"]["content"].get<std::string>().find("每日AI复盘"), std::string::npos) << sent[0].body;
  auto recaps = Q("SELECT COUNT(*) FROM text_recaps WHERE tenant_id = ? AND day = '2026-11-27'", {tenant()});
  EXPECT_GT(store::AsInt(recaps.rows[0][0]), 10);
  live.Stop();
}

// Several nodes (issue 17): a day's recaps are made by the node that claims the tenant's day
// first (events::Leases::Claim); another node that finds it claimed makes none.
TEST_F(TextDemo, ADayThatAnotherNodeClaimedGetsNoSecondSetOfRecaps) {
  events::Leases mine(*env_->db, env_->clock, {.holder = "node-1", .ttl_ms = 60000});
  events::Leases other(*env_->db, env_->clock, {.holder = "node-2", .ttl_ms = 60000});
  ASSERT_TRUE(other.Claim(tenant(), "text.recap", "2026-11-28").value());
  events::AttachLeases(*env_->db, &mine);
  const TimeMs was = env_->clock.NowMs();
  env_->clock.Set(MsFromCivil(2026, 11, 28, 10, 5, 0));  // 18:05 in Shanghai, past the recap hour
  TextOptions to;
  to.periodic = true;
  to.outbound = &env_->loopback;
  {
    TextService live(*env_->db, env_->rs, env_->clock, to);
    live.Start();
    live.Notify(tenant());
    ASSERT_TRUE(live.WaitIdle(120000));
    live.Stop();
  }
  events::AttachLeases(*env_->db, nullptr);
  env_->clock.Set(was);
  auto recaps = Q("SELECT COUNT(*) FROM text_recaps WHERE tenant_id = ? AND day = '2026-11-28'", {tenant()});
  EXPECT_EQ(store::AsInt(recaps.rows[0][0]), 0) << "node-2 claimed the day: it makes them";
  EXPECT_FALSE(mine.Claim(tenant(), "text.recap", "2026-11-28").value());
  EXPECT_TRUE(mine.Claim(tenant(), "text.recap", "2026-11-29").value()) << "the next day is anyone's";
}

TEST_F(TextDemo, AnotherTenantSeesNoneOfIt) {
  domain::NewTenant nt;
  nt.code = "rival-text";
  nt.name = "Rival";
  int64_t rival = env_->auth.CreateTenant(nt).value();
  auto p = domain::Principal::System(rival);
  auto s = env_->text->Search(p, {{"q", "价格"}});
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->items.empty());
  auto act = Q("SELECT id FROM activities WHERE tenant_id = ? AND notes IS NOT NULL LIMIT 1", {tenant()});
  EXPECT_EQ(env_->text->AnalysisOf(p, "activities", store::AsInt(act.rows[0][0])).status().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(env_->text->Recap(p, {{"unit_id", std::to_string(env_->summary.stockout_unit)}}).status().kind(), ErrorKind::kNotFound);
  auto model = env_->text->SentimentModel(p);
  EXPECT_EQ(model->model, "lexicon");
  auto opp = Q("SELECT id FROM opportunities WHERE tenant_id = ? LIMIT 1", {tenant()});
  EXPECT_EQ(env_->text->TalkTracks(p, store::AsInt(opp.rows[0][0])).status().kind(), ErrorKind::kNotFound);
}

TEST_F(TextDemo, CorrectionsTeachTheIntentModel) {
  // The tenant adds a category whose words the rules cannot know; users correct notes into it.
  ASSERT_TRUE(env_->text->SaveSettings(Admin(), {{"intents", {{{"code", "installation"}, {"zh", "安装排期"}, {"en", "installation"},
                                                                {"terms", {"安装预约系统"}}}}}}).ok());
  auto sup = As("sh-sup-1");
  auto correct = [&](const std::string& like, const std::vector<std::string>& labels, int n) {
    auto rows = Q("SELECT id FROM activities WHERE tenant_id = ? AND notes LIKE ? ORDER BY id LIMIT " + std::to_string(n),
                  {tenant(), "%" + like + "%"});
    ASSERT_EQ(rows.size(), static_cast<size_t>(n)) << like;
    for (const auto& r : rows.rows) {
      CorrectIntentsCommand cmd;
      cmd.intents.emplace(labels.begin(), labels.end());
      auto c = env_->text->CorrectIntents(Admin(), store::AsInt(r[0]), cmd);
      ASSERT_TRUE(c.ok()) << c.status().ToString();
    }
  };
  correct("安装排期", {"complaint", "installation"}, 20);
  correct("延长账期", {"payment"}, 20);
  auto before = env_->text->Analyze(sup, {.text = "门店说安装排期又拖了，客户着急"});
  ASSERT_TRUE(before.ok());
  bool learnt = false;
  for (const auto& i : before->intents) learnt |= i.code == "installation";
  EXPECT_TRUE(learnt);
  EXPECT_EQ(before->intent_source, "rules+model:v2");  // trained at 30 corrections and again at 40
  auto other = env_->text->Analyze(sup, {.text = "经销商要求延长账期"});
  ASSERT_TRUE(other.ok());
  for (const auto& i : other->intents) EXPECT_NE(i.code, "installation");
  // Read-only roles cannot correct.
  auto analyst = As("analyst");
  auto any = Q("SELECT id FROM activities WHERE tenant_id = ? AND notes IS NOT NULL LIMIT 1", {tenant()});
  CorrectIntentsCommand other_only;
  other_only.intents = std::vector<std::optional<std::string>>{"other"};
  EXPECT_EQ(env_->text->CorrectIntents(analyst, store::AsInt(any.rows[0][0]), other_only).status().kind(), ErrorKind::kForbidden);
}

}  // namespace
}  // namespace keel::text
