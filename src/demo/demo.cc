#include "demo/generator.h"

namespace keel::demo {
namespace detail {

// Customer feedback with ratings and words that match them, a planted stock-out reported by one
// unit's store visits on the last two days, the company's playbooks and FAQs, and the domain
// terms (product names, competitor brands) the text service keeps whole.
Status Generator::TextMaterial() {
  KEEL_RETURN_IF_ERROR(Feedback());
  KEEL_RETURN_IF_ERROR(StockOutVisits());
  KEEL_RETURN_IF_ERROR(KnowledgeBase());
  summary_.last_day = FormatDate(end_day_);
  return Status();
}

Status Generator::Feedback() {
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
  return Status();
}

Status Generator::StockOutVisits() {
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
  return Status();
}

// The company's knowledge base and its domain terms.
Status Generator::KnowledgeBase() {
  KEEL_ASSIGN_OR_RETURN(store::PooledConnection conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(*conn));
  std::string now = FormatTimestamp(end_day_ * kDay);
  for (const auto& d : kDocs) {
    KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
    KEEL_RETURN_IF_ERROR(repo::InsertKbDocument(*conn, tenant_, {ids[0], d.title, d.body, d.kind, d.line, now}));
    ++summary_.counts["kb_documents"];
  }
  json terms = {"格力", "美的", "奥克斯", "海信", "小米", "海川", "以旧换新", "一级能效", "送装一体", "1.5匹", "挂机", "柜机", "中央空调", "十字门"};
  KEEL_RETURN_IF_ERROR(repo::InsertTextSettings(*conn, tenant_, terms.dump(), "[]", 18, now));
  KEEL_RETURN_IF_ERROR(tx.Commit());
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
    KEEL_ASSIGN_OR_RETURN(hq_unit_, repo::HqUnit(*conn, tenant_));
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
    KEEL_RETURN_IF_ERROR(repo::SetAllPasswords(*conn, tenant_, hash));
  }
  summary_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return summary_;
}


}  // namespace detail

Result<TimeMs> MorningAfter(const std::string& end_date) {
  using detail::kChinaOffset, detail::kDay, detail::kHour;
  KEEL_ASSIGN_OR_RETURN(int64_t day, ParseDate(end_date));
  return (day + 1) * kDay + 9 * kHour - kChinaOffset;
}

Result<DemoSummary> Generate(store::Database& db, domain::RecordService& records,
                             domain::AuthService& auth, const DemoOptions& options) {
  detail::Generator g(db, records, auth, options);
  return g.Run();
}

}  // namespace keel::demo
