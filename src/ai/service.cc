#include "ai/service.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <numeric>
#include <optional>
#include <set>
#include <thread>

#include <spdlog/spdlog.h>

#include "ai/contact_time.h"
#include "ai/drift.h"
#include "ai/lookalike.h"
#include "alerts/engine.h"
#include "ai/evaluate.h"
#include "ai/store.h"
#include "ai/tabular.h"
#include "common/crypto.h"
#include "common/tz.h"
#include "domain/audit.h"
#include "domain/schema.h"
#include "events/consumer.h"
#include "events/event_log.h"
#include "events/store.h"

namespace keel::ai {
namespace {

using json = nlohmann::json;
using domain::Principal;

constexpr TimeMs kDayMs = 86400000;

Status Forbidden() {
  return Status::Error(ErrorKind::kForbidden, "auth.forbidden", "only admin and hq_ops may train or change models",
                       "只有管理员和销售运营可以训练或切换模型");
}
bool CanManage(const Principal& p) { return p.role == domain::Role::kAdmin || p.role == domain::Role::kHqOps; }

Result<Target> TargetOf(const std::string& s) {
  Target t;
  if (!ParseTarget(s, &t)) {
    return Status::Error(ErrorKind::kNotFound, "ai.target", "no model kind '" + s + "' (lead or opportunity)",
                         "没有模型类型 '" + s + "'（lead 或 opportunity）", "target");
  }
  return t;
}

const char* EntityOf(Target t) { return t == Target::kLead ? "leads" : "opportunities"; }

double Round(double v, double unit) { return std::round(v / unit) * unit; }

// The acting user, none for the system.
std::optional<int64_t> UserOf(const Principal& p) { return p.user_id ? std::optional<int64_t>(p.user_id) : std::nullopt; }

// A loaded active model.
struct Active {
  int version = 0;
  Booster booster;
  FeatureSpec spec;
  json card;
  double band_a = 1, band_b = 1, band_c = 1;  // probability thresholds
};

bool SameCustom(const std::vector<CustomFeature>& a, const std::vector<CustomFeature>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].entity != b[i].entity || a[i].name != b[i].name || a[i].type != b[i].type) return false;
  }
  return true;
}

std::string BandOf(const Active& m, double p) {
  if (p >= m.band_a) return "A";
  if (p >= m.band_b) return "B";
  if (p >= m.band_c) return "C";
  return "D";
}

// Reasons from one row of SHAP contributions: grouped by feature (a categorical feature's
// one-hot columns add up), turned into points on the 0-100 scale that sum to score − base.
json Reasons(const FeatureSpec& spec, const std::vector<int>& col_feature, const float* contrib, size_t cols,
             const RawFeatures& raw, double p) {
  const auto& defs = spec.defs();
  std::vector<double> by_feature(defs.size(), 0.0);
  for (size_t c = 0; c < cols; ++c) by_feature[static_cast<size_t>(col_feature[c])] += contrib[c];
  double bias = contrib[cols];
  double base = 100.0 / (1.0 + std::exp(-bias));
  double total = std::accumulate(by_feature.begin(), by_feature.end(), 0.0);
  double span = 100.0 * p - base;
  std::vector<std::pair<double, size_t>> points;
  for (size_t f = 0; f < defs.size(); ++f) {
    double pts = std::fabs(total) > 1e-6 ? by_feature[f] / total * span : by_feature[f] * 100.0 * p * (1 - p);
    points.push_back({pts, f});
  }
  std::sort(points.begin(), points.end(), [](const auto& a, const auto& b) { return std::fabs(a.first) > std::fabs(b.first); });
  json pos = json::array(), neg = json::array();
  for (const auto& [pts, f] : points) {
    if (std::fabs(pts) < 0.5) break;
    json& list = pts > 0 ? pos : neg;
    if (list.size() >= 3) continue;
    std::string zh = Phrase(spec, f, raw, "zh"), en = Phrase(spec, f, raw, "en");
    if (zh.empty()) {
      zh = defs[f].zh;
      en = defs[f].en;
    }
    long rounded = std::lround(pts);
    std::string sign = rounded >= 0 ? "+" : "";
    list.push_back({{"feature", defs[f].name},
                    {"points", Round(pts, 0.1)},
                    {"value", defs[f].categorical ? json(raw.text[f]) : (std::isnan(raw.num[f]) ? json(nullptr) : json(Round(raw.num[f], 0.01)))},
                    {"text_zh", zh + " " + sign + std::to_string(rounded) + "分"},
                    {"text_en", en + ", " + sign + std::to_string(rounded) + " points"}});
  }
  return {{"base", Round(base, 0.1)}, {"positive", pos}, {"negative", neg}};
}

}  // namespace

