// The metric engine over both backends, driven synchronously with CatchUp: local-day buckets in
// the tenant's zone, rollups against a recomputation from the raw rows, exact recovery after a
// restart, scope, definitions and versions, cumulative and ratio metrics, and targets. Every
// expected value is computed here from the tables, never from the engine. Where src/metrics
// gets a case wrong the test fails.
#include "metrics/engine.h"
#include "metrics/query_json.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "events/event_log.h"
#include "events/lease.h"
#include "support/org.h"
#include "support/test_db.h"

namespace keel::metrics {
namespace {

using domain::Principal;
using json = nlohmann::json;
using testing::TestBackend;

constexpr int64_t kMinuteMs = 60000, kHourMs = 3600000, kDayMs = 86400000;
constexpr int64_t kShanghaiMs = 8 * kHourMs;  // Asia/Shanghai: UTC+8, no daylight saving

// (group value, local day "2026-11-01") → value. Zero values are left out.
using Series = std::map<std::pair<std::string, std::string>, double>;
// metric → its series.
using Snapshot = std::map<std::string, Series>;

TimeMs Ts(const std::string& text) { return ParseTimestamp(text).value(); }
// The local (Shanghai) day of a UTC instant: add 8 hours, then take the UTC date.
std::string LocalDay(TimeMs utc) { return FormatDate((utc + kShanghaiMs) / kDayMs); }
// The UTC instant of local midnight starting the day that holds `utc`.
TimeMs LocalMidnightOf(TimeMs utc) { return (utc + kShanghaiMs) / kDayMs * kDayMs - kShanghaiMs; }
TimeMs LocalMidnight(int y, unsigned m, unsigned d) { return MsFromCivil(y, m, d) - kShanghaiMs; }
// The same instant written with a +08:00 offset instead of Z.
std::string ShanghaiText(TimeMs utc) {
  std::string s = FormatTimestamp(utc + kShanghaiMs);
  s.pop_back();
  return s + "+08:00";
}

MetricQuery Req(std::vector<std::string> metrics, TimeMs from, TimeMs to) {
  MetricQuery q;
  q.metrics = std::move(metrics);
  q.from = from;
  q.to = to;
  return q;
}

void Near(const Series& want, const Series& got, const std::string& what) {
  EXPECT_EQ(want.size(), got.size()) << what << ": different sets of (group, day)";
  for (const auto& [key, v] : want) {
    auto it = got.find(key);
    if (it == got.end()) {
      ADD_FAILURE() << what << ": missing " << key.first << " " << key.second << " (want " << v << ")";
      continue;
    }
    EXPECT_NEAR(it->second, v, 1e-6 * std::max(1.0, std::fabs(v))) << what << " " << key.first << " " << key.second;
  }
  for (const auto& [key, v] : got) {
    if (!want.count(key)) ADD_FAILURE() << what << ": unexpected " << key.first << " " << key.second << " = " << v;
  }
}

void Near(const Snapshot& want, const Snapshot& got, const std::string& what) {
  ASSERT_EQ(want.size(), got.size()) << what;
  for (const auto& [metric, series] : want) {
    ASSERT_TRUE(got.count(metric)) << what << ": " << metric;
    Near(series, got.at(metric), what + " / " + metric);
  }
}

// The points of `metric` in a Query answer grouped by `dim` (or not grouped: dim "").
Series PointsOf(const json& out, const std::string& metric, const std::string& dim) {
  Series s;
  for (const auto& g : out["groups"]) {
    std::string key = dim.empty() ? "" : g["group"][dim]["value"].get<std::string>();
    for (const auto& p : g["values"][metric]["points"]) {
      std::string t = p["t"];
      EXPECT_EQ(t.substr(10), "T00:00:00+08:00") << "a day point starts at local midnight";
      if (p["value"].is_number() && p["value"].get<double>() != 0) s[{key, t.substr(0, 10)}] += p["value"].get<double>();
    }
  }
  return s;
}

// group value → the total of `metric` over the range, zeros left out.
std::map<std::string, double> TotalsOf(const json& out, const std::string& metric, const std::string& dim) {
  std::map<std::string, double> m;
  for (const auto& g : out["groups"]) {
    std::string key = dim.empty() ? "" : g["group"][dim]["value"].get<std::string>();
    const json& v = g["values"][metric]["value"];
    if (v.is_number() && v.get<double>() != 0) m[key] = v.get<double>();
  }
  return m;
}

std::map<std::string, double> Totals(const Series& s) {
  std::map<std::string, double> m;
  for (const auto& [key, v] : s) m[key.first] += v;
  return m;
}

class MetricEngineTest : public ::testing::TestWithParam<TestBackend>, protected testing::DomainFixtureBase {
 protected:
  MetricEngineTest() : DomainFixtureBase(GetParam()), engine_(std::make_unique<MetricEngine>(*db_, clock_)) {}

  const Principal& As(const std::string& user) { return org_.as.at(user); }
  std::string Id(const std::string& user) { return std::to_string(org_.users.at(user)); }
  const domain::EntityDef& E(const std::string& name) { return *domain::FindEntity(name); }
  TimeMs Now() const { return clock_.NowMs(); }

