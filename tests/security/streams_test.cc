// Issue #15 item 10 over real connections: a live stream ends with its session or when its
// person changes role; one person holds a bounded number of streams; a slow reader is cut off by
// bytes. (The other items are data: tests/security/cases/*.json.)
#include <gtest/gtest.h>

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
  std::unique_ptr<testing::ServerFixture> f_;
};

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

INSTANTIATE_TEST_SUITE_P(Backends, StreamTest, ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

}  // namespace
}  // namespace keel::http
