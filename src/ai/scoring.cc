// The AI service: active models, scores with their reasons, rescoring on events and the nightly batch.
#include "ai/service_impl.h"

#include <spdlog/spdlog.h>

#include "ai/explain.h"
#include "ai/store.h"
#include "common/crypto.h"
#include "common/tz.h"
#include "domain/schema.h"
#include "events/event_log.h"
#include "events/lease.h"
#include "store/tenant_scope.h"

namespace keel::ai {

namespace {

// Reasons from one row of SHAP contributions: grouped by feature (a categorical feature's
// one-hot columns add up), turned into points on the 0-100 scale that sum to score − base
// (explain.h: the top three each way and "other factors").
json Reasons(const FeatureSpec& spec, const std::vector<int>& col_feature, const float* contrib, size_t cols,
             const RawFeatures& raw, double p) {
  const auto& defs = spec.defs();
  std::vector<double> by_feature(defs.size(), 0.0);
  for (size_t c = 0; c < cols; ++c) by_feature[static_cast<size_t>(col_feature[c])] += contrib[c];
  std::vector<Contribution> items;
  for (size_t f = 0; f < defs.size(); ++f) {
    Contribution c;
    c.feature = defs[f].name;
    c.logit = by_feature[f];
    c.value = defs[f].categorical ? json(raw.text[f]) : (std::isnan(raw.num[f]) ? json(nullptr) : json(Round(raw.num[f], 0.01)));
    c.zh = Phrase(spec, f, raw, "zh");
    c.en = Phrase(spec, f, raw, "en");
    if (c.zh.empty()) {
      c.zh = defs[f].zh;
      c.en = defs[f].en;
    }
    items.push_back(std::move(c));
  }
  return ExplainPoints(items, contrib[cols], p);
}

// A promoted dataset model's stored adapter: {encoder, mapping: {column: feature}, …}.
Result<std::shared_ptr<const DatasetAdapter>> LoadAdapter(const json& j, const FeatureSpec& spec) {
  auto a = std::make_shared<DatasetAdapter>();
  KEEL_ASSIGN_OR_RETURN(a->encoder, Encoder::FromJson(j.value("encoder", json::object())));
  const json mapping = j.value("mapping", json::object());
  for (const auto& col : a->encoder.columns) {
    std::string feature = mapping.value(col.name, "");
    size_t f = 0;
    while (f < spec.defs().size() && spec.defs()[f].name != feature) ++f;
    if (f == spec.defs().size()) return Status::Internal("the mapped feature '" + feature + "' of column '" + col.name + "' is gone");
    a->feature_of_column.push_back(f);
    a->names.emplace_back(col.name + "（" + spec.defs()[f].zh + "）", col.name + " (" + spec.defs()[f].en + ")");
  }
  return std::shared_ptr<const DatasetAdapter>(std::move(a));
}

}  // namespace

std::vector<std::string> DatasetAdapter::Values(const FeatureSpec& spec, const RawFeatures& raw) const {
  std::vector<std::string> out;
  out.reserve(feature_of_column.size());
  for (size_t f : feature_of_column) {
    if (f >= raw.num.size() || f >= raw.text.size()) {
      out.emplace_back();  // features computed for another set of custom fields: unknown
    } else if (spec.defs()[f].categorical) {
      out.push_back(raw.text[f]);
    } else if (std::isnan(raw.num[f])) {
      out.emplace_back();
    } else {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.10g", raw.num[f]);
      out.emplace_back(buf);
    }
  }
  return out;
}

Result<std::shared_ptr<Active>> AiService::Impl::ActiveModel(int64_t tenant, Target target) {
  TimeMs now = clock.NowMs();
  std::pair<int64_t, Target> key{tenant, target};
  std::shared_ptr<Active> cached;
  bool have = false;
  uint64_t gen;
  {
    std::lock_guard lock(mu);
    auto it = active.find(key);
    if (it != active.end()) {
      if (now - it->second.checked < 60000) return it->second.model;
      cached = it->second.model;
      have = true;
    }
    gen = generation[key];
  }
  KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
  KEEL_ASSIGN_OR_RETURN(int version, repo::ActiveVersion(*conn, tenant, TargetName(target)));
  std::shared_ptr<Active> m;
  if (have && (cached ? cached->version : 0) == version) {
    m = cached;  // unchanged
  } else if (version) {
    KEEL_ASSIGN_OR_RETURN(std::optional<repo::ModelRow> row, repo::LoadActiveModel(*conn, tenant, TargetName(target)));
    if (row) {
      auto loaded = std::make_shared<Active>();
      loaded->version = row->version;
      loaded->card = json::parse(row->card, nullptr, false);
      json spec = json::parse(row->spec, nullptr, false);
      auto fs = FeatureSpec::FromJson(spec.is_object() && spec.contains("dataset") ? spec["features"] : spec);
      if (fs.ok() && spec.contains("dataset")) {
        auto adapter = LoadAdapter(spec["dataset"], *fs);
        if (adapter.ok()) loaded->dataset = std::move(adapter).value();
        else fs = adapter.status();
      }
      std::string bytes;
      Result<Booster> booster = Status::Internal("stored model is not base64");
      if (Base64UrlDecode(row->model, &bytes)) booster = Booster::Load(bytes);
      // A model this build cannot feed (other feature version or columns) is treated as absent:
      // no score is invented from it, and training a new version replaces it.
      size_t columns = loaded->dataset ? loaded->dataset->encoder.feature_names.size() : fs.ok() ? fs->columns() : 0;
      if (!loaded->card.is_object() || !fs.ok() || !booster.ok() || booster->num_features() != columns) {
        spdlog::warn("ai: tenant {} {} model v{} cannot be used by this build ({}); retrain it", tenant, TargetName(target),
                     loaded->version, !fs.ok() ? fs.status().ToString() : !booster.ok() ? booster.status().ToString() : "feature count");
      } else {
        loaded->spec = std::move(fs).value();
        loaded->booster = std::move(booster).value();
        const json bands = loaded->card.value("bands", json::object());
        loaded->band_a = bands.value("A", 1.0);
        loaded->band_b = bands.value("B", 1.0);
        loaded->band_c = bands.value("C", 1.0);
        m = std::move(loaded);
      }
    }
  }
  std::lock_guard lock(mu);
  if (generation[key] == gen) active[key] = {m, now};
  return m;
}

Result<std::vector<Score>> AiService::Impl::ScoreNow(int64_t tenant, Target target, const History& h,
                                                  const std::vector<int64_t>& ids) {
  std::vector<Score> out;
  std::lock_guard scoring(score_mu);
  KEEL_ASSIGN_OR_RETURN(std::shared_ptr<Active> m, ActiveModel(tenant, target));
  if (!m || ids.empty()) return out;
  TimeMs now = clock.NowMs();
  // The features must be the model's: a history loaded with other custom fields is reloaded.
  std::optional<History> reloaded;
  if (!SameCustom(h.custom(), m->spec.custom)) {
    KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
    KEEL_ASSIGN_OR_RETURN(auto owners_now, Owners(*conn, tenant, target));
    KEEL_ASSIGN_OR_RETURN(reloaded, History::Load(*conn, tenant, target, ids, owners_now, &m->spec.custom));
  }
  const History& hm = reloaded ? *reloaded : h;
  std::vector<int> col_feature = m->spec.column_feature();
  size_t cols = m->Columns();
  std::string now_text = FormatTimestamp(now);
  for (size_t from = 0; from < ids.size(); from += 2000) {
    size_t n = std::min<size_t>(2000, ids.size() - from);
    Matrix x(n, cols);
    std::vector<RawFeatures> raws(n);
    for (size_t i = 0; i < n; ++i) {
      hm.At(ids[from + i], now, &raws[i]);
      m->Encode(raws[i], x.row(i));
    }
    KEEL_ASSIGN_OR_RETURN(std::vector<float> p, m->booster.Predict(x));
    KEEL_ASSIGN_OR_RETURN(std::vector<float> contrib, m->booster.Contributions(x));
    KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
    KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
    for (size_t i = 0; i < n; ++i) {
      Score s;
      s.record_id = ids[from + i];
      s.model_version = m->version;
      s.probability = p[i];
      s.score = static_cast<int>(std::lround(100.0 * p[i]));
      s.band = BandOf(*m, p[i]);
      s.reasons = m->dataset ? ExplainRow(m->dataset->encoder, contrib.data() + i * (cols + 1), m->dataset->Values(m->spec, raws[i]), p[i],
                                          m->dataset->names)
                             : Reasons(m->spec, col_feature, contrib.data() + i * (cols + 1), cols, raws[i], p[i]);
      // The score and the record's own computed column (no event: a score is not a business fact).
      repo::ScoreRow row{s.record_id, s.model_version, s.probability, s.score, s.band, s.reasons.dump(), now_text};
      double column = target == Target::kLead ? static_cast<double>(s.score) : Round(s.probability, 0.0001);
      KEEL_RETURN_IF_ERROR(repo::WriteScore(*conn, tenant, TargetName(target), row, hm.OwnerOf(s.record_id), column));
      out.push_back(std::move(s));
    }
    KEEL_RETURN_IF_ERROR(tx.Commit());
  }
  rescored.fetch_add(static_cast<int64_t>(out.size()));
  return out;
}

// A tenant's new events → the leads and deals they touch → rescored (events::ConsumerHandler).
Status AiService::Impl::Process(int64_t tenant, std::span<const events::Event> evs) {
  KEEL_ASSIGN_OR_RETURN(auto lead_model, ActiveModel(tenant, Target::kLead));
  KEEL_ASSIGN_OR_RETURN(auto deal_model, ActiveModel(tenant, Target::kOpportunity));
  std::set<int64_t> leads, deals, customers;
  std::vector<int64_t> signal_ids;
  for (const auto& e : evs) {
    if (e.entity == "signals" && e.type == "signal.received") signal_ids.push_back(e.entity_id);
    if (e.entity == "leads") leads.insert(e.entity_id);
    else if (e.entity == "opportunities") deals.insert(e.entity_id);
    else if (e.entity == "activities" || e.entity == "signals") {
      json p = json::parse(e.payload, nullptr, false);
      if (!p.is_object()) continue;
      const json r = p.contains("record") && p["record"].is_object() ? p["record"] : p;
      if (r.value("lead_id", json()).is_number_integer()) leads.insert(r["lead_id"].get<int64_t>());
      if (r.value("opportunity_id", json()).is_number_integer()) deals.insert(r["opportunity_id"].get<int64_t>());
      if (e.entity == "signals" && r.value("customer_id", json()).is_number_integer()) customers.insert(r["customer_id"].get<int64_t>());
    }
  }
  if (!customers.empty()) {
    KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
    for (int64_t c : customers) {
      KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> open, repo::OpenDealsOf(*conn, tenant, c));
      deals.insert(open.begin(), open.end());
    }
  }
  // Each step holds at most one pooled connection at a time.
  auto run = [&](Target target, const std::set<int64_t>& ids, bool has_model) -> Status {
    if (!has_model || ids.empty()) return Status();
    std::vector<int64_t> list(ids.begin(), ids.end());
    std::optional<History> h;
    {
      KEEL_ASSIGN_OR_RETURN(auto m, ActiveModel(tenant, target));
      KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
      KEEL_ASSIGN_OR_RETURN(auto owners_now, Owners(*conn, tenant, target));
      KEEL_ASSIGN_OR_RETURN(h, History::Load(*conn, tenant, target, list, owners_now, m ? &m->spec.custom : nullptr));
    }
    return ScoreNow(tenant, target, *h, h->OpenIds()).status();
  };
  KEEL_RETURN_IF_ERROR(run(Target::kLead, leads, lead_model != nullptr));
  KEEL_RETURN_IF_ERROR(run(Target::kOpportunity, deals, deal_model != nullptr));
  if (!signal_ids.empty()) {
    auto done = planner.OnSignals(tenant, signal_ids);
    if (!done.ok()) spdlog::warn("ai: signals of tenant {}: {}", tenant, done.status().ToString());
    signals_handled.fetch_add(static_cast<int64_t>(signal_ids.size()));
  }
  return Status();
}

