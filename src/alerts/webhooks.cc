// Webhooks: queuing an alert's deliveries, the delivery threads with their per-tenant turns and
// per-webhook circuit breaker, and the webhook API (list, create, delete, test, re-seal).
#include "alerts/engine_impl.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "domain/audit.h"
#include "domain/codec.h"
#include "domain/store.h"
#include "events/event_log.h"

namespace keel::alerts {

namespace {

// The origin of a URL ("https://qyapi.weixin.qq.com/…"): robots carry their access token in
// the path or the query, so nothing after the host is shown.
std::string MaskedUrl(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return "…";
  size_t end = url.find_first_of("/?#", scheme + 3);
  return url.substr(0, end) + "/…";
}

// `reply` without the webhook's secrets, should the far end echo them (a 404 page naming the
// path, which holds a Feishu robot's token): the secret, the URL after its origin, its path,
// its long path segments and its query values become "…".
std::string Redacted(std::string reply, const std::string& url, const std::string& secret) {
  std::vector<std::string> parts = {secret};
  size_t scheme = url.find("://");
  size_t origin_end = scheme == std::string::npos ? std::string::npos : url.find_first_of("/?#", scheme + 3);
  if (origin_end != std::string::npos) {
    const std::string tail = url.substr(origin_end);
    parts.push_back(tail);
    const std::string path = tail.substr(0, tail.find_first_of("?#"));
    parts.push_back(path);
    for (size_t start = 0; start < path.size();) {
      size_t end = path.find('/', start + 1);
      if (end == std::string::npos) end = path.size();
      if (end - start > 16) parts.push_back(path.substr(start + 1, end - start - 1));
      start = end;
    }
    if (size_t q = tail.find('?'); q != std::string::npos) {
      const std::string query = tail.substr(q + 1, tail.find('#', q) - q - 1);
      for (size_t start = 0; start < query.size();) {
        size_t amp = query.find('&', start);
        if (amp == std::string::npos) amp = query.size();
        size_t eq = query.find('=', start);
        if (eq != std::string::npos && eq < amp && amp - eq - 1 >= 6) parts.push_back(query.substr(eq + 1, amp - eq - 1));
        start = amp + 1;
      }
    }
  }
  std::sort(parts.begin(), parts.end(), [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const auto& part : parts) {
    if (part.size() < 4) continue;
    for (size_t at = reply.find(part); at != std::string::npos; at = reply.find(part, at + 3)) reply.replace(at, part.size(), "…");
  }
  return reply;
}


// A queued delivery's message as stored with it (notifications.payload), so that any node can
// send it.
json MessageJson(const Notification& n) {
  json labels = json::array();
  for (const auto& [k, v] : n.labels) labels.push_back({k, v});
  return {{"severity", n.severity}, {"title_zh", n.title_zh}, {"title_en", n.title_en}, {"text_zh", n.text_zh},
          {"text_en", n.text_en}, {"locale", n.locale}, {"link", n.link}, {"labels", labels},
          {"dedup_key", n.dedup_key}, {"at", n.at}, {"resolved", n.resolved}};
}

Notification MessageOf(const json& j) {
  Notification n;
  n.severity = j.value("severity", "");
  n.title_zh = j.value("title_zh", "");
  n.title_en = j.value("title_en", "");
  n.text_zh = j.value("text_zh", "");
  n.text_en = j.value("text_en", "");
  n.locale = j.value("locale", "");
  n.link = j.value("link", "");
  if (auto it = j.find("labels"); it != j.end() && it->is_array()) {
    for (const auto& l : *it) {
      if (l.is_array() && l.size() == 2 && l[0].is_string() && l[1].is_string()) n.labels.emplace_back(l[0], l[1]);
    }
  }
  n.dedup_key = j.value("dedup_key", "");
  n.at = j.value("at", TimeMs{0});
  n.resolved = j.value("resolved", false);
  return n;
}

// How long a sender's claim on a delivery lasts: every attempt's timeout and back-off, plus a
// minute.
int64_t ClaimMs(const RetryPolicy& retry) {
  int64_t total = 60000, backoff = retry.initial_backoff_ms;
  for (int i = 0; i < std::max(1, retry.max_attempts); ++i) {
    total += retry.timeout_ms + std::min<int64_t>(backoff, 3600000);
    backoff = static_cast<int64_t>(static_cast<double>(backoff) * retry.multiplier);
  }
  return total;
}

}  // namespace

Status AlertEngine::Impl::SendWebhooks(store::Connection& conn, int64_t tenant, const AlertChange& alert, int64_t seq,
                                       bool resolved, std::vector<Outbound>* pending) {
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::WebhookRow> hooks, repo::ActiveWebhooks(conn, tenant));
  auto sev = ParseSeverity(alert.severity);
  std::string unit_path;
  if (alert.unit_id) {
    KEEL_ASSIGN_OR_RETURN(std::optional<std::string> path, domain::LoadUnitPath(conn, tenant, *alert.unit_id));
    unit_path = path.value_or("");
  }
  for (const auto& h : hooks) {
    auto min = ParseSeverity(h.min_severity);
    if (sev.ok() && min.ok() && *sev < *min) continue;
    if (h.unit_id && unit_path.rfind(h.unit_path, 0) != 0) continue;  // unit-scoped hook
    auto channel = ParseChannel(h.channel);
    if (!channel.ok()) continue;
    Outbound o;
    o.tenant = tenant;
    o.webhook_id = h.id;
    o.channel = *channel;
    o.sealed_url = h.sealed_url;
    o.sealed_secret = h.sealed_secret;
    Notification& n = o.message;
    n.severity = alert.severity;
    n.title_zh = alert.label;
    n.title_en = alert.label_en;
    n.text_zh = alert.summary;
    n.text_en = alert.summary_en;
    n.locale = h.locale;
    for (const auto& [k, v] : alert.labels) n.labels.emplace_back(k, v.name);
    n.dedup_key = "keel-alert-" + std::to_string(alert.id);
    n.at = clock.NowMs();
    n.resolved = resolved;
    KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn.AllocateIds(1));
    o.notification_id = ids[0];
    std::string now_text = FormatTimestamp(clock.NowMs());
    // Each webhook hears each change of the alert (its event) once, whichever node writes it.
    std::string key = "e" + std::to_string(seq) + ":w" + std::to_string(h.id);
    KEEL_ASSIGN_OR_RETURN(bool fresh, repo::InsertQueued(conn, tenant, ids[0], alert.id, std::string(ChannelName(*channel)),
                                                         "webhook:" + std::to_string(h.id), key, MessageJson(n).dump(), now_text));
    if (fresh) pending->push_back(std::move(o));
  }
  return Status();
}

