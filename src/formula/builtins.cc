// The built-in functions, declared as data in one table (name, arity, type rule, evaluation,
// signature, zh/en description, example). The checker, the evaluator, the docs and the editor's
// autocomplete all read this table; add a function here and nowhere else.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstring>

#include "formula/internal.h"

namespace keel::formula {
namespace {

using Types = std::vector<Type>;

// ---- type rules ----
bool Num(Type t) { return Compatible(t, Type::kNumber); }
bool Txt(Type t) { return Compatible(t, Type::kText); }
bool Tim(Type t) { return t == Type::kDate || t == Type::kDateTime || t == Type::kAny || t == Type::kBlank; }

Type Need(bool ok, const char* en, const char* zh, Type result, std::string& why, std::string& why_zh) {
  if (ok) return result;
  why = en;
  why_zh = zh;
  return Type::kError;
}
// The common type of several branches (blank and unknown adopt the other side).
Type Unify(const Types& t, size_t from, size_t step, std::string& why, std::string& why_zh) {
  Type out = Type::kBlank;
  for (size_t i = from; i < t.size(); i += step) {
    if (t[i] == Type::kBlank || t[i] == Type::kAny) continue;
    if (out == Type::kBlank) out = t[i];
    else if (out != t[i] && !((out == Type::kDate || out == Type::kDateTime) && (t[i] == Type::kDate || t[i] == Type::kDateTime))) {
      why = "the possible results have different types (" + std::string(TypeName(out)) + " and " +
            std::string(TypeName(t[i])) + ")";
      why_zh = "各分支结果类型不一致（" + std::string(TypeName(out)) + " 与 " + std::string(TypeName(t[i])) + "）";
      return Type::kError;
    }
  }
  return out == Type::kBlank ? Type::kAny : out;
}

// ---- evaluation helpers ----
#define PROPAGATE(v) \
  if ((v).is_error()) return (v)

bool Truthy(const Value& v) { return v.type == Type::kBool ? v.boolean : v.type == Type::kNumber ? v.number != 0 : false; }

Value NumArg(const Args& a, size_t i, double* out) {
  Value v = a[i];
  if (v.is_error()) return v;
  bool ok;
  *out = AsNumber(v, &ok);
  if (!ok) return Value::Error(ErrorCode::kValue);
  return Value::Number(*out);
}

// UTF-8 helpers: code point boundaries.
size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}
size_t ByteOffset(std::string_view s, size_t cp) {
  size_t i = 0, n = 0;
  while (i < s.size()) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (n == cp) return i;
      ++n;
    }
    ++i;
  }
  return s.size();
}

// ---- series functions: the arguments are read here, the data comes from ctx.series ----
Type NeedsWindow(const Types& t, std::string& w, std::string& z) {
  bool ok = Num(t[0]) && (t.size() < 2 || Txt(t[1])) && (t.size() < 3 || Num(t[2]));
  return Need(ok, "needs a window duration (e.g. 1h, 4w), then optionally a metric name text",
              "需要时间窗（如 1h、4w），可选指标名称文本", Type::kNumber, w, z);
}
Type NeedsCountWindow(const Types& t, std::string& w, std::string& z) {
  bool ok = Num(t[0]) && Num(t[1]) && (t.size() < 3 || Txt(t[2]));
  return Need(ok, "needs a count, a window duration (e.g. 1w), then optionally a metric name text",
              "需要次数、时间窗（如 1w），可选指标名称文本", Type::kBool, w, z);
}

enum class SeriesOp { kValue, kChangePct, kZScore, kFalls, kRises };

