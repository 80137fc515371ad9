#include "common/outbound.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>

namespace keel::outbound {
namespace {

constexpr size_t kMaxUrlBytes = 2048;

struct CurlUrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

Status BadUrl(const std::string& en, const std::string& zh) { return Status::Invalid("outbound.url", en, zh, "url"); }

// One part of a parsed URL; "" when absent.
std::string Part(CURLU* u, CURLUPart part, unsigned flags = 0) {
  char* out = nullptr;
  if (curl_url_get(u, part, &out, flags) != CURLUE_OK || out == nullptr) return {};
  std::string s(out);
  curl_free(out);
  return s;
}

const char* ClassZh(const std::string& cls) {
  if (cls == "loopback") return "回环";
  if (cls == "private") return "内网";
  if (cls == "link-local") return "链路本地";
  if (cls == "multicast") return "组播";
  if (cls == "unspecified") return "未指定";
  return "保留";
}

Status Refused(const Url& u, bool literal, const std::string& cls, const net::IpAddress& ip) {
  const std::string what_en = literal ? "the " + cls + " address " + ip.ToString()
                                      : u.host + ", which resolves to a " + cls + " address";
  const std::string what_zh = literal ? std::string(ClassZh(cls)) + "地址 " + ip.ToString()
                                      : u.host + "（解析为" + ClassZh(cls) + "地址）";
  return Status::Invalid("outbound.refused",
                         "outbound calls to " + what_en +
                             " are refused; an operator may allow-list it with outbound-allow in keel.toml",
                         "不允许向" + what_zh + "发起外呼请求；运维人员可在 keel.toml 的 outbound-allow 中将其加入白名单", "url");
}

std::optional<net::IpAddress> FromSockaddr(const sockaddr* sa) {
  net::IpAddress ip;
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    ip.bytes[10] = ip.bytes[11] = 0xff;
    std::memcpy(ip.bytes.data() + 12, &in->sin_addr, 4);
    return ip;
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    std::memcpy(ip.bytes.data(), &in6->sin6_addr, 16);
    return ip;
  }
  return std::nullopt;
}

// The last check, at connect time: curl may only open sockets to the pinned addresses.
curl_socket_t OpenPinnedSocket(void* user, curlsocktype purpose, curl_sockaddr* address) {
  const auto* dest = static_cast<const Destination*>(user);
  if (purpose != CURLSOCKTYPE_IPCXN) return CURL_SOCKET_BAD;
  auto ip = FromSockaddr(&address->addr);
  if (!ip || std::find(dest->addresses.begin(), dest->addresses.end(), *ip) == dest->addresses.end()) return CURL_SOCKET_BAD;
  return ::socket(address->family, address->socktype, address->protocol);
}

struct Sink {
  std::string* body;
  size_t max;
  bool truncated = false;
};

size_t Collect(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t n = size * count;
  try {
    const size_t room = sink->max - std::min(sink->max, sink->body->size());
    sink->body->append(data, std::min(n, room));
    if (n > room) {
      sink->truncated = true;
      return 0;  // ends the transfer: nobody reads more than max_reply_bytes
    }
  } catch (...) {
    return 0;  // never let an exception cross into C
  }
  return n;
}

Reply Unreachable() {
  Reply r;
  r.failure = Reply::Failure::kUnreachable;
  r.error = kUnreachableEn;
  r.error_zh = kUnreachableZh;
  return r;
}

// Length of the valid UTF-8 sequence at s[i] (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF), 0 when invalid.
size_t Utf8Length(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  size_t n = c < 0x80 ? 1 : (c >= 0xc2 && c <= 0xdf) ? 2 : (c >= 0xe0 && c <= 0xef) ? 3 : (c >= 0xf0 && c <= 0xf4) ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xc0) != 0x80) return 0;
  }
  if ((c == 0xe0 && b(1) < 0xa0) || (c == 0xed && b(1) > 0x9f) || (c == 0xf0 && b(1) < 0x90) || (c == 0xf4 && b(1) > 0x8f)) return 0;
  return n;
}

