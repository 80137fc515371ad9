#include "alerts/notify.h"

#include <gtest/gtest.h>

#include "support/webhook_receiver.h"

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace keel::alerts {
namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

constexpr TimeMs kNow = 1700000000000;  // 2023-11-14T22:13:20Z, the signing time

Notification Sample() {
  Notification n;
  n.severity = "critical";
  n.title_zh = "回款低于目标";
  n.title_en = "Collections below target";
  n.text_zh = "本月回款 120 万，目标 200 万。\n差距 40%。";
  n.text_en = "Collected 1.2M of 2M this month.\nGap: 40%.";
  n.locale = "zh-CN";
  n.link = "https://keel.example.com/alerts/7";
  n.labels = {{"unit", "华东一部"}, {"owner", "张三"}};
  n.dedup_key = "collections:unit-12";
  n.at = MsFromCivil(2026, 11, 27, 8, 0, 0);
  return n;
}

std::string Hex(std::string_view bin) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bin) {
    out += kHex[c >> 4];
    out += kHex[c & 0xF];
  }
  return out;
}

// ---- The primitive: RFC 4231 known answers ----

TEST(Notify, HmacSha256MatchesRfc4231) {
  // Test case 1: 20-byte key.
  EXPECT_EQ(Hex(HmacSha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // Test case 2: a key shorter than the output.
  EXPECT_EQ(Hex(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: a key longer than the block size is hashed first.
  EXPECT_EQ(Hex(HmacSha256(std::string(131, '\xaa'),
                           "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

// ---- BuildRequest: the exact request per channel ----

struct Case {
  const char* name;
  Channel channel;
  const char* url;
  const char* secret;
  const char* locale;
  const char* severity;
  bool resolved;
  bool with_link;
  const char* want_url;
  const char* want_body;
  const char* want_signature;  // X-Keel-Signature; nullptr: no headers at all
};

// The signatures were computed independently (Python hmac/base64/urllib.parse.quote_plus and
// `openssl dgst -sha256 -hmac`); the DingTalk one also appears as a known answer in a public
// DingTalk SDK for timestamp 1700000000000 and secret "secret".
// clang-format off
const Case kCases[] = {
    {"wecom_zh", Channel::kWeCom, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1", "",
     "zh-CN", "critical", false, true,
     "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1",
     R"j({"msgtype":"markdown","markdown":{"content":"**[严重] 回款低于目标**\n本月回款 120 万，目标 200 万。\n差距 40%。\n> unit: 华东一部\n> owner: 张三\n[在 Keel 中查看](https://keel.example.com/alerts/7)"}})j",
     nullptr},
    // WeCom robots have no signing: a secret changes nothing.
    {"wecom_en_resolved", Channel::kWeCom, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1",
     "ignored", "en", "warning", true, true,
     "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1",
     R"j({"msgtype":"markdown","markdown":{"content":"**[Resolved] Collections below target**\nCollected 1.2M of 2M this month.\nGap: 40%.\n> unit: 华东一部\n> owner: 张三\n[Open in Keel](https://keel.example.com/alerts/7)"}})j",
     nullptr},
    {"dingtalk_zh_signed", Channel::kDingTalk, "https://oapi.dingtalk.com/robot/send?access_token=abc",
     "secret", "zh-CN", "critical", false, true,
     "https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=1700000000000"
     "&sign=OuzzJR5%2BxZ4%2FEYwqtNt6sMYZQMTa%2FHEGvc9miJe7XzY%3D",
     R"j({"msgtype":"markdown","markdown":{"title":"[严重] 回款低于目标","text":"#### [严重] 回款低于目标\n\n本月回款 120 万，目标 200 万。\n差距 40%。\n\n- unit: 华东一部\n- owner: 张三\n\n[在 Keel 中查看](https://keel.example.com/alerts/7)"}})j",
     nullptr},
    {"dingtalk_en_unsigned", Channel::kDingTalk, "https://oapi.dingtalk.com/robot/send?access_token=abc",
     "", "en", "warning", false, false,
     "https://oapi.dingtalk.com/robot/send?access_token=abc",
     R"j({"msgtype":"markdown","markdown":{"title":"[Warning] Collections below target","text":"#### [Warning] Collections below target\n\nCollected 1.2M of 2M this month.\nGap: 40%.\n\n- unit: 华东一部\n- owner: 张三"}})j",
     nullptr},
    {"dingtalk_signed_url_without_query", Channel::kDingTalk, "http://robot.local/send",
     "secret", "zh-CN", "info", false, false,
     "http://robot.local/send?timestamp=1700000000000"
     "&sign=OuzzJR5%2BxZ4%2FEYwqtNt6sMYZQMTa%2FHEGvc9miJe7XzY%3D",
     R"j({"msgtype":"markdown","markdown":{"title":"[信息] 回款低于目标","text":"#### [信息] 回款低于目标\n\n本月回款 120 万，目标 200 万。\n差距 40%。\n\n- unit: 华东一部\n- owner: 张三"}})j",
     nullptr},
    {"feishu_zh_signed", Channel::kFeishu, "https://open.feishu.cn/open-apis/bot/v2/hook/h1",
     "secret", "zh-CN", "critical", false, true,
     "https://open.feishu.cn/open-apis/bot/v2/hook/h1",
     R"j({"timestamp":"1700000000","sign":"fiWS2+gh28DOydAv7hzONH/mDn9+b1Y4Y5ivXWXy8vA=","msg_type":"post","content":{"post":{"zh_cn":{"title":"[严重] 回款低于目标","content":[[{"tag":"text","text":"本月回款 120 万，目标 200 万。"}],[{"tag":"text","text":"差距 40%。"}],[{"tag":"text","text":"unit: 华东一部"}],[{"tag":"text","text":"owner: 张三"}],[{"tag":"a","text":"在 Keel 中查看","href":"https://keel.example.com/alerts/7"}]]}}}})j",
     nullptr},
    {"feishu_en_resolved", Channel::kFeishu, "https://open.feishu.cn/open-apis/bot/v2/hook/h1",
     "", "en", "critical", true, false,
     "https://open.feishu.cn/open-apis/bot/v2/hook/h1",
     R"j({"msg_type":"post","content":{"post":{"en_us":{"title":"[Resolved] Collections below target","content":[[{"tag":"text","text":"Collected 1.2M of 2M this month."}],[{"tag":"text","text":"Gap: 40%."}],[{"tag":"text","text":"unit: 华东一部"}],[{"tag":"text","text":"owner: 张三"}]]}}}})j",
     nullptr},
    {"generic_zh_signed", Channel::kGeneric, "https://hooks.example.com/keel",
     "s3cr3t", "zh-CN", "critical", false, true,
     "https://hooks.example.com/keel",
     R"j({"source":"keel","severity":"critical","title":"回款低于目标","text":"本月回款 120 万，目标 200 万。\n差距 40%。","labels":{"unit":"华东一部","owner":"张三"},"link":"https://keel.example.com/alerts/7","dedup_key":"collections:unit-12","at":"2026-11-27T08:00:00.000Z","resolved":false})j",
     "sha256=1fa1e3155cc217943520c829af93e7a7da0eec68f29ad06f531180b9984197f2"},
    {"generic_en_resolved_unsigned", Channel::kGeneric, "https://hooks.example.com/keel",
     "", "en", "warning", true, false,
     "https://hooks.example.com/keel",
     R"j({"source":"keel","severity":"warning","title":"Collections below target","text":"Collected 1.2M of 2M this month.\nGap: 40%.","labels":{"unit":"华东一部","owner":"张三"},"link":"","dedup_key":"collections:unit-12","at":"2026-11-27T08:00:00.000Z","resolved":true})j",
     nullptr},
};
// clang-format on

TEST(Notify, BuildsTheExactRequestForEachChannel) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    Notification n = Sample();
    n.locale = c.locale;
    n.severity = c.severity;
    n.resolved = c.resolved;
    if (!c.with_link) n.link.clear();
    auto r = BuildRequest({c.channel, c.url, c.secret}, n, kNow);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->url, c.want_url);
    EXPECT_EQ(r->body, c.want_body);
    EXPECT_TRUE(nlohmann::json::accept(r->body));
    if (c.want_signature == nullptr) {
      EXPECT_TRUE(r->headers.empty());
    } else {
      ASSERT_EQ(r->headers.size(), 1u);
      EXPECT_EQ(r->headers[0].first, "X-Keel-Signature");
      EXPECT_EQ(r->headers[0].second, c.want_signature);
    }
  }
}

TEST(Notify, GenericSignatureIsTheHmacOfTheBodyThatIsSent) {
  auto r = BuildRequest({Channel::kGeneric, "https://hooks.example.com/keel", "k"}, Sample(), kNow);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->headers.size(), 1u);
  EXPECT_EQ(r->headers[0].second, "sha256=" + Hex(HmacSha256("k", r->body)));
  EXPECT_EQ(r->headers[0].second, GenericSignature("k", r->body));
}

TEST(Notify, FallsBackToTheOtherLanguageAndUsesNowWhenAtIsUnset) {
  Notification n = Sample();
  n.locale = "en-US";
  n.title_en.clear();
  n.at = 0;
  auto r = BuildRequest({Channel::kGeneric, "https://h.example.com", ""}, n, kNow);
  ASSERT_TRUE(r.ok());
  auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["title"], "回款低于目标");
  EXPECT_EQ(j["text"], "Collected 1.2M of 2M this month.\nGap: 40%.");
  EXPECT_EQ(j["at"], "2023-11-14T22:13:20.000Z");
}

// ---- UTF-8-safe truncation ----

TEST(Notify, TruncatesAtUtf8Boundaries) {
  EXPECT_EQ(TruncateUtf8("abc", 3), "abc");
  EXPECT_EQ(TruncateUtf8("abcdef", 5), "ab…");
  EXPECT_EQ(TruncateUtf8("回款回款", 12), "回款回款");
  // 11 bytes: room for 8 before "…", which would split the third character.
  EXPECT_EQ(TruncateUtf8("回款回款", 11), "回款…");
  EXPECT_EQ(TruncateUtf8("a回款", 6), "a…");
  EXPECT_EQ(TruncateUtf8("😀😀", 7), "😀…");  // 4-byte characters
  EXPECT_EQ(TruncateUtf8("😀😀", 6), "…");
  EXPECT_EQ(TruncateUtf8("abcdef", 2), "");
}

TEST(Notify, WeComContentOfALongChineseTextFitsIn4096Bytes) {
  Notification n = Sample();
  n.text_zh.clear();
  for (int i = 0; i < 2000; ++i) n.text_zh += "华东一部回款";  // 36,000 bytes
  auto r = BuildRequest({Channel::kWeCom, "https://qyapi.weixin.qq.com/x?key=k", ""}, n, kNow);
  ASSERT_TRUE(r.ok());
  // parse() rejects invalid UTF-8, so a split character would fail here.
  const std::string content = nlohmann::json::parse(r->body)["markdown"]["content"];
  EXPECT_LE(content.size(), 4096u);
  EXPECT_GT(content.size(), 4090u);
  EXPECT_EQ(content.rfind("**[严重] 回款低于目标**\n华东一部", 0), 0u);
  // The text gave way; the labels and the link survive.
  const std::string tail =
      "…\n> unit: 华东一部\n> owner: 张三\n[在 Keel 中查看](https://keel.example.com/alerts/7)";
  ASSERT_GE(content.size(), tail.size());
  EXPECT_EQ(content.substr(content.size() - tail.size()), tail);
}

// ---- Validation ----

TEST(Notify, RejectsBadChannelNames) {
  for (const char* bad : {"slack", "WeCom", "", "dingtalk "}) {
    auto r = ParseChannel(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), "webhook.channel");
    EXPECT_EQ(r.status().kind(), ErrorKind::kInvalid);
    EXPECT_FALSE(r.status().message_en().empty());
    EXPECT_FALSE(r.status().message_zh().empty());
  }
  for (Channel c : {Channel::kWeCom, Channel::kDingTalk, Channel::kFeishu, Channel::kGeneric}) {
    auto r = ParseChannel(ChannelName(c));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, c);
  }
}

TEST(Notify, RejectsBadTargetsAndSeverities) {
  Notification n = Sample();
  auto bad_url = BuildRequest({Channel::kWeCom, "ftp://x", ""}, n, kNow);
  ASSERT_FALSE(bad_url.ok());
  EXPECT_EQ(bad_url.status().code(), "webhook.url");
  n.severity = "fatal";
  auto bad_severity = BuildRequest({Channel::kWeCom, "https://x", ""}, n, kNow);
  ASSERT_FALSE(bad_severity.ok());
  EXPECT_EQ(bad_severity.status().code(), "webhook.severity");
}

// ---- Delivery against a local receiver ----

using testing::Receiver;
using testing::Reply;
using testing::Received;

class DeliverTest : public ::testing::Test {
 protected:
  DeliveryResult Send(const WebhookTarget& t, RetryPolicy policy = {}) {
    return Deliver(t, Sample(), clock_, loopback_, policy, [this](int64_t ms) { sleeps_.push_back(ms); });
  }
  ManualClock clock_{kNow};
  // The receivers listen on 127.0.0.1: allow-listed, as an operator would for a local robot.
  outbound::Policy loopback_{{keel::net::ParseCidr("127.0.0.1/32").value()}};
  std::vector<int64_t> sleeps_;
};

TEST_F(DeliverTest, PostsWeComMarkdown) {
  Receiver rx({{200, R"j({"errcode":0,"errmsg":"ok"})j"}});
  const WebhookTarget t{Channel::kWeCom, rx.Url("/cgi-bin/webhook/send?key=k1"), ""};
  DeliveryResult r = Send(t);
  EXPECT_TRUE(r.delivered) << r.error;
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(r.response_body, R"j({"errcode":0,"errmsg":"ok"})j");
  EXPECT_TRUE(r.error.empty());
  EXPECT_TRUE(sleeps_.empty());

  auto got = rx.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].target, "/cgi-bin/webhook/send?key=k1");
  EXPECT_EQ(got[0].content_type, "application/json; charset=utf-8");
  auto j = nlohmann::json::parse(got[0].body, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << got[0].body;
  EXPECT_EQ(j["msgtype"], "markdown");
  ASSERT_TRUE(j["markdown"]["content"].is_string());
  EXPECT_EQ(j["markdown"]["content"].get<std::string>().rfind("**[严重] 回款低于目标**", 0), 0u);
  EXPECT_EQ(got[0].body, BuildRequest(t, Sample(), kNow)->body);
}

TEST_F(DeliverTest, SignsDingTalkInTheQuery) {
  Receiver rx({{200, R"j({"errcode":0,"errmsg":"ok"})j"}});
  DeliveryResult r = Send({Channel::kDingTalk, rx.Url("/robot/send?access_token=t"), "secret"});
  EXPECT_TRUE(r.delivered) << r.error;
  auto got = rx.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].target,
            "/robot/send?access_token=t&timestamp=1700000000000"
            "&sign=OuzzJR5%2BxZ4%2FEYwqtNt6sMYZQMTa%2FHEGvc9miJe7XzY%3D");
}

