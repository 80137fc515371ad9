#include "alerts/engine.h"

#include "alerts/store.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <spdlog/spdlog.h>

#include "domain/audit.h"
#include "domain/unit_tree.h"
#include "domain/codec.h"
#include "domain/store.h"
#include "domain/versions.h"
#include "events/consumer.h"
#include "events/event_log.h"
#include "formula/formula.h"

namespace keel::alerts {
namespace {

using domain::Principal;
using domain::Role;

Status Bad(const std::string& field, const std::string& en, const std::string& zh) {
  return Status::Invalid("alert.invalid", en, zh, field);
}
Status Forbidden(const std::string& what_en, const std::string& what_zh) {
  return Status::Error(ErrorKind::kForbidden, "auth.forbidden", "only admin and hq_ops may " + what_en,
                       "只有管理员和销售运营可以" + what_zh);
}
// A refusal whose whole sentence is given.
Status Denied(const std::string& en, const std::string& zh) {
  return Status::Error(ErrorKind::kForbidden, "auth.forbidden", en, zh);
}
bool CanWrite(Role r) { return r == Role::kAdmin || r == Role::kHqOps; }
Status RequireAdmin(const Principal& p) {
  if (p.role == Role::kAdmin) return Status();
  return Denied("only admins manage webhooks", "只有管理员可以管理 Webhook");
}

Status Relocate(const Status& st, const std::string& key) {
  std::string f = st.field();
  return st.WithField(f.rfind("formula", 0) == 0 ? key + f.substr(7) : key);
}

Result<std::string> Text(const json& b, const char* key, bool required, size_t max = 2000) {
  auto it = b.find(key);
  if (it == b.end() || it->is_null()) {
    if (required) return Bad(key, std::string(key) + " is required", std::string(key) + " 为必填项");
    return std::string();
  }
  if (!it->is_string() || it->get_ref<const std::string&>().size() > max) {
    return Bad(key, std::string(key) + " must be text (at most " + std::to_string(max) + " bytes)",
               std::string(key) + " 必须是文本（最多 " + std::to_string(max) + " 字节）");
  }
  return it->get<std::string>();
}

const std::vector<formula::FieldInfo>& ConditionFields() {
  static const std::vector<formula::FieldInfo> f = {{"value", formula::Type::kNumber}};
  return f;
}

// Checks a condition and the metric names its window functions name.
Status CheckCondition(const std::string& src, const std::string& key, metrics::MetricEngine& m, int64_t tenant) {
  auto f = formula::Formula::Compile(src, ConditionFields(), formula::Type::kBool);
  if (!f.ok()) return Relocate(f.status(), key);
  for (const auto& call : f->Calls()) {
    for (size_t i = 0; i < call.text_args.size(); ++i) {
      if (call.text_args[i] && !m.HasMetric(tenant, *call.text_args[i])) {
        return Status::Invalid("metric.not_found", "no metric named '" + *call.text_args[i] + "'",
                               "不存在名为 '" + *call.text_args[i] + "' 的指标", key + "@" + std::to_string(call.arg_pos[i]));
      }
    }
  }
  return Status();
}

Result<AlertRule> ParseRule(const json& b, metrics::MetricEngine& m, int64_t tenant) {
  if (!b.is_object()) return Bad("", "an alert rule must be an object", "告警规则必须是对象");
  static const std::set<std::string> kKeys = {"name", "alert", "label", "metric", "group_by", "window", "every", "tiers",
                                              "recover_when", "no_data", "route", "create_task", "message", "owner_id", "version", "created_at"};
  for (auto it = b.begin(); it != b.end(); ++it) {
    if (!kKeys.count(it.key())) return Bad(it.key(), "unknown key '" + it.key() + "'", "未知的键 '" + it.key() + "'");
  }
  AlertRule r;
  KEEL_ASSIGN_OR_RETURN(r.name, Text(b, b.contains("alert") ? "alert" : "name", true, 63));
  bool ok_name = !r.name.empty() && r.name[0] >= 'a' && r.name[0] <= 'z' &&
                 std::all_of(r.name.begin(), r.name.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
  if (!ok_name) return Bad("name", "a rule name is lower-case letters, digits and _", "规则名称只能包含小写字母、数字和下划线");
  if (auto it = b.find("label"); it != b.end() && it->is_object()) {
    r.label_zh = it->value("zh", "");
    r.label_en = it->value("en", r.label_zh);
  } else if (it != b.end() && it->is_string()) {
    r.label_zh = r.label_en = it->get<std::string>();
  }
  if (r.label_zh.empty()) r.label_zh = r.label_en.empty() ? r.name : r.label_en;
  if (r.label_en.empty()) r.label_en = r.name;
  KEEL_ASSIGN_OR_RETURN(r.metric, Text(b, "metric", true, 63));
  const metrics::MetricDef* def = m.FindForValidation(tenant, r.metric);
  if (def == nullptr) {
    return Status::Invalid("metric.not_found", "no metric named '" + r.metric + "'", "不存在名为 '" + r.metric + "' 的指标", "metric");
  }
  if (auto it = b.find("group_by"); it != b.end() && !it->is_null()) {
    if (!it->is_array() || it->size() > 2) return Bad("group_by", "group_by is a list of up to 2 dimensions", "group_by 为最多 2 个维度的列表");
    for (const auto& g : *it) {
      if (!g.is_string()) return Bad("group_by", "group_by is a list of names", "group_by 为名称列表");
      r.group_by.push_back(g.get<std::string>());
    }
  }
  if (b.contains("window")) {
    KEEL_ASSIGN_OR_RETURN(r.window_ms, ParseDuration(b["window"], "window"));
  }
  if (b.contains("every")) {
    KEEL_ASSIGN_OR_RETURN(r.every_ms, ParseDuration(b["every"], "every"));
  }
  if (r.every_ms < 10000) return Bad("every", "every is at least 10s", "every 至少为 10s");
  auto tiers = b.find("tiers");
  if (tiers == b.end() || !tiers->is_array() || tiers->empty() || tiers->size() > 3) {
    return Bad("tiers", "tiers is a list of 1-3 {severity, when, for}", "tiers 为 1-3 个 {severity, when, for}");
  }
  for (size_t i = 0; i < tiers->size(); ++i) {
    const json& t = (*tiers)[i];
    std::string key = "tiers[" + std::to_string(i) + "]";
    if (!t.is_object()) return Bad(key, "a tier is an object", "每个等级必须是对象");
    Tier tier;
    KEEL_ASSIGN_OR_RETURN(std::string sev, Text(t, "severity", true, 16));
    auto s = ParseSeverity(sev);
    if (!s.ok()) return s.status().WithField(key + ".severity");
    tier.severity = *s;
    KEEL_ASSIGN_OR_RETURN(tier.when, Text(t, "when", true));
    KEEL_RETURN_IF_ERROR(CheckCondition(tier.when, key + ".when", m, tenant));
    if (t.contains("for")) {
      KEEL_ASSIGN_OR_RETURN(tier.for_ms, ParseDuration(t["for"], key + ".for"));
    }
    for (const auto& other : r.tiers) {
      if (other.severity == tier.severity) return Bad(key + ".severity", "two tiers with the same severity", "等级重复");
    }
    r.tiers.push_back(tier);
  }
  std::sort(r.tiers.begin(), r.tiers.end(), [](const Tier& a, const Tier& b2) { return a.severity > b2.severity; });
  KEEL_ASSIGN_OR_RETURN(r.recover_when, Text(b, "recover_when", false));
  if (!r.recover_when.empty()) KEEL_RETURN_IF_ERROR(CheckCondition(r.recover_when, "recover_when", m, tenant));
  KEEL_ASSIGN_OR_RETURN(r.no_data, Text(b, "no_data", false, 8));
  if (r.no_data.empty()) r.no_data = "ok";
  if (r.no_data != "ok" && r.no_data != "keep" && r.no_data != "alert") {
    return Bad("no_data", "no_data is ok, keep or alert", "no_data 可为 ok、keep 或 alert");
  }
  if (auto it = b.find("route"); it != b.end() && !it->is_null()) {
    if (!it->is_array() || it->size() > 10) return Bad("route", "route is a list of steps", "route 为步骤列表");
    for (size_t i = 0; i < it->size(); ++i) {
      const json& s = (*it)[i];
      std::string key = "route[" + std::to_string(i) + "]";
      RouteStep step;
      if (s.is_object() && s.contains("wait")) {
        KEEL_ASSIGN_OR_RETURN(step.wait_ms, ParseDuration(s["wait"], key + ".wait"));
      } else if (s.is_object() && s.contains("notify") && s["notify"].is_string()) {
        step.notify = s["notify"].get<std::string>();
        static const std::set<std::string> kTargets = {"unit_lead", "hq", "owner", "supervisor"};
        bool ok = kTargets.count(step.notify) || step.notify.rfind("user:", 0) == 0 || step.notify.rfind("role:", 0) == 0;
        if (!ok) return Bad(key + ".notify", "notify is unit_lead, hq, owner, supervisor, user:<id> or role:<role>",
                            "notify 可为 unit_lead、hq、owner、supervisor、user:<编号> 或 role:<角色>");
      } else {
        return Bad(key, "a route step is {notify: …} or {wait: …}", "路由步骤为 {notify: …} 或 {wait: …}");
      }
      r.route.push_back(step);
    }
  }
  if (r.route.empty()) r.route.push_back({"unit_lead", 0});
  if (auto it = b.find("create_task"); it != b.end() && !it->is_null()) {
    if (!it->is_boolean()) return Bad("create_task", "create_task is true or false", "create_task 为 true 或 false");
    r.create_task = it->get<bool>();
  }
  if (auto it = b.find("message"); it != b.end() && it->is_object()) {
    r.message_zh = it->value("zh", "");
    r.message_en = it->value("en", r.message_zh);
  }
  // Group dimensions must be ones the metric keeps.
  std::vector<std::string> dims = m.Dimensions(tenant, r.metric);
  for (size_t i = 0; i < r.group_by.size(); ++i) {
    if (std::find(dims.begin(), dims.end(), r.group_by[i]) == dims.end()) {
      std::string names;
      for (const auto& d : dims) names += (names.empty() ? "" : ", ") + d;
      return Bad("group_by[" + std::to_string(i) + "]", "metric '" + r.metric + "' has no dimension '" + r.group_by[i] + "' (" + names + ")",
                 "指标 '" + r.metric + "' 没有维度 '" + r.group_by[i] + "'（" + names + "）");
    }
  }
  return r;
}

struct GroupState {
  std::map<int, TimeMs> since;  // severity → when its condition started to hold (for `for`)
  int64_t alert_id = 0;  // firing
  Severity firing = Severity::kInfo;
};

struct RuleState {
  AlertRule rule;
  std::vector<formula::Formula> tiers;
  std::optional<formula::Formula> recover;
  TimeMs last_eval = 0;
  std::map<std::string, GroupState> groups;  // by group key
};

// A webhook delivery waiting in its tenant's queue. The URL and secret stay sealed until the
// moment of sending.
struct Outbound {
  int64_t tenant = 0, notification_id = 0, webhook_id = 0;
  Channel channel = Channel::kGeneric;
  std::string sealed_url, sealed_secret;
  Notification message;
};

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

std::string GroupKey(const std::vector<std::pair<std::string, std::string>>& labels) {
  std::string k;
  for (const auto& [d, v] : labels) k += d + "=" + v + ";";
  return k;
}


// When step `step` of the rule's route is due: after its wait; none once the route is done.
std::optional<std::string> NextStepAt(const AlertRule& rule, size_t step, TimeMs now) {
  if (step >= rule.route.size()) return std::nullopt;
  return FormatTimestamp(now + rule.route[step].wait_ms);
}

template <typename T>
json OrNull(const std::optional<T>& v) { return v ? json(*v) : json(nullptr); }

json AlertJson(const Alert& a) {
  return {{"id", a.id}, {"rule", a.rule}, {"severity", a.severity}, {"state", a.state},
          {"labels", json::parse(a.labels, nullptr, false)}, {"value", OrNull(a.value)}, {"summary", a.summary},
          {"summary_en", a.summary_en}, {"unit_id", OrNull(a.unit_id)}, {"owner_id", OrNull(a.owner_id)},
          {"started_at", a.started_at}, {"updated_at", a.updated_at}, {"resolved_at", OrNull(a.resolved_at)},
          {"acked_at", OrNull(a.acked_at)}, {"acked_by", OrNull(a.acked_by)}, {"escalation_step", a.escalation_step},
          {"next_step_at", OrNull(a.next_step_at)}, {"task_id", OrNull(a.task_id)}};
}

const domain::VersionedKind kRuleKind{"alert_rules", "alert.exists", "alert rule", "告警规则"};

Status AppendEvent(store::Connection& conn, const Principal& p, const std::string& type, const std::string& entity,
                   int64_t id, const json& payload, TimeMs now) {
  return events::AppendOne(conn, p.tenant_id, now, type, entity, id, p.user_id, payload.dump()).status();
}

}  // namespace

const char* SeverityName(Severity s) {
  static const char* kNames[] = {"info", "warning", "critical"};
  return kNames[static_cast<int>(s)];
}
Result<Severity> ParseSeverity(std::string_view s) {
  if (s == "info") return Severity::kInfo;
  if (s == "warning") return Severity::kWarning;
  if (s == "critical") return Severity::kCritical;
  return Bad("severity", "severity is info, warning or critical", "severity 可为 info、warning 或 critical");
}

Result<int64_t> ParseDuration(const json& v, const std::string& field) {
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    char* end = nullptr;
    double n = std::strtod(s.c_str(), &end);
    static const std::map<std::string, int64_t> kUnits = {{"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}, {"w", 604800000}};
    auto u = kUnits.find(end ? std::string(end) : "");
    if (end != s.c_str() && u != kUnits.end() && n > 0 && n <= 400 * 86400000.0 / static_cast<double>(u->second)) {
      return static_cast<int64_t>(n * static_cast<double>(u->second));
    }
  }
  return Status::Invalid("alert.invalid", "a duration is written like 30s, 15m, 2h, 1d or 4w (at most 400 days)",
                         "时长写作 30s、15m、2h、1d 或 4w（最多 400 天）", field);
}

json AlertRule::ToJson() const {
  auto dur = [](int64_t ms) {
    for (auto [unit, size] : {std::pair{"w", 604800000LL}, {"d", 86400000LL}, {"h", 3600000LL}, {"m", 60000LL}}) {
      if (ms % size == 0) return std::to_string(ms / size) + unit;
    }
    return std::to_string(ms / 1000) + "s";
  };
  json tiers_json = json::array();
  for (const auto& t : tiers) {
    json j = {{"severity", SeverityName(t.severity)}, {"when", t.when}};
    if (t.for_ms) j["for"] = dur(t.for_ms);
    tiers_json.push_back(j);
  }
  json route_json = json::array();
  for (const auto& s : route) route_json.push_back(s.wait_ms ? json{{"wait", dur(s.wait_ms)}} : json{{"notify", s.notify}});
  json j = {{"name", name}, {"version", version}, {"label", {{"zh", label_zh}, {"en", label_en}}}, {"metric", metric},
            {"group_by", group_by}, {"window", dur(window_ms)}, {"every", dur(every_ms)}, {"tiers", tiers_json},
            {"no_data", no_data}, {"route", route_json}, {"create_task", create_task}};
  if (!recover_when.empty()) j["recover_when"] = recover_when;
  if (!message_zh.empty()) j["message"] = {{"zh", message_zh}, {"en", message_en}};
  if (owner_id) j["owner_id"] = owner_id;
  return j;
}

struct AlertEngine::Impl : events::ConsumerHandler {
  store::Database& db;
  domain::RecordService& records;
  metrics::MetricEngine& metrics;
  const Clock& clock;
  AlertOptions opt;

  std::mutex mu;  // guards everything below
  std::map<int64_t, std::map<std::string, std::unique_ptr<RuleState>>> rules;  // tenant → rules
  std::set<int64_t> loaded;
  std::map<int64_t, std::set<std::string>> changed;  // metrics changed since the last evaluation
  bool stop = false, started = false;  // the delivery threads'
  std::vector<std::thread> deliverers;
  int listener_id = 0;
  Listener listener;
  std::mutex eval_mu;  // one evaluation at a time
  // Webhook deliveries: a FIFO per tenant; a tenant in `busy` has a delivery in flight and is
  // skipped until it ends; tenants are served in turn after `last_served`.
  std::map<int64_t, std::deque<Outbound>> outbox;
  std::set<int64_t> busy;
  int64_t last_served = 0;
  std::condition_variable outbox_cv;
  struct Breaker {
    int failures = 0;         // failed deliveries in a row
    TimeMs paused_until = 0;  // meaningful once failures >= opt.breaker_failures
  };
  std::map<std::pair<int64_t, int64_t>, Breaker> breakers;  // (tenant, webhook id)

  std::unique_ptr<outbound::Policy> own_policy;  // when the options give none
  SecretBox own_box;
  const outbound::Policy* policy;
  const SecretBox* box;

  Impl(store::Database& d, domain::RecordService& r, metrics::MetricEngine& m, const Clock& c, AlertOptions o)
      : db(d), records(r), metrics(m), clock(c), opt(std::move(o)) {
    if (opt.outbound == nullptr) own_policy = std::make_unique<outbound::Policy>();
    policy = opt.outbound != nullptr ? opt.outbound : own_policy.get();
    if (opt.secrets == nullptr) own_box = SecretBox::Ephemeral();
    box = opt.secrets != nullptr ? opt.secrets : &own_box;
  }

  Status Load(int64_t tenant);
  Status Evaluate(int64_t tenant, bool all);
  Status EvaluateRule(int64_t tenant, RuleState& rs, TimeMs now);
  Status Fire(int64_t tenant, RuleState& rs, const std::vector<std::pair<std::string, std::string>>& labels,
              GroupState& gs, Severity sev, std::optional<double> value, TimeMs now);
  Status Resolve(int64_t tenant, RuleState& rs, GroupState& gs, std::optional<double> value, TimeMs now);
  Status Escalate(int64_t tenant, TimeMs now);
  Status NotifyStep(store::Connection& conn, int64_t tenant, int64_t alert_id, const json& alert, const std::string& target);
  // Records a queued notification for every webhook that hears the alert and adds its
  // delivery to `pending`, which the caller enqueues once its transaction has committed.
  Status SendWebhooks(store::Connection& conn, int64_t tenant, int64_t alert_id, const json& alert, bool resolved,
                      std::vector<Outbound>* pending);
  void Enqueue(std::vector<Outbound> pending);
  // A delivery thread: takes the next tenant's next delivery until stopped and nothing is left.
  void Work();
  void DeliverOne(Outbound o);
  // events::ConsumerHandler: the evaluator is a consumer of no events, woken per tenant by metric
  // changes (the metric engine's listener) and every tick_ms for every tenant it has seen; a
  // tenant is evaluated at most once per min_interval_ms (sooner wake-ups are put off).
  Status Process(int64_t tenant, std::span<const events::Event>) override;
  std::map<int64_t, TimeMs> last_evaluated;  // the evaluator's thread only
  std::unique_ptr<events::Consumer> evaluator;
};

Status AlertEngine::Impl::Load(int64_t tenant) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::vector<StoredRule> stored, repo::ActiveRules(*conn, tenant));
  KEEL_ASSIGN_OR_RETURN(std::vector<Alert> firing, repo::FiringAlerts(*conn, tenant));
  std::map<std::string, std::unique_ptr<RuleState>> next;
  for (const auto& r : stored) {
    json d = json::parse(r.definition, nullptr, false);
    auto rule = ParseRule(d, metrics, tenant);
    if (!rule.ok()) {
      spdlog::warn("alert rule {} of tenant {} no longer validates: {}", r.name, tenant, rule.status().ToString());
      continue;
    }
    rule->version = r.version;
    rule->owner_id = r.owner_id;
    auto rs = std::make_unique<RuleState>();
    rs->rule = *rule;
    for (const auto& t : rule->tiers) {
      rs->tiers.push_back(std::move(formula::Formula::Compile(t.when, ConditionFields(), formula::Type::kBool).value()));
    }
    if (!rule->recover_when.empty()) {
      rs->recover.emplace(std::move(formula::Formula::Compile(rule->recover_when, ConditionFields(), formula::Type::kBool).value()));
    }
    next[rule->name] = std::move(rs);
  }
  for (const Alert& a : firing) {
    auto it = next.find(a.rule);
    if (it == next.end()) continue;
    GroupState& gs = it->second->groups[a.group_key];
    gs.alert_id = a.id;
    auto sev = ParseSeverity(a.severity);
    gs.firing = sev.ok() ? *sev : Severity::kWarning;
  }
  std::lock_guard lock(mu);
  rules[tenant] = std::move(next);
  loaded.insert(tenant);
  return Status();
}

// The series the window functions read, for one rule and one group.
class GroupSeries : public formula::SeriesSource {
 public:
  GroupSeries(metrics::MetricEngine& m, int64_t tenant, const AlertRule& rule,
              const std::vector<std::pair<std::string, std::string>>& filters, TimeMs now)
      : m_(m), tenant_(tenant), rule_(rule), filters_(filters), now_(now) {}
  formula::Value WindowValue(std::string_view metric, int64_t window_ms, int64_t ago_ms) const override {
    auto v = m_.ValueOf(tenant_, Name(metric), now_ - ago_ms - window_ms, now_ - ago_ms, filters_);
    if (!v.ok()) return formula::Value::Error(formula::ErrorCode::kNA);
    return *v ? formula::Value::Number(**v) : formula::Value::Blank();
  }
  formula::Value ZScore(std::string_view metric, int64_t window_ms, int weeks) const override {
    formula::Value cur = WindowValue(metric, window_ms, 0);
    if (cur.is_error() || cur.is_blank()) return cur;
    double sum = 0, sq = 0;
    for (int k = 1; k <= weeks; ++k) {
      formula::Value v = WindowValue(metric, window_ms, static_cast<int64_t>(k) * 604800000LL);
      if (v.is_error()) return v;
      double x = v.is_blank() ? 0 : v.number;
      sum += x;
      sq += x * x;
    }
    double mean = sum / weeks, var = std::max(0.0, sq / weeks - mean * mean), sd = std::sqrt(var);
    if (sd == 0) return cur.number == mean ? formula::Value::Number(0) : formula::Value::Error(formula::ErrorCode::kDivZero);
    return formula::Value::Number((cur.number - mean) / sd);
  }
  formula::Value Completion(std::string_view metric) const override {
    std::string name = Name(metric);
    const metrics::MetricDef* def = m_.FindForValidation(tenant_, name);
    if (def == nullptr || def->target.empty()) return formula::Value::Error(formula::ErrorCode::kNA);
    auto tz = m_.ZoneOf(tenant_);
    if (!tz.ok()) return formula::Value::Error(formula::ErrorCode::kNA);
    TimeMs start = (*tz)->ToUtc(TimeZone::FloorLocal((*tz)->ToLocal(now_), Grain::kMonth));
    TimeMs end = (*tz)->ToUtc(TimeZone::NextLocal(TimeZone::FloorLocal((*tz)->ToLocal(now_), Grain::kMonth), Grain::kMonth));
    auto target = m_.Target(tenant_, def->target, start, end, filters_);
    auto actual = m_.ValueOf(tenant_, name, start, now_, filters_);
    if (!target.ok() || !actual.ok() || !*target || **target == 0) return formula::Value::Blank();
    return formula::Value::Number(actual->value_or(0) / **target);
  }