namespace {
constexpr const char* kConsumerName = "ai";  // the rescoring consumer's cursor name
}  // namespace

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
  Result<json> NewJob(const Principal& p, const std::string& kind, const std::string& target);

  // Last: stopped (its thread joined) before anything above is destroyed.
  events::Consumer consumer{db, *this, clock, {.name = kConsumerName, .batch = 5000}};
};

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
      auto fs = FeatureSpec::FromJson(spec);
      std::string bytes;
      Result<Booster> booster = Status::Internal("stored model is not base64");
      if (Base64UrlDecode(row->model, &bytes)) booster = Booster::Load(bytes);
      // A model this build cannot feed (other feature version or columns) is treated as absent:
      // no score is invented from it, and training a new version replaces it.
      if (!loaded->card.is_object() || !fs.ok() || !booster.ok() || booster->num_features() != fs->columns()) {
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
  size_t cols = m->spec.columns();
  std::string now_text = FormatTimestamp(now);
  for (size_t from = 0; from < ids.size(); from += 2000) {
    size_t n = std::min<size_t>(2000, ids.size() - from);
    Matrix x(n, cols);
    std::vector<RawFeatures> raws(n);
    for (size_t i = 0; i < n; ++i) {
      hm.At(ids[from + i], now, &raws[i]);
      m->spec.Encode(raws[i], x.row(i));
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
      s.reasons = Reasons(m->spec, col_feature, contrib.data() + i * (cols + 1), cols, raws[i], p[i]);
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
  for (int64_t tenant : tenants) {
    if (now - last_plan[tenant] < 3600000) continue;
    last_plan[tenant] = now;
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

Status AiService::Impl::SetJob(int64_t tenant, int64_t id, const std::string& status, double progress, const std::string& message,
                               const json* result) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
  std::string now = FormatTimestamp(clock.NowMs());
  bool finished = status == "done" || status == "failed";
  repo::JobUpdate u{status, progress};
  if (!message.empty()) u.message = message;
  if (result) u.result = result->dump();
  if (status == "running") u.started_at = now;
  if (finished) u.finished_at = now;
  return repo::UpdateJob(*conn, tenant, id, u);
}

Result<json> AiService::Impl::NewJob(const Principal& p, const std::string& kind, const std::string& target) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn, true));
  {
    // One tenant cannot fill the queue that every tenant's training waits in.
    KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> mine, repo::UnfinishedJobs(*conn, p.tenant_id));
    if (static_cast<int>(mine.size()) >= opt.jobs_per_tenant) {
      std::string other = std::to_string(mine[0]);
      return Status::Error(ErrorKind::kConflict, "ai.job_running",
                           "job " + other + " of your company is still queued or running; start the next when it is done",
                           "贵公司的任务 " + other + " 仍在排队或运行，请在其完成后再开始新任务", "job_id");
    }
    KEEL_ASSIGN_OR_RETURN(int64_t all, repo::CountUnfinishedJobs(*conn));
    if (all >= opt.jobs_total) {
      return Status::Error(ErrorKind::kUnavailable, "ai.jobs_busy", "the server is training for other companies; try again in a few minutes",
                           "服务器正在为其他企业训练模型，请几分钟后再试");
    }
  }
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
  std::string now = FormatTimestamp(clock.NowMs());
  KEEL_RETURN_IF_ERROR(repo::InsertJob(*conn, p.tenant_id, ids[0], kind, target, now, UserOf(p)));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return json{{"id", ids[0]}, {"kind", kind}, {"target", target}, {"status", "queued"}, {"progress", 0}, {"created_at", now}};
}

AiService::AiService(store::Database& db, domain::RecordService& records, const Clock& clock, AiOptions options)
    : impl_(std::make_unique<Impl>(db, records, clock, std::move(options))) {
  impl_->self = this;
}

AiService::~AiService() { Stop(); }

bool AiService::MayManage(const Principal& p) { return CanManage(p); }

void AiService::Start() {
  // Jobs queued or running when the server last stopped will not run: say so, and free their
  // tenants' slots.
  if (auto conn = impl_->db.Acquire(); conn.ok()) {
    (void)repo::FailInterruptedJobs(**conn, FormatTimestamp(impl_->clock.NowMs()));
  }
  // Every existing tenant's rescoring starts at its log's head (history is scored by batches, and
  // old signals are not news); tenants created later start at their beginning.
  impl_->consumer.Start();
}

void AiService::Stop() { impl_->consumer.Stop(); }

void AiService::Notify(int64_t tenant) { impl_->consumer.Notify(tenant); }

bool AiService::WaitIdle(int64_t timeout_ms) { return impl_->consumer.WaitIdle(timeout_ms); }

AiService::Stats AiService::stats() const {
  return {impl_->rescored.load(), impl_->batches.load(), impl_->jobs_done.load(), impl_->signals_handled.load()};
}

void AiService::SetAlerts(alerts::AlertEngine* alerts) {
  impl_->alerts = alerts;
  impl_->planner.SetAlerts(alerts);
}

Result<json> AiService::PlanActions(const Principal& p) {
  if (!CanManage(p)) return Forbidden();
  return PlanActions(p.tenant_id);
}

Result<json> AiService::PlanActions(int64_t tenant) { return impl_->planner.Plan(tenant); }

Result<json> AiService::Signals(const Principal& p, int64_t customer_id, int limit) {
  KEEL_RETURN_IF_ERROR(impl_->records.Get(p, *domain::FindEntity("customers"), customer_id).status());
  limit = std::clamp(limit, 1, 500);
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto rows, repo::CustomerSignals(*conn, p.tenant_id, customer_id, limit));
  json items = json::array();
  auto text = [](const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); };
  for (const auto& r : rows) {
    items.push_back({{"id", r.id}, {"kind", r.kind}, {"source", r.source}, {"title", r.title}, {"body", text(r.body)}, {"url", text(r.url)},
                     {"sentiment", r.sentiment ? json(*r.sentiment) : json(nullptr)}, {"occurred_at", r.occurred_at}});
  }
  return json{{"items", items}};
}

