// Routes of the alert engine: rules (JSON or YAML), alerts, acknowledgement, silences,
// webhooks and the notification inbox / delivery log. The engine hands out structs
// (alerts/model.h); their JSON is written here.
#include "alerts/engine.h"
#include "domain/codec.h"
#include "http/api.h"
#include "http/openapi.h"
#include "common/json_util.h"

namespace keel::http {
namespace {

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

// The request of POST /alert-silences: {rule, matchers, starts_at, ends_at | duration, comment}.
// Each field's shape is checked here (errors at its name); the engine judges the values.
Result<alerts::SilenceSpec> SilenceSpecOf(const json& b) {
  KEEL_RETURN_IF_ERROR(domain::CheckObject(b, {"rule", "matchers", "starts_at", "ends_at", "duration", "comment"}));
  alerts::SilenceSpec s;
  if (b.contains("starts_at")) {
    if (!b["starts_at"].is_string()) return Status::Invalid("validation.type", "starts_at is a timestamp", "starts_at 须为时间", "starts_at");
    s.starts_at = b["starts_at"].get<std::string>();
  }
  if (b.contains("ends_at") && b["ends_at"].is_string()) {
    s.ends_at = b["ends_at"].get<std::string>();
  } else if (b.contains("duration")) {
    // Not text: no valid duration either (the engine's alert.invalid at "duration").
    s.duration = b["duration"].is_string() ? b["duration"].get<std::string>() : std::string();
  }
  json matchers = b.value("matchers", json::object());
  if (!matchers.is_object()) return Status::Invalid("alert.invalid", "matchers is an object of label: value", "matchers 为 标签: 值 的对象", "matchers");
  for (auto& [k, v] : matchers.items()) {
    if (v.is_number_integer()) v = std::to_string(v.get<int64_t>());
    if (!v.is_string()) return Status::Invalid("alert.invalid", "matcher values are text or ids", "匹配值须为文本或编号", "matchers." + k);
    s.matchers[k] = v.get<std::string>();
  }
  auto rule = b.find("rule");
  if (rule != b.end() && !rule->is_null() && !rule->is_string()) {
    return Status::Invalid("validation.type", "rule is a rule name", "rule 应为规则名称", "rule");
  }
  if (rule != b.end() && rule->is_string() && !rule->get_ref<const std::string&>().empty()) s.rule = rule->get<std::string>();
  if (auto c = b.find("comment"); c != b.end() && !c->is_null()) {
    if (!c->is_string() || c->get_ref<const std::string&>().size() > 500) {
      return Status::Invalid("alert.invalid", "comment must be text (at most 500 bytes)", "comment 必须是文本（最多 500 字节）", "comment");
    }
    s.comment = c->get<std::string>();
  }
  return s;
}

// The request of POST /webhooks: {name, channel, url, secret, unit_id, min_severity, locale}.
Result<alerts::WebhookSpec> WebhookSpecOf(const json& b) {
  KEEL_RETURN_IF_ERROR(domain::CheckObject(b, {"name", "channel", "url", "secret", "unit_id", "min_severity", "locale"}));
  for (const char* k : {"name", "channel", "url"}) {
    if (!b.contains(k) || !b[k].is_string() || b[k].get_ref<const std::string&>().empty()) {
      return Status::Invalid("validation.required", std::string(k) + " is required", std::string(k) + " 为必填项", k);
    }
  }
  if (b.contains("secret") && !b["secret"].is_null() && (!b["secret"].is_string() || b["secret"].get_ref<const std::string&>().size() > 500)) {
    return Status::Invalid("validation.type", "secret must be text (at most 500 bytes)", "secret 必须是文本（最多 500 字节）", "secret");
  }
  alerts::WebhookSpec w;
  w.name = b["name"].get<std::string>();
  w.channel = b["channel"].get<std::string>();
  w.url = b["url"].get<std::string>();
  if (b.contains("secret") && b["secret"].is_string()) w.secret = b["secret"].get<std::string>();
  w.min_severity = b.value("min_severity", "warning");
  w.locale = b.value("locale", "zh-CN");
  w.unit_id = b.value("unit_id", int64_t{0});
  return w;
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
  using namespace schema;  // NOLINT(google-build-using-namespace): the builders read as the schema
  const json severity = Enum({"info", "warning", "critical"});
  const json label_pair = Obj({{"zh", Str()}, {"en", Str()}}, {"zh", "en"});
  // A rule as the engine normalised it (POST, PUT): durations as 30m/2h/1d, the route's steps.
  const json rule_out = Component(
      "AlertRule",
      Obj({{"name", Str()}, {"version", Int()}, {"label", label_pair}, {"metric", Str()}, {"group_by", Arr(Str())},
           {"window", Str("a duration: 30m, 2h, 1d")}, {"every", Str("how often it is evaluated")},
           {"tiers", Arr(Obj({{"severity", severity}, {"when", Str("a condition over value, e.g. value < 0.8 * baseline")},
                              {"for", Str("how long the condition holds before the alert fires")}},
                             {"severity", "when"}))},
           {"no_data", Enum({"ok", "keep", "alert"})}, {"route", Arr(Free("a step: {notify: [...]} or {wait: 30m}"))},
           {"create_task", Bool()}, {"recover_when", Str()}, {"message", label_pair}, {"owner_id", Int()}},
          {"name", "version", "metric", "tiers"}, "An alert rule / 告警规则"));
  // A rule as stored (lists, GET): the definition document as it was written, with its version.
  json stored = Obj({{"name", Str()}, {"metric", Str()}, {"version", Int()}, {"owner_id", Int()}, {"created_at", Time()}},
                    {"name", "version", "created_at"}, "An alert rule as written, with its version / 告警规则（原始定义）");
  stored["additionalProperties"] = true;  // the rule's own fields as its author wrote them (JSON or YAML)
  const json stored_rule = Component("StoredAlertRule", stored);
  const json alert = Component(
      "Alert",
      Obj({{"id", Int()}, {"rule", Str()}, {"severity", severity}, {"state", Enum({"firing", "resolved"})},
           {"labels", Map(Obj({{"name", Str("the unit's, store's or product's name")}, {"value", Str("its id or key")}}, {"value"}),
                          "the group's labels by dimension (unit, store, product …)")}, {"value", Null(Num())},
           {"summary", Str("Chinese")}, {"summary_en", Str()}, {"unit_id", Null(Int())}, {"owner_id", Null(Int())},
           {"started_at", Time()}, {"updated_at", Time()}, {"resolved_at", Null(Time())}, {"acked_at", Null(Time())},
           {"acked_by", Null(Int())}, {"escalation_step", Int()}, {"next_step_at", Null(Time())}, {"task_id", Null(Int())}},
          {"id", "rule", "severity", "state", "labels", "summary", "summary_en", "started_at"}, "An alert / 告警"));
  const json silence = Component(
      "AlertSilence",
      Obj({{"id", Int()}, {"rule", Null(Str("null: every rule"))}, {"matchers", Map(Str(), "label → value the alert must carry")},
           {"starts_at", Time()}, {"ends_at", Time()}, {"comment", Str()}, {"created_by", Int()}},
          {"id", "rule", "matchers", "starts_at", "ends_at"}, "A silence / 静默"));
  const json webhook = Component(
      "Webhook",
      Obj({{"id", Int()}, {"name", Str()}, {"channel", Enum({"wecom", "dingtalk", "feishu", "generic"})},
           {"url", Str("the origin only")}, {"has_secret", Bool()}, {"unit_id", Null(Int())}, {"min_severity", severity},
           {"locale", Enum({"zh-CN", "en"})}, {"created_at", Time()}},
          {"id", "name", "channel", "min_severity", "locale"}, "An outbound webhook / 外发 Webhook"));
  const json webhook_test = Obj({{"delivered", Bool()}, {"http_status", Int()}, {"attempts", Int()}, {"error", Str()},
                                 {"response", Str("the endpoint's reply, at most 200 bytes, cleaned")}},
                                {"delivered", "http_status", "attempts"}, "The test delivery / 测试投递结果");
  const json notification = Component(
      "Notification",
      Obj({{"id", Int()}, {"alert_id", Int()}, {"channel", Enum({"in_app", "wecom", "dingtalk", "feishu", "generic"})},
           {"target", Str()}, {"recipient_id", Null(Int())}, {"status", Enum({"queued", "sending", "delivered", "failed", "skipped"})},
           {"attempts", Int()}, {"http_status", Null(Int())}, {"error", Null(Str())}, {"created_at", Time()},
           {"delivered_at", Null(Time())}, {"summary", Str("Chinese")}, {"summary_en", Str()}, {"severity", severity},
           {"alert_state", Str()}},
          {"id", "alert_id", "channel", "status", "created_at"}, "A notification or webhook delivery / 通知或 Webhook 投递"));
  const json ok = Obj({{"ok", Bool()}}, {"ok"}, "The rule is valid / 规则有效");
  const json rule_archived = Obj({{"name", Str()}, {"status", Enum({"archived"})}}, {"name", "status"});
  const json deleted = Obj({{"id", Int()}, {"deleted", Bool()}}, {"id", "deleted"});
  json rule_schema = {{"type", "object"}, {"required", {"name", "metric", "tiers"}},
                      {"description", "An alert rule (see docs/alerts.md); JSON or YAML (Content-Type: application/yaml)"},
                      {"properties", {{"name", {{"type", "string"}}}, {"metric", {{"type", "string"}}},
                                      {"group_by", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                                      {"window", {{"type", "string"}}}, {"every", {{"type", "string"}}},
                                      {"tiers", {{"type", "array"}, {"items", obj}}}, {"recover_when", {{"type", "string"}}},
                                      {"no_data", {{"type", "string"}, {"enum", {"ok", "keep", "alert"}}}},
                                      {"route", {{"type", "array"}, {"items", obj}}}, {"create_task", {{"type", "boolean"}}}}}};
  router_.Add("GET", "/api/v1/alert-rules", [a](Call& c) { return Items(a->ListRules(c.p())); },
              {"List alert rules", "查询告警规则", "alerts", nullptr, Items(stored_rule)});
  router_.Add("POST", "/api/v1/alert-rules", [a](Call& c) -> Result<Reply> {
    KEEL_ASSIGN_OR_RETURN(alerts::AlertRule rule, a->SaveRule(c.p(), c.body));
    return Reply{201, rule.ToJson()};
  },
              Yaml({"Define an alert rule (tiers, for, recovery, route)", "新建告警规则（分级、持续时间、恢复条件、升级路径）", "alerts",
               rule_schema, rule_out, {}, 201}));
  router_.Add("POST", "/api/v1/alert-rules/check", [a](Call& c) -> Result<Reply> {
    KEEL_RETURN_IF_ERROR(a->CheckRule(c.p(), c.body));
    return Reply{200, {{"ok", true}}};
  }, Yaml({"Validate an alert rule without saving it", "校验告警规则（不保存）", "alerts", rule_schema, ok}));
  router_.Add("GET", "/api/v1/alert-rules/{name}", [a](Call& c) { return One(a->GetRule(c.p(), c.name())); },
              {"An alert rule", "告警规则详情", "alerts", nullptr, stored_rule});
  router_.Add("PUT", "/api/v1/alert-rules/{name}", [a](Call& c) -> Result<Reply> {
    KEEL_ASSIGN_OR_RETURN(alerts::AlertRule rule, a->SaveRule(c.p(), c.body, c.name()));
    return Reply{200, rule.ToJson()};
  },
              Yaml({"Change an alert rule (a new version)", "修改告警规则（新版本）", "alerts", rule_schema, rule_out}));
  router_.Add("DELETE", "/api/v1/alert-rules/{name}", [a](Call& c) -> Result<Reply> {
    KEEL_RETURN_IF_ERROR(a->ArchiveRule(c.p(), c.name()));
    return Reply{200, {{"name", c.name()}, {"status", "archived"}}};
  },
              {"Archive an alert rule; its firing alerts resolve", "归档告警规则；其告警随之结束", "alerts", nullptr, rule_archived});
  router_.Add("GET", "/api/v1/alerts", [a](Call& c) {
    return Items(a->ListAlerts(c.p(), Param(c, "state", "firing"), LimitOf(c)));
  }, {"Alerts within the caller's scope", "可见范围内的告警", "alerts", nullptr, Items(alert),
      {{"state", "firing (default), resolved or all"}, {"limit", "1-500, default 100"}}});
  json ack_schema = {{"type", "object"}, {"properties", {{"comment", {{"type", "string"}}}}}};
  router_.Add("POST", "/api/v1/alerts/{id}/ack", [a](Call& c) {
    return One(a->Acknowledge(c.p(), c.id(), c.body.is_object() ? c.body.value("comment", "") : ""));
  }, {"Acknowledge an alert (stops its escalation)", "确认告警（停止升级）", "alerts", ack_schema, alert});
  router_.Add("GET", "/api/v1/alert-silences", [a](Call& c) { return Items(a->ListSilences(c.p())); },
              {"Silences", "静默规则", "alerts", nullptr, Items(silence)});
  json silence_schema = {{"type", "object"}, {"properties", {{"rule", {{"type", "string"}}}, {"matchers", obj},
                                                             {"starts_at", {{"type", "string"}}}, {"ends_at", {{"type", "string"}}},
                                                             {"duration", {{"type", "string"}}}, {"comment", {{"type", "string"}}}}},
                         {"anyOf", {{{"required", {"ends_at"}}}, {{"required", {"duration"}}}}},
                         {"description", "until ends_at, or for a duration such as 4h"}};
  router_.Add("POST", "/api/v1/alert-silences", [a](Call& c) -> Result<Reply> {
    KEEL_RETURN_IF_ERROR(a->MaySilence(c.p()));
    KEEL_ASSIGN_OR_RETURN(alerts::SilenceSpec spec, SilenceSpecOf(c.body));
    KEEL_ASSIGN_OR_RETURN(alerts::Silence s, a->CreateSilence(c.p(), spec));
    return Reply{201, {{"id", s.id}, {"rule", OrNull(s.rule)}, {"matchers", s.matchers}, {"starts_at", s.starts_at}, {"ends_at", s.ends_at}}};
  },
              {"Silence notifications of matching alerts for a time (unit leads: units of their subtree, up to 7 days; HQ: up to 90 days)",
               "在一段时间内静默匹配告警的通知（战队负责人：本人管辖单元，最长 7 天；总部：最长 90 天）", "alerts", silence_schema, silence, {}, 201});
  router_.Add("DELETE", "/api/v1/alert-silences/{id}", [a](Call& c) { return Deleted(a->DeleteSilence(c.p(), c.id()), c.id()); },
              {"End a silence (your own; someone else's: admin, hq_ops)", "结束静默（本人创建的；他人创建的：管理员、销售运营）", "alerts", nullptr, deleted});
  json hook_schema = {{"type", "object"}, {"required", {"name", "channel", "url"}},
                      {"properties", {{"name", {{"type", "string"}}},
                                      {"channel", {{"type", "string"}, {"enum", {"wecom", "dingtalk", "feishu", "generic"}}}},
                                      {"url", {{"type", "string"}}}, {"secret", {{"type", "string"}}},
                                      {"unit_id", {{"type", "integer"}}}, {"min_severity", {{"type", "string"}}},
                                      {"locale", {{"type", "string"}, {"enum", {"zh-CN", "en"}}}}}}};
  router_.Add("GET", "/api/v1/webhooks", [a](Call& c) { return Items(a->ListWebhooks(c.p())); },
              {"Outbound webhooks (admin); url shows only the origin, has_secret whether a secret is set",
               "外发 Webhook（管理员）；url 仅显示源地址，has_secret 表示是否设置了密钥", "alerts", nullptr, Items(webhook)});
  router_.Add("POST", "/api/v1/webhooks", [a](Call& c) -> Result<Reply> {
    KEEL_RETURN_IF_ERROR(a->MayManageWebhooks(c.p()));
    KEEL_ASSIGN_OR_RETURN(alerts::WebhookSpec spec, WebhookSpecOf(c.body));
    KEEL_ASSIGN_OR_RETURN(alerts::WebhookInfo w, a->CreateWebhook(c.p(), spec));
    return Reply{201, {{"id", w.id}, {"name", w.name}, {"channel", w.channel}, {"min_severity", w.min_severity}, {"locale", w.locale}}};
  },
              {"Add a WeCom / DingTalk / Feishu / generic webhook; the URL must pass the outbound policy (outbound.refused), "
               "URL and secret are stored encrypted",
               "添加企业微信/钉钉/飞书/通用 Webhook；地址须通过外呼地址策略（outbound.refused），地址与密钥加密存储", "alerts", hook_schema, webhook, {}, 201});
  router_.Add("DELETE", "/api/v1/webhooks/{id}", [a](Call& c) { return Deleted(a->DeleteWebhook(c.p(), c.id()), c.id()); },
              {"Remove a webhook", "删除 Webhook", "alerts", nullptr, deleted});
  router_.Add("POST", "/api/v1/webhooks/{id}/test", [a](Call& c) -> Result<Reply> {
    KEEL_ASSIGN_OR_RETURN(alerts::WebhookTest t, a->TestWebhook(c.p(), c.id()));
    return Reply{200, {{"delivered", t.delivered}, {"http_status", t.http_status}, {"attempts", t.attempts}, {"error", t.error},
                       {"response", t.response}}};
  },
              {"Send a test message: {delivered, http_status, attempts, error, response (≤ 200 bytes, cleaned)}",
               "发送测试消息：{delivered, http_status, attempts, error, response（不超过 200 字节，已清理）}", "alerts", nullptr, webhook_test});
  router_.Add("GET", "/api/v1/notifications", [a](Call& c) {
    return Items(a->Notifications(c.p(), Param(c, "all", "false") == "true", LimitOf(c)));
  }, {"My in-app notifications; all=true: the delivery log (admin, auditor)", "我的站内通知；all=true：投递日志（管理员、审计）",
      "alerts", nullptr, Items(notification, "newest first"),
      {{"all", "true for every notification and webhook delivery"}, {"limit", "1-500"}}});
}

}  // namespace keel::http
