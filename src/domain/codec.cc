#include "domain/codec.h"

#include <algorithm>
#include <cmath>

#include "common/time.h"
#include "domain/records.h"

namespace keel::domain {

using store::Value;
using json = nlohmann::json;

std::string ColumnOf(const FieldDef& f) {
  return f.type == FieldType::kPassword ? "password_hash" : f.name;
}

int Utf8Length(const std::string& s) {
  int n = 0;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = s[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return -1;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return -1;
    }
    i += len;
    ++n;
  }
  return n;
}

Status CheckObject(const json& body, std::initializer_list<const char*> allowed) {
  if (!body.is_object()) {
    return Status::Invalid("validation.body", "the body must be a JSON object", "请求体必须是 JSON 对象");
  }
  for (auto it = body.begin(); it != body.end(); ++it) {
    bool known = std::any_of(allowed.begin(), allowed.end(), [&](const char* k) { return it.key() == k; });
    if (!known) {
      return Status::Invalid("validation.unknown_field", "unknown field '" + it.key() + "'",
                             "未知字段 '" + it.key() + "'", it.key());
    }
  }
  return Status();
}

Status TypeError(const FieldDef& f, const char* expected_en, const char* expected_zh) {
  return Status::Invalid("validation.type", f.name + " must be " + expected_en,
                         f.name + " 应为" + expected_zh, f.name);
}

namespace {

Status RangeError(const FieldDef& f) {
  char buf[96];
  std::snprintf(buf, sizeof buf, " must be between %g and %g", f.min, f.max);
  char zh[96];
  std::snprintf(zh, sizeof zh, " 应在 %g 到 %g 之间", f.min, f.max);
  return Status::Invalid("validation.range", f.name + buf, f.name + zh, f.name);
}

Result<Value> CheckText(const FieldDef& f, const std::string& s) {
  int n = Utf8Length(s);
  if (n < 0) {
    return Status::Invalid("validation.utf8", f.name + " is not valid UTF-8",
                           f.name + " 不是有效的 UTF-8", f.name);
  }
  if (n > f.max_len) {
    return Status::Invalid("validation.too_long",
                           f.name + " is longer than " + std::to_string(f.max_len) + " characters",
                           f.name + " 超过 " + std::to_string(f.max_len) + " 个字符", f.name);
  }
  if (f.type == FieldType::kString) {
    for (unsigned char c : s) {
      if (c < 0x20 || c == 0x7f) {
        return Status::Invalid("validation.control_char",
                               f.name + " must be one line without control characters",
                               f.name + " 不能包含换行或控制字符", f.name);
      }
    }
  } else {
    for (unsigned char c : s) {
      if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f) {
        return Status::Invalid("validation.control_char",
                               f.name + " contains a control character",
                               f.name + " 包含控制字符", f.name);
      }
    }
  }
  if (f.required && s.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Status::Invalid("validation.required", f.name + " must not be empty",
                           f.name + " 不能为空", f.name);
  }
  return Value(s);
}

Result<Value> CheckCategory(const FieldDef& f, const std::string& s) {
  KEEL_ASSIGN_OR_RETURN(Value v, CheckText(f, s));
  int segments = 0;
  size_t start = 0;
  while (true) {
    size_t slash = s.find('/', start);
    std::string seg = s.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (seg.empty() || seg.find_first_not_of(' ') == std::string::npos || seg.front() == ' ' ||
        seg.back() == ' ' || Utf8Length(seg) > 40) {
      return Status::Invalid("validation.category_path",
                             f.name + " must be a category path like 家电/空调/挂机 (1-6 "
                                      "non-empty segments separated by '/')",
                             f.name + " 应为品类路径，如 家电/空调/挂机（1-6 级，以 / 分隔，每级非空）",
                             f.name);
    }
    ++segments;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (segments > 6) {
    return Status::Invalid("validation.category_path", f.name + " has more than 6 levels",
                           f.name + " 超过 6 级", f.name);
  }
  return v;
}

Result<Value> ParseNumberLike(const FieldDef& f, double d) {
  if (!std::isfinite(d)) return TypeError(f, "a finite number", "有限数值");
  if (d < f.min || d > f.max) return RangeError(f);
  if (f.type == FieldType::kMoney) {
    double cents = d * 100.0;
    double rounded = std::llround(cents);
    if (std::fabs(cents - rounded) > 1e-6 * std::max(1.0, std::fabs(cents))) {
      return Status::Invalid("validation.money_precision",
                             f.name + " must have at most 2 decimal places",
                             f.name + " 最多保留 2 位小数", f.name);
    }
    return Value(static_cast<int64_t>(rounded));
  }
  if (f.type == FieldType::kInt) {
    if (d != std::floor(d)) return TypeError(f, "an integer", "整数");
    return Value(static_cast<int64_t>(d));
  }
  return Value(d);
}

}  // namespace

