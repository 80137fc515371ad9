#include "common/tz.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstdio>
#include <mutex>
#include <map>

#include <unicode/basictz.h>
#include <unicode/timezone.h>
#include <unicode/tztrans.h>
#include <unicode/unistr.h>

namespace keel {
namespace {

constexpr int64_t kMinuteMs = 60000, kHourMs = 3600000, kDayMs = 86400000;

struct Ymd {
  int y;
  unsigned m, d;
};
Ymd CivilFromDays(int64_t days) {
  using namespace std::chrono;
  year_month_day ymd{sys_days{std::chrono::days{days}}};
  return {static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day())};
}
int64_t FloorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

}  // namespace

const char* GrainName(Grain g) {
  static const char* kNames[] = {"minute", "hour", "day", "week", "month", "quarter", "year"};
  return kNames[static_cast<int>(g)];
}
const char* GrainNameZh(Grain g) {
  static const char* kNames[] = {"分钟", "小时", "日", "周", "月", "季度", "年"};
  return kNames[static_cast<int>(g)];
}
Result<Grain> ParseGrain(std::string_view s) {
  for (int i = 0; i <= static_cast<int>(Grain::kYear); ++i) {
    if (s == GrainName(static_cast<Grain>(i))) return static_cast<Grain>(i);
  }
  return Status::Invalid("grain.unknown",
                         "unknown grain '" + std::string(s) + "' (minute, hour, day, week, month, quarter, year)",
                         "未知的时间粒度 '" + std::string(s) + "'（minute/hour/day/week/month/quarter/year）");
}

Result<std::shared_ptr<const TimeZone>> TimeZone::Load(const std::string& name) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const TimeZone>> cache;
  std::lock_guard lock(mu);
  if (auto it = cache.find(name); it != cache.end()) return it->second;
  std::unique_ptr<icu::TimeZone> tz(icu::TimeZone::createTimeZone(icu::UnicodeString::fromUTF8(name)));
  icu::UnicodeString id;
  tz->getID(id);
  if (*tz == icu::TimeZone::getUnknown() || name.empty()) {
    return Status::Invalid("tz.unknown", "unknown time zone '" + name + "'",
                           "未知的时区 '" + name + "'", "time_zone");
  }
  auto out = std::make_shared<TimeZone>();
  out->name_ = name;
  auto* btz = dynamic_cast<icu::BasicTimeZone*>(tz.get());
  UErrorCode status = U_ZERO_ERROR;
  int32_t raw = 0, dst = 0;
  // Offset before 1970, then every transition up to 2100.
  constexpr double kStart = 0.0, kEnd = 4102444800000.0;
  tz->getOffset(kStart, false, raw, dst, status);
  out->offsets_.push_back(static_cast<int64_t>(raw) + dst);
  if (btz != nullptr) {
    icu::TimeZoneTransition tr;
    UDate at = kStart;
    while (btz->getNextTransition(at, false, tr) && tr.getTime() < kEnd) {
      at = tr.getTime();
      out->transitions_.push_back(static_cast<TimeMs>(at));
      out->offsets_.push_back(static_cast<int64_t>(tr.getTo()->getRawOffset()) + tr.getTo()->getDSTSavings());
    }
  }
  if (U_FAILURE(status)) {
    return Status::Invalid("tz.unknown", "cannot read time zone '" + name + "'", "无法读取时区 '" + name + "'",
                           "time_zone");
  }
  cache[name] = out;
  return std::shared_ptr<const TimeZone>(out);
}

int64_t TimeZone::OffsetMs(TimeMs utc) const {
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), utc);
  return offsets_[static_cast<size_t>(it - transitions_.begin())];
}

TimeMs TimeZone::ToUtc(TimeMs local) const {
  // The offsets in force around the wall-clock time: the earliest instant that shows `local`
  // wins; a time skipped by a jump forward maps with the offset from before the jump.
  int64_t before = OffsetMs(local - 14 * kHourMs), after = OffsetMs(local + 14 * kHourMs);
  TimeMs best = INT64_MAX;
  for (int64_t off : {before, after}) {
    TimeMs utc = local - off;
    if (ToLocal(utc) == local) best = std::min(best, utc);
  }
  return best != INT64_MAX ? best : local - before;
}

TimeMs TimeZone::FloorLocal(TimeMs local, Grain grain) {
  switch (grain) {
    case Grain::kMinute: return FloorDiv(local, kMinuteMs) * kMinuteMs;
    case Grain::kHour: return FloorDiv(local, kHourMs) * kHourMs;
    case Grain::kDay: return FloorDiv(local, kDayMs) * kDayMs;
    case Grain::kWeek: {
      int64_t days = FloorDiv(local, kDayMs);
      int64_t monday = days - ((days + 3) % 7 + 7) % 7;  // 1970-01-01 was a Thursday
      return monday * kDayMs;
    }
    case Grain::kMonth:
    case Grain::kQuarter:
    case Grain::kYear: {
      Ymd c = CivilFromDays(FloorDiv(local, kDayMs));
      unsigned m = grain == Grain::kMonth ? c.m : grain == Grain::kQuarter ? (c.m - 1) / 3 * 3 + 1 : 1;
      return DaysFromCivil(c.y, m, 1) * kDayMs;
    }
  }
  return local;
}

TimeMs TimeZone::NextLocal(TimeMs local_start, Grain grain) {
  switch (grain) {
    case Grain::kMinute: return local_start + kMinuteMs;
    case Grain::kHour: return local_start + kHourMs;
    case Grain::kDay: return local_start + kDayMs;
    case Grain::kWeek: return local_start + 7 * kDayMs;
    case Grain::kMonth: return AddMonthsLocal(local_start, 1);
    case Grain::kQuarter: return AddMonthsLocal(local_start, 3);
    case Grain::kYear: return AddMonthsLocal(local_start, 12);
  }
  return local_start;
}

TimeMs TimeZone::AddMonthsLocal(TimeMs local, int months) {
  int64_t day = FloorDiv(local, kDayMs);
  TimeMs in_day = local - day * kDayMs;
  Ymd c = CivilFromDays(day);
  int64_t total = static_cast<int64_t>(c.y) * 12 + (c.m - 1) + months;
  int y = static_cast<int>(FloorDiv(total, 12));
  unsigned m = static_cast<unsigned>(total - static_cast<int64_t>(y) * 12) + 1;
  using namespace std::chrono;
  unsigned last = static_cast<unsigned>(year_month_day_last{year{y}, month_day_last{month{m}}}.day());
  return DaysFromCivil(y, m, std::min(c.d, last)) * kDayMs + in_day;
}

std::string TimeZone::FormatLocal(TimeMs utc) const {
  int64_t off = OffsetMs(utc);
  TimeMs local = utc + off;
  int64_t day = FloorDiv(local, kDayMs);
  Ymd c = CivilFromDays(day);
  int64_t secs = (local - day * kDayMs) / 1000;
  int64_t off_min = off / 60000;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d%c%02d:%02d", c.y, c.m, c.d,
                static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60),
                off_min < 0 ? '-' : '+', static_cast<int>(std::abs(off_min) / 60), static_cast<int>(std::abs(off_min) % 60));
  return buf;
}

}  // namespace keel
