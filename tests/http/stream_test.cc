// Live streams over a real connection: the first frame, an update after a write, scope (another
// rep's and another tenant's facts never show), errors before the stream starts, and resuming
// alerts with Last-Event-ID.
#include <gtest/gtest.h>

#include <boost/asio.hpp>

#include <chrono>
#include <mutex>
#include <thread>

#include "http/server_fixture.h"
#include "http/stream_reader.h"

namespace keel::http {
namespace {

using testing::HttpClient;
using testing::StreamReader;
using testing::TestBackend;

class StreamTest : public ::testing::TestWithParam<TestBackend> {
 protected:
  void SetUp() override { f_ = std::make_unique<testing::ServerFixture>(GetParam()); }
  json Order(const std::string& code, double price) {
    return json::array({{{"type", "order"}, {"id", code}, {"code", code}, {"store_code", "S-A"}, {"at", "2026-11-20T10:00:00+08:00"},
                         {"lines", {{{"sku", "AC-1"}, {"qty", 1}, {"unit_price", price}}}}}});
  }
  std::unique_ptr<testing::ServerFixture> f_;
};

TEST_P(StreamTest, MetricsArriveAtOnceAndAfterEachWriteWithinScope) {
  const std::string target = "/api/v1/stream?metrics=revenue&from=2026-11-20&to=2026-11-20";
  StreamReader rep(f_->port, target, f_->tokens.at("rep_a1"));
  StreamReader hq(f_->port, target, f_->tokens.at("ops"));
  ASSERT_TRUE(rep.Wait([](const std::string& d) { return d.find("event: metrics") != std::string::npos; })) << rep.data();
  EXPECT_NE(rep.data().find("text/event-stream"), std::string::npos);
  EXPECT_EQ(rep.Values("revenue"), std::vector<double>{0});

  HttpClient c(f_->port);
  EXPECT_EQ(c.Send("POST", "/api/v1/events", Order("S1", 3299).dump(), f_->tokens.at("rep_a1")).status, 201);
  ASSERT_TRUE(rep.Wait([](const std::string& d) { auto v = StreamReader::ValuesIn(d, "revenue"); return !v.empty() && v.back() == 3299; }))
      << rep.data();
  // Another rep's sale reaches HQ, never rep_a1; another tenant's reaches neither.
  EXPECT_EQ(c.Send("POST", "/api/v1/events", Order("S2", 1000).dump(), f_->tokens.at("rep_a2")).status, 201);
  EXPECT_EQ(c.Send("POST", "/api/v1/events", Order("S3", 7).dump(), f_->rival_tokens.at("rep_a1")).status, 201);
  ASSERT_TRUE(hq.Wait([](const std::string& d) { auto v = StreamReader::ValuesIn(d, "revenue"); return !v.empty() && v.back() == 4299; }))
      << hq.data();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  for (double v : rep.Values("revenue")) EXPECT_TRUE(v == 0 || v == 3299) << v;
  for (double v : hq.Values("revenue")) EXPECT_TRUE(v == 0 || v == 3299 || v == 4299) << v;
  EXPECT_EQ(f_->streams->open_streams(), 2u);
}

TEST_P(StreamTest, BadSubscriptionsAreRefusedBeforeTheStreamStarts) {
  HttpClient c(f_->port);
  auto r = c.Get("/api/v1/stream", f_->tokens.at("ops"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json()["error"]["code"], "stream.empty");
  r = c.Get("/api/v1/stream?metrics=nope", f_->tokens.at("ops"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.json()["error"]["field"], "metrics[0]");
  r = c.Get("/api/v1/stream?metrics=revenue", "");
  EXPECT_EQ(r.status, 401);
}

TEST_P(StreamTest, AlertsStreamAndResumeWithLastEventId) {
  HttpClient c(f_->port);
  EXPECT_EQ(c.Send("POST", "/api/v1/events", Order("A1", 9000).dump(), f_->tokens.at("rep_a1")).status, 201);
  ASSERT_TRUE(f_->metrics->CatchUp(f_->acme.tenant).ok());
  StreamReader live(f_->port, "/api/v1/stream?alerts=true", f_->tokens.at("ops"));
  ASSERT_TRUE(live.Wait([](const std::string& d) { return d.find("retry: 3000") != std::string::npos; }));
  auto rule = c.Post("/api/v1/alert-rules", {{"name", "big"}, {"metric", "revenue"}, {"group_by", {"unit"}}, {"window", "400d"},
                                             {"tiers", {{{"severity", "warning"}, {"when", "value > 5000"}}}}},
                     f_->tokens.at("ops"));
  ASSERT_EQ(rule.status, 201) << rule.body;
  ASSERT_TRUE(f_->alerts->EvaluateNow(f_->acme.tenant).ok());
  ASSERT_TRUE(live.Wait([](const std::string& d) { return d.find("event: alert") != std::string::npos; })) << live.data();
  EXPECT_NE(live.data().find("\"rule\":\"big\""), std::string::npos);
  // A rival's stream of alerts stays empty; a reconnect after sequence 1 gets the alert again.
  StreamReader rival(f_->port, "/api/v1/stream?alerts=true", f_->rival_tokens.at("ops"));
  StreamReader resumed(f_->port, "/api/v1/stream?alerts=true", f_->tokens.at("ops"), "1");
  ASSERT_TRUE(resumed.Wait([](const std::string& d) { return d.find("event: alert") != std::string::npos; })) << resumed.data();
  EXPECT_NE(resumed.data().find("\"rule\":\"big\""), std::string::npos);
  ASSERT_TRUE(rival.Wait([](const std::string& d) { return d.find("retry: 3000") != std::string::npos; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(rival.data().find("event: alert"), std::string::npos) << rival.data();
}

INSTANTIATE_TEST_SUITE_P(Backends, StreamTest, ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

}  // namespace
}  // namespace keel::http