 private:
  std::string Name(std::string_view metric) const { return metric.empty() ? rule_.metric : std::string(metric); }
  metrics::MetricEngine& m_;
  int64_t tenant_;
  const AlertRule& rule_;
  const std::vector<std::pair<std::string, std::string>>& filters_;
  TimeMs now_;
};

Status AlertEngine::Impl::EvaluateRule(int64_t tenant, RuleState& rs, TimeMs now) {
  const AlertRule& rule = rs.rule;
  // Groups seen recently (long enough for 4-week comparisons), plus groups already firing.
  TimeMs lookback = std::max<int64_t>(rule.window_ms * 2, 35LL * 86400000);
  KEEL_ASSIGN_OR_RETURN(auto groups, metrics.Groups(tenant, rule.metric, rule.group_by, now - lookback, now));
  if (groups.empty() && rule.group_by.empty()) groups.emplace_back();
  std::set<std::string> seen;
  formula::Arena arena;
  for (const auto& labels : groups) {
    std::string key = GroupKey(labels);
    seen.insert(key);
    GroupSeries series(metrics, tenant, rule, labels, now);
    formula::EvalContext ctx;
    ctx.now_ms = now;
    ctx.arena = &arena;
    ctx.series = &series;
    formula::Value value = series.WindowValue("", rule.window_ms, 0);
    std::optional<double> v = value.type == formula::Type::kNumber ? std::optional<double>(value.number) : std::nullopt;
    GroupState& gs = rs.groups[key];
    // Each tier is judged on its own: the alert takes the highest severity whose condition has
    // held for its `for` (a critical tier still waiting does not hold back a warning).
    std::optional<Severity> ready;
    bool any = false;
    bool no_data = !v;
    if (no_data && rule.no_data == "keep") continue;
    auto consider = [&](Severity sev, bool holds, int64_t for_ms) {
      if (!holds) {
        gs.since.erase(static_cast<int>(sev));
        return;
      }
      any = true;
      TimeMs since = gs.since.emplace(static_cast<int>(sev), now).first->second;
      if (now - since >= for_ms && (!ready || sev > *ready)) ready = sev;
    };
    if (no_data && rule.no_data == "alert") {
      consider(Severity::kWarning, true, 0);
    } else if (!no_data) {
      formula::Value fields[] = {formula::Value::Number(*v)};
      for (size_t i = 0; i < rs.tiers.size(); ++i) {
        arena.Reset();
        formula::Value r = rs.tiers[i].Eval(fields, ctx);
        consider(rule.tiers[i].severity, r.type == formula::Type::kBool && r.boolean, rule.tiers[i].for_ms);
      }
    }  // no_data: ok — silence counts as fine: no tier holds, and a firing alert recovers.
    if (ready) {
      if (!(gs.alert_id && gs.firing == *ready)) KEEL_RETURN_IF_ERROR(Fire(tenant, rs, labels, gs, *ready, v, now));
      continue;
    }
    if (any) continue;  // a tier holds but has not held long enough yet
    gs.since.clear();
    if (!gs.alert_id) continue;
    bool recovered = true;
    if (rs.recover && !no_data) {
      formula::Value fields[] = {v ? formula::Value::Number(*v) : formula::Value::Blank()};
      arena.Reset();
      formula::Value r = rs.recover->Eval(fields, ctx);
      recovered = r.type == formula::Type::kBool && r.boolean;
    }
    if (recovered) KEEL_RETURN_IF_ERROR(Resolve(tenant, rs, gs, v, now));
  }
  return Status();
}

Status AlertEngine::Impl::Fire(int64_t tenant, RuleState& rs, const std::vector<std::pair<std::string, std::string>>& labels,
                               GroupState& gs, Severity sev, std::optional<double> value, TimeMs now) {
  const AlertRule& rule = rs.rule;
  std::string group_zh, group_en;
  int64_t unit_id = 0, owner_id = 0;
  json labels_json = json::object();
  for (const auto& [dim, val] : labels) {
    std::string name = metrics.DisplayName(tenant, dim, val);
    group_zh += (group_zh.empty() ? "" : "，") + name;
    group_en += (group_en.empty() ? "" : ", ") + name;
    labels_json[dim] = {{"value", val}, {"name", name}};
    if (dim == "unit" || dim == "region") unit_id = std::strtoll(val.c_str(), nullptr, 10);
    if (dim == "rep") owner_id = std::strtoll(val.c_str(), nullptr, 10);
  }
  char vbuf[64];
  std::snprintf(vbuf, sizeof vbuf, "%.4g", value.value_or(NAN));
  std::string vtext = value ? vbuf : "无数据";
  static const char* kSevZh[] = {"提示", "警告", "严重"};
  auto fill = [&](std::string msg, const std::string& sev_name, const std::string& group) {
    for (auto [k, v] : {std::pair<std::string, std::string>{"{value}", vtext}, {"{group}", group}, {"{severity}", sev_name}}) {
      for (size_t p; (p = msg.find(k)) != std::string::npos;) msg.replace(p, k.size(), v);
    }
    return msg;
  };
  std::string summary_zh = rule.message_zh.empty()
      ? rule.label_zh + (group_zh.empty() ? "" : "：" + group_zh) + "（当前值 " + vtext + "）"
      : fill(rule.message_zh, kSevZh[static_cast<int>(sev)], group_zh);
  std::string summary_en = rule.message_en.empty()
      ? rule.label_en + (group_en.empty() ? "" : ": " + group_en) + " (value " + (value ? std::string(vbuf) : "no data") + ")"
      : fill(rule.message_en, SeverityName(sev), group_en);
  std::string now_text = FormatTimestamp(now);
  KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, tenant));
  std::vector<Outbound> pending;
  bool escalated = gs.alert_id != 0;
  int64_t id = gs.alert_id;
  if (escalated) {
    KEEL_RETURN_IF_ERROR(repo::UpdateSeverity(*conn, tenant, id, SeverityName(sev), value, summary_zh, summary_en, now_text));
  } else {
    KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
    id = ids[0];
    Alert row;
    row.id = id;
    row.rule = rule.name;
    row.group_key = GroupKey(labels);
    row.labels = labels_json.dump();
    row.severity = SeverityName(sev);
    row.state = "firing";
    row.value = value;
    row.summary = summary_zh;
    row.summary_en = summary_en;
    if (unit_id) row.unit_id = unit_id;
    if (owner_id) row.owner_id = owner_id;
    row.started_at = row.updated_at = now_text;
    KEEL_RETURN_IF_ERROR(repo::InsertAlert(*conn, tenant, row));
  }
  json alert = {{"id", id}, {"rule", rule.name}, {"severity", SeverityName(sev)}, {"state", "firing"}, {"labels", labels_json},
                {"value", value ? json(*value) : json(nullptr)}, {"summary", summary_zh}, {"summary_en", summary_en},
                {"label", rule.label_zh}, {"label_en", rule.label_en}, {"unit_id", unit_id ? json(unit_id) : json(nullptr)},
                {"owner_id", owner_id ? json(owner_id) : json(nullptr)}, {"started_at", now_text}};
  KEEL_RETURN_IF_ERROR(events::AppendOne(*conn, tenant, now, escalated ? "alert.changed" : "alert.fired", "alerts", id, 0, alert.dump()).status());
  // Silences and inhibition mute notifications, never the record of the alert.
  KEEL_ASSIGN_OR_RETURN(std::vector<Silence> silences, repo::ActiveSilences(*conn, tenant, now_text));
  bool muted = false;
  for (const auto& s : silences) {
    if (s.rule && *s.rule != rule.name) continue;
    bool match = true;
    for (const auto& [k, val] : s.matchers) {
      auto lv = labels_json.find(k);
      match = match && lv != labels_json.end() && (*lv)["value"] == val;
    }
    muted = muted || match;
  }
  if (sev == Severity::kWarning) {
    KEEL_ASSIGN_OR_RETURN(bool inhibited, repo::CriticalFiring(*conn, tenant, GroupKey(labels), id));
    muted = muted || inhibited;
  }
  alert["muted"] = muted;
  if (!muted) {
    // The route runs until its first wait; escalation continues it later unless acknowledged.
    size_t step = 0;
    for (; step < rule.route.size() && rule.route[step].wait_ms == 0; ++step) {
      KEEL_RETURN_IF_ERROR(NotifyStep(*conn, tenant, id, alert, rule.route[step].notify));
    }
    KEEL_RETURN_IF_ERROR(repo::SetEscalation(*conn, tenant, id, int64_t(step), NextStepAt(rule, step, now)));
    KEEL_RETURN_IF_ERROR(SendWebhooks(*conn, tenant, id, alert, false, &pending));
  }
  KEEL_RETURN_IF_ERROR(tx.Commit());
  Enqueue(std::move(pending));
  gs.alert_id = id;
  gs.firing = sev;
  if (rule.create_task && !escalated) {
    // The task goes to the rep of the group, else the unit's lead, else the rule's owner.
    int64_t assignee = owner_id;
    if (!assignee && unit_id) {
      auto lead = repo::UnitLead(*conn, tenant, unit_id);
      if (lead.ok() && lead->has_value()) assignee = **lead;
    }
    if (!assignee) assignee = rule.owner_id;
    if (assignee) {
      auto unit_of = repo::UnitOfUser(*conn, tenant, assignee);
      if (unit_of.ok() && unit_of->has_value()) {
        json task = {{"title", summary_zh.substr(0, 180)},
                     {"description", "告警 #" + std::to_string(id) + " · " + summary_en},
                     {"owner_id", assignee}, {"unit_id", **unit_of},
                     {"priority", sev == Severity::kCritical ? "urgent" : "high"}, {"source", "alert"},
                     {"due_at", FormatTimestamp(now + 86400000)}};
        auto created = records.Create(Principal::System(tenant), *domain::FindEntity("tasks"), task);
        if (created.ok()) {
          (void)repo::SetTask(*conn, tenant, id, (*created)["id"].get<int64_t>());
        } else {
          spdlog::warn("alert {}: task not created: {}", id, created.status().ToString());
        }
      }
    }
  }
  Listener l;
  {
    std::lock_guard lock(mu);
    l = listener;
  }
  if (l) l(tenant, alert);
  return Status();
}

