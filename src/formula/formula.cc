// The public face of the formula part: Compile runs the stages (lex → parse → check → fold);
// Eval walks the result. Also the Arena and value rendering.
#include "formula/formula.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "common/time.h"
#include "formula/internal.h"

#include <spdlog/spdlog.h>

namespace keel::formula {

std::string_view TypeName(Type t) {
  switch (t) {
    case Type::kBlank: return "blank";
    case Type::kNumber: return "number";
    case Type::kText: return "text";
    case Type::kBool: return "boolean";
    case Type::kDate: return "date";
    case Type::kDateTime: return "timestamp";
    case Type::kError: return "error";
    case Type::kAny: return "any";
  }
  return "any";
}

std::string_view ErrorText(ErrorCode e) {
  switch (e) {
    case ErrorCode::kDivZero: return "#DIV/0!";
    case ErrorCode::kValue: return "#VALUE!";
    case ErrorCode::kNA: return "#N/A";
    case ErrorCode::kNum: return "#NUM!";
    case ErrorCode::kNone: break;
  }
  return "";
}

std::string Value::ToString() const {
  switch (type) {
    case Type::kBlank: return "";
    case Type::kNumber: {
      if (number == std::floor(number) && std::fabs(number) < 1e15) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.0f", number);
        return std::strcmp(buf, "-0") == 0 ? "0" : buf;
      }
      char buf[40];
      std::snprintf(buf, sizeof buf, "%.15g", number);
      return buf;
    }
    case Type::kText: return std::string(text);
    case Type::kBool: return boolean ? "TRUE" : "FALSE";
    case Type::kDate: return FormatDate(days);
    case Type::kDateTime: return FormatTimestamp(millis);
    case Type::kError: return std::string(ErrorText(error));
    case Type::kAny: return "";
  }
  return "";
}

char* Arena::Allocate(size_t n) {
  if (n > kMaxText || total_ - evaluation_start_ + n > kMaxBytes) {
    exceeded_ = true;
    return nullptr;
  }
  total_ += n;
  if (n == 0) n = 1;
  while (chunk_ < chunks_.size() && used_ + n > sizes_[chunk_]) {
    ++chunk_;
    used_ = 0;
  }
  if (chunk_ == chunks_.size()) {
    size_t size = std::max<size_t>(4096, n);
    chunks_.push_back(std::make_unique<char[]>(size));
    sizes_.push_back(size);
    used_ = 0;
  }
  char* out = chunks_[chunk_].get() + used_;
  used_ += n;
  return out;
}

std::string_view Arena::Store(std::string_view s) {
  char* p = Allocate(s.size());
  if (p == nullptr) return {};
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  return {p, s.size()};
}

void Arena::Reset() {
  chunk_ = 0;
  used_ = 0;
  total_ = 0;
  evaluation_start_ = 0;
  exceeded_ = false;
}

void Arena::BeginEvaluation() {
  evaluation_start_ = total_;
  exceeded_ = false;
}

struct Formula::Impl {
  std::string source;
  Program program;
  std::vector<int> fields_used;
  mutable std::atomic<bool> logged_over_budget{false};
};

namespace {

Status TooCostly(int pos) {
  return Status::Error(ErrorKind::kUnprocessable, "formula.too_costly",
                       "the formula needs more than " + std::to_string(Arena::kMaxBytes / 1024) + " KiB of text (or a text longer than " +
                           std::to_string(Arena::kMaxText / 1024) + " KiB) to evaluate; simplify it (e.g. fewer nested SUBSTITUTE or &)",
                       "公式求值所需文本超过 " + std::to_string(Arena::kMaxBytes / 1024) + " KiB（或单个文本超过 " +
                           std::to_string(Arena::kMaxText / 1024) + " KiB），请简化（例如减少嵌套的 SUBSTITUTE 或 &）",
                       "formula@" + std::to_string(pos));
}

// An ordinary value of each type for the trial evaluation: text of 64 mixed characters.
Value Sample(Type t) {
  static const std::string text = "aA0 -_/.,:;aeiou中文销售 xyzXYZ 0123456789 abcdefghijklmnopqrstuvw";
  switch (t) {
    case Type::kText: return Value::Text(text);
    case Type::kNumber: return Value::Number(12345.5);
    case Type::kBool: return Value::Bool(true);
    case Type::kDate: return Value::Date(20419);
    case Type::kDateTime: return Value::DateTime(1764201600000);
    default: return Value::Blank();
  }
}

}  // namespace

Formula::Formula() : impl_(std::make_unique<Impl>()) {}
Formula::Formula(Formula&&) noexcept = default;
Formula& Formula::operator=(Formula&&) noexcept = default;
Formula::~Formula() = default;