Value Series(const Args& a, SeriesOp op) {
  const SeriesSource* s = a.ev.ctx().series;
  if (s == nullptr) return Value::Error(ErrorCode::kNA);
  bool counted = op == SeriesOp::kFalls || op == SeriesOp::kRises;
  double n = 1, window;
  if (counted) {
    Value e = NumArg(a, 0, &n);
    PROPAGATE(e);
    if (n < 1 || n > 52) return Value::Error(ErrorCode::kNum);
  }
  size_t wi = counted ? 1 : 0;
  Value e = NumArg(a, wi, &window);
  PROPAGATE(e);
  if (window < 60000 || window > 366.0 * 86400000) return Value::Error(ErrorCode::kNum);
  std::string_view metric;
  if (a.size() > wi + 1) {
    Value m = a[wi + 1];
    PROPAGATE(m);
    metric = AsText(m, a.ev);
  }
  auto w = static_cast<int64_t>(window);
  switch (op) {
    case SeriesOp::kValue: return s->WindowValue(metric, w, 0);
    case SeriesOp::kChangePct: {
      Value cur = s->WindowValue(metric, w, 0);
      PROPAGATE(cur);
      Value prev = s->WindowValue(metric, w, w);
      PROPAGATE(prev);
      double c = cur.is_blank() ? 0 : cur.number, p = prev.is_blank() ? 0 : prev.number;
      if (prev.is_blank() && cur.is_blank()) return Value::Blank();
      if (p == 0) return Value::Error(ErrorCode::kDivZero);
      return Value::Number((c - p) / std::fabs(p) * 100.0);
    }
    case SeriesOp::kZScore: {
      double weeks = 8;
      if (a.size() > 2) {
        Value e2 = NumArg(a, 2, &weeks);
        PROPAGATE(e2);
        if (weeks < 2 || weeks > 52) return Value::Error(ErrorCode::kNum);
      }
      return s->ZScore(metric, w, static_cast<int>(weeks));
    }
    case SeriesOp::kFalls:
    case SeriesOp::kRises: {
      Value later = s->WindowValue(metric, w, 0);
      PROPAGATE(later);
      for (int i = 1; i <= static_cast<int>(n); ++i) {
        Value earlier = s->WindowValue(metric, w, w * i);
        PROPAGATE(earlier);
        if (later.is_blank() || earlier.is_blank()) return Value::Bool(false);
        bool step = op == SeriesOp::kFalls ? later.number < earlier.number : later.number > earlier.number;
        if (!step) return Value::Bool(false);
        later = earlier;
      }
      return Value::Bool(true);
    }
  }
  return Value::Error(ErrorCode::kNA);
}

int64_t DaysOf(const Value& v, const EvalContext& ctx) {
  return v.type == Type::kDateTime ? LocalDay(v.millis, ctx.tz_offset_minutes) : v.days;
}