Status Unresolved(const std::string& host) {
  return Status::Invalid("outbound.unresolved", "the host name " + host + " does not resolve", "主机名 " + host + " 无法解析", "url");
}

}  // namespace

Result<Url> ParseUrl(std::string_view text) {
  if (text.empty() || text.size() > kMaxUrlBytes) {
    return BadUrl("the URL must be 1 to 2048 bytes", "URL 长度应为 1 到 2048 字节");
  }
  InitCurlOnce();
  std::unique_ptr<CURLU, CurlUrlDeleter> u(curl_url());
  if (!u) return Status::Internal("curl_url failed");
  const std::string s(text);
  if (curl_url_set(u.get(), CURLUPART_URL, s.c_str(), 0) != CURLUE_OK) {
    return BadUrl("'" + s.substr(0, 100) + "' is not a valid http(s) URL", "“" + s.substr(0, 100) + "”不是有效的 http(s) 地址");
  }
  Url out;
  out.scheme = Part(u.get(), CURLUPART_SCHEME);
  if (out.scheme != "http" && out.scheme != "https") {
    return BadUrl("only http:// and https:// URLs are allowed", "只允许 http:// 和 https:// 地址");
  }
  if (!Part(u.get(), CURLUPART_USER).empty() || !Part(u.get(), CURLUPART_PASSWORD).empty() ||
      !Part(u.get(), CURLUPART_OPTIONS).empty()) {
    return BadUrl("a URL with user info (user:password@) is not allowed", "不允许带用户信息（user:password@）的地址");
  }
  if (!Part(u.get(), CURLUPART_ZONEID).empty()) {
    return BadUrl("an IPv6 zone in the URL is not allowed", "不允许地址中带 IPv6 区域标识");
  }
#ifdef CURLU_PUNYCODE
  out.host = Part(u.get(), CURLUPART_HOST, CURLU_PUNYCODE);
#else
  out.host = Part(u.get(), CURLUPART_HOST);
#endif
  if (out.host.empty()) return BadUrl("the URL has no host", "URL 缺少主机名");
  const std::string port = Part(u.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  out.port = port.empty() ? 0 : std::atoi(port.c_str());
  if (out.port <= 0 || out.port > 65535) return BadUrl("the URL's port must be 1 to 65535", "URL 端口应为 1 到 65535");
  return out;
}

Result<std::vector<net::IpAddress>> SystemResolve(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res);
  std::vector<net::IpAddress> out;
  if (rc == 0) {
    for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
      auto ip = FromSockaddr(a->ai_addr);
      if (ip && std::find(out.begin(), out.end(), *ip) == out.end()) out.push_back(*ip);
    }
    ::freeaddrinfo(res);
  }
  if (out.empty()) return Unresolved(host);
  return out;
}

Policy::Policy(std::vector<net::Cidr> allow, Resolver resolver)
    : allow_(std::move(allow)), resolver_(resolver ? std::move(resolver) : Resolver(SystemResolve)) {}

void Policy::SetAllowList(std::vector<net::Cidr> allow) {
  std::lock_guard lock(mu_);
  allow_ = std::move(allow);
}

std::vector<net::Cidr> Policy::AllowList() const {
  std::lock_guard lock(mu_);
  return allow_;
}

Result<Destination> Policy::Check(std::string_view url) const {
  KEEL_ASSIGN_OR_RETURN(Url u, ParseUrl(url));
  std::vector<net::IpAddress> found;
  const auto literal = net::ParseIp(u.host);
  if (literal) {
    found.push_back(*literal);
  } else {
    KEEL_ASSIGN_OR_RETURN(found, resolver_(u.host));
  }
  const std::vector<net::Cidr> allow = AllowList();
  Destination d{u, {}};
  std::string refused_class;
  net::IpAddress refused_ip;
  for (const auto& ip : found) {
    const std::string cls = net::NonPublicClass(ip);
    if (cls.empty() || net::AnyContains(allow, ip)) {
      if (std::find(d.addresses.begin(), d.addresses.end(), ip) == d.addresses.end()) d.addresses.push_back(ip);
    } else if (refused_class.empty()) {
      refused_class = cls;
      refused_ip = ip;
    }
  }
  if (d.addresses.empty()) {
    if (refused_class.empty()) return Unresolved(u.host);
    return Refused(u, literal.has_value(), refused_class, refused_ip);
  }
  return d;
}

