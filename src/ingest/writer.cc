// The writer: one thread takes queued batches and writes them in group commits (many requests,
// one transaction), each record's rows and event together with its idempotency key.
#include <set>

#include "ingest/internal.h"
#include "ingest/store.h"

namespace keel::ingest {

void Ingestor::Impl::WriteRecord(repo::PendingRows& rows, const Batch& b, const Prepared& r, int64_t id, const std::string& now,
                                 events::Event& ev) {
  std::string at = FormatTimestamp(r.at);
  ev.at = r.at;
  ev.actor_id = b.actor;
  switch (r.kind) {
    case Prepared::Kind::kOrder: {
      repo::AddOrder(rows, b.tenant, {.id = id, .code = r.code, .store_id = r.store, .customer_id = r.customer,
                                                      .owner_id = r.owner, .unit_id = r.unit, .channel = r.channel, .status = r.status,
                                                      .ordered_at = at, .currency = r.currency, .total = r.total,
                                                      .discount_total = r.discount_total,
                                                      .line_count = static_cast<int64_t>(r.lines.size()), .now = now,
                                                      .created_by = b.actor});
      json lines = json::array();
      for (size_t n = 0; n < r.lines.size(); ++n) {
        const Line& l = r.lines[n];
        repo::AddOrderLine(rows, b.tenant, {id, static_cast<int64_t>(n + 1), l.product, l.qty, l.unit_price, l.discount, l.amount});
        lines.push_back({{"line_no", n + 1}, {"product_id", l.product}, {"qty", l.qty}, {"unit_price", l.unit_price / 100.0},
                         {"discount", l.discount / 100.0}, {"amount", l.amount / 100.0}});
      }
      ev.type = "order.created";
      ev.entity = "orders";
      ev.entity_id = id;
      ev.payload = json{{"id", id}, {"code", r.code}, {"store_id", r.store ? json(r.store) : json(nullptr)},
                        {"customer_id", r.customer ? json(r.customer) : json(nullptr)}, {"member_id", nullptr},
                        {"promotion_id", nullptr}, {"owner_id", r.owner}, {"unit_id", r.unit}, {"channel", r.channel},
                        {"status", r.status}, {"ordered_at", at}, {"currency", r.currency}, {"total", r.total / 100.0},
                        {"discount_total", r.discount_total / 100.0}, {"line_count", r.lines.size()}, {"lines", lines},
                        {"created_at", at}, {"updated_at", now}, {"archived_at", nullptr}, {"created_by", b.actor}}.dump();
      break;
    }
    case Prepared::Kind::kActivity: {
      repo::AddActivity(
          rows, b.tenant, {.id = id, .kind = r.akind, .subject = r.subject, .notes = r.notes, .occurred_at = at,
                           .duration_min = r.duration >= 0 ? std::optional<int64_t>(r.duration) : std::nullopt,
                           .outcome = r.outcome, .customer_id = r.customer, .store_id = r.store, .owner_id = r.owner,
                           .unit_id = r.unit, .now = now, .created_by = b.actor});
      ev.type = "activity.created";
      ev.entity = "activities";
      ev.entity_id = id;
      ev.payload = json{{"id", id}, {"kind", r.akind}, {"subject", r.subject.empty() ? json(nullptr) : json(r.subject)},
                        {"notes", r.notes.empty() ? json(nullptr) : json(r.notes)}, {"occurred_at", at},
                        {"duration_min", r.duration >= 0 ? json(r.duration) : json(nullptr)},
                        {"outcome", r.outcome.empty() ? json(nullptr) : json(r.outcome)},
                        {"customer_id", r.customer ? json(r.customer) : json(nullptr)}, {"lead_id", nullptr}, {"opportunity_id", nullptr},
                        {"store_id", r.store ? json(r.store) : json(nullptr)}, {"owner_id", r.owner}, {"unit_id", r.unit},
                        {"created_at", at}, {"updated_at", now}}.dump();
      break;
    }
    case Prepared::Kind::kSignal: {
      repo::AddSignal(
          rows, b.tenant, {.id = id, .kind = r.skind, .source = r.source, .title = r.title, .body = r.body, .url = r.url,
                           .customer_id = r.customer,
                           .sentiment = std::isnan(r.sentiment) ? std::nullopt : std::optional<double>(r.sentiment),
                           .owner_id = r.owner, .unit_id = r.unit, .occurred_at = at, .now = now});
      ev.type = "signal.received";
      ev.entity = "signals";
      ev.entity_id = id;
      ev.payload = json{{"id", id}, {"kind", r.skind}, {"source", r.source}, {"title", r.title},
                        {"sentiment", std::isnan(r.sentiment) ? json(nullptr) : json(r.sentiment)},
                        {"customer_id", r.customer ? json(r.customer) : json(nullptr)},
                        {"owner_id", r.owner ? json(r.owner) : json(nullptr)}, {"unit_id", r.unit ? json(r.unit) : json(nullptr)},
                        {"url", r.url}, {"created_at", at}}.dump();
      break;
    }
    case Prepared::Kind::kCustom: {
      ev.type = "custom." + r.type;
      ev.entity = "custom";
      ev.entity_id = 0;
      ev.payload = json{{"data", r.data}, {"owner_id", r.owner}, {"unit_id", r.unit},
                        {"customer_id", r.customer ? json(r.customer) : json(nullptr)}, {"created_at", at}}.dump();
      break;
    }
  }
}

Status Ingestor::Impl::WriteGroup(std::vector<std::shared_ptr<Batch>>& group, std::vector<std::vector<int>>& outcome) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  std::set<int64_t> tenants;
  for (const auto& b : group) tenants.insert(b->tenant);
  for (int64_t t : tenants) KEEL_RETURN_IF_ERROR(events::LockTenant(*conn, t));
  std::string now = FormatTimestamp(clock.NowMs());
  std::map<int64_t, std::vector<events::Event>> evs;
  repo::PendingRows rows;
  outcome.assign(group.size(), {});
  for (size_t g = 0; g < group.size(); ++g) {
    Batch& b = *group[g];
    outcome[g].assign(b.records.size(), 0);
    size_t need = 0;
    for (const auto& r : b.records) need += r.kind == Prepared::Kind::kCustom ? 0 : 1;
    std::vector<int64_t> ids;
    if (need) {
      KEEL_ASSIGN_OR_RETURN(ids, conn->AllocateIds(static_cast<int64_t>(need)));
    }
    size_t next = 0;
    for (size_t i = 0; i < b.records.size(); ++i) {
      const Prepared& r = b.records[i];
      if (!r.key.empty()) {
        KEEL_ASSIGN_OR_RETURN(bool fresh, repo::ClaimKey(*conn, b.tenant, r.key, now));
        if (!fresh) {
          outcome[g][i] = 1;
          if (r.kind != Prepared::Kind::kCustom) ++next;
          continue;
        }
      }
      events::Event ev;
      int64_t id = r.kind == Prepared::Kind::kCustom ? 0 : ids[next++];
      WriteRecord(rows, b, r, id, now, ev);
      evs[b.tenant].push_back(std::move(ev));
    }
  }
  KEEL_RETURN_IF_ERROR(repo::InsertPending(*conn, rows));
  for (auto& [t, list] : evs) KEEL_RETURN_IF_ERROR(events::Append(*conn, t, list).status());
  return tx.Commit();
}

