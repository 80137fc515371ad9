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

TimeMs TimeOf(const Value& v) {
  if (store::IsNull(v)) return 0;
  auto t = ParseTimestamp(store::AsText(v));
  return t.ok() ? *t : 0;
}

TimeMs DateOf(const Value& v) {
  if (store::IsNull(v)) return 0;
  auto d = ParseDate(store::AsText(v).substr(0, 10));
  return d.ok() ? *d * kDayMs : 0;
}

json ParseObject(const Value& v) {
  if (store::IsNull(v)) return json::object();
  json j = json::parse(store::AsText(v), nullptr, false);
  return j.is_object() ? j : json::object();
}

// "tenant_id = ? AND col IN (?, …)" over chunks of ids; calls `run` per chunk.
template <typename F>
Status ForChunks(const std::vector<int64_t>& ids, F run) {
  if (ids.empty()) return run(std::string(), std::vector<Value>());
  for (size_t from = 0; from < ids.size(); from += 400) {
    size_t n = std::min<size_t>(400, ids.size() - from);
    std::string in = " IN (?";
    std::vector<Value> params = {ids[from]};
    for (size_t i = 1; i < n; ++i) {
      in += ", ?";
      params.emplace_back(ids[from + i]);
    }
    KEEL_RETURN_IF_ERROR(run(in + ")", params));
  }
  return Status();
}

// Touches in person or with substance: what "visits" counts.
// Activities in [t-14d, t) minus those in [t-28d, t-14d).
double Trend(const std::vector<History::Activity>& acts, TimeMs t) {
  double recent = 0, before = 0;
  for (const auto& a : acts) {
    if (a.at >= t) break;
    if (a.at >= t - 14 * kDayMs) recent += 1;
    else if (a.at >= t - 28 * kDayMs) before += 1;
  }
  return recent - before;
}

bool IsVisit(const std::string& k) { return k == "visit" || k == "meeting" || k == "demo" || k == "proposal"; }

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

