// The outbound-URL policy: URLs curl would read differently are refused, every non-public
// class (v4, v6, IPv4-mapped v6, names that resolve to them) is refused unless allow-listed,
// a name is pinned to the addresses that were checked, and replies cannot be used to read
// other services (no redirects, no proxy, generic connection errors, short clean excerpts).
#include "common/outbound.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>

#include "support/webhook_receiver.h"

namespace keel::outbound {
namespace {

std::vector<net::Cidr> Allow(const std::vector<std::string>& ranges) { return net::ParseCidrs(ranges).value(); }

// A resolver from a table, for names that do not exist.
Resolver Table(std::map<std::string, std::vector<std::string>> names) {
  return [names](const std::string& host) -> Result<std::vector<net::IpAddress>> {
    auto it = names.find(host);
    if (it == names.end()) return Status::Invalid("outbound.unresolved", "no such name", "无此名称", "url");
    std::vector<net::IpAddress> out;
    for (const auto& a : it->second) out.push_back(*net::ParseIp(a));
    return out;
  };
}

TEST(OutboundUrl, TakesApartWhatCurlWouldConnectTo) {
  auto u = ParseUrl("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->host, "qyapi.weixin.qq.com");
  EXPECT_EQ(u->port, 443);
  u = ParseUrl("http://[::1]:8080/x");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "[::1]");
  EXPECT_EQ(u->port, 8080);
}

TEST(OutboundUrl, RefusesWhatIsNotAPlainHttpUrl) {
  for (const char* bad : {"ftp://example.com/", "file:///etc/passwd", "gopher://example.com/", "example.com/hook",
                          "http://user:pass@example.com/", "http://user@example.com/", "http://example.com:0/",
                          "http://example.com:99999/", "http://exa mple.com/", "http://[fe80::1%25eth0]/",
                          ""}) {
    auto u = ParseUrl(bad);
    EXPECT_FALSE(u.ok()) << bad;
    if (!u.ok()) {
      EXPECT_EQ(u.status().code(), "outbound.url") << bad;
      EXPECT_EQ(u.status().field(), "url");
    }
  }
  EXPECT_FALSE(ParseUrl("http://example.com/" + std::string(3000, 'a')).ok());
}

TEST(OutboundPolicy, RefusesEveryNonPublicClassByDefault) {
  Policy strict;
  struct Case {
    const char* url;
    const char* cls;
  };
  for (const Case& c : {Case{"http://127.0.0.1/", "loopback"}, Case{"http://127.1.2.3:8080/", "loopback"},
                        Case{"http://[::1]/", "loopback"}, Case{"http://[::ffff:127.0.0.1]/", "loopback"},
                        Case{"http://169.254.169.254/latest/meta-data/", "link-local"},
                        Case{"http://[::ffff:169.254.169.254]/", "link-local"}, Case{"http://[fe80::1]/", "link-local"},
                        Case{"http://10.1.2.3/", "private"}, Case{"http://172.16.0.1/", "private"},
                        Case{"http://192.168.1.1/", "private"}, Case{"http://100.64.0.1/", "private"},
                        Case{"http://[fd00::1]/", "private"}, Case{"http://224.0.0.1/", "multicast"},
                        Case{"http://[ff02::1]/", "multicast"}, Case{"http://0.0.0.0/", "unspecified"},
                        Case{"http://[::]/", "unspecified"}, Case{"http://255.255.255.255/", "reserved"},
                        Case{"http://[64:ff9b::a9fe:a9fe]/", "reserved"}}) {
    auto d = strict.Check(c.url);
    ASSERT_FALSE(d.ok()) << c.url;
    EXPECT_EQ(d.status().code(), "outbound.refused") << c.url;
    EXPECT_EQ(d.status().field(), "url");
    EXPECT_NE(d.status().message_en().find(c.cls), std::string::npos) << c.url << ": " << d.status().message_en();
    EXPECT_FALSE(d.status().message_zh().empty());
  }
}

TEST(OutboundPolicy, ANameIsJudgedByTheAddressesItResolvesTo) {
  Policy strict;
  auto d = strict.Check("http://localhost:8080/hook");  // the system resolver: /etc/hosts
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), "outbound.refused");
  EXPECT_NE(d.status().message_en().find("loopback"), std::string::npos);
  // Numeric forms curl or the resolver would read as 127.0.0.1.
  for (const char* url : {"http://2130706433/", "http://0x7f000001/", "http://127.1/"}) {
    auto r = strict.Check(url);
    EXPECT_FALSE(r.ok()) << url;
  }
  Policy table({}, Table({{"metadata.internal", {"169.254.169.254"}},
                          {"mixed.example", {"10.0.0.7", "93.184.216.34"}},
                          {"rebind.example", {"::ffff:10.0.0.1"}}}));
  auto meta = table.Check("http://metadata.internal/");
  ASSERT_FALSE(meta.ok());
  EXPECT_EQ(meta.status().code(), "outbound.refused");
  EXPECT_NE(meta.status().message_en().find("link-local"), std::string::npos);
  EXPECT_EQ(meta.status().message_en().find("169.254"), std::string::npos) << "a name's addresses are not disclosed";
  EXPECT_FALSE(table.Check("http://rebind.example/").ok());
  // A name with a public and a private address is pinned to the public one only.
  auto mixed = table.Check("https://mixed.example/");
  ASSERT_TRUE(mixed.ok()) << mixed.status().ToString();
  ASSERT_EQ(mixed->addresses.size(), 1u);
  EXPECT_EQ(mixed->addresses[0].ToString(), "93.184.216.34");
  EXPECT_EQ(table.Check("http://nowhere.example/").status().code(), "outbound.unresolved");
}

