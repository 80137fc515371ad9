// IP addresses and ranges (v4 and v6), for the two places Keel decides by address: which
// proxies may name the client (X-Forwarded-For) and which addresses an outbound call may reach
// (the outbound-URL policy). Pure functions; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace keel::net {

// An address as 16 bytes; IPv4 is stored as IPv4-mapped IPv6 (::ffff:a.b.c.d), so one
// comparison serves both families and a mapped address is judged as the IPv4 it carries.
struct IpAddress {
  std::array<uint8_t, 16> bytes{};
  bool is_v4() const;
  std::string ToString() const;  // "10.0.0.1", "::1"
  bool operator==(const IpAddress&) const = default;
};

// Parses "192.168.1.10", "::1", "[::1]", "::ffff:127.0.0.1"; nullopt for anything else.
std::optional<IpAddress> ParseIp(std::string_view text);

// An address range, "10.0.0.0/8", "fd00::/8" or a single address.
struct Cidr {
  IpAddress base;
  int prefix = 128;  // in the 16-byte form (an IPv4 /8 is /104)
  bool Contains(const IpAddress& a) const;
};
// Errors: config.cidr naming the text.
Result<Cidr> ParseCidr(std::string_view text);
Result<std::vector<Cidr>> ParseCidrs(const std::vector<std::string>& texts);
bool AnyContains(const std::vector<Cidr>& ranges, const IpAddress& a);

// What the outbound policy refuses unless allow-listed: loopback, private (RFC 1918, unique
// local fc00::/7, 100.64/10 shared), link-local (169.254/16 incl. cloud metadata, fe80::/10),
// multicast, unspecified (0.0.0.0, ::), broadcast, and the reserved 0/8, 240/4. Empty when the
// address is public; else a short English name of its class ("loopback", "private" …).
std::string NonPublicClass(const IpAddress& a);

// The client of a request: `peer` (the TCP peer), unless it is one of `trusted_proxies` and
// `forwarded_for` (an X-Forwarded-For value) names others — then the right-most address in it
// that is not itself a trusted proxy. Malformed entries end the walk at the last good address.
std::string ClientAddress(const std::string& peer, std::string_view forwarded_for, const std::vector<Cidr>& trusted_proxies);

}  // namespace keel::net