Result<json> AiService::Lookalikes(const Principal& p, int limit) {
  limit = std::clamp(limit, 1, 200);
  TimeMs now = impl_->clock.NowMs();
  std::shared_ptr<const ai::Lookalikes> l;
  {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->lookalikes.find(p.tenant_id);
    if (it != impl_->lookalikes.end() && now - it->second.first < 3600000) l = it->second.second;
  }
  if (!l) {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(l, ai::Lookalikes::Build(*conn, p.tenant_id, now));
    std::lock_guard lock(impl_->mu);
    impl_->lookalikes[p.tenant_id] = {now, l};
  }
  bool en = p.locale.rfind("en", 0) == 0;
  json items = json::array();
  const auto* customers = domain::FindEntity("customers");
  // Cuts "（标杆客户 …）" / " (best customer …)" out of a reason.
  auto without_best = [](std::string r, const std::string& open, const std::string& close) {
    size_t a = r.find(open);
    if (a == std::string::npos) return r;
    size_t b = r.find(close, a + open.size());
    return b == std::string::npos ? r.substr(0, a) : r.erase(a, b + close.size() - a);
  };
  bool whole = domain::SeesWholeTenant(p.role);
  for (const auto& c : l->ranked) {
    if (static_cast<int>(items.size()) >= limit) break;
    if (!whole && !impl_->records.Get(p, *customers, c["customer_id"].get<int64_t>()).ok()) continue;
    json item = c;
    // The best customer it resembles is named only to those who may see it.
    if (!whole && !impl_->records.Get(p, *customers, c["like"]["id"].get<int64_t>()).ok()) {
      item["like"] = nullptr;
      for (const char* lang : {"reasons_zh", "reasons_en"}) {
        json plain = json::array();
        for (const auto& r : c[lang]) {
          plain.push_back(std::string(lang) == "reasons_zh" ? without_best(r.get<std::string>(), "（标杆客户", "）")
                                                           : without_best(r.get<std::string>(), " (best customer", ")"));
        }
        item[lang] = plain;
      }
    }
    item["reasons"] = en ? item["reasons_en"] : item["reasons_zh"];
    items.push_back(std::move(item));
  }
  return json{{"items", items}, {"best_customers", l->best_customers}, {"candidates", l->candidates}};
}

Result<json> AiService::Today(const Principal& p, int limit) { return impl_->planner.Today(p, std::clamp(limit, 1, 200)); }

