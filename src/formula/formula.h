// The formula language (公式语言) shared by metric filters, derived metrics, alert and workflow
// conditions, formula fields and profit-sharing rules. Excel/Salesforce-like:
//   amount * (1 - discount) > 10000 AND stage <> 'lost'
//   IF(ISBLANK(closed_at), DATEDIFF(created_at, NOW(), "days"), 0)
// A formula is compiled once — lexed, parsed, type-checked against the fields it may use and
// constant-folded — and then evaluated many times without heap allocation (text results live in
// the caller's Arena). Compile errors carry a code, en/zh messages and the position
// ("formula@12"); runtime problems are error values (#DIV/0!, #VALUE!), never exceptions.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "formula/value.h"

namespace keel::formula {

// A field a formula may reference, by name; its value is passed by index at evaluation.
struct FieldInfo {
  std::string name;
  Type type;
};

// Scratch space for text produced during evaluation. Reset() keeps the memory, so steady-state
// evaluation allocates nothing. Not thread-safe: one per evaluating thread.
//
// Every evaluation has a budget (formula.too_costly): no text value longer than kMaxText bytes
// and at most kMaxBytes allocated by one Formula::Eval. Past it, Allocate returns nullptr, the
// function that asked gives #VALUE!, exceeded() turns true and the evaluation's result is #VALUE!
// — so no formula, however nested, can hold more than kMaxBytes of one evaluating thread.
class Arena {
 public:
  static constexpr size_t kMaxText = 64 * 1024;
  static constexpr size_t kMaxBytes = 1024 * 1024;

  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  // Copies `s`; an empty view when over the budget.
  std::string_view Store(std::string_view s);
  // n bytes, or nullptr when over the budget.
  char* Allocate(size_t n);
  void Reset();
  // Starts an evaluation's budget (Formula::Eval calls it).
  void BeginEvaluation();
  // True when the evaluation begun last asked for more than its budget.
  bool exceeded() const { return exceeded_; }

 private:
  std::vector<std::unique_ptr<char[]>> chunks_;
  std::vector<size_t> sizes_;
  size_t chunk_ = 0, used_ = 0;
  size_t total_ = 0, evaluation_start_ = 0;
  bool exceeded_ = false;
};

// What the window functions of alert conditions (CHANGE_PCT, ZSCORE, FALLS …) ask of the metric
// series they watch; implemented by the alert engine for one rule and one group. `metric` is
// empty for the rule's own metric; windows are in milliseconds (duration literals such as 4w).
// Missing data is blank, impossible requests are error values; implementations never throw.
class SeriesSource {
 public:
  virtual ~SeriesSource() = default;
  // The metric's value over the `window` that ended `ago` before now.
  virtual Value WindowValue(std::string_view metric, int64_t window_ms, int64_t ago_ms) const = 0;
  // Seasonal deviation: the last `window` against the same window of the week in the previous
  // `weeks` weeks, as a z-score.
  virtual Value ZScore(std::string_view metric, int64_t window_ms, int weeks) const = 0;
  // The metric's completion (actual / target) for the current period with a target.
  virtual Value Completion(std::string_view metric) const = 0;
};

struct EvalContext {
  int64_t now_ms = 0;          // NOW(); TODAY() is its date in the time zone below
  int tz_offset_minutes = 480; // the tenant's UTC offset (Asia/Shanghai: +480)
  Arena* arena = nullptr;      // required when the formula produces text
  const SeriesSource* series = nullptr;  // for the window functions; #N/A without one
};

// A function call in a compiled formula, for callers that validate arguments against their
// own catalogue (e.g. metric names in alert conditions). `text_args[i]` is set when argument i
// is a text constant.
struct CallInfo {
  std::string function;  // upper case, as in the catalogue
  int pos = 0;           // byte offset of the call
  std::vector<std::optional<std::string>> text_args;
  std::vector<int> arg_pos;
};

struct Node;

class Formula {
 public:
  // Compiles `source` for records with `fields`. When `expected` is not kAny, the result type
  // must match (kBool for filters and conditions). A formula whose constant parts or a trial
  // evaluation on ordinary values exceed the evaluation budget (see Arena) is refused with
  // formula.too_costly, naming the position of the costly call.
  static Result<Formula> Compile(std::string_view source, const std::vector<FieldInfo>& fields,
                                 Type expected = Type::kAny);
  Formula(Formula&&) noexcept;
  Formula& operator=(Formula&&) noexcept;
  ~Formula();

  Type type() const;
  // `fields[i]` is the value of the i-th FieldInfo given to Compile. Thread-safe (const) as long
  // as each thread has its own context/arena. An evaluation over its budget gives #VALUE! and is
  // logged (once per formula) — the record is skipped, never the process's memory.
  Value Eval(std::span<const Value> fields, const EvalContext& ctx) const;
  // The indexes of the fields the formula reads.
  const std::vector<int>& fields_used() const;
  // Number of nodes after constant folding (for tests and the editor).
  size_t size() const;
  const std::string& source() const;
  // Every function call, in source order.
  std::vector<CallInfo> Calls() const;
  // True when the formula reads the clock or a series (never cached across evaluations).
  bool is_volatile() const;

 private:
  Formula();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The built-in functions as data: the same table feeds the checker, the docs and autocomplete.
struct FunctionDoc {
  std::string name, signature, returns, en, zh, example;
};
std::vector<FunctionDoc> FunctionCatalogue();

}  // namespace keel::formula