Reply Post(const Policy& policy, const Request& req) {
  auto checked = policy.Check(req.url);
  if (!checked.ok()) {
    if (checked.status().code() == "outbound.unresolved") return Unreachable();
    Reply r;
    r.failure = Reply::Failure::kRefused;
    r.error = checked.status().message_en();
    r.error_zh = checked.status().message_zh();
    return r;
  }
  const Destination& dest = *checked;
  InitCurlOnce();
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return Unreachable();

  // Pin the name to the checked addresses: curl resolves nothing itself.
  std::unique_ptr<curl_slist, SlistDeleter> resolve;
  if (!net::ParseIp(dest.url.host)) {
    std::string entry = dest.url.host + ":" + std::to_string(dest.url.port) + ":";
    for (size_t i = 0; i < dest.addresses.size(); ++i) {
      const std::string a = dest.addresses[i].ToString();
      entry += (i ? "," : "") + (dest.addresses[i].is_v4() ? a : "[" + a + "]");
    }
    resolve.reset(curl_slist_append(nullptr, entry.c_str()));
    if (!resolve) return Unreachable();
  }
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  auto append = [&headers](const std::string& line) {
    curl_slist* list = curl_slist_append(headers.get(), line.c_str());
    if (list == nullptr) return false;
    if (headers == nullptr) headers.reset(list);
    return true;
  };
  bool ok = append("Expect:");
  for (const auto& [name, value] : req.headers) ok = ok && append(name + ": " + value);
  if (!ok) return Unreachable();

  Reply reply;
  Sink sink{&reply.body, req.max_reply_bytes};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  if (resolve) curl_easy_setopt(c, CURLOPT_RESOLVE, resolve.get());
  curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, &OpenPinnedSocket);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, const_cast<Destination*>(&dest));
  curl_easy_setopt(c, CURLOPT_PROXY, "");  // no HTTP(S)_PROXY from the environment: the pin is the connection
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(c, CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<int64_t>(1, req.timeout_ms)));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, req.user_agent.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);

  const CURLcode rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && sink.truncated && status > 0)) return Unreachable();
  reply.http_status = static_cast<int>(status);
  reply.truncated = sink.truncated;
  return reply;
}

std::string Excerpt(std::string_view body, size_t max_bytes) {
  std::string out;
  bool space = true;  // drops leading spaces and collapses runs
  size_t i = 0;
  bool cut = false;
  while (i < body.size()) {
    const size_t n = Utf8Length(body, i);
    std::string_view piece = n == 0 ? std::string_view("?") : body.substr(i, n);
    i += n == 0 ? 1 : n;
    const auto c = static_cast<unsigned char>(piece[0]);
    const bool control = piece.size() == 1 && (c < 0x20 || c == 0x7f);
    const bool c1 = piece.size() == 2 && c == 0xc2 && static_cast<unsigned char>(piece[1]) < 0xa0;  // U+0080..U+009F
    if (control || c1 || c == ' ') {
      if (space) continue;
      piece = " ";
      space = true;
    } else {
      space = false;
    }
    if (out.size() + piece.size() > max_bytes) {
      cut = true;
      break;
    }
    out += piece;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (cut) {
    static constexpr std::string_view kEllipsis = "…";
    while (!out.empty() && out.size() + kEllipsis.size() > max_bytes) {
      // Back off one whole character.
      size_t k = out.size() - 1;
      while (k > 0 && (static_cast<unsigned char>(out[k]) & 0xc0) == 0x80) --k;
      out.resize(k);
    }
    out += kEllipsis;
  }
  return out;
}

}  // namespace keel::outbound
