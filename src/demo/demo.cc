#include "demo/demo.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <set>

#include "common/crypto.h"
#include "common/time.h"

namespace keel::demo {

using domain::json;
using domain::Principal;

namespace {

constexpr TimeMs kHour = 3600000LL, kDay = 86400000LL;
constexpr TimeMs kChinaOffset = 8 * kHour;  // Asia/Shanghai has no daylight saving

// Deterministic randomness: mt19937_64 with our own distributions (std:: distributions are
// implementation-defined, which would make the demo differ between standard libraries).
class Rng {
 public:
  explicit Rng(uint64_t seed) : g_(seed) {}
  double U() { return (g_() >> 11) * (1.0 / 9007199254740992.0); }
  double U(double a, double b) { return a + (b - a) * U(); }
  int64_t Int(int64_t a, int64_t b) { return a + static_cast<int64_t>(U() * (b - a + 1)); }
  bool Chance(double p) { return U() < p; }
  double Exp(double mean) { return -mean * std::log(1.0 - U()); }
  double Normal() {
    double u1 = 1.0 - U(), u2 = U();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  int Poisson(double lambda) {
    if (lambda <= 0) return 0;
    if (lambda > 30) return std::max(0, static_cast<int>(std::lround(lambda + std::sqrt(lambda) * Normal())));
    double l = std::exp(-lambda), p = 1.0;
    int k = 0;
    do {
      ++k;
      p *= U();
    } while (p > l);
    return k - 1;
  }
  template <class T>
  const T& Pick(const std::vector<T>& v) { return v[static_cast<size_t>(U() * v.size())]; }
  size_t Weighted(const std::vector<double>& w) {
    double total = 0;
    for (double x : w) total += x;
    double r = U() * total;
    for (size_t i = 0; i < w.size(); ++i) {
      if ((r -= w[i]) < 0) return i;
    }
    return w.size() - 1;
  }

 private:
  std::mt19937_64 g_;
};

struct RegionSpec {
  const char* code;
  const char* name;
  const char* en;
  struct U {
    const char* code;
    const char* city;
    const char* province;
    double lat, lng;
  } units[3];
};

const RegionSpec kRegions[] = {
    {"EAST", "华东大区", "East China",
     {{"SH", "上海", "上海", 31.23, 121.47}, {"HZ", "杭州", "浙江", 30.27, 120.15},
      {"NJ", "南京", "江苏", 32.06, 118.80}}},
    {"SOUTH", "华南大区", "South China",
     {{"GZ", "广州", "广东", 23.13, 113.26}, {"SZ", "深圳", "广东", 22.54, 114.06},
      {"FZ", "福州", "福建", 26.07, 119.30}}},
    {"NORTH", "华北大区", "North China",
     {{"BJ", "北京", "北京", 39.90, 116.41}, {"TJ", "天津", "天津", 39.13, 117.20},
      {"JN", "济南", "山东", 36.65, 117.12}}},
    {"WEST", "西南大区", "Southwest China",
     {{"CD", "成都", "四川", 30.57, 104.07}, {"CQ", "重庆", "重庆", 29.56, 106.55},
      {"KM", "昆明", "云南", 25.04, 102.71}}},
};

const char* kSurnames[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙",
                           "马", "朱", "胡", "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋"};
const char* kGiven[] = {"伟", "芳", "娜", "敏", "静", "磊", "强", "洋", "艳", "勇", "军", "杰",
                        "娟", "涛", "明", "超", "秀英", "霞", "平", "刚", "晨", "浩然", "子涵",
                        "欣怡", "宇轩", "梓萱", "俊杰", "雨桐", "思远", "佳怡"};

struct Category {
  const char* path;
  const char* family;  // season key
  const char* en;
  int64_t min_price, max_price;  // yuan
  double share;
};

const Category kCategories[] = {
    {"家电/空调/挂机", "ac", "Wall-mounted AC", 2199, 5999, 0.18},
    {"家电/空调/柜机", "ac", "Floor-standing AC", 4999, 12999, 0.09},
    {"家电/空调/中央空调", "ac", "Central AC", 15999, 49999, 0.03},
    {"家电/冰箱/对开门", "fridge", "Side-by-side refrigerator", 3999, 11999, 0.07},
    {"家电/冰箱/十字门", "fridge", "French-door refrigerator", 4599, 13999, 0.08},
    {"家电/冰箱/三门", "fridge", "Three-door refrigerator", 1999, 4999, 0.05},
    {"家电/洗衣机/滚筒", "washer", "Front-load washer", 2299, 7999, 0.11},
    {"家电/洗衣机/波轮", "washer", "Top-load washer", 999, 2999, 0.05},
    {"家电/洗衣机/洗烘套装", "washer", "Washer-dryer set", 6999, 15999, 0.04},
    {"家电/厨电/油烟机", "kitchen", "Range hood", 1999, 6999, 0.06},
    {"家电/厨电/燃气灶", "kitchen", "Gas hob", 999, 3999, 0.04},
    {"家电/热水器/电热水器", "water", "Electric water heater", 999, 3999, 0.05},
    {"家电/热水器/燃气热水器", "water", "Gas water heater", 1799, 5999, 0.05},
    {"家电/生活电器/空气净化器", "air", "Air purifier", 999, 4999, 0.06},
    {"家电/生活电器/除湿机", "dehum", "Dehumidifier", 899, 2999, 0.04},
};
constexpr size_t kCategoryCount = std::size(kCategories);

// Relative demand by month (index 1..12) for each family; region tweaks applied separately.
double Season(const std::string& family, int month, int region) {
  static const double ac[13] = {0, .35, .35, .55, .9, 1.4, 2.6, 3.0, 2.4, 1.1, .6, .5, .4};
  static const double fridge[13] = {0, 1.1, 1.0, .9, .9, 1.0, 1.3, 1.4, 1.3, 1.0, 1.0, 1.1, 1.0};
  static const double washer[13] = {0, 1.3, 1.1, .9, .9, 1.0, 1.1, .9, .9, 1.0, 1.1, 1.8, 1.2};
  static const double kitchen[13] = {0, 1.5, 1.2, .9, .9, 1.0, .9, .8, .8, 1.0, 1.3, 1.2, 1.1};
  static const double water[13] = {0, 1.6, 1.3, 1.0, .8, .7, .6, .6, .7, .9, 1.2, 1.5, 1.7};
  static const double air[13] = {0, 1.6, 1.4, 1.2, .9, .7, .6, .6, .7, .9, 1.2, 1.5, 1.7};
  static const double dehum[13] = {0, .5, .6, 1.0, 1.5, 1.9, 2.0, 1.4, 1.0, .8, .6, .5, .5};
  double s = 1.0;
  if (family == "ac") s = ac[month];
  else if (family == "fridge") s = fridge[month];
  else if (family == "washer") s = washer[month];
  else if (family == "kitchen") s = kitchen[month];
  else if (family == "water") s = water[month];
  else if (family == "air") s = air[month] * (region == 2 ? 1.6 : 0.8);  // northern winters
  else if (family == "dehum") s = dehum[month] * (region == 1 || region == 3 ? 1.5 : 0.6);
  if (family == "ac" && region == 1) s = 0.5 + s * 0.9;  // South China: longer, flatter AC season
  return s;
}

// Promotion calendar of the demo: name, kind, month, first day, last day, discount, boost.
struct PromoSpec {
  const char* code;
  const char* name;
  int month, from, to;
  double discount, boost;
  const char* category;  // null: all
};
const PromoSpec kPromos[] = {
    {"CNY", "春节焕新季", 1, 15, 31, 8, 1.3, nullptr},
    {"MAYDAY", "五一家电节", 5, 1, 5, 6, 1.4, nullptr},
    {"618", "618 年中大促", 6, 1, 18, 12, 1.6, nullptr},
    {"COOL", "清凉一夏 空调节", 7, 1, 31, 5, 1.15, "家电/空调"},
    {"NATIONAL", "国庆焕新", 10, 1, 7, 10, 1.6, nullptr},
    {"DOUBLE11", "双11 狂欢节", 11, 1, 11, 15, 2.0, nullptr},
    {"DOUBLE12", "双12 以旧换新", 12, 1, 12, 8, 1.3, nullptr},
};

const char* kVisitNotes[] = {
    "客户关注一级能效，对价格比较敏感，约下周带家人来店体验",
    "门店反馈空调安装排期太长，客户有抱怨，需要协调安装师傅",
    "竞品在做以旧换新补贴，客户在比价，建议申请特价",
    "经销商要求延长账期到60天，并增加展台支持",
    "客户对智能互联和语音控制功能很感兴趣，演示效果好",
    "酒店项目需要批量报价，下周三前提交方案",
    "学校宿舍空调改造项目，预算在审批中，预计下月招标",
    "客户抱怨售后响应慢，上次维修等了三天",
    "物业公司计划统一采购热水器，决策人是采购部刘经理",
    "新楼盘精装修配套，开发商希望签年度框架协议",
    "门店陈列需要调整，冰箱样机不足，客户看不到十字门款",
    "客户家里正在装修，需要全屋家电套餐，预算三万左右",
    "老客户复购，想换新的滚筒洗衣机，会员积分可以抵扣",
    "对方采购说价格比京东高，需要说明送装一体和延保服务",
    "Customer asked for an English quotation for the hotel project",
    "Dealer wants more demo units before the summer season",
};
const char* kCallNotes[] = {
    "电话沟通需求，客户表示下周到店", "未接通，稍后再打", "客户在开会，约明天上午再联系",
    "确认了安装地址和时间", "客户咨询以旧换新政策，已发送活动链接", "回访满意度，客户评价不错",
    "Follow-up call: customer comparing two models", "客户对报价有异议，需要主管审批折扣",
};
const char* kLossReasons[] = {"价格过高 (price)", "选择了竞品 (competitor)", "预算取消 (budget cut)",
                              "需求推迟 (timing)", "联系不上 (no response)"};
const char* kDisqualify[] = {"预算不足", "联系不上", "需求不匹配", "已购买竞品", "重复线索"};
const char* kIndustries[] = {"hotel", "real_estate", "education", "healthcare", "government",
                             "manufacturing", "office", "retail_chain"};
const char* kIndustryZh[] = {"酒店", "地产", "教育", "医疗", "政府", "制造", "写字楼", "连锁零售"};
const char* kCompanyWords[] = {"华庭", "金桥", "恒通", "瑞丰", "嘉禾", "鼎盛", "东方", "新世纪",
                               "宏达", "天成", "锦江", "海悦", "德润", "安和", "明珠", "中天"};

struct UnitInfo {
  int64_t id = 0;
  int region = 0;
  std::string code, city, province;
  double lat = 0, lng = 0;
  std::vector<int64_t> stores, store_units;
  std::vector<size_t> reps;
  int64_t lead_user = 0;
};

struct Person {
  int64_t id = 0;
  int64_t unit_id = 0;
  size_t unit = 0;
  int preferred_hour = 10;  // local start of the 2-hour window in which calls connect best
  double skill = 1.0, response_mean_h = 8, diligence = 1.0;
};

struct Cust {
  int64_t id = 0;
  TimeMs created = 0;
  int64_t member_id = 0;
};

struct Product {
  int64_t id;
  size_t cat;
  int64_t price;  // cents
};

class Generator {
 public:
  Generator(store::Database& db, domain::RecordService& rs, domain::AuthService& auth,
            const DemoOptions& o)
      : db_(db), rs_(rs), auth_(auth), o_(o), rng_(o.seed), extra_(o.seed ^ 0x6b65656c637573ULL) {}

