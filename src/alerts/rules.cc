// Rule definitions (告警规则): parsing and validating a definition document, its canonical form,
// and the rules API (list, get, check, save a new version, archive).
#include "alerts/engine_impl.h"

#include <algorithm>
#include <set>

#include "domain/audit.h"
#include "domain/versions.h"
#include "events/event_log.h"

namespace keel::alerts {

namespace {

const domain::VersionedKind kRuleKind{"alert_rules", "alert.exists", "alert rule", "告警规则"};

Status Relocate(const Status& st, const std::string& key) {
  std::string f = st.field();
  return st.WithField(f.rfind("formula", 0) == 0 ? key + f.substr(7) : key);
}

}  // namespace

Result<std::string> Text(const json& b, const char* key, bool required, size_t max) {
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

// ---- the API side ----

Result<std::vector<StoredRule>> AlertEngine::ListRules(const Principal& p) {
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  return repo::ActiveRules(*conn, p.tenant_id);
}

Result<StoredRule> AlertEngine::GetRule(const Principal& p, const std::string& name) {
  KEEL_ASSIGN_OR_RETURN(std::vector<StoredRule> all, ListRules(p));
  for (auto& r : all) {
    if (r.name == name) return std::move(r);
  }
  return Status::NotFound("alert rule");
}

Status AlertEngine::CheckRule(const Principal& p, const json& body) {
  return ParseRule(body, impl_->metrics, p.tenant_id).status();
}

Result<AlertRule> AlertEngine::SaveRule(const Principal& p, const json& body, const std::string& replace_name) {
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
  return rule;
}

Status AlertEngine::ArchiveRule(const Principal& p, const std::string& name) {
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
  return Status();
}

}  // namespace keel::alerts