void AlertEngine::Impl::Enqueue(std::vector<Outbound> pending) {
  if (pending.empty()) return;
  {
    std::lock_guard lock(mu);
    for (auto& o : pending) outbox[o.tenant].push_back(std::move(o));
  }
  outbox_cv.notify_all();
}

void AlertEngine::Impl::Work() {
  while (true) {
    Outbound o;
    {
      std::unique_lock lock(mu);
      // The next tenant after the one served last that has work and nothing in flight.
      auto next = [&]() -> std::deque<Outbound>* {
        auto ready = [&](auto& entry) { return !entry.second.empty() && !busy.count(entry.first); };
        for (auto it = outbox.upper_bound(last_served); it != outbox.end(); ++it) {
          if (ready(*it)) return &it->second;
        }
        for (auto it = outbox.begin(); it != outbox.end() && it->first <= last_served; ++it) {
          if (ready(*it)) return &it->second;
        }
        return nullptr;
      };
      std::deque<Outbound>* queue = nullptr;
      outbox_cv.wait(lock, [&] { return (queue = next()) != nullptr || stop; });
      if (queue == nullptr) return;  // stopping, and nothing this thread may take
      o = std::move(queue->front());
      queue->pop_front();
      if (queue->empty()) outbox.erase(o.tenant);
      busy.insert(o.tenant);
      last_served = o.tenant;
    }
    const int64_t tenant = o.tenant;
    DeliverOne(std::move(o));
    {
      std::lock_guard lock(mu);
      busy.erase(tenant);
    }
    outbox_cv.notify_all();
  }
}