Result<json> AiService::Train(int64_t tenant, Target target, int64_t actor,
                              const std::function<void(double, const std::string&)>& progress) {
  auto say = [&](double f, const std::string& what) {
    if (progress) progress(f, what);
  };
  say(0.02, "loading history");
  std::optional<History> loaded;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(loaded, History::Load(*conn, tenant, target));
  }
  const History& h = *loaded;
  std::vector<Example> examples = h.TrainingExamples();
  // Resolved records by class, and the time split.
  std::map<int64_t, std::pair<TimeMs, bool>> resolved;
  for (const auto& e : examples) resolved[e.id] = {e.resolved, e.label > 0.5};
  int64_t pos = 0, neg = 0;
  std::vector<TimeMs> times;
  for (const auto& [id, r] : resolved) {
    (r.second ? pos : neg)++;
    times.push_back(r.first);
  }
  const char* what_en = target == Target::kLead ? "converted and disqualified leads" : "won and lost deals";
  const char* what_zh = target == Target::kLead ? "已转化/无效线索" : "赢单/输单商机";
  if (pos < impl_->opt.min_per_class || neg < impl_->opt.min_per_class) {
    return Status::Invalid("ai.not_enough_data",
                           std::string("not enough history yet to train: ") + std::to_string(pos) + " successes and " + std::to_string(neg) +
                               " failures among " + what_en + "; at least " + std::to_string(impl_->opt.min_per_class) +
                               " of each are needed, so no score is given",
                           std::string("历史数据不足，暂不训练：") + what_zh + "中成功 " + std::to_string(pos) + " 条、失败 " + std::to_string(neg) +
                               " 条；每类至少需要 " + std::to_string(impl_->opt.min_per_class) + " 条，因此暂不给出评分",
                           "history");
  }
  std::sort(times.begin(), times.end());
  TimeMs cutoff = times[static_cast<size_t>(static_cast<double>(times.size()) * (1 - impl_->opt.holdout))];
  std::vector<const Example*> train, holdout;
  for (const auto& e : examples) (e.resolved < cutoff ? train : holdout).push_back(&e);
  FeatureSpec spec;
  {
    std::vector<Example> tr;
    for (const auto* e : train) tr.push_back(*e);
    spec = FitSpec(target, tr, h.custom());
  }
  size_t cols = spec.columns();
  auto matrix = [&](const std::vector<const Example*>& rows, const FeatureSpec& s, std::vector<float>* y, std::vector<float>* w) {
    Matrix m(rows.size(), s.columns());
    std::vector<const RawFeatures*> raw;
    for (const auto* e : rows) raw.push_back(&e->f);
    s.EncodeBatch(raw.data(), raw.size(), m.x.data());
    for (size_t i = 0; i < rows.size(); ++i) {
      if (y) y->push_back(rows[i]->label);
      if (w) w->push_back(rows[i]->weight);
    }
    return m;
  };
  // Early stopping on a slice of the training records (whole records, never split snapshots).
  std::vector<const Example*> fit, stop;
  for (const auto* e : train) ((e->id * 2654435761u) % 7 == 0 ? stop : fit).push_back(e);
  std::vector<float> fy, fw, sy, hy;
  Matrix fx = matrix(fit, spec, &fy, &fw), sx = matrix(stop, spec, &sy, nullptr), hx = matrix(holdout, spec, &hy, nullptr);
  TrainParams params = impl_->opt.params;
  say(0.1, "training on records resolved before the holdout");
  KEEL_ASSIGN_OR_RETURN(Booster eval_model, Booster::Train(fx, fy, fw, params, &sx, &sy, [&](int r, int n) {
                          say(0.1 + 0.4 * r / n, "boosting");
                          return true;
                        }));
  KEEL_ASSIGN_OR_RETURN(std::vector<float> hp, eval_model.Predict(hx));
  Evaluation ev = Evaluate(hp, hy);
  say(0.55, "evaluated on the holdout");
  // Bands: A = the top 15 % of holdout scores, B the next 25 %, C the next 30 %, D the rest.
  std::vector<float> sorted = hp;
  std::sort(sorted.begin(), sorted.end());
  auto q = [&](double f) { return sorted.empty() ? 1.0 : static_cast<double>(sorted[std::min(sorted.size() - 1, static_cast<size_t>(f * sorted.size()))]); };
  json bands = {{"A", Round(q(0.85), 0.0001)}, {"B", Round(q(0.60), 0.0001)}, {"C", Round(q(0.30), 0.0001)}};
  // Against the active model, on holdout records it has not seen (resolved after its data).
  json comparison = nullptr;
  bool promote = true;
  KEEL_ASSIGN_OR_RETURN(std::shared_ptr<Active> current, impl_->ActiveModel(tenant, target));
  if (current) {
    TimeMs seen_until = 0;
    if (auto r = ParseTimestamp(current->card["data"].value("resolved_until", "")); r.ok()) seen_until = *r;
    std::vector<const Example*> unseen;
    std::vector<float> uy;
    std::vector<float> new_p;
    for (size_t i = 0; i < holdout.size(); ++i) {
      if (holdout[i]->resolved > seen_until) {
        unseen.push_back(holdout[i]);
        uy.push_back(holdout[i]->label);
        new_p.push_back(hp[i]);
      }
    }
    int64_t upos = 0;
    for (float v : uy) upos += v > 0.5 ? 1 : 0;
    int64_t uneg = static_cast<int64_t>(uy.size()) - upos;
    if (upos >= 30 && uneg >= 30) {
      KEEL_ASSIGN_OR_RETURN(std::vector<float> old_p, current->booster.Predict(matrix(unseen, current->spec, nullptr, nullptr)));
      double old_auc = Auc(old_p, uy), new_auc = Auc(new_p, uy);
      promote = new_auc >= old_auc - impl_->opt.promote_tolerance;
      comparison = {{"against_version", current->version}, {"rows", uy.size()}, {"current_auc", Round(old_auc, 0.0001)},
                    {"new_auc", Round(new_auc, 0.0001)}, {"current_log_loss", Round(LogLoss(old_p, uy), 0.0001)},
                    {"new_log_loss", Round(LogLoss(new_p, uy), 0.0001)}, {"promoted", promote}};
    } else {
      comparison = {{"against_version", current->version}, {"rows", uy.size()}, {"promoted", true},
                    {"note", "too few outcomes since the current model's data to compare; promoted"}};
    }
  }
  // The final model: every resolved record, the round count early stopping chose.
  std::vector<const Example*> all;
  for (const auto& e : examples) all.push_back(&e);
  std::vector<float> ay, aw;
  Matrix ax = matrix(all, spec, &ay, &aw);
  params.rounds = std::max(20, eval_model.rounds());
  params.early_stopping = 0;
  say(0.6, "training the final model on all resolved records");
  KEEL_ASSIGN_OR_RETURN(Booster final_model, Booster::Train(ax, ay, aw, params, nullptr, nullptr, [&](int r, int n) {
                          say(0.6 + 0.3 * r / n, "boosting");
                          return true;
                        }));
  KEEL_ASSIGN_OR_RETURN(std::vector<double> gain, final_model.Importance(cols));
  const auto& defs = spec.defs();
  std::vector<double> by_feature(defs.size(), 0.0);
  std::vector<int> col_feature = spec.column_feature();
  for (size_t c = 0; c < cols; ++c) by_feature[static_cast<size_t>(col_feature[c])] += gain[c];
  std::vector<size_t> order(defs.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return by_feature[a] > by_feature[b]; });
  json importance = json::array();
  for (size_t f : order) {
    if (by_feature[f] <= 0) continue;
    importance.push_back({{"feature", defs[f].name}, {"en", defs[f].en}, {"zh", defs[f].zh}, {"share", Round(by_feature[f], 0.001)}});
  }
  // The population scored when the model goes live: drift is measured against it.
  json reference;
  {
    std::vector<int64_t> open = h.OpenIds();
    std::vector<RawFeatures> raws(open.size());
    Matrix ox(open.size(), cols);
    TimeMs now_ms = impl_->clock.NowMs();
    for (size_t i = 0; i < open.size(); ++i) {
      h.At(open[i], now_ms, &raws[i]);
      spec.Encode(raws[i], ox.row(i));
    }
    std::vector<const RawFeatures*> rows;
    std::vector<float> w;
    std::vector<float> scores;
    if (open.size() >= 20) {
      for (const auto& r : raws) rows.push_back(&r);
      w.assign(rows.size(), 1.0f);
      KEEL_ASSIGN_OR_RETURN(scores, final_model.Predict(ox));
    } else {
      for (const auto* e : all) {
        rows.push_back(&e->f);
        w.push_back(e->weight);
      }
      KEEL_ASSIGN_OR_RETURN(scores, final_model.Predict(ax));
    }
    reference = BuildReference(spec.defs(), rows, w, scores);
    reference["population"] = open.size() >= 20 ? "open records at training time" : "training snapshots";
  }
  TimeMs first_created = INT64_MAX;
  for (const auto& e : examples) first_created = std::min(first_created, e.at);
  std::string now = FormatTimestamp(impl_->clock.NowMs());
  json card = {
      {"target", TargetName(target)},
      {"feature_version", kFeatureVersion},
      {"trained_at", now},
      {"data", {{"records", resolved.size()}, {"positives", pos}, {"negatives", neg}, {"snapshots", examples.size()},
                {"from", FormatTimestamp(first_created)}, {"resolved_until", FormatTimestamp(times.back())},
                {"holdout_from", FormatTimestamp(cutoff)}, {"train_snapshots", train.size()},
                {"holdout_snapshots", holdout.size()}}},
      {"holdout", ev.ToJson()},
      {"comparison", comparison},
      {"bands", bands},
      {"reference", reference},
      {"rounds", final_model.rounds()},
      {"importance", importance},
      {"params", {{"max_depth", params.max_depth}, {"eta", params.eta}, {"subsample", params.subsample},
                  {"colsample_bytree", params.colsample}, {"min_child_weight", params.min_child_weight}}},
      {"method", "XGBoost binary:logistic on as-of snapshots (ages before resolution, weighted 1/snapshots per record); "
                 "time-based holdout = the latest resolved records; the final model is refit on all records"}};
  KEEL_ASSIGN_OR_RETURN(std::string bytes, final_model.Save());
  int version = 0;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
    KEEL_ASSIGN_OR_RETURN(int last, repo::MaxVersion(*conn, tenant, TargetName(target)));
    version = last + 1;
    card["version"] = version;
    if (promote) KEEL_RETURN_IF_ERROR(repo::RetireActive(*conn, tenant, TargetName(target)));
    repo::NewModel row{version, promote ? "active" : "rejected", card.dump(), spec.ToJson().dump(), Base64UrlEncode(bytes), now};
    if (actor) row.created_by = actor;
    if (promote) row.activated_at = now;
    KEEL_RETURN_IF_ERROR(repo::InsertModel(*conn, tenant, TargetName(target), row));
    // Rescoring on change starts from here if it never started for this tenant.
    KEEL_ASSIGN_OR_RETURN(std::optional<int64_t> cursor, events::LoadCursor(*conn, tenant, kConsumerName));
    if (!cursor) {
      KEEL_ASSIGN_OR_RETURN(int64_t head, events::LastSeq(*conn, tenant));
      KEEL_RETURN_IF_ERROR(impl_->consumer.SetCursor(*conn, tenant, head));
    }
    KEEL_RETURN_IF_ERROR(tx.Commit());
  }
  impl_->Forget(tenant, target);
  {
    std::lock_guard lock(impl_->mu);
    impl_->owners.erase({tenant, target});
  }
  int64_t scored = 0;
  if (promote) {
    say(0.92, "scoring open records");
    KEEL_ASSIGN_OR_RETURN(scored, ScoreAll(tenant, target));
  }
  say(1.0, "done");
  return json{{"version", version}, {"status", promote ? "active" : "rejected"}, {"holdout_auc", card["holdout"]["auc"]},
              {"scored", scored}, {"card", card}};
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