  Result<DemoSummary> Run();

 private:
  Principal As(int64_t user) const {
    Principal p;
    p.tenant_id = tenant_;
    p.user_id = user;
    p.role = domain::Role::kAdmin;
    p.unit_path = "/";
    p.username = "demo";
    p.import = true;
    return p;
  }
  Result<int64_t> Create(const std::string& entity, const json& body, TimeMs at, int64_t actor = 0) {
    domain::WriteOptions w;
    w.at = at;
    auto r = rs_.Create(As(actor), *domain::FindEntity(entity), body, w);
    if (!r.ok()) {
      return Status::Internal("demo " + entity + ": " + r.status().ToString() + " body=" + body.dump());
    }
    ++summary_.counts[entity];
    return (*r)["id"].get<int64_t>();
  }
  Status Update(const std::string& entity, int64_t id, const json& patch, TimeMs at, int64_t actor) {
    domain::WriteOptions w;
    w.at = at;
    auto r = rs_.Update(As(actor), *domain::FindEntity(entity), id, patch, w);
    if (!r.ok()) return Status::Internal("demo update " + entity + ": " + r.status().ToString());
    return Status();
  }
  // Writes `items` (with their business times) in batches of 2000; any refused record is a bug.
  Result<std::vector<int64_t>> Batch(const std::string& entity, std::vector<json>& items,
                                     std::vector<TimeMs>& times) {
    std::vector<int64_t> ids;
    for (size_t start = 0; start < items.size(); start += 2000) {
      size_t end = std::min(items.size(), start + 2000);
      json arr = json::array();
      domain::WriteOptions w;
      for (size_t i = start; i < end; ++i) {
        arr.push_back(std::move(items[i]));
        w.record_times.push_back(times[i]);
      }
      auto r = rs_.CreateBatch(As(0), *domain::FindEntity(entity), arr, w);
      if (!r.ok()) return Status::Internal("demo batch " + entity + ": " + r.status().ToString());
      if (!r->errors.empty()) {
        return Status::Internal("demo batch " + entity + " record " +
                                std::to_string(r->errors[0].index) + ": " +
                                r->errors[0].status.ToString() + " " + arr[r->errors[0].index].dump());
      }
      ids.insert(ids.end(), r->ids.begin(), r->ids.end());
    }
    summary_.counts[entity] += static_cast<int64_t>(ids.size());
    items.clear();
    times.clear();
    return ids;
  }

