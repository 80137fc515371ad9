// Routes of the alert engine: rules (JSON or YAML), alerts, acknowledgement, silences,
// webhooks and the notification inbox / delivery log. The engine hands out structs
// (alerts/model.h); their JSON is written here.
#include "alerts/engine.h"
#include "http/api.h"

namespace keel::http {
namespace {

template <typename T>
json OrNull(const std::optional<T>& v) { return v ? json(*v) : json(nullptr); }

// A stored rule: its definition document with its version, owner and creation time.
json ToJson(const alerts::StoredRule& r) {
  json d = json::parse(r.definition, nullptr, false);
  d["version"] = r.version;
  d["owner_id"] = r.owner_id;
  d["created_at"] = r.created_at;
  return d;
}

json ToJson(const alerts::Alert& a) {
  return {{"id", a.id}, {"rule", a.rule}, {"severity", a.severity}, {"state", a.state},
          {"labels", json::parse(a.labels, nullptr, false)}, {"value", OrNull(a.value)}, {"summary", a.summary},
          {"summary_en", a.summary_en}, {"unit_id", OrNull(a.unit_id)}, {"owner_id", OrNull(a.owner_id)},
          {"started_at", a.started_at}, {"updated_at", a.updated_at}, {"resolved_at", OrNull(a.resolved_at)},
          {"acked_at", OrNull(a.acked_at)}, {"acked_by", OrNull(a.acked_by)}, {"escalation_step", a.escalation_step},
          {"next_step_at", OrNull(a.next_step_at)}, {"task_id", OrNull(a.task_id)}};
}

json ToJson(const alerts::Silence& s) {
  return {{"id", s.id}, {"rule", OrNull(s.rule)}, {"matchers", s.matchers}, {"starts_at", s.starts_at},
          {"ends_at", s.ends_at}, {"comment", s.comment.value_or("")}, {"created_by", s.created_by}};
}

json ToJson(const alerts::WebhookInfo& w) {
  return {{"id", w.id}, {"name", w.name}, {"channel", w.channel}, {"url", w.url}, {"has_secret", w.has_secret},
          {"unit_id", OrNull(w.unit_id)}, {"min_severity", w.min_severity}, {"locale", w.locale}, {"created_at", w.created_at}};
}

json ToJson(const alerts::NotificationEntry& n) {
  return {{"id", n.id}, {"alert_id", n.alert_id}, {"channel", n.channel}, {"target", n.target},
          {"recipient_id", OrNull(n.recipient_id)}, {"status", n.status}, {"attempts", n.attempts},
          {"http_status", OrNull(n.http_status)}, {"error", OrNull(n.error)}, {"created_at", n.created_at},
          {"delivered_at", OrNull(n.delivered_at)}, {"summary", n.summary}, {"summary_en", n.summary_en},
          {"severity", n.severity}, {"alert_state", n.alert_state}};
}

// {"items": [...]} of a list the engine returned.
template <typename T>
Result<Reply> Items(Result<std::vector<T>> r) {
  if (!r.ok()) return r.status();
  json items = json::array();
  for (const auto& x : *r) items.push_back(ToJson(x));
  return Reply{200, json{{"items", std::move(items)}}};
}

template <typename T>
Result<Reply> One(Result<T> r, int status = 200) {
  if (!r.ok()) return r.status();
  return Reply{status, ToJson(*r)};
}

// {id, deleted: true} once `st` is OK.
Result<Reply> Deleted(const Status& st, int64_t id) {
  if (!st.ok()) return st;
  return Reply{200, {{"id", id}, {"deleted", true}}};
}

int LimitOf(const Call& c) {
  for (const auto& [k, v] : c.req.query) {
    if (k == "limit") return std::atoi(v.c_str());
  }
  return 100;
}

std::string Param(const Call& c, const std::string& name, const std::string& def) {
  for (const auto& [k, v] : c.req.query) {
    if (k == name) return v;
  }
  return def;
}

}  // namespace

void Api::AddAlertRoutes() {
  alerts::AlertEngine* a = services_.alerts;
  if (a == nullptr) return;
  json obj = {{"type", "object"}};
  json rule_schema = {{"type", "object"}, {"required", {"name", "metric", "tiers"}},
                      {"description", "An alert rule (see docs/alerts.md); JSON or YAML (Content-Type: application/yaml)"},
                      {"properties", {{"name", {{"type", "string"}}}, {"metric", {{"type", "string"}}},
                                      {"group_by", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                                      {"window", {{"type", "string"}}}, {"every", {{"type", "string"}}},
                                      {"tiers", {{"type", "array"}, {"items", obj}}}, {"recover_when", {{"type", "string"}}},
                                      {"no_data", {{"type", "string"}, {"enum", {"ok", "keep", "alert"}}}},
                                      {"route", {{"type", "array"}, {"items", obj}}}, {"create_task", {{"type", "boolean"}}}}}};
  router_.Add("GET", "/api/v1/alert-rules", [a](Call& c) { return Items(a->ListRules(c.p())); },
              {"List alert rules", "查询告警规则", "alerts", nullptr, obj});
  router_.Add("POST", "/api/v1/alert-rules", [a](Call& c) -> Result<Reply> {
    KEEL_ASSIGN_OR_RETURN(alerts::AlertRule rule, a->SaveRule(c.p(), c.body));
    return Reply{201, rule.ToJson()};
  },
              Yaml({"Define an alert rule (tiers, for, recovery, route)", "新建告警规则（分级、持续时间、恢复条件、升级路径）", "alerts",
               rule_schema, obj, {}, 201}));
  router_.Add("POST", "/api/v1/alert-rules/check", [a](Call& c) -> Result<Reply> {
    KEEL_RETURN_IF_ERROR(a->CheckRule(c.p(), c.body));
    return Reply{200, {{"ok", true}}};
  }, Yaml({"Validate an alert rule without saving it", "校验告警规则（不保存）", "alerts", rule_schema, obj}));
  router_.Add("GET", "/api/v1/alert-rules/{name}", [a](Call& c) { return One(a->GetRule(c.p(), c.name())); },
              {"An alert rule", "告警规则详情", "alerts", nullptr, obj});
  router_.Add("PUT", "/api/v1/alert-rules/{name}", [a](Call& c) -> Result<Reply> {
    KEEL_ASSIGN_OR_RETURN(alerts::AlertRule rule, a->SaveRule(c.p(), c.body, c.name()));
    return Reply{200, rule.ToJson()};
  },
              Yaml({"Change an alert rule (a new version)", "修改告警规则（新版本）", "alerts", rule_schema, obj}));
  router_.Add("DELETE", "/api/v1/alert-rules/{name}", [a](Call& c) -> Result<Reply> {
    KEEL_RETURN_IF_ERROR(a->ArchiveRule(c.p(), c.name()));
    return Reply{200, {{"name", c.name()}, {"status", "archived"}}};
  },
              {"Archive an alert rule; its firing alerts resolve", "归档告警规则；其告警随之结束", "alerts", nullptr, obj});
  router_.Add("GET", "/api/v1/alerts", [a](Call& c) {
    return Items(a->ListAlerts(c.p(), Param(c, "state", "firing"), LimitOf(c)));
  }, {"Alerts within the caller's scope", "可见范围内的告警", "alerts", nullptr, obj,
      {{"state", "firing (default), resolved or all"}, {"limit", "1-500, default 100"}}});
  json ack_schema = {{"type", "object"}, {"properties", {{"comment", {{"type", "string"}}}}}};
  router_.Add("POST", "/api/v1/alerts/{id}/ack", [a](Call& c) {
    return One(a->Acknowledge(c.p(), c.id(), c.body.is_object() ? c.body.value("comment", "") : ""));
  }, {"Acknowledge an alert (stops its escalation)", "确认告警（停止升级）", "alerts", ack_schema, obj});
  router_.Add("GET", "/api/v1/alert-silences", [a](Call& c) { return Items(a->ListSilences(c.p())); },
              {"Silences", "静默规则", "alerts", nullptr, obj});
  json silence_schema = {{"type", "object"}, {"properties", {{"rule", {{"type", "string"}}}, {"matchers", obj},
                                                             {"starts_at", {{"type", "string"}}}, {"ends_at", {{"type", "string"}}},
                                                             {"duration", {{"type", "string"}}}, {"comment", {{"type", "string"}}}}},
                         {"anyOf", {{{"required", {"ends_at"}}}, {{"required", {"duration"}}}}},
                         {"description", "until ends_at, or for a duration such as 4h"}};
  router_.Add("POST", "/api/v1/alert-silences", [a](Call& c) { return Wrap(a->CreateSilence(c.p(), c.body), 201); },
              {"Silence notifications of matching alerts for a time (unit leads: units of their subtree, up to 7 days; HQ: up to 90 days)",
               "在一段时间内静默匹配告警的通知（战队负责人：本人管辖单元，最长 7 天；总部：最长 90 天）", "alerts", silence_schema, obj, {}, 201});
  router_.Add("DELETE", "/api/v1/alert-silences/{id}", [a](Call& c) { return Deleted(a->DeleteSilence(c.p(), c.id()), c.id()); },
              {"End a silence (your own; someone else's: admin, hq_ops)", "结束静默（本人创建的；他人创建的：管理员、销售运营）", "alerts", nullptr, obj});
  json hook_schema = {{"type", "object"}, {"required", {"name", "channel", "url"}},
                      {"properties", {{"name", {{"type", "string"}}},
                                      {"channel", {{"type", "string"}, {"enum", {"wecom", "dingtalk", "feishu", "generic"}}}},
                                      {"url", {{"type", "string"}}}, {"secret", {{"type", "string"}}},
                                      {"unit_id", {{"type", "integer"}}}, {"min_severity", {{"type", "string"}}},
                                      {"locale", {{"type", "string"}, {"enum", {"zh-CN", "en"}}}}}}};
  router_.Add("GET", "/api/v1/webhooks", [a](Call& c) { return Items(a->ListWebhooks(c.p())); },
              {"Outbound webhooks (admin); url shows only the origin, has_secret whether a secret is set",
               "外发 Webhook（管理员）；url 仅显示源地址，has_secret 表示是否设置了密钥", "alerts", nullptr, obj});
  router_.Add("POST", "/api/v1/webhooks", [a](Call& c) { return Wrap(a->CreateWebhook(c.p(), c.body), 201); },
              {"Add a WeCom / DingTalk / Feishu / generic webhook; the URL must pass the outbound policy (outbound.refused), "
               "URL and secret are stored encrypted",
               "添加企业微信/钉钉/飞书/通用 Webhook；地址须通过外呼地址策略（outbound.refused），地址与密钥加密存储", "alerts", hook_schema, obj, {}, 201});
  router_.Add("DELETE", "/api/v1/webhooks/{id}", [a](Call& c) { return Deleted(a->DeleteWebhook(c.p(), c.id()), c.id()); },
              {"Remove a webhook", "删除 Webhook", "alerts", nullptr, obj});
  router_.Add("POST", "/api/v1/webhooks/{id}/test", [a](Call& c) { return Wrap(a->TestWebhook(c.p(), c.id())); },
              {"Send a test message: {delivered, http_status, attempts, error, response (≤ 200 bytes, cleaned)}",
               "发送测试消息：{delivered, http_status, attempts, error, response（不超过 200 字节，已清理）}", "alerts", nullptr, obj});
  router_.Add("GET", "/api/v1/notifications", [a](Call& c) {
    return Items(a->Notifications(c.p(), Param(c, "all", "false") == "true", LimitOf(c)));
  }, {"My in-app notifications; all=true: the delivery log (admin, auditor)", "我的站内通知；all=true：投递日志（管理员、审计）",
      "alerts", nullptr,
      {{"type", "object"},
       {"description", "items [{id, alert_id, channel in_app|wecom|dingtalk|feishu|generic, target, recipient_id, "
                       "status queued|delivered|failed|skipped, attempts, "
                       "http_status, error, created_at, delivered_at, summary (zh), summary_en, severity, alert_state}] newest first"}},
      {{"all", "true for every notification and webhook delivery"}, {"limit", "1-500"}}});
}

}  // namespace keel::http