Result<json> AiService::StartTraining(const Principal& p, const std::string& target_name) {
  if (!CanManage(p)) return Forbidden();
  KEEL_ASSIGN_OR_RETURN(Target target, TargetOf(target_name));
  KEEL_ASSIGN_OR_RETURN(json job, impl_->NewJob(p, "train", TargetName(target)));
  int64_t id = job["id"].get<int64_t>(), tenant = p.tenant_id, actor = p.user_id;
  {
    impl_->consumer.Post([this, id, tenant, actor, target] {
      (void)impl_->SetJob(tenant, id, "running", 0, "");
      TimeMs last = 0;
      auto r = Train(tenant, target, actor, [&](double f, const std::string& what) {
        TimeMs now = impl_->clock.NowMs();
        if (now - last < 500 && f < 1.0) return;
        last = now;
        (void)impl_->SetJob(tenant, id, "running", Round(f, 0.01), what);
      });
      if (r.ok()) {
        json result = *r;
        (void)impl_->SetJob(tenant, id, "done", 1.0, "version " + std::to_string((*r)["version"].get<int>()) + " " +
                                                          (*r)["status"].get<std::string>(), &result);
      } else {
        json err = {{"code", r.status().code()}, {"message", r.status().message_en()}, {"message_zh", r.status().message_zh()}};
        (void)impl_->SetJob(tenant, id, "failed", 1.0, r.status().message_en(), &err);
      }
      impl_->jobs_done.fetch_add(1);
    });
  }
  return job;
}