TEST_F(DeliverTest, RetriesServerErrorsWithBackoff) {
  Receiver rx({{500, "oops"}, {500, "oops"}, {200, R"j({"errcode":0})j"}});
  DeliveryResult r = Send({Channel::kWeCom, rx.Url("/hook"), ""});
  EXPECT_TRUE(r.delivered) << r.error;
  EXPECT_EQ(r.attempts, 3);
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(rx.requests().size(), 3u);
  EXPECT_EQ(sleeps_, (std::vector<int64_t>{500, 1000}));
}

TEST_F(DeliverTest, RetriesTooManyRequests) {
  Receiver rx({{429, ""}, {200, ""}});
  DeliveryResult r = Send({Channel::kGeneric, rx.Url("/hook"), "k"});
  EXPECT_TRUE(r.delivered) << r.error;
  EXPECT_EQ(r.attempts, 2);
}

TEST_F(DeliverTest, NeverRetriesOtherClientErrors) {
  Receiver rx({{400, R"j({"error":"bad"})j"}, {200, ""}});
  DeliveryResult r = Send({Channel::kWeCom, rx.Url("/hook"), ""});
  EXPECT_FALSE(r.delivered);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(r.http_status, 400);
  EXPECT_EQ(r.error, "HTTP 400");
  EXPECT_EQ(rx.requests().size(), 1u);
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(DeliverTest, RetriesTheRobotsOwnErrorThenGivesUp) {
  Receiver rx({{200, R"j({"errcode":93000,"errmsg":"invalid webhook url"})j"}});
  RetryPolicy policy;
  policy.max_attempts = 3;
  policy.initial_backoff_ms = 100;
  policy.multiplier = 3;
  DeliveryResult r = Send({Channel::kWeCom, rx.Url("/hook"), ""}, policy);
  EXPECT_FALSE(r.delivered);
  EXPECT_EQ(r.attempts, 3);
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(r.error, "errcode 93000: invalid webhook url");
  EXPECT_EQ(rx.requests().size(), 3u);
  EXPECT_EQ(sleeps_, (std::vector<int64_t>{100, 300}));
}

TEST_F(DeliverTest, ReadsFeishuErrorCodes) {
  Receiver rx(
      {{200,
        R"j({"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"})j"},
       {200, R"j({"code":0,"msg":"success"})j"}});
  DeliveryResult r = Send({Channel::kFeishu, rx.Url("/open-apis/bot/v2/hook/h"), "secret"});
  EXPECT_TRUE(r.delivered) << r.error;
  EXPECT_EQ(r.attempts, 2);
  auto body = nlohmann::json::parse(rx.requests().at(0).body);
  EXPECT_EQ(body["timestamp"], "1700000000");
  EXPECT_EQ(body["sign"], "fiWS2+gh28DOydAv7hzONH/mDn9+b1Y4Y5ivXWXy8vA=");
}

TEST_F(DeliverTest, AClosedPortIsAConnectionErrorRetriedToTheLimit) {
  unsigned short port = 0;
  {
    net::io_context ioc;
    tcp::acceptor probe(ioc, {net::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }  // closed: nothing listens there now
  DeliveryResult r =
      Send({Channel::kWeCom, "http://127.0.0.1:" + std::to_string(port) + "/hook", ""});
  EXPECT_FALSE(r.delivered);
  EXPECT_EQ(r.attempts, 4);
  EXPECT_EQ(r.http_status, 0);
  // One generic sentence: no "Connection refused", no host or port (no port scanning by error text).
  EXPECT_EQ(r.error, outbound::kUnreachableEn);
  EXPECT_EQ(r.error.find(std::to_string(port)), std::string::npos);
  EXPECT_EQ(sleeps_, (std::vector<int64_t>{500, 1000, 2000}));
}

TEST_F(DeliverTest, AnAddressTheOperatorDidNotAllowIsNeverContacted) {
  Receiver rx({{200, R"j({"errcode":0})j"}});
  outbound::Policy strict;  // public addresses only: 127.0.0.1 is loopback
  DeliveryResult r = Deliver({Channel::kWeCom, rx.Url("/hook"), ""}, Sample(), clock_, strict, RetryPolicy{},
                             [this](int64_t ms) { sleeps_.push_back(ms); });
  EXPECT_FALSE(r.delivered);
  EXPECT_TRUE(r.refused);
  EXPECT_EQ(r.attempts, 0) << "a refusal sends nothing";
  EXPECT_NE(r.error.find("loopback"), std::string::npos) << r.error;
  EXPECT_TRUE(sleeps_.empty()) << "a refusal is not retried";
  EXPECT_TRUE(rx.requests().empty());
}

TEST_F(DeliverTest, TheRobotsOwnMessageIsKeptShortAndClean) {
  const std::string noisy = R"(bad\u0007key\n\r)" + std::string(500, 'x');  // JSON escapes: BEL, LF, CR
  Receiver rx({{200, R"j({"errcode":40001,"errmsg":")j" + noisy + R"j("})j"}});
  RetryPolicy once;
  once.max_attempts = 1;
  DeliveryResult r = Send({Channel::kWeCom, rx.Url("/hook"), ""}, once);
  EXPECT_FALSE(r.delivered);
  EXPECT_LE(r.error.size(), 140u) << r.error;
  EXPECT_EQ(r.error.rfind("errcode 40001: bad key ", 0), 0u) << r.error;
  EXPECT_EQ(r.error.find('\a'), std::string::npos);
  EXPECT_EQ(r.error.find('\n'), std::string::npos);
}

TEST_F(DeliverTest, AnUnbuildableRequestIsNotSent) {
  DeliveryResult r = Send({Channel::kWeCom, "not a url", ""});
  EXPECT_FALSE(r.delivered);
  EXPECT_EQ(r.attempts, 0);
  EXPECT_FALSE(r.error.empty());
}

}  // namespace
}  // namespace keel::alerts