Result<json> AlertEngine::Raise(int64_t tenant, const Raised& a) {
  Impl& m = *impl_;
  TimeMs now = m.clock.NowMs();
  std::string now_text = FormatTimestamp(now);
  KEEL_ASSIGN_OR_RETURN(auto conn, m.db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, tenant));
  KEEL_ASSIGN_OR_RETURN(std::optional<int64_t> dup, repo::FindFiring(*conn, tenant, a.rule, a.key));
  if (dup) return json{{"id", *dup}, {"rule", a.rule}, {"state", "firing"}, {"duplicate", true}};
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
  int64_t id = ids[0];
  Alert row;
  row.id = id;
  row.rule = a.rule;
  row.group_key = a.key;
  row.labels = a.labels.dump();
  row.severity = SeverityName(a.severity);
  row.state = "firing";
  row.summary = a.summary_zh;
  row.summary_en = a.summary_en;
  if (a.unit_id) row.unit_id = a.unit_id;
  if (a.owner_id) row.owner_id = a.owner_id;
  row.started_at = row.updated_at = now_text;
  KEEL_RETURN_IF_ERROR(repo::InsertAlert(*conn, tenant, row));
  json alert = {{"id", id}, {"rule", a.rule}, {"severity", SeverityName(a.severity)}, {"state", "firing"}, {"labels", a.labels},
                {"value", nullptr}, {"summary", a.summary_zh}, {"summary_en", a.summary_en}, {"label", a.label_zh},
                {"label_en", a.label_en}, {"unit_id", a.unit_id ? json(a.unit_id) : json(nullptr)},
                {"owner_id", a.owner_id ? json(a.owner_id) : json(nullptr)}, {"started_at", now_text}, {"muted", false}};
  KEEL_RETURN_IF_ERROR(events::AppendOne(*conn, tenant, now, "alert.fired", "alerts", id, 0, alert.dump()).status());
  KEEL_RETURN_IF_ERROR(m.NotifyStep(*conn, tenant, id, alert, a.notify));
  if (a.severity == Severity::kCritical) KEEL_RETURN_IF_ERROR(m.NotifyStep(*conn, tenant, id, alert, "supervisor"));
  std::vector<Outbound> pending;
  KEEL_RETURN_IF_ERROR(m.SendWebhooks(*conn, tenant, id, alert, false, &pending));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  m.Enqueue(std::move(pending));
  Listener l;
  {
    std::lock_guard lock(m.mu);
    l = m.listener;
  }
  if (l) l(tenant, alert);
  return alert;
}

