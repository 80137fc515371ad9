// The AI service's face: the worker's life cycle, recommendations, signals, look-alikes and
// contact times. Scoring, training, monitoring and jobs live in scoring.cc, training.cc,
// monitoring.cc and jobs.cc (service_impl.h holds their shared state).
#include "ai/service_impl.h"

#include "ai/store.h"
#include "alerts/engine.h"
#include "domain/schema.h"

namespace keel::ai {

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

Result<PlanCounts> AiService::PlanActions(const Principal& p) {
  if (!CanManage(p)) return Forbidden();
  return PlanActions(p.tenant_id);
}

Result<PlanCounts> AiService::PlanActions(int64_t tenant) { return impl_->planner.Plan(tenant); }

Result<std::vector<SignalItem>> AiService::Signals(const Principal& p, int64_t customer_id, int limit) {
  KEEL_RETURN_IF_ERROR(impl_->records.Get(p, *domain::FindEntity("customers"), customer_id).status());
  limit = std::clamp(limit, 1, 500);
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto rows, repo::CustomerSignals(*conn, p.tenant_id, customer_id, limit));
  std::vector<SignalItem> items;
  for (const auto& r : rows) items.push_back({r.id, r.kind, r.source, r.title, r.body, r.url, r.sentiment, r.occurred_at});
  return items;
}

Result<LookalikeList> AiService::Lookalikes(const Principal& p, int limit) {
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
  LookalikeList out;
  out.best_customers = l->best_customers;
  out.candidates = l->candidates;
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
    if (static_cast<int>(out.items.size()) >= limit) break;
    if (!whole && !impl_->records.Get(p, *customers, c.customer_id).ok()) continue;
    Lookalike item = c;
    // The best customer it resembles is named only to those who may see it.
    if (!whole && c.like && !impl_->records.Get(p, *customers, c.like->id).ok()) {
      item.like.reset();
      for (auto& r : item.reasons_zh) r = without_best(r, "（标杆客户", "）");
      for (auto& r : item.reasons_en) r = without_best(r, " (best customer", ")");
    }
    item.reasons = en ? item.reasons_en : item.reasons_zh;
    out.items.push_back(std::move(item));
  }
  return out;
}

Result<TodayList> AiService::Today(const Principal& p, int limit) { return impl_->planner.Today(p, std::clamp(limit, 1, 200)); }

Result<ContactTime> AiService::BestContactTime(const Principal& p, const std::string& entity, int64_t id) {
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

}  // namespace keel::ai