Value DateFromParts(int64_t y, int64_t m, int64_t d) {
  using namespace std::chrono;
  if (y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31) return Value::Error(ErrorCode::kNum);
  year_month_day ymd{year{static_cast<int>(y)}, month{static_cast<unsigned>(m)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return Value::Error(ErrorCode::kNum);
  return Value::Date(sys_days{ymd}.time_since_epoch().count());
}

std::chrono::year_month_day Ymd(int64_t days) {
  return std::chrono::year_month_day{std::chrono::sys_days{std::chrono::days{days}}};
}

Value Extract(const Args& a, int part) {
  Value v = a[0];
  PROPAGATE(v);
  if (v.is_blank()) return Value::Blank();
  if (v.type != Type::kDate && v.type != Type::kDateTime) return Value::Error(ErrorCode::kValue);
  auto ymd = Ymd(DaysOf(v, a.ev.ctx()));
  if (part == 0) return Value::Number(static_cast<int>(ymd.year()));
  if (part == 1) return Value::Number(static_cast<unsigned>(ymd.month()));
  return Value::Number(static_cast<unsigned>(ymd.day()));
}

Value Round(double x, double digits, int mode) {  // 0 round, 1 floor, 2 ceiling (to significance)
  if (mode == 0) {
    double f = std::pow(10.0, std::floor(digits));
    double r = std::round(std::fabs(x) * f) / f;  // half away from zero
    return Value::Number(x < 0 ? -r : r);
  }
  if (digits == 0) return Value::Error(ErrorCode::kDivZero);
  double q = x / digits;
  return Value::Number((mode == 1 ? std::floor(q + 1e-12) : std::ceil(q - 1e-12)) * digits);
}

// Shared type rule: every argument true/false.
Type AllBooleans(const Types& t, std::string& w, std::string& z) {
  bool ok = std::all_of(t.begin(), t.end(), [](Type x) { return Compatible(x, Type::kBool); });
  return Need(ok, "every argument must be true/false", "每个参数都必须是布尔值", Type::kBool, w, z);
}

// AND (kAny = false) and OR (kAny = true), short-circuiting left to right.
template <bool kAny>
Value AnyOrAll(const Args& a) {
  for (size_t i = 0; i < a.size(); ++i) {
    Value v = a[i];
    PROPAGATE(v);
    if (Truthy(v) == kAny) return Value::Bool(kAny);
  }
  return Value::Bool(!kAny);
}

// Shared type rule: every argument a number.
Type AllNumbers(const Types& t, std::string& w, std::string& z) {
  return Need(std::all_of(t.begin(), t.end(), Num), "needs numbers", "参数必须是数值", Type::kNumber, w, z);
}

// ROUND/FLOOR/CEILING: a number and an optional second number (digits or significance).
template <int kMode>
Value RoundFn(const Args& a) {
  double x, second = kMode == 0 ? 0 : 1;
  Value v = NumArg(a, 0, &x);
  PROPAGATE(v);
  if (a.size() > 1) {
    Value e = NumArg(a, 1, &second);
    PROPAGATE(e);
  }
  return Round(x, second, kMode);
}

// MIN/MAX over every argument.
template <bool kMax>
Value Extreme(const Args& a) {
  double best = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    double x;
    Value v = NumArg(a, i, &x);
    PROPAGATE(v);
    if (i == 0 || (kMax ? x > best : x < best)) best = x;
  }
  return Value::Number(best);
}

// UPPER/LOWER: Latin letters only; other scripts pass through.
template <int (*kMap)(int)>
Value CaseMap(const Args& a) {
  Value v = a[0];
  PROPAGATE(v);
  std::string_view s = AsText(v, a.ev);
  char* out = a.ev.Allocate(s.size());
  if (!out) return Value::Error(ErrorCode::kValue);
  for (size_t i = 0; i < s.size(); ++i) out[i] = static_cast<char>(kMap(static_cast<unsigned char>(s[i])));
  return Value::Text(std::string_view(out, s.size()));
}

// LEFT/RIGHT: text and an optional character count (default 1).
Type CountRule(const Types& t, std::string& w, std::string& z) {
  return Need(t.size() < 2 || Num(t[1]), "the count must be a number", "字符数必须是数值", Type::kText, w, z);
}

template <bool kFromRight>
Value Edge(const Args& a) {
  Value v = a[0];
  PROPAGATE(v);
  double n = 1;
  if (a.size() > 1) {
    Value e = NumArg(a, 1, &n);
    PROPAGATE(e);
  }
  if (n < 0) return Value::Error(ErrorCode::kValue);
  std::string_view s = AsText(v, a.ev);
  size_t k = static_cast<size_t>(n);
  if (!kFromRight) return Value::Text(s.substr(0, ByteOffset(s, k)));
  size_t total = CodePoints(s);
  return Value::Text(s.substr(ByteOffset(s, k >= total ? 0 : total - k)));
}

Type NeedsDate(const Types& t, std::string& w, std::string& z) {
  return Need(Tim(t[0]), "needs a date", "参数必须是日期", Type::kNumber, w, z);
}

Value DateDiff(const Args& a) {
  Value s = a[0];
  PROPAGATE(s);
  Value e = a[1];
  PROPAGATE(e);
  Value u = a[2];
  PROPAGATE(u);
  if (s.is_blank() || e.is_blank()) return Value::Blank();
  if (u.type != Type::kText) return Value::Error(ErrorCode::kValue);
  std::string unit(u.text);
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto ms = [&](const Value& v) -> int64_t {
    return v.type == Type::kDateTime ? v.millis : v.days * 86400000LL - a.ev.ctx().tz_offset_minutes * 60000LL;
  };
  if ((s.type != Type::kDate && s.type != Type::kDateTime) || (e.type != Type::kDate && e.type != Type::kDateTime)) {
    return Value::Error(ErrorCode::kValue);
  }
  int64_t d = ms(e) - ms(s);
  if (unit == "days" || unit == "day" || unit == "天") {
    return Value::Number(static_cast<double>(DaysOf(e, a.ev.ctx()) - DaysOf(s, a.ev.ctx())));
  }
  if (unit == "weeks" || unit == "week" || unit == "周") {
    return Value::Number(std::trunc(static_cast<double>(DaysOf(e, a.ev.ctx()) - DaysOf(s, a.ev.ctx())) / 7));
  }
  if (unit == "hours" || unit == "hour" || unit == "小时") return Value::Number(std::trunc(d / 3600000.0));
  if (unit == "minutes" || unit == "minute" || unit == "分钟") return Value::Number(std::trunc(d / 60000.0));
  if (unit == "months" || unit == "month" || unit == "月" || unit == "years" || unit == "year" || unit == "年") {
    auto x = Ymd(DaysOf(s, a.ev.ctx())), y = Ymd(DaysOf(e, a.ev.ctx()));
    int64_t months = (static_cast<int>(y.year()) - static_cast<int>(x.year())) * 12 +
                     static_cast<int>(static_cast<unsigned>(y.month())) - static_cast<int>(static_cast<unsigned>(x.month()));
    // Whole months only: not yet a full month when the day of month has not been reached.
    if (months > 0 && static_cast<unsigned>(y.day()) < static_cast<unsigned>(x.day())) --months;
    if (months < 0 && static_cast<unsigned>(y.day()) > static_cast<unsigned>(x.day())) ++months;
    bool years = unit[0] == 'y' || unit == "年";
    return Value::Number(years ? std::trunc(months / 12.0) : static_cast<double>(months));
  }
  return Value::Error(ErrorCode::kValue);
}

const std::vector<Builtin>& Table() {
  static const std::vector<Builtin> table = {
      // ---- logic ----
      {"IF", 2, 3,
       [](const Types& t, std::string& w, std::string& z) {
         if (!Compatible(t[0], Type::kBool)) return Need(false, "the condition must be true/false", "条件必须是布尔值", Type::kError, w, z);
         return Unify(t, 1, 1, w, z);
       },
       [](const Args& a) {
         Value c = a[0];
         PROPAGATE(c);
         if (Truthy(c)) return a[1];
         return a.size() > 2 ? a[2] : Value::Blank();
       },
       false, "IF(condition, value_if_true, [value_if_false])", "the branch's type",
       "value_if_true when the condition holds, otherwise value_if_false (blank if omitted)",
       "条件成立返回第二个参数，否则返回第三个参数（省略则为空）", "IF(amount > 10000, 'big', 'small')"},
      {"IFS", 2, -1,
       [](const Types& t, std::string& w, std::string& z) {
         if (t.size() % 2) return Need(false, "needs condition/value pairs", "参数必须成对：条件, 值", Type::kError, w, z);
         for (size_t i = 0; i < t.size(); i += 2) {
           if (!Compatible(t[i], Type::kBool)) return Need(false, "every condition must be true/false", "每个条件都必须是布尔值", Type::kError, w, z);
         }
         return Unify(t, 1, 2, w, z);
       },
       [](const Args& a) {
         for (size_t i = 0; i + 1 < a.size(); i += 2) {
           Value c = a[i];
           PROPAGATE(c);
           if (Truthy(c)) return a[i + 1];
         }
         return Value::Error(ErrorCode::kNA);
       },
       false, "IFS(condition1, value1, [condition2, value2] …)", "the values' type",
       "the value of the first condition that holds; #N/A when none does",
       "返回第一个成立条件对应的值；都不成立时为 #N/A", "IFS(score >= 80, 'A', score >= 60, 'B', TRUE, 'C')"},
      {"SWITCH", 3, -1,
       [](const Types& t, std::string& w, std::string& z) {
         for (size_t i = 1; i + 1 < t.size(); i += 2) {
           if (!Compatible(t[i], t[0]) && !Compatible(t[0], t[i])) {
             return Need(false, "each case must have the expression's type", "每个匹配值的类型必须与表达式一致", Type::kError, w, z);
           }
         }
         Types results;
         for (size_t i = 2; i < t.size(); i += 2) results.push_back(t[i]);
         if (t.size() % 2 == 0) results.push_back(t.back());
         return Unify(results, 0, 1, w, z);
       },
       [](const Args& a) {
         Value x = a[0];
         PROPAGATE(x);
         for (size_t i = 1; i + 1 < a.size(); i += 2) {
           Value c = a[i];
           PROPAGATE(c);
           bool same = (x.type == Type::kText && c.type == Type::kText) ? x.text == c.text
                       : (x.type == Type::kNumber && c.type == Type::kNumber) ? x.number == c.number
                       : (x.type == Type::kBool && c.type == Type::kBool) ? x.boolean == c.boolean
                       : x.is_blank() && c.is_blank();
           if (same) return a[i + 1];
         }
         if (a.size() % 2 == 0) return a[a.size() - 1];
         return Value::Error(ErrorCode::kNA);
       },
       false, "SWITCH(expression, case1, value1, [case2, value2] …, [default])", "the values' type",
       "the value paired with the first case equal to the expression, else the default (#N/A without one)",
       "返回与表达式相等的第一个匹配值对应的结果，否则返回默认值（无默认值时为 #N/A）",
       "SWITCH(stage, 'won', 1, 'lost', 0, 0.5)"},
      {"AND", 1, -1, AllBooleans, AnyOrAll<false>,
       false, "AND(logical1, [logical2] …)", "boolean", "TRUE when every argument is TRUE",
       "所有参数都为真时返回 TRUE", "AND(amount > 0, stage <> 'lost')"},
      {"OR", 1, -1, AllBooleans, AnyOrAll<true>,
       false, "OR(logical1, [logical2] …)", "boolean", "TRUE when any argument is TRUE",
       "任一参数为真时返回 TRUE", "OR(kind = 'visit', kind = 'demo')"},
      {"ISBLANK", 1, 1, [](const Types&, std::string&, std::string&) { return Type::kBool; },
       [](const Args& a) {
         Value v = a[0];
         return Value::Bool(v.is_blank() || (v.type == Type::kText && v.text.empty()));
       },
       false, "ISBLANK(value)", "boolean", "TRUE when the value is blank or empty text",
       "值为空或空文本时返回 TRUE", "ISBLANK(closed_at)"},
      {"BLANKVALUE", 2, 2,
       [](const Types& t, std::string& w, std::string& z) { return Unify(t, 0, 1, w, z); },
       [](const Args& a) {
         Value v = a[0];
         if (v.is_blank() || (v.type == Type::kText && v.text.empty())) return a[1];
         return v;
       },
       false, "BLANKVALUE(value, substitute)", "the value's type", "the value, or the substitute when it is blank",
       "值为空时返回替代值，否则返回原值", "BLANKVALUE(discount, 0)"},
      {"IFERROR", 2, 2,
       [](const Types& t, std::string& w, std::string& z) { return Unify(t, 0, 1, w, z); },
       [](const Args& a) {
         Value v = a[0];
         return v.is_error() ? a[1] : v;
       },
       false, "IFERROR(value, fallback)", "the value's type", "the value, or the fallback when it is an error such as #DIV/0!",
       "值为错误（如 #DIV/0!）时返回备用值", "IFERROR(won / total, 0)"},
      // ---- math ----
      {"ROUND", 1, 2, AllNumbers, RoundFn<0>,
       false, "ROUND(number, [digits])", "number", "rounds half away from zero to the given decimal places",
       "四舍五入到指定小数位", "ROUND(amount * 0.13, 2)"},
      {"FLOOR", 1, 2, AllNumbers, RoundFn<1>,
       false, "FLOOR(number, [significance])", "number", "rounds down to a multiple of significance (default 1)",
       "向下舍入到指定基数的倍数（默认 1）", "FLOOR(price, 100)"},
      {"CEILING", 1, 2, AllNumbers, RoundFn<2>,
       false, "CEILING(number, [significance])", "number", "rounds up to a multiple of significance (default 1)",
       "向上舍入到指定基数的倍数（默认 1）", "CEILING(qty / 12)"},
      {"ABS", 1, 1,
       [](const Types& t, std::string& w, std::string& z) { return Need(Num(t[0]), "needs a number", "参数必须是数值", Type::kNumber, w, z); },
       [](const Args& a) {
         double x;
         Value v = NumArg(a, 0, &x);
         PROPAGATE(v);
         return Value::Number(std::fabs(x));
       },
       false, "ABS(number)", "number", "the absolute value", "绝对值", "ABS(forecast - actual)"},
      {"MIN", 1, -1, AllNumbers, Extreme<false>,
       false, "MIN(number1, [number2] …)", "number", "the smallest argument", "最小值", "MIN(discount, 0.3)"},
      {"MAX", 1, -1, AllNumbers, Extreme<true>,
       false, "MAX(number1, [number2] …)", "number", "the largest argument", "最大值", "MAX(0, target - revenue)"},
      {"MOD", 2, 2,
       [](const Types& t, std::string& w, std::string& z) {
         return Need(Num(t[0]) && Num(t[1]), "needs numbers", "参数必须是数值", Type::kNumber, w, z);
       },
       [](const Args& a) {
         double x, y;
         Value v = NumArg(a, 0, &x);
         PROPAGATE(v);
         Value u = NumArg(a, 1, &y);
         PROPAGATE(u);
         if (y == 0) return Value::Error(ErrorCode::kDivZero);
         return Value::Number(x - y * std::floor(x / y));  // sign of the divisor, as in Excel
       },
       false, "MOD(number, divisor)", "number", "the remainder, with the divisor's sign", "取余（符号与除数相同）", "MOD(qty, 12)"},
      // ---- text ----
      {"LEN", 1, 1, [](const Types&, std::string&, std::string&) { return Type::kNumber; },
       [](const Args& a) {
         Value v = a[0];
         PROPAGATE(v);
         return Value::Number(static_cast<double>(CodePoints(AsText(v, a.ev))));
       },
       false, "LEN(text)", "number", "the number of characters (a Chinese character counts 1)", "字符数（一个汉字计 1）", "LEN(notes)"},
      {"LEFT", 1, 2, CountRule, Edge<false>,
       false, "LEFT(text, [count])", "text", "the first count characters (default 1)", "左起若干个字符（默认 1）", "LEFT(code, 2)"},
      {"RIGHT", 1, 2, CountRule, Edge<true>,
       false, "RIGHT(text, [count])", "text", "the last count characters (default 1)", "右起若干个字符（默认 1）", "RIGHT(phone, 4)"},
      {"MID", 3, 3,
       [](const Types& t, std::string& w, std::string& z) { return Need(Num(t[1]) && Num(t[2]), "start and count must be numbers", "起始位置和字符数必须是数值", Type::kText, w, z); },
       [](const Args& a) {
         Value v = a[0];
         PROPAGATE(v);
         double start, n;
         Value e1 = NumArg(a, 1, &start);
         PROPAGATE(e1);
         Value e2 = NumArg(a, 2, &n);
         PROPAGATE(e2);
         if (start < 1 || n < 0) return Value::Error(ErrorCode::kValue);
         std::string_view s = AsText(v, a.ev);
         size_t b = ByteOffset(s, static_cast<size_t>(start) - 1);
         size_t e = ByteOffset(s, static_cast<size_t>(start) - 1 + static_cast<size_t>(n));
         return Value::Text(s.substr(b, e - b));
       },
       false, "MID(text, start, count)", "text", "count characters from position start (1-based)", "从第 start 个字符起取 count 个字符", "MID(category_path, 4, 2)"},
      {"UPPER", 1, 1, [](const Types&, std::string&, std::string&) { return Type::kText; }, CaseMap<::toupper>,
       false, "UPPER(text)", "text", "Latin letters in upper case (other scripts unchanged)", "拉丁字母转大写（其他文字不变）", "UPPER(sku)"},
      {"LOWER", 1, 1, [](const Types&, std::string&, std::string&) { return Type::kText; }, CaseMap<::tolower>,
       false, "LOWER(text)", "text", "Latin letters in lower case (other scripts unchanged)", "拉丁字母转小写（其他文字不变）", "LOWER(email)"},
      {"TRIM", 1, 1, [](const Types&, std::string&, std::string&) { return Type::kText; },
       [](const Args& a) {
         Value v = a[0];
         PROPAGATE(v);
         std::string_view s = AsText(v, a.ev);
         char* out = a.ev.Allocate(s.size());
         if (!out) return Value::Error(ErrorCode::kValue);
         size_t n = 0;
         bool space = false;
         for (char c : s) {
           if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
             space = n > 0;
             continue;
           }
           if (space) out[n++] = ' ';
           space = false;
           out[n++] = c;
         }
         return Value::Text(std::string_view(out, n));
       },
       false, "TRIM(text)", "text", "removes leading/trailing spaces and collapses inner runs", "去掉首尾空格并合并中间连续空格", "TRIM(name)"},
      {"CONTAINS", 2, 2, [](const Types&, std::string&, std::string&) { return Type::kBool; },
       [](const Args& a) {
         Value v = a[0];
         PROPAGATE(v);
         Value s = a[1];
         PROPAGATE(s);
         return Value::Bool(AsText(v, a.ev).find(AsText(s, a.ev)) != std::string_view::npos);
       },
       false, "CONTAINS(text, part)", "boolean", "TRUE when text contains part (case-sensitive)", "文本包含指定内容时返回 TRUE（区分大小写）", "CONTAINS(notes, '竞品')"},
      {"SUBSTITUTE", 3, 3, [](const Types&, std::string&, std::string&) { return Type::kText; },
       [](const Args& a) {
         Value v = a[0];
         PROPAGATE(v);
         Value o = a[1];
         PROPAGATE(o);
         Value n = a[2];
         PROPAGATE(n);
         std::string_view s = AsText(v, a.ev), from = AsText(o, a.ev), to = AsText(n, a.ev);
         if (from.empty()) return Value::Text(s);
         size_t count = 0;
         for (size_t p = s.find(from); p != std::string_view::npos; p = s.find(from, p + from.size())) ++count;
         size_t len = s.size() + count * to.size() - count * from.size();
         char* out = a.ev.Allocate(len);
         if (!out && len) return Value::Error(ErrorCode::kValue);
         size_t w = 0, i = 0;
         for (size_t p = s.find(from); p != std::string_view::npos; p = s.find(from, i)) {
           if (p > i) std::memcpy(out + w, s.data() + i, p - i);
           w += p - i;
           if (!to.empty()) std::memcpy(out + w, to.data(), to.size());
           w += to.size();
           i = p + from.size();
         }
         if (s.size() > i) std::memcpy(out + w, s.data() + i, s.size() - i);
         return Value::Text(std::string_view(out, len));
       },
       false, "SUBSTITUTE(text, old, new)", "text", "replaces every occurrence of old by new", "将所有 old 替换为 new", "SUBSTITUTE(category_path, '/', ' › ')"},
      {"TEXT", 1, 1, [](const Types&, std::string&, std::string&) { return Type::kText; },
       [](const Args& a) {
         Value v = a[0];
         PROPAGATE(v);
         return Value::Text(AsText(v, a.ev));
       },
       false, "TEXT(value)", "text", "the value as text (numbers without trailing zeros, dates as YYYY-MM-DD)",
       "转为文本（数字去掉多余的零，日期为 YYYY-MM-DD）", "TEXT(amount) & ' 元'"},
      {"VALUE", 1, 1, [](const Types& t, std::string& w, std::string& z) { return Need(Txt(t[0]) || Num(t[0]), "needs text", "参数必须是文本", Type::kNumber, w, z); },
       [](const Args& a) {
         Value v = a[0];
         PROPAGATE(v);
         if (v.type == Type::kNumber) return v;
         std::string_view s = AsText(v, a.ev);
         char buf[64];
         if (s.empty() || s.size() >= sizeof buf) return Value::Error(ErrorCode::kValue);
         std::memcpy(buf, s.data(), s.size());
         buf[s.size()] = '\0';
         char* end = nullptr;
         double d = std::strtod(buf, &end);
         while (end && *end == ' ') ++end;
         if (end == buf || *end != '\0' || !std::isfinite(d)) return Value::Error(ErrorCode::kValue);
         return Value::Number(d);
       },
       false, "VALUE(text)", "number", "the number written in text; #VALUE! if it is not one", "将文本转为数值；不是数字时为 #VALUE!", "VALUE('12.5')"},
      // ---- dates ----
      {"TODAY", 0, 0, [](const Types&, std::string&, std::string&) { return Type::kDate; },
       [](const Args& a) { return Value::Date(LocalDay(a.ev.ctx().now_ms, a.ev.ctx().tz_offset_minutes)); },
       true, "TODAY()", "date", "today in the tenant's time zone", "租户时区的今天", "TODAY() - expected_close"},
      {"NOW", 0, 0, [](const Types&, std::string&, std::string&) { return Type::kDateTime; },
       [](const Args& a) { return Value::DateTime(a.ev.ctx().now_ms); },
       true, "NOW()", "timestamp", "the current time", "当前时间", "NOW() - created_at"},
      {"DATE", 3, 3,
       [](const Types& t, std::string& w, std::string& z) { return Need(Num(t[0]) && Num(t[1]) && Num(t[2]), "needs year, month and day numbers", "需要年、月、日数值", Type::kDate, w, z); },
       [](const Args& a) {
         double y, m, d;
         Value e1 = NumArg(a, 0, &y);
         PROPAGATE(e1);
         Value e2 = NumArg(a, 1, &m);
         PROPAGATE(e2);
         Value e3 = NumArg(a, 2, &d);
         PROPAGATE(e3);
         return DateFromParts(static_cast<int64_t>(y), static_cast<int64_t>(m), static_cast<int64_t>(d));
       },
       false, "DATE(year, month, day)", "date", "a date; #NUM! if there is no such day", "构造日期；日期不存在时为 #NUM!", "DATE(2026, 6, 18)"},
      {"YEAR", 1, 1, NeedsDate, [](const Args& a) { return Extract(a, 0); }, false, "YEAR(date)", "number", "the year", "年份", "YEAR(ordered_at)"},
      {"MONTH", 1, 1, NeedsDate, [](const Args& a) { return Extract(a, 1); }, false, "MONTH(date)", "number", "the month 1-12", "月份 1-12", "MONTH(ordered_at)"},
      {"DAY", 1, 1, NeedsDate, [](const Args& a) { return Extract(a, 2); }, false, "DAY(date)", "number", "the day of the month", "日", "DAY(expected_close)"},
      {"WEEKDAY", 1, 1, NeedsDate,
       [](const Args& a) {
         Value v = a[0];
         PROPAGATE(v);
         if (v.is_blank()) return Value::Blank();
         if (v.type != Type::kDate && v.type != Type::kDateTime) return Value::Error(ErrorCode::kValue);
         int64_t d = DaysOf(v, a.ev.ctx());
         int64_t wd = ((d + 4) % 7 + 7) % 7;  // 1970-01-01 was a Thursday; 0 = Sunday
         return Value::Number(static_cast<double>(wd + 1));
       },
       false, "WEEKDAY(date)", "number", "1 (Sunday) to 7 (Saturday), as in Excel", "星期几：1 为周日 … 7 为周六（同 Excel）", "WEEKDAY(occurred_at) = 1"},
      {"ADD_DAYS", 2, 2,
       [](const Types& t, std::string& w, std::string& z) { return Need(Tim(t[0]) && Num(t[1]), "needs a date and a number", "需要日期和数值", t[0] == Type::kDateTime ? Type::kDateTime : Type::kDate, w, z); },
       [](const Args& a) {
         Value v = a[0];
         PROPAGATE(v);
         double n;
         Value e = NumArg(a, 1, &n);
         PROPAGATE(e);
         if (v.is_blank()) return Value::Blank();
         if (!(std::fabs(n) <= 36524250.0)) return Value::Error(ErrorCode::kNum);  // ±100,000 years
         if (v.type == Type::kDateTime) return Value::DateTime(v.millis + static_cast<int64_t>(n * 86400000.0));
         if (v.type != Type::kDate) return Value::Error(ErrorCode::kValue);
         return Value::Date(v.days + static_cast<int64_t>(std::floor(n)));
       },
       false, "ADD_DAYS(date, days)", "date", "the date plus a number of days", "日期加上天数", "ADD_DAYS(TODAY(), 7)"},
      {"ADD_MONTHS", 2, 2,
       [](const Types& t, std::string& w, std::string& z) { return Need(Tim(t[0]) && Num(t[1]), "needs a date and a number", "需要日期和数值", Type::kDate, w, z); },
       [](const Args& a) {
         Value v = a[0];
         PROPAGATE(v);
         double n;
         Value e = NumArg(a, 1, &n);
         PROPAGATE(e);
         if (v.is_blank()) return Value::Blank();
         if (v.type != Type::kDate && v.type != Type::kDateTime) return Value::Error(ErrorCode::kValue);
         if (!(std::fabs(n) <= 1200000.0)) return Value::Error(ErrorCode::kNum);  // ±100,000 years
         auto ymd = Ymd(DaysOf(v, a.ev.ctx()));
         int64_t total = static_cast<int>(ymd.year()) * 12 + static_cast<int>(static_cast<unsigned>(ymd.month())) - 1 + static_cast<int64_t>(n);
         int64_t y = total / 12, m = total % 12 + 1;
         using namespace std::chrono;
         auto month_end = year_month_day_last{year{static_cast<int>(y)}, month_day_last{month{static_cast<unsigned>(m)}}};
         int64_t d = std::min<int64_t>(static_cast<unsigned>(ymd.day()), static_cast<unsigned>(month_end.day()));
         return DateFromParts(y, m, d);
       },
       false, "ADD_MONTHS(date, months)", "date", "the same day n months later (clamped to the month's end)", "n 个月后的同一天（月末自动对齐）", "ADD_MONTHS(period_start, 3)"},
      {"DATEDIFF", 3, 3,
       [](const Types& t, std::string& w, std::string& z) {
         return Need(Tim(t[0]) && Tim(t[1]) && Txt(t[2]), "needs two dates and a unit text", "需要两个日期和一个单位文本", Type::kNumber, w, z);
       },
       DateDiff, false, "DATEDIFF(start, end, unit)", "number",
       "whole units from start to end; unit is \"minutes\", \"hours\", \"days\", \"weeks\", \"months\" or \"years\" (or 分钟/小时/天/周/月/年)",
       "从 start 到 end 的完整单位数；单位可为 minutes/hours/days/weeks/months/years 或 分钟/小时/天/周/月/年",
       "DATEDIFF(created_at, first_response_at, \"hours\")"},
      // ---- windows over a metric series (alert conditions) ----
      {"WINDOW_VALUE", 1, 2, NeedsWindow, [](const Args& a) { return Series(a, SeriesOp::kValue); },
       true, "WINDOW_VALUE(window, [metric])", "number",
       "the metric's value over the last window (e.g. 1h, 1d, 4w) for the alert's group",
       "指标在最近一个时间窗（如 1h、1d、4w）内的值（按告警分组）", "WINDOW_VALUE(1d) < 10"},
      {"CHANGE_PCT", 1, 2, NeedsWindow, [](const Args& a) { return Series(a, SeriesOp::kChangePct); },
       true, "CHANGE_PCT(window, [metric])", "number",
       "percent change of the metric over the last window against the window before it",
       "指标最近一个时间窗相对前一个时间窗的变化百分比", "CHANGE_PCT(4w) < -5"},
      {"ZSCORE", 1, 3, NeedsWindow, [](const Args& a) { return Series(a, SeriesOp::kZScore); },
       true, "ZSCORE(window, [metric], [weeks])", "number",
       "how many standard deviations the last window lies from the same window of the week in the previous weeks (default 8)",
       "最近一个时间窗偏离过去若干周（默认 8 周）同一周内时段的标准差倍数（季节性基线）", "ZSCORE(1h) < -3"},
      {"FALLS", 2, 3, NeedsCountWindow, [](const Args& a) { return Series(a, SeriesOp::kFalls); },
       true, "FALLS(n, window, [metric])", "boolean",
       "true when the metric fell in each of the last n windows against the window before",
       "指标在最近连续 n 个时间窗中每一个都比前一个低时为真", "FALLS(4, 1w, 'customer_coverage')"},
      {"RISES", 2, 3, NeedsCountWindow, [](const Args& a) { return Series(a, SeriesOp::kRises); },
       true, "RISES(n, window, [metric])", "boolean",
       "true when the metric rose in each of the last n windows against the window before",
       "指标在最近连续 n 个时间窗中每一个都比前一个高时为真", "RISES(3, 1d)"},
      {"COMPLETION", 0, 1,
       [](const Types& t, std::string& w, std::string& z) { return Need(t.empty() || Txt(t[0]), "needs a metric name text", "需要指标名称文本", Type::kNumber, w, z); },
       [](const Args& a) {
         const SeriesSource* s = a.ev.ctx().series;
         if (s == nullptr) return Value::Error(ErrorCode::kNA);
         std::string_view metric;
         if (a.size() > 0) {
           Value m = a[0];
           PROPAGATE(m);
           metric = AsText(m, a.ev);
         }
         return s->Completion(metric);
       },
       true, "COMPLETION([metric])", "number",
       "actual / target of the metric for the current period with a target (1 = 100%)",
       "指标本期目标完成率（实际/目标，1 即 100%）", "COMPLETION('revenue') >= 1"},
  };
  return table;
}

}  // namespace

const std::vector<Builtin>& Builtins() { return Table(); }

int FindBuiltin(std::string_view name) {
  const auto& t = Table();
  for (size_t i = 0; i < t.size(); ++i) {
    std::string_view n = t[i].name;
    if (n.size() == name.size() &&
        std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) {
          return std::toupper(static_cast<unsigned char>(a)) == std::toupper(static_cast<unsigned char>(b));
        })) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

}  // namespace keel::formula
