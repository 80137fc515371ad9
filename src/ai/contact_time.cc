#include "ai/contact_time.h"

#include "ai/store.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

namespace keel::ai {
namespace {


constexpr TimeMs kDayMs = 86400000;
constexpr double kShrink = 8;  // pseudo-calls of the broader level at each step

bool Answered(const std::string& outcome) {
  return outcome == "connected" || outcome == "positive" || outcome == "neutral" || outcome == "negative" || outcome == "completed";
}
bool Counts(const std::string& outcome) { return Answered(outcome) || outcome == "no_answer" || outcome == "rescheduled"; }

// Rates of one level given its parent's rates.
std::array<double, kHoursOfWeek> Shrink(const SlotCounts& c, const std::array<double, kHoursOfWeek>& parent, double k) {
  std::array<double, kHoursOfWeek> out{};
  for (size_t i = 0; i < out.size(); ++i) out[i] = (c.answered[i] + k * parent[i]) / (c.calls[i] + k);
  return out;
}

double Total(const std::array<double, kHoursOfWeek>& a) {
  double s = 0;
  for (double v : a) s += v;
  return s;
}

const char* kWeekdayZh[] = {"周一", "周二", "周三", "周四", "周五", "周六", "周日"};
const char* kWeekdayEn[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

}  // namespace

int ContactStats::Slot(TimeMs utc) const {
  TimeMs local = tz->ToLocal(utc);
  int64_t day = local >= 0 ? local / kDayMs : (local - kDayMs + 1) / kDayMs;
  int weekday = static_cast<int>(((day + 3) % 7 + 7) % 7);  // 1970-01-01 was a Thursday
  int hour = static_cast<int>((local - day * kDayMs) / 3600000);
  return weekday * 24 + hour;
}

Result<std::shared_ptr<const ContactStats>> ContactStats::Load(store::Connection& conn, int64_t tenant_id) {
  auto s = std::make_shared<ContactStats>();
  KEEL_ASSIGN_OR_RETURN(std::optional<std::string> zone, repo::TenantTimeZone(conn, tenant_id));
  KEEL_ASSIGN_OR_RETURN(s->tz, TimeZone::Load(zone ? *zone : std::string("Asia/Shanghai")));
  KEEL_ASSIGN_OR_RETURN(auto calls, repo::TenantCalls(conn, tenant_id));
  for (const auto& c : calls) {
    if (!Counts(c.outcome)) continue;
    auto at = ParseTimestamp(c.occurred_at);
    if (!at.ok()) continue;
    int slot = s->Slot(*at);
    bool ok = Answered(c.outcome);
    s->tenant.Add(slot, ok);
    s->owner[c.owner_id].Add(slot, ok);
    if (c.segment) s->segment[*c.segment].Add(slot, ok);
    s->calls++;
  }
  return std::shared_ptr<const ContactStats>(std::move(s));
}

Result<ContactTime> BestContactTime(store::Connection& conn, const ContactStats& stats, int64_t tenant_id, const std::string& entity,
                             int64_t id, int top) {
  bool lead = entity == "leads";
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::OwnerSegment> rec, repo::RecordOwner(conn, tenant_id, lead, id));
  if (!rec) return Status::NotFound(entity + " " + std::to_string(id));
  int64_t owner = rec->owner_id;
  std::string segment = rec->segment.value_or("");
  SlotCounts own;
  KEEL_ASSIGN_OR_RETURN(auto calls, repo::RecordCalls(conn, tenant_id, lead, id));
  for (const auto& c : calls) {
    auto at = ParseTimestamp(c.occurred_at);
    if (Counts(c.outcome) && at.ok()) own.Add(stats.Slot(*at), Answered(c.outcome));
  }
  // Tenant: overall → hour of day → hour of week.
  double all_calls = Total(stats.tenant.calls);
  double base = all_calls > 0 ? Total(stats.tenant.answered) / all_calls : 0.5;
  std::array<double, 24> day_rate{};
  for (int h = 0; h < 24; ++h) {
    double s = 0, n = 0;
    for (int w = 0; w < 7; ++w) {
      s += stats.tenant.answered[static_cast<size_t>(w * 24 + h)];
      n += stats.tenant.calls[static_cast<size_t>(w * 24 + h)];
    }
    day_rate[static_cast<size_t>(h)] = (s + 20 * base) / (n + 20);
  }
  std::array<double, kHoursOfWeek> parent{};
  for (int x = 0; x < kHoursOfWeek; ++x) parent[static_cast<size_t>(x)] = day_rate[static_cast<size_t>(x % 24)];
  std::array<double, kHoursOfWeek> rate = Shrink(stats.tenant, parent, 20);
  double seg_calls = 0, owner_calls = 0;
  if (auto it = stats.segment.find(segment); it != stats.segment.end()) {
    rate = Shrink(it->second, rate, kShrink);
    seg_calls = Total(it->second.calls);
  }
  if (auto it = stats.owner.find(owner); it != stats.owner.end()) {
    // The owner's book by hour of day first (a rep's habits repeat across weekdays), then by slot.
    std::array<double, kHoursOfWeek> by_day{};
    for (int h = 0; h < 24; ++h) {
      double s = 0, n = 0, prior = 0;
      for (int w = 0; w < 7; ++w) {
        s += it->second.answered[static_cast<size_t>(w * 24 + h)];
        n += it->second.calls[static_cast<size_t>(w * 24 + h)];
        prior += rate[static_cast<size_t>(w * 24 + h)] / 7;
      }
      for (int w = 0; w < 7; ++w) {
        size_t x = static_cast<size_t>(w * 24 + h);
        by_day[x] = (s + kShrink * prior) / (n + kShrink) * (prior > 0 ? rate[x] / prior : 1);
      }
    }
    rate = Shrink(it->second, by_day, kShrink);
    owner_calls = Total(it->second.calls);
  }
  rate = Shrink(own, rate, kShrink);
  // Evidence close to the record: its own calls and its owner's, per slot and per hour of day.
  std::array<double, kHoursOfWeek> near{};
  std::array<double, 24> near_day{};
  const SlotCounts* book = nullptr;
  if (auto it = stats.owner.find(owner); it != stats.owner.end()) book = &it->second;
  for (size_t x = 0; x < near.size(); ++x) {
    near[x] = own.calls[x] + (book ? book->calls[x] : 0);
    near_day[x % 24] += near[x];
  }
  bool has_near = Total(near) >= 20;
  // Slots worth proposing: hours this owner (or, lacking that, the tenant) actually calls.
  std::vector<int> slots;
  for (int x = 0; x < kHoursOfWeek; ++x) {
    size_t i = static_cast<size_t>(x);
    if (has_near ? near[i] >= 2 : stats.tenant.calls[i] >= 3) slots.push_back(x);
  }
  std::sort(slots.begin(), slots.end(), [&](int a, int b) { return rate[static_cast<size_t>(a)] > rate[static_cast<size_t>(b)]; });
  double mean = 0, weight = 0;
  for (int x : slots) {
    mean += rate[static_cast<size_t>(x)] * stats.tenant.calls[static_cast<size_t>(x)];
    weight += stats.tenant.calls[static_cast<size_t>(x)];
  }
  mean = weight > 0 ? mean / weight : base;
  ContactTime out;
  out.entity = entity;
  out.id = id;
  out.time_zone = stats.tz->name();
  for (int x : slots) {
    if (static_cast<int>(out.windows.size()) >= top) break;
    int w = x / 24, h = x % 24;
    char zh[64], en[64];
    std::snprintf(zh, sizeof zh, "%s %02d:00-%02d:00", kWeekdayZh[w], h, h + 1);
    std::snprintf(en, sizeof en, "%s %02d:00-%02d:00", kWeekdayEn[w], h, h + 1);
    double r = rate[static_cast<size_t>(x)];
    out.windows.push_back({w + 1, h, zh, en, std::round(r * 1000) / 1000, std::round(r / std::max(1e-9, mean) * 100) / 100,
                           own.calls[static_cast<size_t>(x)]});
  }
  // Working days by hour of day, for a chart; the best hours are among those with evidence.
  std::vector<std::pair<double, int>> hours;
  for (int h = 0; h < 24; ++h) {
    double s = 0;
    for (int w = 0; w < 5; ++w) s += rate[static_cast<size_t>(w * 24 + h)];
    out.by_hour_weekdays.push_back(std::round(s / 5 * 1000) / 1000);
    double tenant_h = 0;
    for (int w = 0; w < 7; ++w) tenant_h += stats.tenant.calls[static_cast<size_t>(w * 24 + h)];
    if (has_near ? near_day[static_cast<size_t>(h)] >= 5 : tenant_h >= 10) hours.push_back({s / 5, h});
  }
  std::sort(hours.begin(), hours.end(), std::greater<>());
  for (size_t i = 0; i < hours.size() && i < 3; ++i) out.best_hours.push_back(hours[i].second);
  out.rate_overall = std::round(mean * 1000) / 1000;
  out.own_calls = Total(own.calls);
  out.owner_calls = owner_calls;
  out.segment_calls = seg_calls;
  out.tenant_calls = all_calls;
  return out;
}

}  // namespace keel::ai
