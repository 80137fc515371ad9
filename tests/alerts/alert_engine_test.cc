// The alert engine with an injected clock: `for` durations, recovery with hysteresis, escalation
// after a wait unless acknowledged, silences and inhibition muting notifications (never the
// alert), the no-data policy, tasks, delivery to a local webhook receiver in WeCom's format,
// one tenant's dead endpoint not delaying another's, the per-webhook circuit breaker, and two
// evaluators on one database (two nodes, or a node paused past its lease) doubling nothing.
#include "alerts/engine.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "alerts/store.h"
#include "support/org.h"
#include "support/test_db.h"
#include "support/webhook_receiver.h"

namespace keel::alerts {
namespace {

using domain::Principal;
using json = nlohmann::json;
using testing::TestBackend;

constexpr int64_t kMin = 60000;

class AlertEngineTest : public ::testing::TestWithParam<TestBackend> {
 protected:
  void SetUp() override {
    db_ = testing::NewDatabase(GetParam());
    rs_ = std::make_unique<domain::RecordService>(*db_, clock_);
    auth_ = std::make_unique<domain::AuthService>(*db_, clock_, *rs_);
    org_ = testing::BuildOrg(*rs_, *auth_, "acme");
    rival_ = testing::BuildOrg(*rs_, *auth_, "rival");
    metrics_ = std::make_unique<metrics::MetricEngine>(*db_, clock_);
    alerts_ = std::make_unique<AlertEngine>(*db_, *rs_, *metrics_, clock_, Options());
  }
  AlertOptions Options() {
    AlertOptions opt;
    opt.sleep = [](int64_t) {};  // no real backoff waits
    opt.retry.max_attempts = 2;
    opt.outbound = &loopback_;
    opt.secrets = &secrets_;  // one key for every engine, as every node of a cluster has
    return opt;
  }
  // Waits (bounded) until `done` holds; false when it never did.
  static bool WaitFor(const std::function<bool()>& done) {
    for (int i = 0; i < 400 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return done();
  }
  AlertEngine::Raised Signal(const std::string& key) {
    AlertEngine::Raised a;
    a.rule = "signal.test";
    a.key = key;
    a.label_zh = a.label_en = "test signal " + key;
    a.summary_zh = a.summary_en = "test signal " + key;
    a.severity = Severity::kWarning;
    return a;
  }
  // The webhook deliveries of a tenant's delivery log, oldest first.
  std::vector<NotificationEntry> Deliveries(const Principal& admin) {
    std::vector<NotificationEntry> out;
    const std::vector<NotificationEntry> log = alerts_->Notifications(admin, true, 500).value();
    for (const auto& n : log) {
      if (n.target.rfind("webhook:", 0) == 0) out.insert(out.begin(), n);
    }
    return out;
  }
  // The status of the tenant's first webhook delivery ("" before there is one).
  std::string FirstDeliveryStatus(const Principal& admin) {
    auto log = Deliveries(admin);
    return log.empty() ? "" : log[0].status;
  }
  static json Labels(const Alert& a) { return json::parse(a.labels); }

  const Principal& As(const std::string& user) { return org_.as.at(user); }
  int64_t Sale(const std::string& owner, double price, int64_t ago_ms = 3600000) {
    json body = {{"code", "A-" + std::to_string(++code_)}, {"channel", "online"},
                 {"ordered_at", FormatTimestamp(clock_.NowMs() - ago_ms)}, {"owner_id", org_.users.at(owner)},
                 {"lines", {{{"product_id", org_.product}, {"qty", 1}, {"unit_price", price}}}}};
    return testing::MustCreate(*rs_, As("admin"), "orders", body);
  }
  void Cancel(int64_t order) {
    ASSERT_TRUE(rs_->Update(As("admin"), *domain::FindEntity("orders"), order, {{"status", "cancelled"}}).ok());
  }
  void Rule(json body) {
    auto r = alerts_->SaveRule(As("ops"), body);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  void Evaluate() {
    ASSERT_TRUE(metrics_->CatchUp(org_.tenant).ok());
    ASSERT_TRUE(alerts_->EvaluateNow(org_.tenant).ok());
  }
  std::vector<Alert> Firing(const Principal& p) { return alerts_->ListAlerts(p, "firing", 100).value(); }
  std::vector<NotificationEntry> Inbox(const std::string& user) { return alerts_->Notifications(As(user), false, 100).value(); }

  ManualClock clock_{MsFromCivil(2026, 11, 27, 2, 0, 0)};
  // The receivers listen on 127.0.0.1, allow-listed as an operator would for a local robot.
  outbound::Policy loopback_{{net::ParseCidr("127.0.0.1/32").value()}};
  SecretBox secrets_ = SecretBox::Ephemeral();
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<domain::RecordService> rs_;
  std::unique_ptr<domain::AuthService> auth_;
  testing::Org org_, rival_;
  std::unique_ptr<metrics::MetricEngine> metrics_;
  std::unique_ptr<AlertEngine> alerts_;
  int code_ = 0;
};

TEST_P(AlertEngineTest, ForDurationThenFiresAndReachesAWeComRobot) {
  testing::Receiver robot({{200, R"({"errcode":0,"errmsg":"ok"})"}});
  ASSERT_TRUE(alerts_->CreateWebhook(As("admin"), {.name = "上海群", .channel = "wecom",
                                                   .url = robot.Url("/cgi-bin/webhook/send?key=test")}).ok());
  Rule({{"name", "big_day"}, {"label", {{"zh", "单日大额销售"}, {"en", "Big sales day"}}}, {"metric", "revenue"},
        {"group_by", {"unit"}}, {"window", "1d"}, {"tiers", {{{"severity", "warning"}, {"when", "value > 1000"}, {"for", "10m"}}}},
        {"create_task", true}});
  Sale("rep_a1", 3299);
  Evaluate();
  EXPECT_EQ(Firing(As("ops")).size(), 0u) << "pending: the condition has not held for 10 minutes yet";
  clock_.Advance(5 * kMin);
  Evaluate();
  EXPECT_EQ(Firing(As("ops")).size(), 0u);
  clock_.Advance(6 * kMin);
  Evaluate();
  auto firing = Firing(As("ops"));
  ASSERT_EQ(firing.size(), 1u);
  EXPECT_EQ(firing[0].severity, "warning");
  EXPECT_EQ(Labels(firing[0])["unit"]["name"], "上海战队");
  ASSERT_TRUE(firing[0].value.has_value());
  EXPECT_DOUBLE_EQ(*firing[0].value, 3299);
  EXPECT_TRUE(firing[0].task_id.has_value()) << "create_task: a task for the unit's lead or the rule's owner";
  auto got = robot.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].target, "/cgi-bin/webhook/send?key=test");
  json msg = json::parse(got[0].body);
  EXPECT_EQ(msg["msgtype"], "markdown");
  std::string content = msg["markdown"]["content"];
  EXPECT_NE(content.find("单日大额销售"), std::string::npos) << content;
  EXPECT_NE(content.find("上海战队"), std::string::npos) << content;
  // Evaluating again neither fires twice nor sends again.
  clock_.Advance(kMin);
  Evaluate();
  EXPECT_EQ(Firing(As("ops")).size(), 1u);
  EXPECT_EQ(robot.requests().size(), 1u);
  auto log = alerts_->Notifications(As("admin"), true, 100).value();
  bool delivered = false;
  for (const auto& n : log) delivered = delivered || (n.channel == "wecom" && n.status == "delivered");
  EXPECT_TRUE(delivered) << log.size() << " notifications";
}

TEST_P(AlertEngineTest, AWarningFiresWhileACriticalTierIsStillWaiting) {
  Rule({{"name", "big_day"}, {"metric", "revenue"}, {"group_by", {"unit"}}, {"window", "1d"},
        {"tiers", {{{"severity", "warning"}, {"when", "value > 1000"}},
                   {{"severity", "critical"}, {"when", "value > 3000"}, {"for", "10m"}}}}});
  Sale("rep_a1", 3299);
  Evaluate();
  auto firing = Firing(As("ops"));
  ASSERT_EQ(firing.size(), 1u);
  EXPECT_EQ(firing[0].severity, "warning");
  int64_t id = firing[0].id;
  clock_.Advance(11 * kMin);
  Evaluate();
  firing = Firing(As("ops"));
  ASSERT_EQ(firing.size(), 1u);
  EXPECT_EQ(firing[0].severity, "critical") << "the same alert escalates once the critical tier has held 10 minutes";
  EXPECT_EQ(firing[0].id, id);
}

TEST_P(AlertEngineTest, RecoveryWaitsForTheRecoveryCondition) {
  testing::Receiver robot({{200, R"({"errcode":0})"}});
  ASSERT_TRUE(alerts_->CreateWebhook(As("admin"), {.name = "群", .channel = "wecom", .url = robot.Url("/w")}).ok());
  Rule({{"name", "big_day"}, {"metric", "revenue"}, {"group_by", {"unit"}}, {"window", "1d"},
        {"tiers", {{{"severity", "warning"}, {"when", "value > 1000"}}}}, {"recover_when", "value < 500"}});
  int64_t big = Sale("rep_a1", 3299);
  Evaluate();
  ASSERT_EQ(Firing(As("ops")).size(), 1u);
  Cancel(big);
  int64_t mid = Sale("rep_a1", 800);
  Evaluate();
  EXPECT_EQ(Firing(As("ops")).size(), 1u) << "800 is below the tier but above the recovery line: no flapping";
  Cancel(mid);
  Evaluate();
  EXPECT_EQ(Firing(As("ops")).size(), 0u);
  auto all = alerts_->ListAlerts(As("ops"), "resolved", 10).value();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_TRUE(all[0].resolved_at.has_value());
  auto got = robot.requests();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_NE(json::parse(got[1].body)["markdown"]["content"].get<std::string>().find("已恢复"), std::string::npos);
}

TEST_P(AlertEngineTest, EscalatesToHqAfterTheWaitUnlessAcknowledged) {
  ASSERT_TRUE(rs_->Update(Principal::System(org_.tenant), *domain::FindEntity("units"), org_.unit_a,
                          {{"lead_user_id", org_.users.at("lead_a")}}).ok());
  ASSERT_TRUE(rs_->Update(Principal::System(org_.tenant), *domain::FindEntity("units"), org_.unit_b,
                          {{"lead_user_id", org_.users.at("lead_b")}}).ok());
  Rule({{"name", "big_day"}, {"metric", "revenue"}, {"group_by", {"unit"}}, {"window", "1d"},
        {"tiers", {{{"severity", "critical"}, {"when", "value > 1000"}}}},
        {"route", {{{"notify", "unit_lead"}}, {{"wait", "1h"}}, {{"notify", "hq"}}}}});
  Sale("rep_a1", 3299);  // unit A
  Sale("rep_b", 5000);   // unit B
  Evaluate();
  EXPECT_EQ(Inbox("lead_a").size(), 1u);
  EXPECT_EQ(Inbox("lead_b").size(), 1u);
  EXPECT_EQ(Inbox("ops").size(), 0u);
  // lead_b acknowledges; lead_a does not.
  auto firing = Firing(As("ops"));
  ASSERT_EQ(firing.size(), 2u);
  for (const auto& a : firing) {
    if (Labels(a)["unit"]["name"] == "杭州战队") {
      ASSERT_TRUE(alerts_->Acknowledge(As("lead_b"), a.id, "在处理").ok());
    }
  }
  EXPECT_FALSE(alerts_->Acknowledge(As("lead_b"), Labels(firing[0])["unit"]["name"] == "上海战队" ? firing[0].id : firing[1].id, "").ok())
      << "a unit lead cannot acknowledge another unit's alert";
  clock_.Advance(30 * kMin);
  Evaluate();
  EXPECT_EQ(Inbox("ops").size(), 0u);
  clock_.Advance(31 * kMin);
  Evaluate();
  auto hq = Inbox("ops");
  ASSERT_EQ(hq.size(), 1u) << "only the unacknowledged alert escalates";
  EXPECT_NE(hq[0].summary.find("上海战队"), std::string::npos);
}

TEST_P(AlertEngineTest, SilencesAndInhibitionMuteNotificationsNotAlerts) {
  testing::Receiver robot({{200, R"({"errcode":0})"}});
  ASSERT_TRUE(alerts_->CreateWebhook(As("admin"), {.name = "群", .channel = "wecom", .url = robot.Url("/w"),
                                                   .min_severity = "info"}).ok());
  Rule({{"name", "a_critical"}, {"metric", "revenue"}, {"group_by", {"unit"}}, {"window", "1d"},
        {"tiers", {{{"severity", "critical"}, {"when", "value > 1000"}}}}});
  Rule({{"name", "b_warning"}, {"metric", "revenue"}, {"group_by", {"unit"}}, {"window", "1d"},
        {"tiers", {{{"severity", "warning"}, {"when", "value > 100"}}}}});
  ASSERT_TRUE(alerts_->CreateSilence(As("ops"), {.matchers = {{"unit", std::to_string(org_.unit_b)}}, .duration = "1h"}).ok());
  Sale("rep_a1", 3299);  // unit A: critical + warning → the warning is inhibited
  Sale("rep_b", 3299);   // unit B: silenced
  Evaluate();
  EXPECT_EQ(Firing(As("ops")).size(), 4u) << "every alert is recorded";
  auto got = robot.requests();
  ASSERT_EQ(got.size(), 1u) << "only unit A's critical alert is sent";
  EXPECT_NE(json::parse(got[0].body)["markdown"]["content"].get<std::string>().find("上海战队"), std::string::npos);
  EXPECT_EQ(Firing(rival_.as.at("ops")).size(), 0u) << "another tenant sees none of it";
}

// Issue #15 item 8: a unit lead silences only their subtree, for at most a week, ends only
// their own silences; every silence change is audited.
TEST_P(AlertEngineTest, AUnitLeadSilencesOnlyTheirOwnUnitsForAWeek) {
  EXPECT_EQ(MaxSilenceMs(domain::Role::kUnitLead), 7 * 86400000LL);
  EXPECT_EQ(MaxSilenceMs(domain::Role::kHqOps), 90 * 86400000LL);
  EXPECT_EQ(MaxSilenceMs(domain::Role::kSupervisor), 0);
  const std::string unit_a = std::to_string(org_.unit_a), unit_b = std::to_string(org_.unit_b);
  auto other = alerts_->CreateSilence(As("lead_b"), {.matchers = {{"unit", unit_a}}, .duration = "1h"});
  EXPECT_EQ(other.status().code(), "silence.outside_subtree");
  EXPECT_EQ(other.status().kind(), ErrorKind::kForbidden);
  auto rival = alerts_->CreateSilence(As("lead_a"), {.matchers = {{"unit", std::to_string(rival_.unit_a)}}, .duration = "1h"});
  EXPECT_EQ(rival.status().code(), "silence.outside_subtree") << "another tenant's unit is nobody's subtree";
  EXPECT_EQ(alerts_->CreateSilence(As("lead_a"), {.duration = "1h"}).status().code(), "silence.unit_required");
  auto long_one = alerts_->CreateSilence(As("lead_a"), {.matchers = {{"unit", unit_a}}, .ends_at = "2099-01-01T00:00:00Z"});
  EXPECT_EQ(long_one.status().code(), "silence.too_long");
  EXPECT_EQ(long_one.status().kind(), ErrorKind::kUnprocessable);
  EXPECT_EQ(long_one.status().field(), "ends_at");
  auto mine = alerts_->CreateSilence(As("lead_a"), {.matchers = {{"unit", unit_a}}, .duration = "7d"});
  ASSERT_TRUE(mine.ok()) << mine.status().ToString();
  auto hq = alerts_->CreateSilence(As("ops"), {.matchers = {{"unit", unit_b}}, .duration = "30d"});
  ASSERT_TRUE(hq.ok()) << hq.status().ToString();

  // The lead's silence mutes unit A only: unit B's alert still reaches its channel... which HQ muted.
  Rule({{"name", "big"}, {"metric", "revenue"}, {"group_by", {"unit"}}, {"window", "1d"}, {"route", {{{"notify", "hq"}}}},
        {"tiers", {{{"severity", "warning"}, {"when", "value > 100"}}}}});
  Sale("rep_a1", 3299);
  Evaluate();
  EXPECT_EQ(Firing(As("ops")).size(), 1u);
  EXPECT_EQ(Inbox("ops").size(), 0u) << "unit A's alert is muted by lead_a's silence";

  EXPECT_EQ(alerts_->DeleteSilence(As("lead_a"), hq->id).code(), "silence.not_yours");
  EXPECT_EQ(alerts_->DeleteSilence(As("lead_b"), mine->id).code(), "silence.not_yours");
  ASSERT_TRUE(alerts_->DeleteSilence(As("lead_a"), mine->id).ok());
  ASSERT_TRUE(alerts_->DeleteSilence(As("ops"), hq->id).ok());

  auto log = rs_->AuditLog(As("auditor"), {{"entity", "alert_silences"}});
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->items.size(), 4u);
  EXPECT_EQ(log->items[0]["action"], "delete");
  EXPECT_EQ(log->items[0]["actor_id"], org_.users["ops"]);
  EXPECT_EQ(log->items[0]["before"]["created_by"], org_.users["ops"]);
  EXPECT_TRUE(log->items[0]["after"].is_null());
  EXPECT_EQ(log->items[3]["action"], "create");
  EXPECT_TRUE(log->items[3]["before"].is_null());
  EXPECT_EQ(log->items[3]["after"]["matchers"]["unit"], unit_a);
}

TEST_P(AlertEngineTest, NoDataPolicy) {
  Rule({{"name", "silent_unit"}, {"metric", "revenue"}, {"group_by", {"unit"}}, {"window", "1d"}, {"no_data", "alert"},
        {"tiers", {{{"severity", "warning"}, {"when", "value < 1"}}}}});
  Rule({{"name", "quiet_ok"}, {"metric", "revenue"}, {"group_by", {"unit"}}, {"window", "1d"}, {"no_data", "ok"},
        {"tiers", {{{"severity", "warning"}, {"when", "value < 1"}}}}});
  Sale("rep_a1", 3299, 3 * 86400000LL);  // seen three days ago, nothing in the last day
  Evaluate();
  auto firing = Firing(As("ops"));
  ASSERT_EQ(firing.size(), 1u);
  EXPECT_EQ(firing[0].rule, "silent_unit");
  EXPECT_FALSE(firing[0].value.has_value());
}

// §3 of issue 15: a tenant whose endpoint accepts connections and never answers must not hold
// up another tenant's alerts. Before per-tenant queues a single delivery thread waited out
// the dead endpoint's timeout (a minute here) before the other tenant's turn.
TEST_P(AlertEngineTest, ADeadEndpointOfOneTenantDoesNotDelayAnother) {
  auto dead = std::make_unique<testing::HangingReceiver>();
  testing::Receiver rival_robot({{200, R"({"errcode":0})"}});
  AlertOptions opt = Options();
  opt.retry.max_attempts = 1;
  opt.retry.timeout_ms = 60000;  // the dead endpoint holds its delivery for a minute
  opt.delivery_workers = 2;
  alerts_ = std::make_unique<AlertEngine>(*db_, *rs_, *metrics_, clock_, opt);
  ASSERT_TRUE(alerts_->CreateWebhook(As("admin"), {.name = "dead", .channel = "wecom", .url = dead->Url("/hook")}).ok());
  ASSERT_TRUE(alerts_->CreateWebhook(rival_.as.at("admin"), {.name = "alive", .channel = "wecom",
                                                             .url = rival_robot.Url("/hook")}).ok());
  alerts_->Start();
  // Acme's alert first: its delivery is stuck on the dead endpoint …
  ASSERT_TRUE(alerts_->Raise(org_.tenant, Signal("a1")).ok());
  ASSERT_TRUE(alerts_->Raise(org_.tenant, Signal("a2")).ok());
  ASSERT_TRUE(WaitFor([&] { return dead->accepted() >= 1; })) << "acme's delivery never started";
  // … then rival's, which is delivered while acme's is still in flight.
  ASSERT_TRUE(alerts_->Raise(rival_.tenant, Signal("b1")).ok());
  ASSERT_TRUE(WaitFor([&] { return rival_robot.requests().size() == 1; })) << "rival's alert waited behind acme's dead endpoint";
  auto acme = Deliveries(As("admin"));
  ASSERT_EQ(acme.size(), 2u);
  EXPECT_EQ(acme[0].status, "sending") << "acme's first delivery is claimed and still waiting on its endpoint";
  EXPECT_EQ(acme[1].status, "queued") << "acme's second waits its turn behind acme's first, not rival's";
  EXPECT_EQ(dead->accepted(), 1) << "a tenant has one delivery in flight at a time";
  auto rival = Deliveries(rival_.as.at("admin"));
  ASSERT_EQ(rival.size(), 1u);
  EXPECT_TRUE(WaitFor([&] { return FirstDeliveryStatus(rival_.as.at("admin")) == "delivered"; }));
  dead.reset();  // the endpoint goes away: acme's deliveries end as failed
  alerts_->Stop();
  for (const auto& n : Deliveries(As("admin"))) {
    EXPECT_EQ(n.status, "failed") << n.id;
    EXPECT_EQ(n.error.value_or(""), outbound::kUnreachableEn) << "no system error text, host or port";
  }
}

TEST_P(AlertEngineTest, AFailingWebhookIsPausedAfterThreeFailuresInARow) {
  testing::Receiver broken({{500, "down"}});
  testing::Receiver fine({{200, R"({"errcode":0})"}});
  auto hook = alerts_->CreateWebhook(As("admin"), {.name = "broken", .channel = "wecom", .url = broken.Url("/b")});
  ASSERT_TRUE(hook.ok()) << hook.status().ToString();
  const std::string broken_target = "webhook:" + std::to_string(hook->id);
  ASSERT_TRUE(alerts_->CreateWebhook(As("admin"), {.name = "fine", .channel = "wecom", .url = fine.Url("/f")}).ok());
  auto raise = [&](const std::string& key) {
    ASSERT_TRUE(alerts_->Raise(org_.tenant, Signal(key)).ok());
    ASSERT_TRUE(alerts_->EvaluateNow(org_.tenant).ok());  // no delivery threads: delivers now
  };
  for (int i = 0; i < 3; ++i) raise("k" + std::to_string(i));
  EXPECT_EQ(broken.requests().size(), 6u) << "3 deliveries of 2 attempts each";
  raise("k3");
  EXPECT_EQ(broken.requests().size(), 6u) << "paused: the 4th delivery makes no request";
  EXPECT_EQ(fine.requests().size(), 4u) << "the tenant's other webhook is not paused";
  auto log = Deliveries(As("admin"));
  ASSERT_EQ(log.size(), 8u);
  NotificationEntry skipped;
  for (const auto& n : log) {
    if (n.target == broken_target) skipped = n;  // the last one: k3's
  }
  EXPECT_EQ(skipped.status, "skipped");
  EXPECT_EQ(skipped.attempts, 0);
  EXPECT_NE(skipped.error.value_or("").find("paused after 3 failed deliveries"), std::string::npos) << skipped.error.value_or("");
  // After the cool-down the next delivery is tried again.
  clock_.Advance(5 * kMin + 1);
  raise("k4");
  EXPECT_EQ(broken.requests().size(), 8u);
  raise("k5");
  EXPECT_EQ(broken.requests().size(), 8u) << "it failed again: paused again";
}

// Issue 17: a second evaluator on the same database — another node, or this node after it was
// paused past its lease — with its own (stale) memory fires, escalates, notifies, posts and
// resolves nothing a second time: what fires is read from the database under the tenant's lock,
// the route moves by compare-and-set and every notification has a natural key.
TEST_P(AlertEngineTest, ASecondEvaluatorOnTheSameDatabaseDoublesNothing) {
  ASSERT_TRUE(rs_->Update(Principal::System(org_.tenant), *domain::FindEntity("units"), org_.unit_a,
                          {{"lead_user_id", org_.users.at("lead_a")}}).ok());
  testing::Receiver robot({{200, R"({"errcode":0})"}});
  ASSERT_TRUE(alerts_->CreateWebhook(As("admin"), {.name = "群", .channel = "wecom", .url = robot.Url("/w")}).ok());
  Rule({{"name", "big_day"}, {"metric", "revenue"}, {"group_by", {"unit"}}, {"window", "1d"},
        {"tiers", {{{"severity", "warning"}, {"when", "value > 1000"}}, {{"severity", "critical"}, {"when", "value > 5000"}}}},
        {"route", {{{"notify", "unit_lead"}}, {{"wait", "1h"}}, {{"notify", "hq"}}}}, {"create_task", true}});
  AlertEngine other(*db_, *rs_, *metrics_, clock_, Options());
  auto both = [&] {
    ASSERT_TRUE(metrics_->CatchUp(org_.tenant).ok());
    ASSERT_TRUE(alerts_->EvaluateNow(org_.tenant).ok());
    ASSERT_TRUE(other.EvaluateNow(org_.tenant).ok());
  };
  int64_t sale = Sale("rep_a1", 3299);
  both();
  auto firing = Firing(As("ops"));
  ASSERT_EQ(firing.size(), 1u) << "one firing alert for the rule and group";
  const int64_t id = firing[0].id;
  EXPECT_EQ(robot.requests().size(), 1u) << "the webhook hears the alert once";
  EXPECT_EQ(Inbox("lead_a").size(), 1u) << "the unit lead is notified once";
  auto tasks = rs_->List(As("admin"), *domain::FindEntity("tasks"), domain::QueryParams{}).value();
  EXPECT_EQ(tasks.items.size(), 1u) << "one follow-up task";
  // A change of severity seen by both: one alert.changed, one message.
  int64_t big = Sale("rep_a1", 4000);
  both();
  firing = Firing(As("ops"));
  ASSERT_EQ(firing.size(), 1u);
  EXPECT_EQ(firing[0].id, id);
  EXPECT_EQ(firing[0].severity, "critical");
  EXPECT_EQ(robot.requests().size(), 2u) << "the escalation to critical is posted once";
  // The route's wait ends: HQ hears of it once, though both evaluators see the step due.
  clock_.Advance(61 * kMin);
  both();
  EXPECT_EQ(Inbox("ops").size(), 1u) << "the escalation step notifies once";
  // Recovery: resolved once, announced once.
  Cancel(sale);
  Cancel(big);
  both();
  EXPECT_EQ(Firing(As("ops")).size(), 0u);
  EXPECT_EQ(alerts_->ListAlerts(As("ops"), "all", 10).value().size(), 1u);
  EXPECT_EQ(robot.requests().size(), 3u) << "the recovery is posted once";
  // And after that neither fires again from stale memory.
  both();
  EXPECT_EQ(robot.requests().size(), 3u);
}

// Issue 17: a webhook delivery that was committed but never sent — its node died before it
// took it from its in-memory queue — is found by the evaluator and sent, once.
TEST_P(AlertEngineTest, ADeliveryWhoseNodeDiedIsSentByTheEvaluator) {
  testing::Receiver robot({{200, R"({"errcode":0})"}});
  auto hook = alerts_->CreateWebhook(As("admin"), {.name = "群", .channel = "wecom", .url = robot.Url("/w")});
  ASSERT_TRUE(hook.ok()) << hook.status().ToString();
  ASSERT_TRUE(alerts_->Raise(org_.tenant, Signal("k1")).ok());  // queued; no delivery thread runs
  auto queued = Deliveries(As("admin"));
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0].status, "queued");
  AlertEngine survivor(*db_, *rs_, *metrics_, clock_, Options());  // the node that carries on
  ASSERT_TRUE(survivor.EvaluateNow(org_.tenant).ok());
  EXPECT_EQ(robot.requests().size(), 0u) << "a fresh delivery belongs to the node that queued it for a minute";
  clock_.Advance(2 * kMin);
  ASSERT_TRUE(survivor.EvaluateNow(org_.tenant).ok());
  ASSERT_EQ(robot.requests().size(), 1u) << "the stranded delivery is sent";
  EXPECT_NE(json::parse(robot.requests()[0].body)["markdown"]["content"].get<std::string>().find("test signal k1"),
            std::string::npos);
  EXPECT_EQ(FirstDeliveryStatus(As("admin")), "delivered");
  // The node that queued it wakes up with it still in memory: its claim fails, nothing is sent.
  ASSERT_TRUE(alerts_->EvaluateNow(org_.tenant).ok());
  clock_.Advance(2 * kMin);
  ASSERT_TRUE(survivor.EvaluateNow(org_.tenant).ok());
  EXPECT_EQ(robot.requests().size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, AlertEngineTest, ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

}  // namespace
}  // namespace keel::alerts
