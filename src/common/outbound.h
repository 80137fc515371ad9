// The outbound-URL policy (外呼地址策略): every call Keel makes to a URL someone typed in —
// alert webhooks, the LLM endpoint, future connectors — goes through `Policy::Check` and
// `Post`. A URL is http or https without user info; its host is resolved and every address
// that is loopback, private, link-local, multicast, unspecified or reserved is dropped unless
// the operator allow-listed it (outbound-allow in keel.toml, KEEL_OUTBOUND_ALLOW); the
// connection is pinned to the addresses that remain (no second DNS lookup by curl, no other
// address accepted at connect time), without proxies or redirects. Callers see the status, a
// body for their own parsing, and for failures before an HTTP reply one generic sentence that
// names no host, port or system error (no port scanning through error texts).
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/net.h"
#include "common/status.h"

namespace keel::outbound {

// A URL taken apart the way libcurl reads it (curl's own parser, so that the policy and the
// connection never disagree about the host).
struct Url {
  std::string scheme;  // "http" | "https"
  std::string host;    // a name (IDN as punycode) or an IP literal ("[::1]" keeps its brackets)
  int port = 0;        // given, or the scheme's default
};
// Errors (outbound.url, 400, field "url"): not http(s), user info ("user:pass@"), an IPv6
// zone, no host, longer than 2048 bytes, anything curl does not parse.
Result<Url> ParseUrl(std::string_view url);

// The addresses a host name resolves to (getaddrinfo, both families), in resolver order.
// Errors: outbound.unresolved. Blocks for the resolver's own timeouts.
using Resolver = std::function<Result<std::vector<net::IpAddress>>(const std::string& host)>;
Result<std::vector<net::IpAddress>> SystemResolve(const std::string& host);

// Where a call may go: the URL and the addresses the connection is pinned to (never empty;
// each public or allow-listed).
struct Destination {
  Url url;
  std::vector<net::IpAddress> addresses;
};

class Policy {
 public:
  // `allow`: addresses and ranges that may be reached although not public (e.g. 127.0.0.1/32
  // for a local LLM, 10.20.0.0/16 for an internal robot). `resolver` defaults to SystemResolve
  // (tests inject names).
  explicit Policy(std::vector<net::Cidr> allow = {}, Resolver resolver = {});
  Policy(const Policy&) = delete;
  Policy& operator=(const Policy&) = delete;

  // Replaces the allow-list (configuration reload, tests). Thread-safe.
  void SetAllowList(std::vector<net::Cidr> allow);
  std::vector<net::Cidr> AllowList() const;

  // Parses and resolves `url` and keeps the addresses it may reach. Errors, all 400 with field
  // "url": outbound.url (see ParseUrl), outbound.unresolved (the name does not resolve),
  // outbound.refused (no address left; the message names the class — loopback, private,
  // link-local, multicast, unspecified, reserved — and, for an IP literal, the address; for a
  // name never the addresses it resolved to). Thread-safe; blocks while resolving.
  Result<Destination> Check(std::string_view url) const;

 private:
  mutable std::mutex mu_;
  std::vector<net::Cidr> allow_;  // guarded by mu_
  Resolver resolver_;
};

struct Request {
  std::string url;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. {"Content-Type", "application/json"}
  int64_t timeout_ms = 5000;                                 // the whole exchange, connection included
  size_t max_reply_bytes = 64 * 1024;                        // more is cut off and the transfer ended
  std::string user_agent = "keel/1";
};

struct Reply {
  enum class Failure {
    kNone,         // an HTTP reply arrived (any status)
    kRefused,      // the policy refused the URL (error says why)
    kUnreachable,  // no reply: resolution, connection, TLS, timeout — one generic sentence
  };
  Failure failure = Failure::kNone;
  int http_status = 0;
  std::string body;          // at most max_reply_bytes, for the caller's parsing — not to show
  bool truncated = false;    // the reply was longer than max_reply_bytes
  std::string error, error_zh;  // empty when an HTTP reply arrived
};

// The generic sentence of Reply::Failure::kUnreachable.
inline constexpr const char* kUnreachableEn = "could not connect or no reply in time";
inline constexpr const char* kUnreachableZh = "无法连接或未及时响应";

// POSTs `req.body` to `req.url` after `policy.Check`, pinned to the checked addresses; no
// proxy (HTTP_PROXY is ignored), no redirects, http and https only. Blocks for at most
// about req.timeout_ms plus the resolver's time. Never throws; thread-safe (a handle per call).
Reply Post(const Policy& policy, const Request& req);

// A reply body as it may be shown to a user: at most `max_bytes` bytes cut at a UTF-8
// boundary (then "…"), control characters as spaces, invalid UTF-8 as '?', runs of spaces
// collapsed, trimmed.
std::string Excerpt(std::string_view body, size_t max_bytes = 200);

}  // namespace keel::outbound
