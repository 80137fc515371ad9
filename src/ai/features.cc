#include "ai/features.h"

#include "domain/custom_fields.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <thread>
#include <unordered_map>

namespace keel::ai {
namespace {

using json = nlohmann::json;
using store::Value;

constexpr TimeMs kHourMs = 3600000, kDayMs = 86400000;

// ---- The declared features (docs/ai.md is written from these tables) ----
const std::vector<FeatureDef> kLeadFeatures = {
    {"source", true, "Lead source", "线索来源", "source: {v}", "来源：{v}", "", "", "text"},
    {"channel", true, "Channel", "渠道", "channel: {v}", "渠道：{v}", "", "", "text"},
    {"region", true, "Region", "大区", "region {v}", "大区：{v}", "", "", "text"},
    {"status", true, "Status at the time", "当时的状态", "status: {v}", "状态：{v}", "", "", "text"},
    {"age_days", false, "Days since the lead came in", "线索天数", "{v} days since it came in", "进线已 {v} 天", "", "", "1dp"},
    {"first_response_hours", false, "Hours until the owner's first response", "首次响应用时（小时）",
     "first response after {v} h", "首次响应用时 {v} 小时", "not responded to yet", "尚未首次响应", "1dp"},
    {"first_call_connected", false, "Whether the first call connected (1/0)", "首次电话是否接通",
     "first call {v}", "首次电话{v}", "no call yet", "尚未致电", "connected"},
    {"calls", false, "Calls so far", "累计电话次数", "{v} calls so far", "已电话 {v} 次", "", "", "int"},
    {"connected_calls", false, "Connected calls so far", "累计接通次数", "{v} connected calls", "接通 {v} 次", "", "", "int"},
    {"visits", false, "Visits, meetings, demos and proposals so far", "累计拜访/会议/演示/方案", "{v} visits and meetings",
     "拜访/会议 {v} 次", "", "", "int"},
    {"activities_7d", false, "Activities in the last 7 days", "近7天活动数", "{v} activities in the last 7 days",
     "近7天跟进 {v} 次", "", "", "int"},
    {"days_since_activity", false, "Days since the last activity", "距上次跟进天数", "last touched {v} days ago",
     "距上次跟进 {v} 天", "never touched", "从未跟进", "1dp"},
    {"owner_conversion_rate", false, "Owner's conversion rate so far (%)", "负责人历史转化率（%）",
     "owner converts {v}% of leads", "负责人历史转化率 {v}%", "", "", "pct"},
    {"has_company", false, "A company lead (1) or a person (0)", "企业线索(1)/个人(0)", "{v}", "{v}", "", "", "company"},
    {"engagement_trend", false, "Activities in the last 14 days minus the 14 days before", "近14天活动数较前14天的变化",
     "engagement trend {v} vs the previous two weeks", "跟进次数较前两周变化 {v}", "", "", "signed"},
};

const std::vector<FeatureDef> kOpportunityFeatures = {
    {"amount", false, "Deal amount (yuan)", "商机金额（元）", "amount ¥{v}", "金额 ¥{v}", "", "", "money"},
    {"product_category", true, "Product category", "产品品类", "category {v}", "品类：{v}", "", "", "text"},
    {"source", true, "Source", "来源", "source: {v}", "来源：{v}", "", "", "text"},
    {"stage", true, "Stage at the time", "当时的阶段", "stage: {v}", "阶段：{v}", "", "", "text"},
    {"stage_age_days", false, "Days in the current stage", "当前阶段停留天数", "{v} days in this stage",
     "本阶段已停留 {v} 天", "", "", "1dp"},
    {"age_days", false, "Days since the deal was opened", "商机天数", "open for {v} days", "已开启 {v} 天", "", "", "1dp"},
    {"stage_moves", false, "Stage changes so far", "阶段变更次数", "{v} stage changes", "阶段变更 {v} 次", "", "", "int"},
    {"visits_30d", false, "Visits, meetings, demos and proposals in the last 30 days", "近30天拜访/会议/演示/方案",
     "{v} visits in the last 30 days", "近30天拜访 {v} 次", "", "", "int"},
    {"activities_30d", false, "Activities in the last 30 days", "近30天活动数", "{v} activities in the last 30 days",
     "近30天跟进 {v} 次", "", "", "int"},
    {"activities_total", false, "Activities so far", "累计活动数", "{v} activities so far", "累计跟进 {v} 次", "", "", "int"},
    {"days_since_activity", false, "Days since the last activity", "距上次跟进天数", "last touched {v} days ago",
     "距上次跟进 {v} 天", "never touched", "从未跟进", "1dp"},
    {"close_slips", false, "Times the expected close date was pushed back", "预计成交日推迟次数",
     "close date pushed back {v} times", "预计成交日推迟 {v} 次", "", "", "int"},
    {"days_to_close", false, "Days to the expected close date (negative: overdue)", "距预计成交日天数（负数为已逾期）",
     "{v} days to the expected close", "距预计成交 {v} 天", "no expected close date", "未填预计成交日", "1dp"},
    {"segment", true, "Customer segment", "客户分层", "segment: {v}", "客户分层：{v}", "", "", "text"},
    {"industry", true, "Customer industry", "客户行业", "industry: {v}", "行业：{v}", "", "", "text"},
    {"owner_win_rate", false, "Owner's win rate so far (%)", "负责人历史赢单率（%）", "owner wins {v}% of deals",
     "负责人历史赢单率 {v}%", "", "", "pct"},
    {"signal_sentiment_30d", false, "Mean sentiment of news/social signals about the customer, last 30 days (-1…1)",
     "近30天客户外部舆情均值（-1…1）", "customer news sentiment {v}", "客户近30天舆情 {v}", "", "", "2dp"},
    {"negative_signals_30d", false, "Negative signals about the customer, last 30 days", "近30天客户负面舆情数",
     "{v} negative news items in 30 days", "近30天负面舆情 {v} 条", "", "", "int"},
    {"engagement_trend", false, "Activities in the last 14 days minus the 14 days before", "近14天活动数较前14天的变化",
     "engagement trend {v} vs the previous two weeks", "跟进次数较前两周变化 {v}", "", "", "signed"},
    {"stage_velocity", false, "Stage changes per 30 days open", "每30天阶段推进次数", "{v} stage moves per month",
     "每月推进 {v} 个阶段", "", "", "1dp"},
    {"region", true, "Customer region", "客户所在大区", "region {v}", "大区：{v}", "", "", "text"},
    {"customer_orders_365d", false, "The customer's paid orders in the year before", "客户近一年订单数",
     "{v} orders from the customer in the last year", "客户近一年下单 {v} 次", "", "", "int"},
    {"customer_discount_pct", false, "Discount the customer got on its orders of the year before (%)", "客户近一年平均折扣率（%）",
     "customer's usual discount {v}%", "客户近一年折扣率 {v}%", "no orders yet", "尚无订单", "1dp"},
    {"discount_pct", false, "Discount offered on this deal (%)", "本单折扣（%）", "{v}% discount offered",
     "本单折扣 {v}%", "no discount offered yet", "尚未给出折扣", "1dp"},
};

// Fixed levels of enum features (the rest are learned from the data).
const std::map<std::string, std::vector<std::string>> kLeadLevels = {
    {"source", {"website", "exhibition", "referral", "hotline", "wechat", "partner", "advertising", "store_walk_in", "tender"}},
    {"channel", {"online", "offline", "partner"}},
    {"status", {"new", "working", "qualified"}},
};
const std::map<std::string, std::vector<std::string>> kDealLevels = {
    {"stage", {"prospecting", "qualification", "proposal", "negotiation"}},
};

// Chinese names of enum values shown in reasons.
const std::map<std::string, std::string> kZhValues = {
    {"website", "官网"}, {"exhibition", "展会"}, {"referral", "转介绍"}, {"hotline", "热线"}, {"wechat", "微信"},
    {"partner", "合作伙伴"}, {"advertising", "广告"}, {"store_walk_in", "门店进店"}, {"tender", "招标"},
    {"online", "线上"}, {"offline", "线下"}, {"new", "新建"}, {"working", "跟进中"}, {"qualified", "已确认"},
    {"prospecting", "初步接洽"}, {"qualification", "需求确认"}, {"proposal", "方案报价"}, {"negotiation", "商务谈判"},
    {"existing_account", "老客户"}, {"key_account", "重点客户"}, {"enterprise", "企业"}, {"smb", "中小企业"},
    {"retail", "零售"}, {"dealer", "经销商"}, {"vip", "VIP"},
    {"hotel", "酒店"}, {"real_estate", "地产"}, {"education", "教育"}, {"healthcare", "医疗"}, {"government", "政府"},
    {"manufacturing", "制造"}, {"office", "写字楼"}, {"retail_chain", "连锁零售"},
};

std::string FormatValue(double v, const std::string& unit) {
  char buf[64];
  std::string u = unit;
  if (u == "int") std::snprintf(buf, sizeof buf, "%.0f", v);
  else if (u == "signed") std::snprintf(buf, sizeof buf, "%+.0f", v);
  else if (u == "pct") std::snprintf(buf, sizeof buf, "%.0f", v);
  else if (u == "2dp") std::snprintf(buf, sizeof buf, "%.2f", v);
  else if (u == "money") {
    if (std::fabs(v) >= 10000) std::snprintf(buf, sizeof buf, "%.1f万", v / 10000);
    else std::snprintf(buf, sizeof buf, "%.0f", v);
  } else if (std::fabs(v) >= 10) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f", v);
    std::string s = buf;
    if (s.size() > 2 && s.substr(s.size() - 2) == ".0") s.resize(s.size() - 2);
    return s;
  }
  return buf;
}

std::string Fill(const std::string& tpl, const std::string& v) {
  std::string out = tpl;
  size_t at = out.find("{v}");
  if (at != std::string::npos) out.replace(at, 3, v);
  return out;
}

}  // namespace

