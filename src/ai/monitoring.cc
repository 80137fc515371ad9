// The AI service: monitoring of the active models (drift, bands, realised success) and the daily drift check.
#include "ai/service_impl.h"

#include "ai/drift.h"
#include "ai/store.h"
#include "alerts/engine.h"
#include "common/tz.h"

namespace keel::ai {

namespace {

// Today's open records against the card's reference.
Result<json> DriftNow(store::Connection& conn, int64_t tenant, Target target, const Active& m, const Clock& clock,
                      json* bands_now) {
  KEEL_ASSIGN_OR_RETURN(History h, History::Load(conn, tenant, target, {}, nullptr, &m.spec.custom));
  std::vector<int64_t> open = h.OpenIds();
  std::vector<RawFeatures> raws(open.size());
  Matrix x(open.size(), m.Columns());
  TimeMs now = clock.NowMs();
  for (size_t i = 0; i < open.size(); ++i) {
    h.At(open[i], now, &raws[i]);
    m.Encode(raws[i], x.row(i));
  }
  KEEL_ASSIGN_OR_RETURN(std::vector<float> p, m.booster.Predict(x));
  if (bands_now) {
    *bands_now = {{"A", 0}, {"B", 0}, {"C", 0}, {"D", 0}};
    for (float v : p) {
      std::string b = BandOf(m, v);
      (*bands_now)[b] = (*bands_now)[b].get<int>() + 1;
    }
  }
  if (!m.card.contains("reference")) return json{{"note", "this model version has no reference population; retrain it"}};
  return CompareToReference(m.spec.defs(), m.card["reference"], raws, p);
}

}  // namespace

Result<MonitoringView> AiService::Monitoring(const Principal& p, const std::string& target_name) {
  KEEL_ASSIGN_OR_RETURN(Target target, TargetOf(target_name));
  KEEL_ASSIGN_OR_RETURN(auto m, impl_->ActiveModel(p.tenant_id, target));
  if (!m) {
    return Status::Error(ErrorKind::kNotFound, "ai.no_model", "there is no active model to monitor yet", "尚无可监控的启用模型", "target");
  }
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  json bands_now;
  KEEL_ASSIGN_OR_RETURN(json drift, DriftNow(*conn, p.tenant_id, target, *m, impl_->clock, &bands_now));
  // Realised success by band: each record resolved in the last 6 months, scored as it stood a
  // week before its resolution.
  KEEL_ASSIGN_OR_RETURN(History h, History::Load(*conn, p.tenant_id, target, {}, nullptr, &m->spec.custom));
  TimeMs now = impl_->clock.NowMs();
  std::vector<Example> resolved;
  for (auto& e : h.TrainingExamples()) {
    if (e.resolved >= now - 183 * kDayMs && (resolved.empty() || resolved.back().id != e.id)) resolved.push_back(e);
  }
  Matrix x(resolved.size(), m->Columns());
  for (size_t i = 0; i < resolved.size(); ++i) {
    TimeMs at = std::max(resolved[i].resolved - 7 * kDayMs, resolved[i].at);
    RawFeatures raw;
    h.At(resolved[i].id, at, &raw);
    m->Encode(raw, x.row(i));
  }
  KEEL_ASSIGN_OR_RETURN(std::vector<float> rp, m->booster.Predict(x));
  std::map<std::string, std::map<std::string, std::pair<int, int>>> by_month;  // month → band → (records, successes)
  for (size_t i = 0; i < resolved.size(); ++i) {
    std::string month = FormatTimestamp(resolved[i].resolved).substr(0, 7);
    auto& cell = by_month[month][BandOf(*m, rp[i])];
    cell.first++;
    cell.second += resolved[i].label > 0.5 ? 1 : 0;
  }
  // Months the model learned from are marked: their figures are in-sample and flatter it.
  std::string trained_until = m->card.value("data", json::object()).value("resolved_until", "").substr(0, 7);
  json realised = json::array();
  for (const auto& [month, bands] : by_month) {
    json row = {{"month", month}, {"in_training_data", month <= trained_until}};
    for (const auto& [band, c] : bands) row[band] = {{"records", c.first}, {"rate", Round(static_cast<double>(c.second) / c.first, 0.001)}};
    realised.push_back(row);
  }
  KEEL_ASSIGN_OR_RETURN(auto hist, repo::DriftHistory(*conn, p.tenant_id, TargetName(target)));
  MonitoringView out;
  out.target = TargetName(target);
  out.model_version = m->version;
  out.drift = std::move(drift);
  for (const auto& [band, n] : bands_now.items()) out.bands_now[band] = n.get<int>();
  out.band_thresholds = m->card.contains("bands") ? m->card["bands"] : json(nullptr);
  out.realised_by_band = std::move(realised);
  for (const auto& r : hist) out.history.push_back({r.day, r.model_version, r.max_psi});
  return out;
}

Result<std::map<std::string, DriftSummary>> AiService::CheckDrift(int64_t tenant) {
  std::map<std::string, DriftSummary> out;
  std::string day = FormatTimestamp(impl_->clock.NowMs()).substr(0, 10);
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(std::optional<std::string> zone, repo::TenantTimeZone(*conn, tenant));
    if (zone) {
      if (auto z = TimeZone::Load(*zone); z.ok()) {
        TimeMs local = (*z)->ToLocal(impl_->clock.NowMs());
        day = FormatDate(local / kDayMs);
      }
    }
  }
  for (Target target : {Target::kLead, Target::kOpportunity}) {
    KEEL_ASSIGN_OR_RETURN(auto m, impl_->ActiveModel(tenant, target));
    if (!m || !m->card.contains("reference")) continue;
    json drift;
    double max_psi = 0;
    {
      KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
      KEEL_ASSIGN_OR_RETURN(drift, DriftNow(*conn, tenant, target, *m, impl_->clock, nullptr));
      max_psi = drift.value("max_psi", 0.0);
      KEEL_RETURN_IF_ERROR(repo::UpsertDrift(*conn, tenant, TargetName(target), {day, m->version, max_psi}, drift.dump(),
                                             FormatTimestamp(impl_->clock.NowMs())));
    }
    if (max_psi > kDriftAlertPsi && impl_->alerts) {
      alerts::AlertEngine::Raised a;
      a.rule = "model.drift";
      a.key = std::string(TargetName(target)) + ":v" + std::to_string(m->version);
      a.label_zh = "模型漂移";
      a.label_en = "Model drift";
      std::string names = drift["drifted"].dump();
      a.summary_zh = std::string(target == Target::kLead ? "线索" : "商机") + "评分模型 v" + std::to_string(m->version) +
                     " 的输入分布已明显变化（PSI 最高 " + std::to_string(Round(max_psi, 0.01)).substr(0, 4) + "，涉及 " + names + "），建议重新训练";
      a.summary_en = std::string(TargetName(target)) + " model v" + std::to_string(m->version) + " sees a shifted population (max PSI " +
                     std::to_string(Round(max_psi, 0.01)).substr(0, 4) + " in " + names + "); retrain it";
      a.severity = alerts::Severity::kWarning;
      a.labels = {{"model", {TargetName(target), TargetName(target)}}};
      a.notify = "hq";
      KEEL_RETURN_IF_ERROR(impl_->alerts->Raise(tenant, a).status());
    }
    out[TargetName(target)] = {m->version, max_psi, drift.contains("drifted") ? drift["drifted"] : json(nullptr)};
  }
  return out;
}

}  // namespace keel::ai
