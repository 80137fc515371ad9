// The adversarial suite (docs/security.md): every file in tests/security/cases/ is a list of
// request → expected reply steps (the same format as tests/http/cases, see
// tests/http/cases_runner.h) run against a real server on both backends — one file per
// vulnerability or probe family. Resource cases bound the server's own resident set
// ("max_rss_growth_mb"), never the wall clock. Beside them, C++ tests of what the API cannot
// show: secrets as stored in the database.
#include "http/cases_runner.h"
#include "support/webhook_receiver.h"

namespace keel::http {
namespace {

using testing::TestBackend;
using testing::TestClock;

class SecurityCases : public ::testing::TestWithParam<TestBackend> {};

TEST_P(SecurityCases, RequestResponseFiles) { cases::RunCaseFiles(GetParam(), "tests/security/cases"); }

// Issue 15 item 14, read from the database itself: what the API stores is sealed, what an older
// Keel stored in plain text is sealed at the next start, and a key rotation leaves every secret
// readable with the new key alone.
class SecretsAtRest : public ::testing::TestWithParam<TestBackend> {
 protected:
  static std::string Key(char fill) { return std::string(SecretBox::kKeyBytes, fill); }
  static store::Rows Q(testing::ServerFixture& f, const std::string& sql, std::vector<store::Value> params) {
    auto c = std::move(f.db->Acquire()).value();
    return c->Query(sql, params).value();
  }
};

TEST_P(SecretsAtRest, WebhookUrlsSecretsAndTheLlmKeyAreSealedInTheDatabase) {
  testing::ServerFixture f(GetParam());
  const auto& admin = f.acme.as.at("admin");
  auto hook = f.alerts->CreateWebhook(admin, {.name = "群", .channel = "dingtalk",
                                              .url = "http://127.0.0.1:9/robot/send?access_token=ROBOT-TOKEN-1",
                                              .secret = "SIGN-SECRET-1"});
  ASSERT_TRUE(hook.ok()) << hook.status().ToString();
  auto llm = f.text->SaveSettings(admin, {{"llm", {{"url", "http://127.0.0.1:9/v1"}, {"model", "m"}, {"api_key", "sk-LLM-KEY-1"}}}});
  ASSERT_TRUE(llm.ok()) << llm.status().ToString();

  auto row = Q(f, "SELECT url, secret FROM webhooks WHERE tenant_id = ? AND id = ?", {f.acme.tenant, hook->id});
  const std::string url = store::AsText(row.rows[0][0]), secret = store::AsText(row.rows[0][1]);
  EXPECT_EQ(url.rfind("v1:", 0), 0u) << url;
  EXPECT_EQ(secret.rfind("v1:", 0), 0u) << secret;
  EXPECT_EQ(url.find("ROBOT-TOKEN-1"), std::string::npos);
  EXPECT_EQ(url.find("127.0.0.1"), std::string::npos);
  EXPECT_EQ(secret.find("SIGN-SECRET-1"), std::string::npos);
  EXPECT_EQ(f.secrets.Open(url).value(), "http://127.0.0.1:9/robot/send?access_token=ROBOT-TOKEN-1");
  EXPECT_EQ(f.secrets.Open(secret).value(), "SIGN-SECRET-1");

  auto settings = Q(f, "SELECT llm FROM text_settings WHERE tenant_id = ?", {f.acme.tenant});
  const std::string stored = store::AsText(settings.rows[0][0]);
  EXPECT_EQ(stored.find("sk-LLM-KEY-1"), std::string::npos) << stored;
  json j = json::parse(stored);
  EXPECT_EQ(j["api_key"].get<std::string>().rfind("v1:", 0), 0u);
  EXPECT_EQ(f.secrets.Open(j["api_key"].get<std::string>()).value(), "sk-LLM-KEY-1");
}

TEST_P(SecretsAtRest, PlainValuesOfAnOlderDatabaseAreSealedAndAKeyRotationKeepsThemReadable) {
  testing::ServerFixture f(GetParam());
  testing::Receiver robot({{200, R"({"errcode":0,"errmsg":"ok"})"}});
  const std::string plain_url = robot.Url("/robot/send?access_token=OLD-PLAIN-TOKEN");
  {
    // As an older Keel wrote them: in plain text.
    auto c = std::move(f.db->Acquire()).value();
    store::Value w[] = {f.acme.tenant, int64_t{77001}, std::string("旧群"), std::string("dingtalk"), plain_url,
                        std::string("OLD-PLAIN-SECRET"), std::string("info"), std::string("zh-CN"), std::string("active"),
                        FormatTimestamp(TestClock().NowMs())};
    ASSERT_TRUE(c->Exec("INSERT INTO webhooks (tenant_id, id, name, channel, url, secret, min_severity, locale, status, created_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", w).ok());
    store::Value t[] = {f.acme.tenant, json{{"url", "http://127.0.0.1:9/v1"}, {"model", "m"}, {"api_key", "sk-OLD-PLAIN"}}.dump(),
                        FormatTimestamp(TestClock().NowMs())};
    ASSERT_TRUE(c->Exec("INSERT INTO text_settings (tenant_id, terms, intents, recap_hour, llm, updated_at) VALUES (?, '[]', '[]', 18, ?, ?)",
                        t).ok());
  }
  auto raw = [&] {
    auto w = Q(f, "SELECT url, secret FROM webhooks WHERE tenant_id = ? AND id = 77001", {f.acme.tenant});
    auto t = Q(f, "SELECT llm FROM text_settings WHERE tenant_id = ?", {f.acme.tenant});
    return std::vector<std::string>{store::AsText(w.rows[0][0]), store::AsText(w.rows[0][1]),
                                    json::parse(store::AsText(t.rows[0][0]))["api_key"].get<std::string>()};
  };
  // What `keel serve` does at start with key A (and `keel secrets rotate`).
  auto reseal = [&](const SecretBox& box) {
    alerts::AlertOptions ao;
    ao.outbound = &f.outbound;
    ao.secrets = &box;
    alerts::AlertEngine engine(*f.db, *f.rs, *f.metrics, TestClock(), ao);
    text::TextOptions to;
    to.periodic = false;
    to.secrets = &box;
    text::TextService text(*f.db, *f.rs, TestClock(), to);
    auto hooks = engine.ResealSecrets();
    auto keys = text.ResealSecrets();
    EXPECT_TRUE(hooks.ok() && keys.ok());
    return std::make_pair(hooks->resealed, keys->resealed);
  };
  const SecretBox a = SecretBox::FromKeys(Key('A')).value();
  EXPECT_EQ(reseal(a), std::make_pair(int64_t{1}, int64_t{1}));
  auto sealed_a = raw();
  for (const auto& v : sealed_a) EXPECT_EQ(v.rfind("v1:", 0), 0u) << v;
  EXPECT_EQ(a.Open(sealed_a[0]).value(), plain_url);
  EXPECT_EQ(a.Open(sealed_a[1]).value(), "OLD-PLAIN-SECRET");
  EXPECT_EQ(a.Open(sealed_a[2]).value(), "sk-OLD-PLAIN");
  EXPECT_EQ(reseal(a), std::make_pair(int64_t{0}, int64_t{0})) << "a second pass has nothing to do";

  // Rotation: B is the key now, A the old one.
  const SecretBox rotating = SecretBox::FromKeys(Key('B'), {Key('A')}).value();
  EXPECT_EQ(reseal(rotating), std::make_pair(int64_t{1}, int64_t{1}));
  const SecretBox b = SecretBox::FromKeys(Key('B')).value();
  auto sealed_b = raw();
  EXPECT_EQ(b.Open(sealed_b[0]).value(), plain_url);
  EXPECT_EQ(b.Open(sealed_b[1]).value(), "OLD-PLAIN-SECRET");
  EXPECT_EQ(b.Open(sealed_b[2]).value(), "sk-OLD-PLAIN");
  EXPECT_FALSE(a.Open(sealed_b[0]).ok()) << "the old key no longer opens anything";

  // And the webhook still works with key B alone: its token reaches the robot.
  alerts::AlertOptions ao;
  ao.outbound = &f.outbound;
  ao.secrets = &b;
  alerts::AlertEngine engine(*f.db, *f.rs, *f.metrics, TestClock(), ao);
  auto tested = engine.TestWebhook(f.acme.as.at("admin"), 77001);
  ASSERT_TRUE(tested.ok()) << tested.status().ToString();
  EXPECT_TRUE(tested->delivered) << tested->error;
  ASSERT_EQ(robot.requests().size(), 1u);
  EXPECT_EQ(robot.requests()[0].target.rfind("/robot/send?access_token=OLD-PLAIN-TOKEN&timestamp=", 0), 0u);
}

INSTANTIATE_TEST_SUITE_P(Backends, SecretsAtRest, ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

INSTANTIATE_TEST_SUITE_P(Backends, SecurityCases, ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

}  // namespace
}  // namespace keel::http
