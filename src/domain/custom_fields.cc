#include "domain/custom_fields.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "domain/codec.h"

namespace keel::domain {

using json = nlohmann::json;
using store::Value;

const std::vector<std::string> kCustomFieldEntities = {"customers", "contacts", "leads", "opportunities",
                                                       "activities"};
const std::vector<std::string> kCustomFieldTypes = {"string", "text", "number", "int",
                                                    "money",  "bool", "enum",   "date"};

namespace {

Status OptionError(const std::string& key, const std::string& en, const std::string& zh) {
  return Status::Invalid("validation.custom_field", "options." + key + ": " + en, "options." + key + "：" + zh,
                         "options." + key);
}

bool ValidName(const std::string& n) {
  if (n.empty() || n.size() > 40 || n[0] < 'a' || n[0] > 'z') return false;
  return std::all_of(n.begin(), n.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

}  // namespace

FieldDef CustomFieldDef::AsField() const {
  FieldDef f;
  f.name = "custom." + name;
  f.type = type == "string"   ? FieldType::kString
           : type == "text"   ? FieldType::kText
           : type == "number" ? FieldType::kNumber
           : type == "int"    ? FieldType::kInt
           : type == "money"  ? FieldType::kMoney
           : type == "bool"   ? FieldType::kBool
           : type == "enum"   ? FieldType::kEnum
                              : FieldType::kDate;
  f.values = values;
  f.min = min;
  f.max = max;
  f.max_len = max_len;
  f.doc_zh = label;
  f.doc_en = label_en;
  return f;
}

Result<json> ApplyCustom(const std::vector<CustomFieldDef>& defs, const json& before, const json* patch, bool creating) {
  json out = before.is_object() && !creating ? before : json::object();
  if (patch && !patch->is_null()) {
    if (!patch->is_object()) {
      return Status::Invalid("validation.type", "custom must be a JSON object", "custom 应为 JSON 对象", "custom");
    }
    for (auto it = patch->begin(); it != patch->end(); ++it) {
      auto d = std::find_if(defs.begin(), defs.end(), [&](const CustomFieldDef& x) { return x.name == it.key(); });
      if (d == defs.end()) {
        std::string list;
        for (const auto& x : defs) list += (list.empty() ? "" : ", ") + x.name;
        if (list.empty()) list = "-";
        return Status::Invalid("validation.unknown_field",
                               "unknown custom field '" + it.key() + "'; defined: " + list,
                               "未定义的自定义字段 '" + it.key() + "'；已定义：" + list, "custom." + it.key());
      }
      if (it.value().is_null()) {
        out.erase(it.key());
        continue;
      }
      FieldDef f = d->AsField();
      KEEL_ASSIGN_OR_RETURN(Value v, ToValue(f, it.value()));
      out[it.key()] = FromValue(f, v);
    }
  }
  for (const auto& d : defs) {
    if (!d.required || out.contains(d.name)) continue;
    // A required field added after a record was created is enforced when the record is written
    // with it; an update that does not touch it is not refused.
    if (creating || (patch && patch->contains(d.name))) {
      return Status::Invalid("validation.required", "custom." + d.name + " (" + d.label_en + ") is required",
                             "custom." + d.name + "（" + d.label + "）为必填项", "custom." + d.name);
    }
  }
  if (out.dump().size() > 16384) {
    return Status::Invalid("validation.too_long", "custom is larger than 16 KiB", "custom 超过 16 KiB", "custom");
  }
  return out;
}

Result<json> CheckCustomFieldDef(const std::string& name, const std::string& type, const json& options) {
  if (!ValidName(name)) {
    return Status::Invalid("validation.custom_field",
                           "name must start with a lowercase letter and contain only a-z, 0-9 and _ (at most 40)",
                           "name 须以小写字母开头，仅含 a-z、0-9 和下划线（不超过 40 个字符）", "name");
  }
  json o = options.is_object() ? options : json::object();
  json out = json::object();
  for (auto it = o.begin(); it != o.end(); ++it) {
    const std::string& k = it.key();
    bool known = (k == "values" && type == "enum") ||
                 ((k == "min" || k == "max") && (type == "number" || type == "int" || type == "money")) ||
                 (k == "max_len" && (type == "string" || type == "text"));
    if (!known) return OptionError(k, "not an option of a " + type + " field", "不是 " + type + " 类型字段的选项");
  }
  if (type == "enum") {
    if (!o.contains("values") || !o["values"].is_array() || o["values"].empty() || o["values"].size() > 200) {
      return OptionError("values", "an enum field needs 1-200 values", "选项字段需要 1-200 个取值");
    }
    std::set<std::string> seen;
    for (const auto& v : o["values"]) {
      if (!v.is_string() || v.get<std::string>().empty() || Utf8Length(v.get<std::string>()) < 0 ||
          Utf8Length(v.get<std::string>()) > 100) {
        return OptionError("values", "each value is a non-empty string of at most 100 characters",
                           "每个取值应为不超过 100 个字符的非空字符串");
      }
      if (!seen.insert(v.get<std::string>()).second) {
        return OptionError("values", "'" + v.get<std::string>() + "' is listed twice", "'" + v.get<std::string>() + "' 重复");
      }
    }
    out["values"] = o["values"];
  }
  for (const char* k : {"min", "max"}) {
    if (!o.contains(k)) continue;
    if (!o[k].is_number() || !std::isfinite(o[k].get<double>()) || std::fabs(o[k].get<double>()) > 1e15) {
      return OptionError(k, "must be a number within ±1e15", "应为 ±1e15 以内的数值");
    }
    out[k] = o[k];
  }
  if (out.contains("min") && out.contains("max") && out["min"].get<double>() > out["max"].get<double>()) {
    return OptionError("min", "min is larger than max", "最小值大于最大值");
  }
  if (o.contains("max_len")) {
    int cap = type == "text" ? 20000 : 1000;
    if (!o["max_len"].is_number_integer() || o["max_len"].get<int64_t>() < 1 || o["max_len"].get<int64_t>() > cap) {
      return OptionError("max_len", "must be an integer from 1 to " + std::to_string(cap),
                         "应为 1 到 " + std::to_string(cap) + " 的整数");
    }
    out["max_len"] = o["max_len"];
  } else if (type == "text") {
    out["max_len"] = 2000;
  }
  return out;
}

}  // namespace keel::domain
