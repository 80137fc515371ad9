// Values of the formula language (公式语言): number, text, boolean, date, timestamp, blank — and
// errors as values (#DIV/0!, #VALUE!, #N/A, #NUM!), never exceptions. Text is a view: it points
// into the record being evaluated, a constant of the compiled formula, or the evaluator's arena.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace keel::formula {

enum class Type { kBlank, kNumber, kText, kBool, kDate, kDateTime, kError, kAny };

std::string_view TypeName(Type t);

enum class ErrorCode : uint8_t { kNone, kDivZero, kValue, kNA, kNum };
std::string_view ErrorText(ErrorCode e);  // "#DIV/0!", "#VALUE!", "#N/A", "#NUM!"

struct Value {
  Type type = Type::kBlank;
  union {
    double number;
    bool boolean;
    int64_t days;     // kDate: days since 1970-01-01
    int64_t millis;   // kDateTime: UTC milliseconds
    ErrorCode error;
  };
  std::string_view text;  // kText

  Value() : number(0) {}
  static Value Blank() { return Value(); }
  static Value Number(double d) { Value v; v.type = Type::kNumber; v.number = d; return v; }
  static Value Text(std::string_view s) { Value v; v.type = Type::kText; v.text = s; return v; }
  static Value Bool(bool b) { Value v; v.type = Type::kBool; v.boolean = b; return v; }
  static Value Date(int64_t d) { Value v; v.type = Type::kDate; v.days = d; return v; }
  static Value DateTime(int64_t ms) { Value v; v.type = Type::kDateTime; v.millis = ms; return v; }
  static Value Error(ErrorCode e) { Value v; v.type = Type::kError; v.error = e; return v; }

  bool is_error() const { return type == Type::kError; }
  bool is_blank() const { return type == Type::kBlank; }
  // Excel-like rendering: numbers without trailing zeros, dates as YYYY-MM-DD, errors as #…!
  std::string ToString() const;
};

}  // namespace keel::formula