Status AlertEngine::Impl::Resolve(int64_t tenant, RuleState& rs, GroupState& gs, std::optional<double> value, TimeMs now) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, tenant));
  std::string now_text = FormatTimestamp(now);
  KEEL_RETURN_IF_ERROR(repo::ResolveAlert(*conn, tenant, gs.alert_id, value, now_text));
  KEEL_ASSIGN_OR_RETURN(std::optional<Alert> row, repo::LoadAlert(*conn, tenant, gs.alert_id));
  if (!row) return Status::NotFound("alert");
  json alert = {{"id", gs.alert_id}, {"rule", rs.rule.name}, {"state", "resolved"}, {"resolved_at", now_text},
                {"labels", json::parse(row->labels, nullptr, false)},
                {"summary", row->summary}, {"summary_en", row->summary_en},
                {"severity", row->severity}, {"label", rs.rule.label_zh}, {"label_en", rs.rule.label_en},
                {"value", value ? json(*value) : json(nullptr)}};
  KEEL_RETURN_IF_ERROR(events::AppendOne(*conn, tenant, now, "alert.resolved", "alerts", gs.alert_id, 0, alert.dump()).status());
  std::vector<Outbound> pending;
  KEEL_RETURN_IF_ERROR(SendWebhooks(*conn, tenant, gs.alert_id, alert, true, &pending));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  Enqueue(std::move(pending));
  gs.alert_id = 0;
  Listener l;
  {
    std::lock_guard lock(mu);
    l = listener;
  }
  if (l) l(tenant, alert);
  return Status();
}