  std::string Name() {
    return std::string(kSurnames[rng_.Int(0, std::size(kSurnames) - 1)]) +
           kGiven[rng_.Int(0, std::size(kGiven) - 1)];
  }
  std::string Phone() {
    static const char* prefixes[] = {"138", "139", "136", "158", "186", "177", "150", "189"};
    char buf[16];
    std::snprintf(buf, sizeof buf, "%s%08lld", prefixes[rng_.Int(0, 7)],
                  static_cast<long long>(rng_.Int(0, 99999999)));
    return buf;
  }
  // A local (China) time on `day` within [h0, h1) hours, as UTC ms.
  TimeMs LocalTime(int64_t day, double h0, double h1) {
    return day * kDay + static_cast<TimeMs>(rng_.U(h0, h1) * kHour) - kChinaOffset;
  }
  static int MonthOf(TimeMs t) {
    using namespace std::chrono;
    year_month_day ymd{sys_days{days{(t + kChinaOffset) / kDay}}};
    return static_cast<int>(static_cast<unsigned>(ymd.month()));
  }
  static int DayOfMonth(TimeMs t) {
    using namespace std::chrono;
    year_month_day ymd{sys_days{days{(t + kChinaOffset) / kDay}}};
    return static_cast<int>(static_cast<unsigned>(ymd.day()));
  }
  static std::string MonthKey(TimeMs t) { return FormatDate((t + kChinaOffset) / kDay).substr(0, 7); }