TEST(OutboundPolicy, TheAllowListOpensExactlyWhatItNames) {
  Policy policy(Allow({"127.0.0.1/32", "10.20.0.0/16"}));
  EXPECT_TRUE(policy.Check("http://127.0.0.1:9/x").ok());
  EXPECT_TRUE(policy.Check("http://[::ffff:127.0.0.1]:9/x").ok()) << "the mapped form is the same address";
  EXPECT_TRUE(policy.Check("http://10.20.3.4/").ok());
  EXPECT_FALSE(policy.Check("http://127.0.0.2/").ok());
  EXPECT_FALSE(policy.Check("http://[::1]/").ok());
  EXPECT_FALSE(policy.Check("http://10.21.0.1/").ok());
  EXPECT_FALSE(policy.Check("http://169.254.169.254/").ok());
  policy.SetAllowList({});
  EXPECT_FALSE(policy.Check("http://127.0.0.1:9/x").ok());
  EXPECT_TRUE(policy.Check("http://93.184.216.34/").ok()) << "public addresses need no allow-list";
}

// ---- Post against local receivers ----

TEST(OutboundPost, ConnectsToThePinnedAddressOfAName) {
  testing::Receiver rx({{200, "ok"}});
  // "robot.example" exists only in this resolver: curl can reach it only through the pin.
  Policy policy(Allow({"127.0.0.1/32"}), Table({{"robot.example", {"127.0.0.1"}}}));
  Request req;
  req.url = "http://robot.example:" + std::to_string(rx.port()) + "/hook";
  req.body = "{}";
  Reply r = Post(policy, req);
  EXPECT_EQ(r.failure, Reply::Failure::kNone) << r.error;
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(r.body, "ok");
  ASSERT_EQ(rx.requests().size(), 1u);
  EXPECT_EQ(rx.requests()[0].target, "/hook");
}

TEST(OutboundPost, ARefusedUrlSendsNothing) {
  testing::Receiver rx({{200, "ok"}});
  Policy strict;
  Request req;
  req.url = rx.Url("/hook");
  Reply r = Post(strict, req);
  EXPECT_EQ(r.failure, Reply::Failure::kRefused);
  EXPECT_NE(r.error.find("loopback"), std::string::npos);
  EXPECT_TRUE(rx.requests().empty());
}

