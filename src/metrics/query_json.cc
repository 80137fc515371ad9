#include "metrics/query_json.h"

namespace keel::metrics {
namespace {

using json = nlohmann::json;

json Figure(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

json ToJson(const MetricFigures& f) {
  json v = {{"value", Figure(f.value)}};
  if (f.previous) {
    v["previous"] = Figure(f.previous->value);
    v["change_pct"] = Figure(f.previous->change_pct);
  }
  if (f.last_year) {
    v["last_year"] = Figure(f.last_year->value);
    v["yoy_pct"] = Figure(f.last_year->change_pct);
  }
  if (f.points) {
    json pts = json::array();
    for (const auto& p : *f.points) pts.push_back({{"t", p.t}, {"value", Figure(p.value)}});
    v["points"] = std::move(pts);
  }
  if (f.target) {
    v["target"] = Figure(f.target->target);
    v["completion"] = Figure(f.target->completion);
  }
  return v;
}

}  // namespace

json ToJson(const QueryResult& r) {
  json metrics = json::array();
  for (const auto& m : r.metrics) {
    metrics.push_back({{"name", m.name}, {"label", m.label}, {"label_zh", m.label_zh}, {"label_en", m.label_en},
                       {"unit", m.unit}, {"version", m.version}});
  }
  json groups = json::array();
  for (const auto& g : r.groups) {
    json key = json::object();
    for (const auto& l : g.labels) key[l.dimension] = {{"value", l.value}, {"name", l.name}};
    json values = json::object();
    for (const auto& f : g.figures) values[f.metric] = ToJson(f);
    groups.push_back({{"group", std::move(key)}, {"values", std::move(values)}});
  }
  return {{"from", r.from}, {"to", r.to}, {"time_zone", r.time_zone}, {"grain", r.grain ? json(GrainName(*r.grain)) : json(nullptr)},
          {"group_by", r.group_by}, {"metrics", std::move(metrics)}, {"groups", std::move(groups)}};
}

}  // namespace keel::metrics
