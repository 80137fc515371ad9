// Time zones (时区) for bucketing: metrics, targets and reports count days, weeks and months in
// the tenant's zone (default Asia/Shanghai) while every stored time stays UTC. Offsets and
// their transitions come from ICU's time-zone database, read once per zone into a table, so a
// lookup is a binary search and the object is immutable and thread-safe after Load().
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"

namespace keel {

// Units of calendar bucketing, smallest first.
enum class Grain { kMinute, kHour, kDay, kWeek, kMonth, kQuarter, kYear };

// "minute" … "year"; "zh" gives 分钟/小时/日/周/月/季度/年.
const char* GrainName(Grain g);
const char* GrainNameZh(Grain g);
Result<Grain> ParseGrain(std::string_view s);

// "Local" time below means wall-clock milliseconds in the zone counted as if it were UTC
// (so civil arithmetic works on it); it is never stored.
class TimeZone {
 public:
  // Loads an IANA zone ("Asia/Shanghai"); "tz.unknown" if ICU does not know it.
  static Result<std::shared_ptr<const TimeZone>> Load(const std::string& name);

  const std::string& name() const { return name_; }
  // Offset from UTC at the instant `utc`, in milliseconds.
  int64_t OffsetMs(TimeMs utc) const;
  TimeMs ToLocal(TimeMs utc) const { return utc + OffsetMs(utc); }
  // The UTC instant of a local wall-clock time (the earlier one when it is ambiguous; a time
  // skipped by a DST jump maps forward).
  TimeMs ToUtc(TimeMs local) const;

  // Start (local) of the bucket of `grain` holding local time `local`; weeks start on Monday.
  static TimeMs FloorLocal(TimeMs local, Grain grain);
  // Start (local) of the bucket after the one starting at `local_start`.
  static TimeMs NextLocal(TimeMs local_start, Grain grain);
  // Shifts a local time by whole calendar months (day clamped to the month's end).
  static TimeMs AddMonthsLocal(TimeMs local, int months);
  // "2026-11-27T00:00:00+08:00" for a UTC instant, in this zone.
  std::string FormatLocal(TimeMs utc) const;

 private:
  std::string name_;
  // Sorted transition instants (UTC) and the offset in force from each one on; offsets_[0]
  // applies before the first transition.
  std::vector<TimeMs> transitions_;
  std::vector<int64_t> offsets_;
};

}  // namespace keel