TEST(OutboundPost, RedirectsAreNotFollowed) {
  testing::Receiver inner({{200, "internal secret"}});
  testing::Receiver outer({{302, "", inner.Url("/admin")}});
  Policy policy(Allow({"127.0.0.1/32"}));
  Request req;
  req.url = outer.Url("/hook");
  Reply r = Post(policy, req);
  EXPECT_EQ(r.http_status, 302);
  EXPECT_TRUE(inner.requests().empty());
}

TEST(OutboundPost, AProxyFromTheEnvironmentIsNotUsed) {
  testing::Receiver rx({{200, "direct"}});
  const char* old = std::getenv("http_proxy");
  std::string saved = old ? old : "";
  setenv("http_proxy", "http://127.0.0.1:1", 1);  // nothing listens there
  unsetenv("no_proxy");
  Policy policy(Allow({"127.0.0.1/32"}));
  Request req;
  req.url = rx.Url("/hook");
  Reply r = Post(policy, req);
  if (old) setenv("http_proxy", saved.c_str(), 1); else unsetenv("http_proxy");
  EXPECT_EQ(r.failure, Reply::Failure::kNone) << r.error;
  EXPECT_EQ(r.body, "direct");
}

TEST(OutboundPost, FailuresBeforeAReplyAreOneGenericSentence) {
  unsigned short port = 0;
  {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor probe(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }  // closed
  Policy policy(Allow({"127.0.0.1/32"}));
  Request req;
  req.url = "http://127.0.0.1:" + std::to_string(port) + "/x";
  Reply closed = Post(policy, req);
  EXPECT_EQ(closed.failure, Reply::Failure::kUnreachable);
  EXPECT_EQ(closed.error, kUnreachableEn);
  EXPECT_EQ(closed.error_zh, kUnreachableZh);
  // A silent endpoint (open port, no reply) reads the same.
  testing::HangingReceiver silent;
  req.url = silent.Url("/x");
  req.timeout_ms = 300;
  Reply hung = Post(policy, req);
  EXPECT_EQ(hung.failure, Reply::Failure::kUnreachable);
  EXPECT_EQ(hung.error, closed.error);
}

TEST(OutboundPost, AReplyIsReadUpToItsLimit) {
  testing::Receiver rx({{200, std::string(10000, 'a')}});
  Policy policy(Allow({"127.0.0.1/32"}));
  Request req;
  req.url = rx.Url("/x");
  req.max_reply_bytes = 100;
  Reply r = Post(policy, req);
  EXPECT_EQ(r.failure, Reply::Failure::kNone) << r.error;
  EXPECT_EQ(r.http_status, 200);
  EXPECT_TRUE(r.truncated);
  EXPECT_EQ(r.body.size(), 100u);
}

TEST(OutboundExcerpt, IsShortCleanUtf8) {
  EXPECT_EQ(Excerpt("  hello \r\n\t world  "), "hello world");
  EXPECT_EQ(Excerpt(std::string("a\0b\x1b[31mc", 9)), "a b [31mc");
  EXPECT_EQ(Excerpt("bad \xff\xfe utf8"), "bad ?? utf8");
  EXPECT_EQ(Excerpt("\xed\xa0\x80"), "???") << "a UTF-16 surrogate is not UTF-8";
  std::string long_text;
  for (int i = 0; i < 300; ++i) long_text += "错";
  std::string e = Excerpt(long_text, 200);
  EXPECT_LE(e.size(), 200u);
  EXPECT_EQ(e.substr(e.size() - 3), "…");
  EXPECT_EQ((e.size() - 3) % 3, 0u) << "cut on a character boundary";
}

}  // namespace
}  // namespace keel::outbound