  void CatchUp(MetricEngine& e) {
    Status st = e.CatchUp(org_.tenant);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  json Ask(const Principal& p, const MetricQuery& q, MetricEngine* e = nullptr) {
    auto r = (e ? *e : *engine_).Query(p, q);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? metrics::ToJson(*r) : json::object();
  }
  double Single(const Principal& p, const MetricQuery& q, const std::string& metric) {
    json out = Ask(p, q);
    if (out["groups"].size() != 1 || !out["groups"][0]["values"][metric]["value"].is_number()) {
      ADD_FAILURE() << "no single value of " << metric << ": " << out.dump();
      return -1;
    }
    return out["groups"][0]["values"][metric]["value"].get<double>();
  }

  store::Rows Sql(const std::string& sql, std::vector<store::Value> params = {}) {
    auto conn = std::move(db_->Acquire()).value();
    auto r = conn->Query(sql, params);
    EXPECT_TRUE(r.ok()) << sql << ": " << r.status().ToString();
    return r.ok() ? *r : store::Rows{};
  }
  int64_t EventCount() {
    auto conn = std::move(db_->Acquire()).value();
    return events::LastSeq(*conn, org_.tenant).value();
  }

  // An order of one line, created by admin for `owner`.
  json OrderBody(const std::string& owner, const std::string& ordered_at, int qty, double price) {
    return {{"code", "O-" + std::to_string(++next_code_)}, {"channel", "online"}, {"ordered_at", ordered_at},
            {"owner_id", org_.users.at(owner)},
            {"lines", {{{"product_id", org_.product}, {"qty", qty}, {"unit_price", price}}}}};
  }
  int64_t Sale(const std::string& owner, const std::string& ordered_at, double price, int qty = 1) {
    return testing::MustCreate(*rs_, As("admin"), "orders", OrderBody(owner, ordered_at, qty, price));
  }

  int64_t NewStore(int64_t parent_unit, const std::string& code) {
    auto sys = Principal::System(org_.tenant);
    int64_t unit = testing::MustCreate(*rs_, sys, "units",
                                       {{"code", "U-" + code}, {"name", "门店 " + code}, {"kind", "store"}, {"parent_id", parent_unit}});
    return testing::MustCreate(*rs_, sys, "stores", {{"code", code}, {"name", "门店 " + code}, {"unit_id", unit}});
  }

  // Random orders and activities over the 40 days before now: several reps, stores, channels
  // and statuses, lines with discounts, visits of random length, customers on most activities.
  void Populate(int orders, int activities, uint32_t seed) {
    if (customers_.empty()) {
      const char* owners[] = {"rep_a1", "rep_a2", "rep_a3", "rep_b"};
      for (int i = 0; i < 12; ++i) {
        customers_.push_back(testing::MustCreate(*rs_, As("admin"), "customers",
                                                 {{"code", "C-" + std::to_string(i)}, {"name", "客户 " + std::to_string(i)},
                                                  {"kind", "b2b"}, {"owner_id", org_.users.at(owners[i % 4])}}));
      }
      stores_b_.push_back(NewStore(org_.unit_b, "S-B1"));
    }
    std::mt19937 rng(seed);
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
    auto when = [&] {
      TimeMs at = Now() - kMinuteMs - static_cast<TimeMs>(rng() % (40u * 86400u)) * 1000;
      return pick(2) ? FormatTimestamp(at) : ShanghaiText(at);
    };
    const std::vector<std::string> reps = {"rep_a1", "rep_a2", "rep_a3", "rep_b", "sup_a"};
    const char* channels[] = {"store", "online", "b2b", "wechat", "livestream"};
    json items = json::array();
    for (int i = 0; i < orders; ++i) {
      const std::string& owner = reps[static_cast<size_t>(pick(static_cast<int>(reps.size())))];
      double price = 50 + pick(500) * 10 + (pick(2) ? 0.5 : 0);
      json line = {{"product_id", org_.product}, {"qty", 1 + pick(3)}, {"unit_price", price}};
      if (pick(4) == 0) line["discount"] = pick(20);
      json o = {{"code", "R-" + std::to_string(++next_code_)}, {"channel", channels[pick(5)]}, {"ordered_at", when()},
                {"owner_id", org_.users.at(owner)}, {"lines", json::array({line})}};
      if (pick(3) == 0) o["lines"].push_back({{"product_id", org_.product}, {"qty", 1}, {"unit_price", 99}});
      if (pick(2)) o["store_id"] = owner == "rep_b" ? stores_b_[static_cast<size_t>(pick(static_cast<int>(stores_b_.size())))] : org_.store_a;
      int s = pick(100);
      if (s < 8) o["status"] = "cancelled";
      else if (s < 12) o["status"] = "refunded";
      if (pick(3) == 0) o["customer_id"] = customers_[static_cast<size_t>(pick(12))];
      items.push_back(std::move(o));
    }
    CreateAll("orders", items);
    items = json::array();
    const char* kinds[] = {"visit", "visit", "visit", "visit", "visit", "visit", "visit", "call", "call", "meeting"};
    for (int i = 0; i < activities; ++i) {
      const std::string& owner = reps[static_cast<size_t>(pick(static_cast<int>(reps.size())))];
      json a = {{"kind", kinds[pick(10)]}, {"occurred_at", when()}, {"duration_min", pick(61)},
                {"owner_id", org_.users.at(owner)}};
      if (pick(5) != 0) a["customer_id"] = customers_[static_cast<size_t>(pick(12))];
      items.push_back(std::move(a));
    }
    CreateAll("activities", items);
  }

  void CreateAll(const std::string& entity, const json& items) {
    if (items.empty()) return;
    auto r = rs_->CreateBatch(As("admin"), E(entity), items);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    for (const auto& err : r->errors) ADD_FAILURE() << entity << "[" << err.index << "]: " << err.status.ToString();
  }

  // ---- expectations from the tables: GROUP BY in SQL, local days in C++ ----

  // Rows of (group, UTC timestamp, value), summed per group and local day within [from, to).
  static Series Fold(const store::Rows& rows, TimeMs from, TimeMs to, double scale = 1) {
    Series s;
    for (const auto& r : rows.rows) {
      TimeMs at = Ts(store::AsText(r[1]));
      if (at < from || at >= to) continue;
      s[{store::AsText(r[0]), LocalDay(at)}] += store::AsDouble(r[2]) * scale;
    }
    std::erase_if(s, [](const auto& kv) { return kv.second == 0; });
    return s;
  }
  Series WantRevenueByRep(TimeMs from, TimeMs to) {
    return Fold(Sql("SELECT owner_id, ordered_at, SUM(total) FROM orders WHERE tenant_id = ? AND status <> 'refunded' "
                    "AND status <> 'cancelled' GROUP BY owner_id, ordered_at", {org_.tenant}), from, to, 0.01);
  }
  Series WantOrdersByRep(TimeMs from, TimeMs to) {
    return Fold(Sql("SELECT owner_id, ordered_at, COUNT(*) FROM orders WHERE tenant_id = ? AND status <> 'refunded' "
                    "AND status <> 'cancelled' GROUP BY owner_id, ordered_at", {org_.tenant}), from, to);
  }
  Series WantEffectiveVisitsByRep(TimeMs from, TimeMs to) {
    return Fold(Sql("SELECT owner_id, occurred_at, COUNT(*) FROM activities WHERE tenant_id = ? AND kind = 'visit' "
                    "AND duration_min >= 15 GROUP BY owner_id, occurred_at", {org_.tenant}), from, to);
  }
  Series WantCustomersTouchedByRep(TimeMs from, TimeMs to) {
    store::Rows rows = Sql("SELECT owner_id, occurred_at, customer_id FROM activities WHERE tenant_id = ? AND "
                           "customer_id IS NOT NULL GROUP BY owner_id, occurred_at, customer_id", {org_.tenant});
    std::map<std::pair<std::string, std::string>, std::set<int64_t>> sets;
    for (const auto& r : rows.rows) {
      TimeMs at = Ts(store::AsText(r[1]));
      if (at >= from && at < to) sets[{store::AsText(r[0]), LocalDay(at)}].insert(store::AsInt(r[2]));
    }
    Series s;
    for (const auto& [key, set] : sets) s[key] = static_cast<double>(set.size());
    return s;
  }
  // Revenue per team-level unit: the unit_a or unit_b subtree an order's unit lies in.
  Series WantRevenueByTeam(TimeMs from, TimeMs to) {
    store::Rows rows = Sql("SELECT u.path, o.ordered_at, SUM(o.total) FROM orders o JOIN units u ON u.tenant_id = o.tenant_id "
                           "AND u.id = o.unit_id WHERE o.tenant_id = ? AND o.status <> 'refunded' AND o.status <> 'cancelled' "
                           "GROUP BY u.path, o.ordered_at", {org_.tenant});
    std::string a = "/" + std::to_string(org_.unit_a) + "/", b = "/" + std::to_string(org_.unit_b) + "/";
    for (auto& r : rows.rows) {
      std::string path = store::AsText(r[0]);
      r[0] = path.find(a) != std::string::npos ? std::to_string(org_.unit_a)
             : path.find(b) != std::string::npos ? std::to_string(org_.unit_b) : path;
    }
    return Fold(rows, from, to, 0.01);
  }
  // Revenue of orders whose unit lies under `unit_id` (path prefix).
  double WantRevenueUnder(int64_t unit_id, TimeMs from, TimeMs to) {
    std::string path = store::AsText(Sql("SELECT path FROM units WHERE tenant_id = ? AND id = ?", {org_.tenant, unit_id}).rows[0][0]);
    store::Rows rows = Sql("SELECT u.path, o.ordered_at, SUM(o.total) FROM orders o JOIN units u ON u.tenant_id = o.tenant_id "
                           "AND u.id = o.unit_id WHERE o.tenant_id = ? AND o.status <> 'refunded' AND o.status <> 'cancelled' "
                           "GROUP BY u.path, o.ordered_at", {org_.tenant});
    double sum = 0;
    for (const auto& [key, v] : Fold(rows, from, to, 0.01)) {
      if (key.first.rfind(path, 0) == 0) sum += v;
    }
    return sum;
  }

  Snapshot Want(TimeMs from, TimeMs to) {
    return {{"revenue", WantRevenueByRep(from, to)}, {"orders", WantOrdersByRep(from, to)},
            {"effective_visits", WantEffectiveVisitsByRep(from, to)},
            {"customers_touched", WantCustomersTouchedByRep(from, to)}};
  }
  Snapshot Got(MetricEngine& e, TimeMs from, TimeMs to) {
    MetricQuery q = Req({"revenue", "orders", "effective_visits", "customers_touched"}, from, to);
    q.grain = Grain::kDay;
    q.group_by = {"rep"};
    json out = Ask(As("ops"), q, &e);
    Snapshot s;
    for (const auto& m : q.metrics) s[m] = PointsOf(out, m, "rep");
    return s;
  }

  std::unique_ptr<MetricEngine> engine_;
  std::vector<int64_t> customers_, stores_b_;
  int next_code_ = 0;
};

// ---- 1. local days ----

TEST_P(MetricEngineTest, LocalDaysFollowTheTenantTimeZone) {
  Sale("rep_a1", "2026-11-01T15:59:00Z", 100);   // 23:59 on 1 November in Shanghai
  Sale("rep_a2", "2026-11-01T16:00:00Z", 3299);  // 00:00 on 2 November in Shanghai
  CatchUp(*engine_);

  MetricQuery q = Req({"revenue", "orders"}, LocalMidnight(2026, 10, 31), LocalMidnight(2026, 11, 3));
  q.grain = Grain::kDay;
  json out = Ask(As("ops"), q);
  EXPECT_EQ(out["time_zone"], "Asia/Shanghai");
  EXPECT_EQ(out["from"], "2026-10-31T00:00:00+08:00");
  EXPECT_EQ(out["to"], "2026-11-03T00:00:00+08:00");
  Near(Series{{{"", "2026-11-01"}, 100}, {{"", "2026-11-02"}, 3299}}, PointsOf(out, "revenue", ""), "revenue by local day");
  Near(Series{{{"", "2026-11-01"}, 1}, {{"", "2026-11-02"}, 1}}, PointsOf(out, "orders", ""), "orders by local day");
  ASSERT_EQ(out["groups"][0]["values"]["revenue"]["points"].size(), 3u);
  EXPECT_EQ(out["groups"][0]["values"]["revenue"]["points"][0]["t"], "2026-10-31T00:00:00+08:00");
  EXPECT_EQ(out["groups"][0]["values"]["revenue"]["points"][0]["value"], 0);

  // One local day, 2 November: only the sale at 16:00Z.
  EXPECT_EQ(Single(As("ops"), Req({"revenue"}, LocalMidnight(2026, 11, 2), LocalMidnight(2026, 11, 3)), "revenue"), 3299);
  EXPECT_EQ(Single(As("ops"), Req({"revenue"}, LocalMidnight(2026, 11, 1), LocalMidnight(2026, 11, 2)), "revenue"), 100);

  // Minute detail is kept for two days only: an old range not on whole hours is refused.
  auto old = engine_->Query(As("ops"), Req({"revenue"}, Ts("2026-11-01T15:30:00Z"), Ts("2026-11-01T16:30:00Z")));
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.status().code(), "query.too_fine");
  EXPECT_EQ(old.status().field(), "from");

