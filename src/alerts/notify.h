// Outbound alert notifications (告警通知): the robot-message formats of WeCom (企业微信群机器人),
// DingTalk (钉钉自定义机器人), Feishu/Lark (飞书自定义机器人) and a generic JSON webhook, and their
// delivery over HTTP(S) with retries. `BuildRequest` is pure (the exact request, signatures
// included); `Deliver` sends it through the outbound-URL policy (common/outbound.h): the
// robot's address is checked and pinned on every attempt. Nothing here throws.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/outbound.h"
#include "common/status.h"
#include "common/time.h"

namespace keel::alerts {

enum class Channel { kWeCom, kDingTalk, kFeishu, kGeneric };

// "wecom" | "dingtalk" | "feishu" | "generic" (exact, lower case). Anything else is an
// Invalid status with code "webhook.channel".
Result<Channel> ParseChannel(std::string_view s);
// The name ParseChannel accepts; a static string.
std::string_view ChannelName(Channel c);

// What an alert wants to say, in both languages; the target's locale picks one.
struct Notification {
  std::string severity;  // "info" | "warning" | "critical"
  std::string title_zh, title_en;
  // The body: plain text or markdown-ish lines.
  std::string text_zh, text_en;
  // "zh-CN" (also when empty) or "en"/"en-*"; a missing title or text falls back to the other
  // language.
  std::string locale;
  std::string link;  // optional URL back to Keel
  // Shown as "key: value" lines, in this order, e.g. {"unit", "华东一部"}.
  std::vector<std::pair<std::string, std::string>> labels;
  std::string dedup_key;  // sent only by the generic webhook
  TimeMs at = 0;          // when the alert fired (UTC); 0: the send time
  bool resolved = false;  // a recovery message (已恢复 / Resolved)
};

struct WebhookTarget {
  Channel channel = Channel::kGeneric;
  std::string url;     // the robot's webhook URL, http:// or https://
  std::string secret;  // optional signing secret (DingTalk 加签, Feishu 签名校验, generic HMAC)
};

// The exact HTTP POST that would be sent.
struct OutboundRequest {
  std::string url;   // after signing (DingTalk appends timestamp and sign)
  std::string body;  // UTF-8 JSON
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type
};

// Formats `n` for `t.channel` and signs it with `t.secret` if set, using `now` for the
// signature timestamp (DingTalk: ms in the URL; Feishu: seconds in the body). Pure and
// thread-safe. Fails with an Invalid status ("webhook.url", "webhook.severity") on a target
// or notification that cannot be sent. WeCom content longer than 4096 bytes is cut at a UTF-8
// boundary and ends in "…"; the title, labels and link are kept when the text alone can give.
Result<OutboundRequest> BuildRequest(const WebhookTarget& t, const Notification& n, TimeMs now);

struct DeliveryResult {
  int attempts = 0;     // HTTP attempts made (0 when the request could not be built)
  int http_status = 0;  // of the last attempt; 0 when no response arrived
  // Of the last attempt, at most 64 KiB, for parsing; what a user may see of it is
  // outbound::Excerpt(response_body).
  std::string response_body;
  // Why the last attempt failed, safe to show: "HTTP 503", the robot's error code with an
  // excerpt of its message, the policy's refusal, or outbound::kUnreachableEn for every failure
  // before a reply (never a host, port or system error). Empty when delivered.
  std::string error;
  bool delivered = false;
  bool refused = false;    // the outbound policy refused the URL (not retried)
  int64_t elapsed_ms = 0;  // by `clock`, from the start of the call to its end
};

struct RetryPolicy {
  int max_attempts = 4;              // values below 1 mean 1
  int64_t initial_backoff_ms = 500;  // wait before the 2nd attempt
  double multiplier = 2.0;           // wait before attempt k+2: initial * multiplier^k, <= 1 h
  int64_t timeout_ms = 5000;         // per attempt, connection included
};

// Builds the request with `clock.NowMs()` (afresh for each attempt, so signatures stay
// within the robots' time window) and POSTs it (Content-Type: application/json;
// charset=utf-8) through `outbound`, which checks and pins the URL on every attempt (DNS may
// have changed). Retries on connection errors and timeouts, HTTP 5xx and 429, and on the
// channel's own error in a 2xx body (WeCom/DingTalk {"errcode": non-zero}, Feishu {"code":
// non-zero}); never on other statuses nor on the policy's refusal. Between attempts calls
// `sleep(ms)` (a real sleep when empty). Blocks for the whole exchange. Thread-safe: each
// attempt uses its own connection handle. Never throws; every failure is in the result.
DeliveryResult Deliver(const WebhookTarget& t, const Notification& n, const Clock& clock, const outbound::Policy& outbound,
                       const RetryPolicy& policy = {}, std::function<void(int64_t)> sleep = {});

// Building blocks, exposed for tests and for receivers that verify what Keel sends.

// Raw 32-byte HMAC-SHA256 of `message` under `key` (any key length). Thread-safe.
std::string HmacSha256(std::string_view key, std::string_view message);
// The generic webhook's X-Keel-Signature value: "sha256=" + hex HMAC-SHA256(secret, body).
std::string GenericSignature(std::string_view secret, std::string_view body);
// `text` if it is at most `max_bytes` long; otherwise its longest prefix that ends on a UTF-8
// character boundary and leaves room for "…" (3 bytes), followed by "…". `max_bytes` >= 3.
std::string TruncateUtf8(std::string_view text, size_t max_bytes);

}  // namespace keel::alerts