Result<Formula> Formula::Compile(std::string_view source, const std::vector<FieldInfo>& fields, Type expected) {
  Formula f;
  f.impl_->source = std::string(source);
  KEEL_ASSIGN_OR_RETURN(std::vector<Token> tokens, Lex(f.impl_->source));
  KEEL_RETURN_IF_ERROR(Parse(tokens, f.impl_->program));
  Program& p = f.impl_->program;
  KEEL_RETURN_IF_ERROR(Check(p, fields));
  Type t = p.nodes[p.root].type;
  if (expected != Type::kAny && !Compatible(t, expected)) {
    return Status::Invalid("formula.result_type",
                           "the formula gives " + std::string(TypeName(t)) + " but " +
                               std::string(TypeName(expected)) + " is needed here",
                           "公式结果为 " + std::string(TypeName(t)) + "，此处需要 " + std::string(TypeName(expected)),
                           "formula@0");
  }
  KEEL_RETURN_IF_ERROR(Fold(p));
  {
    // A trial evaluation on ordinary values: a formula whose text grows past the budget (nested
    // SUBSTITUTE, repeated &) is refused now, not discovered by the first evaluation.
    std::vector<Value> sample;
    for (const auto& f : fields) sample.push_back(Sample(f.type));
    Arena arena;
    EvalContext ctx;
    ctx.arena = &arena;
    ctx.now_ms = 1764201600000;
    arena.BeginEvaluation();
    Evaluator(p, sample, ctx).Eval(p.root);
    if (arena.exceeded()) return TooCostly(p.nodes[p.root].pos);
  }
  // Which fields are still read after folding (reachable from the root).
  std::vector<int> stack = {p.root};
  std::vector<bool> seen(fields.size(), false);
  while (!stack.empty()) {
    const Node& n = p.nodes[stack.back()];
    stack.pop_back();
    if (n.kind == NodeKind::kField && !seen[n.field]) {
      seen[n.field] = true;
      f.impl_->fields_used.push_back(n.field);
    }
    for (int a : n.args) stack.push_back(a);
  }
  std::sort(f.impl_->fields_used.begin(), f.impl_->fields_used.end());
  return f;
}

Type Formula::type() const { return impl_->program.nodes[impl_->program.root].type; }

Value Formula::Eval(std::span<const Value> fields, const EvalContext& ctx) const {
  if (ctx.arena) ctx.arena->BeginEvaluation();
  Value v = Evaluator(impl_->program, fields, ctx).Eval(impl_->program.root);
  if (ctx.arena && ctx.arena->exceeded()) {
    if (!impl_->logged_over_budget.exchange(true)) {
      spdlog::warn("formula over its evaluation budget (formula.too_costly), the record is skipped: {}", impl_->source.substr(0, 200));
    }
    return Value::Error(ErrorCode::kValue);
  }
  return v;
}

const std::vector<int>& Formula::fields_used() const { return impl_->fields_used; }

std::vector<CallInfo> Formula::Calls() const {
  std::vector<CallInfo> out;
  const Program& p = impl_->program;
  for (const Node& n : p.nodes) {
    if (n.kind != NodeKind::kCall || n.function < 0) continue;
    CallInfo c;
    c.function = Builtins()[n.function].name;
    c.pos = n.pos;
    for (int a : n.args) {
      const Node& arg = p.nodes[a];
      c.arg_pos.push_back(arg.pos);
      if (arg.kind == NodeKind::kLiteral && arg.literal.type == Type::kText) {
        c.text_args.emplace_back(std::string(arg.literal.text));
      } else {
        c.text_args.emplace_back(std::nullopt);
      }
    }
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(), [](const CallInfo& a, const CallInfo& b) { return a.pos < b.pos; });
  return out;
}

bool Formula::is_volatile() const {
  for (const Node& n : impl_->program.nodes) {
    if (n.kind == NodeKind::kCall && n.function >= 0 && Builtins()[n.function].volatile_) return true;
  }
  return false;
}
const std::string& Formula::source() const { return impl_->source; }

size_t Formula::size() const {
  size_t n = 0;
  std::vector<int> stack = {impl_->program.root};
  while (!stack.empty()) {
    const Node& node = impl_->program.nodes[stack.back()];
    stack.pop_back();
    ++n;
    for (int a : node.args) stack.push_back(a);
  }
  return n;
}

std::vector<FunctionDoc> FunctionCatalogue() {
  std::vector<FunctionDoc> out;
  for (const Builtin& b : Builtins()) {
    out.push_back({b.name, b.signature, b.returns, b.en, b.zh, b.example});
  }
  return out;
}

}  // namespace keel::formula