  // Recent sales across local midnight are answered to the minute and the hour.
  Sale("rep_a1", "2026-11-26T15:59:30Z", 10);
  Sale("rep_a1", "2026-11-27T00:00:00+08:00", 20);
  CatchUp(*engine_);
  EXPECT_EQ(Single(As("ops"), Req({"revenue"}, Ts("2026-11-26T15:59:00Z"), Ts("2026-11-26T16:01:00Z")), "revenue"), 30);
  EXPECT_EQ(Single(As("ops"), Req({"revenue"}, Ts("2026-11-26T16:00:00Z"), Ts("2026-11-26T16:01:00Z")), "revenue"), 20);
  MetricQuery h = Req({"revenue"}, Ts("2026-11-26T15:00:00Z"), Ts("2026-11-26T17:00:00Z"));
  h.grain = Grain::kHour;
  json hours = Ask(As("ops"), h);
  const json& pts = hours["groups"][0]["values"]["revenue"]["points"];
  ASSERT_EQ(pts.size(), 2u) << hours.dump();
  EXPECT_EQ(pts[0]["t"], "2026-11-26T23:00:00+08:00");
  EXPECT_EQ(pts[0]["value"], 10);
  EXPECT_EQ(pts[1]["t"], "2026-11-27T00:00:00+08:00");
  EXPECT_EQ(pts[1]["value"], 20);
}

// ---- 2. rollups against the rows ----

TEST_P(MetricEngineTest, RollupsEqualARecomputationFromTheRows) {
  Populate(300, 200, 20261127);
  CatchUp(*engine_);
  TimeMs from = LocalMidnightOf(Now() - 41 * kDayMs), to = Now();
  Snapshot want = Want(from, to);
  ASSERT_GT(want["revenue"].size(), 50u) << "the data set is spread over many (rep, day) pairs";
  ASSERT_GT(want["effective_visits"].size(), 30u);
  Near(want, Got(*engine_, from, to), "per rep and local day");

  // Totals per rep over the whole range, per team (unit = the team level) and for the tenant.
  MetricQuery q = Req({"revenue", "customers_touched"}, from, to);
  q.group_by = {"rep"};
  json by_rep = Ask(As("ops"), q);
  auto want_rev = Totals(want["revenue"]);
  auto got_rev = TotalsOf(by_rep, "revenue", "rep");
  ASSERT_EQ(want_rev.size(), got_rev.size());
  for (const auto& [rep, v] : want_rev) EXPECT_NEAR(got_rev[rep], v, 1e-6 * v) << rep;
  // Groups come biggest first.
  for (size_t i = 1; i < by_rep["groups"].size(); ++i) {
    EXPECT_GE(by_rep["groups"][i - 1]["values"]["revenue"]["value"].get<double>(),
              by_rep["groups"][i]["values"]["revenue"]["value"].get<double>());
  }
  // Distinct customers over the range are not the sum of the daily counts.
  std::map<std::string, std::set<int64_t>> touched;
  for (const auto& r : Sql("SELECT owner_id, occurred_at, customer_id FROM activities WHERE tenant_id = ? AND customer_id IS NOT NULL",
                           {org_.tenant}).rows) {
    if (Ts(store::AsText(r[1])) >= from) touched[store::AsText(r[0])].insert(store::AsInt(r[2]));
  }
  auto got_touched = TotalsOf(by_rep, "customers_touched", "rep");
  ASSERT_EQ(got_touched.size(), touched.size());
  for (const auto& [rep, set] : touched) EXPECT_EQ(got_touched[rep], static_cast<double>(set.size())) << rep;

  MetricQuery t = Req({"revenue"}, from, to);
  t.grain = Grain::kDay;
  t.group_by = {"unit"};
  Near(WantRevenueByTeam(from, to), PointsOf(Ask(As("ops"), t), "revenue", "unit"), "revenue per team and day");

  double all = 0;
  for (const auto& [rep, v] : want_rev) all += v;
  EXPECT_NEAR(Single(As("ops"), Req({"revenue"}, from, to), "revenue"), all, 1e-6 * all);
  auto value_of = engine_->ValueOf(org_.tenant, "revenue", from, to, {});
  ASSERT_TRUE(value_of.ok() && value_of->has_value());
  EXPECT_NEAR(**value_of, all, 1e-6 * all);

  // A text dimension filter, top N, and the previous period / last year.
  double store_channel = 0;
  for (const auto& row : Sql("SELECT ordered_at, total FROM orders WHERE tenant_id = ? AND channel = 'store' AND "
                             "status = 'paid'", {org_.tenant}).rows) {
    TimeMs at = Ts(store::AsText(row[0]));
    if (at >= from && at < to) store_channel += store::AsDouble(row[1]) / 100;
  }
  MetricQuery ch = Req({"revenue"}, from, to);
  ch.filters = {{"channel", "store"}};
  EXPECT_NEAR(Single(As("ops"), ch, "revenue"), store_channel, 1e-6 * store_channel);
  MetricQuery top = Req({"revenue"}, from, to);
  top.group_by = {"rep"};
  top.top = 2;
  json top2 = Ask(As("ops"), top);
  std::vector<double> sorted;
  for (const auto& [rep, v] : want_rev) sorted.push_back(v);
  std::sort(sorted.rbegin(), sorted.rend());
  ASSERT_EQ(top2["groups"].size(), 2u);
  EXPECT_NEAR(top2["groups"][0]["values"]["revenue"]["value"].get<double>(), sorted[0], 1e-6 * sorted[0]);
  EXPECT_NEAR(top2["groups"][1]["values"]["revenue"]["value"].get<double>(), sorted[1], 1e-6 * sorted[1]);
  TimeMs mid = LocalMidnight(2026, 11, 15), end = LocalMidnight(2026, 11, 25);
  auto sum_days = [&](TimeMs a, TimeMs b) {
    double sum = 0;
    for (const auto& [rep, v] : Totals(WantRevenueByRep(a, b))) sum += v;
    return sum;
  };
  MetricQuery cmp = Req({"revenue"}, mid, end);
  cmp.compare_previous = cmp.compare_last_year = true;
  json c = Ask(As("ops"), cmp);
  const json& cv = c["groups"][0]["values"]["revenue"];
  double now_sum = sum_days(mid, end), prev_sum = sum_days(mid - 10 * kDayMs, mid);
  ASSERT_GT(prev_sum, 0);
  EXPECT_NEAR(cv["value"].get<double>(), now_sum, 1e-6 * now_sum);
  EXPECT_NEAR(cv["previous"].get<double>(), prev_sum, 1e-6 * prev_sum);
  EXPECT_NEAR(cv["change_pct"].get<double>(), (now_sum - prev_sum) / prev_sum * 100, 1e-3);
  EXPECT_EQ(cv["last_year"], 0);
  EXPECT_TRUE(cv["yoy_pct"].is_null());
  MetricQuery r = Req({"revenue"}, from, to);
  r.group_by = {"region"};
  json by_region = Ask(As("ops"), r);
  ASSERT_EQ(by_region["groups"].size(), 1u);
  EXPECT_EQ(by_region["groups"][0]["group"]["region"]["value"], std::to_string(org_.region));
  EXPECT_NEAR(by_region["groups"][0]["values"]["revenue"]["value"].get<double>(), all, 1e-6 * all);
}

// ---- 3. restart ----

TEST_P(MetricEngineTest, RestartRecoversExactlyAndReadsOnlyTheTail) {
  Populate(150, 100, 7);
  CatchUp(*engine_);  // flushes
  TimeMs from = LocalMidnightOf(Now() - 41 * kDayMs), to = Now();
  Snapshot before = Got(*engine_, from, to);
  engine_.reset();

  int64_t log = EventCount();
  {
    // No new events: the restarted engine loads its rollups and does not replay the log.
    MetricEngine e(*db_, clock_);
    CatchUp(e);
    EXPECT_LT(e.stats().events_applied, log);
    EXPECT_EQ(e.stats().events_applied, 0);
    Near(before, Got(e, from, to), "after a restart without new events");
  }

  // New facts (and new master data) while no engine runs.
  stores_b_.push_back(NewStore(org_.unit_b, "S-B2"));
  clock_.Advance(kHourMs);
  Populate(80, 60, 8);
  int64_t tail = EventCount() - log;
  to = Now();

  auto second = std::make_unique<MetricEngine>(*db_, clock_);
  CatchUp(*second);
  EXPECT_LE(second->stats().events_applied, tail) << "only events after the persisted applied_seq are read";
  Snapshot resumed = Got(*second, from, to);
  MetricQuery t = Req({"revenue"}, from, to);
  t.grain = Grain::kDay;
  t.group_by = {"unit"};
  Series resumed_teams = PointsOf(Ask(As("ops"), t, second.get()), "revenue", "unit");
  second.reset();

  {
    auto conn = std::move(db_->Acquire()).value();
    store::Value q[] = {org_.tenant};
    ASSERT_TRUE(conn->Exec("DELETE FROM metric_cells WHERE tenant_id = ?", q).ok());
    ASSERT_TRUE(conn->Exec("DELETE FROM metric_state WHERE tenant_id = ?", q).ok());
  }
  MetricEngine full(*db_, clock_);
  CatchUp(full);
  EXPECT_GT(full.stats().events_applied, tail) << "without state the engine recomputes from the whole log";
  Snapshot recomputed = Got(full, from, to);

  Near(recomputed, resumed, "resumed vs recomputed from the log");
  Near(Want(from, to), resumed, "resumed vs the rows");
  Near(WantRevenueByTeam(from, to), resumed_teams, "resumed revenue per team");
  Near(WantRevenueByTeam(from, to), PointsOf(Ask(As("ops"), t, &full), "revenue", "unit"), "recomputed revenue per team");
}

// Issue 17: two nodes, each with its own pool and leases on one database. Both fold every event
// into memory and answer queries alike; only the holder of the tenant's "metrics.flush" lease
// stores rollups. When the holder stops renewing (it died) the other takes the lease over and
// stores everything it folded — the stored rollups then equal a recomputation, with no gap for
// the events the first holder never stored. The old holder, back from a pause, stores nothing.
TEST_P(MetricEngineTest, OneNodeStoresTheRollupsAndAnotherTakesOverWithoutAGap) {
  engine_.reset();
  auto opened = store::Database::Open(env_.url);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<store::Database> db2 = std::move(opened).value();
  events::Leases la(*db_, clock_, {.holder = "node-a", .ttl_ms = 10000});
  events::Leases lb(*db2, clock_, {.holder = "node-b", .ttl_ms = 10000});
  events::AttachLeases(*db_, &la);
  events::AttachLeases(*db2, &lb);
  auto stored_seq = [&] {
    auto conn = std::move(db_->Acquire()).value();
    store::Value q[] = {org_.tenant, std::string("revenue")};
    auto rows = conn->Query("SELECT applied_seq FROM metric_state WHERE tenant_id = ? AND name = ?", q).value();
    return rows.empty() ? int64_t{-1} : store::AsInt(rows.rows[0][0]);
  };
  TimeMs from = LocalMidnightOf(Now() - 41 * kDayMs);
  {
    MetricEngine a(*db_, clock_), b(*db2, clock_);
    Populate(60, 40, 11);
    CatchUp(a);  // a takes the flush lease and stores
    CatchUp(b);  // b folds the same events, stores nothing
    EXPECT_EQ(stored_seq(), EventCount()) << "the holder stored up to the log's head";
    Near(Got(a, from, Now()), Got(b, from, Now()), "both nodes answer alike");

    // a is paused (it folds nothing more, its lease has not yet run out); new events reach b only.
    Populate(50, 30, 12);
    CatchUp(b);
    EXPECT_LT(stored_seq(), EventCount()) << "b does not store while a holds the lease";
    // a's lease runs out; b takes it over at its next flush and stores everything it folded.
    clock_.Advance(11000);
    CatchUp(b);
    EXPECT_EQ(stored_seq(), EventCount()) << "b stored up to the log's head after the takeover";
    const int64_t by_b = stored_seq();
    // a wakes up: it folds the new events (its answers catch up) but stores nothing.
    CatchUp(a);
    EXPECT_EQ(stored_seq(), by_b);
    Near(Got(b, from, Now()), Got(a, from, Now()), "the old holder catches up in memory");
  }
  events::AttachLeases(*db_, nullptr);
  events::AttachLeases(*db2, nullptr);
  // A node started from the stored rollups alone (no replay of the folded events) answers exactly
  // what the rows say.
  MetricEngine fresh(*db_, clock_);
  CatchUp(fresh);
  EXPECT_EQ(fresh.stats().events_applied, 0) << "the stored rollups cover the whole log";
  Near(Want(from, Now()), Got(fresh, from, Now()), "stored rollups vs the rows");
}

// A count_distinct over a text value must count the same texts after a restart as a full
// recomputation does.
TEST_P(MetricEngineTest, TextDistinctCountsSurviveARestart) {
  json def = {{"name", "channels_used"}, {"source", "order"}, {"agg", "count_distinct"}, {"value", "channel"},
              {"dimensions", json::array({"rep"})}};
  ASSERT_TRUE(engine_->SaveDefinition(As("ops"), def).ok());
  auto order = [&](const std::string& channel, const std::string& at) {
    json body = OrderBody("rep_a1", at, 1, 100);
    body["channel"] = channel;
    testing::MustCreate(*rs_, As("admin"), "orders", body);
  };
  // Logged in the opposite order of their times: the engine meets "wechat" first, while a
  // restarted engine meets "livestream" first (cells load in bucket order).
  order("wechat", "2026-11-21T03:00:00Z");
  order("livestream", "2026-11-20T03:00:00Z");
  CatchUp(*engine_);
  MetricQuery q = Req({"channels_used"}, LocalMidnight(2026, 11, 20), LocalMidnight(2026, 11, 22));
  q.grain = Grain::kDay;
  EXPECT_EQ(Single(As("ops"), q, "channels_used"), 2);
  engine_.reset();

  // After the restart: the same channels on the same days again, and a new one.
  order("livestream", "2026-11-20T04:00:00Z");
  order("wechat", "2026-11-21T05:00:00Z");
  order("store", "2026-11-20T06:00:00Z");
  Series want = {{{"", "2026-11-20"}, 2}, {{"", "2026-11-21"}, 1}};
  engine_ = std::make_unique<MetricEngine>(*db_, clock_);
  CatchUp(*engine_);
  json out = Ask(As("ops"), q);
  Series got = PointsOf(out, "channels_used", "");
  Near(want, got, "distinct channels per day after a restart");
  EXPECT_EQ(out["groups"][0]["values"]["channels_used"]["value"], 3);
}

// ---- 4. scope ----

TEST_P(MetricEngineTest, AnswersStayInsideTheCallersScope) {
  Populate(160, 0, 4);
  CatchUp(*engine_);
  TimeMs from = LocalMidnightOf(Now() - 41 * kDayMs), to = Now();
  auto by_rep = Totals(WantRevenueByRep(from, to));
  ASSERT_GT(by_rep[Id("rep_a1")], 0);

  // A rep: their own figures only, whatever they group by.
  EXPECT_NEAR(Single(As("rep_a1"), Req({"revenue"}, from, to), "revenue"), by_rep[Id("rep_a1")], 1e-6 * by_rep[Id("rep_a1")]);
  MetricQuery g = Req({"revenue"}, from, to);
  g.group_by = {"rep"};
  json mine = Ask(As("rep_a1"), g);
  ASSERT_EQ(mine["groups"].size(), 1u);
  EXPECT_EQ(mine["groups"][0]["group"]["rep"]["value"], Id("rep_a1"));
  // A filter on someone else gives nothing, not their figures.
  MetricQuery other = Req({"revenue"}, from, to);
  other.filters = {{"rep", Id("rep_b")}};
  EXPECT_EQ(Single(As("rep_a1"), other, "revenue"), 0);

  // A supervisor: self and direct reports.
  double team = by_rep[Id("sup_a")] + by_rep[Id("rep_a1")] + by_rep[Id("rep_a2")];
  EXPECT_NEAR(Single(As("sup_a"), Req({"revenue"}, from, to), "revenue"), team, 1e-6 * team);

  // A unit lead: the unit's subtree (stores included).
  double unit_b = WantRevenueUnder(org_.unit_b, from, to), unit_a = WantRevenueUnder(org_.unit_a, from, to);
  ASSERT_GT(unit_b, 0);
  EXPECT_NEAR(Single(As("lead_b"), Req({"revenue"}, from, to), "revenue"), unit_b, 1e-6 * unit_b);
  EXPECT_NEAR(Single(As("lead_a"), Req({"revenue"}, from, to), "revenue"), unit_a, 1e-6 * unit_a);
  json lead_groups = Ask(As("lead_b"), g);
  for (const auto& grp : lead_groups["groups"]) EXPECT_EQ(grp["group"]["rep"]["value"], Id("rep_b"));

  // A metric kept by store only cannot be cut to a rep's or a unit's scope.
  json def = {{"name", "store_sales"}, {"source", "order"}, {"agg", "sum"}, {"value", "total"},
              {"filter", "NOT ISBLANK(store_id)"}, {"dimensions", json::array({"store"})}};
  auto saved = engine_->SaveDefinition(As("ops"), def);
  ASSERT_TRUE(saved.ok()) << saved.status().ToString();
  CatchUp(*engine_);
  for (const char* who : {"rep_a1", "sup_a", "lead_a"}) {
    auto r = engine_->Query(As(who), Req({"store_sales"}, from, to));
    ASSERT_FALSE(r.ok()) << who;
    EXPECT_EQ(r.status().code(), "query.scope") << who;
    EXPECT_EQ(r.status().kind(), ErrorKind::kForbidden) << who;
  }
  double stores = 0;
  for (const auto& row : Sql("SELECT ordered_at, total FROM orders WHERE tenant_id = ? AND store_id IS NOT NULL", {org_.tenant}).rows) {
    TimeMs at = Ts(store::AsText(row[0]));
    if (at >= from && at < to) stores += store::AsDouble(row[1]) / 100;
  }
  EXPECT_NEAR(Single(As("ops"), Req({"store_sales"}, from, to), "store_sales"), stores, 1e-6 * stores);
}

// ---- 5. definitions ----

TEST_P(MetricEngineTest, DefinitionsAreCheckedVersionedAndBackfilled) {
  // A formula error points at its byte offset in the field (here after Chinese text).
  std::string filter = "channel = '门店' AND chanel = 'store'";
  auto bad = engine_->SaveDefinition(As("ops"), {{"name", "big_orders"}, {"source", "order"}, {"agg", "count"}, {"filter", filter}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), "formula.unknown_field");
  EXPECT_EQ(bad.status().field(), "filter@" + std::to_string(filter.find("chanel")));
  EXPECT_EQ(bad.status().kind(), ErrorKind::kInvalid);
  EXPECT_EQ(engine_->SaveDefinition(As("rep_a1"), {{"name", "x"}, {"source", "order"}}).status().kind(), ErrorKind::kForbidden);

  Populate(150, 0, 5);
  json v1 = {{"name", "big_orders"}, {"label", {{"zh", "大单"}, {"en", "Big orders"}}}, {"source", "order"}, {"agg", "count"},
             {"filter", "total >= 2500 AND status = 'paid'"}, {"dimensions", json::array({"rep", "unit"})}};
  auto saved = engine_->SaveDefinition(As("ops"), v1);
  ASSERT_TRUE(saved.ok()) << saved.status().ToString();
  EXPECT_EQ(saved->version, 1);
  CatchUp(*engine_);
  TimeMs from = LocalMidnightOf(Now() - 41 * kDayMs), to = Now();
  auto count_paid = [&](double min_total) {
    double n = 0;
    for (const auto& r : Sql("SELECT ordered_at, total FROM orders WHERE tenant_id = ? AND status = 'paid'", {org_.tenant}).rows) {
      TimeMs at = Ts(store::AsText(r[0]));
      if (at >= from && at < to && store::AsDouble(r[1]) / 100 >= min_total) ++n;
    }
    return n;
  };
  double big = count_paid(2500), medium = count_paid(1000);
  ASSERT_GT(medium, big);
  EXPECT_EQ(Single(As("ops"), Req({"big_orders"}, from, to), "big_orders"), big);

  // A new version (PUT) is backfilled from the log and answers by its own filter.
  json v2 = v1;
  v2["filter"] = "total >= 1000 AND status = 'paid'";
  auto put = engine_->SaveDefinition(As("ops"), v2, "big_orders");
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(put->version, 2);
  EXPECT_EQ(engine_->SaveDefinition(As("ops"), v2, "other_name").status().field(), "name");
  EXPECT_EQ(engine_->SaveDefinition(As("ops"), v2).status().code(), "metric.exists");
  CatchUp(*engine_);
  EXPECT_EQ(Single(As("ops"), Req({"big_orders"}, from, to), "big_orders"), medium);
  auto got = engine_->GetDefinition(As("ops"), "big_orders");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->def.version, 2);
  EXPECT_EQ(got->def.filter, v2["filter"]);
  ASSERT_TRUE(got->backfill.has_value());
  EXPECT_TRUE(got->backfill->done);
  ASSERT_EQ(got->versions.size(), 2u);
  EXPECT_EQ(got->versions[0].status, "superseded");
  EXPECT_EQ(got->versions[1].status, "active");
  // Only the live version keeps cells.
  store::Rows versions = Sql("SELECT DISTINCT version FROM metric_cells WHERE tenant_id = ? AND name = 'big_orders'", {org_.tenant});
  ASSERT_EQ(versions.size(), 1u);
  EXPECT_EQ(store::AsInt(versions.rows[0][0]), 2);

