// The public face of the formula part: Compile runs the stages (lex → parse → check → fold);
// Eval walks the result. Also the Arena and value rendering.
#include "formula/formula.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "common/time.h"
#include "formula/internal.h"

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
  std::memcpy(p, s.data(), s.size());
  return {p, s.size()};
}

void Arena::Reset() {
  chunk_ = 0;
  used_ = 0;
}

struct Formula::Impl {
  std::string source;
  Program program;
  std::vector<int> fields_used;
};

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
  Fold(p);
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
  return Evaluator(impl_->program, fields, ctx).Eval(impl_->program.root);
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
