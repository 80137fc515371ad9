// The demo company's organisation (regions, units, stores, people), catalogue and customers.
#include "demo/generator.h"

namespace keel::demo::detail {

Status Generator::Organisation() {
  TimeMs t0 = start_day_ * kDay - 30 * kDay;
  KEEL_ASSIGN_OR_RETURN(admin_, Create("users", {{"username", "admin"}, {"display_name", "系统管理员 Admin"},
                                                 {"role", "admin"}, {"unit_id", hq_unit_},
                                                 {"email", "admin@haichuan.example"}}, t0));
  summary_.logins.push_back({"admin", "admin 系统管理员"});
  KEEL_RETURN_IF_ERROR(Create("users", {{"username", "ops"}, {"display_name", "张敏（销售运营）"},
                                        {"role", "hq_ops"}, {"unit_id", hq_unit_}}, t0).status());
  summary_.logins.push_back({"ops", "hq_ops 销售运营/作战指挥部"});
  KEEL_RETURN_IF_ERROR(Create("users", {{"username", "analyst"}, {"display_name", "陈思远（分析师）"},
                                        {"role", "analyst"}, {"unit_id", hq_unit_}, {"locale", "en"}}, t0).status());
  summary_.logins.push_back({"analyst", "analyst 分析师 (English UI)"});
  KEEL_RETURN_IF_ERROR(Create("users", {{"username", "auditor"}, {"display_name", "周静（审计）"},
                                        {"role", "auditor"}, {"unit_id", hq_unit_}}, t0).status());
  summary_.logins.push_back({"auditor", "auditor 审计"});

  int region_idx = 0;
  for (const auto& r : kRegions) {
    KEEL_ASSIGN_OR_RETURN(int64_t region_id,
                          Create("units", {{"code", r.code}, {"name", r.name}, {"name_en", r.en},
                                           {"kind", "region"}, {"parent_id", hq_unit_}}, t0));
    std::string region_lower = r.code;
    std::transform(region_lower.begin(), region_lower.end(), region_lower.begin(), ::tolower);
    KEEL_ASSIGN_OR_RETURN(int64_t region_lead,
                          Create("users", {{"username", region_lower + "-lead"},
                                           {"display_name", Name() + "（" + r.name + "总监）"},
                                           {"role", "unit_lead"}, {"unit_id", region_id}}, t0));
    KEEL_RETURN_IF_ERROR(Update("units", region_id, {{"lead_user_id", region_lead}}, t0, admin_));
    if (region_idx == 0) summary_.logins.push_back({region_lower + "-lead", "unit_lead 华东大区总监"});
    for (const auto& u : r.units) {
      UnitInfo info;
      info.region = region_idx;
      info.code = std::string(r.code) + "-" + u.code;
      info.city = u.city;
      info.province = u.province;
      info.lat = u.lat;
      info.lng = u.lng;
      KEEL_ASSIGN_OR_RETURN(info.id, Create("units", {{"code", info.code},
                                                      {"name", std::string(u.city) + "战队"},
                                                      {"name_en", std::string(u.code) + " sales unit"},
                                                      {"kind", "unit"}, {"parent_id", region_id},
                                                      {"city", u.city}}, t0));
      std::string lower = u.code;
      std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
      KEEL_ASSIGN_OR_RETURN(info.lead_user,
                            Create("users", {{"username", lower + "-lead"},
                                             {"display_name", Name() + "（" + u.city + "战队负责人）"},
                                             {"role", "unit_lead"}, {"unit_id", info.id},
                                             {"supervisor_id", region_lead}}, t0));
      KEEL_RETURN_IF_ERROR(Update("units", info.id, {{"lead_user_id", info.lead_user}}, t0, admin_));
      if (info.code == "EAST-SH") summary_.logins.push_back({"sh-lead", "unit_lead 上海战队负责人"});
      if (info.code == "NORTH-JN") jinan_ = units_.size();
      // Five stores per unit, each a node of the unit tree plus a store record.
      static const char* kStoreAreas[] = {"万达店", "中心店", "新城店", "东站店", "国美合作店"};
      for (int s = 0; s < 5; ++s) {
        char code[32];
        std::snprintf(code, sizeof code, "%s-%02d", info.code.c_str(), s + 1);
        std::string sname = std::string(u.city) + kStoreAreas[s];
        KEEL_ASSIGN_OR_RETURN(int64_t su, Create("units", {{"code", std::string("U-") + code},
                                                           {"name", sname}, {"kind", "store"},
                                                           {"parent_id", info.id}, {"city", u.city}}, t0));
        KEEL_ASSIGN_OR_RETURN(int64_t store,
                              Create("stores", {{"code", code}, {"name", sname}, {"unit_id", su},
                                                {"city", u.city},
                                                {"address", std::string(u.province) + u.city + "市" +
                                                                kStoreAreas[s]},
                                                {"lat", u.lat + rng_.U(-0.08, 0.08)},
                                                {"lng", u.lng + rng_.U(-0.08, 0.08)},
                                                {"opened_on", FormatDate(start_day_ - rng_.Int(200, 3000))}},
                                     t0));
        info.stores.push_back(store);
        info.store_units.push_back(su);
        store_unit_[store] = units_.size();
      }
      // Two supervisors and seven reps per unit.
      int64_t sups[2];
      for (int k = 0; k < 2; ++k) {
        std::string uname = lower + "-sup-" + std::to_string(k + 1);
        KEEL_ASSIGN_OR_RETURN(sups[k], Create("users", {{"username", uname},
                                                        {"display_name", Name() + "（主管）"},
                                                        {"role", "supervisor"}, {"unit_id", info.id},
                                                        {"supervisor_id", info.lead_user}}, t0));
        if (info.code == "EAST-SH" && k == 0) summary_.logins.push_back({uname, "supervisor 上海一线主管"});
      }
      for (int k = 0; k < 7; ++k) {
        char uname[32];
        std::snprintf(uname, sizeof uname, "%s-rep-%02d", lower.c_str(), k + 1);
        Person rep;
        KEEL_ASSIGN_OR_RETURN(rep.id, Create("users", {{"username", uname},
                                                       {"display_name", Name()},
                                                       {"role", "rep"}, {"unit_id", info.id},
                                                       {"phone", Phone()},
                                                       {"supervisor_id", sups[k % 2]}}, t0));
        rep.unit_id = info.id;
        rep.unit = units_.size();
        static const int kWindows[] = {9, 10, 14, 15, 19};
        rep.preferred_hour = kWindows[rng_.Int(0, 4)];
        rep.skill = rng_.U(0.7, 1.3);
        rep.response_mean_h = std::exp(rng_.U(std::log(0.5), std::log(36.0)));
        rep.diligence = rng_.U(0.6, 1.4);
        info.reps.push_back(reps_.size());
        summary_.preferred_call_hour[rep.id] = rep.preferred_hour;
        reps_.push_back(rep);
        if (info.code == "EAST-SH" && k == 0) summary_.logins.push_back({uname, "rep 上海销售代表"});
      }
      units_.push_back(std::move(info));
    }
    ++region_idx;
  }
  b2b_by_rep_.resize(reps_.size());
  return Status();
}

Status Generator::Catalogue() {
  TimeMs t0 = start_day_ * kDay - 20 * kDay;
  products_by_cat_.resize(kCategoryCount);
  static const char* kSeries[] = {"星悦", "云境", "静享", "智慧", "锦绣", "极光", "清风", "鲸帆"};
  std::vector<json> items;
  std::vector<TimeMs> times;
  std::vector<std::pair<size_t, int64_t>> meta;
  for (size_t c = 0; c < kCategoryCount; ++c) {
    const Category& cat = kCategories[c];
    int n = 13 + static_cast<int>(rng_.Int(0, 2));
    for (int i = 0; i < n; ++i) {
      int energy = static_cast<int>(rng_.Weighted({0.45, 0.35, 0.2})) + 1;
      double price = rng_.U(cat.min_price, cat.max_price) * (energy == 1 ? 1.12 : 1.0);
      int64_t yuan = static_cast<int64_t>(price / 100) * 100 + 99;
      double margin = rng_.U(0.18, 0.36);
      std::string leaf = cat.path;
      leaf = leaf.substr(leaf.rfind('/') + 1);
      char sku[32];
      std::snprintf(sku, sizeof sku, "HC-%02zu%03d", c + 1, i + 1);
      std::string series = kSeries[rng_.Int(0, 7)];
      items.push_back({{"sku", sku},
                       {"name", "海川" + series + leaf + " " + std::to_string(energy) + "级能效"},
                       {"name_en", std::string("Haichuan ") + cat.en + " class " + std::to_string(energy)},
                       {"category_path", cat.path},
                       {"brand", "海川 Haichuan"},
                       {"energy_class", energy},
                       {"price", static_cast<double>(yuan)},
                       {"cost", std::round(yuan * (1 - margin))},
                       {"attributes", {{"series", series}, {"warranty_years", energy == 1 ? 6 : 3}}}});
      times.push_back(t0);
      meta.push_back({c, yuan * 100});
    }
  }
  KEEL_ASSIGN_OR_RETURN(auto ids, Batch("products", items, times));
  for (size_t i = 0; i < ids.size(); ++i) {
    products_by_cat_[meta[i].first].push_back(products_.size());
    products_.push_back({ids[i], meta[i].first, meta[i].second});
  }
  // Promotions of the year.
  int64_t start_year = 0;
  {
    using namespace std::chrono;
    year_month_day ymd{sys_days{days{start_day_}}};
    start_year = static_cast<int>(ymd.year());
  }
  for (int y = static_cast<int>(start_year); y <= start_year + 1; ++y) {
    for (size_t i = 0; i < std::size(kPromos); ++i) {
      const PromoSpec& ps = kPromos[i];
      int64_t from = DaysFromCivil(y, ps.month, ps.from), to = DaysFromCivil(y, ps.month, ps.to);
      if (to < start_day_ || from > end_day_ + 60) continue;
      json body = {{"code", std::string(ps.code) + "-" + std::to_string(y)},
                   {"name", std::to_string(y) + " " + ps.name},
                   {"kind", ps.discount >= 10 ? "discount" : "trade_in"},
                   {"discount_pct", ps.discount},
                   {"starts_at", FormatTimestamp(from * kDay - kChinaOffset)},
                   {"ends_at", FormatTimestamp((to + 1) * kDay - kChinaOffset - 1000)},
                   {"status", from > end_day_ ? "draft" : to < end_day_ ? "ended" : "active"}};
      if (ps.category) body["category_path"] = ps.category;
      KEEL_ASSIGN_OR_RETURN(int64_t id, Create("promotions", body, t0));
      promos_[body["code"].get<std::string>()] = id;
    }
  }
  return Status();
}

Status Generator::Customers() {
  // Retail customers (most of them members) at the stores, and B2B accounts owned by reps.
  const int retail = 18000 * o_.scale, b2b = 2000 * o_.scale;
  std::vector<json> items;
  std::vector<TimeMs> times;
  struct Pending { int64_t store; size_t unit; TimeMs created; bool member; int64_t owner; };
  std::vector<Pending> pending;
  for (int i = 0; i < retail; ++i) {
    size_t u = rng_.Int(0, units_.size() - 1);
    const UnitInfo& unit = units_[u];
    size_t s = rng_.Int(0, unit.stores.size() - 1);
    // A quarter existed before the window; the rest joined during the year.
    TimeMs created = rng_.Chance(0.25) ? (start_day_ - rng_.Int(1, 700)) * kDay
                                       : LocalTime(rng_.Int(start_day_, end_day_), 10, 21);
    size_t rep = rng_.Pick(unit.reps);
    char code[24];
    std::snprintf(code, sizeof code, "R%07d", i + 1);
    std::string name = std::string(kSurnames[rng_.Int(0, std::size(kSurnames) - 1)]) +
                       (rng_.Chance(0.5) ? "女士" : "先生");
    items.push_back({{"code", code}, {"name", name}, {"kind", "retail"},
                     {"segment", rng_.Chance(0.1) ? "vip" : "retail"},
                     {"region", kRegions[unit.region].name}, {"province", unit.province},
                     {"city", unit.city}, {"phone", Phone()},
                     {"source", rng_.Chance(0.6) ? "store_walk_in" : "wechat"},
                     {"owner_id", reps_[rep].id}, {"unit_id", unit.store_units[s]}});
    times.push_back(created);
    pending.push_back({unit.stores[s], u, created, rng_.Chance(0.9), reps_[rep].id});
  }
  KEEL_ASSIGN_OR_RETURN(auto ids, Batch("customers", items, times));
  std::vector<size_t> member_of;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!pending[i].member) {
      store_customers_[pending[i].store].push_back({ids[i], pending[i].created, 0});
      continue;
    }
    char card[24];
    std::snprintf(card, sizeof card, "M%09zu", i + 1);
    static const std::vector<double> kLevels = {0.6, 0.25, 0.12, 0.03};
    static const char* kLevelNames[] = {"normal", "silver", "gold", "diamond"};
    items.push_back({{"card_no", card}, {"customer_id", ids[i]}, {"store_id", pending[i].store},
                     {"level", kLevelNames[rng_.Weighted(kLevels)]},
                     {"points", rng_.Int(0, 20000)},
                     {"joined_at", FormatTimestamp(pending[i].created)}});
    times.push_back(pending[i].created);
    member_of.push_back(i);
  }
  KEEL_ASSIGN_OR_RETURN(auto member_ids, Batch("members", items, times));
  for (size_t k = 0; k < member_ids.size(); ++k) {
    size_t i = member_of[k];
    store_customers_[pending[i].store].push_back({ids[i], pending[i].created, member_ids[k]});
  }
  for (auto& [store, list] : store_customers_) {
    std::sort(list.begin(), list.end(), [](const Cust& a, const Cust& b) { return a.created < b.created; });
  }
  // B2B accounts: dealers, developers, hotels, schools …
  std::vector<size_t> owners;
  for (int i = 0; i < b2b; ++i) {
    size_t u = rng_.Int(0, units_.size() - 1);
    const UnitInfo& unit = units_[u];
    size_t rep = rng_.Pick(unit.reps);
    size_t ind = rng_.Int(0, std::size(kIndustries) - 1);
    static const std::vector<double> kSeg = {0.05, 0.25, 0.4, 0.3};
    static const char* kSegNames[] = {"key_account", "enterprise", "smb", "dealer"};
    const char* seg = kSegNames[rng_.Weighted(kSeg)];
    std::string name = unit.city + std::string(kCompanyWords[rng_.Int(0, std::size(kCompanyWords) - 1)]) +
                       kIndustryZh[ind] + (std::string(seg) == "dealer" ? "电器商行" : "有限公司");
    char code[24];
    std::snprintf(code, sizeof code, "B%06d", i + 1);
    TimeMs created = rng_.Chance(0.6) ? (start_day_ - rng_.Int(1, 900)) * kDay
                                      : LocalTime(rng_.Int(start_day_, end_day_), 9, 18);
    items.push_back({{"code", code}, {"name", name}, {"kind", "b2b"}, {"segment", seg},
                     {"industry", std::string(seg) == "dealer" ? "dealer" : kIndustries[ind]},
                     {"region", kRegions[unit.region].name}, {"province", unit.province},
                     {"city", unit.city}, {"phone", Phone()},
                     {"address", unit.province + std::string(unit.city) + "市"},
                     {"lat", unit.lat + rng_.U(-0.15, 0.15)}, {"lng", unit.lng + rng_.U(-0.15, 0.15)},
                     {"source", rng_.Chance(0.5) ? "exhibition" : "referral"},
                     {"owner_id", reps_[rep].id}, {"unit_id", unit.id}});
    // Dealers and key accounts buy on credit: the finance team's limit, in round ten-thousands.
    if (std::string(seg) == "dealer" || std::string(seg) == "key_account") {
      items.back()["custom"] = {{"credit_limit", 10000.0 * extra_.Int(5, 200)}};
    }
    times.push_back(created);
    owners.push_back(rep);
  }
  std::vector<TimeMs> created_times = times;
  KEEL_ASSIGN_OR_RETURN(auto b2b_ids, Batch("customers", items, times));
  for (size_t i = 0; i < b2b_ids.size(); ++i) {
    b2b_by_rep_[owners[i]].push_back({b2b_ids[i], created_times[i]});
    if (reps_[owners[i]].unit == jinan_ && b2b_by_rep_[owners[i]].size() == 1) jinan_focus_.insert(b2b_ids[i]);
    // Each account has one or two contacts.
    int n = rng_.Chance(0.4) ? 2 : 1;
    for (int k = 0; k < n; ++k) {
      static const char* kTitles[] = {"采购经理", "总经理", "工程部经理", "行政主管", "店长"};
      items.push_back({{"customer_id", b2b_ids[i]}, {"name", Name()},
                       {"title", kTitles[rng_.Int(0, 4)]}, {"phone", Phone()},
                       {"is_primary", k == 0}});
      times.push_back(created_times[i]);
    }
  }
  KEEL_RETURN_IF_ERROR(Batch("contacts", items, times).status());
  return Status();
}

}  // namespace keel::demo::detail