  // A metric used by a ratio cannot be archived; the ratio can, and then so can its input.
  auto ratio = engine_->SaveDefinition(As("ops"), {{"name", "big_share"}, {"type", "ratio"}, {"numerator", "big_orders"},
                                                   {"denominator", "orders"}});
  ASSERT_TRUE(ratio.ok()) << ratio.status().ToString();
  CatchUp(*engine_);
  double all_orders = 0;
  for (const auto& [rep, v] : Totals(WantOrdersByRep(from, to))) all_orders += v;
  EXPECT_NEAR(Single(As("ops"), Req({"big_share"}, from, to), "big_share"), medium / all_orders, 1e-4);
  auto in_use = engine_->ArchiveDefinition(As("ops"), "big_orders");
  ASSERT_FALSE(in_use.ok());
  EXPECT_EQ(in_use.code(), "metric.in_use");
  EXPECT_EQ(in_use.kind(), ErrorKind::kConflict);
  EXPECT_EQ(engine_->ArchiveDefinition(As("ops"), "orders").code(), "metric.in_use");  // average_order_value
  ASSERT_TRUE(engine_->ArchiveDefinition(As("ops"), "big_share").ok());
  CatchUp(*engine_);  // the in-use check reads reloaded definitions (see TheInputOfARatio… below)
  ASSERT_TRUE(engine_->ArchiveDefinition(As("ops"), "big_orders").ok());
  CatchUp(*engine_);
  EXPECT_FALSE(engine_->HasMetric(org_.tenant, "big_orders"));
  EXPECT_EQ(engine_->Query(As("ops"), Req({"big_orders"}, from, to)).status().code(), "metric.not_found");
  EXPECT_EQ(store::AsInt(Sql("SELECT COUNT(*) FROM metric_cells WHERE tenant_id = ? AND name = 'big_orders'", {org_.tenant}).rows[0][0]), 0);
}

// What an editor or a script does: save a metric, then at once a ratio over it — without
// waiting for the worker in between.
TEST_P(MetricEngineTest, ARatioCanUseAMetricSavedJustBefore) {
  CatchUp(*engine_);
  json paid = {{"name", "paid_orders"}, {"source", "order"}, {"agg", "count"}, {"filter", "status = 'paid'"},
               {"dimensions", json::array({"rep", "unit"})}};
  ASSERT_TRUE(engine_->SaveDefinition(As("ops"), paid).ok());
  auto share = engine_->SaveDefinition(As("ops"), {{"name", "paid_share"}, {"type", "ratio"}, {"numerator", "paid_orders"},
                                                   {"denominator", "orders"}});
  ASSERT_TRUE(share.ok()) << share.status().ToString();
  CatchUp(*engine_);
  EXPECT_TRUE(engine_->HasMetric(org_.tenant, "paid_share"));
}

// The same the other way round: archive a ratio, then at once its input.
TEST_P(MetricEngineTest, TheInputOfARatioArchivedJustBeforeCanBeArchived) {
  CatchUp(*engine_);
  json paid = {{"name", "paid_orders"}, {"source", "order"}, {"agg", "count"}, {"filter", "status = 'paid'"},
               {"dimensions", json::array({"rep", "unit"})}};
  ASSERT_TRUE(engine_->SaveDefinition(As("ops"), paid).ok());
  CatchUp(*engine_);
  ASSERT_TRUE(engine_->SaveDefinition(As("ops"), {{"name", "paid_share"}, {"type", "ratio"}, {"numerator", "paid_orders"},
                                                  {"denominator", "orders"}}).ok());
  CatchUp(*engine_);
  ASSERT_TRUE(engine_->ArchiveDefinition(As("ops"), "paid_share").ok());
  auto input = engine_->ArchiveDefinition(As("ops"), "paid_orders");
  ASSERT_TRUE(input.ok()) << input.ToString();
  CatchUp(*engine_);
  EXPECT_FALSE(engine_->HasMetric(org_.tenant, "paid_orders"));
}

// ---- 6. cumulative and ratio ----

TEST_P(MetricEngineTest, CumulativeAndRatioMetrics) {
  // Customers created at chosen business times (an import may set the write time).
  auto sys = Principal::System(org_.tenant);
  const char* times[] = {"2026-09-15T03:00:00Z", "2026-11-01T15:59:00Z", "2026-11-01T16:00:00Z", "2026-11-05T10:00:00Z",
                         "2026-11-05T11:00:00Z", "2026-11-12T00:00:00Z", "2026-11-20T08:00:00Z"};
  int i = 0;
  for (const char* t : times) {
    domain::WriteOptions opt;
    opt.at = Ts(t);
    auto r = rs_->Create(sys, E("customers"), {{"code", "K-" + std::to_string(i)}, {"name", "客户 K" + std::to_string(i)},
                                              {"kind", "b2b"}, {"owner_id", org_.users.at(i % 2 ? "rep_a1" : "rep_b")}}, opt);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ++i;
  }
  Populate(120, 0, 6);  // 12 more customers, created now
  CatchUp(*engine_);
  std::vector<TimeMs> created;
  for (const auto& r : Sql("SELECT created_at FROM customers WHERE tenant_id = ?", {org_.tenant}).rows) {
    created.push_back(Ts(store::AsText(r[0])));
  }
  ASSERT_EQ(created.size(), 19u);
  auto created_before = [&](TimeMs end) {
    return static_cast<double>(std::count_if(created.begin(), created.end(), [&](TimeMs c) { return c < end; }));
  };

  TimeMs from = LocalMidnight(2026, 11, 1), to = LocalMidnight(2026, 11, 6);
  EXPECT_EQ(Single(As("ops"), Req({"customers_assigned"}, from, to), "customers_assigned"), created_before(to));
  EXPECT_EQ(Single(As("ops"), Req({"customers_assigned"}, from, LocalMidnight(2026, 11, 28)), "customers_assigned"), 19);
  MetricQuery q = Req({"customers_assigned", "new_customers"}, from, to);
  q.grain = Grain::kDay;
  json out = Ask(As("ops"), q);
  const json& pts = out["groups"][0]["values"]["customers_assigned"]["points"];
  ASSERT_EQ(pts.size(), 5u);
  for (size_t d = 0; d < pts.size(); ++d) {
    TimeMs day_end = from + static_cast<TimeMs>(d + 1) * kDayMs;
    EXPECT_EQ(pts[d]["value"].get<double>(), created_before(day_end)) << pts[d]["t"];
  }
  EXPECT_EQ(out["groups"][0]["values"]["new_customers"]["value"], created_before(to) - created_before(from));

  // Average order value = revenue / orders, per rep and overall.
  TimeMs f = LocalMidnightOf(Now() - 41 * kDayMs), t = Now();
  MetricQuery a = Req({"revenue", "orders", "average_order_value"}, f, t);
  a.group_by = {"rep"};
  json by_rep = Ask(As("ops"), a);
  ASSERT_GE(by_rep["groups"].size(), 4u);
  auto want_rev = Totals(WantRevenueByRep(f, t)), want_n = Totals(WantOrdersByRep(f, t));
  double rev = 0, n = 0;
  for (const auto& g : by_rep["groups"]) {
    std::string rep = g["group"]["rep"]["value"];
    ASSERT_GT(want_n[rep], 0) << rep;
    EXPECT_NEAR(g["values"]["average_order_value"]["value"].get<double>(), want_rev[rep] / want_n[rep], 1e-4) << rep;
    rev += want_rev[rep];
    n += want_n[rep];
  }
  EXPECT_NEAR(Single(As("ops"), Req({"average_order_value"}, f, t), "average_order_value"), rev / n, 1e-4);
  // Revenue month to date: running sums that restart on the 1st (local).
  TimeMs m_from = LocalMidnight(2026, 10, 28), m_to = LocalMidnight(2026, 11, 4);
  MetricQuery mtd = Req({"revenue_mtd"}, m_from, m_to);
  mtd.grain = Grain::kDay;
  json mo = Ask(As("ops"), mtd);
  const json& mp = mo["groups"][0]["values"]["revenue_mtd"]["points"];
  ASSERT_EQ(mp.size(), 7u);
  for (size_t d = 0; d < mp.size(); ++d) {
    TimeMs day_end = m_from + static_cast<TimeMs>(d + 1) * kDayMs;
    TimeMs month_start = day_end <= LocalMidnight(2026, 11, 1) ? LocalMidnight(2026, 10, 1) : LocalMidnight(2026, 11, 1);
    double want = 0;
    for (const auto& [rep, v] : Totals(WantRevenueByRep(month_start, day_end))) want += v;
    EXPECT_NEAR(mp[d]["value"].get<double>(), want, 1e-6 * std::max(1.0, want)) << mp[d]["t"];
  }
  double nov = 0;
  for (const auto& [rep, v] : Totals(WantRevenueByRep(LocalMidnight(2026, 11, 1), m_to))) nov += v;
  EXPECT_NEAR(Single(As("ops"), Req({"revenue_mtd"}, m_from, m_to), "revenue_mtd"), nov, 1e-6 * std::max(1.0, nov));

  // No orders: a ratio has no value rather than 0.
  json empty = Ask(As("ops"), Req({"average_order_value"}, LocalMidnight(2026, 1, 1), LocalMidnight(2026, 1, 2)));
  EXPECT_TRUE(empty["groups"][0]["values"]["average_order_value"]["value"].is_null()) << empty.dump();
}

// ---- 7. targets ----

TEST_P(MetricEngineTest, TargetsGiveCompletionForTheMonth) {
  Populate(150, 0, 9);
  testing::MustCreate(*rs_, As("admin"), "targets",
                      {{"unit_id", org_.unit_a}, {"metric", "revenue"}, {"period", "2026-11"}, {"value", 10000}});
  CatchUp(*engine_);
  TimeMs from = LocalMidnight(2026, 11, 1), to = LocalMidnight(2026, 12, 1);
  double unit_a = WantRevenueUnder(org_.unit_a, from, to);
  double all = 0;
  for (const auto& [rep, v] : Totals(WantRevenueByRep(from, to))) all += v;
  ASSERT_GT(unit_a, 0);

  MetricQuery q = Req({"revenue"}, from, to);
  q.targets = true;
  q.filters = {{"unit", std::to_string(org_.unit_a)}};
  json out = Ask(As("ops"), q);
  const json& v = out["groups"][0]["values"]["revenue"];
  EXPECT_NEAR(v["value"].get<double>(), unit_a, 1e-6 * unit_a);
  EXPECT_EQ(v["target"], 10000);
  EXPECT_NEAR(v["completion"].get<double>(), unit_a / 10000, 1e-4);

  // The whole tenant against the one target there is; a unit lead sees their unit's.
  q.filters.clear();
  json whole = Ask(As("ops"), q);
  EXPECT_EQ(whole["groups"][0]["values"]["revenue"]["target"], 10000);
  EXPECT_NEAR(whole["groups"][0]["values"]["revenue"]["completion"].get<double>(), all / 10000, 1e-4);
  json lead = Ask(As("lead_a"), q);
  EXPECT_EQ(lead["groups"][0]["values"]["revenue"]["target"], 10000);
  EXPECT_NEAR(lead["groups"][0]["values"]["revenue"]["completion"].get<double>(), unit_a / 10000, 1e-4);
  // No target for unit_b, none for a rep personally, none for October, none without targets=true.
  json lead_b = Ask(As("lead_b"), q);
  EXPECT_TRUE(lead_b["groups"][0]["values"]["revenue"]["target"].is_null());
  json rep = Ask(As("rep_a1"), q);
  EXPECT_TRUE(rep["groups"][0]["values"]["revenue"]["target"].is_null());
  MetricQuery oct = Req({"revenue"}, LocalMidnight(2026, 10, 1), LocalMidnight(2026, 11, 1));
  oct.targets = true;
  EXPECT_TRUE(Ask(As("ops"), oct)["groups"][0]["values"]["revenue"]["target"].is_null());
  q.targets = false;
  EXPECT_FALSE(Ask(As("ops"), q)["groups"][0]["values"]["revenue"].contains("target"));
}

// ---- known gaps ----

// Revenue excludes cancelled and refunded orders; an order is usually created paid and
// cancelled or refunded later by an update.
TEST_P(MetricEngineTest, CancellingAnOrderLaterTakesItOutOfRevenue) {
  Sale("rep_a1", "2026-11-20T02:00:00Z", 1000);
  int64_t cancelled = Sale("rep_a1", "2026-11-20T03:00:00Z", 500);
  CatchUp(*engine_);
  MetricQuery q = Req({"revenue", "orders"}, LocalMidnight(2026, 11, 20), LocalMidnight(2026, 11, 21));
  EXPECT_EQ(Single(As("ops"), q, "revenue"), 1500);
  ASSERT_TRUE(rs_->Update(As("admin"), E("orders"), cancelled, {{"status", "cancelled"}}).ok());
  CatchUp(*engine_);
  double revenue = Single(As("ops"), q, "revenue");
  EXPECT_EQ(revenue, 1000);
  EXPECT_EQ(Single(As("ops"), q, "orders"), 1);
}

// Issue #15 §3: a query with more groups than the engine allows (without top) is a 422 that
// says how to narrow it; with top it answers.
TEST_P(MetricEngineTest, TooManyGroupsWithoutTopIsRefusedPlainly) {
  EngineOptions o;
  o.max_groups = 1;
  auto small = std::make_unique<MetricEngine>(*db_, clock_, o);
  Sale("rep_a1", "2026-11-20T02:00:00Z", 1000);
  Sale("rep_a2", "2026-11-20T03:00:00Z", 500);
  CatchUp(*small);
  MetricQuery q = Req({"revenue"}, LocalMidnight(2026, 11, 20), LocalMidnight(2026, 11, 21));
  q.group_by = {"rep"};
  auto refused = small->Query(As("ops"), q);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), "metrics.too_many_groups");
  EXPECT_EQ(refused.status().field(), "group_by");
  EXPECT_NE(refused.status().message_en().find("top=N"), std::string::npos);
  q.top = 1;
  auto top = small->Query(As("ops"), q);
  ASSERT_TRUE(top.ok()) << top.status().ToString();
  ASSERT_EQ(top->groups.size(), 1u);
  ASSERT_EQ(top->groups[0].figures.size(), 1u);
  EXPECT_EQ(top->groups[0].figures[0].metric, "revenue");
  EXPECT_EQ(top->groups[0].figures[0].value, 1000);
  ASSERT_EQ(top->groups[0].labels.size(), 1u);
  EXPECT_EQ(top->groups[0].labels[0].dimension, "rep");
}