std::string ZhValue(const std::string& v) {
  auto it = kZhValues.find(v);
  return it == kZhValues.end() ? v : it->second;
}

const char* TargetName(Target t) { return t == Target::kLead ? "lead" : "opportunity"; }

bool ParseTarget(std::string_view s, Target* out) {
  if (s == "lead" || s == "leads") *out = Target::kLead;
  else if (s == "opportunity" || s == "opportunities" || s == "deal" || s == "deals") *out = Target::kOpportunity;
  else return false;
  return true;
}

const std::vector<FeatureDef>& FeatureDefs(Target t) { return t == Target::kLead ? kLeadFeatures : kOpportunityFeatures; }

std::string CustomFeature::FeatureName(Target t) const {
  return (t == Target::kOpportunity && entity == "customers" ? "customer.custom." : "custom.") + name;
}

FeatureDef CustomFeature::Def(Target t) const {
  FeatureDef d;
  d.name = FeatureName(t);
  d.categorical = type == "enum";
  bool customer = t == Target::kOpportunity && entity == "customers";
  std::string en = (customer ? "Customer's " : "") + label_en, zh = (customer ? "客户" : "") + label;
  d.en = en + " (custom field)";
  d.zh = zh + "（自定义字段）";
  d.missing_en = en + ": not filled in";
  d.missing_zh = zh + "：未填写";
  if (type == "date") {
    d.phrase_en = en + " in {v} days";
    d.phrase_zh = zh + "距今 {v} 天";
    d.unit = "1dp";
  } else if (type == "bool") {
    d.phrase_en = en + ": {v}";
    d.phrase_zh = zh + "：{v}";
    d.unit = "yesno";
  } else {
    d.phrase_en = en + ": {v}";
    d.phrase_zh = zh + "：{v}";
    d.unit = type == "money" ? "money" : type == "int" ? "int" : type == "enum" ? "text" : "1dp";
  }
  return d;
}

