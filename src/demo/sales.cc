// A year of store sales, routine activities, targets and the company's custom fields.
#include "demo/generator.h"

namespace keel::demo::detail {

Status Generator::StoreSales() {
  std::vector<double> shares;
  for (const auto& c : kCategories) shares.push_back(c.share);
  std::map<int64_t, double> store_base;
  for (const auto& u : units_) {
    for (int64_t s : u.stores) store_base[s] = rng_.U(2.5, 6.5);
  }
  std::vector<json> items;
  std::vector<TimeMs> times;
  std::vector<std::pair<size_t, double>> tally;  // unit, revenue (yuan) per pending order
  int64_t seq = 0;
  for (int64_t day = start_day_; day <= end_day_; ++day) {
    TimeMs noon = day * kDay + 12 * kHour - kChinaOffset;
    int month = MonthOf(noon), dom = DayOfMonth(noon);
    int weekday = static_cast<int>((day + 4) % 7);  // 0 = Sunday
    double weekend = (weekday == 0 || weekday == 6) ? 1.5 : 1.0;
    double boost = 1.0;
    int promo_idx = -1;
    for (size_t i = 0; i < std::size(kPromos); ++i) {
      if (kPromos[i].month == month && dom >= kPromos[i].from && dom <= kPromos[i].to && !kPromos[i].category) {
        boost = kPromos[i].boost;
        promo_idx = static_cast<int>(i);
      }
    }
    int64_t promo_id = 0;
    int year = 0;
    {
      using namespace std::chrono;
      year_month_day ymd{sys_days{days{day}}};
      year = static_cast<int>(ymd.year());
    }
    if (promo_idx >= 0) {
      auto it = promos_.find(std::string(kPromos[promo_idx].code) + "-" + std::to_string(year));
      if (it != promos_.end()) promo_id = it->second;
    }
    for (size_t u = 0; u < units_.size(); ++u) {
      const UnitInfo& unit = units_[u];
      for (size_t si = 0; si < unit.stores.size(); ++si) {
        int64_t store = unit.stores[si];
        std::vector<double> w(kCategoryCount);
        double season = 0;
        for (size_t c = 0; c < kCategoryCount; ++c) {
          w[c] = shares[c] * Season(kCategories[c].family, month, unit.region);
          season += w[c];
        }
        int n = rng_.Poisson(store_base[store] * o_.scale * weekend * boost * season);
        const auto& custs = store_customers_[store];
        for (int k = 0; k < n; ++k) {
          TimeMs at = LocalTime(day, 9.5, 21.5);
          int lines = rng_.Chance(0.8) ? 1 : rng_.Chance(0.75) ? 2 : 3;
          json arr = json::array();
          double revenue = 0;
          for (int l = 0; l < lines; ++l) {
            size_t cat = rng_.Weighted(w);
            const Product& prod = products_[rng_.Pick(products_by_cat_[cat])];
            int64_t qty = rng_.Chance(0.93) ? 1 : 2;
            double pct = promo_idx >= 0 ? kPromos[promo_idx].discount : rng_.Chance(0.3) ? rng_.U(1, 5) : 0;
            int64_t disc = static_cast<int64_t>(qty * prod.price * pct / 100 / 100) * 100;
            arr.push_back({{"product_id", prod.id}, {"qty", qty},
                           {"unit_price", static_cast<double>(prod.price) / 100},
                           {"discount", static_cast<double>(disc) / 100}});
            revenue += static_cast<double>(qty * prod.price - disc) / 100;
          }
          char code[40];
          std::snprintf(code, sizeof code, "POS%s%08lld", unit.code.c_str() + unit.code.size() - 2,
                        static_cast<long long>(++seq));
          size_t rep = rng_.Pick(unit.reps);
          json order = {{"code", code}, {"store_id", store}, {"channel", rng_.Chance(0.12) ? "wechat" : "store"},
                        {"ordered_at", FormatTimestamp(at)}, {"owner_id", reps_[rep].id},
                        {"unit_id", unit.store_units[si]}, {"lines", arr}};
          if (promo_id) order["promotion_id"] = promo_id;
          // Members and known customers who joined before this sale.
          if (!custs.empty() && rng_.Chance(0.45)) {
            auto ub = std::upper_bound(custs.begin(), custs.end(), at,
                                       [](TimeMs t, const Cust& c) { return t < c.created; });
            size_t m = ub - custs.begin();
            if (m > 0) {
              const Cust& c = custs[rng_.Int(0, m - 1)];
              order["customer_id"] = c.id;
              if (c.member_id) order["member_id"] = c.member_id;
            }
          }
          items.push_back(std::move(order));
          times.push_back(at);
          tally.push_back({u, revenue});
        }
      }
    }
    // Write a day at a time, or more when the scale is small.
    if (items.size() >= 1500 || day == end_day_) {
      for (size_t i = 0; i < tally.size(); ++i) {
        revenue_[{tally[i].first, MonthKey(times[i])}] += tally[i].second;
      }
      tally.clear();
      KEEL_RETURN_IF_ERROR(Batch("orders", items, times).status());
    }
  }
  return JinanRepeatOrders();
}

// Planted 吃老本 (living off old customers): in the last five months the Jinan unit's
// revenue is propped up by repeat orders from three old key accounts.
Status Generator::JinanRepeatOrders() {
  std::vector<json> items;
  std::vector<TimeMs> times;
  const UnitInfo& jn = units_[jinan_];
  std::vector<std::pair<int64_t, size_t>> old_accounts;
  for (size_t r : jn.reps) {
    for (auto [cust, created] : b2b_by_rep_[r]) {
      if (created < start_day_ * kDay && old_accounts.size() < 3) old_accounts.push_back({cust, r});
    }
  }
  int64_t jseq = 0;
  for (int64_t day = end_day_ - 150; day <= end_day_; day += 7) {
    for (auto [cust, r] : old_accounts) {
      const Product& prod = products_[rng_.Pick(products_by_cat_[rng_.Int(0, kCategoryCount - 1)])];
      int64_t qty = rng_.Int(8, 25);
      TimeMs at = LocalTime(day, 10, 16);
      json order = {{"code", "KA-JN-" + std::to_string(++jseq)}, {"channel", "b2b"},
                    {"customer_id", cust}, {"ordered_at", FormatTimestamp(at)},
                    {"owner_id", reps_[r].id}, {"unit_id", jn.id},
                    {"lines", {{{"product_id", prod.id}, {"qty", qty},
                                {"unit_price", static_cast<double>(prod.price) / 100}}}}};
      items.push_back(order);
      times.push_back(at);
      revenue_[{jinan_, MonthKey(at)}] += static_cast<double>(qty * prod.price) / 100;
    }
  }
  if (!items.empty()) KEEL_RETURN_IF_ERROR(Batch("orders", items, times).status());
  return Status();
}

Status Generator::RoutineActivities() {
  // Account upkeep: reps visit and call their B2B book every week. In the Jinan unit the number
  // of distinct accounts touched falls over the last 16 weeks (customer coverage decline).
  for (size_t r = 0; r < reps_.size(); ++r) {
    const Person& p = reps_[r];
    const auto& book = b2b_by_rep_[r];
    if (book.empty()) continue;
    for (int64_t week = start_day_; week <= end_day_; week += 7) {
      double factor = 1.0;
      bool jn = p.unit == jinan_;
      if (jn && week > end_day_ - 112) factor = 1.0 - 0.6 * static_cast<double>(week - (end_day_ - 112)) / 112.0;
      int visits = rng_.Poisson(2.2 * p.diligence * factor);
      int calls = rng_.Poisson(3.0 * p.diligence * factor);
      for (int k = 0; k < visits + calls; ++k) {
        int64_t day = week + rng_.Int(0, 4);
        if (day > end_day_) continue;
        // Jinan's shrinking attention goes to the same few accounts.
        const auto& [cust, created] = jn && week > end_day_ - 112 ? book[0] : rng_.Pick(book);
        if (created > day * kDay) continue;
        if (k < visits) {
          TimeMs at = LocalTime(day, 9, 17.5);
          KEEL_RETURN_IF_ERROR(Activity(r, "visit", at, {{"customer_id", cust},
                                                          {"duration_min", rng_.Chance(0.7) ? rng_.Int(15, 90) : rng_.Int(5, 14)},
                                                          {"outcome", rng_.Chance(0.7) ? "positive" : "neutral"},
                                                          {"subject", "客户拜访"},
                                                          {"notes", kVisitNotes[rng_.Int(0, std::size(kVisitNotes) - 1)]},
                                                          {"lat", units_[p.unit].lat + rng_.U(-0.1, 0.1)},
                                                          {"lng", units_[p.unit].lng + rng_.U(-0.1, 0.1)}}));
        } else {
          bool connected;
          TimeMs at = CallTime(r, day, &connected);
          KEEL_RETURN_IF_ERROR(Activity(r, "call", at, {{"customer_id", cust},
                                                         {"duration_min", connected ? rng_.Int(1, 20) : 0},
                                                         {"outcome", connected ? "connected" : "no_answer"},
                                                         {"notes", kCallNotes[connected ? rng_.Int(0, 7) : 1]}}));
        }
      }
      // Store visits by the unit's reps (store audits, training).
      if (rng_.Chance(0.3)) {
        int64_t day = week + rng_.Int(0, 6);
        if (day <= end_day_) {
          KEEL_RETURN_IF_ERROR(Activity(r, "visit", LocalTime(day, 10, 17),
                                        {{"store_id", rng_.Pick(units_[p.unit].stores)},
                                         {"duration_min", rng_.Int(20, 120)}, {"outcome", "completed"},
                                         {"subject", "门店巡检"},
                                         {"notes", "检查样机陈列和价签，培训导购新品卖点"}}));
        }
      }
    }
  }
  // Write in time order so that the activity feed reads naturally.
  std::vector<size_t> order(activities_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return activity_times_[a] < activity_times_[b]; });
  std::vector<json> items;
  std::vector<TimeMs> times;
  for (size_t i : order) {
    items.push_back(std::move(activities_[i]));
    times.push_back(activity_times_[i]);
  }
  activities_.clear();
  activity_times_.clear();
  return Batch("activities", items, times).status();
}