  Status Organisation();
  Status Catalogue();
  Status Customers();
  Status Leads();
  Status CustomFields();
  Status TextMaterial();
  Status Pipeline(int64_t opp, size_t rep, int64_t customer, bool b2b, size_t cat, TimeMs start,
                  int64_t amount_cents, int64_t store_for_order);
  Status StoreSales();
  Status RoutineActivities();
  Status Targets();
  Status Activity(size_t rep, const std::string& kind, TimeMs at, json extra);
  TimeMs CallTime(size_t rep, int64_t day, bool* connected);

  store::Database& db_;
  domain::RecordService& rs_;
  domain::AuthService& auth_;
  DemoOptions o_;
  Rng rng_;
  Rng extra_;  // draws for the custom fields and discounts, kept apart so the rest of the history is stable
  DemoSummary summary_;
  int64_t tenant_ = 0, hq_unit_ = 0, admin_ = 0;
  int64_t start_day_ = 0, end_day_ = 0;  // days since epoch, inclusive window
  std::vector<UnitInfo> units_;
  std::vector<Person> reps_;
  std::vector<Product> products_;
  std::vector<std::vector<size_t>> products_by_cat_;
  std::map<int64_t, size_t> store_unit_;               // store id → sales unit index
  std::map<int64_t, std::vector<Cust>> store_customers_;  // retail customers by home store
  std::vector<std::vector<std::pair<int64_t, int64_t>>> b2b_by_rep_;  // (customer id, created)
  std::map<std::string, int64_t> promos_;              // promotion code (e.g. 618-2026) → id
  std::map<std::pair<size_t, std::string>, double> revenue_;  // (unit, YYYY-MM) → yuan
  std::vector<json> activities_;
  std::vector<TimeMs> activity_times_;
  size_t jinan_ = 0;  // the unit planted with the 吃老本 pattern
  std::set<int64_t> jinan_focus_;  // the old accounts Jinan keeps visiting
};

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
  struct Src { const char* name; const char* channel; double weight, conv, b2b; };
  static const Src kSources[] = {
      {"website", "online", .22, .10, .3},     {"exhibition", "offline", .10, .20, .8},
      {"referral", "partner", .10, .35, .5},   {"hotline", "offline", .10, .18, .2},
      {"wechat", "online", .18, .14, .1},      {"partner", "partner", .06, .28, .9},
      {"advertising", "online", .12, .07, .2}, {"store_walk_in", "offline", .10, .25, 0},
      {"tender", "partner", .02, .22, 1},
  };
  std::vector<double> weights;
  for (const auto& s : kSources) weights.push_back(s.weight);
  const int n = 6000 * o_.scale;
  const TimeMs end = (end_day_ + 1) * kDay - kChinaOffset - 1;
  for (int i = 0; i < n; ++i) {
    const Src& src = kSources[rng_.Weighted(weights)];
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
  // Stocking deals with existing dealers and accounts.
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
  // Planted 吃老本 (living off old customers): in the last five months the Jinan unit's
  // revenue is propped up by repeat orders from three old key accounts.
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

// Customer feedback with ratings and words that match them, a planted stock-out reported by one
// unit's store visits on the last two days, the company's playbooks and FAQs, and the domain
// terms (product names, competitor brands) the text service keeps whole.
Status Generator::TextMaterial() {
  static const char* kGood[] = {"安装师傅很专业，准时上门", "空调制冷快，声音很安静", "导购介绍耐心细致", "送货及时，包装完好",
                                "冰箱容量大，保鲜效果不错", "洗衣机很安静，洗得干净", "价格实惠，活动力度大", "售后回访很热情",
                                "以旧换新很方便，省心", "热水器出水快，操作简单", "整体很满意，推荐给朋友", "门店环境好，体验区很方便"};
  static const char* kBad[] = {"安装师傅迟到了两个小时", "送货太慢，等了一个星期", "空调噪音大，晚上睡不好", "售后电话一直打不通",
                               "收到的冰箱有划痕，要求换货", "价格比网上贵，感觉不划算", "维修等了三天才上门，很失望", "导购态度差，爱答不理",
                               "洗衣机漏水，质量太差", "安装收费不透明，多收了材料费", "缺货，说好的型号一直没到", "退货流程麻烦，推来推去"};
  static const char* kMeh[] = {"还可以，一般般", "产品还行，安装有点慢", "价格合适，就是等货时间长", "功能够用，外观普通"};
  std::vector<json> items;
  std::vector<TimeMs> times;
  const int n = 2400 * o_.scale;
  std::vector<int64_t> stores;
  for (const auto& [store, list] : store_customers_) stores.push_back(store);
  for (int i = 0; i < n && !stores.empty(); ++i) {
    int64_t store = stores[extra_.Int(0, stores.size() - 1)];
    const auto& custs = store_customers_[store];
    const Cust& c = custs[extra_.Int(0, custs.size() - 1)];
    TimeMs at = LocalTime(extra_.Int(start_day_, end_day_), 9, 22);
    if (at < c.created) at = c.created + kHour;
    if (at > (end_day_ + 1) * kDay - kChinaOffset - 1) continue;
    static const std::vector<double> kRatings = {0.10, 0.08, 0.12, 0.30, 0.40};
    int rating = static_cast<int>(extra_.Weighted(kRatings)) + 1;
    json f = {{"rating", rating}, {"customer_id", c.id}, {"store_id", store}, {"channel", extra_.Chance(0.5) ? "wechat" : "app"},
              {"submitted_at", FormatTimestamp(at)}};
    if (extra_.Chance(0.85)) {
      std::string text;
      if (rating >= 4) {
        text = kGood[extra_.Int(0, 11)];
        if (extra_.Chance(0.4)) text += "，" + std::string(kGood[extra_.Int(0, 11)]);
      } else if (rating <= 2) {
        text = kBad[extra_.Int(0, 11)];
        if (extra_.Chance(0.4)) text += "，" + std::string(kBad[extra_.Int(0, 11)]);
      } else {
        text = extra_.Chance(0.5) ? kMeh[extra_.Int(0, 3)] : std::string(kGood[extra_.Int(0, 11)]) + "，但" + kBad[extra_.Int(0, 11)];
      }
      f["text"] = text;
    }
    items.push_back(std::move(f));
    times.push_back(at);
  }
  std::vector<size_t> order(items.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return times[a] < times[b]; });
  std::vector<json> sorted_items;
  std::vector<TimeMs> sorted_times;
  for (size_t i : order) {
    sorted_items.push_back(std::move(items[i]));
    sorted_times.push_back(times[i]);
  }
  KEEL_RETURN_IF_ERROR(Batch("feedback", sorted_items, sorted_times).status());

  // Planted: one unit's store visits on the last two days report that 1.5-HP wall-mounted ACs
  // are out of stock, customers leaving for competitors (what the daily recap must find).
  static const char* kStockOut[] = {"门店1.5匹挂机断货，客户等不及去了竞品店", "挂机缺货一周了，导购只能推荐柜机，客户不满意",
                                    "1.5匹变频挂机没货，补货要等十天，两单被格力抢走", "店长反映挂机库存告急，周末活动怕接不住",
                                    "客户指定的挂机型号缺货，已登记等货，客户有抱怨"};
  const size_t u = 0;
  summary_.stockout_unit = units_[u].id;
  for (int64_t day = end_day_ - 1; day <= end_day_; ++day) {
    for (int k = 0; k < 7; ++k) {
      size_t rep = units_[u].reps[extra_.Int(0, units_[u].reps.size() - 1)];
      int64_t store = units_[u].stores[extra_.Int(0, units_[u].stores.size() - 1)];
      KEEL_RETURN_IF_ERROR(Activity(rep, "visit", LocalTime(day, 10, 17),
                                    {{"store_id", store}, {"duration_min", extra_.Int(20, 90)}, {"outcome", "negative"},
                                     {"subject", "门店巡检"}, {"notes", kStockOut[extra_.Int(0, 4)]}}));
    }
  }
  std::vector<json> visits;
  std::vector<TimeMs> visit_times;
  for (size_t i = 0; i < activities_.size(); ++i) {
    visits.push_back(std::move(activities_[i]));
    visit_times.push_back(activity_times_[i]);
  }
  activities_.clear();
  activity_times_.clear();
  KEEL_RETURN_IF_ERROR(Batch("activities", visits, visit_times).status());

  // The company's knowledge base and its domain terms.
  struct Doc {
    const char* kind;
    const char* title;
    const char* body;
    const char* line;
  };
  static const Doc kDocs[] = {
      {"playbook", "价格异议应对话术",
       "# 价格异议应对\n客户说价格比网上贵时，先认同客户的顾虑，再说明送装一体、免费上门安装和三年延保服务，这些网上价格通常不含。\n"
       "强调一级能效每年可省电费约三百元，两年左右即可收回差价。\n必要时可申请以旧换新补贴或门店特价，特价需主管审批。",
       "空调"},
      {"playbook", "竞品对比：面对格力和美的",
       "# 竞品对比\n格力强调品牌和压缩机，我们强调智能互联、静音和售后响应速度：承诺24小时上门。\n美的价格激进时，不跟进降价，"
       "用全屋家电套餐和会员积分抵扣提升整体价值。\n记录竞品报价和政策，及时反馈给区域运营。",
       "空调"},
      {"faq", "缺货时如何处理客户订单",
       "# 缺货处理\n先在系统中查询相邻门店和区域仓库存，可调货的当天安排调货。\n无法调货时，向客户说明到货时间并登记等货，"
       "提供同档位替代型号或预约安装优先权。\n缺货超过三天要上报区域运营，申请加急补货。",
       "空调"},
      {"faq", "经销商账期与授信政策",
       "# 账期与授信\n标准账期30天，年度框架协议客户可申请60天，需财务审批。\n授信额度按近一年回款情况评估，逾期超过15天暂停发货。",
       "全品类"},
      {"case", "酒店项目赢单复盘：华庭酒店中央空调",
       "# 华庭酒店中央空调项目\n客户最初认为报价偏高。我们组织了样板间参观，拿出同类酒店的节能数据，证明三年内可收回差价。\n"
       "决策人是工程部经理，第二次拜访时带技术总监现场答疑，打消了对静音的顾虑。\n最终以分期付款和五年维保签约。",
       "空调"},
  };
  KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(*conn));
  std::string now = FormatTimestamp(end_day_ * kDay);
  for (const auto& d : kDocs) {
    KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
    std::string body = d.body;
    store::Value q[] = {tenant_, ids[0], std::string(d.title), body, std::string(d.kind), std::string(d.line), now};
    KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO kb_documents (tenant_id, id, title, body, kind, product_line, created_at) "
                                    "VALUES (?, ?, ?, ?, ?, ?, ?)", q).status());
    ++summary_.counts["kb_documents"];
  }
  json terms = {"格力", "美的", "奥克斯", "海信", "小米", "海川", "以旧换新", "一级能效", "送装一体", "1.5匹", "挂机", "柜机", "中央空调", "十字门"};
  store::Value s[] = {tenant_, terms.dump(), std::string("[]"), int64_t{18}, now};
  KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO text_settings (tenant_id, terms, intents, recap_hour, updated_at) VALUES (?, ?, ?, ?, ?)", s).status());
  KEEL_RETURN_IF_ERROR(tx.Commit());
  summary_.last_day = FormatDate(end_day_);
  return Status();
}

