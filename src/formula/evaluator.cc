// Stage 5: tree-walking evaluation over the checked, folded program. Errors are values and
// propagate left to right; blanks behave as 0 in arithmetic and "" in text (as in Excel).
#include <cmath>
#include <cstdio>
#include <cstring>

#include "formula/internal.h"

namespace keel::formula {

constexpr int64_t kDayMs = 86400000;

int64_t LocalDay(int64_t millis, int tz) {
  int64_t local = millis + static_cast<int64_t>(tz) * 60000;
  return local >= 0 ? local / kDayMs : (local - kDayMs + 1) / kDayMs;
}

double AsNumber(const Value& v, bool* ok) {
  *ok = true;
  switch (v.type) {
    case Type::kNumber: return v.number;
    case Type::kBlank: return 0;
    case Type::kBool: return v.boolean ? 1 : 0;
    case Type::kDate: return static_cast<double>(v.days);
    case Type::kDateTime: return static_cast<double>(v.millis) / kDayMs;
    default: *ok = false; return 0;
  }
}

std::string_view Evaluator::Store(std::string_view s) const {
  return ctx_.arena ? ctx_.arena->Store(s) : std::string_view();
}
char* Evaluator::Allocate(size_t n) const { return ctx_.arena ? ctx_.arena->Allocate(n) : nullptr; }

std::string_view AsText(const Value& v, const Evaluator& ev) {
  switch (v.type) {
    case Type::kText: return v.text;
    case Type::kBlank: return {};
    case Type::kBool: return v.boolean ? "TRUE" : "FALSE";
    default: {
      std::string s = v.ToString();
      return ev.Store(s);
    }
  }
}

namespace {

Value Compare(Tok op, const Value& a, const Value& b) {
  int c = 0;
  bool text = a.type == Type::kText || b.type == Type::kText;
  if (text) {
    std::string_view x = a.type == Type::kText ? a.text : std::string_view();
    std::string_view y = b.type == Type::kText ? b.text : std::string_view();
    if ((a.type != Type::kText && !a.is_blank()) || (b.type != Type::kText && !b.is_blank())) {
      return Value::Error(ErrorCode::kValue);
    }
    c = x.compare(y);
  } else {
    bool ok1, ok2;
    double x = AsNumber(a, &ok1), y = AsNumber(b, &ok2);
    if (!ok1 || !ok2) return Value::Error(ErrorCode::kValue);
    // A date compared with a timestamp compares days.
    if (a.type == Type::kDate && b.type == Type::kDateTime) y = std::floor(y);
    if (a.type == Type::kDateTime && b.type == Type::kDate) x = std::floor(x);
    c = x < y ? -1 : x > y ? 1 : 0;
  }
  switch (op) {
    case Tok::kEq: return Value::Bool(c == 0);
    case Tok::kNe: return Value::Bool(c != 0);
    case Tok::kLt: return Value::Bool(c < 0);
    case Tok::kLe: return Value::Bool(c <= 0);
    case Tok::kGt: return Value::Bool(c > 0);
    default: return Value::Bool(c >= 0);
  }
}

Value Finite(double d) {
  if (!std::isfinite(d)) return Value::Error(ErrorCode::kNum);
  return Value::Number(d);
}

}  // namespace

Value Evaluator::Eval(int index) const {
  const Node& n = p_.nodes[index];
  switch (n.kind) {
    case NodeKind::kLiteral:
      return n.literal;
    case NodeKind::kField:
      return static_cast<size_t>(n.field) < fields_.size() ? fields_[n.field] : Value::Blank();
    case NodeKind::kUnary: {
      Value a = Eval(n.args[0]);
      if (a.is_error()) return a;
      if (n.op == Tok::kNot) {
        if (a.is_blank()) return Value::Bool(true);
        if (a.type != Type::kBool) return Value::Error(ErrorCode::kValue);
        return Value::Bool(!a.boolean);
      }
      bool ok;
      double d = AsNumber(a, &ok);
      return ok ? Value::Number(-d) : Value::Error(ErrorCode::kValue);
    }
    case NodeKind::kBinary:
      return Binary(n);
    case NodeKind::kCall:
      return Builtins()[n.function].eval(Args{*this, n});
  }
  return Value::Error(ErrorCode::kValue);
}

namespace {
// Date arithmetic stays within ±100,000 years; beyond that it is #NUM!, never an overflow.
constexpr double kMaxDays = 36524250.0;
Value ShiftDate(int64_t days, double by) {
  double r = static_cast<double>(days) + by;
  if (!std::isfinite(r) || std::fabs(r) > kMaxDays) return Value::Error(ErrorCode::kNum);
  return Value::Date(static_cast<int64_t>(r));
}
Value ShiftTime(int64_t millis, double by) {
  double r = static_cast<double>(millis) + by;
  if (!std::isfinite(r) || std::fabs(r) > kMaxDays * 86400000.0) return Value::Error(ErrorCode::kNum);
  return Value::DateTime(static_cast<int64_t>(r));
}
}  // namespace

Value Evaluator::Binary(const Node& n) const {
  if (n.op == Tok::kAnd || n.op == Tok::kOr) {
    Value a = Eval(n.args[0]);
    if (a.is_error()) return a;
    bool x = a.type == Type::kBool && a.boolean;
    if (!a.is_blank() && a.type != Type::kBool) return Value::Error(ErrorCode::kValue);
    if (n.op == Tok::kAnd && !x) return Value::Bool(false);
    if (n.op == Tok::kOr && x) return Value::Bool(true);
    Value b = Eval(n.args[1]);
    if (b.is_error()) return b;
    if (!b.is_blank() && b.type != Type::kBool) return Value::Error(ErrorCode::kValue);
    return Value::Bool(b.type == Type::kBool && b.boolean);
  }
  Value a = Eval(n.args[0]);
  if (a.is_error()) return a;
  Value b = Eval(n.args[1]);
  if (b.is_error()) return b;
  switch (n.op) {
    case Tok::kAmp: {
      std::string_view x = AsText(a, *this), y = AsText(b, *this);
      char* out = Allocate(x.size() + y.size());
      if (!out) return Value::Error(ErrorCode::kValue);
      if (!x.empty()) std::memcpy(out, x.data(), x.size());
      if (!y.empty()) std::memcpy(out + x.size(), y.data(), y.size());
      return Value::Text(std::string_view(out, x.size() + y.size()));
    }
    case Tok::kEq: case Tok::kNe: case Tok::kLt: case Tok::kLe: case Tok::kGt: case Tok::kGe:
      return Compare(n.op, a, b);
    default: break;
  }
  bool ok1, ok2;
  double x = AsNumber(a, &ok1), y = AsNumber(b, &ok2);
  if (!ok1 || !ok2) return Value::Error(ErrorCode::kValue);
  bool ta = a.type == Type::kDate || a.type == Type::kDateTime;
  bool tb = b.type == Type::kDate || b.type == Type::kDateTime;
  switch (n.op) {
    case Tok::kPlus:
      if (a.type == Type::kDate && !tb) return ShiftDate(a.days, std::floor(y));
      if (b.type == Type::kDate && !ta) return ShiftDate(b.days, std::floor(x));
      if (a.type == Type::kDateTime && !tb) return ShiftTime(a.millis, y * kDayMs);
      if (b.type == Type::kDateTime && !ta) return ShiftTime(b.millis, x * kDayMs);
      return Finite(x + y);
    case Tok::kMinus:
      if (a.type == Type::kDate && !tb) return ShiftDate(a.days, -std::floor(y));
      if (a.type == Type::kDateTime && !tb) return ShiftTime(a.millis, -y * kDayMs);
      return Finite(x - y);
    case Tok::kStar:
      return Finite(x * y);
    case Tok::kSlash:
      if (y == 0) return Value::Error(ErrorCode::kDivZero);
      return Finite(x / y);
    case Tok::kCaret:
      return Finite(std::pow(x, y));
    default:
      return Value::Error(ErrorCode::kValue);
  }
}

}  // namespace keel::formula
