#include "common/net.h"

#include <arpa/inet.h>

#include <cstring>

namespace keel::net {
namespace {

constexpr std::array<uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

IpAddress V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  IpAddress ip;
  std::memcpy(ip.bytes.data(), kMappedPrefix.data(), 12);
  ip.bytes[12] = a;
  ip.bytes[13] = b;
  ip.bytes[14] = c;
  ip.bytes[15] = d;
  return ip;
}

Cidr V4Range(uint8_t a, uint8_t b, uint8_t c, uint8_t d, int prefix) { return {V4(a, b, c, d), 96 + prefix}; }

Cidr V6Range(std::string_view text) { return ParseCidr(text).value(); }

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string_view::npos ? std::string() : std::string(s.substr(b, e - b + 1));
}

}  // namespace

bool IpAddress::is_v4() const { return std::memcmp(bytes.data(), kMappedPrefix.data(), 12) == 0; }

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (is_v4()) {
    inet_ntop(AF_INET, bytes.data() + 12, buf, sizeof buf);
  } else {
    inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  }
  return buf;
}

std::optional<IpAddress> ParseIp(std::string_view text) {
  std::string s(text);
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  if (s.empty() || s.size() > 64) return std::nullopt;
  IpAddress ip;
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    std::memcpy(ip.bytes.data(), kMappedPrefix.data(), 12);
    std::memcpy(ip.bytes.data() + 12, &v4, 4);
    return ip;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::memcpy(ip.bytes.data(), &v6, 16);
    return ip;
  }
  return std::nullopt;
}

bool Cidr::Contains(const IpAddress& a) const {
  int full = prefix / 8, rest = prefix % 8;
  if (std::memcmp(a.bytes.data(), base.bytes.data(), full) != 0) return false;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a.bytes[full] & mask) == (base.bytes[full] & mask);
}

Result<Cidr> ParseCidr(std::string_view text) {
  std::string s = Trim(text);
  auto bad = [&] {
    return Status::Invalid("config.cidr", "'" + s + "' is not an IP address or range (e.g. 10.0.0.0/8, fd00::/8, 127.0.0.1)",
                           "'" + s + "' 不是 IP 地址或网段（例如 10.0.0.0/8、fd00::/8、127.0.0.1）");
  };
  size_t slash = s.find('/');
  auto ip = ParseIp(s.substr(0, slash));
  if (!ip) return bad();
  Cidr c{*ip, 128};
  if (slash != std::string::npos) {
    std::string p = s.substr(slash + 1);
    if (p.empty() || p.size() > 3 || p.find_first_not_of("0123456789") != std::string::npos) return bad();
    int n = std::stoi(p);
    int max = ip->is_v4() ? 32 : 128;
    if (n > max) return bad();
    c.prefix = ip->is_v4() ? 96 + n : n;
  }
  return c;
}

Result<std::vector<Cidr>> ParseCidrs(const std::vector<std::string>& texts) {
  std::vector<Cidr> out;
  for (const auto& t : texts) {
    KEEL_ASSIGN_OR_RETURN(Cidr c, ParseCidr(t));
    out.push_back(c);
  }
  return out;
}

bool AnyContains(const std::vector<Cidr>& ranges, const IpAddress& a) {
  for (const auto& r : ranges) {
    if (r.Contains(a)) return true;
  }
  return false;
}

std::string NonPublicClass(const IpAddress& a) {
  struct Class {
    Cidr range;
    const char* name;
  };
  static const std::vector<Class> classes = {
      {V4Range(127, 0, 0, 0, 8), "loopback"},
      {V6Range("::1/128"), "loopback"},
      {V4Range(0, 0, 0, 0, 8), "unspecified"},
      {V6Range("::/128"), "unspecified"},
      {V4Range(10, 0, 0, 0, 8), "private"},
      {V4Range(172, 16, 0, 0, 12), "private"},
      {V4Range(192, 168, 0, 0, 16), "private"},
      {V4Range(100, 64, 0, 0, 10), "private"},  // carrier-grade NAT
      {V6Range("fc00::/7"), "private"},
      {V4Range(169, 254, 0, 0, 16), "link-local"},  // includes 169.254.169.254, cloud metadata
      {V6Range("fe80::/10"), "link-local"},
      {V4Range(224, 0, 0, 0, 4), "multicast"},
      {V6Range("ff00::/8"), "multicast"},
      {V4Range(240, 0, 0, 0, 4), "reserved"},  // includes 255.255.255.255
      {V4Range(192, 0, 0, 0, 24), "reserved"},
      {V4Range(198, 18, 0, 0, 15), "reserved"},
      {V6Range("64:ff9b::/96"), "reserved"},  // NAT64: would reach any IPv4 behind it
      {V6Range("2002::/16"), "reserved"},     // 6to4: embeds an IPv4 address
      {V6Range("::/96"), "reserved"},         // IPv4-compatible (deprecated)
  };
  for (const auto& c : classes) {
    if (c.range.Contains(a)) return c.name;
  }
  return "";
}

std::string ClientAddress(const std::string& peer, std::string_view forwarded_for, const std::vector<Cidr>& trusted_proxies) {
  auto peer_ip = ParseIp(peer);
  if (!peer_ip || !AnyContains(trusted_proxies, *peer_ip) || forwarded_for.empty()) return peer;
  std::vector<std::string> hops;
  size_t start = 0;
  while (hops.size() < 64) {
    size_t comma = forwarded_for.find(',', start);
    hops.push_back(Trim(forwarded_for.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  // Right to left: each proxy appended the address it saw; stop at the first one not trusted.
  std::string client = peer;
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    auto ip = ParseIp(*it);
    if (!ip) break;
    client = ip->ToString();
    if (!AnyContains(trusted_proxies, *ip)) break;
  }
  return client;
}

}  // namespace keel::net