Result<History> History::Load(store::Connection& conn, int64_t tenant, Target target, const std::vector<int64_t>& ids,
                              std::shared_ptr<const OwnerOutcomes> owners, const std::vector<CustomFeature>* custom) {
  History h;
  h.target_ = target;
  bool lead = target == Target::kLead;
  if (custom) {
    h.custom_ = *custom;
  } else {
    KEEL_ASSIGN_OR_RETURN(h.custom_, LoadCustomFeatures(conn, tenant, target));
  }
  bool customer_custom = std::any_of(h.custom_.begin(), h.custom_.end(), [](const CustomFeature& c) { return c.entity == "customers"; });
  // The records.
  KEEL_RETURN_IF_ERROR(ForChunks(ids, [&](const std::string& in, std::vector<Value> params) -> Status {
    params.insert(params.begin(), Value(tenant));
    std::string sql = lead ? "SELECT id, owner_id, unit_id, customer_id, source, channel, region, company, status, created_at, "
                             "first_response_at, converted_at, archived_at, updated_at, custom FROM leads WHERE tenant_id = ?"
                           : "SELECT o.id, o.owner_id, o.unit_id, o.customer_id, o.source, o.product_category, o.amount, "
                             "o.stage, o.outcome, o.created_at, o.closed_at, o.archived_at, o.expected_close, c.segment, "
                             "c.industry, c.region, o.discount_pct, o.custom FROM opportunities o LEFT JOIN customers c ON c.tenant_id = o.tenant_id "
                             "AND c.id = o.customer_id WHERE o.tenant_id = ?";
    if (!in.empty()) sql += lead ? " AND id" + in : " AND o.id" + in;
    KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(sql, params));
    for (const auto& r : rows.rows) {
      Record rec;
      rec.id = store::AsInt(r[0]);
      rec.owner = store::AsInt(r[1]);
      rec.unit = store::AsInt(r[2]);
      rec.customer = store::AsInt(r[3]);
      rec.source = store::AsText(r[4]);
      if (lead) {
        rec.channel = store::AsText(r[5]);
        rec.region = store::AsText(r[6]);
        rec.company = store::AsText(r[7]);
        std::string status = store::AsText(r[8]);
        rec.created = TimeOf(r[9]);
        rec.first_response = TimeOf(r[10]);
        rec.archived = !store::IsNull(r[12]);
        if (status == "converted") {
          rec.resolved = TimeOf(r[11]);
          rec.success = true;
        } else if (status == "disqualified") {
          rec.resolved = TimeOf(r[13]);  // refined from the audit trail below
        }
        rec.stage = status;
        rec.custom = ParseObject(r[14]);
      } else {
        rec.category = store::AsText(r[5]);
        rec.amount = static_cast<double>(store::AsInt(r[6])) / 100.0;
        rec.stage = store::AsText(r[7]);
        std::string outcome = store::AsText(r[8]);
        rec.created = TimeOf(r[9]);
        if (outcome == "won" || outcome == "lost") {
          rec.resolved = TimeOf(r[10]);
          rec.success = outcome == "won";
        }
        rec.archived = !store::IsNull(r[11]);
        rec.expected_close = DateOf(r[12]);
        rec.segment = store::AsText(r[13]);
        rec.industry = store::AsText(r[14]);
        rec.region = store::AsText(r[15]);
        if (!store::IsNull(r[16])) rec.discount_pct = store::AsDouble(r[16]);
        rec.custom = ParseObject(r[17]);
      }
      h.records_[rec.id] = std::move(rec);
    }
    return Status();
  }));
  std::vector<int64_t> have;
  for (const auto& [id, r] : h.records_) have.push_back(id);
  if (have.empty()) return h;
  const std::vector<int64_t>& scope = ids.empty() ? std::vector<int64_t>() : have;
  // Status and close-date history from the audit trail (business times).
  KEEL_RETURN_IF_ERROR(ForChunks(scope, [&](const std::string& in, std::vector<Value> params) -> Status {
    params.insert(params.begin(), {Value(tenant), Value(std::string(lead ? "leads" : "opportunities"))});
    std::string sql = "SELECT entity_id, at, before, after FROM audit_log WHERE tenant_id = ? AND entity = ? AND action = 'update'";
    if (!in.empty()) sql += " AND entity_id" + in;
    KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(sql + " ORDER BY at, id", params));
    for (const auto& r : rows.rows) {
      auto it = h.records_.find(store::AsInt(r[0]));
      if (it == h.records_.end()) continue;
      json before = json::parse(store::AsText(r[2]), nullptr, false), after = json::parse(store::AsText(r[3]), nullptr, false);
      if (!before.is_object() || !after.is_object()) continue;
      TimeMs at = TimeOf(r[1]);
      Record& rec = it->second;
      if (lead) {
        std::string from = before.value("status", ""), to = after.value("status", "");
        if (from != to && after["status"].is_string()) {
          rec.stages.push_back({at, to});
          // Resolved by the last move to disqualified, and only if it still is (a reopened lead is open).
          if (to == "disqualified" && rec.stage == "disqualified") rec.resolved = at;
        }
      } else if (before.contains("expected_close") && after.contains("expected_close") && before["expected_close"] != after["expected_close"]) {
        TimeMs prev = before["expected_close"].is_string() ? DateOf(Value(before["expected_close"].get<std::string>())) : 0;
        rec.close_changes.push_back({at, prev});
      }
      if (!lead && before.contains("discount_pct") && after.contains("discount_pct") && before["discount_pct"] != after["discount_pct"]) {
        rec.discount_changes.push_back({at, before["discount_pct"].is_number() ? before["discount_pct"].get<double>() : NAN});
      }
      if (before.contains("custom") && after.contains("custom") && before["custom"] != after["custom"]) {
        rec.custom_changes.push_back({at, before["custom"].is_object() ? before["custom"] : json::object()});
      }
    }
    return Status();
  }));
  if (!lead) {
    KEEL_RETURN_IF_ERROR(ForChunks(scope, [&](const std::string& in, std::vector<Value> params) -> Status {
      params.insert(params.begin(), Value(tenant));
      std::string sql = "SELECT opportunity_id, changed_at, to_stage, amount FROM opportunity_stage_history WHERE tenant_id = ?";
      if (!in.empty()) sql += " AND opportunity_id" + in;
      KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(sql, params));
      for (const auto& r : rows.rows) {
        auto it = h.records_.find(store::AsInt(r[0]));
        if (it == h.records_.end()) continue;
        it->second.stages.push_back({TimeOf(r[1]), store::AsText(r[2])});
        if (!store::IsNull(r[3])) it->second.amounts.push_back({TimeOf(r[1]), store::AsDouble(r[3]) / 100.0});
      }
      return Status();
    }));
  }
  // Activities on the records.
  const char* key = lead ? "lead_id" : "opportunity_id";
  KEEL_RETURN_IF_ERROR(ForChunks(scope, [&](const std::string& in, std::vector<Value> params) -> Status {
    params.insert(params.begin(), Value(tenant));
    std::string sql = std::string("SELECT ") + key + ", occurred_at, kind, outcome, duration_min, created_at FROM activities WHERE tenant_id = ? AND " +
                      key + (in.empty() ? " IS NOT NULL" : in) + " AND archived_at IS NULL";
    KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(sql, params));
    for (const auto& r : rows.rows) {
      auto it = h.records_.find(store::AsInt(r[0]));
      if (it == h.records_.end()) continue;
      // Known from when it happened and was recorded, whichever is later (a visit logged a week late
      // was not known before).
      it->second.activities.push_back({std::max(TimeOf(r[1]), TimeOf(r[5])), store::AsText(r[2]), store::AsText(r[3]), store::AsInt(r[4])});
    }
    return Status();
  }));
  // Signals about the deals' customers.
  if (!lead) {
    std::set<int64_t> customers;
    for (const auto& [id, r] : h.records_) {
      if (r.customer) customers.insert(r.customer);
    }
    std::vector<int64_t> cs(customers.begin(), customers.end());
    KEEL_RETURN_IF_ERROR(ForChunks(ids.empty() ? std::vector<int64_t>() : cs, [&](const std::string& in, std::vector<Value> params) -> Status {
      params.insert(params.begin(), Value(tenant));
      std::string sql = "SELECT customer_id, occurred_at, sentiment FROM signals WHERE tenant_id = ? AND sentiment IS NOT NULL AND customer_id" +
                        (in.empty() ? std::string(" IS NOT NULL") : in);
      KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(sql, params));
      for (const auto& r : rows.rows) h.signals_[store::AsInt(r[0])].push_back({TimeOf(r[1]), store::AsDouble(r[2])});
      return Status();
    }));
    for (auto& [c, list] : h.signals_) std::sort(list.begin(), list.end(), [](const Signal& a, const Signal& b) { return a.at < b.at; });
    // The deals' customers' paid orders (their size and the discounts they got).
    if (!cs.empty()) {
      KEEL_RETURN_IF_ERROR(ForChunks(cs, [&](const std::string& in, std::vector<Value> params) -> Status {
        params.insert(params.begin(), Value(tenant));
        // Refunded orders were paid when they counted; known from when they were placed and recorded.
        KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
            "SELECT customer_id, ordered_at, total, discount_total, created_at FROM orders WHERE tenant_id = ? AND "
            "status IN ('paid', 'refunded') AND customer_id" + in,
            params));
        for (const auto& r : rows.rows) {
          h.purchases_[store::AsInt(r[0])].push_back(
              {std::max(TimeOf(r[1]), TimeOf(r[4])), store::AsDouble(r[2]) / 100.0, store::AsDouble(r[3]) / 100.0});
        }
        return Status();
      }));
    }
    for (auto& [c, list] : h.purchases_) std::sort(list.begin(), list.end(), [](const Purchase& a, const Purchase& b) { return a.at < b.at; });
    // The customers' custom fields, current and as they were changed.
    if (customer_custom && !cs.empty()) {
      const std::vector<int64_t>& only = ids.empty() ? std::vector<int64_t>() : cs;
      KEEL_RETURN_IF_ERROR(ForChunks(only, [&](const std::string& in, std::vector<Value> params) -> Status {
        params.insert(params.begin(), Value(tenant));
        KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
            "SELECT id, custom FROM customers WHERE tenant_id = ? AND custom IS NOT NULL" + (in.empty() ? std::string() : " AND id" + in),
            params));
        for (const auto& r : rows.rows) h.customer_custom_[store::AsInt(r[0])].current = ParseObject(r[1]);
        params.insert(params.begin() + 1, Value(std::string("customers")));
        KEEL_ASSIGN_OR_RETURN(store::Rows changes, conn.Query(
            "SELECT entity_id, at, before, after FROM audit_log WHERE tenant_id = ? AND entity = ? AND action = 'update'" +
                (in.empty() ? std::string() : " AND entity_id" + in) + " ORDER BY at, id",
            params));
        for (const auto& r : changes.rows) {
          json before = json::parse(store::AsText(r[2]), nullptr, false), after = json::parse(store::AsText(r[3]), nullptr, false);
          if (!before.is_object() || !after.is_object() || !before.contains("custom") || before["custom"] == after["custom"]) continue;
          h.customer_custom_[store::AsInt(r[0])].changes.push_back(
              {TimeOf(r[1]), before["custom"].is_object() ? before["custom"] : json::object()});
        }
        return Status();
      }));
    }
  }
  for (auto& [id, r] : h.records_) {
    std::sort(r.activities.begin(), r.activities.end(), [](const Activity& a, const Activity& b) { return a.at < b.at; });
    std::stable_sort(r.stages.begin(), r.stages.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::stable_sort(r.close_changes.begin(), r.close_changes.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::stable_sort(r.amounts.begin(), r.amounts.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::stable_sort(r.discount_changes.begin(), r.discount_changes.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::stable_sort(r.custom_changes.begin(), r.custom_changes.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  }
  // Owners' past outcomes: from the records themselves on a full load (exact resolution times),
  // else from the cache the caller passed, else from the tables.
  if (ids.empty()) {
    auto o = std::make_shared<OwnerOutcomes>();
    for (const auto& [id, r] : h.records_) {
      if (r.resolved) o->by_owner[r.owner].push_back({r.resolved, r.success});
    }
    for (auto& [owner, list] : o->by_owner) {
      std::sort(list.begin(), list.end());
      o->all.insert(o->all.end(), list.begin(), list.end());
    }
    std::sort(o->all.begin(), o->all.end());
    h.owners_ = std::move(o);
  } else if (owners) {
    h.owners_ = std::move(owners);
  } else {
    KEEL_ASSIGN_OR_RETURN(h.owners_, OwnerOutcomes::Load(conn, tenant, target));
  }
  return h;
}

Result<std::shared_ptr<const OwnerOutcomes>> OwnerOutcomes::Load(store::Connection& conn, int64_t tenant, Target target) {
  auto o = std::make_shared<OwnerOutcomes>();
  Value p[] = {tenant};
  KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn.Query(
      target == Target::kLead
          ? "SELECT owner_id, CASE WHEN status = 'converted' THEN 1 ELSE 0 END, COALESCE(converted_at, updated_at) FROM leads WHERE tenant_id = ? AND "
            "status IN ('converted', 'disqualified')"
          : "SELECT owner_id, CASE WHEN outcome = 'won' THEN 1 ELSE 0 END, closed_at FROM opportunities WHERE tenant_id = ? AND outcome IN ('won', 'lost')",
      p));
  for (const auto& r : rows.rows) o->by_owner[store::AsInt(r[0])].push_back({TimeOf(r[2]), store::AsInt(r[1]) != 0});
  for (auto& [owner, list] : o->by_owner) {
    std::sort(list.begin(), list.end());
    o->all.insert(o->all.end(), list.begin(), list.end());
  }
  std::sort(o->all.begin(), o->all.end());
  return std::shared_ptr<const OwnerOutcomes>(std::move(o));
}

double History::OwnerRate(int64_t owner, TimeMs t) const {
  // Successes / outcomes before t, shrunk toward the tenant's rate before t (20 pseudo-outcomes).
  auto before = [t](const std::vector<std::pair<TimeMs, bool>>& list, double* n, double* s) {
    *n = *s = 0;
    for (const auto& [at, ok] : list) {
      if (at >= t) break;
      *n += 1;
      *s += ok ? 1 : 0;
    }
  };
  double an = 0, as = 0, n = 0, s = 0;
  if (owners_) {
    before(owners_->all, &an, &as);
    if (auto it = owners_->by_owner.find(owner); it != owners_->by_owner.end()) before(it->second, &n, &s);
  }
  double prior = an > 0 ? as / an : 0.2;
  return 100.0 * (s + 20 * prior) / (n + 20);
}

void History::LeadFeatures(const Record& r, TimeMs t, RawFeatures* out) const {
  const auto& defs = kLeadFeatures;
  out->num.assign(defs.size() + custom_.size(), NAN);
  out->text.assign(defs.size() + custom_.size(), "");
  out->text[0] = r.source;
  out->text[1] = r.channel;
  out->text[2] = r.region;
  std::string status = "new";
  for (const auto& [at, s] : r.stages) {
    if (at < t) status = s;
  }
  if (r.first_response && r.first_response < t && status == "new") status = "working";
  out->text[3] = status == "converted" || status == "disqualified" ? "" : status;
  out->num[4] = static_cast<double>(t - r.created) / kDayMs;
  if (r.first_response && r.first_response < t) out->num[5] = static_cast<double>(r.first_response - r.created) / kHourMs;
  double calls = 0, connected = 0, visits = 0, recent = 0;
  TimeMs last = 0;
  bool first_call_seen = false;
  for (const auto& a : r.activities) {
    if (a.at >= t) break;
    if (a.kind == "call") {
      if (!first_call_seen) {
        out->num[6] = a.outcome == "connected" ? 1 : 0;
        first_call_seen = true;
      }
      calls += 1;
      connected += a.outcome == "connected" ? 1 : 0;
    }
    if (IsVisit(a.kind)) visits += 1;
    if (a.at >= t - 7 * kDayMs) recent += 1;
    last = a.at;
  }
  out->num[7] = calls;
  out->num[8] = connected;
  out->num[9] = visits;
  out->num[10] = recent;
  if (last) out->num[11] = static_cast<double>(t - last) / kDayMs;
  out->num[12] = OwnerRate(r.owner, t);
  out->num[13] = r.company.empty() ? 0 : 1;
  out->num[14] = Trend(r.activities, t);
}

void History::DealFeatures(const Record& r, TimeMs t, RawFeatures* out) const {
  const auto& defs = kOpportunityFeatures;
  out->num.assign(defs.size() + custom_.size(), NAN);
  out->text.assign(defs.size() + custom_.size(), "");
  out->num[0] = r.amount;  // the amount as it stood at t (stage history), else the current one
  for (const auto& [at, amount] : r.amounts) {
    if (at >= t) break;
    out->num[0] = amount;
  }
  out->text[1] = r.category;
  out->text[2] = r.source;
  std::string stage = "prospecting";
  TimeMs entered = r.created;
  double moves = 0;
  for (const auto& [at, s] : r.stages) {
    if (at >= t) break;
    if (at > r.created + 1000) moves += 1;  // the entry written on creation is not a move
    stage = s;
    entered = std::max(entered, at);
  }
  out->text[3] = stage == "won" || stage == "lost" ? "" : stage;
  out->num[4] = static_cast<double>(t - entered) / kDayMs;
  out->num[5] = static_cast<double>(t - r.created) / kDayMs;
  out->num[6] = moves;
  double visits = 0, recent = 0, total = 0;
  TimeMs last = 0;
  for (const auto& a : r.activities) {
    if (a.at >= t) break;
    total += 1;
    if (a.at >= t - 30 * kDayMs) {
      recent += 1;
      if (IsVisit(a.kind)) visits += 1;
    }
    last = a.at;
  }
  out->num[7] = visits;
  out->num[8] = recent;
  out->num[9] = total;
  if (last) out->num[10] = static_cast<double>(t - last) / kDayMs;
  // The expected close date as it stood at t, and how often it had been pushed back by then.
  TimeMs close = r.expected_close;
  double slips = 0;
  for (size_t i = 0; i < r.close_changes.size(); ++i) {
    const auto& [at, prev] = r.close_changes[i];
    TimeMs next = i + 1 < r.close_changes.size() ? r.close_changes[i + 1].second : r.expected_close;
    if (at >= t) {
      close = prev;
      break;
    }
    if (prev && next > prev) slips += 1;
  }
  out->num[11] = slips;
  if (close) out->num[12] = static_cast<double>(close - t) / kDayMs;
  out->text[13] = r.segment;
  out->text[14] = r.industry;
  out->num[15] = OwnerRate(r.owner, t);
  double sum = 0, n = 0, negative = 0;
  if (auto it = signals_.find(r.customer); it != signals_.end()) {
    for (const auto& s : it->second) {
      if (s.at >= t) break;
      if (s.at < t - 30 * kDayMs) continue;
      sum += s.sentiment;
      n += 1;
      negative += s.sentiment <= -0.3 ? 1 : 0;
    }
  }
  if (n > 0) out->num[16] = sum / n;
  out->num[17] = negative;
  out->num[18] = Trend(r.activities, t);
  out->num[19] = moves / std::max(1.0, out->num[5]) * 30;
  out->text[20] = r.region;
  double orders = 0, spent = 0, discount = 0;
  if (auto it = purchases_.find(r.customer); it != purchases_.end()) {
    for (const auto& o : it->second) {
      if (o.at >= t) break;
      if (o.at < t - 365 * kDayMs) continue;
      orders += 1;
      spent += o.total;
      discount += o.discount;
    }
  }
  out->num[21] = orders;
  if (orders > 0 && spent + discount > 0) out->num[22] = 100.0 * discount / (spent + discount);
  // The discount offered as it stood at t.
  double offered = r.discount_pct;
  for (const auto& [at, prev] : r.discount_changes) {
    if (at >= t) {
      offered = prev;
      break;
    }
  }
  out->num[23] = offered;
}

// An object as it stood at t: the current one unless a later change replaced it, then the value
// before the first change at or after t.
static const json& AsOf(const json& current, const std::vector<std::pair<TimeMs, json>>& changes, TimeMs t) {
  for (const auto& [at, before] : changes) {
    if (at >= t) return before;
  }
  return current;
}

void History::CustomFeatures(const Record& r, TimeMs t, RawFeatures* out) const {
  const size_t base = FeatureDefs(target_).size();
  static const json kEmpty = json::object();
  for (size_t i = 0; i < custom_.size(); ++i) {
    const CustomFeature& c = custom_[i];
    const json* obj = &kEmpty;
    if (c.entity == "customers" && target_ == Target::kOpportunity) {
      if (auto it = customer_custom_.find(r.customer); it != customer_custom_.end()) obj = &AsOf(it->second.current, it->second.changes, t);
    } else {
      obj = &AsOf(r.custom, r.custom_changes, t);
    }
    if (!obj->is_object() || !obj->contains(c.name)) continue;
    const json& v = (*obj)[c.name];
    size_t f = base + i;
    if (c.type == "enum" && v.is_string()) out->text[f] = v.get<std::string>();
    else if (c.type == "bool" && v.is_boolean()) out->num[f] = v.get<bool>() ? 1 : 0;
    else if (v.is_number()) out->num[f] = v.get<double>();
    else if (c.type == "date" && v.is_string()) {
      TimeMs d = DateOf(Value(v.get<std::string>()));
      if (d) out->num[f] = static_cast<double>(d - t) / kDayMs;
    }
  }
}

bool History::At(int64_t id, TimeMs t, RawFeatures* out) const {
  auto it = records_.find(id);
  if (it == records_.end()) return false;
  if (target_ == Target::kLead) LeadFeatures(it->second, t, out);
  else DealFeatures(it->second, t, out);
  CustomFeatures(it->second, t, out);
  return true;
}

std::vector<Example> History::TrainingExamples() const {
  static const double kLeadAges[] = {0.25, 1, 3, 7, 14, 30};
  static const double kDealAges[] = {1, 7, 21, 45, 90};
  std::vector<Example> out;
  for (const auto& [id, r] : records_) {
    if (!r.resolved || !r.created || r.resolved <= r.created) continue;
    std::vector<TimeMs> times;
    if (target_ == Target::kLead) {
      for (double d : kLeadAges) times.push_back(r.created + static_cast<TimeMs>(d * kDayMs));
    } else {
      for (double d : kDealAges) times.push_back(r.created + static_cast<TimeMs>(d * kDayMs));
    }
    // And shortly before the resolution, when the late signals (recent visits) are visible.
    for (double d : {1.0, 5.0, 14.0}) times.push_back(r.resolved - static_cast<TimeMs>(d * kDayMs));
    std::sort(times.begin(), times.end());
    std::vector<TimeMs> keep;
    for (TimeMs t : times) {
      if (t > r.created && t < r.resolved && (keep.empty() || t - keep.back() >= kDayMs / 2)) keep.push_back(t);
    }
    if (keep.empty()) keep.push_back(r.created + (r.resolved - r.created) / 2);
    for (TimeMs t : keep) {
      Example e;
      e.id = id;
      e.at = t;
      e.resolved = r.resolved;
      e.label = r.success ? 1.0f : 0.0f;
      e.weight = 1.0f / static_cast<float>(keep.size());
      At(id, t, &e.f);
      out.push_back(std::move(e));
    }
  }
  return out;
}

std::vector<int64_t> History::OpenIds() const {
  std::vector<int64_t> out;
  for (const auto& [id, r] : records_) {
    if (r.resolved || r.archived) continue;
    if (target_ == Target::kLead && (r.stage == "converted" || r.stage == "disqualified")) continue;
    out.push_back(id);
  }
  return out;
}

int64_t History::OwnerOf(int64_t id) const {
  auto it = records_.find(id);
  return it == records_.end() ? 0 : it->second.owner;
}

double History::AmountOf(int64_t id) const {
  auto it = records_.find(id);
  return it == records_.end() ? 0 : it->second.amount;
}

}  // namespace keel::ai