Result<DemoSummary> Generator::Run() {
  auto started = std::chrono::steady_clock::now();
  if (o_.scale < 1 || o_.scale > 100) {
    return Status::Invalid("demo.scale", "--scale must be 1 to 100", "--scale 应为 1 到 100");
  }
  if (o_.end_date.empty()) {
    end_day_ = (rs_.clock().NowMs() + kChinaOffset) / kDay - 1;  // yesterday in Asia/Shanghai
  } else {
    KEEL_ASSIGN_OR_RETURN(end_day_, ParseDate(o_.end_date));
  }
  const int64_t today = (rs_.clock().NowMs() + kChinaOffset) / kDay;
  if (end_day_ >= today) {
    return Status::Invalid("demo.end_date", "--end-date " + FormatDate(end_day_) + " is not in the past: the history must end before today (" +
                                                FormatDate(today) + ", Asia/Shanghai)",
                           "--end-date " + FormatDate(end_day_) + " 不早于今天（" + FormatDate(today) + "，北京时间）：演示历史须在今天之前结束",
                           "end_date");
  }
  start_day_ = end_day_ - 364;
  summary_.password = o_.password.empty() ? RandomToken(12) : o_.password;
  KEEL_RETURN_IF_ERROR(domain::ValidatePassword(summary_.password));
  domain::NewTenant nt;
  nt.code = o_.tenant_code;
  nt.name = "海川电器 Haichuan Appliances";
  if (auth_.TenantIdByCode(nt.code).ok()) {
    return Status::Error(ErrorKind::kConflict, "demo.exists", "tenant '" + nt.code + "' already exists",
                         "租户 '" + nt.code + "' 已存在");
  }
  KEEL_ASSIGN_OR_RETURN(tenant_, auth_.CreateTenant(nt));
  summary_.tenant_id = tenant_;
  {
    KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
    store::Value q[] = {tenant_};
    KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query("SELECT id FROM units WHERE tenant_id = ? AND kind = 'hq'", q));
    hq_unit_ = store::AsInt(r.rows[0][0]);
  }
  // A step that fails names itself, the end date and the reason; never an internal error.
  auto step = [&](const char* what, Status st) {
    if (!st.ok()) {
      std::string why = st.message_en(), why_zh = st.message_zh();
      for (std::string* w : {&why, &why_zh}) {
        for (const char* prefix : {"internal error: ", "内部错误："}) {
          if (w->rfind(prefix, 0) == 0) w->erase(0, std::string(prefix).size());
        }
      }
      return Status::Error(ErrorKind::kUnprocessable, "demo.generation_failed",
                           "the demo could not generate its " + std::string(what) + " for a history ending " + FormatDate(end_day_) +
                               " (seed " + std::to_string(o_.seed) + "): " + why,
                           "演示数据生成失败：截至 " + FormatDate(end_day_) + " 的历史中「" + what + "」一步出错（种子 " +
                               std::to_string(o_.seed) + "）：" + why_zh);
    }
    if (!o_.quiet) {
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      spdlog::info("demo: {} done at {:.1f}s", what, s);
    }
    return st;
  };
  KEEL_RETURN_IF_ERROR(step("organisation", Organisation()));
  KEEL_RETURN_IF_ERROR(step("catalogue", Catalogue()));
  KEEL_RETURN_IF_ERROR(step("custom fields", CustomFields()));
  KEEL_RETURN_IF_ERROR(step("customers", Customers()));
  KEEL_RETURN_IF_ERROR(step("leads and deals", Leads()));
  KEEL_RETURN_IF_ERROR(step("store sales", StoreSales()));
  KEEL_RETURN_IF_ERROR(step("activities", RoutineActivities()));
  KEEL_RETURN_IF_ERROR(step("targets", Targets()));
  KEEL_RETURN_IF_ERROR(step("feedback and knowledge", TextMaterial()));
  summary_.last_day = FormatDate(end_day_);
  // One password for every demo login (hashed once; each user stores the same argon2id hash).
  KEEL_ASSIGN_OR_RETURN(std::string hash, domain::HashPassword(summary_.password));
  {
    KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
    store::Value q[] = {hash, tenant_};
    KEEL_RETURN_IF_ERROR(conn->Exec("UPDATE users SET password_hash = ? WHERE tenant_id = ?", q).status());
  }
  summary_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return summary_;
}

}  // namespace

Result<TimeMs> MorningAfter(const std::string& end_date) {
  KEEL_ASSIGN_OR_RETURN(int64_t day, ParseDate(end_date));
  return (day + 1) * kDay + 9 * kHour - kChinaOffset;
}

Result<DemoSummary> Generate(store::Database& db, domain::RecordService& records,
                             domain::AuthService& auth, const DemoOptions& options) {
  Generator g(db, records, auth, options);
  return g.Run();
}

}  // namespace keel::demo
