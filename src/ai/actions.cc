#include "ai/actions.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include <spdlog/spdlog.h>

#include "text/classify.h"
#include "text/segment.h"

#include "ai/features.h"
#include "ai/store.h"
#include "alerts/engine.h"
#include "domain/schema.h"

namespace keel::ai {
namespace {

const std::vector<CustomFeature> kNoCustom;  // the rules read built-in features only

using json = nlohmann::json;

constexpr TimeMs kDayMs = 86400000;

// A stored timestamp; 0 when empty or unreadable.
TimeMs TimeOf(const std::string& v) {
  if (v.empty()) return 0;
  auto t = ParseTimestamp(v);
  return t.ok() ? *t : 0;
}
TimeMs TimeOf(const std::optional<std::string>& v) { return v ? TimeOf(*v) : 0; }

std::string Days(double d) { return std::to_string(static_cast<int64_t>(std::floor(d))); }

std::string Money(double yuan) {
  char buf[32];
  if (yuan >= 10000) std::snprintf(buf, sizeof buf, "%.1f万", yuan / 10000);
  else std::snprintf(buf, sizeof buf, "%.0f", yuan);
  return buf;
}

std::string MoneyEn(double yuan) {
  char buf[32];
  if (yuan >= 1000) std::snprintf(buf, sizeof buf, "%.0fk", yuan / 1000);
  else std::snprintf(buf, sizeof buf, "%.0f", yuan);
  return buf;
}

std::string Join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

bool Contains(const std::string& text, const std::string& term) {
  if (text.find(term) != std::string::npos) return true;
  // ASCII terms match case-insensitively.
  std::string a = text, b = term;
  for (auto* s : {&a, &b}) {
    for (char& c : *s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return a.find(b) != std::string::npos;
}

// One pooled connection, taken when first needed and let go with reset() before calling
// something that takes its own (the record service, the alert engine), so that a planning pass
// never holds two.
class LazyConnection {
 public:
  explicit LazyConnection(store::Database& db) : db_(db) {}
  store::Connection* get() {
    if (!held_) {
      auto r = db_.Acquire();
      held_.emplace(std::move(r).value());  // throws only when the database is gone
    }
    return &**held_;
  }
  void reset() { held_.reset(); }

 private:
  store::Database& db_;
  std::optional<store::PooledConnection> held_;
};

}  // namespace

struct ActionPlanner::Finding {
  std::string rule, entity;
  int64_t record_id = 0, owner = 0;
  std::string title_zh, reason_zh, reason_en, priority = "normal";
  double ev = 0;
  json details = json::object();
  TimeMs due = 0;
};

ActionPlanner::ActionPlanner(store::Database& db, domain::RecordService& records, const Clock& clock, ActionOptions options)
    : db_(db), records_(records), clock_(clock), opt_(std::move(options)) {}

// At most `max` bytes of `s`, cut at a UTF-8 character boundary.
std::string Clip(const std::string& s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

Result<bool> ActionPlanner::Upsert(int64_t tenant, const Finding& f) {
  std::string now = FormatTimestamp(clock_.NowMs());
  int64_t unit = 0;
  repo::ActionText text{f.ev, f.reason_zh, f.reason_en, f.details.dump()};
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
    KEEL_ASSIGN_OR_RETURN(std::optional<repo::ActionRow> last, repo::LatestAction(*conn, tenant, f.rule, f.entity, f.record_id));
    if (last) {
      if (last->task_status == "open") {
        KEEL_RETURN_IF_ERROR(repo::RefreshAction(*conn, tenant, last->id, text, now));
        return false;
      }
      // Done or dismissed within the last week: not proposed again yet.
      if (clock_.NowMs() - TimeOf(last->updated_at) < 7 * kDayMs) {
        KEEL_RETURN_IF_ERROR(repo::CloseAction(*conn, tenant, last->id, last->task_status.empty() ? std::string("cancelled") : last->task_status));
        return false;
      }
    }
    KEEL_ASSIGN_OR_RETURN(std::optional<int64_t> owner_unit, repo::ActiveUserUnit(*conn, tenant, f.owner));
    if (!owner_unit) return false;
    unit = *owner_unit;
  }
  json task = {{"title", Clip(f.title_zh, 190)},
               {"description", Clip(f.reason_zh + "\n" + f.reason_en, 19000)},
               {"owner_id", f.owner},
               {"unit_id", unit},
               {"priority", f.priority},
               {"source", "ai"},
               {"due_at", FormatTimestamp(f.due ? f.due : clock_.NowMs() + kDayMs)}};
  if (f.entity == "customers" || f.entity == "leads" || f.entity == "opportunities") {
    task["related_entity"] = f.entity;
    task["related_id"] = f.record_id;
  }
  KEEL_ASSIGN_OR_RETURN(json created, records_.Create(domain::Principal::System(tenant), *domain::FindEntity("tasks"), task));
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
  KEEL_RETURN_IF_ERROR(repo::InsertAction(*conn, tenant, {ids[0], f.rule, f.entity, f.record_id, f.owner, created["id"].get<int64_t>(), text, now}));
  return true;
}

Result<PlanCounts> ActionPlanner::Plan(int64_t tenant) {
  std::lock_guard planning(plan_mu_);
  LazyConnection held(db_);
  auto C = [&] { return held.get(); };
  TimeMs now = clock_.NowMs();
  KEEL_ASSIGN_OR_RETURN(std::optional<double> won, repo::AverageWonAmount(*C(), tenant));
  double avg_won = won ? *won / 100.0 : 10000.0;
  std::vector<Finding> findings;

  // Stale A/B leads.
  KEEL_ASSIGN_OR_RETURN(auto leads, repo::ScoredOpenLeads(*C(), tenant));
  for (const auto& r : leads) {
    TimeMs last = std::max(TimeOf(r.created_at), TimeOf(r.last_activity));
    double idle = static_cast<double>(now - last) / kDayMs;
    const std::string& band = r.band;
    if (idle < (band == "A" ? opt_.stale_days_a : opt_.stale_days_b)) continue;
    Finding f;
    f.rule = "stale_lead";
    f.entity = "leads";
    f.record_id = r.id;
    f.owner = r.owner_id;
    int score = static_cast<int>(r.score);
    f.ev = r.probability * avg_won;
    f.priority = band == "A" ? "high" : "normal";
    json reasons = json::parse(r.reasons, nullptr, false);
    std::string why_zh, why_en;
    if (reasons.is_object() && !reasons["positive"].empty()) {
      why_zh = "；主要因素：" + reasons["positive"][0].value("text_zh", "");
      why_en = "; mainly: " + reasons["positive"][0].value("text_en", "");
    }
    f.title_zh = "跟进" + band + "级线索：" + r.title;
    f.reason_zh = band + "级线索（" + std::to_string(score) + "分）已 " + Days(idle) + " 天未跟进，请尽快联系" + why_zh;
    f.reason_en = band + "-band lead (score " + std::to_string(score) + ") untouched for " + Days(idle) + " days — contact it now" + why_en;
    f.details = {{"score", score}, {"band", band}, {"idle_days", std::floor(idle)}};
    f.due = now + (band == "A" ? kDayMs / 4 : kDayMs);
    findings.push_back(std::move(f));
  }

  // Deals at risk.
  KEEL_ASSIGN_OR_RETURN(History deals, History::Load(*C(), tenant, Target::kOpportunity, {}, nullptr, &kNoCustom));
  std::map<int64_t, double> prob;
  {
    KEEL_ASSIGN_OR_RETURN(auto sr, repo::Probabilities(*C(), tenant, "opportunity"));
    for (const auto& r : sr) prob[r.record_id] = r.probability;
  }
  std::map<int64_t, std::string> names;
  std::map<int64_t, std::string> competitor;
  {
    KEEL_ASSIGN_OR_RETURN(auto nr, repo::OpenDealNames(*C(), tenant));
    for (const auto& r : nr) names[r.id] = r.name;
    KEEL_ASSIGN_OR_RETURN(auto notes, repo::DealNotesSince(*C(), tenant, FormatTimestamp(now - 30 * kDayMs)));
    for (const auto& r : notes) {
      for (const auto& term : opt_.competitor_terms) {
        if (Contains(r.notes, term)) {
          competitor[r.opportunity_id] = term;
          break;
        }
      }
    }
  }
  const auto& defs = FeatureDefs(Target::kOpportunity);
  auto idx = [&](const char* name) {
    for (size_t i = 0; i < defs.size(); ++i) {
      if (defs[i].name == name) return i;
    }
    return size_t{0};
  };
  size_t f_idle = idx("days_since_activity"), f_age = idx("age_days"), f_slips = idx("close_slips"), f_close = idx("days_to_close"),
         f_sent = idx("signal_sentiment_30d"), f_neg = idx("negative_signals_30d");
  for (int64_t id : deals.OpenIds()) {
    RawFeatures raw;
    if (!deals.At(id, now, &raw)) continue;
    std::vector<std::string> zh, en;
    double idle = std::isnan(raw.num[f_idle]) ? raw.num[f_age] : raw.num[f_idle];
    if (!std::isnan(raw.num[f_close]) && raw.num[f_close] < 0) {
      std::string d = Days(std::ceil(-raw.num[f_close]));
      zh.push_back("预计成交日已过 " + d + " 天");
      en.push_back("expected close passed " + d + (d == "1" ? " day ago" : " days ago"));
    }
    if (raw.num[f_slips] >= 2) {
      zh.push_back("预计成交日已推迟 " + Days(raw.num[f_slips]) + " 次");
      en.push_back("close date pushed back " + Days(raw.num[f_slips]) + " times");
    }
    if (idle >= opt_.deal_idle_days) {
      zh.push_back(Days(idle) + " 天无跟进");
      en.push_back("no activity for " + Days(idle) + " days");
    }
    if ((!std::isnan(raw.num[f_sent]) && raw.num[f_sent] <= opt_.negative_sentiment) || raw.num[f_neg] >= 1) {
      zh.push_back("客户近30天有负面舆情");
      en.push_back("negative news about the customer in the last 30 days");
    }
    if (auto c = competitor.find(id); c != competitor.end()) {
      // Name the brand; a generic word ("竞品", "competitor") needs no repeating.
      static const std::set<std::string> kGeneric = {"竞品", "竞争对手", "对手", "competitor"};
      bool brand = !kGeneric.count(c->second);
      zh.push_back(std::string("跟进纪要提到竞品") + (brand ? "（" + c->second + "）" : ""));
      en.push_back(std::string("a competitor is mentioned in the notes") + (brand ? " (" + c->second + ")" : ""));
    }
    if (zh.empty()) continue;
    Finding f;
    f.rule = "deal_at_risk";
    f.entity = "opportunities";
    f.record_id = id;
    f.owner = deals.OwnerOf(id);
    double p = prob.count(id) ? prob[id] : 0.3;
    double amount = deals.AmountOf(id);
    f.ev = p * amount;
    f.priority = zh.size() >= 2 || f.ev >= 100000 ? "high" : "normal";
    f.title_zh = "挽回风险商机：" + names[id];
    f.reason_zh = "商机「" + names[id] + "」有风险：" + Join(zh, "；") + "（金额 ¥" + Money(amount) + "，赢单概率 " +
                  std::to_string(static_cast<int>(std::lround(p * 100))) + "%）";
    f.reason_en = "Deal \"" + names[id] + "\" is at risk: " + Join(en, "; ") + " (amount ¥" + MoneyEn(amount) + ", win probability " +
                  std::to_string(static_cast<int>(std::lround(p * 100))) + "%)";
    f.details = {{"factors", en}, {"amount", amount}, {"probability", p}};
    findings.push_back(std::move(f));
  }

  // Coverage gaps: customers that bought in the last year and were not contacted for a while.
  KEEL_ASSIGN_OR_RETURN(auto gaps, repo::BuyingCustomers(*C(), tenant, FormatTimestamp(now - 365 * kDayMs)));
  for (const auto& r : gaps) {
    TimeMs last = std::max(TimeOf(r.created_at), TimeOf(r.last_activity));
    double idle = static_cast<double>(now - last) / kDayMs;
    if (idle < opt_.coverage_days) continue;
    double revenue = r.revenue_fen / 100.0;
    Finding f;
    f.rule = "coverage_gap";
    f.entity = "customers";
    f.record_id = r.id;
    f.owner = r.owner_id;
    f.ev = 0.1 * revenue;  // a tenth of last year's business is at stake
    f.title_zh = "回访老客户：" + r.name;
    bool never = !r.last_activity;
    f.reason_zh = "客户「" + r.name + "」" + (never ? "从未拜访" : "已 " + Days(idle) + " 天未联系") + "，近一年成交 ¥" +
                  Money(revenue) + "，请安排回访";
    f.reason_en = "Customer \"" + r.name + "\" " + (never ? "was never visited" : "not contacted for " + Days(idle) + " days") +
                  " after ¥" + MoneyEn(revenue) + " of orders in the last year — plan a visit";
    f.details = {{"idle_days", std::floor(idle)}, {"revenue_365d", revenue}};
    f.due = now + 3 * kDayMs;
    findings.push_back(std::move(f));
  }

  // Best first; at most `per_owner` new actions per owner and rule in one run.
  std::sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) { return a.ev > b.ev; });
  held.reset();
  std::map<std::pair<int64_t, std::string>, int> taken;
  PlanCounts counts;
  for (const char* r : {"stale_lead", "deal_at_risk", "coverage_gap"}) counts[r] = {};
  for (const auto& f : findings) {
    counts[f.rule].found++;
    int& n = taken[{f.owner, f.rule}];
    if (n >= opt_.per_owner) continue;
    auto created = Upsert(tenant, f);
    if (!created.ok()) {  // one bad finding does not stop the others
      spdlog::warn("ai: action {} for {} {} not written: {}", f.rule, f.entity, f.record_id, created.status().ToString());
      continue;
    }
    ++n;
    (*created ? counts[f.rule].created : counts[f.rule].refreshed)++;
  }
  return counts;
}

Result<SignalOutcome> ActionPlanner::OnSignals(int64_t tenant, const std::vector<int64_t>& signal_ids) {
  SignalOutcome out;
  if (signal_ids.empty()) return out;
  std::lock_guard planning(plan_mu_);
  LazyConnection held(db_);
  auto C = [&] { return held.get(); };
  TimeMs now = clock_.NowMs();
  // Our categories: the leaf of every product category path ("家电/空调" → 空调).
  std::set<std::string> categories;
  {
    KEEL_ASSIGN_OR_RETURN(auto paths, repo::CategoryPaths(*C(), tenant));
    for (const auto& path : paths) {
      std::string leaf = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
      if (leaf.size() >= 2) categories.insert(leaf);
    }
  }
  for (int64_t sid : signal_ids) {
    KEEL_ASSIGN_OR_RETURN(std::optional<repo::SignalOfCustomer> signal, repo::SignalWithCustomer(*C(), tenant, sid));
    if (!signal) continue;  // not about a known customer
    const repo::SignalOfCustomer& s = *signal;
    std::string kind = s.kind, title = s.title, text = title + " " + s.body;
    int64_t customer = s.customer_id;
    std::string customer_name = s.customer_name;
    TimeMs at = TimeOf(s.occurred_at);
    struct Trigger { std::string rule, zh, en; alerts::Severity severity; };
    std::vector<Trigger> triggers;
    // A signal posted without a sentiment is judged from its words (the text service stores its
    // own judgement a moment later; the alert must not wait for it).
    double sentiment = s.sentiment ? *s.sentiment : text::LexiconSentiment(text::Segment(text)).score;
    if (sentiment <= opt_.negative_sentiment) {
      double v = sentiment;
      triggers.push_back({"signal.negative", "客户「" + customer_name + "」出现负面" + (kind == "tender" ? "招标" : "舆情") + "：" + title,
                          "Negative " + kind + " about " + customer_name + ": " + title,
                          v <= -0.7 ? alerts::Severity::kCritical : alerts::Severity::kWarning});
    }
    if (kind == "tender") {
      for (const auto& c : categories) {
        if (text.find(c) != std::string::npos) {
          triggers.push_back({"signal.tender", "客户「" + customer_name + "」发布" + c + "相关招标：" + title,
                              "A tender from " + customer_name + " in our category " + c + ": " + title, alerts::Severity::kWarning});
          break;
        }
      }
    }
    {
      std::string month_ago = FormatTimestamp(at - 31 * kDayMs), day_ago = FormatTimestamp(at - kDayMs), at_text = FormatTimestamp(at);
      KEEL_ASSIGN_OR_RETURN(repo::SignalCounts b, repo::CountSignals(*C(), tenant, customer, month_ago, day_ago, at_text));
      double usual = b.month / 30.0;
      double day = b.day;
      if (day >= opt_.burst_count && day >= opt_.burst_ratio * std::max(usual, 1.0 / 30)) {
        triggers.push_back({"signal.burst", "客户「" + customer_name + "」24小时内出现 " + std::to_string(static_cast<int>(day)) + " 条外部信息（突增）",
                            "A burst of " + std::to_string(static_cast<int>(day)) + " signals about " + customer_name + " in 24 hours",
                            alerts::Severity::kInfo});
      }
    }
    if (triggers.empty()) continue;
    KEEL_ASSIGN_OR_RETURN(auto deals, repo::OpenDealsWithScores(*C(), tenant, customer));
    held.reset();
    for (const auto& trig : triggers) {
      std::map<int64_t, double> ev_by_owner;  // follow-up tasks: one per owner
      auto raise = [&](int64_t owner, int64_t unit, const std::string& key, alerts::AlertLabels labels, const std::string& zh,
                       const std::string& en) -> Status {
        if (!alerts_) return Status();
        alerts::AlertEngine::Raised a;
        a.rule = trig.rule;
        a.key = key;
        a.label_zh = trig.rule == "signal.negative" ? "客户负面舆情" : trig.rule == "signal.tender" ? "客户招标" : "外部信息突增";
        a.label_en = trig.rule == "signal.negative" ? "Negative news about a customer"
                                                   : trig.rule == "signal.tender" ? "Customer tender" : "Burst of signals";
        a.summary_zh = zh;
        a.summary_en = en;
        a.severity = trig.severity;
        a.labels = std::move(labels);
        a.owner_id = owner;
        a.unit_id = unit;
        KEEL_ASSIGN_OR_RETURN(alerts::AlertChange alert, alerts_->Raise(tenant, a));
        if (!alert.duplicate) out.alerts++;
        return Status();
      };
      alerts::AlertLabel customer_label{std::to_string(customer), customer_name};
      if (deals.empty()) {
        int64_t owner = s.owner_id;
        KEEL_RETURN_IF_ERROR(raise(owner, s.unit_id, "signal:" + std::to_string(sid) + ":customer:" + std::to_string(customer),
                                   {{"customer", customer_label}}, trig.zh, trig.en));
        ev_by_owner[owner] += 0;
      }
      for (const auto& d : deals) {
        int64_t opp = d.id, owner = d.owner_id;
        double amount = d.amount_fen / 100.0, p = d.probability.value_or(0.3);
        KEEL_RETURN_IF_ERROR(raise(owner, d.unit_id, "signal:" + std::to_string(sid) + ":opp:" + std::to_string(opp),
                                   {{"customer", customer_label}, {"opportunity", {std::to_string(opp), d.name}}},
                                   trig.zh + "（关联商机「" + d.name + "」）",
                                   trig.en + " (open deal \"" + d.name + "\")"));
        ev_by_owner[owner] += p * amount;
      }
      for (const auto& [owner, ev] : ev_by_owner) {
        Finding f;
        f.rule = trig.rule == "signal.negative" ? "signal_negative" : trig.rule == "signal.tender" ? "signal_tender" : "signal_burst";
        f.entity = "customers";
        f.record_id = customer;
        f.owner = owner;
        f.ev = ev;
        f.priority = trig.severity == alerts::Severity::kCritical ? "urgent" : "high";
        f.title_zh = (trig.rule == "signal.tender" ? "跟进招标：" : "跟进客户动态：") + customer_name;
        f.reason_zh = trig.zh + (deals.empty() ? "" : "；涉及 " + std::to_string(deals.size()) + " 个未结商机") + "（来源：" + s.source + "）";
        f.reason_en = trig.en + (deals.empty() ? "" : "; " + std::to_string(deals.size()) + " open deal(s) involved") + " (source: " + s.source + ")";
        f.details = {{"signal_id", sid}, {"kind", kind}, {"deals", deals.size()}};
        f.due = now + kDayMs / 2;
        auto created = Upsert(tenant, f);
        if (!created.ok()) {
          spdlog::warn("ai: follow-up of signal {} not written: {}", sid, created.status().ToString());
        } else if (*created) {
          out.tasks++;
        }
      }
    }
  }
  return out;
}

Result<TodayList> ActionPlanner::Today(const domain::Principal& p, int limit) {
  KEEL_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto rows, repo::OpenTasksOf(*conn, p.tenant_id, p.user_id));
  TimeMs now = clock_.NowMs();
  struct Item { double rank; TodayItem item; };
  std::vector<Item> items;
  bool en = p.locale.rfind("en", 0) == 0;
  for (const auto& r : rows) {
    const std::string& priority = r.priority;
    double weight = priority == "urgent" ? 4 : priority == "high" ? 3 : priority == "normal" ? 2 : 1;
    double ev = r.expected_value.value_or(0);
    TimeMs due = TimeOf(r.due_at);
    bool overdue = due && due < now;
    bool due_today = due && due < now + kDayMs;
    // Priority first, then what is due, then expected value.
    double rank = weight * 1e12 + (overdue ? 2e11 : due_today ? 1e11 : 0) + std::min(ev, 9e10);
    std::string why_zh = r.reason_zh.value_or(r.description);
    std::string why_en = r.reason_en.value_or(r.description);
    TodayItem t{r.task_id, r.title, priority, r.due_at, overdue, r.source, r.rule, std::round(ev), en ? why_en : why_zh, why_zh, why_en,
                r.related_entity, r.related_id};
    items.push_back({rank, std::move(t)});
  }
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.rank > b.rank; });
  TodayList list;
  list.total = static_cast<int64_t>(items.size());
  for (size_t i = 0; i < items.size() && static_cast<int>(i) < limit; ++i) list.items.push_back(std::move(items[i].item));
  return list;
}

}  // namespace keel::ai
