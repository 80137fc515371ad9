// Internal to the AI service's files (service.cc, scoring.cc, training.cc, monitoring.cc,
// jobs.cc): the state behind AiService and the helpers they share. Not part of the part's face.
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "ai/actions.h"
#include "ai/contact_time.h"
#include "ai/features.h"
#include "ai/lookalike.h"
#include "ai/service.h"
#include "ai/tabular.h"
#include "ai/xgb.h"
#include "common/time.h"
#include "events/consumer.h"

namespace keel::ai {

using json = nlohmann::json;
using domain::Principal;

inline constexpr const char* kConsumerName = "ai";  // the rescoring consumer's cursor name

inline constexpr TimeMs kDayMs = 86400000;

inline Status Forbidden() {
  return Status::Error(ErrorKind::kForbidden, "auth.forbidden", "only admin and hq_ops may train or change models",
                       "只有管理员和销售运营可以训练或切换模型");
}
inline bool CanManage(const Principal& p) { return p.role == domain::Role::kAdmin || p.role == domain::Role::kHqOps; }

inline Result<Target> TargetOf(const std::string& s) {
  Target t;
  if (!ParseTarget(s, &t)) {
    return Status::Error(ErrorKind::kNotFound, "ai.target", "no model kind '" + s + "' (lead or opportunity)",
                         "没有模型类型 '" + s + "'（lead 或 opportunity）", "target");
  }
  return t;
}

inline const char* EntityOf(Target t) { return t == Target::kLead ? "leads" : "opportunities"; }

inline double Round(double v, double unit) { return std::round(v / unit) * unit; }

// The acting user, none for the system.
inline std::optional<int64_t> UserOf(const Principal& p) { return p.user_id ? std::optional<int64_t>(p.user_id) : std::nullopt; }

// A loaded active model.
// A promoted dataset model (PromoteDatasetModel): its columns read from the lead/deal features
// the admin mapped them to.
struct DatasetAdapter {
  Encoder encoder;
  std::vector<size_t> feature_of_column;  // index in the spec's defs() per encoder column
  std::vector<std::pair<std::string, std::string>> names;  // per column, as a person reads it (zh, en)

  // One value per encoder column from a record's features.
  std::vector<std::string> Values(const FeatureSpec& spec, const RawFeatures& raw) const;
};

struct Active {
  int version = 0;
  Booster booster;
  FeatureSpec spec;  // the features computed for a record (a dataset model: those it was mapped to)
  json card;  // the model card as stored with the version (a document the model writes)
  double band_a = 1, band_b = 1, band_c = 1;  // probability thresholds
  std::shared_ptr<const DatasetAdapter> dataset;  // set for a promoted dataset model

  // The booster's columns, and a record's features encoded for it.
  size_t Columns() const { return dataset ? dataset->encoder.feature_names.size() : spec.columns(); }
  void Encode(const RawFeatures& raw, float* row) const {
    if (dataset) dataset->encoder.EncodeRow(dataset->Values(spec, raw), row);
    else spec.Encode(raw, row);
  }
};

inline bool SameCustom(const std::vector<CustomFeature>& a, const std::vector<CustomFeature>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].entity != b[i].entity || a[i].name != b[i].name || a[i].type != b[i].type) return false;
  }
  return true;
}

inline std::string BandOf(const Active& m, double p) {
  if (p >= m.band_a) return "A";
  if (p >= m.band_b) return "B";
  if (p >= m.band_c) return "C";
  return "D";
}

struct AiService::Impl : events::ConsumerHandler {
  store::Database& db;
  domain::RecordService& records;
  const Clock& clock;
  AiOptions opt;

  std::mutex mu;
  // Active models (null = none), re-checked against the store after a minute so that a model
  // trained or rolled back by another process is picked up; `generation` guards against a load
  // that started before a Forget() storing a stale model after it. Guarded by mu.
  struct Cached {
    std::shared_ptr<Active> model;
    TimeMs checked = 0;
  };
  std::map<std::pair<int64_t, Target>, Cached> active;
  std::map<std::pair<int64_t, Target>, uint64_t> generation;
  std::mutex score_mu;  // one scoring write at a time, so a rollback's rescoring is never overtaken
  // Owners' past outcomes per tenant and target, refreshed after 10 minutes (guarded by mu).
  std::map<std::pair<int64_t, Target>, std::pair<TimeMs, std::shared_ptr<const OwnerOutcomes>>> owners;
  std::map<int64_t, std::pair<TimeMs, std::shared_ptr<const ContactStats>>> contact;  // guarded by mu
  std::map<int64_t, std::pair<TimeMs, std::shared_ptr<const ai::Lookalikes>>> lookalikes;  // guarded by mu
  std::atomic<int64_t> rescored{0}, batches{0}, jobs_done{0}, signals_handled{0};
  TimeMs last_nightly_check = 0;
  std::map<int64_t, TimeMs> last_plan;  // worker thread only
  alerts::AlertEngine* alerts = nullptr;
  AiService* self = nullptr;
  ActionPlanner planner;

  Impl(store::Database& d, domain::RecordService& r, const Clock& c, AiOptions o)
      : db(d), records(r), clock(c), opt(std::move(o)), planner(d, r, c, opt.actions) {}

  Result<std::shared_ptr<Active>> ActiveModel(int64_t tenant, Target target);
  void Forget(int64_t tenant, Target target) {
    std::lock_guard lock(mu);
    active.erase({tenant, target});
    generation[{tenant, target}]++;
  }
  Result<std::shared_ptr<const OwnerOutcomes>> Owners(store::Connection& conn, int64_t tenant, Target target) {
    TimeMs now = clock.NowMs();
    {
      std::lock_guard lock(mu);
      auto it = owners.find({tenant, target});
      if (it != owners.end() && now - it->second.first < 600000) return it->second.second;
    }
    KEEL_ASSIGN_OR_RETURN(auto o, OwnerOutcomes::Load(conn, tenant, target));
    std::lock_guard lock(mu);
    owners[{tenant, target}] = {now, o};
    return o;
  }
  // A dataset's trained model, stored as its next version; `card` gets the version.
  Status StoreDatasetModel(int64_t tenant, int64_t dataset, const TabularModel& m, std::optional<int64_t> user, json* card);
  Result<int> StoreVersion(int64_t tenant, Target target, bool promote, json& card, const std::string& spec, const std::string& model,
                           int64_t actor);
  Result<std::vector<Score>> ScoreNow(int64_t tenant, Target target, const History& h, const std::vector<int64_t>& ids);
  // events::ConsumerHandler: rescoring what the events touch; the nightly batch and the hourly
  // planner in Tick.
  Status Process(int64_t tenant, std::span<const events::Event> evs) override;
  void Tick() override {
    if (opt.periodic) Nightly();
  }
  void Nightly();
  Status SetJob(int64_t tenant, int64_t id, const std::string& status, double progress, const std::string& message,
                const json* result = nullptr);
  Result<JobView> NewJob(const Principal& p, const std::string& kind, const std::string& target);

  // Last: stopped (its thread joined) before anything above is destroyed.
  events::Consumer consumer{db, *this, clock, {.name = kConsumerName, .batch = 5000}};
};

}  // namespace keel::ai
