#include "alerts/json.h"

namespace keel::alerts {
namespace {

using json = nlohmann::json;

std::string TextOf(const json& v) { return v.is_string() ? v.get<std::string>() : v.is_null() ? "" : v.dump(); }

}  // namespace

json ToJson(const AlertLabels& labels) {
  json out = json::object();
  for (const auto& [dim, l] : labels) out[dim] = {{"value", l.value}, {"name", l.name}};
  return out;
}

AlertLabels ParseLabels(const std::string& text) {
  AlertLabels out;
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return out;
  for (const auto& [dim, l] : j.items()) {
    if (!l.is_object()) continue;
    out[dim] = {TextOf(l.value("value", json(nullptr))), TextOf(l.value("name", json(nullptr)))};
  }
  return out;
}

json ToJson(const AlertChange& a) {
  if (a.duplicate) return {{"id", a.id}, {"rule", a.rule}, {"state", a.state}, {"duplicate", true}};
  auto id_or_null = [](const std::optional<int64_t>& v) { return v ? json(*v) : json(nullptr); };
  json j = {{"id", a.id}, {"rule", a.rule}, {"severity", a.severity}, {"state", a.state}, {"labels", ToJson(a.labels)},
            {"value", a.value ? json(*a.value) : json(nullptr)}, {"summary", a.summary}, {"summary_en", a.summary_en},
            {"label", a.label}, {"label_en", a.label_en}};
  if (a.state == "resolved") {
    j["resolved_at"] = a.resolved_at;
  } else {
    j["unit_id"] = id_or_null(a.unit_id);
    j["owner_id"] = id_or_null(a.owner_id);
    j["started_at"] = a.started_at;
  }
  if (a.muted) j["muted"] = *a.muted;
  return j;
}

}  // namespace keel::alerts
