#include "ai/json.h"
#include "common/json_util.h"

namespace keel::ai {
namespace {

using json = nlohmann::json;

}  // namespace

json ToJson(const JobView& j) {
  if (!j.full) {
    return {{"id", j.id}, {"kind", j.kind}, {"target", OrNull(j.target)}, {"status", j.status}, {"progress", 0}, {"created_at", j.created_at}};
  }
  return {{"id", j.id}, {"kind", j.kind}, {"target", OrNull(j.target)}, {"status", j.status}, {"progress", j.progress},
          {"message", OrNull(j.message)}, {"result", j.result}, {"created_at", j.created_at}, {"started_at", OrNull(j.started_at)},
          {"finished_at", OrNull(j.finished_at)}, {"queue_position", OrNull(j.queue_position)}};
}

json ToJson(const TrainResult& t) {
  return {{"version", t.version}, {"status", t.status}, {"holdout_auc", t.holdout_auc}, {"scored", t.scored}, {"card", t.card}};
}

json ToJson(const ModelVersions& m) {
  json versions = json::array();
  for (const auto& v : m.versions) {
    versions.push_back({{"version", v.version}, {"status", v.status}, {"created_at", v.created_at}, {"activated_at", OrNull(v.activated_at)},
                        {"holdout_auc", v.holdout_auc}, {"card", v.card}});
  }
  json out = {{"target", m.target}, {"active_version", OrNull(m.active_version)}, {"versions", versions}};
  if (m.message) out["message"] = *m.message;
  if (m.message_zh) out["message_zh"] = *m.message_zh;
  if (m.last_failure) out["last_failure"] = *m.last_failure;
  return out;
}

json ToJson(const RollbackResult& r) { return {{"target", r.target}, {"active_version", r.active_version}, {"scored", r.scored}}; }

json ToJson(const ScoreView& s) {
  if (!s.score) {
    return {{"record_id", s.record_id}, {"target", s.target}, {"score", nullptr}, {"message", s.message}, {"message_zh", s.message_zh}};
  }
  return {{"record_id", s.record_id}, {"target", s.target}, {"model_version", s.model_version}, {"probability", s.probability},
          {"score", *s.score}, {"band", s.band}, {"reasons", s.reasons}, {"summary", s.summary}, {"computed_at", s.computed_at}};
}

json ToJson(const MonitoringView& m) {
  json history = json::array();
  for (const auto& d : m.history) history.push_back({{"day", d.day}, {"model_version", d.model_version}, {"max_psi", d.max_psi}});
  json bands = json::object();
  for (const auto& [band, n] : m.bands_now) bands[band] = n;
  return {{"target", m.target}, {"model_version", m.model_version}, {"drift", m.drift}, {"bands_now", bands},
          {"band_thresholds", m.band_thresholds}, {"realised_by_band", m.realised_by_band}, {"history", history}};
}

json ToJson(const std::map<std::string, DriftSummary>& by_target) {
  json out = json::object();
  for (const auto& [target, d] : by_target) out[target] = {{"model_version", d.model_version}, {"max_psi", d.max_psi}, {"drifted", d.drifted}};
  return out;
}

json ToJson(const std::vector<SignalItem>& signals) {
  json items = json::array();
  for (const auto& s : signals) {
    items.push_back({{"id", s.id}, {"kind", s.kind}, {"source", s.source}, {"title", s.title}, {"body", OrNull(s.body)}, {"url", OrNull(s.url)},
                     {"sentiment", OrNull(s.sentiment)}, {"occurred_at", s.occurred_at}});
  }
  return {{"items", items}};
}

json ToJson(const PlanCounts& counts) {
  json out = json::object();
  for (const auto& [rule, c] : counts) out[rule] = {{"found", c.found}, {"created", c.created}, {"refreshed", c.refreshed}};
  return out;
}

json ToJson(const SignalOutcome& o) { return {{"alerts", o.alerts}, {"tasks", o.tasks}}; }

json ToJson(const TodayList& t) {
  json list = json::array();
  for (const auto& i : t.items) {
    list.push_back({{"task_id", i.task_id}, {"title", i.title}, {"priority", i.priority}, {"due_at", OrNull(i.due_at)}, {"overdue", i.overdue},
                    {"source", i.source}, {"rule", OrNull(i.rule)}, {"expected_value", i.expected_value}, {"why", i.why},
                    {"why_zh", i.why_zh}, {"why_en", i.why_en}, {"related_entity", OrNull(i.related_entity)},
                    {"related_id", OrNull(i.related_id)}});
  }
  return {{"items", list}, {"total", t.total}};
}

json ToJson(const DatasetView& d) {
  return {{"id", d.id}, {"name", d.name}, {"rows", d.rows}, {"columns", d.columns}, {"suggested", d.suggested}, {"card", d.card},
          {"created_at", d.created_at}, {"file", d.file}, {"versions", d.versions}};
}

json ToJson(const std::vector<DatasetModelView>& versions) {
  json items = json::array();
  for (const auto& v : versions) {
    items.push_back({{"version", v.version}, {"created_at", v.created_at}, {"card", v.card}, {"promoted_to", OrNull(v.promoted_to)},
                     {"promoted_version", OrNull(v.promoted_version)}});
  }
  return {{"items", items}};
}

json ToJson(const DatasetPrediction& p) {
  json rows = json::array();
  for (const auto& r : p.rows) {
    rows.push_back({{"row", r.row}, {"line", r.line ? json(r.line) : json(nullptr)}, {"probability", r.probability}, {"score", r.score},
                    {"reasons", r.reasons}});
  }
  return {{"dataset_id", p.dataset_id}, {"version", p.version}, {"missing_columns", p.missing_columns}, {"items", rows}};
}

json ToJson(const std::vector<DatasetSummary>& datasets) {
  json items = json::array();
  for (const auto& d : datasets) {
    items.push_back({{"id", d.id}, {"name", d.name}, {"rows", d.rows}, {"created_at", d.created_at}, {"trained", d.trained}});
  }
  return {{"items", items}};
}

json ToJson(const ContactTime& c) {
  json windows = json::array();
  for (const auto& w : c.windows) {
    windows.push_back({{"weekday", w.weekday}, {"hour", w.hour}, {"label_zh", w.label_zh}, {"label_en", w.label_en}, {"rate", w.rate},
                       {"lift", w.lift}, {"own_calls", w.own_calls}});
  }
  return {{"entity", c.entity}, {"id", c.id}, {"time_zone", c.time_zone}, {"windows", windows}, {"best_hours", c.best_hours},
          {"by_hour_weekdays", c.by_hour_weekdays}, {"rate_overall", c.rate_overall},
          {"evidence", {{"own_calls", c.own_calls}, {"owner_calls", c.owner_calls}, {"segment_calls", c.segment_calls},
                        {"tenant_calls", c.tenant_calls}}}};
}

json ToJson(const LookalikeList& l) {
  json items = json::array();
  for (const auto& c : l.items) {
    json like = c.like ? json{{"id", c.like->id}, {"name", c.like->name}, {"won_amount", c.like->won_amount}} : json(nullptr);
    items.push_back({{"customer_id", c.customer_id}, {"name", c.name}, {"owner_id", c.owner_id}, {"similarity", c.similarity},
                     {"like", like}, {"reasons", c.reasons}, {"reasons_zh", c.reasons_zh}, {"reasons_en", c.reasons_en}});
  }
  return {{"items", items}, {"best_customers", l.best_customers}, {"candidates", l.candidates}};
}

}  // namespace keel::ai