Status AlertEngine::Impl::NotifyStep(store::Connection& conn, int64_t tenant, int64_t alert_id, const json& alert,
                                     const std::string& target) {
  std::vector<int64_t> recipients;
  auto add = [&](Result<std::optional<int64_t>> user) -> Status {
    if (!user.ok()) return user.status();
    if (*user) recipients.push_back(**user);
    return Status();
  };
  auto add_all = [&](Result<std::vector<int64_t>> users) -> Status {
    if (!users.ok()) return users.status();
    recipients.insert(recipients.end(), users->begin(), users->end());
    return Status();
  };
  int64_t unit = alert.value("unit_id", json(nullptr)).is_number() ? alert["unit_id"].get<int64_t>() : 0;
  int64_t owner = alert.value("owner_id", json(nullptr)).is_number() ? alert["owner_id"].get<int64_t>() : 0;
  if (target == "unit_lead") {
    if (unit) KEEL_RETURN_IF_ERROR(add(repo::UnitLead(conn, tenant, unit)));
    if (owner) KEEL_RETURN_IF_ERROR(add(repo::LeadOfUsersUnit(conn, tenant, owner)));
    if (recipients.empty()) KEEL_RETURN_IF_ERROR(add_all(repo::ActiveUsersWithRole(conn, tenant, "hq_ops")));
  } else if (target == "hq") {
    KEEL_RETURN_IF_ERROR(add_all(repo::ActiveUsersWithRole(conn, tenant, "hq_ops")));
  } else if (target == "owner") {
    if (owner) recipients.push_back(owner);
  } else if (target == "supervisor") {
    if (owner) KEEL_RETURN_IF_ERROR(add(repo::Supervisor(conn, tenant, owner)));
  } else if (target.rfind("user:", 0) == 0) {
    int64_t user = std::strtoll(target.c_str() + 5, nullptr, 10);
    KEEL_ASSIGN_OR_RETURN(bool exists, repo::UserExists(conn, tenant, user));
    if (exists) recipients.push_back(user);
  } else if (target.rfind("role:", 0) == 0) {
    KEEL_RETURN_IF_ERROR(add_all(repo::ActiveUsersWithRole(conn, tenant, target.substr(5))));
  }
  std::sort(recipients.begin(), recipients.end());
  recipients.erase(std::unique(recipients.begin(), recipients.end()), recipients.end());
  if (recipients.empty()) return Status();
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn.AllocateIds(static_cast<int64_t>(recipients.size())));
  std::string now_text = FormatTimestamp(clock.NowMs());
  for (size_t i = 0; i < recipients.size(); ++i) {
    KEEL_RETURN_IF_ERROR(repo::InsertInApp(conn, tenant, ids[i], alert_id, target, recipients[i], now_text));
  }
  return Status();
}

Status AlertEngine::Impl::SendWebhooks(store::Connection& conn, int64_t tenant, int64_t alert_id, const json& alert, bool resolved,
                                       std::vector<Outbound>* pending) {
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::WebhookRow> hooks, repo::ActiveWebhooks(conn, tenant));
  auto sev = ParseSeverity(alert.value("severity", "warning"));
  std::string unit_path;
  if (alert.value("unit_id", json(nullptr)).is_number()) {
    KEEL_ASSIGN_OR_RETURN(std::optional<std::string> path, domain::LoadUnitPath(conn, tenant, alert["unit_id"].get<int64_t>()));
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
    n.severity = alert.value("severity", "warning");
    n.title_zh = alert.value("label", "");
    n.title_en = alert.value("label_en", "");
    n.text_zh = alert.value("summary", "");
    n.text_en = alert.value("summary_en", "");
    n.locale = h.locale;
    for (auto& [k, v] : alert["labels"].items()) n.labels.emplace_back(k, v.value("name", ""));
    n.dedup_key = "keel-alert-" + std::to_string(alert_id);
    n.at = clock.NowMs();
    n.resolved = resolved;
    KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn.AllocateIds(1));
    o.notification_id = ids[0];
    std::string now_text = FormatTimestamp(clock.NowMs());
    KEEL_RETURN_IF_ERROR(repo::InsertQueued(conn, tenant, ids[0], alert_id, std::string(ChannelName(*channel)),
                                            "webhook:" + std::to_string(h.id), now_text));
    pending->push_back(std::move(o));
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
  auto conn = db.Acquire();
  if (!conn.ok()) return;
  repo::DeliveryOutcome d{status, r.attempts, r.http_status};
  if (!r.error.empty()) d.error = r.error.substr(0, 500);
  if (r.delivered) d.delivered_at = FormatTimestamp(clock.NowMs());
  Status st = repo::RecordDelivery(**conn, o.tenant, o.notification_id, d);
  if (!st.ok()) spdlog::error("notification {}: {}", o.notification_id, st.ToString());
}

Status AlertEngine::Impl::Escalate(int64_t tenant, TimeMs now) {
  std::map<std::string, AlertRule> by_name;
  {
    std::lock_guard lock(mu);
    for (const auto& [n, rs] : rules[tenant]) by_name[n] = rs->rule;
  }
  KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::vector<Alert> due, repo::DueEscalations(*conn, tenant, FormatTimestamp(now)));
  for (const Alert& a : due) {
    auto it = by_name.find(a.rule);
    if (it == by_name.end()) continue;
    const AlertRule& rule = it->second;
    json alert = {{"id", a.id}, {"unit_id", a.unit_id ? json(*a.unit_id) : json(nullptr)},
                  {"owner_id", a.owner_id ? json(*a.owner_id) : json(nullptr)}};
    KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
    size_t step = static_cast<size_t>(a.escalation_step);
    if (step < rule.route.size() && rule.route[step].wait_ms > 0) ++step;  // the wait is over
    for (; step < rule.route.size() && rule.route[step].wait_ms == 0; ++step) {
      KEEL_RETURN_IF_ERROR(NotifyStep(*conn, tenant, a.id, alert, rule.route[step].notify));
    }
    KEEL_RETURN_IF_ERROR(repo::SetEscalation(*conn, tenant, a.id, int64_t(step), NextStepAt(rule, step, now)));
    KEEL_RETURN_IF_ERROR(tx.Commit());
  }
  return Status();
}

