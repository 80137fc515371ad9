#include "common/time.h"

#include <chrono>
#include <cstdio>
#include <filesystem>

namespace keel {
namespace {

class SystemClock : public Clock {
 public:
  TimeMs NowMs() const override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }
};

Status BadTime(std::string_view text, const char* why_en, const char* why_zh) {
  return Status::Invalid("validation.timestamp",
                         "invalid timestamp '" + std::string(text) + "': " + why_en,
                         "时间格式无效 '" + std::string(text) + "'：" + why_zh);
}

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

bool ValidDate(int y, int m, int d) {
  using namespace std::chrono;
  return y >= 1900 && y <= 9999 &&
         year_month_day{year{y}, month{static_cast<unsigned>(m)}, day{static_cast<unsigned>(d)}}
             .ok();
}

}  // namespace

Clock* Clock::System() {
  static SystemClock clock;
  return &clock;
}

namespace {
int64_t MonotonicNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

AnchoredClock::AnchoredClock(TimeMs start) : start_(start), origin_ns_(MonotonicNs()) {}

TimeMs AnchoredClock::NowMs() const { return start_ + (MonotonicNs() - origin_ns_) / 1000000; }

int64_t DaysFromCivil(int y, unsigned m, unsigned d) {
  using namespace std::chrono;
  return sys_days{year{y} / month{m} / day{d}}.time_since_epoch().count();
}

TimeMs MsFromCivil(int y, unsigned m, unsigned d, int hh, int mm, int ss) {
  return DaysFromCivil(y, m, d) * 86400000LL + hh * 3600000LL + mm * 60000LL + ss * 1000LL;
}

std::string FormatDate(int64_t days) {
  using namespace std::chrono;
  year_month_day ymd{sys_days{std::chrono::days{days}}};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::string FormatTimestamp(TimeMs t) {
  int64_t days = t >= 0 ? t / 86400000 : (t - 86399999) / 86400000;
  int64_t rem = t - days * 86400000;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%sT%02d:%02d:%02d.%03dZ", FormatDate(days).c_str(),
                static_cast<int>(rem / 3600000), static_cast<int>(rem / 60000 % 60),
                static_cast<int>(rem / 1000 % 60), static_cast<int>(rem % 1000));
  return buf;
}

Result<int64_t> ParseDate(std::string_view s) {
  int y, m, d;
  if (s.size() != 10 || !Digits(s, 0, 4, &y) || s[4] != '-' || !Digits(s, 5, 2, &m) ||
      s[7] != '-' || !Digits(s, 8, 2, &d)) {
    return Status::Invalid("validation.date", "invalid date '" + std::string(s) +
                                                  "': expected YYYY-MM-DD",
                           "日期格式无效 '" + std::string(s) + "'：应为 YYYY-MM-DD");
  }
  if (!ValidDate(y, m, d)) {
    return Status::Invalid("validation.date", "no such date '" + std::string(s) + "'",
                           "日期不存在 '" + std::string(s) + "'");
  }
  return DaysFromCivil(y, m, d);
}

Result<TimeMs> ParseTimestamp(std::string_view s) {
  int y, mo, d, h, mi, sec = 0;
  if (s.size() < 16 || !Digits(s, 0, 4, &y) || s[4] != '-' || !Digits(s, 5, 2, &mo) ||
      s[7] != '-' || !Digits(s, 8, 2, &d) || (s[10] != 'T' && s[10] != ' ') ||
      !Digits(s, 11, 2, &h) || s[13] != ':' || !Digits(s, 14, 2, &mi)) {
    return BadTime(s, "expected YYYY-MM-DDThh:mm[:ss[.fff]] followed by Z or ±hh:mm",
                   "应为 YYYY-MM-DDThh:mm[:ss[.fff]]，并以 Z 或 ±hh:mm 结尾");
  }
  size_t pos = 16;
  int64_t frac_ms = 0;
  if (pos < s.size() && s[pos] == ':') {
    if (!Digits(s, pos + 1, 2, &sec)) return BadTime(s, "bad seconds", "秒无效");
    pos += 3;
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
      ++pos;
      size_t start = pos;
      int scale = 100;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        if (scale > 0) frac_ms += (s[pos] - '0') * scale;
        scale /= 10;
        ++pos;
      }
      if (pos == start || pos - start > 9) return BadTime(s, "bad fraction", "小数秒无效");
    }
  }
  if (!ValidDate(y, mo, d) || h > 23 || mi > 59 || sec > 60) {
    return BadTime(s, "no such date or time", "日期或时间不存在");
  }
  if (pos >= s.size()) {
    return BadTime(s, "a time zone is required (Z or ±hh:mm)", "必须带时区（Z 或 ±hh:mm）");
  }
  int64_t offset_min = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int sign = s[pos] == '-' ? -1 : 1;
    int oh, om;
    if (!Digits(s, pos + 1, 2, &oh)) return BadTime(s, "bad zone offset", "时区偏移无效");
    size_t p = pos + 3;
    if (p < s.size() && s[p] == ':') ++p;
    if (!Digits(s, p, 2, &om) || oh > 14 || om > 59) {
      return BadTime(s, "bad zone offset", "时区偏移无效");
    }
    offset_min = sign * (oh * 60 + om);
    pos = p + 2;
  } else {
    return BadTime(s, "a time zone is required (Z or ±hh:mm)", "必须带时区（Z 或 ±hh:mm）");
  }
  if (pos != s.size()) return BadTime(s, "trailing characters", "末尾有多余字符");
  if (sec == 60) sec = 59;  // leap second: clamp
  return MsFromCivil(y, mo, d, h, mi, sec) + frac_ms - offset_min * 60000;
}

bool IsKnownTimeZone(const std::string& name) {
  if (name.empty() || name.size() > 64 || name.find("..") != std::string::npos ||
      name[0] == '/') {
    return false;
  }
  if (name == "UTC" || name == "Etc/UTC") return true;
  std::error_code ec;
  return std::filesystem::is_regular_file("/usr/share/zoneinfo/" + name, ec);
}

}  // namespace keel