void AlertEngine::Impl::DeliverOne(Outbound o) {
  auto conn = db.Acquire();
  if (!conn.ok()) return;  // still queued: ResendStranded picks it up
  {
    // Claimed before it is sent, for as long as every attempt can take: another node (or this
    // one's recovery) sends it only if this claim runs out, i.e. this node died while sending.
    const TimeMs now = clock.NowMs();
    auto claimed = repo::ClaimDelivery(**conn, o.tenant, o.notification_id, FormatTimestamp(now),
                                       FormatTimestamp(now + ClaimMs(opt.retry)));
    if (!claimed.ok()) {
      spdlog::warn("notification {}: not claimed: {}", o.notification_id, claimed.status().ToString());
      return;
    }
    if (!*claimed) return;  // sent or being sent elsewhere
  }
  const auto key = std::make_pair(o.tenant, o.webhook_id);
  const int threshold = std::max(1, opt.breaker_failures);
  TimeMs paused_until = 0;
  {
    std::lock_guard lock(mu);
    const Breaker& b = breakers[key];
    if (b.failures >= threshold && clock.NowMs() < b.paused_until) paused_until = b.paused_until;
  }
  DeliveryResult r;
  std::string status;
  if (paused_until != 0) {
    status = "skipped";
    r.error = "paused after " + std::to_string(threshold) + " failed deliveries in a row; tried again after " +
              FormatTimestamp(paused_until);
  } else {
    auto url = box->Open(o.sealed_url);
    auto secret = box->Open(o.sealed_secret);
    if (!url.ok() || !secret.ok()) {
      r.error = (url.ok() ? secret.status() : url.status()).message_en();
    } else {
      r = alerts::Deliver({o.channel, *url, *secret}, o.message, clock, *policy, opt.retry, opt.sleep);
    }
    status = r.delivered ? "delivered" : "failed";
    std::lock_guard lock(mu);
    Breaker& b = breakers[key];
    if (r.delivered) {
      b = Breaker{};
    } else if (!r.refused && r.attempts > 0) {
      ++b.failures;
      if (b.failures >= threshold) b.paused_until = clock.NowMs() + opt.breaker_cooldown_ms;
    }
  }
  {
    std::lock_guard lock(mu);
    ++(status == "delivered" ? delivered.delivered : status == "skipped" ? delivered.skipped : delivered.failed);
  }
  repo::DeliveryOutcome d{status, r.attempts, r.http_status};
  if (!r.error.empty()) d.error = r.error.substr(0, 500);
  if (r.delivered) d.delivered_at = FormatTimestamp(clock.NowMs());
  Status st = repo::RecordDelivery(**conn, o.tenant, o.notification_id, d);
  if (!st.ok()) spdlog::error("notification {}: {}", o.notification_id, st.ToString());
}

Status AlertEngine::Impl::ResendStranded(int64_t tenant, TimeMs now) {
  // At most every 10 s per evaluator; a delivery is stranded once it has waited a minute unclaimed
  // (longer than any node's outbox holds one in normal operation) or its sender's claim ran out.
  TimeMs& checked = last_stranded_check[tenant];
  if (now - checked < 10000) return Status();
  checked = now;
  KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::StrandedDelivery> stranded,
                        repo::StrandedDeliveries(*conn, tenant, FormatTimestamp(now - 60000), FormatTimestamp(now), 100));
  if (stranded.empty()) return Status();
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::WebhookRow> hooks, repo::ActiveWebhooks(*conn, tenant));
  std::vector<Outbound> pending;
  for (const auto& d : stranded) {
    auto hook = std::find_if(hooks.begin(), hooks.end(), [&](const repo::WebhookRow& h) {
      return d.target == "webhook:" + std::to_string(h.id);
    });
    auto channel = ParseChannel(d.channel);
    json message = json::parse(d.payload, nullptr, false);
    if (hook == hooks.end() || !channel.ok() || !message.is_object()) {
      repo::DeliveryOutcome gone{"skipped", 0, 0, std::string("the webhook was deleted or its message is unreadable"), {}};
      KEEL_RETURN_IF_ERROR(repo::RecordDelivery(*conn, tenant, d.id, gone));
      std::lock_guard lock(mu);
      ++delivered.skipped;
      continue;
    }
    Outbound o;
    o.tenant = tenant;
    o.notification_id = d.id;
    o.webhook_id = hook->id;
    o.channel = *channel;
    o.sealed_url = hook->sealed_url;
    o.sealed_secret = hook->sealed_secret;
    o.message = MessageOf(message);
    pending.push_back(std::move(o));
  }
  spdlog::info("tenant {}: {} webhook deliveries nobody was sending are queued again", tenant, pending.size());
  Enqueue(std::move(pending));
  return Status();
}