Result<std::vector<CustomFeature>> LoadCustomFeatures(store::Connection& conn, int64_t tenant, Target t) {
  KEEL_ASSIGN_OR_RETURN(auto defs, domain::LoadAllCustomFields(conn, tenant));
  std::vector<CustomFeature> out;
  for (const auto& d : defs) {
    bool own = d.entity == (t == Target::kLead ? "leads" : "opportunities");
    bool customer = t == Target::kOpportunity && d.entity == "customers";
    if (!d.ai_feature || (!own && !customer)) continue;
    if (!d.numeric() && d.type != "bool" && d.type != "enum" && d.type != "date") continue;
    out.push_back({d.entity, d.name, d.type, d.label, d.label_en, d.values});
  }
  // The record's own fields first, then the customer's; by name within each.
  std::stable_sort(out.begin(), out.end(), [](const CustomFeature& a, const CustomFeature& b) {
    return a.entity != b.entity ? a.entity != "customers" : a.name < b.name;
  });
  return out;
}

size_t FeatureSpec::columns() const {
  size_t n = 0;
  for (size_t f = 0; f < defs_.size(); ++f) n += defs_[f].categorical ? levels[f].size() : 1;
  return n;
}

std::vector<int> FeatureSpec::column_feature() const {
  std::vector<int> out;
  for (size_t f = 0; f < defs_.size(); ++f) {
    size_t n = defs_[f].categorical ? levels[f].size() : 1;
    for (size_t i = 0; i < n; ++i) out.push_back(static_cast<int>(f));
  }
  return out;
}