void Ingestor::Impl::Run() {
  while (true) {
    std::vector<std::shared_ptr<Batch>> group;
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return stop || !queue.empty(); });
      if (queue.empty()) return;
      size_t n = 0;
      while (!queue.empty() && (group.empty() || n + queue.front()->records.size() <= opt.group_records)) {
        n += queue.front()->records.size();
        group.push_back(std::move(queue.front()));
        queue.pop_front();
      }
    }
    std::vector<std::vector<int>> outcome;
    Status st = WriteGroup(group, outcome);
    if (!st.ok() && group.size() > 1) {
      // One request's record broke the shared transaction (e.g. a duplicate order code that
      // raced another request): write each request on its own so the others still land.
      for (auto& b : group) {
        std::vector<std::shared_ptr<Batch>> one = {b};
        std::vector<std::vector<int>> o;
        Status s1 = WriteGroup(one, o);
        if (s1.ok()) b->done.set_value(std::move(o[0]));
        else b->done.set_value(s1);
      }
    } else if (!st.ok()) {
      group[0]->done.set_value(st);
    } else {
      for (size_t g = 0; g < group.size(); ++g) group[g]->done.set_value(std::move(outcome[g]));
    }
    size_t n = 0;
    for (const auto& b : group) n += b->records.size();
    written.fetch_add(static_cast<int64_t>(n));
    groups.fetch_add(1);
    std::lock_guard lock(mu);
    queued -= n;
  }
}

Ingestor::Ingestor(store::Database& db, domain::RecordService& records, const Clock& clock, IngestOptions options)
    : impl_(std::make_unique<Impl>(db, records, clock, options)) {}

Ingestor::~Ingestor() { Stop(); }

void Ingestor::Start() {
  std::lock_guard lock(impl_->mu);
  if (impl_->started) return;
  impl_->started = true;
  impl_->stop = false;
  impl_->writer = std::thread([impl = impl_.get()] { impl->Run(); });
}

void Ingestor::Stop() {
  {
    std::lock_guard lock(impl_->mu);
    if (!impl_->started) return;
    impl_->stop = true;
    impl_->started = false;
  }
  impl_->cv.notify_all();
  if (impl_->writer.joinable()) impl_->writer.join();
}

Ingestor::Stats Ingestor::stats() const {
  return {impl_->written.load(), impl_->groups.load(), impl_->busy.load()};
}

}  // namespace keel::ingest