AlertEngine::DeliveryStats AlertEngine::delivery_stats() const {
  std::lock_guard lock(impl_->mu);
  DeliveryStats s = impl_->delivered;
  s.queued = 0;
  for (const auto& [tenant, queue] : impl_->outbox) s.queued += static_cast<int64_t>(queue.size());
  return s;
}

Result<std::vector<WebhookInfo>> AlertEngine::ListWebhooks(const Principal& p) {
  KEEL_RETURN_IF_ERROR(RequireAdmin(p));
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::WebhookRow> hooks, repo::ActiveWebhooks(*conn, p.tenant_id));
  std::vector<WebhookInfo> out;
  for (const auto& h : hooks) {
    auto url = impl_->box->Open(h.sealed_url);
    out.push_back({h.id, h.name, h.channel, url.ok() ? MaskedUrl(*url) : "…",  // the rest carries the robot's key
                   !h.sealed_secret.empty(), h.unit_id, h.min_severity, h.locale, h.created_at});
  }
  return out;
}

Status AlertEngine::MayManageWebhooks(const Principal& p) const { return RequireAdmin(p); }

Result<WebhookInfo> AlertEngine::CreateWebhook(const Principal& p, const WebhookSpec& spec) {
  KEEL_RETURN_IF_ERROR(RequireAdmin(p));
  auto channel = ParseChannel(spec.channel);
  if (!channel.ok()) return channel.status();
  const std::string& url = spec.url;
  if ((url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) || url.size() > 2000) {
    return Status::Invalid("webhook.url", "url must be an http(s) URL", "url 必须是 http(s) 地址", "url");
  }
  // Where it may go is decided now, and again at every delivery (DNS may change).
  KEEL_RETURN_IF_ERROR(impl_->policy->Check(url).status());
  const std::string& min = spec.min_severity;
  if (!ParseSeverity(min).ok()) return ParseSeverity(min).status().WithField("min_severity");
  const std::string& locale = spec.locale;
  if (locale != "zh-CN" && locale != "en") return Status::Invalid("validation.enum", "locale is zh-CN or en", "locale 可为 zh-CN 或 en", "locale");
  int64_t unit = spec.unit_id;
  const std::string& secret = spec.secret;
  KEEL_ASSIGN_OR_RETURN(std::string sealed_url, impl_->box->Seal(url));
  KEEL_ASSIGN_OR_RETURN(std::string sealed_secret, impl_->box->Seal(secret));
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  if (unit) {
    KEEL_ASSIGN_OR_RETURN(bool exists, repo::UnitExists(*conn, p.tenant_id, unit));
    if (!exists) return Status::Invalid("validation.reference", "no such unit", "不存在该单元", "unit_id");
  }
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
  TimeMs now = impl_->clock.NowMs();
  const std::string name = spec.name.substr(0, 100);
  repo::WebhookRow row;
  row.tenant_id = p.tenant_id;
  row.id = ids[0];
  row.name = name;
  row.channel = ChannelName(*channel);
  row.sealed_url = sealed_url;
  row.sealed_secret = sealed_secret;
  if (unit) row.unit_id = unit;
  row.min_severity = min;
  row.locale = locale;
  row.created_at = FormatTimestamp(now);
  row.created_by = p.user_id;
  KEEL_RETURN_IF_ERROR(repo::InsertWebhook(*conn, row));
  KEEL_RETURN_IF_ERROR(AppendEvent(*conn, p, "webhook.created", "webhooks", ids[0], {{"name", spec.name}, {"channel", ChannelName(*channel)}}, now));
  json after = {{"name", name}, {"channel", ChannelName(*channel)}, {"url", MaskedUrl(url)}, {"secret", secret.empty() ? "none" : "set"},
                {"unit_id", unit ? json(unit) : json(nullptr)}, {"min_severity", min}, {"locale", locale}};
  KEEL_RETURN_IF_ERROR(domain::AuditChange(*conn, p, now, {"webhook.created", "webhooks", ids[0], nullptr, after}));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  WebhookInfo info;
  info.id = ids[0];
  info.name = spec.name;  // as given (the stored name is cut at 100 bytes)
  info.channel = ChannelName(*channel);
  info.url = MaskedUrl(url);
  info.has_secret = !secret.empty();
  if (unit) info.unit_id = unit;
  info.min_severity = min;
  info.locale = locale;
  info.created_at = row.created_at;
  return info;
}