void FeatureSpec::Encode(const RawFeatures& raw, float* row) const {
  size_t c = 0;
  for (size_t f = 0; f < defs_.size(); ++f) {
    if (!defs_[f].categorical) {
      row[c++] = f < raw.num.size() ? static_cast<float>(raw.num[f]) : NAN;
      continue;
    }
    const std::string& v = f < raw.text.size() ? raw.text[f] : std::string();
    size_t n = levels[f].size();
    if (v.empty()) {
      for (size_t i = 0; i < n; ++i) row[c + i] = NAN;
    } else {
      // A few levels: comparing is cheaper than hashing the string.
      if (n <= 16 || f >= level_index.size()) {
        for (size_t i = 0; i < n; ++i) row[c + i] = v == levels[f][i] ? 1.0f : 0.0f;
      } else {
        for (size_t i = 0; i < n; ++i) row[c + i] = 0.0f;
        if (auto it = level_index[f].find(v); it != level_index[f].end()) row[c + it->second] = 1.0f;
      }
    }
    c += n;
  }
}

void FeatureSpec::EncodeBatch(const RawFeatures* const* rows, size_t n, float* out) const {
  const size_t cols = columns();
  auto run = [&](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) Encode(*rows[i], out + i * cols);
  };
  size_t threads = std::min<size_t>(std::max(1u, std::thread::hardware_concurrency()), 8);
  if (n < 4096 || threads < 2) {
    run(0, n);
    return;
  }
  std::vector<std::thread> pool;
  size_t per = (n + threads - 1) / threads;
  for (size_t t = 1; t < threads && t * per < n; ++t) pool.emplace_back(run, t * per, std::min(n, (t + 1) * per));
  run(0, std::min(n, per));
  for (auto& th : pool) th.join();
}

void FeatureSpec::Index() {
  defs_ = FeatureDefs(target);
  for (const auto& c : custom) defs_.push_back(c.Def(target));
  levels.resize(defs_.size());
  level_index.assign(levels.size(), {});
  for (size_t f = 0; f < levels.size(); ++f) {
    for (size_t i = 0; i < levels[f].size(); ++i) level_index[f][levels[f][i]] = i;
  }
}

json FeatureSpec::ToJson() const {
  json lv = json::object();
  for (size_t f = 0; f < defs_.size(); ++f) {
    if (defs_[f].categorical) lv[defs_[f].name] = levels[f];
  }
  json cj = json::array();
  for (const auto& c : custom) {
    cj.push_back({{"entity", c.entity}, {"name", c.name}, {"type", c.type}, {"label", c.label}, {"label_en", c.label_en},
                  {"values", c.values}});
  }
  return {{"target", TargetName(target)}, {"version", version}, {"levels", lv}, {"custom", cj}};
}

