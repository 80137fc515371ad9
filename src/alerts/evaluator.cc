// Evaluation (评估): loading a tenant's rules, judging each group's tiers against the metric,
// firing, changing severity and resolving alerts, and the evaluator consumer's pass.
#include "alerts/engine_impl.h"

#include <algorithm>
#include <cmath>

#include <spdlog/spdlog.h>

#include "domain/records.h"
#include "events/event_log.h"

namespace keel::alerts {

namespace {

std::string GroupKey(const std::vector<std::pair<std::string, std::string>>& labels) {
  std::string k;
  for (const auto& [d, v] : labels) k += d + "=" + v + ";";
  return k;
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

}  // namespace

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

namespace {

// What a firing alert says: its labels with display names, its unit and owner (from the unit or
// region and rep labels) and its zh/en summaries (the rule's message, or label, group and value).
struct Description {
  AlertLabels labels;
  int64_t unit_id = 0, owner_id = 0;
  std::string summary_zh, summary_en;
};

Description Describe(metrics::MetricEngine& metrics, int64_t tenant, const AlertRule& rule,
                     const std::vector<std::pair<std::string, std::string>>& labels, Severity sev, std::optional<double> value) {
  Description d;
  std::string group_zh, group_en;
  for (const auto& [dim, val] : labels) {
    std::string name = metrics.DisplayName(tenant, dim, val);
    group_zh += (group_zh.empty() ? "" : "，") + name;
    group_en += (group_en.empty() ? "" : ", ") + name;
    d.labels[dim] = {val, name};
    if (dim == "unit" || dim == "region") d.unit_id = std::strtoll(val.c_str(), nullptr, 10);
    if (dim == "rep") d.owner_id = std::strtoll(val.c_str(), nullptr, 10);
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
  d.summary_zh = rule.message_zh.empty()
      ? rule.label_zh + (group_zh.empty() ? "" : "：" + group_zh) + "（当前值 " + vtext + "）"
      : fill(rule.message_zh, kSevZh[static_cast<int>(sev)], group_zh);
  d.summary_en = rule.message_en.empty()
      ? rule.label_en + (group_en.empty() ? "" : ": " + group_en) + " (value " + (value ? std::string(vbuf) : "no data") + ")"
      : fill(rule.message_en, SeverityName(sev), group_en);
  return d;
}

}  // namespace

Status AlertEngine::Impl::Fire(int64_t tenant, RuleState& rs, const std::vector<std::pair<std::string, std::string>>& labels,
                               GroupState& gs, Severity sev, std::optional<double> value, TimeMs now) {
  const AlertRule& rule = rs.rule;
  const Description d = Describe(metrics, tenant, rule, labels, sev, value);
  const std::string now_text = FormatTimestamp(now);
  const std::string key = GroupKey(labels);
  KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, tenant));
  KEEL_RETURN_IF_ERROR(FenceLease(*conn, tenant));
  // What fires is what the database says, not this node's memory: another node (or this one
  // before it lost and took the lease back) may have fired or resolved the group's alert since.
  // Under the tenant's lock, so two evaluators cannot both insert (alerts_firing_once holds it too).
  KEEL_ASSIGN_OR_RETURN(std::optional<int64_t> firing, repo::FindFiring(*conn, tenant, rule.name, key));
  if (firing) {
    KEEL_ASSIGN_OR_RETURN(std::optional<Alert> row, repo::LoadAlert(*conn, tenant, *firing));
    if (row && row->severity == SeverityName(sev)) {  // already so: nothing to announce
      gs.alert_id = *firing;
      gs.firing = sev;
      return Status();
    }
  }
  std::vector<Outbound> pending;
  const bool escalated = firing.has_value();
  int64_t id = firing.value_or(0);
  if (escalated) {
    KEEL_RETURN_IF_ERROR(repo::UpdateSeverity(*conn, tenant, id, SeverityName(sev), value, d.summary_zh, d.summary_en, now_text));
  } else {
    KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
    id = ids[0];
    Alert row;
    row.id = id;
    row.rule = rule.name;
    row.group_key = key;
    row.labels = ToJson(d.labels).dump();
    row.severity = SeverityName(sev);
    row.state = "firing";
    row.value = value;
    row.summary = d.summary_zh;
    row.summary_en = d.summary_en;
    if (d.unit_id) row.unit_id = d.unit_id;
    if (d.owner_id) row.owner_id = d.owner_id;
    row.started_at = row.updated_at = now_text;
    KEEL_RETURN_IF_ERROR(repo::InsertAlert(*conn, tenant, row));
  }
  AlertChange alert;
  alert.id = id;
  alert.rule = rule.name;
  alert.state = "firing";
  alert.severity = SeverityName(sev);
  alert.labels = d.labels;
  alert.value = value;
  alert.summary = d.summary_zh;
  alert.summary_en = d.summary_en;
  alert.label = rule.label_zh;
  alert.label_en = rule.label_en;
  if (d.unit_id) alert.unit_id = d.unit_id;
  if (d.owner_id) alert.owner_id = d.owner_id;
  alert.started_at = now_text;
  KEEL_ASSIGN_OR_RETURN(int64_t seq, events::AppendOne(*conn, tenant, now, escalated ? "alert.changed" : "alert.fired",
                                                        "alerts", id, 0, ToJson(alert).dump()));
  // Silences and inhibition mute notifications, never the record of the alert.
  KEEL_ASSIGN_OR_RETURN(bool muted, Muted(*conn, tenant, rule.name, labels, now_text));
  if (!muted && sev == Severity::kWarning) {
    KEEL_ASSIGN_OR_RETURN(muted, repo::CriticalFiring(*conn, tenant, key, id));
  }
  alert.muted = muted;
  if (!muted) {
    // The route runs until its first wait; escalation continues it later unless acknowledged.
    size_t step = 0;
    for (; step < rule.route.size() && rule.route[step].wait_ms == 0; ++step) {
      KEEL_RETURN_IF_ERROR(NotifyStep(*conn, tenant, id, step, d.unit_id, d.owner_id, rule.route[step].notify));
    }
    KEEL_RETURN_IF_ERROR(repo::SetEscalation(*conn, tenant, id, int64_t(step), NextStepAt(rule, step, now)));
    KEEL_RETURN_IF_ERROR(SendWebhooks(*conn, tenant, alert, seq, false, &pending));
  }
  // The task commits with the alert: a node dying after the commit can lose neither.
  if (rule.create_task && !escalated) {
    KEEL_RETURN_IF_ERROR(CreateTask(*conn, tenant, rule, id, sev, d.unit_id, d.owner_id, d.summary_zh, d.summary_en, now));
  }
  KEEL_RETURN_IF_ERROR(tx.Commit());
  Enqueue(std::move(pending));
  gs.alert_id = id;
  gs.firing = sev;
  Publish(tenant, alert);
  return Status();
}

Status AlertEngine::Impl::CreateTask(store::Connection& conn, int64_t tenant, const AlertRule& rule, int64_t id, Severity sev,
                                   int64_t unit_id, int64_t owner_id, const std::string& summary_zh,
                                   const std::string& summary_en, TimeMs now) {
  // Inside the alert's transaction, behind a savepoint: a task that cannot be made (its assignee
  // left meanwhile) is logged and the alert still fires. On PostgreSQL a failed statement spoils
  // the whole transaction unless it is rolled back to the savepoint, so every read is inside it.
  if (Status sp = conn.Savepoint("alert_task"); !sp.ok()) return sp;
  Status st = MakeTask(conn, tenant, rule, id, sev, unit_id, owner_id, summary_zh, summary_en, now);
  if (st.ok()) return conn.ReleaseSavepoint("alert_task");
  spdlog::warn("alert {}: task not created: {}", id, st.ToString());
  return conn.RollbackToSavepoint("alert_task");
}

Status AlertEngine::Impl::MakeTask(store::Connection& conn, int64_t tenant, const AlertRule& rule, int64_t id, Severity sev,
                                   int64_t unit_id, int64_t owner_id, const std::string& summary_zh,
                                   const std::string& summary_en, TimeMs now) {
  // The task goes to the rep of the group, else the unit's lead, else the rule's owner.
  int64_t assignee = owner_id;
  if (!assignee && unit_id) {
    KEEL_ASSIGN_OR_RETURN(std::optional<int64_t> lead, repo::UnitLead(conn, tenant, unit_id));
    if (lead) assignee = *lead;
  }
  if (!assignee) assignee = rule.owner_id;
  if (!assignee) return Status();
  KEEL_ASSIGN_OR_RETURN(std::optional<int64_t> unit_of, repo::UnitOfUser(conn, tenant, assignee));
  if (!unit_of) return Status();
  json task = {{"title", summary_zh.substr(0, 180)},
               {"description", "告警 #" + std::to_string(id) + " · " + summary_en},
               {"owner_id", assignee}, {"unit_id", *unit_of},
               {"priority", sev == Severity::kCritical ? "urgent" : "high"}, {"source", "alert"},
               {"due_at", FormatTimestamp(now + 86400000)}};
  KEEL_ASSIGN_OR_RETURN(json created, records.CreateWithin(conn, Principal::System(tenant), *domain::FindEntity("tasks"), task));
  return repo::SetTask(conn, tenant, id, created["id"].get<int64_t>());
}

Status AlertEngine::Impl::Resolve(int64_t tenant, RuleState& rs, GroupState& gs, std::optional<double> value, TimeMs now) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, tenant));
  KEEL_RETURN_IF_ERROR(FenceLease(*conn, tenant));
  std::string now_text = FormatTimestamp(now);
  KEEL_ASSIGN_OR_RETURN(bool resolved, repo::ResolveAlert(*conn, tenant, gs.alert_id, value, now_text));
  if (!resolved) {  // resolved already, by another node: nothing to announce
    gs.alert_id = 0;
    return Status();
  }
  KEEL_ASSIGN_OR_RETURN(std::optional<Alert> row, repo::LoadAlert(*conn, tenant, gs.alert_id));
  if (!row) return Status::NotFound("alert");
  // A resolved alert carries no unit or owner: streams show it to those who see the whole
  // tenant, and unit-scoped webhooks do not announce it.
  AlertChange alert;
  alert.id = gs.alert_id;
  alert.rule = rs.rule.name;
  alert.state = "resolved";
  alert.resolved_at = now_text;
  alert.labels = ParseLabels(row->labels);
  alert.summary = row->summary;
  alert.summary_en = row->summary_en;
  alert.severity = row->severity;
  alert.label = rs.rule.label_zh;
  alert.label_en = rs.rule.label_en;
  alert.value = value;
  KEEL_ASSIGN_OR_RETURN(int64_t seq, events::AppendOne(*conn, tenant, now, "alert.resolved", "alerts", gs.alert_id, 0,
                                                        ToJson(alert).dump()));
  std::vector<Outbound> pending;
  KEEL_RETURN_IF_ERROR(SendWebhooks(*conn, tenant, alert, seq, true, &pending));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  Enqueue(std::move(pending));
  gs.alert_id = 0;
  Publish(tenant, alert);
  return Status();
}

Status AlertEngine::Impl::FenceLease(store::Connection& conn, int64_t tenant) {
  events::Leases* leases = evaluator->leases();
  if (leases == nullptr) return Status();
  std::optional<int64_t> token = evaluator->LeaseToken(tenant);
  if (!token) return leases->Fence(conn, tenant, evaluator->name(), 0);  // lease.lost
  return leases->Fence(conn, tenant, evaluator->name(), *token);
}

Status AlertEngine::Impl::Evaluate(int64_t tenant, bool all) {
  std::lock_guard guard(eval_mu);
  // With leases, only the node holding the tenant's evaluator lease evaluates it; when the lease
  // came (back) to this node, what fires is read afresh from the database.
  std::optional<int64_t> token;
  if (evaluator->leases() != nullptr) {
    token = evaluator->LeaseToken(tenant);
    if (!token) return Status();
  }
  bool is_loaded;
  {
    std::lock_guard lock(mu);
    if (token && lease_tokens[tenant] != *token) {
      lease_tokens[tenant] = *token;
      loaded.erase(tenant);
    }
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
  KEEL_RETURN_IF_ERROR(Escalate(tenant, now));
  return ResendStranded(tenant, now);
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

}  // namespace keel::alerts
