#include "common/time.h"

#include <gtest/gtest.h>

namespace keel {
namespace {

struct Case {
  const char* text;
  const char* utc;  // nullptr: must be rejected
};

// Data-driven: input → normalised UTC, or rejection.
const Case kCases[] = {
    {"2026-11-27T08:00:00+08:00", "2026-11-27T00:00:00.000Z"},
    {"2026-11-27T00:00:00Z", "2026-11-27T00:00:00.000Z"},
    {"2026-11-27T00:00Z", "2026-11-27T00:00:00.000Z"},
    {"2026-11-27 23:30:15.5-05:00", "2026-11-28T04:30:15.500Z"},
    {"2024-02-29T12:00:00.123456+0000", "2024-02-29T12:00:00.123Z"},
    {"2026-01-01T00:00:00+14:00", "2025-12-31T10:00:00.000Z"},
    {"2026-11-27T08:00:00", nullptr},        // no zone
    {"2026-02-30T08:00:00Z", nullptr},       // no such day
    {"2025-02-29T08:00:00Z", nullptr},       // not a leap year
    {"2026-11-27T24:00:00Z", nullptr},
    {"2026-11-27T08:00:00+15:00", nullptr},
    {"2026-11-27T08:00:00Zjunk", nullptr},
    {"27/11/2026 08:00", nullptr},
    {"", nullptr},
};

TEST(Time, ParsesTimestampsWithZonesOnly) {
  for (const auto& c : kCases) {
    auto r = ParseTimestamp(c.text);
    if (c.utc) {
      ASSERT_TRUE(r.ok()) << c.text << ": " << r.status().ToString();
      EXPECT_EQ(FormatTimestamp(*r), c.utc) << c.text;
    } else {
      EXPECT_FALSE(r.ok()) << c.text;
      if (!r.ok()) {
        EXPECT_EQ(r.status().code(), "validation.timestamp");
        EXPECT_FALSE(r.status().message_zh().empty());
      }
    }
  }
}

TEST(Time, FormatsFixedWidthSoTextOrderIsTimeOrder) {
  EXPECT_EQ(FormatTimestamp(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatTimestamp(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_LT(FormatTimestamp(MsFromCivil(2026, 9, 30)), FormatTimestamp(MsFromCivil(2026, 10, 1)));
}

TEST(Time, Dates) {
  auto d = ParseDate("2026-11-27");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(FormatDate(*d), "2026-11-27");
  EXPECT_FALSE(ParseDate("2026-13-01").ok());
  EXPECT_FALSE(ParseDate("2026-1-01").ok());
}

TEST(Time, ManualClockAdvances) {
  ManualClock c(1000);
  c.Advance(500);
  EXPECT_EQ(c.NowMs(), 1500);
  EXPECT_GT(Clock::System()->NowMs(), MsFromCivil(2024, 1, 1));
}

TEST(Time, AnAnchoredClockStartsWhereToldAndMoves) {
  const TimeMs start = MsFromCivil(2026, 12, 31, 15, 30);
  AnchoredClock c(start);
  TimeMs a = c.NowMs();
  EXPECT_GE(a, start);
  EXPECT_LT(a, start + 60000);  // it starts where it was told, not at the wall clock
  TimeMs b = c.NowMs();
  EXPECT_GE(b, a);  // and never goes back
}

TEST(Time, KnowsTimeZones) {
  EXPECT_TRUE(IsKnownTimeZone("Asia/Shanghai"));
  EXPECT_TRUE(IsKnownTimeZone("UTC"));
  EXPECT_FALSE(IsKnownTimeZone("Mars/Olympus"));
  EXPECT_FALSE(IsKnownTimeZone("../../etc/passwd"));
}

}  // namespace
}  // namespace keel
