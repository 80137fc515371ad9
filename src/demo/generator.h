// Internals of the demo generator shared by its translation units: deterministic randomness,
// the company's data tables (regions, categories, promotions, words), and the Generator whose
// steps live in organisation.cc, pipeline.cc, sales.cc and demo.cc. Not part of the public
// surface. Every step draws from the generator's random streams in a fixed order, so the same
// seed and end date give the same company.
#pragma once

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include "common/crypto.h"
#include "common/time.h"
#include "demo/demo.h"
#include "demo/store.h"

namespace keel::demo::detail {

using domain::json;
using domain::Principal;


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

inline const RegionSpec kRegions[] = {
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

inline const char* kSurnames[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙",
                           "马", "朱", "胡", "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋"};
inline const char* kGiven[] = {"伟", "芳", "娜", "敏", "静", "磊", "强", "洋", "艳", "勇", "军", "杰",
                        "娟", "涛", "明", "超", "秀英", "霞", "平", "刚", "晨", "浩然", "子涵",
                        "欣怡", "宇轩", "梓萱", "俊杰", "雨桐", "思远", "佳怡"};

struct Category {
  const char* path;
  const char* family;  // season key
  const char* en;
  int64_t min_price, max_price;  // yuan
  double share;
};

inline const Category kCategories[] = {
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
inline double Season(const std::string& family, int month, int region) {
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
inline const PromoSpec kPromos[] = {
    {"CNY", "春节焕新季", 1, 15, 31, 8, 1.3, nullptr},
    {"MAYDAY", "五一家电节", 5, 1, 5, 6, 1.4, nullptr},
    {"618", "618 年中大促", 6, 1, 18, 12, 1.6, nullptr},
    {"COOL", "清凉一夏 空调节", 7, 1, 31, 5, 1.15, "家电/空调"},
    {"NATIONAL", "国庆焕新", 10, 1, 7, 10, 1.6, nullptr},
    {"DOUBLE11", "双11 狂欢节", 11, 1, 11, 15, 2.0, nullptr},
    {"DOUBLE12", "双12 以旧换新", 12, 1, 12, 8, 1.3, nullptr},
};

inline const char* kVisitNotes[] = {
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
inline const char* kCallNotes[] = {
    "电话沟通需求，客户表示下周到店", "未接通，稍后再打", "客户在开会，约明天上午再联系",
    "确认了安装地址和时间", "客户咨询以旧换新政策，已发送活动链接", "回访满意度，客户评价不错",
    "Follow-up call: customer comparing two models", "客户对报价有异议，需要主管审批折扣",
};
inline const char* kLossReasons[] = {"价格过高 (price)", "选择了竞品 (competitor)", "预算取消 (budget cut)",
                              "需求推迟 (timing)", "联系不上 (no response)"};
inline const char* kDisqualify[] = {"预算不足", "联系不上", "需求不匹配", "已购买竞品", "重复线索"};
inline const char* kIndustries[] = {"hotel", "real_estate", "education", "healthcare", "government",
                             "manufacturing", "office", "retail_chain"};
inline const char* kIndustryZh[] = {"酒店", "地产", "教育", "医疗", "政府", "制造", "写字楼", "连锁零售"};
inline const char* kCompanyWords[] = {"华庭", "金桥", "恒通", "瑞丰", "嘉禾", "鼎盛", "东方", "新世纪",
                               "宏达", "天成", "锦江", "海悦", "德润", "安和", "明珠", "中天"};

struct LeadSource { const char* name; const char* channel; double weight, conv, b2b; };
inline const LeadSource kLeadSources[] = {
    {"website", "online", .22, .10, .3},     {"exhibition", "offline", .10, .20, .8},
    {"referral", "partner", .10, .35, .5},   {"hotline", "offline", .10, .18, .2},
    {"wechat", "online", .18, .14, .1},      {"partner", "partner", .06, .28, .9},
    {"advertising", "online", .12, .07, .2}, {"store_walk_in", "offline", .10, .25, 0},
    {"tender", "partner", .02, .22, 1},
};

// Feedback words and the knowledge base (TextMaterial).
inline const char* kGood[] = {"安装师傅很专业，准时上门", "空调制冷快，声音很安静", "导购介绍耐心细致", "送货及时，包装完好",
                              "冰箱容量大，保鲜效果不错", "洗衣机很安静，洗得干净", "价格实惠，活动力度大", "售后回访很热情",
                              "以旧换新很方便，省心", "热水器出水快，操作简单", "整体很满意，推荐给朋友", "门店环境好，体验区很方便"};
inline const char* kBad[] = {"安装师傅迟到了两个小时", "送货太慢，等了一个星期", "空调噪音大，晚上睡不好", "售后电话一直打不通",
                             "收到的冰箱有划痕，要求换货", "价格比网上贵，感觉不划算", "维修等了三天才上门，很失望", "导购态度差，爱答不理",
                             "洗衣机漏水，质量太差", "安装收费不透明，多收了材料费", "缺货，说好的型号一直没到", "退货流程麻烦，推来推去"};
inline const char* kMeh[] = {"还可以，一般般", "产品还行，安装有点慢", "价格合适，就是等货时间长", "功能够用，外观普通"};
struct Doc {
  const char* kind;
  const char* title;
  const char* body;
  const char* line;
};
inline const Doc kDocs[] = {
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
  Status StockingDeals(TimeMs end);  // deals with existing dealers and accounts
  Status CustomFields();
  Status TextMaterial();
  Status Feedback();
  Status StockOutVisits();
  Status KnowledgeBase();
  Status Pipeline(int64_t opp, size_t rep, int64_t customer, bool b2b, size_t cat, TimeMs start,
                  int64_t amount_cents, int64_t store_for_order);
  Status StoreSales();
  // Planted 吃老本: the Jinan unit's repeat orders from three old key accounts.
  Status JinanRepeatOrders();
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

}  // namespace keel::demo::detail