Result<json> AiService::Models(const Principal& p, const std::string& target_name) {
  KEEL_ASSIGN_OR_RETURN(Target target, TargetOf(target_name));
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto rows, repo::ModelVersions(*conn, p.tenant_id, TargetName(target)));
  json versions = json::array();
  json active = nullptr;
  for (const auto& r : rows) {
    json card = json::parse(r.card);
    json v = {{"version", int64_t{r.version}}, {"status", r.status}, {"created_at", r.created_at},
              {"activated_at", r.activated_at ? json(*r.activated_at) : json(nullptr)},
              {"holdout_auc", card["holdout"]["auc"]}, {"card", card}};
    if (v["status"] == "active") active = v["version"];
    versions.push_back(std::move(v));
  }
  json out = {{"target", TargetName(target)}, {"active_version", active}, {"versions", versions}};
  if (active.is_null()) {
    // Say plainly why there is no score.
    KEEL_ASSIGN_OR_RETURN(std::optional<std::string> last, repo::LastFailedTraining(*conn, p.tenant_id, TargetName(target)));
    out["message"] = "no model yet: scores appear once a model is trained on enough history (at least " +
                     std::to_string(impl_->opt.min_per_class) + " outcomes of each kind)";
    out["message_zh"] = "尚无模型：历史数据足够（每类结果至少 " + std::to_string(impl_->opt.min_per_class) + " 条）并训练后才会给出评分";
    if (last) out["last_failure"] = json::parse(*last, nullptr, false);
  }
  return out;
}

Result<json> AiService::ModelCard(const Principal& p, const std::string& target_name, int version) {
  KEEL_ASSIGN_OR_RETURN(Target target, TargetOf(target_name));
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::ModelRow> row, repo::LoadModelCard(*conn, p.tenant_id, TargetName(target), version));
  if (!row) {
    return Status::Error(ErrorKind::kNotFound, "not_found", "no such model version", "没有该模型版本", "version");
  }
  json card = json::parse(row->card);
  card["status"] = row->status;
  return card;
}

Result<json> AiService::Rollback(const Principal& p, const std::string& target_name, int version) {
  if (!CanManage(p)) return Forbidden();
  KEEL_ASSIGN_OR_RETURN(Target target, TargetOf(target_name));
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
    KEEL_ASSIGN_OR_RETURN(auto rows, repo::VersionStatuses(*conn, p.tenant_id, TargetName(target)));
    int current = 0;
    for (const auto& r : rows) {
      if (r.status == "active") current = r.version;
    }
    int to = version;
    if (to == 0) {
      // The newest retired version older than the current one.
      for (const auto& r : rows) {
        if (r.status == "retired" && (current == 0 || r.version < current)) {
          to = r.version;
          break;
        }
      }
    }
    bool exists = false;
    for (const auto& r : rows) exists = exists || r.version == to;
    if (to == 0 || !exists) {
      return Status::Error(ErrorKind::kNotFound, "ai.no_version", "no earlier model version to roll back to", "没有可回滚的早期模型版本",
                           "version");
    }
    if (to == current) return Status::Error(ErrorKind::kConflict, "ai.already_active", "that version is already active", "该版本已是当前版本", "version");
    std::string now = FormatTimestamp(impl_->clock.NowMs());
    KEEL_RETURN_IF_ERROR(repo::RetireActive(*conn, p.tenant_id, TargetName(target)));
    KEEL_RETURN_IF_ERROR(repo::ActivateVersion(*conn, p.tenant_id, TargetName(target), to, now));
    KEEL_RETURN_IF_ERROR(events::AppendOne(*conn, p.tenant_id, impl_->clock.NowMs(), "model.activated", "ai_models", to, p.user_id,
                                           json{{"target", TargetName(target)}, {"version", to}, {"previous", current}}.dump()).status());
    KEEL_RETURN_IF_ERROR(domain::AuditChange(*conn, p, impl_->clock.NowMs(),
                                             {"rollback", "ai_models", to, {{"target", TargetName(target)}, {"active_version", current}},
                                              {{"target", TargetName(target)}, {"active_version", to}}}));
    KEEL_RETURN_IF_ERROR(tx.Commit());
    version = to;
  }
  impl_->Forget(p.tenant_id, target);
  KEEL_ASSIGN_OR_RETURN(int64_t scored, ScoreAll(p.tenant_id, target));
  return json{{"target", TargetName(target)}, {"active_version", version}, {"scored", scored}};
}

Result<json> AiService::ScoreOf(const Principal& p, const std::string& target_name, int64_t id) {
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
    return json{{"record_id", id}, {"target", TargetName(target)}, {"score", nullptr}, {"message", en}, {"message_zh", zh}};
  }
  const repo::ScoreRow& r = *stored;
  json reasons = json::parse(r.reasons, nullptr, false);
  if (!reasons.is_object()) reasons = {{"positive", json::array()}, {"negative", json::array()}};
  bool en = p.locale.rfind("en", 0) == 0;
  json top = json::array();
  for (const char* side : {"positive", "negative"}) {
    for (const auto& x : reasons[side]) top.push_back(x[en ? "text_en" : "text_zh"]);
  }
  return json{{"record_id", id},
              {"target", TargetName(target)},
              {"model_version", int64_t{r.model_version}},
              {"probability", Round(r.probability, 0.0001)},
              {"score", r.score},
              {"band", r.band},
              {"reasons", reasons},
              {"summary", top},
              {"computed_at", r.computed_at}};
}

