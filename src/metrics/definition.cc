#include "metrics/definition.h"

#include <algorithm>
#include <functional>
#include <set>

namespace keel::metrics {
namespace {

using formula::Type;

Status Bad(std::string field, std::string en, std::string zh) {
  return Status::Invalid("metric.invalid", std::move(en), std::move(zh), std::move(field));
}

SourceField F(const char* name, Type t, const char* zh, const char* en) { return {name, t, zh, en}; }

std::vector<SourceInfo> MakeSources() {
  const SourceField at = F("at", Type::kDateTime, "发生时间", "when it happened");
  const SourceField owner = F("owner_id", Type::kNumber, "负责人", "owner (rep)");
  const SourceField unit = F("unit_id", Type::kNumber, "所属单元", "unit");
  const SourceField customer = F("customer_id", Type::kNumber, "客户", "customer");
  const SourceField segment = F("customer_segment", Type::kText, "客户分层", "customer segment");
  const SourceField store = F("store_id", Type::kNumber, "门店", "store");
  std::vector<SourceInfo> s;
  s.push_back({"order", "order.created", "订单/POS 交易", "orders / POS transactions",
               {F("total", Type::kNumber, "订单金额（元）", "order total (yuan)"),
                F("discount_total", Type::kNumber, "折扣金额", "discount total"),
                F("line_count", Type::kNumber, "行数", "number of lines"),
                F("channel", Type::kText, "渠道", "channel"), F("status", Type::kText, "状态", "status"),
                F("code", Type::kText, "订单号", "order number"), store, customer, segment,
                F("member_id", Type::kNumber, "会员", "member"),
                F("promotion_id", Type::kNumber, "促销活动", "promotion"), owner, unit, at},
               {"rep", "unit", "store", "customer", "customer_segment", "channel", "status"}});
  s.push_back({"order_line", "order.created", "订单行", "order lines",
               {F("amount", Type::kNumber, "行金额（元）", "line amount (yuan)"),
                F("qty", Type::kNumber, "数量", "quantity"), F("unit_price", Type::kNumber, "单价", "unit price"),
                F("discount", Type::kNumber, "折扣", "discount"),
                F("cost", Type::kNumber, "成本（数量×单位成本）", "cost of goods (qty × unit cost)"),
                F("margin", Type::kNumber, "毛利（金额−成本）", "gross margin (amount − cost)"),
                F("product_id", Type::kNumber, "产品", "product"), F("sku", Type::kText, "SKU", "SKU"),
                F("category", Type::kText, "品类（二级）", "product category (2nd level)"),
                F("category_path", Type::kText, "品类路径", "category path"),
                F("channel", Type::kText, "渠道", "channel"), F("status", Type::kText, "状态", "status"),
                F("order_id", Type::kNumber, "订单", "order"), store, customer, segment, owner, unit, at},
               {"rep", "unit", "store", "customer", "customer_segment", "channel", "product", "product_category"}});
  s.push_back({"activity", "activity.created", "销售活动（拜访/电话/会议…）", "activities (visits, calls, meetings …)",
               {F("kind", Type::kText, "类型", "kind"), F("subject", Type::kText, "主题", "subject"),
                F("notes", Type::kText, "纪要", "notes"), F("duration_min", Type::kNumber, "时长（分钟）", "duration (minutes)"),
                F("outcome", Type::kText, "结果", "outcome"), F("lead_id", Type::kNumber, "线索", "lead"),
                F("opportunity_id", Type::kNumber, "商机", "opportunity"), customer, segment, store, owner, unit, at},
               {"rep", "unit", "store", "customer", "customer_segment", "kind", "outcome"}});
  s.push_back({"lead", "lead.created", "新线索", "new leads",
               {F("source", Type::kText, "来源", "source"), F("channel", Type::kText, "渠道", "channel"),
                F("status", Type::kText, "状态", "status"), F("geo_region", Type::kText, "客户所在区域", "lead's region"),
                F("city", Type::kText, "城市", "city"), owner, unit, at},
               {"rep", "unit", "source", "channel"}});
  s.push_back({"lead_response", "lead.responded", "线索首次响应", "first responses to leads",
               {F("response_minutes", Type::kNumber, "响应时长（分钟）", "minutes from lead to first response"),
                F("source", Type::kText, "来源", "source"), F("channel", Type::kText, "渠道", "channel"),
                F("lead_id", Type::kNumber, "线索", "lead"), owner, unit, at},
               {"rep", "unit", "source", "channel"}});
  s.push_back({"opportunity", "opportunity.created", "新商机", "new opportunities",
               {F("amount", Type::kNumber, "金额（元）", "amount (yuan)"), F("stage", Type::kText, "阶段", "stage"),
                F("source", Type::kText, "来源", "source"),
                F("product_category", Type::kText, "产品线", "product line"), customer, segment, owner, unit, at},
               {"rep", "unit", "customer", "customer_segment", "source", "product_category"}});
  s.push_back({"stage_change", "opportunity.stage_changed", "商机阶段变化", "opportunity stage changes",
               {F("from", Type::kText, "原阶段", "previous stage"), F("to", Type::kText, "新阶段", "new stage"),
                F("amount", Type::kNumber, "金额（元）", "amount (yuan)"),
                F("opportunity_id", Type::kNumber, "商机", "opportunity"), owner, unit, at},
               {"rep", "unit", "from", "to"}});
  s.push_back({"customer", "customer.created", "新客户", "new customers",
               {F("kind", Type::kText, "类型", "kind"), F("segment", Type::kText, "分层", "segment"),
                F("industry", Type::kText, "行业", "industry"), F("city", Type::kText, "城市", "city"),
                F("source", Type::kText, "来源", "source"), customer, owner, unit, at},
               {"rep", "unit", "customer", "segment", "industry", "source"}});
  s.push_back({"signal", "signal.received", "外部信号（新闻/招标/社媒）", "external signals (news, tenders, social)",
               {F("kind", Type::kText, "类型", "kind"), F("source", Type::kText, "来源", "source"),
                F("title", Type::kText, "标题", "title"), F("sentiment", Type::kNumber, "情感（-1…1）", "sentiment (-1 … 1)"),
                customer, segment, owner, unit, at},
               {"rep", "unit", "customer", "customer_segment", "kind", "source"}});
  return s;
}

bool ValidName(const std::string& n) {
  if (n.empty() || n.size() > 63 || !(n[0] >= 'a' && n[0] <= 'z')) return false;
  return std::all_of(n.begin(), n.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

// A formula error "formula@12" becomes "<key>@12".
Status Relocate(const Status& st, const std::string& key) {
  std::string f = st.field();
  if (f.rfind("formula", 0) == 0) f = key + f.substr(7);
  else f = key;
  return st.WithField(f);
}

Result<std::string> Text(const json& body, const char* key, bool required, size_t max = 200) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) {
    if (required) return Bad(key, std::string(key) + " is required", std::string(key) + " 为必填项");
    return std::string();
  }
  if (!it->is_string()) return Bad(key, std::string(key) + " must be text", std::string(key) + " 必须是文本");
  std::string s = it->get<std::string>();
  if (s.size() > max) return Bad(key, std::string(key) + " is too long", std::string(key) + " 过长");
  return s;
}

Result<std::vector<std::string>> Names(const json& body, const char* key) {
  std::vector<std::string> out;
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return out;
  if (!it->is_array() || it->size() > 32) {
    return Bad(key, std::string(key) + " must be a list of names", std::string(key) + " 必须是名称列表");
  }
  for (size_t i = 0; i < it->size(); ++i) {
    const json& e = (*it)[i];
    if (!e.is_string()) {
      return Bad(std::string(key) + "[" + std::to_string(i) + "]", "must be a name", "必须是名称");
    }
    out.push_back(e.get<std::string>());
  }
  return out;
}

std::vector<formula::FieldInfo> FieldsOf(const SourceInfo& s) {
  std::vector<formula::FieldInfo> out;
  for (const auto& f : s.fields) out.push_back({f.name, f.type});
  return out;
}

}  // namespace

const char* KindName(Kind k) {
  static const char* kNames[] = {"simple", "ratio", "derived", "cumulative"};
  return kNames[static_cast<int>(k)];
}
const char* AggName(Agg a) {
  static const char* kNames[] = {"count", "count_distinct", "sum", "avg", "min", "max"};
  return kNames[static_cast<int>(a)];
}

const std::vector<SourceInfo>& BuiltinSources() {
  static const std::vector<SourceInfo> sources = MakeSources();
  return sources;
}

json MetricDef::ToJson() const {
  json j = {{"name", name}, {"version", version}, {"type", KindName(kind)},
            {"label", {{"zh", label_zh}, {"en", label_en}}}};
  if (!description.empty()) j["description"] = description;
  if (!unit.empty()) j["unit"] = unit;
  switch (kind) {
    case Kind::kSimple:
      j["source"] = source;
      j["agg"] = AggName(agg);
      if (!value.empty()) j["value"] = value;
      if (!filter.empty()) j["filter"] = filter;
      j["dimensions"] = dimensions;
      break;
    case Kind::kRatio:
      j["numerator"] = numerator;
      j["denominator"] = denominator;
      break;
    case Kind::kDerived:
      j["expr"] = expr;
      j["inputs"] = inputs;
      break;
    case Kind::kCumulative:
      j["input"] = input;
      j["to_date"] = all_time ? "all" : GrainName(to_date);
      break;
  }
  if (!target.empty()) j["target"] = target;
  if (owner_id != 0) j["owner_id"] = owner_id;
  j["builtin"] = builtin;
  return j;
}

Result<MetricDef> ParseDefinition(const json& body, const DefinitionLookup& lookup) {
  if (!body.is_object()) return Bad("", "a metric definition must be an object", "指标定义必须是对象");
  static const std::set<std::string> kKeys = {"name", "version", "type", "label", "description", "unit", "source",
                                              "agg", "value", "filter", "dimensions", "grains", "numerator",
                                              "denominator", "expr", "inputs", "input", "to_date", "target",
                                              "owner_id", "builtin", "metric"};
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (!kKeys.count(it.key())) {
      return Bad(it.key(), "unknown key '" + it.key() + "'", "未知的键 '" + it.key() + "'");
    }
  }
  MetricDef d;
  const json* src = &body;
  KEEL_ASSIGN_OR_RETURN(d.name, Text(*src, body.contains("metric") ? "metric" : "name", true, 63));
  if (!ValidName(d.name)) {
    return Bad("name", "a metric name is lower-case letters, digits and _ and starts with a letter",
               "指标名称只能包含小写字母、数字和下划线，并以字母开头");
  }
  if (auto it = body.find("label"); it != body.end()) {
    if (it->is_string()) {
      d.label_zh = d.label_en = it->get<std::string>();
    } else if (it->is_object()) {
      d.label_zh = it->value("zh", "");
      d.label_en = it->value("en", d.label_zh);
      if (d.label_zh.empty()) d.label_zh = d.label_en;
    } else {
      return Bad("label", "label must be text or {zh, en}", "label 必须是文本或 {zh, en}");
    }
  }
  if (d.label_zh.empty()) d.label_zh = d.label_en = d.name;
  KEEL_ASSIGN_OR_RETURN(d.description, Text(body, "description", false, 2000));
  KEEL_ASSIGN_OR_RETURN(d.unit, Text(body, "unit", false, 32));
  KEEL_ASSIGN_OR_RETURN(d.target, Text(body, "target", false, 63));
  KEEL_ASSIGN_OR_RETURN(std::string type, Text(body, "type", false, 32));
  if (type.empty()) type = body.contains("numerator") ? "ratio" : body.contains("expr") ? "derived"
                           : body.contains("input") ? "cumulative" : "simple";
  if (type == "simple") d.kind = Kind::kSimple;
  else if (type == "ratio") d.kind = Kind::kRatio;
  else if (type == "derived") d.kind = Kind::kDerived;
  else if (type == "cumulative") d.kind = Kind::kCumulative;
  else return Bad("type", "type is simple, ratio, derived or cumulative", "type 必须是 simple、ratio、derived 或 cumulative");

