// Best time to contact (最佳联系时间): how likely a customer or lead answers, by hour of the
// week in the tenant's time zone, learned from call outcomes (connected / positive / neutral /
// negative = answered; no_answer / rescheduled = not). Sparse counts are shrunk step by step
// toward broader evidence: the record's own calls → its owner's book (everyone that rep calls)
// → its segment → the whole tenant (hour of week → hour of day → overall rate).
#pragma once

#include <array>
#include <map>
#include <memory>
#include <string>


#include "ai/model.h"
#include "common/status.h"
#include "common/tz.h"
#include "store/database.h"

namespace keel::ai {

inline constexpr int kHoursOfWeek = 168;  // Monday 00:00 = 0 (local)

struct SlotCounts {
  std::array<double, kHoursOfWeek> answered{}, calls{};
  void Add(int slot, bool ok) {
    calls[static_cast<size_t>(slot)] += 1;
    answered[static_cast<size_t>(slot)] += ok ? 1 : 0;
  }
};

// Call outcomes of one tenant, aggregated by level. Built in one query; immutable after.
struct ContactStats {
  std::shared_ptr<const TimeZone> tz;
  SlotCounts tenant;
  std::map<std::string, SlotCounts> segment;
  std::map<int64_t, SlotCounts> owner;
  int64_t calls = 0;

  static Result<std::shared_ptr<const ContactStats>> Load(store::Connection& conn, int64_t tenant_id);
  int Slot(TimeMs utc) const;  // local hour of week
};

// The estimate for one customer or lead: `entity` is "customers" or "leads".
Result<ContactTime> BestContactTime(store::Connection& conn, const ContactStats& stats, int64_t tenant_id,
                                       const std::string& entity, int64_t id, int top = 3);

}  // namespace keel::ai
