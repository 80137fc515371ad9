// The test suite's one "now". Tests never read the real clock or calendar: every service a test
// builds gets this clock, and every date a test computes comes from it.
//
// It starts at KEEL_TEST_NOW (an ISO-8601 timestamp with a zone, e.g.
// "2026-12-31T23:30:00+08:00") or, when that is unset, at 2026-11-27T10:00:00+08:00, and then
// advances with the monotonic clock, so timeouts and for-durations still elapse. CI runs the
// date-sensitive suites again with KEEL_TEST_NOW on the first day of a month and on 31 December.
#pragma once

#include "common/time.h"

namespace keel::testing {

// The process-wide test clock; never deleted. Aborts with a message when KEEL_TEST_NOW is set
// but is not a timestamp with a zone.
Clock& TestClock();

// Where the test clock started (KEEL_TEST_NOW or the default).
TimeMs TestClockStart();

}  // namespace keel::testing
