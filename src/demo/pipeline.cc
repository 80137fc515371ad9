// Leads, their first responses and conversions, and every deal's way through the pipeline.
#include "demo/generator.h"

namespace keel::demo::detail {

TimeMs Generator::CallTime(size_t rep, int64_t day, bool* connected) {
  const Person& p = reps_[rep];
  bool in_window = rng_.Chance(0.5);
  TimeMs t = in_window ? LocalTime(day, p.preferred_hour, p.preferred_hour + 2)
                       : LocalTime(day, 9, 20);
  int hour = static_cast<int>(((t + kChinaOffset) % kDay) / kHour);
  bool good = hour >= p.preferred_hour && hour < p.preferred_hour + 2;
  *connected = rng_.Chance(good ? 0.68 : 0.34);
  return t;
}

Status Generator::Activity(size_t rep, const std::string& kind, TimeMs at, json extra) {
  if (at > end_day_ * kDay + kDay - kChinaOffset) return Status();
  // Planted 吃老本: over the last 16 weeks the Jinan unit's reps stop working anything but a few
  // old accounts, so the distinct customers they touch fall while revenue holds up.
  const TimeMs decline_start = (end_day_ - 112) * kDay;
  if (reps_[rep].unit == jinan_ && at > decline_start) {
    bool focus = extra.contains("customer_id") && jinan_focus_.count(extra["customer_id"].get<int64_t>());
    double progress = static_cast<double>(at - decline_start) / (112.0 * kDay);
    if (!focus && rng_.Chance(0.85 * progress)) return Status();
  }
  extra["kind"] = kind;
  extra["occurred_at"] = FormatTimestamp(at);
  extra["owner_id"] = reps_[rep].id;
  extra["unit_id"] = reps_[rep].unit_id;
  activities_.push_back(std::move(extra));
  activity_times_.push_back(at);
  return Status();
}

Status Generator::Pipeline(int64_t opp, size_t rep, int64_t customer, bool b2b, size_t cat,
                           TimeMs start, int64_t amount_cents, int64_t store_for_order) {
  const Person& p = reps_[rep];
  const TimeMs end = (end_day_ + 1) * kDay - kChinaOffset - 1;
  static const char* kStages[] = {"qualification", "proposal", "negotiation"};
  TimeMs t = start;
  std::vector<TimeMs> visits;
  double stage_days = b2b ? 12 : 5;
  bool met_decision_maker = false;
  double discount = 0;
  for (int s = 0; s < 3; ++s) {
    TimeMs next = t + static_cast<TimeMs>(rng_.Exp(stage_days) * kDay) + kDay;
    // Visits while in this stage: diligent reps visit more (and win more, see below).
    int n = rng_.Poisson(p.diligence * (next - t) / (7.0 * kDay) * (b2b ? 1.0 : 0.6));
    for (int k = 0; k < n; ++k) {
      TimeMs vt = LocalTime((t + static_cast<TimeMs>(rng_.U() * (next - t)) + kChinaOffset) / kDay, 9, 18);
      visits.push_back(vt);
      KEEL_RETURN_IF_ERROR(Activity(rep, rng_.Chance(0.7) ? "visit" : (s == 1 ? "proposal" : "demo"), vt,
                                    {{"customer_id", customer}, {"opportunity_id", opp},
                                     {"duration_min", rng_.Int(10, 120)},
                                     {"outcome", rng_.Chance(0.6) ? "positive" : "neutral"},
                                     {"subject", "商机推进"},
                                     {"notes", kVisitNotes[rng_.Int(0, std::size(kVisitNotes) - 1)]}}));
      // Planted: meeting the decision maker (recorded on the deal after the visit) lifts the win rate.
      if (!met_decision_maker && extra_.Chance(0.22) && vt < end) {
        met_decision_maker = true;
        KEEL_RETURN_IF_ERROR(Update("opportunities", opp, {{"custom", {{"decision_maker_met", true}}}}, vt + 2 * kHour, p.id));
      }
    }
    if (next > end) return Status();
    // Win chance falls with each stage if the deal is not worked: lose early sometimes.
    double lose_now = 0.12 - 0.02 * std::min<int>(n, 4);
    if (rng_.Chance(std::max(0.02, lose_now))) {
      return Update("opportunities", opp, {{"stage", "lost"},
                                           {"loss_reason", kLossReasons[rng_.Int(0, 4)]}}, next, p.id);
    }
    json move = {{"stage", kStages[s]}};
    // The proposal carries a discount off list: deeper ones win a little more often.
    if (s == 1) {
      discount = std::round(extra_.U(0, 18) * 10) / 10;
      move["discount_pct"] = discount;
    }
    KEEL_RETURN_IF_ERROR(Update("opportunities", opp, move, next, p.id));
    t = next;
  }
  TimeMs close = t + static_cast<TimeMs>(rng_.Exp(stage_days) * kDay) + kDay;
  if (close > end) return Status();
  // Planted: visits in the 30 days before closing drive the win probability.
  int recent = 0;
  for (TimeMs v : visits) recent += v > close - 30 * kDay;
  double win = std::clamp((0.18 + 0.07 * recent) * p.skill * (met_decision_maker ? 1.45 : 0.85) * (1 + discount / 45), 0.05, 0.9);
  if (!rng_.Chance(win)) {
    return Update("opportunities", opp, {{"stage", "lost"}, {"loss_reason", kLossReasons[rng_.Int(0, 4)]}},
                  close, p.id);
  }
  KEEL_RETURN_IF_ERROR(Update("opportunities", opp, {{"stage", "won"}}, close, p.id));
  // A won deal becomes an order.
  const auto& choices = products_by_cat_[cat];
  const Product& prod = products_[rng_.Pick(choices)];
  int64_t qty = std::max<int64_t>(1, amount_cents / prod.price);
  json order = {{"code", "SO" + std::to_string(opp)},
                {"channel", b2b ? "b2b" : "store"},
                {"customer_id", customer},
                {"ordered_at", FormatTimestamp(close)},
                {"owner_id", p.id},
                {"lines", {{{"product_id", prod.id}, {"qty", qty},
                            {"unit_price", static_cast<double>(prod.price) / 100}}}}};
  if (store_for_order) order["store_id"] = store_for_order;
  else order["unit_id"] = p.unit_id;
  KEEL_RETURN_IF_ERROR(Create("orders", order, close, p.id).status());
  revenue_[{p.unit, MonthKey(close)}] += static_cast<double>(qty * prod.price) / 100;
  return Status();
}

Status Generator::Leads() {
  std::vector<double> weights;
  for (const auto& s : kLeadSources) weights.push_back(s.weight);
  const int n = 6000 * o_.scale;
  const TimeMs end = (end_day_ + 1) * kDay - kChinaOffset - 1;
  for (int i = 0; i < n; ++i) {
    const LeadSource& src = kLeadSources[rng_.Weighted(weights)];
    size_t u = rng_.Int(0, units_.size() - 1);
    size_t rep = rng_.Pick(units_[u].reps);
    const Person& p = reps_[rep];
    const UnitInfo& unit = units_[u];
    bool b2b = rng_.Chance(src.b2b);
    size_t cat = rng_.Weighted([&] {
      std::vector<double> w;
      for (const auto& c : kCategories) w.push_back(c.share);
      return w;
    }());
    TimeMs created = LocalTime(rng_.Int(start_day_, end_day_), 8, 22);
    std::string leaf = kCategories[cat].path;
    leaf = leaf.substr(leaf.rfind('/') + 1);
    std::string company = b2b ? unit.city + std::string(kCompanyWords[rng_.Int(0, 15)]) +
                                    kIndustryZh[rng_.Int(0, 7)] + "有限公司"
                              : "";
    json lead = {{"title", b2b ? company + " " + leaf + "采购需求" : "个人客户咨询" + leaf},
                 {"contact_name", Name()}, {"phone", Phone()}, {"source", src.name},
                 {"channel", src.channel}, {"region", kRegions[unit.region].name},
                 {"city", unit.city}, {"owner_id", p.id}, {"unit_id", p.unit_id},
                 {"notes", std::string("意向品类：") + kCategories[cat].path}};
    if (b2b) lead["company"] = company;
    // Planted: how soon the buyer means to purchase (asked on the first form, 75% answer) moves conversion.
    static const std::pair<const char*, double> kTimelines[] = {{"一个月内", 1.35}, {"三个月内", 1.1}, {"半年内", 0.85}, {"未确定", 0.7}};
    double timeline_factor = 1.0;
    if (extra_.Chance(0.75)) {
      const auto& [timeline, factor] = kTimelines[extra_.Int(0, 3)];
      lead["custom"] = {{"purchase_timeline", timeline}};
      timeline_factor = factor;
    }
    KEEL_ASSIGN_OR_RETURN(int64_t lead_id, Create("leads", lead, created, p.id));
    // The owner's first response: a call, sooner for some reps than for others.
    double delay_h = rng_.Exp(p.response_mean_h);
    TimeMs resp = created + static_cast<TimeMs>(delay_h * kHour);
    if (resp > end) continue;  // still new and untouched
    bool connected;
    TimeMs call_at = CallTime(rep, (resp + kChinaOffset) / kDay, &connected);
    // Too early that day: the call happens in the rep's next calling slot (its outcome follows
    // the hour it really happens at).
    if (call_at < resp) call_at = CallTime(rep, (resp + kChinaOffset) / kDay + 1, &connected);
    if (call_at > end) continue;
    domain::WriteOptions w;
    w.at = call_at;
    auto act = rs_.Create(As(p.id), *domain::FindEntity("activities"),
                          {{"kind", "call"}, {"occurred_at", FormatTimestamp(call_at)},
                           {"lead_id", lead_id}, {"duration_min", connected ? rng_.Int(2, 15) : 0},
                           {"outcome", connected ? "connected" : "no_answer"},
                           {"subject", "首次联系"},
                           {"notes", kCallNotes[connected ? rng_.Int(0, 7) : 1]},
                           {"owner_id", p.id}, {"unit_id", p.unit_id}}, w);
    if (!act.ok()) return Status::Internal("demo first call: " + act.status().ToString());
    ++summary_.counts["activities"];
    double hours = static_cast<double>(call_at - created) / kHour;
    // Planted: fast first response and the source drive conversion, scaled by the rep's skill.
    double f_resp = hours < 1 ? 1.6 : hours < 4 ? 1.25 : hours < 24 ? 1.0 : 0.55;
    double p_conv = std::min(0.9, src.conv * f_resp * p.skill * (connected ? 1.1 : 0.85) * timeline_factor);
    int follow = static_cast<int>(rng_.Int(0, 3));
    for (int k = 0; k < follow; ++k) {
      bool c2;
      TimeMs ft = CallTime(rep, (call_at + kChinaOffset) / kDay + 1 + rng_.Int(0, 6) * (k + 1), &c2);
      KEEL_RETURN_IF_ERROR(Activity(rep, rng_.Chance(0.8) ? "call" : "visit", ft,
                                    {{"lead_id", lead_id}, {"duration_min", c2 ? rng_.Int(2, 30) : 0},
                                     {"outcome", c2 ? "connected" : "no_answer"},
                                     {"notes", kCallNotes[rng_.Int(0, 7)]}}));
    }
    if (rng_.Chance(p_conv)) {
      TimeMs qualify = call_at + static_cast<TimeMs>(rng_.U(1, 8) * kDay);
      TimeMs convert = qualify + static_cast<TimeMs>(rng_.U(1, 15) * kDay);
      if (qualify > end) continue;
      KEEL_RETURN_IF_ERROR(Update("leads", lead_id, {{"status", "qualified"}}, qualify, p.id));
      if (convert > end) continue;
      double amount = b2b ? std::clamp(std::exp(std::log(180000.0) + 0.9 * rng_.Normal()), 20000.0, 3000000.0)
                          : rng_.U(8000, 60000);
      int64_t cents = static_cast<int64_t>(amount / 100) * 10000;
      int64_t store = b2b ? 0 : rng_.Pick(unit.stores);
      json body = {{"opportunity", {{"amount", static_cast<double>(cents) / 100},
                                    {"product_category", kCategories[cat].path},
                                    {"expected_close", FormatDate((convert + kChinaOffset) / kDay +
                                                                  rng_.Int(30, 90))}}}};
      if (b2b) {
        body["customer"] = {{"code", "L" + std::to_string(lead_id)}, {"kind", "b2b"},
                            {"segment", rng_.Chance(0.3) ? "enterprise" : "smb"}};
      } else {
        body["customer"] = {{"code", "L" + std::to_string(lead_id)}, {"kind", "retail"},
                            {"segment", "retail"},
                            {"unit_id", units_[u].store_units[std::find(unit.stores.begin(), unit.stores.end(), store) - unit.stores.begin()]}};
      }
      domain::WriteOptions cw;
      cw.at = convert;
      auto conv = rs_.ConvertLead(As(p.id), lead_id, body, cw);
      if (!conv.ok()) return Status::Internal("demo convert: " + conv.status().ToString());
      summary_.counts["customers"] += 1;
      summary_.counts["opportunities"] += 1;
      int64_t opp = (*conv)["opportunity"]["id"].get<int64_t>();
      int64_t customer = (*conv)["customer_id"].get<int64_t>();
      KEEL_RETURN_IF_ERROR(Pipeline(opp, rep, customer, b2b, cat, convert, cents, store));
    } else if (rng_.Chance(0.65)) {
      TimeMs dq = call_at + static_cast<TimeMs>(rng_.U(2, 30) * kDay);
      if (dq > end) continue;
      KEEL_RETURN_IF_ERROR(Update("leads", lead_id, {{"status", "disqualified"},
                                                     {"disqualify_reason", kDisqualify[rng_.Int(0, 4)]}},
                                  dq, p.id));
    }
  }
  return StockingDeals(end);
}

Status Generator::StockingDeals(TimeMs end) {
  const int extra = 800 * o_.scale;
  for (int i = 0; i < extra; ++i) {
    size_t rep = rng_.Int(0, reps_.size() - 1);
    if (b2b_by_rep_[rep].empty()) continue;
    const Person& p = reps_[rep];
    auto [customer, created] = rng_.Pick(b2b_by_rep_[rep]);
    TimeMs start = std::max(created + kDay, LocalTime(rng_.Int(start_day_, end_day_), 9, 18));
    if (start > end) continue;
    size_t cat = rng_.Int(0, kCategoryCount - 1);
    double amount = std::clamp(std::exp(std::log(120000.0) + 0.8 * rng_.Normal()), 10000.0, 2000000.0);
    int64_t cents = static_cast<int64_t>(amount / 100) * 10000;
    std::string leaf = kCategories[cat].path;
    leaf = leaf.substr(leaf.rfind('/') + 1);
    KEEL_ASSIGN_OR_RETURN(int64_t opp, Create("opportunities",
        {{"name", leaf + "备货/项目采购"}, {"customer_id", customer},
         {"amount", static_cast<double>(cents) / 100}, {"product_category", kCategories[cat].path},
         {"expected_close", FormatDate((start + kChinaOffset) / kDay + rng_.Int(20, 80))},
         {"source", "existing_account"}, {"owner_id", p.id}, {"unit_id", p.unit_id}}, start, p.id));
    KEEL_RETURN_IF_ERROR(Pipeline(opp, rep, customer, true, cat, start, cents, 0));
  }
  return Status();
}

}  // namespace keel::demo::detail
