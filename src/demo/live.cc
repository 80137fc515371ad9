#include "demo/live.h"
#include "demo/store.h"

#include <chrono>
#include <cmath>
#include <map>
#include <random>

#include <spdlog/spdlog.h>

#include "common/tz.h"
#include "domain/schema.h"

namespace keel::demo {

using json = nlohmann::json;

struct LiveSimulator::State {
  int64_t tenant = 0;
  std::shared_ptr<const TimeZone> tz;
  std::mt19937_64 rng;
  std::vector<std::string> stores;
  std::map<std::string, std::vector<std::string>> store_reps;  // reps of the store's team
  std::vector<std::pair<std::string, double>> products;  // sku, price (yuan)
  std::vector<std::string> customers;
  std::vector<std::string> reps;
  std::vector<std::pair<int64_t, std::string>> deals;  // open opportunity id, stage
  std::vector<std::pair<std::string, std::string>> deal_customers;  // code, name of customers with open deals
  int64_t counter = 0;
  double carry_orders = 0, carry_acts = 0, carry_moves = 0, carry_signals = 0;
};

namespace {

// Relative store traffic by local hour: closed at night (online only), peaks at lunch and evening.
double StoreCurve(int hour) {
  static const double kCurve[24] = {0.08, 0.05, 0.03, 0.03, 0.03, 0.05, 0.1, 0.2, 0.35, 0.55, 0.7, 0.85,
                                    1.0,  0.9,  0.75, 0.7,  0.7,  0.8,  0.95, 1.0, 0.9, 0.65, 0.35, 0.15};
  return kCurve[hour % 24];
}
double OfficeCurve(int hour) { return hour >= 9 && hour < 18 ? (hour == 12 ? 0.4 : 1.0) : 0.05; }

}  // namespace

LiveSimulator::LiveSimulator(store::Database& db, domain::RecordService& records, ingest::Ingestor& ingest,
                             const Clock& clock, LiveOptions options)
    : db_(db), records_(records), ingest_(ingest), clock_(clock), options_(std::move(options)) {}

LiveSimulator::~LiveSimulator() { Stop(); }

Status LiveSimulator::Start() {
  auto st = std::make_unique<State>();
  st->rng.seed(options_.seed);
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
    KEEL_ASSIGN_OR_RETURN(std::optional<repo::TenantRow> t, repo::TenantByCode(*conn, options_.tenant_code));
    if (!t) return Status::NotFound("tenant '" + options_.tenant_code + "'");
    st->tenant = t->id;
    KEEL_ASSIGN_OR_RETURN(st->tz, TimeZone::Load(t->time_zone));
    KEEL_ASSIGN_OR_RETURN(st->stores, repo::StoreCodes(*conn, st->tenant));
    KEEL_ASSIGN_OR_RETURN(std::vector<repo::StoreRepRow> staff, repo::StoreReps(*conn, st->tenant));
    for (const auto& r : staff) st->store_reps[r.store_code].push_back(r.username);
    KEEL_ASSIGN_OR_RETURN(std::vector<repo::ProductRow> products, repo::ActiveProducts(*conn, st->tenant));
    for (const auto& r : products) st->products.emplace_back(r.sku, static_cast<double>(r.price) / 100.0);
    KEEL_ASSIGN_OR_RETURN(st->customers, repo::CustomerCodes(*conn, st->tenant, 5000));
    KEEL_ASSIGN_OR_RETURN(st->reps, repo::ActiveRepNames(*conn, st->tenant));
    KEEL_ASSIGN_OR_RETURN(std::vector<repo::DealRow> deals, repo::OpenDeals(*conn, st->tenant));
    for (const auto& r : deals) st->deals.emplace_back(r.id, r.stage);
    KEEL_ASSIGN_OR_RETURN(std::vector<repo::CustomerRow> dc, repo::CustomersWithOpenDeals(*conn, st->tenant, 2000));
    for (const auto& r : dc) st->deal_customers.emplace_back(r.code, r.name);
  }
  if (st->stores.empty() || st->products.empty() || st->reps.empty()) {
    return Status::Invalid("demo.live", "the tenant has no stores, products or reps to simulate", "该租户没有可模拟的门店、产品或销售代表");
  }
  state_ = std::move(st);
  stop_ = false;
  if (!options_.run_thread) return Status();
  thread_ = std::thread([this] {
    while (!stop_.load()) {
      Status s = Tick();
      if (!s.ok()) spdlog::warn("live demo: {}", s.ToString());
      for (int64_t waited = 0; waited < options_.tick_ms && !stop_.load(); waited += 50) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  });
  spdlog::info("live demo running tenant={} stores={} reps={} open_deals={}", options_.tenant_code, state_->stores.size(),
               state_->reps.size(), state_->deals.size());
  return Status();
}

void LiveSimulator::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

Status LiveSimulator::Tick() {
  if (!state_) return Status::Invalid("demo.live", "the simulator is not started", "模拟器未启动");
  State& s = *state_;
  TimeMs now = clock_.NowMs();
  TimeMs local = s.tz->ToLocal(now);
  int hour = static_cast<int>((local / 3600000) % 24);
  double minutes = static_cast<double>(options_.tick_ms) / 60000.0;
  auto pick = [&](size_t n) { return static_cast<size_t>(s.rng() % n); };
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  // Expected counts this tick, carried over so that slow rates still produce facts.
  s.carry_orders += options_.orders_per_minute * minutes * std::max(0.15, StoreCurve(hour));
  s.carry_acts += options_.activities_per_minute * minutes * OfficeCurve(hour);
  s.carry_moves += options_.stage_moves_per_minute * minutes * OfficeCurve(hour);
  s.carry_signals += options_.signals_per_minute * minutes * OfficeCurve(hour);
  std::vector<json> facts;
  std::string stamp = FormatTimestamp(now);
  for (; s.carry_orders >= 1; s.carry_orders -= 1) {
    ++s.counter;
    std::string code = "LV" + std::to_string(now) + "-" + std::to_string(s.counter);
    json lines = json::array();
    int n = unit(s.rng) < 0.8 ? 1 : 2;
    for (int i = 0; i < n; ++i) {
      const auto& [sku, price] = s.products[pick(s.products.size())];
      lines.push_back({{"sku", sku}, {"qty", unit(s.rng) < 0.85 ? 1 : 2}, {"unit_price", price}});
    }
    double c = unit(s.rng);
    json order = {{"type", "order"}, {"id", code}, {"code", code}, {"at", stamp}, {"lines", lines},
                  {"channel", c < 0.75 ? "store" : c < 0.9 ? "wechat" : "online"}};
    const std::string& store = s.stores[pick(s.stores.size())];
    order["store_code"] = store;
    const auto& staff = s.store_reps[store];
    order["rep"] = staff.empty() ? s.reps[pick(s.reps.size())] : staff[pick(staff.size())];
    if (!s.customers.empty() && unit(s.rng) < 0.6) order["customer_code"] = s.customers[pick(s.customers.size())];
    facts.push_back(std::move(order));
  }
  for (; s.carry_acts >= 1; s.carry_acts -= 1) {
    ++s.counter;
    json a = {{"type", "activity"}, {"id", "LA" + std::to_string(now) + "-" + std::to_string(s.counter)},
              {"rep", s.reps[pick(s.reps.size())]}};
    if (!s.customers.empty()) a["customer_code"] = s.customers[pick(s.customers.size())];
    if (unit(s.rng) < 0.45) {
      int minutes_on_site = 5 + static_cast<int>(unit(s.rng) * 70);
      a["kind"] = "visit";
      a["checkin_at"] = FormatTimestamp(now - minutes_on_site * 60000LL);
      a["checkout_at"] = stamp;
      a["outcome"] = unit(s.rng) < 0.6 ? "positive" : "neutral";
      static const char* kNotes[] = {"客户关注一级能效，询问以旧换新政策", "竞品在门口做活动，价格压力大", "样机陈列需要调整，堆头位置不佳",
                                     "客户对安装周期有顾虑", "店长反馈冰箱缺货，需尽快补货", "客户准备下周下单，需报价"};
      a["notes"] = kNotes[pick(std::size(kNotes))];
    } else {
      bool answered = unit(s.rng) < 0.65;
      a["kind"] = "call";
      a["at"] = stamp;
      a["duration_min"] = answered ? 1 + static_cast<int>(unit(s.rng) * 20) : 0;
      a["outcome"] = answered ? "connected" : "no_answer";
    }
    facts.push_back(std::move(a));
  }
  // Outside signals about customers with open deals: tenders, news and social posts, good and
  // bad, which the AI turns into alerts and follow-up tasks on the deals.
  for (; s.carry_signals >= 1 && !s.deal_customers.empty(); s.carry_signals -= 1) {
    ++s.counter;
    struct Template {
      const char* kind;
      const char* source;
      const char* title;  // {} is the customer's name
      double sentiment;
    };
    static const Template kSignals[] = {
        {"tender", "中国政府采购网", "{}发布空调及冷链设备采购招标公告", 0.4},
        {"tender", "采招网", "{}门店升级改造项目招标（含商用冰箱、热水器）", 0.3},
        {"news", "界面新闻", "{}宣布明年新开 12 家门店", 0.6},
        {"news", "36氪", "{}被曝资金链紧张，多个项目延期", -0.7},
        {"news", "第一财经", "{}管理层变动，采购负责人离职", -0.4},
        {"social", "微博", "网友吐槽{}售后响应慢，投诉增多", -0.5},
        {"social", "小红书", "{}新店开业人气火爆", 0.5},
    };
    const auto& [code, name] = s.deal_customers[pick(s.deal_customers.size())];
    const Template& t = kSignals[pick(std::size(kSignals))];
    std::string title = t.title;
    title.replace(title.find("{}"), 2, name);
    facts.push_back({{"type", "signal"}, {"id", "LS" + std::to_string(now) + "-" + std::to_string(s.counter)},
                     {"kind", t.kind}, {"source", t.source}, {"title", title}, {"customer_code", code},
                     {"at", stamp}, {"sentiment", t.sentiment}});
  }
  if (!facts.empty()) {
    auto report = ingest_.IngestRecords(domain::Principal::System(s.tenant), std::move(facts));
    if (!report.ok()) return report.status();
    sent_.fetch_add(static_cast<int64_t>(report->accepted));
    if (!report->errors.empty()) {
      spdlog::debug("live demo: {} facts refused, first: {}", report->errors.size(), report->errors[0].status.ToString());
    }
  }
  static const char* kNext[][2] = {{"prospecting", "qualification"}, {"qualification", "proposal"},
                                   {"proposal", "negotiation"}, {"negotiation", "won"}};
  for (; s.carry_moves >= 1 && !s.deals.empty(); s.carry_moves -= 1) {
    size_t i = pick(s.deals.size());
    auto& [id, stage] = s.deals[i];
    json patch;
    if (unit(s.rng) < 0.15) {
      patch = {{"stage", "lost"}, {"loss_reason", "price"}};
    } else {
      for (const auto& step : kNext) {
        if (stage == step[0]) patch = {{"stage", step[1]}};
      }
    }
    if (patch.is_null()) continue;
    auto r = records_.Update(domain::Principal::System(s.tenant), *domain::FindEntity("opportunities"), id, patch);
    if (r.ok()) {
      sent_.fetch_add(1);
      stage = patch["stage"];
    }
    if (!r.ok() || stage == "won" || stage == "lost") {
      s.deals.erase(s.deals.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }
  return Status();
}

}  // namespace keel::demo