Status AlertEngine::DeleteWebhook(const Principal& p, int64_t id) {
  KEEL_RETURN_IF_ERROR(RequireAdmin(p));
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::WebhookRow> before, repo::ActiveWebhook(*conn, p.tenant_id, id));
  KEEL_ASSIGN_OR_RETURN(bool deleted, repo::DeleteWebhook(*conn, p.tenant_id, id));
  if (!deleted || !before) return Status::NotFound("webhook");
  auto url = impl_->box->Open(before->sealed_url);
  json was = {{"name", before->name}, {"channel", before->channel}, {"url", url.ok() ? MaskedUrl(*url) : "…"}};
  KEEL_RETURN_IF_ERROR(domain::AuditChange(*conn, p, impl_->clock.NowMs(), {"webhook.deleted", "webhooks", id, was, nullptr}));
  return tx.Commit();
}

Result<WebhookTest> AlertEngine::TestWebhook(const Principal& p, int64_t id) {
  KEEL_RETURN_IF_ERROR(RequireAdmin(p));
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::WebhookRow> hook, repo::ActiveWebhook(*conn, p.tenant_id, id));
  if (!hook) return Status::NotFound("webhook");
  auto channel = ParseChannel(hook->channel);
  if (!channel.ok()) return channel.status();
  KEEL_ASSIGN_OR_RETURN(std::string url, impl_->box->Open(hook->sealed_url));
  KEEL_ASSIGN_OR_RETURN(std::string secret, impl_->box->Open(hook->sealed_secret));
  // The URL is checked again (DNS may have changed since it was saved): a refusal is a 4xx.
  KEEL_RETURN_IF_ERROR(impl_->policy->Check(url).status());
  Notification n;
  n.severity = "info";
  n.title_zh = "Keel 测试消息";
  n.title_en = "Keel test message";
  n.text_zh = "这是一条测试消息，说明 Webhook 配置正确。";
  n.text_en = "This is a test message: the webhook works.";
  n.locale = hook->locale;
  n.at = impl_->clock.NowMs();
  RetryPolicy once = impl_->opt.retry;
  once.max_attempts = 1;
  DeliveryResult d = Deliver({*channel, url, secret}, n, impl_->clock, *impl_->policy, once, impl_->opt.sleep);
  // Only the status and a short clean excerpt of the reply: the endpoint's answer is not
  // relayed to the caller (no reading of internal services through Keel).
  return WebhookTest{d.delivered, d.http_status, d.attempts, d.error, outbound::Excerpt(Redacted(d.response_body, url, secret), 200)};
}

Result<ResealCount> AlertEngine::ResealSecrets() {
  ResealCount count;
  const SecretBox& box = *impl_->box;
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::WebhookRow> hooks, repo::AllWebhooks(*conn));
  for (const auto& h : hooks) {
    std::string values[2] = {h.sealed_url, h.sealed_secret};
    bool changed = false, unreadable = false;
    for (auto& v : values) {
      if (!box.NeedsReseal(v)) {
        unreadable = unreadable || (SecretBox::IsSealed(v) && !box.Open(v).ok());
        continue;
      }
      auto plain = box.Open(v);
      auto sealed = plain.ok() ? box.Seal(*plain) : Result<std::string>(plain.status());
      if (!sealed.ok()) {
        unreadable = true;
        continue;
      }
      v = *sealed;
      changed = true;
    }
    if (unreadable) {
      ++count.unreadable;
      spdlog::warn("webhook {} of tenant {}: a stored secret cannot be decrypted with the configured keys", h.id, h.tenant_id);
    }
    if (!changed) continue;
    KEEL_RETURN_IF_ERROR(repo::UpdateSealed(*conn, h.tenant_id, h.id, values[0], values[1]));
    ++count.resealed;
  }
  return count;
}

}  // namespace keel::alerts
