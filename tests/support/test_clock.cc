#include "support/test_clock.h"

#include <cstdio>
#include <cstdlib>

namespace keel::testing {

TimeMs TestClockStart() {
  static const TimeMs start = [] {
    const char* env = std::getenv("KEEL_TEST_NOW");
    if (env == nullptr || *env == '\0') return ParseTimestamp("2026-11-27T10:00:00+08:00").value();
    auto parsed = ParseTimestamp(env);
    if (!parsed.ok()) {
      std::fprintf(stderr, "KEEL_TEST_NOW: %s\n", parsed.status().ToString().c_str());
      std::abort();
    }
    return *parsed;
  }();
  return start;
}

Clock& TestClock() {
  static AnchoredClock clock(TestClockStart());
  return clock;
}

}  // namespace keel::testing