  if (auto it = body.find("grains"); it != body.end() && !it->is_null()) {
    if (!it->is_array()) return Bad("grains", "grains must be a list", "grains 必须是列表");
    for (size_t i = 0; i < it->size(); ++i) {
      if (!(*it)[i].is_string() || !ParseGrain((*it)[i].get<std::string>()).ok()) {
        return Bad("grains[" + std::to_string(i) + "]", "unknown grain (minute, hour, day, week, month, quarter, year)",
                   "未知的时间粒度（minute/hour/day/week/month/quarter/year）");
      }
    }
  }

  auto need_metric = [&](const std::string& key, const std::string& name) -> Result<const MetricDef*> {
    if (name == d.name) {
      return Status::Invalid("metric.cycle", "a metric cannot use itself", "指标不能引用自身", key);
    }
    const MetricDef* m = lookup.FindMetric(name);
    if (m == nullptr) {
      return Status::Invalid("metric.unknown_input", "no metric named '" + name + "'", "不存在名为 '" + name + "' 的指标", key);
    }
    return m;
  };

  switch (d.kind) {
    case Kind::kSimple: {
      KEEL_ASSIGN_OR_RETURN(d.source, Text(body, "source", true, 63));
      const SourceInfo* s = lookup.FindSource(d.source);
      if (s == nullptr) {
        std::string names;
        for (const auto& b : BuiltinSources()) names += (names.empty() ? "" : ", ") + b.name;
        return Status::Invalid("metric.unknown_source", "unknown source '" + d.source + "' (" + names + ", or a custom event type)",
                               "未知的数据来源 '" + d.source + "'（" + names + "，或自定义事件类型）", "source");
      }
      KEEL_ASSIGN_OR_RETURN(std::string agg, Text(body, "agg", false, 32));
      if (agg.empty() || agg == "count") d.agg = Agg::kCount;
      else if (agg == "count_distinct") d.agg = Agg::kCountDistinct;
      else if (agg == "sum") d.agg = Agg::kSum;
      else if (agg == "avg") d.agg = Agg::kAvg;
      else if (agg == "min") d.agg = Agg::kMin;
      else if (agg == "max") d.agg = Agg::kMax;
      else return Bad("agg", "agg is count, count_distinct, sum, avg, min or max", "agg 必须是 count、count_distinct、sum、avg、min 或 max");
      KEEL_ASSIGN_OR_RETURN(d.value, Text(body, "value", d.agg != Agg::kCount, 2000));
      KEEL_ASSIGN_OR_RETURN(d.filter, Text(body, "filter", false, 2000));
      auto fields = FieldsOf(*s);
      if (!d.filter.empty()) {
        auto f = formula::Formula::Compile(d.filter, fields, Type::kBool);
        if (!f.ok()) return Relocate(f.status(), "filter");
      }
      if (!d.value.empty()) {
        auto f = formula::Formula::Compile(d.value, fields, d.agg == Agg::kCountDistinct ? Type::kAny : Type::kNumber);
        if (!f.ok()) return Relocate(f.status(), "value");
      }
      KEEL_ASSIGN_OR_RETURN(d.dimensions, Names(body, "dimensions"));
      if (d.dimensions.size() > kMaxDims) {
        return Bad("dimensions", "at most " + std::to_string(kMaxDims) + " dimensions", "维度最多 " + std::to_string(kMaxDims) + " 个");
      }
      for (size_t i = 0; i < d.dimensions.size(); ++i) {
        const std::string& dim = d.dimensions[i];
        bool known = std::find(s->dimensions.begin(), s->dimensions.end(), dim) != s->dimensions.end() ||
                     (dim == "region" && std::find(s->dimensions.begin(), s->dimensions.end(), "unit") != s->dimensions.end());
        if (!known) {
          std::string names = "region";
          for (const auto& x : s->dimensions) names += ", " + x;
          return Bad("dimensions[" + std::to_string(i) + "]",
                     "'" + dim + "' is not a dimension of " + s->name + " (" + names + ")",
                     "'" + dim + "' 不是 " + s->name + " 的维度（" + names + "）");
        }
        if (std::count(d.dimensions.begin(), d.dimensions.end(), dim) > 1) {
          return Bad("dimensions[" + std::to_string(i) + "]", "dimension listed twice", "维度重复");
        }
      }
      // region is answered from unit; keep unit whenever region is asked for.
      if (std::find(d.dimensions.begin(), d.dimensions.end(), "region") != d.dimensions.end()) {
        d.dimensions.erase(std::find(d.dimensions.begin(), d.dimensions.end(), "region"));
        if (std::find(d.dimensions.begin(), d.dimensions.end(), "unit") == d.dimensions.end()) d.dimensions.push_back("unit");
      }
      break;
    }
    case Kind::kRatio: {
      KEEL_ASSIGN_OR_RETURN(d.numerator, Text(body, "numerator", true, 63));
      KEEL_ASSIGN_OR_RETURN(d.denominator, Text(body, "denominator", true, 63));
      KEEL_RETURN_IF_ERROR(need_metric("numerator", d.numerator).status());
      KEEL_RETURN_IF_ERROR(need_metric("denominator", d.denominator).status());
      break;
    }
    case Kind::kDerived: {
      KEEL_ASSIGN_OR_RETURN(d.expr, Text(body, "expr", true, 2000));
      KEEL_ASSIGN_OR_RETURN(d.inputs, Names(body, "inputs"));
      if (d.inputs.empty()) return Bad("inputs", "a derived metric needs inputs", "派生指标需要 inputs");
      std::vector<formula::FieldInfo> fields;
      for (size_t i = 0; i < d.inputs.size(); ++i) {
        KEEL_RETURN_IF_ERROR(need_metric("inputs[" + std::to_string(i) + "]", d.inputs[i]).status());
        fields.push_back({d.inputs[i], Type::kNumber});
      }
      auto f = formula::Formula::Compile(d.expr, fields, Type::kNumber);
      if (!f.ok()) return Relocate(f.status(), "expr");
      break;
    }
    case Kind::kCumulative: {
      KEEL_ASSIGN_OR_RETURN(d.input, Text(body, "input", true, 63));
      KEEL_ASSIGN_OR_RETURN(const MetricDef* in, need_metric("input", d.input));
      if (in->kind != Kind::kSimple || (in->agg != Agg::kCount && in->agg != Agg::kSum)) {
        return Bad("input", "a cumulative metric adds up a simple count or sum metric",
                   "累计指标的输入必须是 count 或 sum 类型的简单指标");
      }
      KEEL_ASSIGN_OR_RETURN(std::string to_date, Text(body, "to_date", false, 16));
      if (to_date.empty() || to_date == "all") {
        d.all_time = true;
      } else {
        auto g = ParseGrain(to_date);
        if (!g.ok() || (*g != Grain::kMonth && *g != Grain::kQuarter && *g != Grain::kYear && *g != Grain::kWeek &&
                        *g != Grain::kDay)) {
          return Bad("to_date", "to_date is day, week, month, quarter, year or all", "to_date 必须是 day/week/month/quarter/year/all");
        }
        d.to_date = *g;
      }
      break;
    }
  }
  if (auto it = body.find("builtin"); it != body.end() && it->is_boolean()) d.builtin = it->get<bool>();
  return d;
}