Status AlertEngine::Impl::Evaluate(int64_t tenant, bool all) {
  std::lock_guard guard(eval_mu);
  bool is_loaded;
  {
    std::lock_guard lock(mu);
    is_loaded = loaded.count(tenant) > 0;
  }
  if (!is_loaded) KEEL_RETURN_IF_ERROR(Load(tenant));
  TimeMs now = clock.NowMs();
  std::set<std::string> touched;
  std::vector<RuleState*> due;
  {
    std::lock_guard lock(mu);
    touched.swap(changed[tenant]);
    for (auto& [name, rs] : rules[tenant]) {
      bool hit = all || now - rs->last_eval >= rs->rule.every_ms || touched.count(rs->rule.metric) > 0;
      for (const auto& t : rs->rule.tiers) {
        for (const auto& m : touched) hit = hit || t.when.find(m) != std::string::npos;
      }
      if (hit) due.push_back(rs.get());
    }
  }
  for (RuleState* rs : due) {
    rs->last_eval = now;
    Status st = EvaluateRule(tenant, *rs, now);
    if (!st.ok()) spdlog::warn("alert rule {} of tenant {}: {}", rs->rule.name, tenant, st.ToString());
  }
  return Escalate(tenant, now);
}

Status AlertEngine::Impl::Process(int64_t tenant, std::span<const events::Event>) {
  TimeMs now = clock.NowMs();
  if (auto it = last_evaluated.find(tenant); it != last_evaluated.end() && now - it->second < opt.min_interval_ms) {
    bool changes = false;
    {
      std::lock_guard lock(mu);
      auto c = changed.find(tenant);
      changes = c != changed.end() && !c->second.empty();
    }
    // A change a moment after an evaluation is looked at once the interval has passed.
    if (changes) evaluator->NotifyAfter(tenant, opt.min_interval_ms - (now - it->second));
    return Status();
  }
  last_evaluated[tenant] = now;
  return Evaluate(tenant, false);
}

AlertEngine::AlertEngine(store::Database& db, domain::RecordService& records, metrics::MetricEngine& metrics,
                         const Clock& clock, AlertOptions options)
    : impl_(std::make_unique<Impl>(db, records, metrics, clock, std::move(options))) {
  impl_->evaluator = std::make_unique<events::Consumer>(
      db, *impl_, clock,
      events::ConsumerOptions{.name = "alerts.evaluator", .wake_ms = impl_->opt.tick_ms, .read_events = false,
                              .poll_known_tenants = true, .wake_on_commit = false});
}

AlertEngine::~AlertEngine() { Stop(); }

void AlertEngine::Start() {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->started) return;
    impl_->started = true;
    impl_->stop = false;
  }
  Impl* impl = impl_.get();
  impl_->listener_id = impl_->metrics.AddListener([impl](int64_t tenant, const std::vector<std::string>& changed, int64_t) {
    {
      std::lock_guard lock(impl->mu);
      impl->changed[tenant].insert(changed.begin(), changed.end());
    }
    impl->evaluator->Notify(tenant);
  });
  // Tenants with rules are evaluated from the start, not only after their next event.
  impl_->evaluator->Post([impl] {
    std::vector<int64_t> ids;
    if (auto conn = impl->db.Acquire(); conn.ok()) {
      auto tenants = repo::TenantsWithRules(**conn);
      if (tenants.ok()) ids = std::move(*tenants);
    }
    for (int64_t t : ids) {
      Status st = impl->Evaluate(t, true);
      if (!st.ok()) spdlog::warn("alert evaluation of tenant {}: {}", t, st.ToString());
      impl->last_evaluated[t] = impl->clock.NowMs();
      impl->evaluator->NotifyAfter(t, impl->opt.tick_ms);  // polled from now on
    }
  });
  impl_->evaluator->Start();
  for (int i = 0; i < std::max(1, impl_->opt.delivery_workers); ++i) impl_->deliverers.emplace_back([impl] { impl->Work(); });
}

void AlertEngine::Stop() {
  {
    std::lock_guard lock(impl_->mu);
    if (!impl_->started) return;
    impl_->started = false;
    impl_->stop = true;
  }
  impl_->metrics.RemoveListener(impl_->listener_id);
  impl_->evaluator->Stop();
  impl_->outbox_cv.notify_all();
  for (auto& t : impl_->deliverers) t.join();
  impl_->deliverers.clear();
}

Status AlertEngine::EvaluateNow(int64_t tenant_id) {
  KEEL_RETURN_IF_ERROR(impl_->Evaluate(tenant_id, true));
  bool running;
  {
    std::lock_guard lock(impl_->mu);
    running = impl_->started;
  }
  if (!running) {
    // No delivery thread: deliver synchronously.
    {
      std::lock_guard lock(impl_->mu);
      impl_->stop = true;
    }
    impl_->Work();
    std::lock_guard lock(impl_->mu);
    impl_->stop = false;
  }
  return Status();
}

void AlertEngine::SetListener(Listener l) {
  std::lock_guard lock(impl_->mu);
  impl_->listener = std::move(l);
}

// ---- the API side ----

Result<json> AlertEngine::ListRules(const Principal& p) {
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::vector<StoredRule> rules, repo::ActiveRules(*conn, p.tenant_id));
  json items = json::array();
  for (const auto& r : rules) {
    json d = json::parse(r.definition, nullptr, false);
    d["version"] = r.version;
    d["owner_id"] = r.owner_id;
    d["created_at"] = r.created_at;
    items.push_back(std::move(d));
  }
  return json{{"items", items}};
}

Result<json> AlertEngine::GetRule(const Principal& p, const std::string& name) {
  KEEL_ASSIGN_OR_RETURN(json all, ListRules(p));
  for (auto& r : all["items"]) {
    if (r["name"] == name) return r;
  }
  return Status::NotFound("alert rule");
}

Status AlertEngine::CheckRule(const Principal& p, const json& body) {
  return ParseRule(body, impl_->metrics, p.tenant_id).status();
}

Result<json> AlertEngine::SaveRule(const Principal& p, const json& body, const std::string& replace_name) {
  if (!CanWrite(p.role)) return Forbidden("change alert rules", "修改告警规则");
  KEEL_ASSIGN_OR_RETURN(AlertRule rule, ParseRule(body, impl_->metrics, p.tenant_id));
  if (!replace_name.empty() && rule.name != replace_name) {
    return Status::Invalid("alert.invalid", "the name in the body differs from the URL", "请求体中的名称与 URL 不一致", "name");
  }
  rule.owner_id = p.user_id;
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  KEEL_ASSIGN_OR_RETURN(rule.version, domain::NextVersion(*conn, kRuleKind, p.tenant_id, rule.name, !replace_name.empty()));
  KEEL_ASSIGN_OR_RETURN(json before, domain::ActiveVersion(*conn, kRuleKind, p.tenant_id, rule.name));
  TimeMs now = impl_->clock.NowMs();
  KEEL_RETURN_IF_ERROR(domain::InsertVersion(*conn, kRuleKind, p.tenant_id, rule.name, rule.version, rule.ToJson().dump(), p.user_id, now));
  KEEL_RETURN_IF_ERROR(AppendEvent(*conn, p, replace_name.empty() ? "alert_rule.created" : "alert_rule.updated", "alert_rules", 0,
                                   rule.ToJson(), now));
  KEEL_RETURN_IF_ERROR(domain::AuditChange(*conn, p, now, {replace_name.empty() ? "create" : "update", "alert_rules", 0, before, rule.ToJson()}));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  {
    std::lock_guard lock(impl_->mu);
    impl_->loaded.erase(p.tenant_id);  // reload on the next evaluation
  }
  impl_->evaluator->Notify(p.tenant_id);
  return rule.ToJson();
}