Status Generator::Targets() {
  std::vector<json> items;
  std::vector<TimeMs> times;
  std::map<std::string, int> months;
  for (int64_t d = start_day_; d <= end_day_; d += 27) months[FormatDate(d).substr(0, 7)] = 1;
  months[FormatDate(end_day_).substr(0, 7)] = 1;
  std::string last_month = FormatDate(end_day_).substr(0, 7);
  for (size_t u = 0; u < units_.size(); ++u) {
    double avg = 0;
    int count = 0;
    for (const auto& [m, _] : months) {
      auto it = revenue_.find({u, m});
      if (it != revenue_.end()) {
        avg += it->second;
        ++count;
      }
    }
    avg = count ? avg / count : 100000;
    for (const auto& [m, _] : months) {
      auto it = revenue_.find({u, m});
      double actual = it == revenue_.end() ? avg : it->second;
      // Planted: targets are usually a stretch; the Jinan unit beats its target lately.
      bool jn_recent = u == jinan_ && m >= FormatDate(end_day_ - 120).substr(0, 7);
      double factor = jn_recent ? 0.85 : rng_.U(0.95, 1.12);
      if (m == last_month) factor *= 1.0;  // the current month: full-month target
      double target = std::max(10000.0, std::round(actual * factor / 10000) * 10000);
      int y = std::stoi(m.substr(0, 4)), mo = std::stoi(m.substr(5, 2));
      TimeMs at = (DaysFromCivil(y, mo, 1) - 5) * kDay;
      items.push_back({{"unit_id", units_[u].id}, {"metric", "revenue"}, {"period", m}, {"value", target}});
      times.push_back(at);
      items.push_back({{"unit_id", units_[u].id}, {"metric", "visits"}, {"period", m},
                       {"value", std::round(units_[u].reps.size() * 9.5 * 4.3)}});
      times.push_back(at);
    }
    // Per-rep monthly visit targets for the last three months.
    for (size_t r : units_[u].reps) {
      for (int64_t back = 0; back < 3; ++back) {
        // Calendar months back from the last day's month (30-day steps would name one month twice
        // when the history ends on a month's 31st or 30th).
        int y = std::stoi(FormatDate(end_day_).substr(0, 4)), mo = std::stoi(FormatDate(end_day_).substr(5, 2)) - static_cast<int>(back);
        if (mo < 1) {
          mo += 12;
          --y;
        }
        char m[24];
        std::snprintf(m, sizeof m, "%04d-%02d", y, mo);
        items.push_back({{"unit_id", units_[u].id}, {"user_id", reps_[r].id}, {"metric", "visits"},
                         {"period", m}, {"value", 40}});
        times.push_back((DaysFromCivil(y, mo, 1) - 5) * kDay);
      }
    }
  }
  return Batch("targets", items, times).status();
}

// The company's own fields, defined the way an administrator would in the low-code studio.
Status Generator::CustomFields() {
  TimeMs at = start_day_ * kDay - kChinaOffset;
  KEEL_RETURN_IF_ERROR(Create("custom_fields", {{"entity", "leads"}, {"name", "purchase_timeline"}, {"type", "enum"},
                                                {"label", "采购时间"}, {"label_en", "Purchase timeline"},
                                                {"options", {{"values", {"一个月内", "三个月内", "半年内", "未确定"}}}}},
                              at).status());
  KEEL_RETURN_IF_ERROR(Create("custom_fields", {{"entity", "opportunities"}, {"name", "decision_maker_met"}, {"type", "bool"},
                                                {"label", "已见到决策人"}, {"label_en", "Decision maker met"}},
                              at).status());
  KEEL_RETURN_IF_ERROR(Create("custom_fields", {{"entity", "customers"}, {"name", "credit_limit"}, {"type", "money"},
                                                {"label", "授信额度"}, {"label_en", "Credit limit"}, {"options", {{"min", 0}}},
                                                {"ai_feature", false}},
                              at).status());
  return Status();
}

}  // namespace keel::demo::detail
