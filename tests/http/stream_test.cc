// Live streams over a real connection: the first frame, an update after a write, scope (another
// rep's and another tenant's facts never show), errors before the stream starts, and resuming
// alerts with Last-Event-ID.
#include <gtest/gtest.h>

#include <boost/asio.hpp>

#include <chrono>
#include <mutex>
#include <thread>

#include "http/server_fixture.h"

namespace keel::http {
namespace {

using testing::HttpClient;
using testing::TestBackend;
namespace net = boost::asio;

// Reads a streaming response on a background thread; Wait() polls what arrived so far.
class StreamReader {
 public:
  StreamReader(int port, const std::string& target, const std::string& token, const std::string& last_event_id = {})
      : socket_(io_) {
    socket_.connect({net::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)});
    std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token + "\r\n";
    if (!last_event_id.empty()) req += "Last-Event-ID: " + last_event_id + "\r\n";
    req += "\r\n";
    net::write(socket_, net::buffer(req));
    reader_ = std::thread([this] {
      char buf[4096];
      boost::system::error_code ec;
      for (;;) {
        size_t n = socket_.read_some(net::buffer(buf), ec);
        if (ec) break;
        std::lock_guard lock(mu_);
        data_.append(buf, n);
      }
    });
  }
  ~StreamReader() {
    boost::system::error_code ec;
    socket_.shutdown(net::ip::tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    reader_.join();
  }
  // Waits up to 10 s for `pred(data)`.
  bool Wait(const std::function<bool(const std::string&)>& pred) {
    for (int i = 0; i < 200; ++i) {
      {
        std::lock_guard lock(mu_);
        if (pred(data_)) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  std::string data() {
    std::lock_guard lock(mu_);
    return data_;
  }
  std::vector<double> Values(const std::string& metric) { return ValuesIn(data(), metric); }
  // The values of `metric` in every `metrics` frame of `d`.
  static std::vector<double> ValuesIn(const std::string& d, const std::string& metric) {
    std::vector<double> out;
    size_t pos = 0;
    while ((pos = d.find("event: metrics\ndata: ", pos)) != std::string::npos) {
      pos += 21;
      size_t end = d.find('\n', pos);
      if (end == std::string::npos) break;
      json j = json::parse(d.substr(pos, end - pos), nullptr, false);
      if (!j.is_discarded()) out.push_back(j["groups"][0]["values"][metric]["value"].get<double>());
    }
    return out;
  }

 private:
  net::io_context io_;
  net::ip::tcp::socket socket_;
  std::thread reader_;
  std::mutex mu_;
  std::string data_;
};

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

// Issue #15 item 10: a stream lives only as long as its credential and the person's role, and
// one person cannot hold unlimited streams.
TEST_P(StreamTest, StreamsEndWithTheirSessionOrRoleAndArePerUserCapped) {
  HttpClient c(f_->port);
  const std::string target = "/api/v1/stream?metrics=revenue&from=2026-11-20&to=2026-11-20";
  auto login = c.Post("/api/v1/auth/login", {{"tenant", "acme"}, {"username", "rep_a1"}, {"password", testing::kTestPassword}});
  ASSERT_EQ(login.status, 200);
  const std::string token = login.json()["token"];
  {
    StreamReader s(f_->port, target, token);
    ASSERT_TRUE(s.Wait([](const std::string& d) { return d.find("event: metrics") != std::string::npos; })) << s.data();
    ASSERT_EQ(c.Send("POST", "/api/v1/auth/logout", "", token).status, 200);
    // The stream says why and ends; the server forgets it.
    ASSERT_TRUE(s.Wait([](const std::string& d) { return d.find("event: end") != std::string::npos; })) << s.data();
    EXPECT_NE(s.data().find("stream.credential"), std::string::npos);
  }
  {
    // A supervisor made a rep by an admin: the supervisor-scoped stream ends.
    StreamReader s(f_->port, target, f_->tokens.at("sup_a"));
    ASSERT_TRUE(s.Wait([](const std::string& d) { return d.find("event: metrics") != std::string::npos; })) << s.data();
    auto changed = c.Patch("/api/v1/users/" + std::to_string(f_->acme.users.at("sup_a")), {{"role", "rep"}}, f_->tokens.at("admin"));
    ASSERT_EQ(changed.status, 200) << changed.body;
    ASSERT_TRUE(s.Wait([](const std::string& d) { return d.find("event: end") != std::string::npos; })) << s.data();
  }
  {
    // Eight streams per person; the ninth is refused with 429 while another person still connects.
    std::vector<std::unique_ptr<StreamReader>> open;
    for (int i = 0; i < 8; ++i) {
      open.push_back(std::make_unique<StreamReader>(f_->port, target, f_->tokens.at("ops")));
      ASSERT_TRUE(open.back()->Wait([](const std::string& d) { return d.find("event: metrics") != std::string::npos; }));
    }
    auto ninth = c.Get(target, f_->tokens.at("ops"));
    EXPECT_EQ(ninth.status, 429);
    EXPECT_EQ(ninth.json()["error"]["code"], "stream.too_many");
    StreamReader other(f_->port, target, f_->tokens.at("lead_a"));
    EXPECT_TRUE(other.Wait([](const std::string& d) { return d.find("event: metrics") != std::string::npos; })) << other.data();
  }
}

TEST(EventStreamTest, ASlowReaderIsCutOffByBytesNotAllowedToHoldMemory) {
  EventStream s;
  std::string frame(64 * 1024, 'x');
  int pushed = 0;
  while (!s.closed() && pushed < 1000) {
    s.Push(frame);
    ++pushed;
  }
  EXPECT_TRUE(s.closed());
  EXPECT_LE(static_cast<size_t>(pushed) * frame.size(), EventStream::kMaxPendingBytes + frame.size());
  std::vector<std::string> out;
  EXPECT_FALSE(s.Take(out));  // what was waiting is dropped with the connection
  EXPECT_TRUE(out.empty());
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