Result<json> AlertEngine::ArchiveRule(const Principal& p, const std::string& name) {
  if (!CanWrite(p.role)) return Forbidden("change alert rules", "修改告警规则");
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  KEEL_ASSIGN_OR_RETURN(json before, domain::ActiveVersion(*conn, kRuleKind, p.tenant_id, name));
  KEEL_ASSIGN_OR_RETURN(int64_t n, repo::ArchiveRule(*conn, p.tenant_id, name));
  if (n == 0) return Status::NotFound("alert rule");
  TimeMs now = impl_->clock.NowMs();
  KEEL_RETURN_IF_ERROR(repo::ResolveAlertsOfRule(*conn, p.tenant_id, name, FormatTimestamp(now)));
  KEEL_RETURN_IF_ERROR(AppendEvent(*conn, p, "alert_rule.archived", "alert_rules", 0, {{"name", name}}, now));
  KEEL_RETURN_IF_ERROR(domain::AuditChange(*conn, p, now, {"archive", "alert_rules", 0, before, {{"name", name}, {"status", "archived"}}}));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  std::lock_guard lock(impl_->mu);
  impl_->loaded.erase(p.tenant_id);
  return json{{"name", name}, {"status", "archived"}};
}

Result<json> AlertEngine::ListAlerts(const Principal& p, const std::string& state, int limit) {
  if (state != "firing" && state != "resolved" && state != "all") {
    return Status::Invalid("validation.enum", "state is firing, resolved or all", "state 可为 firing、resolved 或 all", "state");
  }
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::vector<Alert> alerts, repo::VisibleAlerts(*conn, p, state == "all" ? "" : state, limit));
  json items = json::array();
  for (const Alert& a : alerts) items.push_back(AlertJson(a));
  return json{{"items", items}};
}

Result<json> AlertEngine::Acknowledge(const Principal& p, int64_t alert_id, const std::string& comment) {
  if (domain::IsReadOnly(p.role)) return Denied("your role may not acknowledge alerts", "您的角色不能确认告警");
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_ASSIGN_OR_RETURN(std::optional<Alert> before, repo::LoadAlert(*conn, p.tenant_id, alert_id, &p));
  if (!before) return Status::NotFound("alert");
  TimeMs now = impl_->clock.NowMs();
  if (!before->acked_at) {
    KEEL_RETURN_IF_ERROR(repo::Acknowledge(*conn, p.tenant_id, alert_id, p.user_id, FormatTimestamp(now)));
    KEEL_RETURN_IF_ERROR(AppendEvent(*conn, p, "alert.acknowledged", "alerts", alert_id, {{"comment", comment}}, now));
  }
  KEEL_ASSIGN_OR_RETURN(std::optional<Alert> after, repo::LoadAlert(*conn, p.tenant_id, alert_id));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  if (!after) return Status::NotFound("alert");
  return AlertJson(*after);
}

Result<json> AlertEngine::ListSilences(const Principal& p) {
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::vector<Silence> silences, repo::Silences(*conn, p.tenant_id));
  json items = json::array();
  for (const auto& s : silences) {
    items.push_back({{"id", s.id}, {"rule", OrNull(s.rule)}, {"matchers", s.matchers}, {"starts_at", s.starts_at},
                     {"ends_at", s.ends_at}, {"comment", s.comment.value_or("")}, {"created_by", s.created_by}});
  }
  return json{{"items", items}};
}

namespace {

// The labels whose values are unit ids (the alert's unit_id comes from them, see Fire).
bool NamesUnit(const std::string& label) { return label == "unit" || label == "region"; }

std::string DurationText(int64_t ms) {
  return ms % 86400000 == 0 ? std::to_string(ms / 86400000) + "d" : std::to_string(ms / 3600000) + "h";
}

json SilenceJson(const Silence& s) {
  return {{"id", s.id}, {"rule", OrNull(s.rule)}, {"matchers", s.matchers}, {"starts_at", s.starts_at},
          {"ends_at", s.ends_at}, {"comment", OrNull(s.comment)}, {"created_by", s.created_by}, {"created_at", s.created_at}};
}

// A unit lead's silence names at least one unit (matchers.unit or matchers.region), and every unit
// it names lies in their subtree: since a matcher must equal the alert's label, the silence then
// mutes only alerts of their own units.
Status CheckSilenceScope(store::Connection& conn, const Principal& p, const json& matchers) {
  if (p.role != Role::kUnitLead) return Status();
  bool named = false;
  for (const auto& [k, v] : matchers.items()) {
    if (!NamesUnit(k)) continue;
    named = true;
    const std::string& text = v.get_ref<const std::string&>();
    bool in_subtree = false;
    if (!text.empty() && text.size() < 19 && text.find_first_not_of("0123456789") == std::string::npos) {
      KEEL_ASSIGN_OR_RETURN(std::optional<std::string> path,
                            domain::LoadUnitPath(conn, p.tenant_id, static_cast<int64_t>(std::stoll(text))));
      in_subtree = path && !p.unit_path.empty() && path->rfind(p.unit_path, 0) == 0;
    }
    if (!in_subtree) {
      return Status::Error(ErrorKind::kForbidden, "silence.outside_subtree",
                           "a unit lead silences only alerts of units in their own subtree; unit " + text + " is not one of them",
                           "战队负责人只能静默本单元及下级单元的告警；单元 " + text + " 不在其中", "matchers." + k);
    }
  }
  if (!named) {
    return Status::Error(ErrorKind::kForbidden, "silence.unit_required",
                         "a unit lead's silence names one of their units (matchers.unit or matchers.region)",
                         "战队负责人的静默须指定本人管辖的单元（matchers.unit 或 matchers.region）", "matchers");
  }
  return Status();
}

}  // namespace

int64_t MaxSilenceMs(Role role) {
  switch (role) {
    case Role::kAdmin:
    case Role::kHqOps:
      return 90LL * 86400000;
    case Role::kUnitLead:
      return 7LL * 86400000;
    default:
      return 0;
  }
}

Result<json> AlertEngine::CreateSilence(const Principal& p, const json& b) {
  if (!CanWrite(p.role) && p.role != Role::kUnitLead) return Denied("only unit leads, admin and hq_ops may silence alerts", "只有战队负责人、管理员和销售运营可以静默告警");
  KEEL_RETURN_IF_ERROR(domain::CheckObject(b, {"rule", "matchers", "starts_at", "ends_at", "duration", "comment"}));
  TimeMs now = impl_->clock.NowMs();
  TimeMs starts = now, ends = 0;
  if (b.contains("starts_at")) {
    if (!b["starts_at"].is_string()) return Status::Invalid("validation.type", "starts_at is a timestamp", "starts_at 须为时间", "starts_at");
    KEEL_ASSIGN_OR_RETURN(starts, ParseTimestamp(b["starts_at"].get<std::string>()));
  }
  std::string end_field = "ends_at";
  if (b.contains("ends_at") && b["ends_at"].is_string()) {
    auto e = ParseTimestamp(b["ends_at"].get<std::string>());
    if (!e.ok()) return e.status().WithField("ends_at");
    ends = *e;
  } else if (b.contains("duration")) {
    KEEL_ASSIGN_OR_RETURN(int64_t d, ParseDuration(b["duration"], "duration"));
    ends = starts + d;
    end_field = "duration";
  } else {
    return Status::Invalid("validation.required", "give ends_at or duration (e.g. 4h)", "请提供 ends_at 或 duration（如 4h）", "ends_at");
  }
  if (ends <= starts) return Status::Invalid("alert.invalid", "ends_at must be after starts_at", "结束时间必须晚于开始时间", "ends_at");
  // A silence ends within the caller's maximum from now, however it is written (a far start
  // does not stretch it).
  const int64_t max_ms = MaxSilenceMs(p.role);
  if (ends > now + max_ms) {
    std::string role(domain::RoleName(p.role));
    return Status::Error(ErrorKind::kUnprocessable, "silence.too_long",
                         "a silence by " + role + " ends within " + DurationText(max_ms) + " (by " + FormatTimestamp(now + max_ms) + ")",
                         "角色 " + role + " 的静默须在 " + DurationText(max_ms) + " 内结束（不晚于 " + FormatTimestamp(now + max_ms) + "）",
                         end_field);
  }
  json matchers = b.value("matchers", json::object());
  if (!matchers.is_object()) return Status::Invalid("alert.invalid", "matchers is an object of label: value", "matchers 为 标签: 值 的对象", "matchers");
  for (auto& [k, v] : matchers.items()) {
    if (v.is_number_integer()) v = std::to_string(v.get<int64_t>());
    if (!v.is_string()) return Status::Invalid("alert.invalid", "matcher values are text or ids", "匹配值须为文本或编号", "matchers." + k);
  }
  auto rule_it = b.find("rule");
  if (rule_it != b.end() && !rule_it->is_null() && !rule_it->is_string()) {
    return Status::Invalid("validation.type", "rule is a rule name", "rule 应为规则名称", "rule");
  }
  std::string rule = rule_it != b.end() && rule_it->is_string() ? rule_it->get<std::string>() : "";
  KEEL_ASSIGN_OR_RETURN(std::string comment, Text(b, "comment", false, 500));
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_RETURN_IF_ERROR(CheckSilenceScope(*conn, p, matchers));
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
  Silence row;
  row.id = ids[0];
  if (!rule.empty()) row.rule = rule;
  row.matchers = matchers.get<std::map<std::string, std::string>>();
  row.starts_at = FormatTimestamp(starts);
  row.ends_at = FormatTimestamp(ends);
  row.comment = comment;
  row.created_by = p.user_id;
  row.created_at = FormatTimestamp(now);
  KEEL_RETURN_IF_ERROR(repo::InsertSilence(*conn, p.tenant_id, row));
  json out = {{"id", ids[0]}, {"rule", rule.empty() ? json(nullptr) : json(rule)}, {"matchers", matchers},
              {"starts_at", FormatTimestamp(starts)}, {"ends_at", FormatTimestamp(ends)}};
  KEEL_RETURN_IF_ERROR(AppendEvent(*conn, p, "alert_silence.created", "alert_silences", ids[0], out, now));
  json audited = out;
  audited["comment"] = comment;
  audited["created_by"] = p.user_id;
  KEEL_RETURN_IF_ERROR(domain::AuditChange(*conn, p, now, {"create", "alert_silences", ids[0], nullptr, audited}));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return out;
}