// Every dimension a source lists can be grouped by; opportunity's product_category is its own
// field (order_line's is the product's "category").
TEST_P(MetricEngineTest, OpportunitiesGroupByProductCategory) {
  json def = {{"name", "pipeline_by_line"}, {"source", "opportunity"}, {"agg", "sum"}, {"value", "amount"},
              {"dimensions", json::array({"rep", "unit", "product_category"})}};
  ASSERT_TRUE(engine_->SaveDefinition(As("ops"), def).ok());
  int64_t customer = testing::MustCreate(*rs_, As("admin"), "customers", {{"code", "OPP"}, {"name", "客户"}, {"kind", "b2b"}});
  auto deal = [&](const std::string& category, double amount) {
    testing::MustCreate(*rs_, As("admin"), "opportunities",
                        {{"name", "deal " + category}, {"customer_id", customer}, {"amount", amount},
                         {"product_category", category}, {"owner_id", org_.users.at("rep_a1")}});
  };
  deal("家电/空调", 5000);
  deal("家电/空调", 3000);
  deal("家电/冰箱", 2000);
  CatchUp(*engine_);
  MetricQuery q = Req({"pipeline_by_line"}, LocalMidnightOf(Now()), Now() + kMinuteMs);
  q.group_by = {"product_category"};
  json out = Ask(As("ops"), q);
  std::map<std::string, double> got = TotalsOf(out, "pipeline_by_line", "product_category");
  std::map<std::string, double> want = {{"家电/空调", 8000}, {"家电/冰箱", 2000}};
  EXPECT_EQ(got, want);
}