Result<json> AiService::BestContactTime(const Principal& p, const std::string& entity, int64_t id) {
  KEEL_RETURN_IF_ERROR(impl_->records.Get(p, *domain::FindEntity(entity), id).status());
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  std::shared_ptr<const ContactStats> stats;
  TimeMs now = impl_->clock.NowMs();
  {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->contact.find(p.tenant_id);
    if (it != impl_->contact.end() && now - it->second.first < 3600000) stats = it->second.second;
  }
  if (!stats) {
    KEEL_ASSIGN_OR_RETURN(stats, ContactStats::Load(*conn, p.tenant_id));
    std::lock_guard lock(impl_->mu);
    impl_->contact[p.tenant_id] = {now, stats};
  }
  return ai::BestContactTime(*conn, *stats, p.tenant_id, entity, id);
}

namespace {

// Today's open records against the card's reference.
Result<json> DriftNow(store::Connection& conn, int64_t tenant, Target target, const Active& m, const Clock& clock,
                      json* bands_now) {
  KEEL_ASSIGN_OR_RETURN(History h, History::Load(conn, tenant, target, {}, nullptr, &m.spec.custom));
  std::vector<int64_t> open = h.OpenIds();
  std::vector<RawFeatures> raws(open.size());
  Matrix x(open.size(), m.spec.columns());
  TimeMs now = clock.NowMs();
  for (size_t i = 0; i < open.size(); ++i) {
    h.At(open[i], now, &raws[i]);
    m.spec.Encode(raws[i], x.row(i));
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

Result<json> AiService::Monitoring(const Principal& p, const std::string& target_name) {
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
  Matrix x(resolved.size(), m->spec.columns());
  for (size_t i = 0; i < resolved.size(); ++i) {
    TimeMs at = std::max(resolved[i].resolved - 7 * kDayMs, resolved[i].at);
    RawFeatures raw;
    h.At(resolved[i].id, at, &raw);
    m->spec.Encode(raw, x.row(i));
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
  json history = json::array();
  for (const auto& r : hist) history.push_back({{"day", r.day}, {"model_version", int64_t{r.model_version}}, {"max_psi", r.max_psi}});
  return json{{"target", TargetName(target)}, {"model_version", m->version}, {"drift", drift}, {"bands_now", bands_now},
              {"band_thresholds", m->card["bands"]}, {"realised_by_band", realised}, {"history", history}};
}

Result<json> AiService::CheckDrift(int64_t tenant) {
  json out = json::object();
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
      a.labels = {{"model", {{"value", TargetName(target)}, {"name", TargetName(target)}}}};
      a.notify = "hq";
      KEEL_RETURN_IF_ERROR(impl_->alerts->Raise(tenant, a).status());
    }
    out[TargetName(target)] = {{"model_version", m->version}, {"max_psi", max_psi}, {"drifted", drift["drifted"]}};
  }
  return out;
}

Result<json> AiService::Job(const Principal& p, int64_t id) {
  if (!CanManage(p)) return Forbidden();
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::JobRow> job, repo::LoadJob(*conn, p.tenant_id, id));
  if (!job) return Status::Error(ErrorKind::kNotFound, "not_found", "no such job", "没有该任务", "id");
  const repo::JobRow& r = *job;
  auto text = [](const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); };
  json out = {{"id", id}, {"kind", r.kind}, {"target", text(r.target)}, {"status", r.status},
              {"progress", r.progress}, {"message", text(r.message)},
              {"result", r.result ? json::parse(*r.result, nullptr, false) : json(nullptr)},
              {"created_at", r.created_at}, {"started_at", text(r.started_at)}, {"finished_at", text(r.finished_at)}, {"queue_position", nullptr}};
  if (out["status"] == "queued") {
    // How many jobs (of any company: only their number is told) run or wait before this one.
    KEEL_ASSIGN_OR_RETURN(int64_t ahead, repo::JobsAhead(*conn, id));
    out["queue_position"] = ahead;
  }
  return out;
}