Result<json> AlertEngine::DeleteSilence(const Principal& p, int64_t id) {
  if (!CanWrite(p.role) && p.role != Role::kUnitLead) return Denied("only unit leads, admin and hq_ops may end silences", "只有战队负责人、管理员和销售运营可以结束静默");
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, p.tenant_id));
  KEEL_ASSIGN_OR_RETURN(std::optional<Silence> silence, repo::LoadSilence(*conn, p.tenant_id, id));
  if (!silence) return Status::NotFound("silence");
  json before = SilenceJson(*silence);
  // Ending a silence restores notifications, yet whose silence it was matters: a unit lead ends
  // only their own; someone else's (another lead's, HQ's) is HQ's to end.
  if (before["created_by"].get<int64_t>() != p.user_id && !CanWrite(p.role)) {
    return Status::Error(ErrorKind::kForbidden, "silence.not_yours", "only admin and hq_ops end a silence someone else created",
                         "只有管理员和销售运营可以结束他人创建的静默");
  }
  KEEL_RETURN_IF_ERROR(repo::DeleteSilence(*conn, p.tenant_id, id));
  TimeMs now = impl_->clock.NowMs();
  KEEL_RETURN_IF_ERROR(AppendEvent(*conn, p, "alert_silence.deleted", "alert_silences", id, before, now));
  KEEL_RETURN_IF_ERROR(domain::AuditChange(*conn, p, now, {"delete", "alert_silences", id, before, nullptr}));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return json{{"id", id}, {"deleted", true}};
}

Result<json> AlertEngine::ListWebhooks(const Principal& p) {
  KEEL_RETURN_IF_ERROR(RequireAdmin(p));
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::WebhookRow> hooks, repo::ActiveWebhooks(*conn, p.tenant_id));
  json items = json::array();
  for (const auto& h : hooks) {
    auto url = impl_->box->Open(h.sealed_url);
    items.push_back({{"id", h.id}, {"name", h.name}, {"channel", h.channel},
                     {"url", url.ok() ? MaskedUrl(*url) : "…"},  // the rest carries the robot's key
                     {"has_secret", !h.sealed_secret.empty()}, {"unit_id", OrNull(h.unit_id)},
                     {"min_severity", h.min_severity}, {"locale", h.locale}, {"created_at", h.created_at}});
  }
  return json{{"items", items}};
}

Result<json> AlertEngine::CreateWebhook(const Principal& p, const json& b) {
  KEEL_RETURN_IF_ERROR(RequireAdmin(p));
  KEEL_RETURN_IF_ERROR(domain::CheckObject(b, {"name", "channel", "url", "secret", "unit_id", "min_severity", "locale"}));
  for (const char* k : {"name", "channel", "url"}) {
    if (!b.contains(k) || !b[k].is_string() || b[k].get_ref<const std::string&>().empty()) {
      return Status::Invalid("validation.required", std::string(k) + " is required", std::string(k) + " 为必填项", k);
    }
  }
  if (b.contains("secret") && !b["secret"].is_null() && (!b["secret"].is_string() || b["secret"].get_ref<const std::string&>().size() > 500)) {
    return Status::Invalid("validation.type", "secret must be text (at most 500 bytes)", "secret 必须是文本（最多 500 字节）", "secret");
  }
  auto channel = ParseChannel(b["channel"].get<std::string>());
  if (!channel.ok()) return channel.status();
  std::string url = b["url"];
  if ((url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) || url.size() > 2000) {
    return Status::Invalid("webhook.url", "url must be an http(s) URL", "url 必须是 http(s) 地址", "url");
  }
  // Where it may go is decided now, and again at every delivery (DNS may change).
  KEEL_RETURN_IF_ERROR(impl_->policy->Check(url).status());
  std::string min = b.value("min_severity", "warning");
  if (!ParseSeverity(min).ok()) return ParseSeverity(min).status().WithField("min_severity");
  std::string locale = b.value("locale", "zh-CN");
  if (locale != "zh-CN" && locale != "en") return Status::Invalid("validation.enum", "locale is zh-CN or en", "locale 可为 zh-CN 或 en", "locale");
  int64_t unit = b.value("unit_id", int64_t{0});
  const std::string secret = b.contains("secret") && b["secret"].is_string() ? b["secret"].get<std::string>() : "";
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
  const std::string name = std::string(b["name"]).substr(0, 100);
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
  KEEL_RETURN_IF_ERROR(AppendEvent(*conn, p, "webhook.created", "webhooks", ids[0], {{"name", b["name"]}, {"channel", ChannelName(*channel)}}, now));
  json after = {{"name", name}, {"channel", ChannelName(*channel)}, {"url", MaskedUrl(url)}, {"secret", secret.empty() ? "none" : "set"},
                {"unit_id", unit ? json(unit) : json(nullptr)}, {"min_severity", min}, {"locale", locale}};
  KEEL_RETURN_IF_ERROR(domain::AuditChange(*conn, p, now, {"webhook.created", "webhooks", ids[0], nullptr, after}));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return json{{"id", ids[0]}, {"name", b["name"]}, {"channel", ChannelName(*channel)}, {"min_severity", min}, {"locale", locale}};
}

Result<json> AlertEngine::DeleteWebhook(const Principal& p, int64_t id) {
  KEEL_RETURN_IF_ERROR(RequireAdmin(p));
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::WebhookRow> before, repo::ActiveWebhook(*conn, p.tenant_id, id));
  KEEL_ASSIGN_OR_RETURN(bool deleted, repo::DeleteWebhook(*conn, p.tenant_id, id));
  if (!deleted || !before) return Status::NotFound("webhook");
  auto url = impl_->box->Open(before->sealed_url);
  json was = {{"name", before->name}, {"channel", before->channel}, {"url", url.ok() ? MaskedUrl(*url) : "…"}};
  KEEL_RETURN_IF_ERROR(domain::AuditChange(*conn, p, impl_->clock.NowMs(), {"webhook.deleted", "webhooks", id, was, nullptr}));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return json{{"id", id}, {"deleted", true}};
}

Result<json> AlertEngine::TestWebhook(const Principal& p, int64_t id) {
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
  return json{{"delivered", d.delivered}, {"http_status", d.http_status}, {"attempts", d.attempts},
              {"error", d.error}, {"response", outbound::Excerpt(Redacted(d.response_body, url, secret), 200)}};
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

Result<json> AlertEngine::ListNotifications(const Principal& p, bool all, int limit) {
  if (all && p.role != Role::kAdmin && p.role != Role::kAuditor) {
    return Denied("only admins and auditors read the delivery log", "只有管理员和审计可以查看投递日志");
  }
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::vector<NotificationEntry> entries,
                        repo::Notifications(*conn, p.tenant_id, all ? std::nullopt : std::optional<int64_t>(p.user_id), limit));
  json items = json::array();
  for (const auto& n : entries) {
    items.push_back({{"id", n.id}, {"alert_id", n.alert_id}, {"channel", n.channel}, {"target", n.target},
                     {"recipient_id", OrNull(n.recipient_id)}, {"status", n.status}, {"attempts", n.attempts},
                     {"http_status", OrNull(n.http_status)}, {"error", OrNull(n.error)}, {"created_at", n.created_at},
                     {"delivered_at", OrNull(n.delivered_at)}, {"summary", n.summary}, {"summary_en", n.summary_en},
                     {"severity", n.severity}, {"alert_state", n.alert_state}});
  }
  return json{{"items", items}};
}

}  // namespace keel::alerts
