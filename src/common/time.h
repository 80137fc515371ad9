// Time: stored as UTC milliseconds since the Unix epoch, written as fixed-width ISO-8601
// ("2026-11-27T08:00:00.000Z", so text order is time order). "Now" always comes from an
// injected Clock so that tests and the demo generator control it.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace keel {

using TimeMs = int64_t;

// Thread-safe source of the current time.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimeMs NowMs() const = 0;
  // The process-wide wall clock; never deleted.
  static Clock* System();
};

// A clock tests set by hand. Thread-safe.
class ManualClock : public Clock {
 public:
  explicit ManualClock(TimeMs start) : now_(start) {}
  TimeMs NowMs() const override { return now_.load(); }
  void Set(TimeMs t) { now_.store(t); }
  void Advance(TimeMs d) { now_.fetch_add(d); }

 private:
  std::atomic<TimeMs> now_;
};

// A clock that reads `start` when constructed and then advances with the monotonic clock: a
// chosen "now" that still moves (the demo generator for a past end date; the test suite's clock).
// Thread-safe.
class AnchoredClock : public Clock {
 public:
  explicit AnchoredClock(TimeMs start);
  TimeMs NowMs() const override;

 private:
  TimeMs start_;
  int64_t origin_ns_;  // the monotonic clock's reading at construction
};

// "2026-11-27T08:00:00.000Z".
std::string FormatTimestamp(TimeMs t);
// "2026-11-27".
std::string FormatDate(int64_t days_since_epoch);

// Parses an ISO-8601 timestamp that must carry a zone ("Z" or "+08:00"/"+0800");
// fractional seconds optional. Errors name the problem in en/zh.
Result<TimeMs> ParseTimestamp(std::string_view text);
// Parses "YYYY-MM-DD" into days since 1970-01-01.
Result<int64_t> ParseDate(std::string_view text);

int64_t DaysFromCivil(int y, unsigned m, unsigned d);
TimeMs MsFromCivil(int y, unsigned m, unsigned d, int hh = 0, int mm = 0, int ss = 0);

// True when `name` is an IANA zone this machine knows (e.g. "Asia/Shanghai").
bool IsKnownTimeZone(const std::string& name);

}  // namespace keel
