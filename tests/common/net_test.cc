// Addresses and ranges: parsing, classes the outbound policy refuses, and who the client is
// behind trusted proxies.
#include "common/net.h"

#include <gtest/gtest.h>

namespace keel::net {
namespace {

TEST(Net, ParsesV4V6AndMappedAddresses) {
  EXPECT_EQ(ParseIp("192.168.1.10")->ToString(), "192.168.1.10");
  EXPECT_EQ(ParseIp("[::1]")->ToString(), "::1");
  EXPECT_TRUE(ParseIp("::ffff:127.0.0.1")->is_v4());
  EXPECT_EQ(ParseIp("::ffff:127.0.0.1")->ToString(), "127.0.0.1");
  EXPECT_FALSE(ParseIp("localhost"));
  EXPECT_FALSE(ParseIp("1.2.3.4.5"));
  EXPECT_FALSE(ParseIp(""));
}

TEST(Net, RangesContainWhatTheySay) {
  auto r = ParseCidr("10.0.0.0/8").value();
  EXPECT_TRUE(r.Contains(*ParseIp("10.200.3.4")));
  EXPECT_FALSE(r.Contains(*ParseIp("11.0.0.1")));
  EXPECT_TRUE(r.Contains(*ParseIp("::ffff:10.1.1.1")));  // a mapped address is its IPv4
  auto v6 = ParseCidr("fd00::/8").value();
  EXPECT_TRUE(v6.Contains(*ParseIp("fd12::1")));
  EXPECT_FALSE(v6.Contains(*ParseIp("fe80::1")));
  EXPECT_TRUE(ParseCidr("127.0.0.1").value().Contains(*ParseIp("127.0.0.1")));
  EXPECT_FALSE(ParseCidr("127.0.0.1").value().Contains(*ParseIp("127.0.0.2")));
  EXPECT_EQ(ParseCidr("10.0.0.0/33").status().code(), "config.cidr");
  EXPECT_EQ(ParseCidr("nope/8").status().code(), "config.cidr");
}

TEST(Net, NonPublicClassesIncludeMetadataMappedAndNat64) {
  for (const char* a : {"127.0.0.1", "127.9.9.9", "::1", "[::ffff:127.0.0.1]"}) EXPECT_EQ(NonPublicClass(*ParseIp(a)), "loopback") << a;
  for (const char* a : {"10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.0.1", "100.64.0.1", "fd00::1"}) {
    EXPECT_EQ(NonPublicClass(*ParseIp(a)), "private") << a;
  }
  for (const char* a : {"169.254.169.254", "fe80::1", "::ffff:169.254.169.254"}) EXPECT_EQ(NonPublicClass(*ParseIp(a)), "link-local") << a;
  for (const char* a : {"0.0.0.0", "::"}) EXPECT_EQ(NonPublicClass(*ParseIp(a)), "unspecified") << a;
  for (const char* a : {"224.0.0.1", "ff02::1"}) EXPECT_EQ(NonPublicClass(*ParseIp(a)), "multicast") << a;
  for (const char* a : {"255.255.255.255", "64:ff9b::7f00:1", "2002:7f00:1::1"}) EXPECT_EQ(NonPublicClass(*ParseIp(a)), "reserved") << a;
  for (const char* a : {"8.8.8.8", "172.32.0.1", "2400:3200::1", "1.1.1.1"}) EXPECT_EQ(NonPublicClass(*ParseIp(a)), "") << a;
}

TEST(Net, ForwardedForIsReadOnlyFromTrustedProxies) {
  auto proxies = ParseCidrs({"127.0.0.1", "10.0.0.0/8"}).value();
  // Not from a proxy: the header is whatever the client wants it to be, so it is ignored.
  EXPECT_EQ(ClientAddress("203.0.113.9", "1.2.3.4", proxies), "203.0.113.9");
  EXPECT_EQ(ClientAddress("203.0.113.9", "1.2.3.4", {}), "203.0.113.9");
  // Through HAProxy on 127.0.0.1: the client it saw.
  EXPECT_EQ(ClientAddress("127.0.0.1", "198.51.100.7", proxies), "198.51.100.7");
  // A forged left part is skipped: the right-most address that is not a trusted proxy wins.
  EXPECT_EQ(ClientAddress("127.0.0.1", "6.6.6.6, 198.51.100.7, 10.0.0.5", proxies), "198.51.100.7");
  // Garbage stops the walk at the last good address.
  EXPECT_EQ(ClientAddress("127.0.0.1", "not-an-ip", proxies), "127.0.0.1");
  EXPECT_EQ(ClientAddress("127.0.0.1", "", proxies), "127.0.0.1");
}

}  // namespace
}  // namespace keel::net