Result<FeatureSpec> FeatureSpec::FromJson(const json& j) {
  FeatureSpec s;
  if (!j.is_object() || !j.contains("target") || !ParseTarget(j["target"].get<std::string>(), &s.target)) {
    return Status::Internal("feature spec without a target");
  }
  s.version = j.value("version", 0);
  if (s.version != kFeatureVersion) {
    return Status::Error(ErrorKind::kConflict, "ai.feature_version",
                         "the model was trained on feature version " + std::to_string(s.version) + "; retrain it",
                         "模型基于第 " + std::to_string(s.version) + " 版特征训练，请重新训练");
  }
  if (j.contains("custom") && j["custom"].is_array()) {
    for (const auto& c : j["custom"]) {
      s.custom.push_back({c.value("entity", ""), c.value("name", ""), c.value("type", ""), c.value("label", ""),
                          c.value("label_en", ""), c.value("values", std::vector<std::string>())});
    }
  }
  s.Index();
  for (size_t f = 0; f < s.defs_.size(); ++f) {
    if (s.defs_[f].categorical && j["levels"].contains(s.defs_[f].name)) {
      s.levels[f] = j["levels"][s.defs_[f].name].get<std::vector<std::string>>();
    }
  }
  s.Index();
  return s;
}

FeatureSpec FitSpec(Target t, const std::vector<Example>& examples, const std::vector<CustomFeature>& custom) {
  FeatureSpec s;
  s.target = t;
  s.custom = custom;
  s.Index();
  const auto& defs = s.defs();
  const auto& fixed = t == Target::kLead ? kLeadLevels : kDealLevels;
  const size_t builtin = FeatureDefs(t).size();
  for (size_t f = 0; f < defs.size(); ++f) {
    if (!defs[f].categorical) continue;
    if (f >= builtin) {
      s.levels[f] = custom[f - builtin].values;
      continue;
    }
    if (auto it = fixed.find(defs[f].name); it != fixed.end()) {
      s.levels[f] = it->second;
      continue;
    }
    std::unordered_map<std::string, double> counts;
    for (const auto& e : examples) {
      if (!e.f.text[f].empty()) counts[e.f.text[f]] += e.weight;
    }
    std::vector<std::pair<std::string, double>> sorted(counts.begin(), counts.end());
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
    for (const auto& [v, n] : sorted) {
      if (n < 10 || s.levels[f].size() >= 30) break;
      s.levels[f].push_back(v);
    }
  }
  s.Index();
  return s;
}

std::string Phrase(const FeatureSpec& spec, size_t f, const RawFeatures& raw, const std::string& lang) {
  const FeatureDef& d = spec.defs()[f];
  bool zh = lang != "en";
  if (d.categorical) {
    std::string v = raw.text[f];
    if (v.empty()) return "";
    if (zh) v = ZhValue(v);
    return Fill(zh ? d.phrase_zh : d.phrase_en, v);
  }
  double v = raw.num[f];
  if (std::isnan(v)) return zh ? d.missing_zh : d.missing_en;
  const std::string& unit = d.unit;
  if (unit == "connected") return zh ? (v > 0.5 ? "首次电话已接通" : "首次电话未接通") : (v > 0.5 ? "first call connected" : "first call not answered");
  if (unit == "company") return zh ? (v > 0.5 ? "企业客户" : "个人客户") : (v > 0.5 ? "a company" : "a private person");
  if (unit == "yesno") return Fill(zh ? d.phrase_zh : d.phrase_en, zh ? (v > 0.5 ? "是" : "否") : (v > 0.5 ? "yes" : "no"));
  return Fill(zh ? d.phrase_zh : d.phrase_en, FormatValue(v, d.unit));
}

}  // namespace keel::ai