// Once a day after the tenant's local `nightly_hour`: every open record is rescored (ages and
// recency move even when nothing happens).
void AiService::Impl::Nightly() {
  TimeMs now = clock.NowMs();
  if (now - last_nightly_check < 60000) return;
  last_nightly_check = now;
  std::vector<int64_t> tenants;
  std::vector<repo::ModelledTenant> modelled;
  {
    auto conn = db.Acquire();
    if (!conn.ok()) return;
    if (auto rows = repo::ActiveTenants(**conn); rows.ok()) tenants = std::move(rows).value();
    if (auto rows = repo::ModelledTenants(**conn); rows.ok()) modelled = std::move(rows).value();
  }
  // Next best actions, hourly per tenant.
  events::Leases* leases = events::AttachedLeases(db);  // several nodes: each period's run once
  for (int64_t tenant : tenants) {
    if (now - last_plan[tenant] < 3600000) continue;
    last_plan[tenant] = now;
    store::TenantScope scope(tenant);  // the run sees and writes only this tenant's rows
    if (leases) {
      auto mine = leases->Claim(tenant, "ai.plan", std::to_string(now / 3600000));  // the UTC hour
      if (!mine.ok() || !*mine) continue;
    }
    auto planned = planner.Plan(tenant);
    if (!planned.ok()) spdlog::warn("ai: planning actions of tenant {} failed: {}", tenant, planned.status().ToString());
  }
  for (const auto& [tenant, zone, last_day] : modelled) {
    auto tz = TimeZone::Load(zone);
    if (!tz.ok()) continue;
    TimeMs local = (*tz)->ToLocal(now);
    std::string day = FormatDate(local / kDayMs - (local < 0 ? 1 : 0));
    int hour = static_cast<int>((local % kDayMs) / 3600000);
    if (hour < opt.nightly_hour || last_day == day) continue;
    store::TenantScope scope(tenant);
    if (leases) {
      auto mine = leases->Claim(tenant, "ai.nightly", day);
      if (!mine.ok() || !*mine) continue;
    }
    for (Target target : {Target::kLead, Target::kOpportunity}) {
      auto scored = self->ScoreAll(tenant, target);
      if (!scored.ok()) spdlog::warn("ai: nightly scoring of tenant {} failed: {}", tenant, scored.status().ToString());
    }
    if (auto d = self->CheckDrift(tenant); !d.ok()) spdlog::warn("ai: drift check of tenant {} failed: {}", tenant, d.status().ToString());
    auto conn = db.Acquire();
    if (!conn.ok()) return;
    auto head = events::LastSeq(**conn, tenant);
    (void)repo::SetBatchDay(**conn, tenant, head.ok() ? *head : int64_t{0}, day, FormatTimestamp(now));
    batches.fetch_add(1);
  }
}

