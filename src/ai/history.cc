// History: the records, audit trail, activities, signals and orders one tenant's lead or deal
// features are computed from (loaded through the repository, ai/store.h), and the features of a
// record as of a time.
#include <algorithm>
#include <cmath>
#include <set>

#include "ai/features.h"
#include "ai/store.h"

namespace keel::ai {
namespace {

using json = nlohmann::json;

constexpr TimeMs kHourMs = 3600000, kDayMs = 86400000;

// A stored timestamp; 0 when empty or unreadable.
TimeMs TimeOf(const std::string& v) {
  if (v.empty()) return 0;
  auto t = ParseTimestamp(v);
  return t.ok() ? *t : 0;
}

// A stored date (or the date of a timestamp) as the time of its midnight; 0 when empty.
TimeMs DateOf(const std::string& v) {
  if (v.empty()) return 0;
  auto d = ParseDate(v.substr(0, 10));
  return d.ok() ? *d * kDayMs : 0;
}

// A stored JSON object; {} when empty or not an object.
json ParseObject(const std::string& v) {
  if (v.empty()) return json::object();
  json j = json::parse(v, nullptr, false);
  return j.is_object() ? j : json::object();
}

// Activities in [t-14d, t) minus those in [t-28d, t-14d).
double Trend(const std::vector<History::Activity>& acts, TimeMs t) {
  double recent = 0, before = 0;
  for (const auto& a : acts) {
    if (a.at >= t) break;
    if (a.at >= t - 14 * kDayMs) recent += 1;
    else if (a.at >= t - 28 * kDayMs) before += 1;
  }
  return recent - before;
}

// Touches in person or with substance: what "visits" counts.
bool IsVisit(const std::string& k) { return k == "visit" || k == "meeting" || k == "demo" || k == "proposal"; }

// An object as it stood at t: the current one unless a later change replaced it, then the value
// before the first change at or after t.
const json& AsOf(const json& current, const std::vector<std::pair<TimeMs, json>>& changes, TimeMs t) {
  for (const auto& [at, before] : changes) {
    if (at >= t) return before;
  }
  return current;
}

// What a lead and a deal row have alike: ids, owner, unit, customer, source, archived, custom values.
template <typename Row>
History::Record Common(const Row& r) {
  History::Record rec;
  rec.id = r.id;
  rec.owner = r.owner_id;
  rec.unit = r.unit_id;
  rec.customer = r.customer_id;
  rec.source = r.source;
  rec.created = TimeOf(r.created_at);
  rec.archived = r.archived;
  rec.custom = ParseObject(r.custom);
  return rec;
}

History::Record LeadRecord(const repo::LeadRecordRow& r) {
  History::Record rec = Common(r);
  rec.channel = r.channel;
  rec.region = r.region;
  rec.company = r.company;
  rec.first_response = TimeOf(r.first_response_at);
  if (r.status == "converted") {
    rec.resolved = TimeOf(r.converted_at);
    rec.success = true;
  } else if (r.status == "disqualified") {
    rec.resolved = TimeOf(r.updated_at);  // refined from the audit trail
  }
  rec.stage = r.status;
  return rec;
}

History::Record DealRecord(const repo::DealRecordRow& r) {
  History::Record rec = Common(r);
  rec.category = r.product_category;
  rec.amount = static_cast<double>(r.amount_fen) / 100.0;
  rec.stage = r.stage;
  if (r.outcome == "won" || r.outcome == "lost") {
    rec.resolved = TimeOf(r.closed_at);
    rec.success = r.outcome == "won";
  }
  rec.expected_close = DateOf(r.expected_close);
  rec.segment = r.segment;
  rec.industry = r.industry;
  rec.region = r.region;
  if (r.discount_pct) rec.discount_pct = *r.discount_pct;
  return rec;
}

// Status, close-date, discount and custom-field history from one update of the audit trail.
void ApplyAudit(History::Record& rec, bool lead, TimeMs at, const json& before, const json& after) {
  if (lead) {
    std::string from = before.value("status", ""), to = after.value("status", "");
    if (from != to && after["status"].is_string()) {
      rec.stages.push_back({at, to});
      // Resolved by the last move to disqualified, and only if it still is (a reopened lead is open).
      if (to == "disqualified" && rec.stage == "disqualified") rec.resolved = at;
    }
  } else if (before.contains("expected_close") && after.contains("expected_close") && before["expected_close"] != after["expected_close"]) {
    TimeMs prev = before["expected_close"].is_string() ? DateOf(before["expected_close"].get<std::string>()) : 0;
    rec.close_changes.push_back({at, prev});
  }
  if (!lead && before.contains("discount_pct") && after.contains("discount_pct") && before["discount_pct"] != after["discount_pct"]) {
    rec.discount_changes.push_back({at, before["discount_pct"].is_number() ? before["discount_pct"].get<double>() : NAN});
  }
  if (before.contains("custom") && after.contains("custom") && before["custom"] != after["custom"]) {
    rec.custom_changes.push_back({at, before["custom"].is_object() ? before["custom"] : json::object()});
  }
}

template <typename T>
void SortByTime(std::vector<T>& list) {
  std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
}

}  // namespace

Result<History> History::Load(store::Connection& conn, int64_t tenant, Target target, const std::vector<int64_t>& ids,
                              std::shared_ptr<const OwnerOutcomes> owners, const std::vector<CustomFeature>* custom) {
  History h;
  h.target_ = target;
  bool lead = target == Target::kLead;
  if (custom) {
    h.custom_ = *custom;
  } else {
    KEEL_ASSIGN_OR_RETURN(h.custom_, LoadCustomFeatures(conn, tenant, target));
  }
  bool customer_custom = std::any_of(h.custom_.begin(), h.custom_.end(), [](const CustomFeature& c) { return c.entity == "customers"; });
  if (lead) {
    KEEL_ASSIGN_OR_RETURN(auto rows, repo::LeadRecords(conn, tenant, ids));
    for (const auto& r : rows) h.records_[r.id] = LeadRecord(r);
  } else {
    KEEL_ASSIGN_OR_RETURN(auto rows, repo::DealRecords(conn, tenant, ids));
    for (const auto& r : rows) h.records_[r.id] = DealRecord(r);
  }
  std::vector<int64_t> have;
  for (const auto& [id, r] : h.records_) have.push_back(id);
  if (have.empty()) return h;
  const std::vector<int64_t>& scope = ids.empty() ? std::vector<int64_t>() : have;
  // Status and close-date history from the audit trail (business times).
  {
    KEEL_ASSIGN_OR_RETURN(auto rows, repo::AuditUpdates(conn, tenant, lead ? "leads" : "opportunities", scope));
    for (const auto& r : rows) {
      auto it = h.records_.find(r.entity_id);
      if (it == h.records_.end()) continue;
      json before = json::parse(r.before, nullptr, false), after = json::parse(r.after, nullptr, false);
      if (!before.is_object() || !after.is_object()) continue;
      ApplyAudit(it->second, lead, TimeOf(r.at), before, after);
    }
  }
  if (!lead) {
    KEEL_ASSIGN_OR_RETURN(auto rows, repo::StageHistory(conn, tenant, scope));
    for (const auto& r : rows) {
      auto it = h.records_.find(r.opportunity_id);
      if (it == h.records_.end()) continue;
      it->second.stages.push_back({TimeOf(r.changed_at), r.to_stage});
      if (r.amount_fen) it->second.amounts.push_back({TimeOf(r.changed_at), *r.amount_fen / 100.0});
    }
  }
  // Activities on the records.
  {
    KEEL_ASSIGN_OR_RETURN(auto rows, repo::RecordActivities(conn, tenant, lead, scope));
    for (const auto& r : rows) {
      auto it = h.records_.find(r.record_id);
      if (it == h.records_.end()) continue;
      // Known from when it happened and was recorded, whichever is later (a visit logged a week late
      // was not known before).
      it->second.activities.push_back({std::max(TimeOf(r.occurred_at), TimeOf(r.created_at)), r.kind, r.outcome, r.duration_min});
    }
  }
  if (!lead) KEEL_RETURN_IF_ERROR(h.LoadCustomers(conn, tenant, !ids.empty(), customer_custom));
  for (auto& [id, r] : h.records_) {
    std::sort(r.activities.begin(), r.activities.end(), [](const Activity& a, const Activity& b) { return a.at < b.at; });
    SortByTime(r.stages);
    SortByTime(r.close_changes);
    SortByTime(r.amounts);
    SortByTime(r.discount_changes);
    SortByTime(r.custom_changes);
  }
  // Owners' past outcomes: from the records themselves on a full load (exact resolution times),
  // else from the cache the caller passed, else from the tables.
  if (ids.empty()) {
    auto o = std::make_shared<OwnerOutcomes>();
    for (const auto& [id, r] : h.records_) {
      if (r.resolved) o->by_owner[r.owner].push_back({r.resolved, r.success});
    }
    for (auto& [owner, list] : o->by_owner) {
      std::sort(list.begin(), list.end());
      o->all.insert(o->all.end(), list.begin(), list.end());
    }
    std::sort(o->all.begin(), o->all.end());
    h.owners_ = std::move(o);
  } else if (owners) {
    h.owners_ = std::move(owners);
  } else {
    KEEL_ASSIGN_OR_RETURN(h.owners_, OwnerOutcomes::Load(conn, tenant, target));
  }
  return h;
}

// The deals' customers: signals about them, their paid orders, their custom fields as they were.
Status History::LoadCustomers(store::Connection& conn, int64_t tenant, bool filtered, bool custom_fields) {
  std::set<int64_t> customers;
  for (const auto& [id, r] : records_) {
    if (r.customer) customers.insert(r.customer);
  }
  std::vector<int64_t> cs(customers.begin(), customers.end());
  {
    KEEL_ASSIGN_OR_RETURN(auto rows, repo::SignalSentiments(conn, tenant, filtered ? cs : std::vector<int64_t>()));
    for (const auto& r : rows) signals_[r.customer_id].push_back({TimeOf(r.occurred_at), r.sentiment});
  }
  for (auto& [c, list] : signals_) std::sort(list.begin(), list.end(), [](const Signal& a, const Signal& b) { return a.at < b.at; });
  if (cs.empty()) return Status();
  // Their paid orders (their size and the discounts they got). Refunded orders were paid when
  // they counted; known from when they were placed and recorded.
  {
    KEEL_ASSIGN_OR_RETURN(auto rows, repo::Purchases(conn, tenant, cs));
    for (const auto& r : rows) {
      purchases_[r.customer_id].push_back({std::max(TimeOf(r.ordered_at), TimeOf(r.created_at)), r.total_fen / 100.0, r.discount_fen / 100.0});
    }
  }
  for (auto& [c, list] : purchases_) std::sort(list.begin(), list.end(), [](const Purchase& a, const Purchase& b) { return a.at < b.at; });
  if (!custom_fields) return Status();
  // Their custom fields, current and as they were changed.
  const std::vector<int64_t>& only = filtered ? cs : std::vector<int64_t>();
  KEEL_ASSIGN_OR_RETURN(auto current, repo::CustomerCustom(conn, tenant, only));
  for (const auto& r : current) customer_custom_[r.id].current = ParseObject(r.custom);
  KEEL_ASSIGN_OR_RETURN(auto changes, repo::AuditUpdates(conn, tenant, "customers", only));
  for (const auto& r : changes) {
    json before = json::parse(r.before, nullptr, false), after = json::parse(r.after, nullptr, false);
    if (!before.is_object() || !after.is_object() || !before.contains("custom") || before["custom"] == after["custom"]) continue;
    customer_custom_[r.entity_id].changes.push_back({TimeOf(r.at), before["custom"].is_object() ? before["custom"] : json::object()});
  }
  return Status();
}

Result<std::shared_ptr<const OwnerOutcomes>> OwnerOutcomes::Load(store::Connection& conn, int64_t tenant, Target target) {
  auto o = std::make_shared<OwnerOutcomes>();
  KEEL_ASSIGN_OR_RETURN(auto rows, repo::OwnerOutcomeRows(conn, tenant, target == Target::kLead));
  for (const auto& r : rows) o->by_owner[r.owner_id].push_back({TimeOf(r.resolved_at), r.success});
  for (auto& [owner, list] : o->by_owner) {
    std::sort(list.begin(), list.end());
    o->all.insert(o->all.end(), list.begin(), list.end());
  }
  std::sort(o->all.begin(), o->all.end());
  return std::shared_ptr<const OwnerOutcomes>(std::move(o));
}

double History::OwnerRate(int64_t owner, TimeMs t) const {
  // Successes / outcomes before t, shrunk toward the tenant's rate before t (20 pseudo-outcomes).
  auto before = [t](const std::vector<std::pair<TimeMs, bool>>& list, double* n, double* s) {
    *n = *s = 0;
    for (const auto& [at, ok] : list) {
      if (at >= t) break;
      *n += 1;
      *s += ok ? 1 : 0;
    }
  };
  double an = 0, as = 0, n = 0, s = 0;
  if (owners_) {
    before(owners_->all, &an, &as);
    if (auto it = owners_->by_owner.find(owner); it != owners_->by_owner.end()) before(it->second, &n, &s);
  }
  double prior = an > 0 ? as / an : 0.2;
  return 100.0 * (s + 20 * prior) / (n + 20);
}

void History::LeadFeatures(const Record& r, TimeMs t, RawFeatures* out) const {
  const auto& defs = FeatureDefs(Target::kLead);
  out->num.assign(defs.size() + custom_.size(), NAN);
  out->text.assign(defs.size() + custom_.size(), "");
  out->text[0] = r.source;
  out->text[1] = r.channel;
  out->text[2] = r.region;
  std::string status = "new";
  for (const auto& [at, s] : r.stages) {
    if (at < t) status = s;
  }
  if (r.first_response && r.first_response < t && status == "new") status = "working";
  out->text[3] = status == "converted" || status == "disqualified" ? "" : status;
  out->num[4] = static_cast<double>(t - r.created) / kDayMs;
  if (r.first_response && r.first_response < t) out->num[5] = static_cast<double>(r.first_response - r.created) / kHourMs;
  double calls = 0, connected = 0, visits = 0, recent = 0;
  TimeMs last = 0;
  bool first_call_seen = false;
  for (const auto& a : r.activities) {
    if (a.at >= t) break;
    if (a.kind == "call") {
      if (!first_call_seen) {
        out->num[6] = a.outcome == "connected" ? 1 : 0;
        first_call_seen = true;
      }
      calls += 1;
      connected += a.outcome == "connected" ? 1 : 0;
    }
    if (IsVisit(a.kind)) visits += 1;
    if (a.at >= t - 7 * kDayMs) recent += 1;
    last = a.at;
  }
  out->num[7] = calls;
  out->num[8] = connected;
  out->num[9] = visits;
  out->num[10] = recent;
  if (last) out->num[11] = static_cast<double>(t - last) / kDayMs;
  out->num[12] = OwnerRate(r.owner, t);
  out->num[13] = r.company.empty() ? 0 : 1;
  out->num[14] = Trend(r.activities, t);
}

void History::DealFeatures(const Record& r, TimeMs t, RawFeatures* out) const {
  const auto& defs = FeatureDefs(Target::kOpportunity);
  out->num.assign(defs.size() + custom_.size(), NAN);
  out->text.assign(defs.size() + custom_.size(), "");
  out->num[0] = r.amount;  // the amount as it stood at t (stage history), else the current one
  for (const auto& [at, amount] : r.amounts) {
    if (at >= t) break;
    out->num[0] = amount;
  }
  out->text[1] = r.category;
  out->text[2] = r.source;
  std::string stage = "prospecting";
  TimeMs entered = r.created;
  double moves = 0;
  for (const auto& [at, s] : r.stages) {
    if (at >= t) break;
    if (at > r.created + 1000) moves += 1;  // the entry written on creation is not a move
    stage = s;
    entered = std::max(entered, at);
  }
  out->text[3] = stage == "won" || stage == "lost" ? "" : stage;
  out->num[4] = static_cast<double>(t - entered) / kDayMs;
  out->num[5] = static_cast<double>(t - r.created) / kDayMs;
  out->num[6] = moves;
  double visits = 0, recent = 0, total = 0;
  TimeMs last = 0;
  for (const auto& a : r.activities) {
    if (a.at >= t) break;
    total += 1;
    if (a.at >= t - 30 * kDayMs) {
      recent += 1;
      if (IsVisit(a.kind)) visits += 1;
    }
    last = a.at;
  }
  out->num[7] = visits;
  out->num[8] = recent;
  out->num[9] = total;
  if (last) out->num[10] = static_cast<double>(t - last) / kDayMs;
  // The expected close date as it stood at t, and how often it had been pushed back by then.
  TimeMs close = r.expected_close;
  double slips = 0;
  for (size_t i = 0; i < r.close_changes.size(); ++i) {
    const auto& [at, prev] = r.close_changes[i];
    TimeMs next = i + 1 < r.close_changes.size() ? r.close_changes[i + 1].second : r.expected_close;
    if (at >= t) {
      close = prev;
      break;
    }
    if (prev && next > prev) slips += 1;
  }
  out->num[11] = slips;
  if (close) out->num[12] = static_cast<double>(close - t) / kDayMs;
  out->text[13] = r.segment;
  out->text[14] = r.industry;
  out->num[15] = OwnerRate(r.owner, t);
  double sum = 0, n = 0, negative = 0;
  if (auto it = signals_.find(r.customer); it != signals_.end()) {
    for (const auto& s : it->second) {
      if (s.at >= t) break;
      if (s.at < t - 30 * kDayMs) continue;
      sum += s.sentiment;
      n += 1;
      negative += s.sentiment <= -0.3 ? 1 : 0;
    }
  }
  if (n > 0) out->num[16] = sum / n;
  out->num[17] = negative;
  out->num[18] = Trend(r.activities, t);
  out->num[19] = moves / std::max(1.0, out->num[5]) * 30;
  out->text[20] = r.region;
  double orders = 0, spent = 0, discount = 0;
  if (auto it = purchases_.find(r.customer); it != purchases_.end()) {
    for (const auto& o : it->second) {
      if (o.at >= t) break;
      if (o.at < t - 365 * kDayMs) continue;
      orders += 1;
      spent += o.total;
      discount += o.discount;
    }
  }
  out->num[21] = orders;
  if (orders > 0 && spent + discount > 0) out->num[22] = 100.0 * discount / (spent + discount);
  // The discount offered as it stood at t.
  double offered = r.discount_pct;
  for (const auto& [at, prev] : r.discount_changes) {
    if (at >= t) {
      offered = prev;
      break;
    }
  }
  out->num[23] = offered;
}

void History::CustomFeatures(const Record& r, TimeMs t, RawFeatures* out) const {
  const size_t base = FeatureDefs(target_).size();
  static const json kEmpty = json::object();
  for (size_t i = 0; i < custom_.size(); ++i) {
    const CustomFeature& c = custom_[i];
    const json* obj = &kEmpty;
    if (c.entity == "customers" && target_ == Target::kOpportunity) {
      if (auto it = customer_custom_.find(r.customer); it != customer_custom_.end()) obj = &AsOf(it->second.current, it->second.changes, t);
    } else {
      obj = &AsOf(r.custom, r.custom_changes, t);
    }
    if (!obj->is_object() || !obj->contains(c.name)) continue;
    const json& v = (*obj)[c.name];
    size_t f = base + i;
    if (c.type == "enum" && v.is_string()) out->text[f] = v.get<std::string>();
    else if (c.type == "bool" && v.is_boolean()) out->num[f] = v.get<bool>() ? 1 : 0;
    else if (v.is_number()) out->num[f] = v.get<double>();
    else if (c.type == "date" && v.is_string()) {
      TimeMs d = DateOf(v.get<std::string>());
      if (d) out->num[f] = static_cast<double>(d - t) / kDayMs;
    }
  }
}

bool History::At(int64_t id, TimeMs t, RawFeatures* out) const {
  auto it = records_.find(id);
  if (it == records_.end()) return false;
  if (target_ == Target::kLead) LeadFeatures(it->second, t, out);
  else DealFeatures(it->second, t, out);
  CustomFeatures(it->second, t, out);
  return true;
}

std::vector<Example> History::TrainingExamples() const {
  static const double kLeadAges[] = {0.25, 1, 3, 7, 14, 30};
  static const double kDealAges[] = {1, 7, 21, 45, 90};
  std::vector<Example> out;
  for (const auto& [id, r] : records_) {
    if (!r.resolved || !r.created || r.resolved <= r.created) continue;
    std::vector<TimeMs> times;
    if (target_ == Target::kLead) {
      for (double d : kLeadAges) times.push_back(r.created + static_cast<TimeMs>(d * kDayMs));
    } else {
      for (double d : kDealAges) times.push_back(r.created + static_cast<TimeMs>(d * kDayMs));
    }
    // And shortly before the resolution, when the late signals (recent visits) are visible.
    for (double d : {1.0, 5.0, 14.0}) times.push_back(r.resolved - static_cast<TimeMs>(d * kDayMs));
    std::sort(times.begin(), times.end());
    std::vector<TimeMs> keep;
    for (TimeMs t : times) {
      if (t > r.created && t < r.resolved && (keep.empty() || t - keep.back() >= kDayMs / 2)) keep.push_back(t);
    }
    if (keep.empty()) keep.push_back(r.created + (r.resolved - r.created) / 2);
    for (TimeMs t : keep) {
      Example e;
      e.id = id;
      e.at = t;
      e.resolved = r.resolved;
      e.label = r.success ? 1.0f : 0.0f;
      e.weight = 1.0f / static_cast<float>(keep.size());
      At(id, t, &e.f);
      out.push_back(std::move(e));
    }
  }
  return out;
}

std::vector<int64_t> History::OpenIds() const {
  std::vector<int64_t> out;
  for (const auto& [id, r] : records_) {
    if (r.resolved || r.archived) continue;
    if (target_ == Target::kLead && (r.stage == "converted" || r.stage == "disqualified")) continue;
    out.push_back(id);
  }
  return out;
}

int64_t History::OwnerOf(int64_t id) const {
  auto it = records_.find(id);
  return it == records_.end() ? 0 : it->second.owner;
}

double History::AmountOf(int64_t id) const {
  auto it = records_.find(id);
  return it == records_.end() ? 0 : it->second.amount;
}

}  // namespace keel::ai