Result<Value> ToValue(const FieldDef& f, const json& v) {
  if (v.is_null()) return Value();
  switch (f.type) {
    case FieldType::kRef:
      if (!v.is_number_integer() || v.get<int64_t>() <= 0) {
        return TypeError(f, "the id (a positive integer) of a record", "记录 ID（正整数）");
      }
      return Value(v.get<int64_t>());
    case FieldType::kString:
    case FieldType::kText:
      if (!v.is_string()) return TypeError(f, "a string", "字符串");
      return CheckText(f, v.get<std::string>());
    case FieldType::kInt:
    case FieldType::kNumber:
    case FieldType::kMoney:
      if (!v.is_number()) return TypeError(f, "a number", "数值");
      if (f.type == FieldType::kInt && !v.is_number_integer()) {
        return TypeError(f, "an integer", "整数");
      }
      return ParseNumberLike(f, v.get<double>());
    case FieldType::kBool:
      if (!v.is_boolean()) return TypeError(f, "true or false", "true 或 false");
      return Value(static_cast<int64_t>(v.get<bool>()));
    case FieldType::kEnum: {
      if (!v.is_string()) return TypeError(f, "a string", "字符串");
      const auto s = v.get<std::string>();
      if (std::find(f.values.begin(), f.values.end(), s) == f.values.end()) {
        std::string list;
        for (const auto& x : f.values) list += (list.empty() ? "" : ", ") + x;
        return Status::Invalid("validation.enum", f.name + " must be one of: " + list,
                               f.name + " 只能取以下值：" + list, f.name);
      }
      return Value(s);
    }
    case FieldType::kTimestamp: {
      if (!v.is_string()) return TypeError(f, "an ISO-8601 timestamp string", "ISO-8601 时间字符串");
      auto t = ParseTimestamp(v.get<std::string>());
      if (!t.ok()) return t.status().WithField(f.name);
      return Value(FormatTimestamp(*t));
    }
    case FieldType::kDate: {
      if (!v.is_string()) return TypeError(f, "a date string YYYY-MM-DD", "日期字符串 YYYY-MM-DD");
      auto d = ParseDate(v.get<std::string>());
      if (!d.ok()) return d.status().WithField(f.name);
      return Value(FormatDate(*d));
    }
    case FieldType::kCurrency: {
      if (!v.is_string()) return TypeError(f, "an ISO-4217 code", "ISO-4217 币种代码");
      const auto s = v.get<std::string>();
      if (std::find(kCurrencies.begin(), kCurrencies.end(), s) == kCurrencies.end()) {
        return Status::Invalid("validation.currency",
                               f.name + " '" + s + "' is not a supported ISO-4217 currency",
                               f.name + " '" + s + "' 不是支持的 ISO-4217 币种", f.name);
      }
      return Value(s);
    }
    case FieldType::kCategory:
      if (!v.is_string()) return TypeError(f, "a category path string", "品类路径字符串");
      return CheckCategory(f, v.get<std::string>());
    case FieldType::kJson:
      if (!v.is_object()) return TypeError(f, "a JSON object", "JSON 对象");
      if (v.dump().size() > 16384) {
        return Status::Invalid("validation.too_long", f.name + " is larger than 16 KiB",
                               f.name + " 超过 16 KiB", f.name);
      }
      return Value(v.dump());
    case FieldType::kPassword: {
      if (!v.is_string()) return TypeError(f, "a string", "字符串");
      KEEL_RETURN_IF_ERROR(ValidatePassword(v.get<std::string>()).WithField(f.name));
      KEEL_ASSIGN_OR_RETURN(std::string hash, HashPassword(v.get<std::string>()));
      return Value(hash);
    }
  }
  return Value();
}

Result<Value> ParamToValue(const FieldDef& f, const std::string& text) {
  switch (f.type) {
    case FieldType::kRef:
    case FieldType::kInt:
    case FieldType::kNumber:
    case FieldType::kMoney: {
      char* end = nullptr;
      errno = 0;
      double d = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0' || errno != 0) return TypeError(f, "a number", "数值");
      if (f.type == FieldType::kRef) {
        if (d <= 0 || d != std::floor(d) || d > 9e15) {
          return TypeError(f, "a positive integer id", "正整数 ID");
        }
        return Value(static_cast<int64_t>(d));
      }
      FieldDef wide = f;
      wide.min = -1e15;
      wide.max = 1e15;
      return ParseNumberLike(wide, d);
    }
    case FieldType::kBool:
      if (text == "true" || text == "1") return Value(int64_t{1});
      if (text == "false" || text == "0") return Value(int64_t{0});
      return TypeError(f, "true or false", "true 或 false");
    case FieldType::kJson:
    case FieldType::kPassword:
      return Status::Invalid("validation.not_filterable", f.name + " cannot be filtered",
                             f.name + " 不支持筛选", f.name);
    default: {
      FieldDef loose = f;
      loose.required = false;
      return ToValue(loose, json(text));
    }
  }
}

json FromValue(const FieldDef& f, const Value& v) {
  if (store::IsNull(v)) return nullptr;
  switch (f.type) {
    case FieldType::kRef:
    case FieldType::kInt:
      return store::AsInt(v);
    case FieldType::kNumber:
      return store::AsDouble(v);
    case FieldType::kMoney:
      return static_cast<double>(store::AsInt(v)) / 100.0;
    case FieldType::kBool:
      return store::AsInt(v) != 0;
    case FieldType::kJson: {
      auto parsed = json::parse(store::AsText(v), nullptr, false);
      return parsed.is_discarded() ? json(nullptr) : parsed;
    }
    case FieldType::kPassword:
      return nullptr;
    default:
      return store::AsText(v);
  }
}

}  // namespace keel::domain
