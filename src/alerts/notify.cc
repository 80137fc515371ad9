#include "alerts/notify.h"

#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/crypto.h"

namespace keel::alerts {
namespace {

using Json = nlohmann::ordered_json;

constexpr size_t kWeComMaxContentBytes = 4096;   // markdown.content, per the WeCom docs
constexpr size_t kMaxResponseBytes = 64 * 1024;  // kept of a robot's answer
constexpr double kMaxBackoffMs = 3600.0 * 1000;  // one hour

// The words a message is written in, in the notification's language.
struct Words {
  bool en = false;
  std::string title, text;
};

Words PickLanguage(const Notification& n) {
  Words w;
  w.en = n.locale.rfind("en", 0) == 0;
  const std::string& title = w.en ? n.title_en : n.title_zh;
  const std::string& text = w.en ? n.text_en : n.text_zh;
  w.title = !title.empty() ? title : (w.en ? n.title_zh : n.title_en);
  w.text = !text.empty() ? text : (w.en ? n.text_zh : n.text_en);
  return w;
}

// "[严重] 回款低于目标" / "[Resolved] Collections below target".
std::string Heading(const Notification& n, const Words& w) {
  std::string tag;
  if (n.resolved) {
    tag = w.en ? "Resolved" : "已恢复";
  } else if (n.severity == "critical") {
    tag = w.en ? "Critical" : "严重";
  } else if (n.severity == "warning") {
    tag = w.en ? "Warning" : "警告";
  } else {
    tag = w.en ? "Info" : "信息";
  }
  return "[" + tag + "] " + w.title;
}

std::string LinkText(const Words& w) { return w.en ? "Open in Keel" : "在 Keel 中查看"; }

std::string Dump(const Json& j) {
  // Invalid UTF-8 in the input becomes U+FFFD instead of an exception.
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string Base64Standard(std::string_view bin) {
  InitCrypto();
  const int variant = sodium_base64_VARIANT_ORIGINAL;
  std::string out(sodium_base64_encoded_len(bin.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bin.data()),
                    bin.size(), variant);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

// RFC 3986: everything but unreserved characters is %XX-encoded.
std::string UrlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (alnum || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

Status Validate(const WebhookTarget& t, const Notification& n) {
  if (t.url.rfind("https://", 0) != 0 && t.url.rfind("http://", 0) != 0) {
    return Status::Invalid("webhook.url", "the webhook URL must start with http:// or https://",
                           "Webhook 地址必须以 http:// 或 https:// 开头", "url");
  }
  if (n.severity != "info" && n.severity != "warning" && n.severity != "critical") {
    return Status::Invalid(
        "webhook.severity", "severity must be info, warning or critical, not '" + n.severity + "'",
        "告警级别必须是 info、warning 或 critical,而不是“" + n.severity + "”", "severity");
  }
  return Status::Ok();
}

// WeCom group robot (企业微信群机器人): markdown, content at most 4096 bytes.
OutboundRequest BuildWeCom(const WebhookTarget& t, const Notification& n) {
  const Words w = PickLanguage(n);
  const std::string head = "**" + Heading(n, w) + "**";
  std::string tail;
  for (const auto& [key, value] : n.labels) tail += "\n> " + key + ": " + value;
  if (!n.link.empty()) tail += "\n[" + LinkText(w) + "](" + n.link + ")";

  std::string content;
  const size_t fixed = head.size() + 1 + tail.size();  // +1: the newline before the text
  if (w.text.empty()) {
    content = TruncateUtf8(head + tail, kWeComMaxContentBytes);
  } else if (fixed + 3 <= kWeComMaxContentBytes) {
    content = head + "\n" + TruncateUtf8(w.text, kWeComMaxContentBytes - fixed) + tail;
  } else {
    content = TruncateUtf8(head + "\n" + w.text + tail, kWeComMaxContentBytes);
  }
  Json body = {{"msgtype", "markdown"}, {"markdown", {{"content", content}}}};
  return {t.url, Dump(body), {}};
}

// DingTalk custom robot (钉钉自定义机器人): markdown; 加签 puts timestamp (ms) and sign in the URL.
OutboundRequest BuildDingTalk(const WebhookTarget& t, const Notification& n, TimeMs now) {
  const Words w = PickLanguage(n);
  const std::string heading = Heading(n, w);
  std::string text = "#### " + heading;
  if (!w.text.empty()) text += "\n\n" + w.text;
  if (!n.labels.empty()) text += "\n";
  for (const auto& [key, value] : n.labels) text += "\n- " + key + ": " + value;
  if (!n.link.empty()) text += "\n\n[" + LinkText(w) + "](" + n.link + ")";
  Json body = {{"msgtype", "markdown"}, {"markdown", {{"title", heading}, {"text", text}}}};

  std::string url = t.url;
  if (!t.secret.empty()) {
    const std::string ts = std::to_string(now);
    const std::string sign = Base64Standard(HmacSha256(t.secret, ts + "\n" + t.secret));
    url += url.find('?') == std::string::npos ? '?' : '&';
    url += "timestamp=" + ts + "&sign=" + UrlEncode(sign);
  }
  return {std::move(url), Dump(body), {}};
}

// Feishu/Lark custom bot (飞书自定义机器人): rich text ("post"); 签名校验 puts timestamp (s)
// and sign in the body, the HMAC keyed by timestamp + "\n" + secret over an empty message.
OutboundRequest BuildFeishu(const WebhookTarget& t, const Notification& n, TimeMs now) {
  const Words w = PickLanguage(n);
  Json rows = Json::array();
  auto text_row = [&rows](const std::string& s) {
    rows.push_back(Json::array({{{"tag", "text"}, {"text", s}}}));
  };
  size_t start = 0;
  while (start < w.text.size()) {
    size_t end = w.text.find('\n', start);
    if (end == std::string::npos) end = w.text.size();
    text_row(w.text.substr(start, end - start));
    start = end + 1;
  }
  for (const auto& [key, value] : n.labels) text_row(key + ": " + value);
  if (!n.link.empty()) {
    rows.push_back(Json::array({{{"tag", "a"}, {"text", LinkText(w)}, {"href", n.link}}}));
  }
  Json post = {{w.en ? "en_us" : "zh_cn", {{"title", Heading(n, w)}, {"content", rows}}}};

  Json body = Json::object();
  if (!t.secret.empty()) {
    const std::string ts = std::to_string(now / 1000);
    body["timestamp"] = ts;
    body["sign"] = Base64Standard(HmacSha256(ts + "\n" + t.secret, ""));
  }
  body["msg_type"] = "post";
  body["content"] = {{"post", post}};
  return {t.url, Dump(body), {}};
}

// Keel's own format, for anything else that takes JSON; signed in a header.
OutboundRequest BuildGeneric(const WebhookTarget& t, const Notification& n, TimeMs now) {
  const Words w = PickLanguage(n);
  Json labels = Json::object();
  for (const auto& [key, value] : n.labels) labels[key] = value;
  Json body = {{"source", "keel"},         {"severity", n.severity},
               {"title", w.title},         {"text", w.text},
               {"labels", labels},         {"link", n.link},
               {"dedup_key", n.dedup_key}, {"at", FormatTimestamp(n.at != 0 ? n.at : now)},
               {"resolved", n.resolved}};
  OutboundRequest req{t.url, Dump(body), {}};
  if (!t.secret.empty()) {
    req.headers.emplace_back("X-Keel-Signature", GenericSignature(t.secret, req.body));
  }
  return req;
}

// ---- Delivery ----

enum class Outcome { kDelivered, kRetry, kGiveUp };

// A 2xx answer can still carry the robot's own error (bad key, bad signature, rate limit).
// Its message comes from the far end: only a short clean excerpt of it is kept.
std::string ChannelError(Channel channel, const std::string& response) {
  if (channel == Channel::kGeneric) return {};
  const Json j = Json::parse(response, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return {};
  const char* code_key = channel == Channel::kFeishu ? "code" : "errcode";
  const char* msg_key = channel == Channel::kFeishu ? "msg" : "errmsg";
  auto it = j.find(code_key);
  if (channel == Channel::kFeishu && it == j.end()) it = j.find("StatusCode");  // older bots
  if (it == j.end() || !it->is_number_integer() || it->get<int64_t>() == 0) return {};
  std::string error = std::string(code_key) + " " + std::to_string(it->get<int64_t>());
  auto msg = j.find(msg_key);
  if (msg != j.end() && msg->is_string()) error += ": " + outbound::Excerpt(msg->get<std::string>(), 120);
  return error;
}

// One POST; fills the status, body and error of `*result`.
Outcome Attempt(const outbound::Policy& outbound, Channel channel, const OutboundRequest& req, int64_t timeout_ms,
                DeliveryResult* result) {
  outbound::Request r;
  r.url = req.url;
  r.body = req.body;
  r.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  for (const auto& h : req.headers) r.headers.push_back(h);
  r.timeout_ms = timeout_ms;
  r.max_reply_bytes = kMaxResponseBytes;
  r.user_agent = "keel-alerts/1";
  outbound::Reply reply = outbound::Post(outbound, r);
  if (reply.failure != outbound::Reply::Failure::kRefused) ++result->attempts;  // a refusal sends nothing
  result->http_status = reply.http_status;
  result->response_body = std::move(reply.body);
  result->error = reply.error;
  if (reply.failure == outbound::Reply::Failure::kRefused) {
    result->refused = true;
    return Outcome::kGiveUp;
  }
  if (reply.failure == outbound::Reply::Failure::kUnreachable) return Outcome::kRetry;
  const int status = reply.http_status;
  if (status >= 500 || status == 429) {
    result->error = "HTTP " + std::to_string(status);
    return Outcome::kRetry;
  }
  if (status < 200 || status >= 300) {
    result->error = "HTTP " + std::to_string(status);
    return Outcome::kGiveUp;
  }
  result->error = ChannelError(channel, result->response_body);
  return result->error.empty() ? Outcome::kDelivered : Outcome::kRetry;
}

int64_t BackoffMs(const RetryPolicy& policy, int retry) {
  const double ms =
      static_cast<double>(policy.initial_backoff_ms) * std::pow(policy.multiplier, retry);
  if (!(ms > 0)) return 0;  // also NaN
  return static_cast<int64_t>(std::min(ms, kMaxBackoffMs));
}

void RealSleep(int64_t ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

DeliveryResult DeliverImpl(const WebhookTarget& t, const Notification& n, const Clock& clock, const outbound::Policy& outbound,
                           const RetryPolicy& policy, const std::function<void(int64_t)>& sleep) {
  DeliveryResult result;
  const TimeMs start = clock.NowMs();
  const int max_attempts = std::max(1, policy.max_attempts);
  for (int attempt = 0; attempt < max_attempts; ++attempt) {
    if (attempt > 0) {
      const int64_t wait = BackoffMs(policy, attempt - 1);
      if (sleep) {
        sleep(wait);
      } else {
        RealSleep(wait);
      }
    }
    // Built per attempt so that a signature's timestamp is fresh after a long backoff.
    Result<OutboundRequest> req = BuildRequest(t, n, clock.NowMs());
    if (!req.ok()) {
      result.error = req.status().message_en();
      break;
    }
    const Outcome outcome = Attempt(outbound, t.channel, *req, policy.timeout_ms, &result);
    if (outcome == Outcome::kDelivered) {
      result.delivered = true;
      break;
    }
    if (outcome == Outcome::kGiveUp) break;
  }
  result.elapsed_ms = clock.NowMs() - start;
  return result;
}

}  // namespace

Result<Channel> ParseChannel(std::string_view s) {
  if (s == "wecom") return Channel::kWeCom;
  if (s == "dingtalk") return Channel::kDingTalk;
  if (s == "feishu") return Channel::kFeishu;
  if (s == "generic") return Channel::kGeneric;
  return Status::Invalid(
      "webhook.channel",
      "unknown webhook channel '" + std::string(s) +
          "' (expected wecom, dingtalk, feishu or generic)",
      "未知的 Webhook 渠道“" + std::string(s) + "”(应为 wecom、dingtalk、feishu 或 generic)",
      "channel");
}

std::string_view ChannelName(Channel c) {
  switch (c) {
    case Channel::kWeCom:
      return "wecom";
    case Channel::kDingTalk:
      return "dingtalk";
    case Channel::kFeishu:
      return "feishu";
    case Channel::kGeneric:
      return "generic";
  }
  return "generic";
}

Result<OutboundRequest> BuildRequest(const WebhookTarget& t, const Notification& n, TimeMs now) {
  KEEL_RETURN_IF_ERROR(Validate(t, n));
  try {
    switch (t.channel) {
      case Channel::kWeCom:
        return BuildWeCom(t, n);
      case Channel::kDingTalk:
        return BuildDingTalk(t, n, now);
      case Channel::kFeishu:
        return BuildFeishu(t, n, now);
      case Channel::kGeneric:
        return BuildGeneric(t, n, now);
    }
  } catch (const std::exception& e) {
    return Status::Internal(std::string("building the webhook request: ") + e.what());
  }
  return Status::Internal("unknown webhook channel");
}

DeliveryResult Deliver(const WebhookTarget& t, const Notification& n, const Clock& clock, const outbound::Policy& outbound,
                       const RetryPolicy& policy, std::function<void(int64_t)> sleep) {
  try {
    return DeliverImpl(t, n, clock, outbound, policy, sleep);
  } catch (const std::exception& e) {
    DeliveryResult result;
    result.error = std::string("delivery failed: ") + e.what();
    return result;
  } catch (...) {
    DeliveryResult result;
    result.error = "delivery failed";
    return result;
  }
}

std::string HmacSha256(std::string_view key, std::string_view message) {
  InitCrypto();
  crypto_auth_hmacsha256_state state;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                              key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  crypto_auth_hmacsha256_final(&state, mac);
  sodium_memzero(&state, sizeof state);
  return std::string(reinterpret_cast<const char*>(mac), sizeof mac);
}

std::string GenericSignature(std::string_view secret, std::string_view body) {
  const std::string mac = HmacSha256(secret, body);
  char hex[crypto_auth_hmacsha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, reinterpret_cast<const unsigned char*>(mac.data()), mac.size());
  return std::string("sha256=") + hex;
}

std::string TruncateUtf8(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  static constexpr std::string_view kEllipsis = "…";
  if (max_bytes < kEllipsis.size()) return {};
  size_t cut = max_bytes - kEllipsis.size();
  // text[cut] is the first byte dropped; a continuation byte (10xxxxxx) there would split a
  // character, so back up to the character's first byte.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  std::string out(text.substr(0, cut));
  out += kEllipsis;
  return out;
}

}  // namespace keel::alerts