Result<int64_t> AiService::ScoreAll(int64_t tenant, Target target) {
  std::optional<History> h;
  {
    KEEL_ASSIGN_OR_RETURN(auto m, impl_->ActiveModel(tenant, target));
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(h, History::Load(*conn, tenant, target, {}, nullptr, m ? &m->spec.custom : nullptr));
  }
  KEEL_ASSIGN_OR_RETURN(std::vector<Score> s, impl_->ScoreNow(tenant, target, *h, h->OpenIds()));
  return static_cast<int64_t>(s.size());
}

Result<std::vector<Score>> AiService::ScoreRecords(int64_t tenant, Target target, const std::vector<int64_t>& ids) {
  std::optional<History> h;
  {
    KEEL_ASSIGN_OR_RETURN(auto m, impl_->ActiveModel(tenant, target));
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(auto owners, impl_->Owners(*conn, tenant, target));
    KEEL_ASSIGN_OR_RETURN(h, History::Load(*conn, tenant, target, ids, owners, m ? &m->spec.custom : nullptr));
  }
  return impl_->ScoreNow(tenant, target, *h, h->OpenIds());
}

Result<ScoreView> AiService::ScoreOf(const Principal& p, const std::string& target_name, int64_t id) {
  KEEL_ASSIGN_OR_RETURN(Target target, TargetOf(target_name));
  // The record must be visible to the caller (the same 404 as reading it).
  KEEL_ASSIGN_OR_RETURN(json record, impl_->records.Get(p, *domain::FindEntity(EntityOf(target)), id));
  std::optional<repo::ScoreRow> stored;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(stored, repo::LoadScore(*conn, p.tenant_id, TargetName(target), id));
  }
  if (!stored) {
    KEEL_ASSIGN_OR_RETURN(auto m, impl_->ActiveModel(p.tenant_id, target));
    std::string en = m ? "this record has no score (it is closed, or not scored yet)"
                       : "no score: there is no trained model yet (not enough history)";
    std::string zh = m ? "该记录暂无评分（已关闭或尚未评分）" : "暂无评分：尚无训练好的模型（历史数据不足）";
    ScoreView none;
    none.record_id = id;
    none.target = TargetName(target);
    none.message = en;
    none.message_zh = zh;
    return none;
  }
  const repo::ScoreRow& r = *stored;
  json reasons = json::parse(r.reasons, nullptr, false);
  if (!reasons.is_object()) reasons = {{"positive", json::array()}, {"negative", json::array()}};
  bool en = p.locale.rfind("en", 0) == 0;
  ScoreView v;
  v.record_id = id;
  v.target = TargetName(target);
  v.model_version = r.model_version;
  v.probability = Round(r.probability, 0.0001);
  v.score = r.score;
  v.band = r.band;
  v.computed_at = r.computed_at;
  for (const char* side : {"positive", "negative"}) {
    for (const auto& x : reasons[side]) v.summary.push_back(x[en ? "text_en" : "text_zh"].get<std::string>());
  }
  // The rest, so the lines add up to score − base (scores stored before it have none).
  if (reasons.contains("other") && std::fabs(reasons["other"].value("points", 0.0)) >= 0.5) {
    v.summary.push_back(reasons["other"][en ? "text_en" : "text_zh"].get<std::string>());
  }
  v.reasons = std::move(reasons);
  return v;
}

}  // namespace keel::ai