Result<json> AiService::CreateDataset(const Principal& p, const std::string& name, std::string_view csv) {
  if (!CanManage(p)) return Forbidden();
  if (name.empty() || name.size() > 200) {
    return Status::Invalid("validation.required", "name (1-200 bytes) is required", "name（1-200 字节）为必填项", "name");
  }
  const AiOptions& o = impl_->opt;
  if (csv.size() > o.dataset_max_bytes) {
    return Status::Error(ErrorKind::kPayloadTooLarge, "ai.dataset_too_large",
                         "a dataset may have at most " + std::to_string(o.dataset_max_bytes >> 20) + " MiB",
                         "数据集最大 " + std::to_string(o.dataset_max_bytes >> 20) + " MiB", "body");
  }
  // Columns first, from the header line, before the whole file is read into memory.
  {
    std::string_view header = csv.substr(0, csv.find('\n'));
    size_t cols = 1 + static_cast<size_t>(std::max({std::count(header.begin(), header.end(), ','), std::count(header.begin(), header.end(), ';'),
                                                     std::count(header.begin(), header.end(), '\t')}));
    if (cols > o.dataset_max_columns) {
      return Status::Error(ErrorKind::kUnprocessable, "ai.dataset_too_many_columns",
                           "a dataset may have at most " + std::to_string(o.dataset_max_columns) + " columns; this one has " + std::to_string(cols),
                           "数据集最多 " + std::to_string(o.dataset_max_columns) + " 列，此文件有 " + std::to_string(cols) + " 列", "line 1");
    }
  }
  KEEL_ASSIGN_OR_RETURN(Table t, ReadTable(csv));
  if (t.rows.size() > o.dataset_max_rows) {
    return Status::Error(ErrorKind::kUnprocessable, "ai.dataset_too_many_rows",
                         "a dataset may have at most " + std::to_string(o.dataset_max_rows) + " rows; this one has " + std::to_string(t.rows.size()),
                         "数据集最多 " + std::to_string(o.dataset_max_rows) + " 行，此文件有 " + std::to_string(t.rows.size()) + " 行", "body");
  }
  if (t.header.size() > o.dataset_max_columns) {
    return Status::Error(ErrorKind::kUnprocessable, "ai.dataset_too_many_columns",
                         "a dataset may have at most " + std::to_string(o.dataset_max_columns) + " columns",
                         "数据集最多 " + std::to_string(o.dataset_max_columns) + " 列", "line 1");
  }
  auto profile = Profile(t);
  json cols = json::array();
  for (const auto& c : profile) cols.push_back(c.ToJson());
  // Suggestions: a two-valued column named like an outcome; free text and constants left out.
  static const std::set<std::string> kLabelNames = {"y", "label", "target", "outcome", "converted", "won", "result", "success",
                                                    "结果", "是否成交", "成交"};
  json label = nullptr;
  json exclude = json::array();
  for (const auto& c : profile) {
    std::string lower = c.name;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (c.distinct == 2 && kLabelNames.count(lower)) label = c.name;
    if (c.type == ColumnType::kText || c.type == ColumnType::kConstant) exclude.push_back(c.name);
  }
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
  std::string now = FormatTimestamp(impl_->clock.NowMs());
  json prof = {{"columns", cols}, {"suggested", {{"label", label}, {"exclude", exclude}}}};
  repo::DatasetRow row;
  row.id = ids[0];
  row.name = name;
  row.row_count = static_cast<int64_t>(t.rows.size());
  row.profile = prof.dump();
  row.created_at = now;
  KEEL_RETURN_IF_ERROR(repo::InsertDataset(*conn, p.tenant_id, row, std::string(csv), UserOf(p)));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return json{{"id", ids[0]}, {"name", name}, {"rows", t.rows.size()}, {"columns", cols}, {"suggested", prof["suggested"]},
              {"created_at", now}, {"card", nullptr}};
}

Result<json> AiService::Dataset(const Principal& p, int64_t id) {
  if (!CanManage(p)) return Forbidden();
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::DatasetRow> d, repo::LoadDataset(*conn, p.tenant_id, id));
  if (!d) return Status::Error(ErrorKind::kNotFound, "not_found", "no such dataset", "没有该数据集", "id");
  json prof = json::parse(d->profile);
  return json{{"id", id}, {"name", d->name}, {"rows", d->row_count}, {"columns", prof["columns"]},
              {"suggested", prof["suggested"]}, {"card", d->card ? json::parse(*d->card) : json(nullptr)},
              {"created_at", d->created_at}};
}

Result<json> AiService::Datasets(const Principal& p) {
  if (!CanManage(p)) return Forbidden();
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto rows, repo::Datasets(*conn, p.tenant_id));
  json items = json::array();
  for (const auto& r : rows) {
    items.push_back({{"id", r.id}, {"name", r.name}, {"rows", r.row_count}, {"created_at", r.created_at}, {"trained", r.trained}});
  }
  return json{{"items", items}};
}

Result<json> AiService::StartDatasetTraining(const Principal& p, int64_t id, const json& mapping) {
  if (!CanManage(p)) return Forbidden();
  std::string csv;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(std::optional<std::string> content, repo::DatasetContent(*conn, p.tenant_id, id));
    if (!content) return Status::Error(ErrorKind::kNotFound, "not_found", "no such dataset", "没有该数据集", "id");
    csv = std::move(*content);
  }
  auto table = std::make_shared<Table>();
  KEEL_ASSIGN_OR_RETURN(*table, ReadTable(csv));
  KEEL_ASSIGN_OR_RETURN(Mapping m, ParseMapping(mapping, *table));
  KEEL_ASSIGN_OR_RETURN(json job, impl_->NewJob(p, "dataset", "dataset:" + std::to_string(id)));
  int64_t job_id = job["id"].get<int64_t>(), tenant = p.tenant_id;
  {
    impl_->consumer.Post([this, job_id, tenant, id, table, m] {
      (void)impl_->SetJob(tenant, job_id, "running", 0, "");
      auto r = TrainTabular(*table, m, impl_->opt.params, impl_->opt.min_per_class, [&](int done, int total, const std::string& what) {
        (void)impl_->SetJob(tenant, job_id, "running", Round(static_cast<double>(done) / total, 0.01), what);
      });
      if (r.ok()) {
        json card = r->card;
        if (auto conn = impl_->db.Acquire(); conn.ok()) {
          (void)repo::SetDatasetCard(**conn, tenant, id, card.dump());
        }
        (void)impl_->SetJob(tenant, job_id, "done", 1.0, "cross-validated AUC " + card["cross_validation"]["auc"].dump(), &card);
      } else {
        json err = {{"code", r.status().code()}, {"message", r.status().message_en()}, {"message_zh", r.status().message_zh()},
                    {"field", r.status().field()}};
        (void)impl_->SetJob(tenant, job_id, "failed", 1.0, r.status().message_en(), &err);
      }
      impl_->jobs_done.fetch_add(1);
    });
  }
  return job;
}

}  // namespace keel::ai