// The alert functions read windows that end at "now" minus whole windows (CHANGE_PCT(1w)
// compares [now−2w, now−1w) with [now−1w, now)), and "now" is any minute. Windows reaching back
// beyond the minute detail start at the hour before, so consecutive windows still tile.
TEST_P(MetricEngineTest, SeriesAccessForAlertsAnswersOlderWindowsAtAnyMinute) {
  Populate(150, 0, 10);
  Sale("rep_a1", "2026-11-20T02:20:00Z", 1000);  // inside [now−1w, now) only once snapped to 02:00
  Sale("rep_a2", "2026-11-13T02:10:00Z", 700);   // inside [now−2w, now−1w) only once snapped
  clock_.Set(Ts("2026-11-27T02:37:00Z"));
  CatchUp(*engine_);
  TimeMs now = Now(), w = 7 * kDayMs;
  auto hour = [](TimeMs t) { return t / kHourMs * kHourMs; };  // Shanghai is a whole number of hours ahead
  auto want = [&](TimeMs a, TimeMs b) {
    double sum = 0;
    for (const auto& row : Sql("SELECT ordered_at, total FROM orders WHERE tenant_id = ? AND status = 'paid'", {org_.tenant}).rows) {
      TimeMs at = Ts(store::AsText(row[0]));
      if (at >= a && at < b) sum += store::AsDouble(row[1]) / 100;
    }
    return sum;
  };
  auto recent = engine_->ValueOf(org_.tenant, "revenue", now - w, now, {});
  ASSERT_TRUE(recent.ok()) << recent.status().ToString();
  double want_recent = want(hour(now - w), now);
  EXPECT_NEAR(recent->value_or(0), want_recent, 1e-6 * want_recent);
  auto older = engine_->ValueOf(org_.tenant, "revenue", now - 2 * w, now - w, {});
  ASSERT_TRUE(older.ok()) << older.status().ToString();
  double want_older = want(hour(now - 2 * w), hour(now - w));
  EXPECT_NEAR(older->value_or(0), want_older, 1e-6 * want_older);
  // Recent windows keep minute precision.
  auto last_hour = engine_->ValueOf(org_.tenant, "revenue", now - kHourMs, now, {});
  ASSERT_TRUE(last_hour.ok());
  EXPECT_NEAR(last_hour->value_or(0), want(now - kHourMs, now), 1e-6);
}

INSTANTIATE_TEST_SUITE_P(Backends, MetricEngineTest, ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

}  // namespace
}  // namespace keel::metrics