std::vector<std::string> QueryableDimensions(const MetricDef& def, const DefinitionLookup& lookup) {
  std::function<std::vector<std::string>(const MetricDef&, int)> dims = [&](const MetricDef& m, int depth) {
    std::vector<std::string> out;
    if (depth > 16) return out;
    auto input_dims = [&](const std::string& name) {
      const MetricDef* in = lookup.FindMetric(name);
      return in ? dims(*in, depth + 1) : std::vector<std::string>{};
    };
    auto intersect = [](std::vector<std::string> a, const std::vector<std::string>& b) {
      a.erase(std::remove_if(a.begin(), a.end(), [&](const std::string& x) { return std::find(b.begin(), b.end(), x) == b.end(); }), a.end());
      return a;
    };
    switch (m.kind) {
      case Kind::kSimple:
        out = m.dimensions;
        if (std::find(out.begin(), out.end(), "unit") != out.end()) out.push_back("region");
        return out;
      case Kind::kRatio: return intersect(input_dims(m.numerator), input_dims(m.denominator));
      case Kind::kDerived:
        out = input_dims(m.inputs[0]);
        for (size_t i = 1; i < m.inputs.size(); ++i) out = intersect(out, input_dims(m.inputs[i]));
        return out;
      case Kind::kCumulative: return input_dims(m.input);
    }
    return out;
  };
  return dims(def, 0);
}

}  // namespace keel::metrics
